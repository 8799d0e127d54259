"""Saved recommender runs (the ``model_runs`` table), so variants can be compared across sessions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.recommend.metrics import METRIC_NAMES

if TYPE_CHECKING:  # the evaluation imports Surprise: listing runs does not need it
    from retention.recommend.evaluate import Evaluation

RUN_COLUMNS = (
    "run_id",
    "name",
    "model",
    "params",
    "split",
    "k",
    "created_at",
    "data_version",
    *METRIC_NAMES,
    "fit_seconds",
    "score_seconds",
)


@dataclass(frozen=True)
class SavedRun:
    """One row of ``model_runs`` with its JSON fields decoded."""

    run_id: int
    name: str
    model: str
    params: dict
    split: dict
    k: int
    metrics: dict


def run_name(label: str, params: Mapping[str, object], defaults: Mapping[str, object]) -> str:
    """A readable name for a run of the model ``label``: the label, then the hyperparameters that differ from
    ``defaults`` ("SVD (matrix factorisation) · n_factors=20, reg_all=0.1")."""
    changed = [f"{key}={value}" for key, value in params.items() if defaults.get(key) != value]
    return f"{label} · {', '.join(changed)}" if changed else label


def unique_name(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``name``, or ``name #2``, ``name #3``... when a saved run already has it, so that every run reads apart."""
    taken = set(warehouse.query(con, "recommend_run_names")["name"])
    if name not in taken:
        return name
    return next(f"{name} #{number}" for number in range(2, len(taken) + 3) if f"{name} #{number}" not in taken)


def save_run(
    con: duckdb.DuckDBPyConnection, result: Evaluation, name: str | None = None, data_version: str | None = None
) -> int:
    """Store one evaluation under ``name`` (made unique with :func:`unique_name`; default: the model's registry
    name) and the feedback ``data_version`` it was evaluated on; returns its ``run_id``. ``created_at`` is the
    wall-clock time of saving."""
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
            "name": unique_name(con, name or result.model),
            "data_version": data_version,
        },
    )
    return int(row["run_id"].iloc[0])


def list_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved run, newest first.

    Returns
    -------
    DataFrame
        ``run_id`` (int), ``name`` (readable, unique), ``model`` (registry name), ``params`` and ``split``
        (JSON text), ``k`` (int), ``created_at`` (timestamp), ``data_version`` (the feedback version it was
        evaluated on; None for runs saved before versions were kept), one float column
        per metric of :data:`~retention.recommend.metrics.METRIC_NAMES` (NaN
        where it does not apply: rmse and mae for models that do not predict
        ratings; ranking metrics in [0, 1], novelty in bits), ``fit_seconds``
        and ``score_seconds`` (float seconds, means over folds).
    """
    runs = warehouse.query(con, "recommend_list_runs")
    runs["name"] = runs["name"].fillna(runs["model"] + " #" + runs["run_id"].astype(str))  # saved before names
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
        name=str(row["name"]) if pd.notna(row["name"]) else f"{row['model']} #{row['run_id']}",
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
        warehouse.execute(con, "recommend_run_users_delete", params)
        warehouse.execute(con, "recommend_delete_runs", params)
