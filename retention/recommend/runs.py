"""Saved recommender runs (the ``model_runs`` table), so variants can be compared across sessions.

A run keeps its metrics, the 95% intervals of its ranking metrics and its metrics by slice of customers (JSON in
``model_runs``), and its per-customer ranking metrics (a Parquet blob in ``model_run_users``) for paired
comparisons with the other runs of its group (see :mod:`retention.recommend.board`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.recommend import board
from retention.recommend.metrics import METRIC_NAMES, RANKING_METRICS
from retention.recommend.modes import DISCOVERY, MODE_NAMES

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
    *(f"{metric}_{end}" for metric in RANKING_METRICS for end in ("low", "high")),
    "slices",
    "group",
    "group_label",
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


def run_name(label: str, params: Mapping[str, object], defaults: Mapping[str, object], mode: str = DISCOVERY) -> str:
    """A readable name for a run of the model ``label``: the label, then the hyperparameters that differ from
    ``defaults``, then the evaluation mode when it is not discovery ("SVD (matrix factorisation) · n_factors=20,
    reg_all=0.1 · repeat-aware"), so that runs of one model in the two modes read apart."""
    changed = [f"{key}={value}" for key, value in params.items() if defaults.get(key) != value]
    parts = [label, ", ".join(changed), MODE_NAMES[mode] if mode != DISCOVERY else ""]
    return " · ".join(part for part in parts if part)


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
    name) and the feedback ``data_version`` it was evaluated on, with its intervals, its metrics by slice of
    customers (:func:`run_slices`) and its per-customer metrics; returns its ``run_id``. ``created_at`` is the
    wall-clock time of saving."""
    with warehouse.transaction(con):
        run_id = _insert_run(con, result, name, data_version)
        if result.user_metrics is not None:
            params = {"run_id": run_id, "metrics": parquet(result.user_metrics)}
            warehouse.execute(con, "recommend_run_users_save", params)
    return run_id


def _insert_run(con: duckdb.DuckDBPyConnection, result: Evaluation, name: str | None, data_version: str | None) -> int:
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
            "intervals": json.dumps(result.intervals),
            "slices": json.dumps(run_slices(con, result.user_metrics)),
        },
    )
    return int(row["run_id"].iloc[0])


def run_slices(con: duckdb.DuckDBPyConnection, user_metrics: pd.DataFrame | None) -> dict:
    """The ranking metrics of ``user_metrics`` by slice of customers (:func:`retention.recommend.board.slices`),
    with the country and channel of the warehouse's users table."""
    if user_metrics is None:
        return {}
    return board.slices(user_metrics, warehouse.query(con, "recommend_user_attributes"))


def parquet(frame: pd.DataFrame) -> bytes:
    """``frame`` as Parquet bytes (no index)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def user_metrics(con: duckdb.DuckDBPyConnection, run_ids: Sequence[int]) -> dict[int, pd.DataFrame]:
    """Run id -> its per-customer metrics (``user_id``, ``train_items`` and a float column per ranking metric),
    for the runs of ``run_ids`` that were saved with them."""
    rows = warehouse.query(con, "recommend_run_users", {"run_ids": [int(run_id) for run_id in run_ids]})
    return {
        int(run_id): pd.read_parquet(io.BytesIO(bytes(blob)), engine="pyarrow")
        for run_id, blob in zip(rows["run_id"], rows["metrics"], strict=True)
    }


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
        and ``score_seconds`` (float seconds, means over folds), ``<metric>_low`` and ``<metric>_high`` per ranking
        metric (its 95% interval; NaN for runs saved before intervals were kept), ``slices`` (JSON text: slice ->
        ``{"users": n, metric: value}``; None when not kept), ``group`` and ``group_label`` (the comparable group,
        see :func:`retention.recommend.board.with_groups`).
    """
    runs = warehouse.query(con, "recommend_list_runs")
    runs["name"] = runs["name"].fillna(runs["model"] + " #" + runs["run_id"].astype(str))  # saved before names
    decoded = pd.DataFrame([json.loads(text) for text in runs["metrics"]], columns=list(METRIC_NAMES), dtype=float)
    bounds = [json.loads(text) if isinstance(text, str) else {} for text in runs["intervals"]]
    ends = {
        f"{metric}_{end}": [interval.get(metric, [None, None])[position] for interval in bounds]
        for metric in RANKING_METRICS
        for position, end in enumerate(("low", "high"))
    }
    table = pd.concat(
        [runs.drop(columns=["metrics", "intervals"]).reset_index(drop=True), decoded, pd.DataFrame(ends, dtype=float)],
        axis=1,
    )
    if table.empty:
        return pd.DataFrame(columns=list(RUN_COLUMNS)).astype({"run_id": "int64", "k": "int64"})
    table = board.with_groups(table.astype({"run_id": "int64", "k": "int64"}))
    return table[list(RUN_COLUMNS)]


