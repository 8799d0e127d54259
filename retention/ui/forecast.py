"""Cached forecasts for the Forecast page, keyed on (warehouse path, data version, settings)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention.forecast import activity, backtest, cohorts, models
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
    }


@st.cache_data(show_spinner="Fitting Prophet and backtesting it…")
def activity_forecast(
    path: str,
    version: str,
    *,
    metric: str,
    period: str,
    horizon: int,
    yearly: str,
    holidays: str | None,
    changepoint_prior: float,
) -> activity.ActivityForecast:
    settings = models.Settings(yearly=yearly, holidays=holidays, changepoint_prior_scale=changepoint_prior)
    with cursor() as con:
        return activity.forecast_activity(con, metric=metric, period=period, horizon=horizon, settings=settings)


@st.cache_data(show_spinner=False)
def cohort_history(path: str, version: str, *, period: str) -> pd.DataFrame:
    """Complete retention cells of periods 1+ (see :func:`cohorts.retention_history`)."""
    from retention.cohorts import cohort_table

    with cursor() as con:
        return cohorts.retention_history(cohort_table(con, period=period), period=period)


@st.cache_data(show_spinner=False)
def _cohort_forecast(
    path: str,
    version: str,
    *,
    period: str,
    horizon: int,
    cohort_starts: tuple[pd.Timestamp, ...],
    yearly: str,
    holidays: str | None,
    changepoint_prior: float,
    _progress: Callable[[int, int], None] | None = None,
) -> cohorts.CohortForecast:
    settings = models.Settings(yearly=yearly, holidays=holidays, changepoint_prior_scale=changepoint_prior)
    with cursor() as con:
        return cohorts.cohort_retention_forecast(
            con, period=period, horizon=horizon, settings=settings, cohorts=list(cohort_starts), progress=_progress
        )


def cohort_forecast(path: str, version: str, **settings) -> cohorts.CohortForecast:
    """Cohort retention forecasts with a progress bar while the Prophet fits run (none when cached)."""
    bar = st.empty()

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Fitted {done} of {total} Prophet models (forecasts and backtest)")

    try:
        return _cohort_forecast(path, version, **settings, _progress=progress)
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
