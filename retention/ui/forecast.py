"""Forecasts for the Forecast page, fitted as jobs of the server; cached reads keyed on (warehouse path, data
version, ...).

A forecast fits Prophet models (seconds for an activity metric, up to minutes for cohorts), so it runs as a job
(see :mod:`retention.forecast.job`): the page shows its progress and stays usable, and the job's row keeps the
result, so a reload, another browser or a restarted server shows it without fitting again. The model options
arrive as one frozen :class:`models.Settings`, part of the job's parameters. Cohort forecasts fit in one pool
of worker processes kept for the whole server.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import streamlit as st

from retention import jobs, warehouse
from retention.forecast import activity, backtest, cohorts, models, parallel
from retention.forecast import job as forecast_job
from retention.ui import jobs as ui_jobs
from retention.ui.common import cursor


def backtest_columns(*, retention: bool = False) -> dict:
    """Labels and formats of the backtest summary; with ``retention`` the MAE is in percentage points."""
    mae = (
        st.column_config.NumberColumn("MAE", format="percent", help="Mean absolute error, in percentage points")
        if retention
        else st.column_config.NumberColumn("MAE", format="%.4g", help="Mean absolute error, in the series' unit")
    )
    return {
        "model": st.column_config.TextColumn("Model"),
        "origins": st.column_config.NumberColumn(
            "Origins", help="Forecast origins rolled back from the end of history"
        ),
        "points": st.column_config.NumberColumn("Held-out periods"),
        "mae": mae,
        "mape": st.column_config.NumberColumn("MAPE", format="percent", help="– when an actual value is 0"),
        "smape": st.column_config.NumberColumn("sMAPE", format="percent", help="Symmetric MAPE, from 0% to 200%"),
        "coverage": st.column_config.NumberColumn("80% interval coverage", format="percent"),
    }


def next_cohort_columns(period: str) -> dict:
    """Labels and formats of the next cohort's forecast table (retention as percentages, dates without times)."""
    return {
        "cohort": st.column_config.DateColumn("Cohort"),
        "period": st.column_config.NumberColumn(f"{period.capitalize()}s since first purchase", format="%d"),
        "ds": st.column_config.DateColumn(f"{period.capitalize()} starting"),
        "yhat": st.column_config.NumberColumn("Forecast retention", format="percent"),
        "yhat_lower": st.column_config.NumberColumn("80% low", format="percent"),
        "yhat_upper": st.column_config.NumberColumn("80% high", format="percent"),
        "model": st.column_config.TextColumn("Model"),
        "interval_note": st.column_config.TextColumn("Why no interval", help="Empty when the row has its interval"),
    }


@st.cache_data(show_spinner=False)
def cohort_history(path: str, version: str, *, period: str) -> pd.DataFrame:
    """Complete retention cells of periods 1+ (see :func:`cohorts.retention_history`)."""
    from retention.cohorts import cohort_table

    with cursor() as con:
        return cohorts.retention_history(cohort_table(con, period=period), period=period)


def _release_pool(pool: ProcessPoolExecutor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)


@st.cache_resource(show_spinner=False, validate=parallel.usable, on_release=_release_pool)
def _process_pool() -> ProcessPoolExecutor:
    """One pool of worker processes for the whole server (one per CPU core; starting them costs seconds).

    A pool that a dead worker broke fails validation and is replaced on the next call.
    """
    return parallel.process_pool()


def start_forecast(path: str, params: dict[str, object]) -> jobs.Job:
    """Start the job that fits the forecast of ``params`` (see :func:`forecast_job.job_params`; cohort fits in
    the server's worker processes), or find the one already running for them. Returns its row."""
    # Taken here, in the script's thread: a cached resource belongs to a session's run.
    pool = _process_pool() if params["metric"] == forecast_job.COHORT_RETENTION else None

    def work(progress: jobs.Progress) -> cohorts.CohortForecast | activity.ActivityForecast:
        return forecast_job.fit(path, params, progress, executor=pool)

    return jobs.start(path, forecast_job.KIND, params, work, started_by="app", describe=forecast_job.job_result)


@st.cache_data(show_spinner=False, max_entries=16)
def finished_forecast(
    path: str, version: str, job_id: int, period: str
) -> cohorts.CohortForecast | activity.ActivityForecast:
    """The forecast the finished job ``job_id`` recorded; a cohort forecast with the history at ``version`` (its
    data version). A finished job's row never changes, so its id is key enough."""
    result = ui_jobs.job(job_id).result
    if result["metric"] != forecast_job.COHORT_RETENTION:
        return forecast_job.from_result(result)
    return forecast_job.from_result(result, cohort_history(path, version, period=period))


def forecast_or_progress(
    path: str,
    version: str,
    *,
    metric: str,
    period: str,
    horizon: int,
    settings: models.Settings,
    cohort_starts: tuple[pd.Timestamp, ...] | None = None,
    idle: str | None = None,
) -> cohorts.CohortForecast | activity.ActivityForecast | None:
    """The forecast of ``metric`` (an activity metric, or ``cohort_retention`` of ``cohort_starts``) of the data
    at ``version``, when a job has fitted it; else None, having shown the job that fits it (started here when none
    ran for these settings, unless ``idle`` is given: then that line instead) or the error of the last one, with
    a button to fit again.

    Every session finds the same job: one running shows its progress, one done shows its saved result without
    fitting again (after a reload, in another browser, after a server restart). Raises ``RetentionError`` when
    the job cannot be started or read.
    """
    ui_jobs.server_started()
    with cursor() as con:
        params = forecast_job.job_params(
            metric=metric,
            period=period,
            horizon=horizon,
            settings=settings,
            cohort_starts=cohort_starts,
            data_version=warehouse.imports_version(con),  # scores, runs and campaigns do not change a forecast
        )
        job = jobs.latest(con, forecast_job.KIND, params)
    if job is None and idle:
        st.info(idle)
        return None
    if job is None:
        job = start_forecast(path, params)
    if not ui_jobs.done_or_shown(
        job, again="Fit again", key="forecast-fit-again", restart=lambda: start_forecast(path, params)
    ):
        return None
    return finished_forecast(path, version, job.job_id, period)


@st.cache_data(show_spinner=False)
def cohort_choices(path: str, version: str, *, period: str) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """Every cohort with retention history, and the ones selected by default."""
    history = cohort_history(path, version, period=period)
    return cohorts.cohort_choices(history), cohorts.default_cohorts(history)


def show_verdict(tested: backtest.Backtest) -> None:
    """The backtest verdict: green when Prophet won on enough held-out periods, yellow when it lost, blue otherwise."""
    if tested.prophet_won and tested.enough_points:
        st.success(tested.verdict, icon=":material/check_circle:")
    elif tested.prophet_won is False:
        st.warning(tested.verdict, icon=":material/warning:")
    else:
        st.info(tested.verdict)
