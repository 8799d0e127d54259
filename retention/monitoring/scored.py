"""The stored churn scorings that the model sections read, with what happened to their customers.

A *scoring* is the run stored in ``scores`` for one as-of date and horizon (of several runs at one date, the one
scored last). The model sections read the scorings with the horizon of the newest one (the horizon the shop scores
with), the newest :data:`MAX_SCORINGS` of them.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from retention import warehouse

MAX_SCORINGS = 24
RUNS_PART = {"runs": "monitoring_recent_runs"}  # the scorings each query reads
"""The newest scorings read (two years of monthly ones): each is a row per customer, and the scores table keeps
every scoring ever saved."""


def scorings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored scoring (see the module docstring), newest first.

    Returns
    -------
    DataFrame
        ``as_of`` (date), ``horizon_days`` (int), ``model_version``, ``scored_at`` (timestamp), ``customers``
        (int), ``mean_risk`` (in [0, 1]).
    """
    frame = warehouse.query(con, "monitoring_score_runs")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def watched_horizon(runs: pd.DataFrame) -> int | None:
    """The horizon of the newest scoring of :func:`scorings` (days), None without one."""
    return None if runs.empty else int(runs.sort_values(["as_of", "scored_at"]).iloc[-1]["horizon_days"])


def scored_outcomes(con: duckdb.DuckDBPyConnection, horizon_days: int) -> pd.DataFrame:
    """The customers of every scoring (the newest :data:`MAX_SCORINGS`) with this horizon and what happened to them.

    Returns
    -------
    DataFrame
        ``as_of`` (date), ``model_version``, ``user_id``, ``risk`` (in [0, 1]), ``recency_days`` (days since the
        last purchase at as_of), ``churned`` (bool, or NA while the horizon has not passed in the data); ordered
        by as_of and user_id.
    """
    params = {"horizon_days": int(horizon_days), "max_scorings": MAX_SCORINGS}
    frame = warehouse.query(con, "monitoring_scored_outcomes", params, parts=RUNS_PART)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["churned"] = frame["churned"].astype("boolean")
    return frame


def json_scalar(value: object) -> object:
    """A value of a frame as JSON takes it: dates as ISO text, numpy numbers as Python ones, missing as None."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if hasattr(value, "isoformat"):
        return str(value)
    return value.item() if isinstance(value, np.generic) else value


def json_records(frame: pd.DataFrame | None) -> list[dict]:
    """The rows of ``frame`` as JSON-safe dicts (see :func:`json_scalar`); none for None."""
    if frame is None:
        return []
    return [{key: json_scalar(value) for key, value in row.items()} for row in frame.to_dict("records")]