def group_runs(runs: pd.DataFrame, run_id: int | None = None) -> pd.DataFrame:
    """The runs of ``runs`` (as :func:`list_runs` returns them) in the group of run ``run_id`` (default: the newest
    run), newest first.

    Raises
    ------
    DataError
        No run has that id.
    """
    if run_id is None:
        run_id = int(runs["run_id"].max()) if not runs.empty else None
    chosen = runs[runs["run_id"] == run_id]
    if chosen.empty:
        raise DataError(f"no saved recommender run with id {run_id}; see the Recommenders page or list_runs")
    return runs[runs["group"] == chosen["group"].iloc[0]]


def families() -> dict[str, str]:
    """Registry name -> family (``'baseline'`` marks a baseline) of every registered model."""
    from retention.recommend.models import MODELS  # the registry imports Surprise: only where verdicts are asked for

    return {name: spec.family for name, spec in MODELS.items()}


def group_verdicts(
    con: duckdb.DuckDBPyConnection, group: pd.DataFrame, model_families: Mapping[str, str] | None = None
) -> list[board.Verdict]:
    """The verdicts of one group's chosen run (:func:`retention.recommend.board.verdicts`), with the per-customer
    metrics read from the warehouse; ``model_families``: model -> registry family (default: :func:`families`)."""
    model_families = families() if model_families is None else model_families
    return board.verdicts(group, user_metrics(con, group["run_id"].tolist()), model_families)


def _number(value: object) -> float | None:
    return None if pd.isna(value) else float(value)


def run_record(run: Mapping[str, object]) -> dict:
    """One row of :func:`list_runs` as a JSON-able dict: ``run_id``, ``name``, ``model``, ``params`` (dict),
    ``k``, ``created_at`` (ISO text), every metric (None where it does not apply), ``fit_seconds``,
    ``score_seconds``, ``intervals`` (ranking metric -> [low, high]; only those kept) and ``slices`` (dict)."""
    intervals = {
        metric: [_number(run[f"{metric}_low"]), _number(run[f"{metric}_high"])]
        for metric in RANKING_METRICS
        if pd.notna(run[f"{metric}_low"])
    }
    return {
        "run_id": int(run["run_id"]),
        "name": str(run["name"]),
        "model": str(run["model"]),
        "params": json.loads(str(run["params"])),
        "k": int(run["k"]),
        "created_at": pd.Timestamp(run["created_at"]).isoformat(),
        **{metric: _number(run[metric]) for metric in METRIC_NAMES},
        "fit_seconds": _number(run["fit_seconds"]),
        "score_seconds": _number(run["score_seconds"]),
        "intervals": intervals,
        "slices": json.loads(run["slices"]) if isinstance(run["slices"], str) else {},
    }


def group_report(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> dict:
    """The group of run ``run_id`` (default: the newest run's) as JSON-able dict: ``group`` (its label), ``runs``
    (:func:`run_record` of each, best NDCG first), ``verdicts`` (:meth:`retention.recommend.board.Verdict.as_record`)
    and ``other_groups`` (label of every other group, newest first).

    Raises
    ------
    DataError
        No saved run, or no run with that id.
    """
    table = list_runs(con)
    if table.empty:
        raise DataError("no saved recommender runs yet; run `recommenders compare` first")
    group = group_runs(table, run_id).sort_values(["ndcg_at_k", "run_id"], ascending=False)
    labels = board.groups(table)
    key = group["group"].iloc[0]
    return {
        "group": labels[key],
        "runs": [run_record(row) for row in group.to_dict("records")],
        "verdicts": [verdict.as_record() for verdict in group_verdicts(con, group)],
        "other_groups": [label for other, label in labels.items() if other != key],
    }


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
