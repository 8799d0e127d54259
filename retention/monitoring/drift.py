"""Score drift: does each churn scoring's risk, and the features behind it, still look like the one before?

Scorings are those of :mod:`retention.monitoring.scored`.

Population stability index (PSI)
--------------------------------
``PSI = sum over bins of (a - e) * ln(a / e)``, with ``e`` the share of the *reference* (the previous scoring) and
``a`` the share of the *actual* (the later scoring) in each bin. The bins are cut at the reference's deciles
(``(-inf, q10], (q10, q20], ..., (q90, inf)``), so each holds about a tenth of the reference; deciles that tie
(a feature that is 0 for most customers) merge into one bin, and missing values are a bin of their own. A text
feature (channel, country) has one bin per value. A bin that is empty on one side has its share replaced by
:data:`EPSILON`, so the logarithm stays finite. Identical distributions give 0; the usual reading is below 0.1
stable, 0.1 to 0.2 a moderate shift, above 0.2 (:data:`DEFAULTS`) a shift worth acting on.

The *training snapshot* reference is the held-out labelled snapshot the model was checked on (its newest training
snapshot), whose risk distribution the saved run keeps as a calibration table in ten equal-width risk bins: the
scoring's risks are put in the same bins. Features are compared where the saved run keeps its customers' feature
rows (the newest runs, see :data:`retention.churn.scoring.KEPT_RUNS`), for the :data:`TOP_FEATURES` features
that move the newer scoring's risks most (its SHAP importance): each run against the previous kept run, and the
newest against its held-out snapshot, whose features are computed again from the orders (the run keeps none of
them; a snapshot's features read only rows before its cutoff, so they are what the model saw unless orders up to
then were imported since).
"""

from __future__ import annotations

import datetime as dt
import pickle
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention import warehouse
from retention.churn.snapshots import snapshot_features
from retention.monitoring import SECTIONS, Section, check, scored
from retention.monitoring.scored import json_records, scored_outcomes, scorings, watched_horizon

DEFAULTS = {"risk_psi": 0.2, "feature_psi": 0.2}
EPSILON = 1e-4  # the share given to a bin that is empty on one side
DECILES = np.linspace(0.1, 0.9, 9)
RISK_BAND_EDGES = (0.25, 0.5, 0.75)
RISK_BANDS = ("< 0.25", "0.25 – 0.5", "0.5 – 0.75", "≥ 0.75")
TOP_FEATURES = 5
HOLDOUT_BINS = 10  # the saved holdout calibration's equal-width risk bins

RISK_WORRY = (
    "A PSI above 0.2 between one scoring's risks and the previous one's means the customers, or the model, changed "
    "a lot: check the data imported since, and whether the model was retrained on something unusual."
)
FEATURE_WORRY = (
    "A top feature whose PSI is above 0.2 has shifted since the previous scoring: the model now sees customers "
    "unlike those it was trained on (a new channel, a sale, an import that changed a column)."
)


# ---------------------------------------------------------------------------
# PSI
# ---------------------------------------------------------------------------


