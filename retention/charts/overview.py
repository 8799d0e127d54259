"""Figures of the Overview page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def weekly_customers(weekly: pd.DataFrame) -> go.Figure:
    """Lines of weekly active and new customers; an incomplete last week is drawn as a hollow marker."""
    figure = go.Figure()
    complete = weekly[weekly["complete"]]
    partial = weekly[~weekly["complete"]]
    for column, name in [("active_customers", "Active customers"), ("new_customers", "New customers")]:
        figure.add_scatter(x=complete["week"], y=complete[column], mode="lines", name=name)
        if not partial.empty:
            figure.add_scatter(
                x=partial["week"],
                y=partial[column],
                mode="markers",
                marker={"symbol": "circle-open", "size": 9},
                name=f"{name} (week in progress)",
            )
    figure.update_layout(
        xaxis_title="Week starting",
        yaxis_title="Customers",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
    )
    return figure
