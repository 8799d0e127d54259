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

from retention import churn, warehouse
from retention.errors import DataError


@dataclass(frozen=True)
class SavedModel:
    """A churn model kept by a refresh: its version, horizon, the date it was trained for (``as_of``), its
    newest labelled snapshot (``holdout_date``) and the ROC AUC measured there at training, in [0, 1]."""

    model_version: str
    horizon_days: int
    as_of: dt.date
    holdout_date: dt.date
    holdout_roc_auc: float
    model: churn.ChurnModel = field(repr=False)


def save_model(con: duckdb.DuckDBPyConnection, result: churn.ScoringResult) -> SavedModel:
    """Keep the model of a scoring run (with the holdout ROC AUC it was evaluated at) in ``churn_models``."""
    auc = float(result.metrics.set_index("metric").at["roc_auc", "model"])
    saved = SavedModel(
        model_version=result.model_version,
        horizon_days=int(result.horizon_days),
        as_of=result.as_of,
        holdout_date=pd.Timestamp(result.summary["holdout_date"]).date(),
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
    """The saved model's ROC AUC on the newest labelled snapshot (``as_of - horizon_days``), with that date.

    None when that snapshot is not newer than the model's own holdout (the model was trained on it, so its
    score there says nothing), or when its labels are of one class only (ROC AUC is undefined).
    """
    day = as_of - dt.timedelta(days=saved.horizon_days)
    if day <= saved.holdout_date:
        return None
    frame = churn.rows_at(churn.snapshot_features(con, [day], saved.horizon_days), [day])
    labelled = frame[frame["churned"].notna()]
    y = labelled["churned"].astype(bool).to_numpy().astype(np.int64)
    if len(np.unique(y)) < 2:
        return None
    return day, churn.roc_auc(y, saved.model.predict_risk(labelled))


def current_rows(con: duckdb.DuckDBPyConnection, saved: SavedModel, as_of: dt.date) -> pd.DataFrame:
    """The feature rows of every customer with a purchase up to ``as_of``, as the saved model scores them
    (read in a read session; :func:`score_rows` scores them with no connection open)."""
    return churn.rows_at(churn.snapshot_features(con, [as_of], saved.horizon_days), [as_of])


def score_rows(
    saved: SavedModel,
    current: pd.DataFrame,
    as_of: dt.date,
    *,
    trained: churn.ScoringResult | None = None,
    inputs_version: str | None = None,
) -> churn.ScoringResult:
    """Score the rows of :func:`current_rows` with the saved model, as :func:`retention.churn.score_customers`
    scores them (same columns, reasons and order). Opens no connection.

    The result has no holdout metrics of its own. Given ``trained``, the saved run that trained this model
    (:func:`retention.churn.training_run`), and the ``inputs_version`` the rows were read at, it carries that
    run's holdout metrics, calibration and summary (the model's quality, measured when it was trained for
    ``saved.as_of``), so that the At-risk page shows it without training again.

    Raises
    ------
    DataError
        No customer has a purchase up to ``as_of``.
    """
    if current.empty:
        raise DataError(f"no customer has a purchase up to {as_of}; nothing to score")
    scores, features, explanation = churn.rank_and_explain(
        saved.model, current, as_of, saved.horizon_days, saved.model_version
    )
    summary = {"as_of": str(as_of), "horizon_days": saved.horizon_days, "model_trained_for": str(saved.as_of)}
    metrics, calibration = pd.DataFrame(), pd.DataFrame()
    if trained is not None and trained.model_version == saved.model_version and inputs_version is not None:
        metrics, calibration = trained.metrics, trained.calibration
        summary = {**trained.summary, **summary, "inputs_version": inputs_version}
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
    """:func:`current_rows` then :func:`score_rows` on one connection."""
    return score_rows(saved, current_rows(con, saved, as_of), as_of)


def scores_saved(con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon_days: int, model_version: str) -> int:
    """How many customers have saved scores of this scoring (as_of, horizon, model version)."""
    params = {"as_of": as_of, "horizon_days": int(horizon_days), "model_version": model_version}
    return int(warehouse.execute(con, "refresh_scores_saved", params).fetchone()[0])
