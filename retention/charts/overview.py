"""Figures of the Overview page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SERIES = [("active_customers", "Active customers", "#1f77b4"), ("new_customers", "New customers", "#2ca02c")]


def weekly_customers(weekly: pd.DataFrame) -> go.Figure:
    """Lines of weekly active and new customers; an incomplete last week is drawn as a hollow marker
    in its line's colour (named in the hover, not in the legend)."""
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
        if not partial.empty:
            figure.add_scatter(
                x=partial["week"],
                y=partial[column],
                mode="markers",
                marker={"symbol": "circle-open", "size": 9, "color": colour},
                name=f"{name} (week in progress)",
                legendgroup=column,
                showlegend=False,
                hovertemplate="%{y:,} (week in progress)",
            )
    figure.update_layout(
        xaxis_title="Week starting",
        yaxis_title="Customers",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
    )
    return figure
