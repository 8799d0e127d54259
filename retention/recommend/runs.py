"""Saved recommender runs (the ``model_runs`` table), so variants can be compared across sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.recommend.metrics import METRIC_NAMES

if TYPE_CHECKING:  # the evaluation imports Surprise: listing runs does not need it
    from retention.recommend.evaluate import Evaluation

RUN_COLUMNS = ("run_id", "model", "params", "split", "k", "created_at", *METRIC_NAMES, "fit_seconds", "score_seconds")


@dataclass(frozen=True)
class SavedRun:
    """One row of ``model_runs`` with its JSON fields decoded."""

    run_id: int
    model: str
    params: dict
    split: dict
    k: int
    metrics: dict


def save_run(con: duckdb.DuckDBPyConnection, result: Evaluation) -> int:
    """Store one evaluation; returns its ``run_id``. ``created_at`` is the wall-clock time of saving."""
    row = warehouse.query(
        con,
        "recommend_insert_run",
        {
            "model": result.model,
            "params": json.dumps(result.params, sort_keys=True),
            "split": json.dumps(result.split, sort_keys=True),
            "k": result.k,
            "metrics": json.dumps(result.metrics),
            "fit_seconds": result.fit_seconds,
            "score_seconds": result.score_seconds,
            "created_at": pd.Timestamp.now().floor("s").to_pydatetime(),
        },
    )
    return int(row["run_id"].iloc[0])


def list_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved run, newest first.

    Returns
    -------
    DataFrame
        ``run_id`` (int), ``model`` (registry name), ``params`` and ``split``
        (JSON text), ``k`` (int), ``created_at`` (timestamp), one float column
        per metric of :data:`~retention.recommend.metrics.METRIC_NAMES` (NaN
        where it does not apply: rmse and mae for models that do not predict
        ratings; ranking metrics in [0, 1], novelty in bits), ``fit_seconds``
        and ``score_seconds`` (float seconds, means over folds).
    """
    runs = warehouse.query(con, "recommend_list_runs")
    decoded = pd.DataFrame([json.loads(text) for text in runs["metrics"]], columns=list(METRIC_NAMES), dtype=float)
    table = pd.concat([runs.drop(columns="metrics").reset_index(drop=True), decoded], axis=1)
    return table[list(RUN_COLUMNS)].astype({"run_id": "int64", "k": "int64"})


def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> SavedRun:
    """The saved run ``run_id``.

    Raises
    ------
    DataError
        No run has that id.
    """
    rows = warehouse.query(con, "recommend_get_run", {"run_id": int(run_id)})
    if rows.empty:
        raise DataError(f"no saved recommender run with id {run_id}; see the Recommenders page or list_runs")
    row = rows.iloc[0]
    return SavedRun(
        run_id=int(row["run_id"]),
        model=str(row["model"]),
        params=json.loads(row["params"]),
        split=json.loads(row["split"]),
        k=int(row["k"]),
        metrics=json.loads(row["metrics"]),
    )


def delete_runs(con: duckdb.DuckDBPyConnection, run_ids: Sequence[int]) -> None:
    """Delete the saved runs with these ids and their saved models (ids that do not exist are ignored)."""
    params = {"run_ids": [int(run_id) for run_id in run_ids]}
    with warehouse.transaction(con):
        warehouse.execute(con, "recommend_model_delete", params)
        warehouse.execute(con, "recommend_delete_runs", params)