def psi_of_shares(actual: np.ndarray, expected: np.ndarray, *, epsilon: float = EPSILON) -> float:
    """``sum((a - e) * ln(a / e))`` over bins of two share vectors (each summing to 1), empty bins given
    ``epsilon``; >= 0, 0 when the shares are equal."""
    a = np.maximum(np.asarray(actual, dtype=np.float64), epsilon)
    e = np.maximum(np.asarray(expected, dtype=np.float64), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def decile_edges(reference: np.ndarray) -> np.ndarray:
    """The distinct deciles (10th to 90th percentile) of the non-missing ``reference`` values, ascending."""
    values = np.asarray(reference, dtype=np.float64)
    values = values[~np.isnan(values)]
    return np.unique(np.quantile(values, DECILES)) if len(values) else np.array([], dtype=np.float64)


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares of ``values`` in the bins ``(-inf, edges[0]], ..., (edges[-1], inf)`` and a last bin of NaNs."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    index = np.where(missing, len(edges) + 1, np.searchsorted(edges, values, side="left"))
    return np.bincount(index, minlength=len(edges) + 2) / max(len(values), 1)


def psi(actual: np.ndarray, reference: np.ndarray, *, epsilon: float = EPSILON) -> float:
    """PSI of numeric ``actual`` against ``reference`` in bins cut at the reference's deciles (missing values a
    bin of their own); NaN when either side is empty.

    Returns
    -------
    float
        >= 0; 0 for the same distribution; above 0.2 a large shift.
    """
    if len(actual) == 0 or len(reference) == 0:
        return float("nan")
    edges = decile_edges(reference)
    return psi_of_shares(_shares(actual, edges), _shares(reference, edges), epsilon=epsilon)


def category_psi(actual: pd.Series, reference: pd.Series, *, epsilon: float = EPSILON) -> float:
    """PSI of a text feature: one bin per value seen on either side (missing values are a value); NaN when
    either side is empty."""
    if len(actual) == 0 or len(reference) == 0:
        return float("nan")
    a = actual.astype(object).fillna("(missing)").value_counts(normalize=True)
    e = reference.astype(object).fillna("(missing)").value_counts(normalize=True)
    levels = a.index.union(e.index)
    return psi_of_shares(a.reindex(levels, fill_value=0.0), e.reindex(levels, fill_value=0.0), epsilon=epsilon)


def feature_psi(actual: pd.Series, reference: pd.Series) -> float:
    """:func:`psi` of a numeric feature, :func:`category_psi` of any other."""
    if pd.api.types.is_numeric_dtype(actual) and pd.api.types.is_numeric_dtype(reference):
        return psi(actual.to_numpy(dtype=np.float64, na_value=np.nan), reference.to_numpy(np.float64, na_value=np.nan))
    return category_psi(actual, reference)


# ---------------------------------------------------------------------------
# Scorings and their risk distributions
# ---------------------------------------------------------------------------


def risk_bands(con: duckdb.DuckDBPyConnection, horizon_days: int) -> pd.DataFrame:
    """The share of customers per risk band (:data:`RISK_BANDS`) at each scoring (the newest
    :data:`~retention.monitoring.scored.MAX_SCORINGS`) with this horizon.

    Returns
    -------
    DataFrame
        ``as_of`` (date), ``band`` (its label), ``customers`` (int), ``share`` (in [0, 1], summing to 1 per
        as_of); non-empty bands, by date and band.
    """
    frame = warehouse.query(
        con,
        "monitoring_risk_bands",
        {"horizon_days": int(horizon_days), "max_scorings": scored.MAX_SCORINGS, "edges": list(RISK_BAND_EDGES)},
        parts=scored.RUNS_PART,
    )
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["band"] = [RISK_BANDS[int(band)] for band in frame["band"]]
    frame["customers"] = frame["customers"].astype(np.int64)
    return frame


def risk_psi_table(outcomes: pd.DataFrame, holdout: Mapping[object, np.ndarray] | None = None) -> pd.DataFrame:
    """PSI of each scoring's risks against the previous scoring's and against its training snapshot's.

    ``outcomes``: :func:`scored_outcomes` (``as_of`` and ``risk`` are read); ``holdout``: as_of -> the shares of
    the held-out snapshot's customers in :data:`HOLDOUT_BINS` equal-width risk bins (:func:`holdout_shares`).

    Returns
    -------
    DataFrame
        One row per scoring, oldest first: ``as_of`` (date), ``previous`` (the previous scoring's date, None for
        the first), ``customers`` (int), ``risk_psi`` (float >= 0, NaN for the first), ``risk_psi_holdout``
        (float >= 0, NaN where the saved run is not kept).
    """
    holdout = holdout or {}
    risks = {day: group["risk"].to_numpy(dtype=np.float64) for day, group in outcomes.groupby("as_of", sort=True)}
    rows, previous = [], None
    for day, risk in risks.items():
        reference = holdout.get(day)
        rows.append(
            {
                "as_of": day,
                "previous": previous,
                "customers": len(risk),
                "risk_psi": float("nan") if previous is None else psi(risk, risks[previous]),
                "risk_psi_holdout": float("nan")
                if reference is None
                else psi_of_shares(equal_width_shares(risk), reference),
            }
        )
        previous = day
    columns = ["as_of", "previous", "customers", "risk_psi", "risk_psi_holdout"]
    return pd.DataFrame(rows, columns=columns)


def equal_width_shares(risk: np.ndarray, bins: int = HOLDOUT_BINS) -> np.ndarray:
    """Shares of ``risk`` (in [0, 1]) in ``bins`` equal-width bins, 1.0 in the last."""
    index = np.minimum((np.asarray(risk, dtype=np.float64) * bins).astype(np.int64), bins - 1)
    return np.bincount(index, minlength=bins) / max(len(index), 1)


# ---------------------------------------------------------------------------
# Saved runs: the training snapshot and the features
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedRun:
    """What the drift section reads of a saved scoring run: its as-of date, the shares of its held-out
    snapshot's customers per equal-width risk bin (None when the run has no calibration table), its features
    ordered by SHAP importance (feature name -> label), and the date of its held-out snapshot (None if unknown)."""

    as_of: object
    holdout_shares: np.ndarray | None
    importance: dict[str, str]
    holdout_date: dt.date | None = None


def saved_runs(con: duckdb.DuckDBPyConnection, horizon_days: int) -> dict[object, SavedRun]:
    """The saved runs (``churn_scorings``) with this horizon by as-of date; a blob that does not load (written by
    another version) is left out. Unpickling runs code: the blobs are the app's own, in the user's own file."""
    runs = {}
    for day, _, blob in warehouse.execute(con, "monitoring_saved_runs", {"horizon_days": int(horizon_days)}).fetchall():
        try:
            runs[day] = _saved_run(day, pickle.loads(zlib.decompress(blob)))
        except Exception:  # noqa: BLE001 - a blob that does not load (or not as a run) is a run not kept
            continue
    return runs


def _saved_run(day: object, result: object) -> SavedRun:
    holdout = result.summary.get("holdout_date")
    return SavedRun(
        day,
        holdout_shares(result.calibration),
        _importance(result.importance),
        None if holdout is None else pd.Timestamp(holdout).date(),
    )


def holdout_shares(calibration: pd.DataFrame | None, bins: int = HOLDOUT_BINS) -> np.ndarray | None:
    """Shares of the held-out customers per equal-width risk bin, from a saved run's calibration table (rows of
    predictor 'model': ``bin`` lower edge, ``customers``); None without one."""
    if calibration is None or calibration.empty:
        return None
    rows = calibration[calibration["predictor"] == "model"]
    if rows.empty:
        return None
    index = np.minimum(np.round(rows["bin"].to_numpy(dtype=np.float64) * bins).astype(np.int64), bins - 1)
    counts = np.bincount(index, weights=rows["customers"].to_numpy(dtype=np.float64), minlength=bins)
    return counts / counts.sum()


def _importance(importance: pd.DataFrame | None) -> dict[str, str]:
    if importance is None or importance.empty:
        return {}
    return dict(zip(importance["feature"], importance["label"], strict=True))


def saved_features(
    con: duckdb.DuckDBPyConnection, as_of: object, horizon_days: int, columns: list[str]
) -> pd.DataFrame:
    """The feature rows of a saved run's customers (only ``columns`` that it holds); empty when not kept."""
    params = {"as_of": as_of, "horizon_days": int(horizon_days)}
    blocks = []
    for (blob,) in warehouse.execute(con, "monitoring_saved_features", params).fetchall():
        try:
            features, _ = pickle.loads(zlib.decompress(blob))
        except Exception:  # noqa: BLE001 - a block that does not load: the run's features are not kept
            return pd.DataFrame()
        blocks.append(features[[c for c in columns if c in features.columns]])
    return pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame()


def feature_psi_table(
    con: duckdb.DuckDBPyConnection, horizon_days: int, runs: Mapping[object, SavedRun], top: int = TOP_FEATURES
) -> pd.DataFrame:
    """PSI of the top features of each saved run against the previous saved run (consecutive kept dates).

    Returns
    -------
    DataFrame
        ``as_of`` (date), ``previous`` (date), ``feature``, ``label``, ``psi`` (float >= 0); by date, then by the
        newer run's importance.
    """
    days = sorted(runs)
    wanted = {day: list(runs[day].importance)[:top] for day in days}
    columns = sorted({feature for features in wanted.values() for feature in features})
    loaded: dict[object, pd.DataFrame] = {}
    rows = []
    for previous, day in zip(days, days[1:], strict=False):
        for when in (previous, day):
            if when not in loaded:
                loaded[when] = saved_features(con, when, horizon_days, columns)
        newer, older = loaded[day], loaded.pop(previous)  # each run's rows are read once
        rows.extend(
            {
                "as_of": day,
                "previous": previous,
                "feature": feature,
                "label": runs[day].importance[feature],
                "psi": feature_psi(newer[feature], older[feature]),
            }
            for feature in wanted[day]
            if feature in newer.columns and feature in older.columns
        )
    return pd.DataFrame(rows, columns=["as_of", "previous", "feature", "label", "psi"])


def training_feature_psi(
    con: duckdb.DuckDBPyConnection, horizon_days: int, run: SavedRun, top: int = TOP_FEATURES
) -> pd.DataFrame:
    """PSI of a saved run's top features against its training snapshot: the held-out snapshot it was checked on
    (its newest training snapshot), whose features are computed again from the orders as the model read them
    (:func:`retention.churn.snapshot_features`; every customer, where training may have read a sample of them).

    Returns
    -------
    DataFrame
        ``as_of`` (date), ``holdout_date`` (date), ``feature``, ``label``, ``psi`` (float >= 0); by importance.
        Empty when the run keeps no features or its held-out date is unknown.
    """
    columns = ["as_of", "holdout_date", "feature", "label", "psi"]
    wanted = list(run.importance)[:top]
    current = saved_features(con, run.as_of, horizon_days, wanted) if run.holdout_date else pd.DataFrame()
    if current.empty:
        return pd.DataFrame(columns=columns)
    snapshot = snapshot_features(con, [run.holdout_date], horizon_days)
    rows = [
        {
            "as_of": run.as_of,
            "holdout_date": run.holdout_date,
            "feature": feature,
            "label": run.importance[feature],
            "psi": feature_psi(current[feature], snapshot[feature]),
        }
        for feature in wanted
        if feature in current.columns and feature in snapshot.columns
    ]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------


def drift_section(con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float]) -> Section:
    """The Score drift section.

    numbers: ``horizon_days`` (int or None), ``scorings`` (:func:`risk_psi_table` rows with ``model_version``
    and ``mean_risk``), ``bands`` (:func:`risk_bands` rows), ``features`` (:func:`feature_psi_table` rows),
    ``features_vs_training`` (:func:`training_feature_psi` rows of the newest saved run), ``newest`` and
    ``previous`` (dates compared by the checks, or None).
    """
    limits = {name: float(thresholds.get(name, default)) for name, default in DEFAULTS.items()}
    runs = scorings(con)
    horizon = watched_horizon(runs)
    numbers: dict = {"horizon_days": horizon, "scorings": [], "bands": [], "features": [], "features_vs_training": []}
    numbers.update(newest=None, previous=None)
    risk_value = feature_value = None
    if horizon is not None:
        saved = saved_runs(con, horizon)
        table = risk_psi_table(scored_outcomes(con, horizon), {day: run.holdout_shares for day, run in saved.items()})
        of_horizon = runs[runs["horizon_days"] == horizon].set_index("as_of")
        table = table.assign(
            model_version=[of_horizon.at[day, "model_version"] for day in table["as_of"]],
            mean_risk=[float(of_horizon.at[day, "mean_risk"]) for day in table["as_of"]],
        )
        features = feature_psi_table(con, horizon, saved)
        newest = table.iloc[-1]
        numbers.update(
            scorings=json_records(table),
            bands=json_records(risk_bands(con, horizon)),
            features=json_records(features),
            features_vs_training=json_records(training_feature_psi(con, horizon, saved[max(saved)]) if saved else None),
            newest=str(newest["as_of"]),
            previous=None if newest["previous"] is None else str(newest["previous"]),
        )
        risk_value = None if pd.isna(newest["risk_psi"]) else float(newest["risk_psi"])
        latest = features[features["as_of"] == newest["as_of"]]["psi"]
        feature_value = None if latest.dropna().empty else float(latest.max())
    checks = (
        check("drift.risk_psi", risk_value, limits["risk_psi"], RISK_WORRY),
        check("drift.feature_psi_max", feature_value, limits["feature_psi"], FEATURE_WORRY),
    )
    return Section("drift", "Score drift", numbers, checks)


SECTIONS.add("drift", drift_section)
