"""Forecasts as jobs (see :mod:`retention.jobs`): their kind, parameters, the work with its progress, and the
result each records.

A forecast fits Prophet models: one per series and per backtest origin (an activity metric: a handful, seconds;
cohort retention: dozens, up to minutes). The Forecast page runs each as a job of the server and the
``forecast`` command records its run the same way. The parameters name the data version the fit read, so a
finished job of the same parameters *is* the forecast of the warehouse as it is: its result holds the whole
forecast (frames as JSON: tens of kilobytes for the usual dozen cohorts or a two-year weekly series), and a
page reload, a second browser or a restarted server shows it without fitting again. A cohort forecast leaves
its history out: it is the cohort table's, which the page reads (cached) anyway.

The progress is one step per Prophet model fitted. The warehouse is read once, before the fits, in a session
that is closed while they run (a job never holds the file while it computes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict
from typing import Any

import pandas as pd

from retention import jobs, warehouse
from retention.forecast import activity, backtest, cohorts, models, series

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
    (`warehouse.imports_version`: the imported data the fit reads)."""
    return {
        "metric": metric,
        "period": period,
        "horizon": int(horizon),
        "settings": asdict(settings),
        "cohorts": None if cohort_starts is None else [f"{pd.Timestamp(day):%Y-%m-%d}" for day in cohort_starts],
        "data_version": data_version,
    }


def fitted(progress: jobs.Progress) -> Callable[[int, int], None]:
    """A forecast's ``progress(done, total)`` callback that tells a job's ``progress`` of each Prophet fit."""

    def told(done: int, total: int) -> None:
        progress(done / total, f"Fitted {done} of {total} Prophet models (forecasts and backtest)")

    return told


def fit(
    path: str | os.PathLike, params: dict[str, Any], progress: jobs.Progress, *, executor: Executor | None = None
) -> cohorts.CohortForecast | activity.ActivityForecast:
    """The forecast that ``params`` (see :func:`job_params`) describe, reporting each Prophet fit; cohort fits go
    to ``executor`` (see :mod:`retention.forecast.parallel`)."""
    from retention.cohorts import cohort_table

    metric, period = params["metric"], params["period"]
    settings = models.Settings(**params["settings"])
    if metric != COHORT_RETENTION:
        progress(0.0, "Reading the activity")
        with warehouse.session(path) as con:
            table = activity.activity_table(con, period=period)
        return activity.forecast_activity_table(
            table, metric=metric, period=period, horizon=params["horizon"], settings=settings, progress=fitted(progress)
        )
    progress(0.0, "Reading the cohort table")
    with warehouse.session(path) as con:
        table = cohort_table(con, period=period)
    chosen = params["cohorts"]
    return cohorts.forecast_cohort_retention(
        table,
        period=period,
        horizon=params["horizon"],
        settings=settings,
        cohorts=None if chosen is None else [pd.Timestamp(day) for day in chosen],
        executor=executor,
        progress=fitted(progress),
    )


def _backtest_json(tested: backtest.Backtest) -> dict[str, object]:
    return {
        "points": jobs.frame_json(tested.points),
        "summary": jobs.frame_json(tested.summary),
        "verdict": tested.verdict,
        "horizon": int(tested.horizon),
    }


def _json_backtest(saved: dict[str, Any]) -> backtest.Backtest:
    return backtest.Backtest(
        points=jobs.json_frame(saved["points"]),
        summary=jobs.json_frame(saved["summary"]),
        verdict=saved["verdict"],
        horizon=int(saved["horizon"]),
    )


def job_result(result: cohorts.CohortForecast | activity.ActivityForecast) -> dict[str, object]:
    """What a forecast job records: every part of ``result`` (a cohort forecast's history aside)."""
    if isinstance(result, activity.ActivityForecast):
        return {
            "metric": result.metric,
            "period": result.period,
            "history": jobs.frame_json(result.history),
            "forecast": {
                "frame": jobs.frame_json(result.forecast.frame),
                "model": result.forecast.model,
                "messages": list(result.forecast.messages),
                "components": jobs.frame_json(result.forecast.components),
            },
            "backtest": _backtest_json(result.backtest),
        }
    return {
        "metric": COHORT_RETENTION,
        "period": result.period,
        "forecast": jobs.frame_json(result.forecast),
        "next_cohort": jobs.frame_json(result.next_cohort),
        "backtest": _backtest_json(result.backtest),
        "messages": list(result.messages),
        "scale": result.scale,
    }


def from_result(
    result: dict[str, Any], history: pd.DataFrame | None = None
) -> cohorts.CohortForecast | activity.ActivityForecast:
    """The forecast a job recorded (see :func:`job_result`); a cohort forecast takes the ``history`` of
    :func:`retention.forecast.cohorts.retention_history` at the job's data version."""
    if result["metric"] != COHORT_RETENTION:
        saved = result["forecast"]
        forecast = series.Forecast(
            frame=jobs.json_frame(saved["frame"]),
            model=saved["model"],
            messages=tuple(saved["messages"]),
            components=jobs.json_frame(saved["components"]),
        )
        return activity.ActivityForecast(
            result["metric"],
            result["period"],
            jobs.json_frame(result["history"]),
            forecast,
            _json_backtest(result["backtest"]),
        )
    return cohorts.CohortForecast(
        period=result["period"],
        history=history,
        forecast=jobs.json_frame(result["forecast"]),
        next_cohort=jobs.json_frame(result["next_cohort"]),
        backtest=_json_backtest(result["backtest"]),
        messages=tuple(result["messages"]),
        scale=result["scale"],
    )
