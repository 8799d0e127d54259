"""Cached forecasts for the Forecast page, keyed on (warehouse path, data version, query, settings).

The model options arrive as one frozen :class:`models.Settings`, which is part of the cache key.
Cohort forecasts fit in one pool of worker processes kept for the whole server.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import streamlit as st

from retention.forecast import activity, backtest, cohorts, models, parallel
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


@st.cache_data(show_spinner=False)
def _cohort_forecast(
    path: str,
    version: str,
    *,
    period: str,
    horizon: int,
    cohort_starts: tuple[pd.Timestamp, ...],
    settings: models.Settings,
    _progress: Callable[[int, int], None] | None = None,
) -> cohorts.CohortForecast:
    with cursor() as con:
        return cohorts.cohort_retention_forecast(
            con,
            period=period,
            horizon=horizon,
            settings=settings,
            cohorts=list(cohort_starts),
            executor=_process_pool(),
            progress=_progress,
        )


def cohort_forecast(
    path: str,
    version: str,
    *,
    period: str,
    horizon: int,
    cohort_starts: tuple[pd.Timestamp, ...],
    settings: models.Settings,
) -> cohorts.CohortForecast:
    """Cohort retention forecasts (see :func:`cohorts.cohort_retention_forecast`), fitted in the server's worker
    processes, with a progress bar while the Prophet fits run (none when cached)."""
    bar = st.empty()

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Fitted {done} of {total} Prophet models (forecasts and backtest)")

    try:
        return _cohort_forecast(
            path,
            version,
            period=period,
            horizon=horizon,
            cohort_starts=cohort_starts,
            settings=settings,
            _progress=progress,
        )
    finally:
        bar.empty()


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
