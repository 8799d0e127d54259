"""Saved churn models: keeping a trained model, deciding when it is due for retraining, and scoring with it.

``retention.churn.score_customers`` trains a fresh model at every call. A scheduled refresh keeps the
model it trained (``churn_models``) so that the nights between retrainings only rescore: the features
of every customer at the latest order date, the saved model's risk and SHAP reasons, saved to ``scores``
under the saved model's version.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from retention import churn, explain, warehouse
from retention.errors import DataError


@dataclass(frozen=True)
class SavedModel:
    """A churn model kept by a refresh: its version, horizon, the date it was trained for (``as_of``), its
    newest labelled snapshot (``holdout_date``) and its own ROC AUC there when it was trained, in [0, 1]
    (:func:`snapshot_quality`: how :func:`quality_now` measures it later, so the two compare like for like)."""

    model_version: str
    horizon_days: int
    as_of: dt.date
    holdout_date: dt.date
    holdout_roc_auc: float
    model: churn.ChurnModel = field(repr=False)


def snapshot_quality(model: churn.ChurnModel, rows: pd.DataFrame) -> float | None:
    """``model``'s ROC AUC on the labelled rows of one snapshot; None when their labels are of one class only."""
    labelled = rows[rows["churned"].notna()]
    y = labelled["churned"].astype(bool).to_numpy().astype(np.int64)
    if len(np.unique(y)) < 2:
        return None
    return churn.roc_auc(y, explain.calibrated_risk(model, labelled))


def save_model(con: duckdb.DuckDBPyConnection, result: churn.ScoringResult, data: churn.ScoringInput) -> SavedModel:
    """Keep the model of a scoring run in ``churn_models``, with its ROC AUC on its newest labelled snapshot
    (the run's holdout date, read from ``data``, what the run trained on).

    That figure is the kept model's own, measured as :func:`quality_now` measures it on later snapshots: the run's
    holdout metric is another model's (the one trained on the snapshots before the holdout), on another kind of
    data (90 days ahead of its training labels), so comparing the two would retrain on the difference between the
    models, not on a change in the data.
    """
    holdout = pd.Timestamp(result.summary["holdout_date"]).date()
    auc = snapshot_quality(result.model, churn.rows_at(data.frame, [holdout]))
    if auc is None:  # one class at the holdout cannot happen once the model trained on it; the run's figure stands
        auc = float(result.metrics.set_index("metric").at["roc_auc", "model"])
    saved = SavedModel(
        model_version=result.model_version,
        horizon_days=int(result.horizon_days),
        as_of=result.as_of,
        holdout_date=holdout,
        holdout_roc_auc=auc,
        model=result.model,
    )
    params = {
        "model_version": saved.model_version,
        "horizon_days": saved.horizon_days,
        "as_of": saved.as_of,
        "holdout_date": saved.holdout_date,
        "holdout_roc_auc": saved.holdout_roc_auc,
        "model": pickle.dumps(saved.model, protocol=pickle.HIGHEST_PROTOCOL),
    }
    with warehouse.transaction(con):
        warehouse.execute(con, "refresh_save_model", params)
    return saved


def newest_model(con: duckdb.DuckDBPyConnection, horizon_days: int) -> SavedModel | None:
    """The newest saved model of this horizon (latest as_of, then trained last), or None when there is none."""
    frame = warehouse.query(con, "refresh_newest_model", {"horizon_days": int(horizon_days)})
    if frame.empty:
        return None
    row = frame.iloc[0]
    return SavedModel(
        model_version=str(row["model_version"]),
        horizon_days=int(row["horizon_days"]),
        as_of=pd.Timestamp(row["as_of"]).date(),
        holdout_date=pd.Timestamp(row["holdout_date"]).date(),
        holdout_roc_auc=float(row["holdout_roc_auc"]),
        model=pickle.loads(bytes(row["model"])),
    )


def model_age_days(saved: SavedModel, as_of: dt.date) -> int:
    """Days of data since the model was trained: from its as_of to ``as_of`` (the latest order day now)."""
    return (as_of - saved.as_of).days


