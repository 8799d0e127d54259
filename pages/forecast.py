"""Forecast: where activity and cohort retention are heading, and whether Prophet beats a naive guess."""

import streamlit as st

from retention.charts import forecast as charts
from retention.forecast import ACTIVITY_METRICS, MAX_HORIZON, PERIOD_SPECS, YEARLY, Settings, for_export
from retention.ui import annotations, common
from retention.ui import forecast as cached

COHORT_RETENTION = "Cohort retention"
TARGETS = {spec.label: name for name, spec in ACTIVITY_METRICS.items()} | {COHORT_RETENTION: "cohort_retention"}
HOLIDAY_COUNTRIES = ["No holidays", "UK", "US", "DE", "FR", "NL", "ES", "IT", "IE", "AU", "CA"]
CHANGEPOINT_PRIORS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]

common.page_header(
    "Forecast", "Where customers, revenue and cohort retention are heading, and whether Prophet beats a naive guess."
)

controls = st.columns([2, 1, 1])
target = controls[0].selectbox("Forecast", list(TARGETS))
period = controls[1].radio("Period", list(PERIOD_SPECS), horizontal=True, format_func=str.capitalize)
horizon = controls[2].number_input(
    f"Horizon ({period}s)", min_value=1, max_value=MAX_HORIZON, value=12 if period == "week" else 6, key=f"h-{period}"
)
with st.expander("Model options"):
    options = st.columns(3)
    yearly = options[0].radio(
        "Yearly seasonality", YEARLY, horizontal=True, help="auto: on when there are two full years of history"
    )
    country = options[1].selectbox("Country holidays", HOLIDAY_COUNTRIES, help="Prophet's built-in holiday lists")
    changepoint_prior = options[2].select_slider(
        "Trend flexibility", CHANGEPOINT_PRIORS, value=0.05, help="Prophet's changepoint prior scale: larger bends more"
    )
path = common.db_path()
settings = common.attempt(
    Settings,
    yearly=yearly,
    holidays=None if country == HOLIDAY_COUNTRIES[0] else country,
    changepoint_prior_scale=changepoint_prior,
)
version = common.attempt(common.data_version)
if settings is None or version is None:
    st.stop()
if not common.require_rows("orders", "No orders in the warehouse yet."):
    st.stop()


def show_activity(metric: str, label: str) -> None:
    """One activity metric: verdict, forecast, components and backtest."""
    # The fits run as a job of the server: until its result is there, this shows its progress (or its error).
    result = common.attempt(
        cached.forecast_or_progress,
        path,
        version,
        metric=metric,
        period=period,
        horizon=int(horizon),
        settings=settings,
    )
    if result is None:
        return
    for message in result.messages:
        st.info(message)
    cached.show_verdict(result.backtest)

    st.subheader(f"{label} per {period}")
    marks = common.attempt(
        annotations.marks, path, version, result.history["ds"].min(), result.forecast.frame["ds"].max()
    )
    st.plotly_chart(
        charts.forecast_chart(result.history, result.forecast.frame, y_title=label, marks=marks), width="stretch"
    )
    st.caption(
        "The band is the 80% interval. A hollow marker is a partial period (the one still in progress, or a first "
        "one the data starts in the middle of): it is not fitted. Triangles at the top mark campaign launches and "
        "notes (add notes on the Overview page)."
    )
    common.download_csv(
        for_export(result.forecast.frame, result.scale), f"forecast_{metric}_{period}.csv", "Download the forecast"
    )

    st.subheader("Components")
    if result.forecast.components.empty:
        st.info("The naive forecast has no trend or seasonality to show.")
    else:
        st.plotly_chart(charts.components_chart(result.forecast.components, unit=label), width="stretch")

    st.subheader("Backtest")
    st.dataframe(result.backtest.summary, column_config=cached.backtest_columns(), hide_index=True, placeholder="–")
    common.download_csv(
        for_export(result.backtest.points, result.scale), f"backtest_{metric}_{period}.csv", "Download backtest points"
    )


def show_cohorts() -> None:
    """Cohort retention: the chosen cohorts' curves and the next cohort's, fitted on demand, and the backtest."""
    cohort_choices = common.attempt(cached.cohort_choices, path, version, period=period)
    if cohort_choices is None:
        return
    choices, defaults = cohort_choices
    if not choices:
        st.info(f"No cohort has a complete {period} after its first yet: there is no retention history to forecast.")
        return
    chosen = st.multiselect(
        "Cohorts", choices, default=defaults, format_func=lambda day: f"{day:%Y-%m-%d}", key=f"cohorts-{period}"
    )
    run = st.toggle(
        "Fit the cohort forecasts",
        help="One Prophet model per cohort and per period of the next cohort, plus a backtest; fitted in parallel, "
        "as a job of the server. Forecasts fitted before for these settings and data show without it.",
    )
    if not chosen:
        st.info("Choose at least one cohort.")
        return

    result = common.attempt(
        cached.forecast_or_progress,
        path,
        version,
        metric=TARGETS[COHORT_RETENTION],
        period=period,
        horizon=int(horizon),
        settings=settings,
        cohort_starts=tuple(chosen),
        idle=None
        if run
        else f"Switch on **Fit the cohort forecasts** to forecast {len(chosen)} cohorts and the next one.",
    )
    if result is None:
        return
    for message in result.messages:
        st.info(message)
    cached.show_verdict(result.backtest)

    st.subheader(f"Retention by {period}s since the first purchase")
    st.plotly_chart(
        charts.cohort_chart(result.history, result.forecast, result.next_cohort, period=period), width="stretch"
    )
    st.caption("Solid: complete periods. Dashed: forecast. Dotted: the cohort starting next, with its 80% interval.")
    common.download_csv(
        for_export(result.forecast, result.scale),
        f"forecast_cohort_retention_{period}.csv",
        "Download the cohort forecasts",
    )

    st.subheader("The next cohort")
    st.dataframe(result.next_cohort, hide_index=True, column_config=cached.next_cohort_columns(period), placeholder="–")
    common.download_csv(
        for_export(result.next_cohort, result.scale),
        f"forecast_next_cohort_{period}.csv",
        "Download the next cohort's curve",
    )

    st.subheader("Backtest")
    st.dataframe(
        result.backtest.summary, column_config=cached.backtest_columns(retention=True), hide_index=True, placeholder="–"
    )
    common.download_csv(
        for_export(result.backtest.points, result.scale),
        f"backtest_cohort_retention_{period}.csv",
        "Download backtest points",
    )


if target == COHORT_RETENTION:
    show_cohorts()
else:
    show_activity(TARGETS[target], target)
