"""Holdout metrics of a churn ranking (a registry) and the calibration table.

Every metric takes ``y`` (0/1 churned) and ``risk`` (predicted probability in
[0, 1]) of the same customers and returns one float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention.registry import Registry

MetricFunction = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Metric:
    """A holdout metric: ``func(y, risk) -> float``; ``higher_is_better`` says which way is good."""

    name: str
    label: str
    func: MetricFunction
    higher_is_better: bool = True


METRICS: Registry[Metric] = Registry("holdout metric")


def metric(name: str, label: str, *, higher_is_better: bool = True) -> Callable[[MetricFunction], MetricFunction]:
    """Register a holdout metric under ``name`` (a decorator; the function is returned unchanged)."""
    return METRICS.register(
        name, make=lambda func: Metric(name=name, label=label, func=func, higher_is_better=higher_is_better)
    )


def top_share_mask(risk: np.ndarray, share: float = 0.1) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` highest risks (ties broken by position, earlier first)."""
    risk = np.asarray(risk, dtype=np.float64)
    n_top = int(np.ceil(share * len(risk)))
    order = np.argsort(-risk, kind="stable")
    mask = np.zeros(len(risk), dtype=bool)
    mask[order[:n_top]] = True
    return mask


@metric("roc_auc", "ROC AUC")
def roc_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Probability that a random churner is ranked above a random stayer, in [0, 1]."""
    from sklearn.metrics import roc_auc_score  # here: pages that show saved metrics never load scikit-learn

    return float(roc_auc_score(y, risk))


@metric("pr_auc", "PR AUC")
def pr_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Average precision over the ranking by risk, in [0, 1] (the churn rate for a random ranking)."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, risk))


@metric("brier", "Brier score", higher_is_better=False)
def brier(y: np.ndarray, risk: np.ndarray) -> float:
    """Mean squared error of the probability, in [0, 1] (0 is perfect)."""
    return float(np.mean((np.asarray(risk, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


@metric("lift_top_decile", "Lift in top 10%")
def lift_top_decile(y: np.ndarray, risk: np.ndarray) -> float:
    """Churn rate among the 10% riskiest over the overall churn rate (1 = no better than random)."""
    y = np.asarray(y, dtype=np.float64)
    return float(y[top_share_mask(risk)].mean() / y.mean())


@metric("capture_top_decile", "Capture rate in top 10%")
def capture_top_decile(y: np.ndarray, risk: np.ndarray) -> float:
    """Share of all churners found among the 10% riskiest, in [0, 1]."""
    y = np.asarray(y, dtype=np.float64)
    return float(y[top_share_mask(risk)].sum() / y.sum())


def evaluate(y: np.ndarray, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every registered metric for each named prediction.

    Returns
    -------
    DataFrame
        One row per metric: ``metric`` (registry name), ``label``,
        ``higher_is_better`` (bool), then one float column per key of ``predictions``.
    """
    rows = []
    for spec in METRICS.values():
        row = {"metric": spec.name, "label": spec.label, "higher_is_better": spec.higher_is_better}
        row.update({name: spec.func(y, risk) for name, risk in predictions.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_table(y: np.ndarray, predictions: dict[str, np.ndarray], bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in equal-width risk bins.

    Returns
    -------
    DataFrame
        One row per predictor and non-empty bin: ``predictor``, ``bin`` (lower
        edge, in [0, 1)), ``mean_risk`` and ``churn_rate`` (in [0, 1]),
        ``customers`` (int).
    """
    y = np.asarray(y, dtype=np.float64)
    frames = []
    for name, risk in predictions.items():
        risk = np.asarray(risk, dtype=np.float64)
        index = np.minimum((risk * bins).astype(np.int64), bins - 1)
        grouped = pd.DataFrame({"bin": index / bins, "risk": risk, "y": y}).groupby("bin", as_index=False)
        table = grouped.agg(mean_risk=("risk", "mean"), churn_rate=("y", "mean"), customers=("y", "size"))
        table.insert(0, "predictor", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------
# The verdict in words
# ---------------------------------------------------------------------------

CALIBRATION_GAP = 0.1  # a risk bin is far off when predicted and observed churn differ by this much...
CALIBRATION_SE = 2.0  # ...and by more than this many standard errors of the bin's observed rate


@dataclass(frozen=True)
class Verdict:
    """Whether the model beat the recency baseline on the held-out snapshot.

    outcome: 'model' (better on ranking and on the top 10%), 'baseline' (no
    better on either), or 'mixed'; text: the sentences, figures included.
    """

    outcome: str
    text: str


def _compare(model: float, baseline: float) -> int:
    """1 when the model is better (higher), -1 when worse, 0 when equal to 3 decimals."""
    a, b = round(model, 3), round(baseline, 3)
    return (a > b) - (a < b)


def verdict(metrics: pd.DataFrame, holdout_date: object = None) -> Verdict:
    """Say in words whether the model beats sorting by recency alone on the held-out snapshot.

    Judged on the two numbers a campaign feels: ROC AUC (how well the whole list
    is ranked) and the lift of the riskiest 10% (how many churners a small
    campaign reaches). A loss on either is said, never hidden.

    ``metrics``: :func:`evaluate`'s table with ``model`` and ``baseline`` columns.
    """
    table = metrics.set_index("metric")
    auc_m, auc_b = float(table.at["roc_auc", "model"]), float(table.at["roc_auc", "baseline"])
    lift_m, lift_b = float(table.at["lift_top_decile", "model"]), float(table.at["lift_top_decile", "baseline"])
    where = "On the held-out snapshot" + (f" of {pd.Timestamp(holdout_date):%Y-%m-%d}" if holdout_date else "")
    auc = (
        f"ROC AUC {auc_m:.2f} vs {auc_b:.2f}"
        if round(auc_m, 2) != round(auc_b, 2)
        else f"ROC AUC {auc_m:.3f} vs {auc_b:.3f}"
    )
    lift = (
        f"lift {lift_m:.2f} vs {lift_b:.2f}"
        if round(lift_m, 2) != round(lift_b, 2)
        else f"lift {lift_m:.3f} vs {lift_b:.3f}"
    )
    ranks, top = _compare(auc_m, auc_b), _compare(lift_m, lift_b)
    rank_words = {1: "ranks churners better than", 0: "ranks churners as well as", -1: "ranks churners worse than"}
    top_words = {1: "catch more churners", 0: "catch as many churners", -1: "catch fewer churners"}
    if ranks > 0 and top > 0:
        return Verdict(
            "model",
            f"{where} the model beats recency alone: it {rank_words[1]} days since the last purchase ({auc}) "
            f"and its riskiest 10% {top_words[1]} ({lift}).",
        )
    if ranks <= 0 and top <= 0:
        return Verdict(
            "baseline",
            f"{where} the model does no better than recency alone: it {rank_words[ranks]} days since the last "
            f"purchase ({auc}) and its riskiest 10% {top_words[top]} ({lift}). On this data, sorting customers by "
            "days since their last purchase gives as good a list.",
        )
    joint = "but" if ranks > 0 else "though"
    advice = (
        " To contact only the riskiest 10%, sorting by days since the last purchase does as well."
        if top < 0
        else " Its riskiest customers are the better target; further down the list, recency ranks as well."
    )
    return Verdict(
        "mixed",
        f"{where} the model {rank_words[ranks]} recency alone ({auc}) {joint} its top 10% {top_words[top]} "
        f"({lift}).{advice}",
    )


def calibration_warning(
    calibration: pd.DataFrame,
    predictor: str = "model",
    *,
    gap: float = CALIBRATION_GAP,
    standard_errors: float = CALIBRATION_SE,
) -> str | None:
    """A sentence when a risk bin of the held-out snapshot is far off, else None.

    A bin is far off when its mean predicted risk and its observed churn rate
    differ by at least ``gap`` and by more than ``standard_errors`` standard
    errors of a rate over that many customers (so a bin of 3 customers does not
    raise an alarm by chance). The sentence names the far-off bin with the largest gap times customers.
    ``calibration``: :func:`calibration_table`.
    """
    rows = calibration[calibration["predictor"] == predictor]
    if rows.empty:
        return None
    risk, rate, n = (rows[c].to_numpy(dtype=np.float64) for c in ("mean_risk", "churn_rate", "customers"))
    off = np.abs(risk - rate)
    se = np.sqrt(np.clip(risk * (1 - risk), 1e-6, None) / n)
    far = (off >= gap) & (off > standard_errors * se)
    if not far.any():
        return None
    worst = int(np.argmax(np.where(far, off * n, -1.0)))  # the bin where the most risk is misstated
    more_or_less = "more" if risk[worst] > rate[worst] else "less"
    others = int(far.sum()) - 1
    also = f" ({others} other risk band{'' if others == 1 else 's'} also far off)" if others else ""
    return (
        f"Calibration is off: on the held-out snapshot the {int(n[worst]):,} customers given about "
        f"{risk[worst]:.0%} risk churned at {rate[worst]:.0%}{also}. Risks there read {more_or_less} alarming "
        "than they turned out; use them to rank customers rather than as exact probabilities."
    )