def quality_now(con: duckdb.DuckDBPyConnection, saved: SavedModel, as_of: dt.date) -> tuple[dt.date, float] | None:
    """The saved model's ROC AUC on the newest labelled snapshot (``as_of - horizon_days``), with that date: the
    figure :func:`save_model` recorded on the model's own newest labelled snapshot, measured again later, on the
    same seeded sample of whole customers that training reads (every customer in a small shop).

    None when that snapshot is not newer than the model's own (there is nothing new to measure), or when its labels
    are of one class only (ROC AUC is undefined).
    """
    day = as_of - dt.timedelta(days=saved.horizon_days)
    if day <= saved.holdout_date:
        return None
    # The customers a training run samples (all of them in a shop of up to some 20,000), as save_model measured.
    sample = churn.sample_customers(con, [day])
    auc = snapshot_quality(saved.model, churn.snapshot_features(con, [day], saved.horizon_days, sample=sample))
    return None if auc is None else (day, auc)


@dataclass(frozen=True)
class Rescoring:
    """What rescoring every customer with a kept model reads, in one read session (:func:`read_rescoring`).

    rows: the feature rows of every customer with a purchase up to the as-of date. trained: the newest saved run
    of the model (:func:`retention.churn.training_run`; None when none is kept), whose holdout metrics,
    calibration and summary the rescoring carries, so that the At-risk page shows it without training again.
    inputs_version: the inputs the rows were read at.
    """

    rows: pd.DataFrame = field(repr=False)
    trained: churn.ScoringResult | None = field(repr=False)
    inputs_version: str


def read_rescoring(con: duckdb.DuckDBPyConnection, saved: SavedModel, as_of: dt.date) -> Rescoring:
    """Read what rescoring with ``saved`` at ``as_of`` needs (:func:`score_rows` scores it with no connection open)."""
    return Rescoring(
        rows=churn.rows_at(churn.snapshot_features(con, [as_of], saved.horizon_days), [as_of]),
        trained=churn.training_run(con, saved.horizon_days, saved.model_version),
        inputs_version=churn.inputs_version(con),
    )


def score_rows(saved: SavedModel, read: Rescoring, as_of: dt.date) -> churn.ScoringResult:
    """Score the rows of :func:`read_rescoring` with the saved model, as :func:`retention.churn.score_customers`
    scores them (same columns, reasons and order). Opens no connection. The holdout metrics are those of
    ``read.trained`` (the model's quality, measured when it was trained for ``saved.as_of``); none without it.

    Raises
    ------
    DataError
        No customer has a purchase up to ``as_of``.
    """
    if read.rows.empty:
        raise DataError(f"no customer has a purchase up to {as_of}; nothing to score")
    scores, features, explanation = churn.rank_and_explain(
        saved.model, read.rows, as_of, saved.horizon_days, saved.model_version
    )
    summary = {"as_of": str(as_of), "horizon_days": saved.horizon_days, "model_trained_for": str(saved.as_of)}
    metrics, calibration = pd.DataFrame(), pd.DataFrame()
    if read.trained is not None:
        metrics, calibration = read.trained.metrics, read.trained.calibration
        summary = {**read.trained.summary, **summary, "inputs_version": read.inputs_version}
    return churn.ScoringResult(
        as_of=as_of,
        horizon_days=saved.horizon_days,
        model_version=saved.model_version,
        scores=scores,
        features=features,
        explanation=explanation,
        metrics=metrics,
        calibration=calibration,
        summary=summary,
        model=saved.model,
    )


def score_with(con: duckdb.DuckDBPyConnection, saved: SavedModel, as_of: dt.date) -> churn.ScoringResult:
    """:func:`read_rescoring` then :func:`score_rows` on one connection."""
    return score_rows(saved, read_rescoring(con, saved, as_of), as_of)


def scores_saved(con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon_days: int, model_version: str) -> int:
    """How many customers have saved scores of this scoring (as_of, horizon, model version)."""
    params = {"as_of": as_of, "horizon_days": int(horizon_days), "model_version": model_version}
    return int(warehouse.execute(con, "refresh_scores_saved", params).fetchone()[0])
