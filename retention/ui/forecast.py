"""Forecasts for the Forecast page: activity forecasts cached on (warehouse path, data version, query,
settings), cohort forecasts as jobs of the server.

The model options arrive as one frozen :class:`models.Settings`, which is part of the cache key.
Cohort forecasts fit dozens of Prophet models, so they run as a job (see :mod:`retention.forecast.job`) in one
pool of worker processes kept for the whole server; the job's row keeps the result, so a reload, another
browser or a restarted server shows it without fitting again. An activity forecast is one series' fit and
backtest (seconds): it stays a cached read with a spinner.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import streamlit as st

from retention import jobs
from retention.forecast import activity, backtest, cohorts, models, parallel
from retention.forecast import job as forecast_job
from retention.ui import jobs as ui_jobs
from retention.ui.common import cursor, readable


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


@st.cache_data(show_spinner="Fitting Prophet and backtesting it…")
def activity_forecast(
    path: str, version: str, *, metric: str, period: str, horizon: int, settings: models.Settings
) -> activity.ActivityForecast:
    """One activity metric's forecast and backtest (see :func:`activity.forecast_activity`)."""
    with cursor() as con:
        return activity.forecast_activity(con, metric=metric, period=period, horizon=horizon, settings=settings)


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


def start_cohort_forecast(path: str, params: dict[str, object]) -> jobs.Job:
    """Start the job that fits the cohort forecasts of ``params`` (see :func:`forecast_job.job_params`) in the
    server's worker processes, or find the one already running for them. Returns its row."""
    pool = _process_pool()  # taken here, in the script's thread: a cached resource belongs to a session's run

    def work(progress: jobs.Progress) -> cohorts.CohortForecast:
        return forecast_job.fit_cohorts(path, params, progress, executor=pool)

    return jobs.start(path, forecast_job.KIND, params, work, started_by="app", describe=forecast_job.job_result)


@st.cache_data(show_spinner=False, max_entries=16)
def finished_cohort_forecast(path: str, version: str, job_id: int, period: str) -> cohorts.CohortForecast:
    """The cohort forecast the finished job ``job_id`` recorded, with the history at ``version`` (its data
    version). A finished job's row never changes, so its id is key enough."""
    found = ui_jobs.job(job_id)
    return forecast_job.from_result(found.result, cohort_history(path, version, period=period))


def cohort_forecast_or_progress(
    path: str,
    version: str,
    *,
    period: str,
    horizon: int,
    cohort_starts: tuple[pd.Timestamp, ...],
    settings: models.Settings,
    start: bool,
) -> cohorts.CohortForecast | None:
    """Cohort retention forecasts (see :func:`cohorts.forecast_cohort_retention`) of the data at ``version``, when
    a job has fitted them; else None, having shown the job that fits them (started here when none ran for these
    settings and ``start`` is set; without it, a line saying how to start one) or the error of the last one,
    with a button to fit again.

    Every session finds the same job: one running shows its progress, one done shows its saved result without
    fitting again (after a reload, in another browser, after a server restart). Raises ``RetentionError`` when
    the job cannot be started or read.
    """
    ui_jobs.server_started()
    params = forecast_job.job_params(
        metric=forecast_job.COHORT_RETENTION,
        period=period,
        horizon=horizon,
        settings=settings,
        cohort_starts=cohort_starts,
        data_version=version,
    )
    with cursor() as con:
        job = jobs.latest(con, forecast_job.KIND, params)
    if job is None and not start:
        st.info(f"Switch on **Fit the cohort forecasts** to forecast {len(cohort_starts)} cohorts and the next one.")
        return None
    if job is None:
        job = start_cohort_forecast(path, params)
    if job.running:
        ui_jobs.progress(job.job_id)
        return None
    if job.status == "done":
        return finished_cohort_forecast(path, version, job.job_id, period)
    st.error(readable(job.error or "the forecast failed"))
    if st.button("Fit again", icon=":material/refresh:", key="forecast-fit-again"):
        start_cohort_forecast(path, params)
        st.rerun()
    return None


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
