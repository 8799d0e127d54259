"""Forecasts as jobs (see :mod:`retention.jobs`): their kind, parameters, the work with its progress, and the
result each records.

Cohort retention forecasts fit dozens of Prophet models (seconds to minutes), so the Forecast page runs them as
a job of the server and the ``forecast`` command records its run the same way. The parameters name the data
version the fit read, so a finished job of the same parameters *is* the forecast of the warehouse as it is:
its result holds the whole :class:`~retention.forecast.cohorts.CohortForecast` but the history (forecast,
next cohort, backtest points and summary, verdict, messages; tens of kilobytes of JSON for the usual dozen
cohorts), and a page reload, a second browser or a restarted server shows it without fitting again. The
history is left out because it is the cohort table's, which the page reads (cached) anyway.

The progress is one step per Prophet model fitted: the forecasts, the next cohort's periods and the backtest
folds. The warehouse is read once, before the fits, in a session that is closed while they run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import asdict
from typing import Any

import pandas as pd

from retention import jobs, warehouse
from retention.forecast import backtest, cohorts, models

KIND = "forecast"
COHORT_RETENTION = "cohort_retention"


def job_params(
    *,
    metric: str,
    period: str,
    horizon: int,
    settings: models.Settings,
    cohort_starts: Sequence[pd.Timestamp] | None,
    data_version: str,
) -> dict[str, object]:
    """The job's parameters: ``metric`` (an activity metric or ``cohort_retention``), ``period``, ``horizon``,
    ``settings`` (the model options), ``cohorts`` (ISO dates, or None for every cohort) and ``data_version``
    (the warehouse's data the fit reads)."""
    return {
        "metric": metric,
        "period": period,
        "horizon": int(horizon),
        "settings": asdict(settings),
        "cohorts": None if cohort_starts is None else [f"{pd.Timestamp(day):%Y-%m-%d}" for day in cohort_starts],
        "data_version": data_version,
    }


def fit_cohorts(
    path: str | os.PathLike, params: dict[str, Any], progress: jobs.Progress, *, executor: Executor | None = None
) -> cohorts.CohortForecast:
    """The cohort retention forecast that ``params`` (see :func:`job_params`) describe, reporting each fit."""
    from retention.cohorts import cohort_table

    period = params["period"]
    progress(0.0, "Reading the cohort table")
    with warehouse.session(path) as con:  # closed before the fits: a job never holds the file while it computes
        table = cohort_table(con, period=period)

    def fitted(done: int, total: int) -> None:
        progress(done / total, f"Fitted {done} of {total} Prophet models (forecasts and backtest)")

    chosen = params["cohorts"]
    return cohorts.forecast_cohort_retention(
        table,
        period=period,
        horizon=params["horizon"],
        settings=models.Settings(**params["settings"]),
        cohorts=None if chosen is None else [pd.Timestamp(day) for day in chosen],
        executor=executor,
        progress=fitted,
    )


def job_result(result: cohorts.CohortForecast) -> dict[str, object]:
    """What a cohort forecast job records: every part of ``result`` but its history (see the module docstring)."""
    return {
        "period": result.period,
        "forecast": jobs.frame_json(result.forecast),
        "next_cohort": jobs.frame_json(result.next_cohort),
        "backtest": {
            "points": jobs.frame_json(result.backtest.points),
            "summary": jobs.frame_json(result.backtest.summary),
            "verdict": result.backtest.verdict,
            "horizon": int(result.backtest.horizon),
        },
        "messages": list(result.messages),
        "scale": result.scale,
    }


def from_result(result: dict[str, Any], history: pd.DataFrame) -> cohorts.CohortForecast:
    """The :class:`~retention.forecast.cohorts.CohortForecast` a job recorded (see :func:`job_result`), with the
    ``history`` of :func:`retention.forecast.cohorts.retention_history` at the job's data version."""
    tested = result["backtest"]
    return cohorts.CohortForecast(
        period=result["period"],
        history=history,
        forecast=jobs.json_frame(result["forecast"]),
        next_cohort=jobs.json_frame(result["next_cohort"]),
        backtest=backtest.Backtest(
            points=jobs.json_frame(tested["points"]),
            summary=jobs.json_frame(tested["summary"]),
            verdict=tested["verdict"],
            horizon=int(tested["horizon"]),
        ),
        messages=tuple(result["messages"]),
        scale=result["scale"],
    )


def activity_result(result: Any) -> dict[str, object]:
    """What an activity forecast job records (the ``forecast`` command): the model, rows forecast and verdict."""
    return {
        "metric": result.metric,
        "model": result.forecast.model,
        "rows": int(len(result.forecast.frame)),
        "verdict": result.backtest.verdict,
        "messages": list(result.messages),
    }
