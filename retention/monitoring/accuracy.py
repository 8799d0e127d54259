"""Realised accuracy: once a scoring's horizon has passed in the data, did its predictions come true?

A scoring (see :mod:`retention.monitoring.scored`: the run scored last at one as-of date, of the horizon of the
newest scoring) is *evaluable* when ``as_of + horizon_days`` is on or before the newest order day. Each of its
customers then has a realised outcome defined as the churn labels are (:mod:`retention.churn`): churned when they
made no purchase in the ``horizon_days`` days after the end of ``as_of``.

Each evaluable scoring is judged as the At-risk page judges a held-out snapshot (:mod:`retention.churn.metrics`):
ROC AUC and the churn rate of the riskiest tenth over the overall rate (top-decile lift), beside the same for the
*recency baseline*, the ranking by days since the last purchase (the scores' ``recency_days``), which is what a
shop without a model would do. Calibration compares, per tenth of the customers ranked by risk (decile 1 the
riskiest), the mean predicted risk with the share who churned; the recency ranking has no probability, so only
its observed churn rate per decile is given. Ties in a ranking are broken by user id.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from retention.churn.metrics import lift_top_decile, roc_auc
from retention.monitoring import SECTIONS, Section, check
from retention.monitoring.scored import json_records, scored_outcomes, scorings, watched_horizon

DEFAULTS = {"roc_auc": 0.6, "recency_margin": 0.0}
DECILE_COUNT = 10

AUC_WORRY = (
    "A realised ROC AUC below 0.6 means the scores barely ranked the customers who then left above those who "
    "stayed: retrain the model, or check what changed in the data since it was trained."
)
RECENCY_WORRY = (
    "Below 0 the model ranked churners worse than sorting by days since the last purchase: until it is fixed, "
    "a campaign list sorted by recency reaches more of the customers who leave."
)


def _ranked(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` riskiest first by ``column`` (ties by user id)."""
    return frame.sort_values([column, "user_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _metric(func, y: np.ndarray, score: np.ndarray) -> float:
    """``func(y, score)``, NaN when the outcome has one class only (no churner or no stayer)."""
    return float(func(y, score)) if 0 < y.sum() < len(y) else float("nan")


def scoring_accuracy(customers: pd.DataFrame) -> dict[str, float]:
    """The realised accuracy of one evaluable scoring.

    ``customers``: ``user_id``, ``risk`` (in [0, 1]), ``recency_days`` and ``churned`` (bool, no NA).

    Returns
    -------
    dict
        ``customers`` (int), ``churn_rate`` (in [0, 1]), ``roc_auc`` and ``recency_roc_auc`` (in [0, 1], NaN with
        one class only), ``lift`` and ``recency_lift`` (top-decile lift, 1 = no better than random; NaN without a
        churner), ``auc_gain`` (model AUC minus recency AUC).
    """
    y = customers["churned"].to_numpy(dtype=np.float64)
    by_risk, by_recency = _ranked(customers, "risk"), _ranked(customers, "recency_days")
    model_auc = _metric(roc_auc, y, customers["risk"].to_numpy(dtype=np.float64))
    recency_auc = _metric(roc_auc, y, customers["recency_days"].to_numpy(dtype=np.float64, na_value=np.inf))
    return {
        "customers": int(len(customers)),
        "churn_rate": float(y.mean()) if len(y) else float("nan"),
        "roc_auc": model_auc,
        "recency_roc_auc": recency_auc,
        "auc_gain": model_auc - recency_auc,
        "lift": _lift(by_risk, "risk"),
        "recency_lift": _lift(by_recency, "recency_days"),
    }


def _lift(ranked: pd.DataFrame, column: str) -> float:
    """Top-decile lift of a frame already in ranking order (so the ties are broken by user id)."""
    y = ranked["churned"].to_numpy(dtype=np.float64)
    if not y.sum():
        return float("nan")
    positions = -np.arange(len(y), dtype=np.float64)  # the frame's order as the score
    return lift_top_decile(y, positions)


def deciles(count: int, buckets: int = DECILE_COUNT) -> np.ndarray:
    """The decile (1 = the first tenth) of each of ``count`` ranked positions, ``ceil(count / 10)`` in the first
    (as :func:`retention.churn.metrics.top_share_mask` takes the top tenth)."""
    return np.arange(count) * buckets // max(count, 1) + 1


def calibration_by_decile(customers: pd.DataFrame) -> pd.DataFrame:
    """Predicted against observed churn per decile of the model's ranking and of the recency ranking.

    Returns
    -------
    DataFrame
        One row per ranking and non-empty decile: ``ranking`` ('model' or 'recency'), ``decile`` (1 = the
        riskiest tenth), ``customers`` (int), ``mean_risk`` (mean predicted risk in [0, 1]; NaN for recency,
        which predicts no probability), ``churn_rate`` (observed, in [0, 1]).
    """
    parts = []
    for ranking, column in (("model", "risk"), ("recency", "recency_days")):
        ranked = _ranked(customers, column).assign(decile=lambda f: deciles(len(f)))
        table = ranked.groupby("decile", as_index=False).agg(
            customers=("user_id", "size"), mean_risk=("risk", "mean"), churn_rate=("churned", "mean")
        )
        if ranking == "recency":
            table["mean_risk"] = np.nan
        table.insert(0, "ranking", ranking)
        parts.append(table)
    frame = pd.concat(parts, ignore_index=True)
    frame["churn_rate"] = frame["churn_rate"].astype(np.float64)
    frame["customers"] = frame["customers"].astype(np.int64)
    return frame


def accuracy_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """:func:`scoring_accuracy` of every evaluable scoring in ``outcomes`` (:func:`scored_outcomes`).

    Returns
    -------
    DataFrame
        One row per scoring whose horizon has passed, oldest first: ``as_of`` (date), ``model_version``, then
        the keys of :func:`scoring_accuracy`.
    """
    known = outcomes[outcomes["churned"].notna()]
    rows = [
        {"as_of": day, "model_version": group["model_version"].iloc[0], **scoring_accuracy(group)}
        for day, group in known.groupby("as_of", sort=True)
    ]
    columns = ["as_of", "model_version", "customers", "churn_rate", "roc_auc", "recency_roc_auc", "auc_gain"]
    return pd.DataFrame(rows, columns=[*columns, "lift", "recency_lift"])


def accuracy_section(con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float]) -> Section:
    """The Realised accuracy section.

    numbers: ``horizon_days`` (int or None), ``scorings`` (:func:`accuracy_table` rows), ``waiting`` (scorings
    whose horizon has not passed: ``as_of`` and ``evaluable_from``, the order day from which they are judged),
    ``newest`` (the newest evaluable scoring's date, or None), ``calibration`` (:func:`calibration_by_decile`
    rows of that scoring).
    """
    limits = {name: float(thresholds.get(name, default)) for name, default in DEFAULTS.items()}
    horizon = watched_horizon(scorings(con))
    numbers: dict = {"horizon_days": horizon, "scorings": [], "waiting": [], "newest": None, "calibration": []}
    auc = gain = None
    if horizon is not None:
        outcomes = scored_outcomes(con, horizon)
        table = accuracy_table(outcomes)
        pending = sorted(set(outcomes["as_of"]) - set(table["as_of"]))
        numbers["scorings"] = json_records(table)
        numbers["waiting"] = [
            {"as_of": str(day), "evaluable_from": str(day + pd.Timedelta(days=horizon))} for day in pending
        ]
        if not table.empty:
            newest = table.iloc[-1]
            customers = outcomes[outcomes["as_of"] == newest["as_of"]].astype({"churned": bool})
            numbers["newest"] = str(newest["as_of"])
            numbers["calibration"] = json_records(calibration_by_decile(customers))
            auc = None if pd.isna(newest["roc_auc"]) else float(newest["roc_auc"])
            gain = None if pd.isna(newest["auc_gain"]) else float(newest["auc_gain"])
    checks = (
        check("accuracy.roc_auc", auc, limits["roc_auc"], AUC_WORRY, above=False),
        check("accuracy.beats_recency", gain, limits["recency_margin"], RECENCY_WORRY, above=False),
    )
    return Section("accuracy", "Realised accuracy", numbers, checks)


SECTIONS.add("accuracy", accuracy_section)
