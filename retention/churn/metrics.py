"""Holdout metrics of a churn ranking (a registry) and the calibration table.

Every metric takes ``y`` (0/1 churned) and ``risk`` (predicted probability in
[0, 1]) of the same customers and returns one float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

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
    return float(roc_auc_score(y, risk))


@metric("pr_auc", "PR AUC")
def pr_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Average precision over the ranking by risk, in [0, 1] (the churn rate for a random ranking)."""
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
