"""Figures of the Overview page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.charts.annotations import mark_dates

SERIES = [("active_customers", "Active customers", "#1f77b4"), ("new_customers", "New customers", "#2ca02c")]


def weekly_customers(weekly: pd.DataFrame, marks: pd.DataFrame | None = None) -> go.Figure:
    """Lines of weekly active and new customers (:func:`retention.overview.weekly_activity`); a partial week
    (the last one in progress, or a first one the data or the range starts in the middle of) is drawn as a
    hollow marker in its line's colour (named in the hover, not in the legend), joined to the line by a dotted
    segment. Weeks without purchases are
    zeros on the line. ``marks`` (:func:`retention.annotations.marks`) are drawn on the time axis."""
    figure = go.Figure()
    complete = weekly[weekly["complete"]]
    partial = weekly[~weekly["complete"]]
    for column, name, colour in SERIES:
        figure.add_scatter(
            x=complete["week"],
            y=complete[column],
            mode="lines",
            name=name,
            line={"color": colour},
            legendgroup=column,
            hovertemplate="%{y:,}",
        )
        for edge in _partial_edges(weekly):
            figure.add_scatter(
                x=weekly["week"].iloc[edge],
                y=weekly[column].iloc[edge],
                mode="lines",
                line={"color": colour, "dash": "dot"},
                legendgroup=column,
                showlegend=False,
                hoverinfo="skip",
            )
        if not partial.empty:
            figure.add_scatter(
                x=partial["week"],
                y=partial[column],
                mode="markers",
                marker={"symbol": "circle-open", "size": 9, "color": colour},
                name=f"{name} (partial week)",
                legendgroup=column,
                showlegend=False,
                hovertemplate="%{y:,} (partial week)",
            )
    figure.update_layout(
        xaxis_title="Week starting",
        yaxis_title="Customers",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
    )
    return figure if marks is None else mark_dates(figure, marks)


def _partial_edges(weekly: pd.DataFrame) -> list[list[int]]:
    """Positions of each partial week and its complete neighbour (a partial week is the first or the last)."""
    complete = weekly["complete"].tolist()
    edges = []
    if len(complete) > 1 and not complete[0] and complete[1]:
        edges.append([0, 1])
    if len(complete) > 1 and not complete[-1] and complete[-2]:
        edges.append([len(complete) - 2, len(complete) - 1])
    return edges
