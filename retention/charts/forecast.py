"""Figures of the Forecast page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from retention.charts.annotations import mark_dates

BAND = "rgba(99, 110, 250, 0.18)"
FORECAST = "rgb(99, 110, 250)"
ACTUAL = "rgb(40, 40, 40)"
COMPONENT_TITLES = {"trend": "Trend", "yearly": "Yearly seasonality", "holidays": "Holidays"}


def _band(figure: go.Figure, forecast: pd.DataFrame, *, x: str = "ds", color: str, name: str, **trace) -> None:
    """The interval as a filled band between ``yhat_lower`` and ``yhat_upper`` along column ``x``."""
    figure.add_scatter(
        x=np.concatenate([forecast[x].to_numpy(), forecast[x].to_numpy()[::-1]]),
        y=np.concatenate([forecast["yhat_upper"].to_numpy(), forecast["yhat_lower"].to_numpy()[::-1]]),
        mode="lines",
        fill="toself",
        fillcolor=color,
        line={"width": 0},
        hoverinfo="skip",
        name=name,
        **trace,
    )


def _with_interval(forecast: pd.DataFrame) -> pd.DataFrame:
    """The rows that have an interval (a row without one says why in ``interval_note``)."""
    return forecast.dropna(subset=["yhat_lower", "yhat_upper"])


def forecast_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    y_title: str,
    percent: bool = False,
    marks: pd.DataFrame | None = None,
) -> go.Figure:
    """Actuals, the forecast and its 80% band over time, with campaign launches and notes marked.

    ``history`` has columns ``ds``, ``y``, ``complete`` (a partial period, see :func:`retention.periods.complete`,
    is drawn as a hollow marker: the one still filling up, or a first one the data starts in); ``forecast`` has
    ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``; the band covers the rows that have an interval. ``marks``
    (the columns of :func:`retention.annotations.marks`, cut to the chart's dates) are drawn by :func:`mark_dates`.
    """
    figure = go.Figure()
    complete = history[history["complete"]]
    partial = history[~history["complete"]]
    banded = _with_interval(forecast)
    if not banded.empty:
        _band(figure, banded, color=BAND, name="80% interval")
    figure.add_scatter(x=complete["ds"], y=complete["y"], mode="lines+markers", name="Actual", line={"color": ACTUAL})
    if not partial.empty:
        figure.add_scatter(
            x=partial["ds"],
            y=partial["y"],
            mode="markers",
            marker={"symbol": "circle-open", "size": 9, "color": ACTUAL},
            name="Partial period (not fitted)",
        )
    figure.add_scatter(
        x=forecast["ds"],
        y=forecast["yhat"],
        mode="lines+markers",
        name="Forecast",
        line={"color": FORECAST, "dash": "dash"},
    )
    figure.update_layout(
        xaxis_title="Period starting",
        yaxis_title=y_title,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
    )
    if percent:
        figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    if marks is not None:
        mark_dates(figure, marks)
    return figure


def components_chart(components: pd.DataFrame, *, unit: str | None = None) -> go.Figure:
    """One panel per model component (trend, yearly seasonality, holidays) over history and forecast.

    ``components`` has ``ds`` and any of ``trend``, ``yearly``, ``holidays``, on the model's scale;
    ``unit`` (e.g. "Active customers") titles the y axes: the trend's level and the other parts' effect.
    """
    names = [name for name in COMPONENT_TITLES if name in components.columns]
    figure = make_subplots(
        rows=len(names), cols=1, shared_xaxes=True, subplot_titles=[COMPONENT_TITLES[name] for name in names]
    )
    for row, name in enumerate(names, start=1):
        figure.add_scatter(
            x=components["ds"], y=components[name], mode="lines", name=COMPONENT_TITLES[name], row=row, col=1
        )
        if unit:
            title = unit if name == "trend" else f"Effect on {unit[:1].lower()}{unit[1:]}"
            figure.update_yaxes(title_text=title, title_font={"size": 12}, row=row, col=1)
    figure.update_xaxes(title_text="Period starting", row=len(names), col=1)
    figure.update_layout(showlegend=False, height=220 * len(names) + 60, margin={"t": 40})
    return figure


def cohort_chart(
    history: pd.DataFrame, forecast: pd.DataFrame, next_cohort: pd.DataFrame, *, period: str | None = None
) -> go.Figure:
    """Retention by periods since the first purchase: each cohort's actuals (solid), forecast (dashed) and band.

    ``history`` has ``cohort``, ``period``, ``retention``; ``forecast`` and ``next_cohort`` have
    ``cohort``, ``period``, ``yhat``, ``yhat_lower``, ``yhat_upper``.
    """
    figure = go.Figure()
    colors = qualitative.Plotly
    cohorts = list(dict.fromkeys(forecast["cohort"]))
    for index, cohort in enumerate(cohorts):
        color = colors[index % len(colors)]
        label = f"{pd.Timestamp(cohort):%Y-%m-%d}"
        actual = history[history["cohort"] == cohort]
        ahead = forecast[forecast["cohort"] == cohort]
        figure.add_scatter(
            x=actual["period"],
            y=actual["retention"],
            mode="lines",
            line={"color": color},
            name=label,
            legendgroup=label,
        )
        figure.add_scatter(
            x=ahead["period"],
            y=ahead["yhat"],
            mode="lines",
            line={"color": color, "dash": "dash"},
            name=f"{label} forecast",
            legendgroup=label,
            showlegend=False,
        )
    if not next_cohort.empty:
        label = f"Next cohort ({pd.Timestamp(next_cohort['cohort'].iloc[0]):%Y-%m-%d})"
        banded = _with_interval(next_cohort)
        if not banded.empty:
            _band(
                figure,
                banded,
                x="period",
                color="rgba(40, 40, 40, 0.12)",
                name=f"{label}: 80% interval",
                legendgroup="next",
            )
        figure.add_scatter(
            x=next_cohort["period"],
            y=next_cohort["yhat"],
            mode="lines+markers",
            line={"color": ACTUAL, "dash": "dot", "width": 3},
            name=label,
            legendgroup="next",
        )
    figure.update_layout(
        xaxis_title=f"{period.capitalize() if period else 'Period'}s since the first purchase",
        yaxis_title="Retention",
        legend={"orientation": "v"},
        margin={"t": 20},
    )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure
