"""Figures of the Overview page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SERIES = [("active_customers", "Active customers", "#1f77b4"), ("new_customers", "New customers", "#2ca02c")]


def _break_at_gaps(weekly: pd.DataFrame) -> pd.DataFrame:
    """``weekly`` with an empty row in each run of weeks that has no purchase, so a line breaks there
    instead of drawing a straight bridge over months or years without data."""
    if weekly.empty:
        return weekly
    weeks = pd.date_range(weekly["week"].min(), weekly["week"].max(), freq="7D")
    return weekly.set_index("week").reindex(weeks).rename_axis("week").reset_index()


def weekly_customers(weekly: pd.DataFrame) -> go.Figure:
    """Lines of weekly active and new customers; an incomplete last week is drawn as a hollow marker
    in its line's colour (named in the hover, not in the legend). Weeks without purchases break the lines."""
    figure = go.Figure()
    complete = _break_at_gaps(weekly[weekly["complete"]])
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
