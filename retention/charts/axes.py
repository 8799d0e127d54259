"""Axes shared by the charts: a time axis that stays readable when all its points fall on one date, and the one
style of a threshold line (the Monitoring page draws one on each chart)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

SINGLE_DATE_SPAN = pd.Timedelta(days=15)
THRESHOLD_COLOUR = "#d62728"


def widen_single_date(figure: go.Figure) -> go.Figure:
    """``figure`` with its x axis spanning 15 days either side of its one date, shown as days, when every trace's
    x values are dates (timestamps, dates or ISO date strings) and all fall on one moment (Plotly would otherwise zoom to milliseconds around it); any
    other figure unchanged."""
    values = pd.Series([x for trace in figure.data if trace.x is not None for x in trace.x])
    if not values.empty and values.map(lambda x: isinstance(x, str | dt.date)).all():  # dates, or ISO text
        values = pd.to_datetime(values.astype(str), format="ISO8601", errors="coerce")
    if values.empty or not pd.api.types.is_datetime64_any_dtype(values) or values.isna().all():
        return figure
    moments = values.dropna().unique()
    if len(moments) == 1:
        moment = pd.Timestamp(moments[0])
        figure.update_xaxes(range=[moment - SINGLE_DATE_SPAN, moment + SINGLE_DATE_SPAN], tickformat="%Y-%m-%d")
    return figure


def time_layout(figure: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
    """``figure`` with axis titles, a small top margin and the legend below, over a time axis
    (:func:`widen_single_date`)."""
    figure.update_layout(
        xaxis_title=x_title, yaxis_title=y_title, margin={"t": 20}, legend={"orientation": "h", "y": -0.25}
    )
    return widen_single_date(figure)


def threshold_line(figure: go.Figure, value: float, text: str, *, vertical: bool = False, **placement) -> go.Figure:
    """``figure`` with a dashed red line at ``value`` labelled ``text``: horizontal (at y) or ``vertical`` (at x);
    ``placement`` passes Plotly's line options on (``yref="y2"``, ``annotation_position="top left"``)."""
    style = {"line_dash": "dash", "line_color": THRESHOLD_COLOUR, "annotation_text": text, **placement}
    return figure.add_vline(x=value, **style) if vertical else figure.add_hline(y=value, **style)
