"""Figures of the Monitoring page's Data freshness section."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.charts.axes import THRESHOLD_COLOUR, threshold_line

LOADED_COLOUR = "#1f77b4"
REJECT_COLOUR = "#d62728"
TABLE_COLOURS = {
    "orders": LOADED_COLOUR,
    "events": "#9467bd",
    "ratings": "#8c564b",
    "users": "#2ca02c",
    "products": "#17becf",
}


def import_batches(batches: pd.DataFrame, reject_threshold: float) -> go.Figure:
    """Rows loaded per import batch (bars, one colour per table, left axis) and its reject rate (markers, right
    axis, in %) by import time, with the reject threshold as a dashed line on the right axis.

    ``batches``: :func:`retention.monitoring.freshness.import_batches` (``imported_at``, ``table_name``,
    ``source_name``, ``rows_loaded``, ``rows_rejected``, ``reject_rate``).
    """
    figure = go.Figure()
    for table, rows in batches.groupby("table_name", sort=False):
        figure.add_bar(
            x=rows["imported_at"],
            y=rows["rows_loaded"],
            name=f"{table} rows loaded",
            marker_color=TABLE_COLOURS.get(table, LOADED_COLOUR),
            customdata=rows["source_name"],
            hovertemplate=f"{table}: %{{customdata}}<br>%{{y:,}} rows loaded<extra></extra>",
        )
    figure.add_scatter(
        x=batches["imported_at"],
        y=batches["reject_rate"],
        mode="markers",
        name="Reject rate",
        yaxis="y2",
        marker={"color": REJECT_COLOUR, "size": 9, "symbol": "diamond"},
        customdata=batches[["table_name", "rows_rejected"]],
        hovertemplate="%{customdata[0]}: %{y:.1%} rejected (%{customdata[1]:,} rows)<extra></extra>",
    )
    threshold_line(
        figure, reject_threshold, f"reject threshold {reject_threshold:.0%}", yref="y2", annotation_position="top left"
    )
    top = max(reject_threshold * 1.5, float(batches["reject_rate"].fillna(0).max()) * 1.1, 0.01)
    figure.update_layout(
        xaxis_title="Imported at",
        yaxis={"title": "Rows loaded", "rangemode": "tozero"},
        yaxis2={"title": "Reject rate", "overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, top]},
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 20},
        barmode="group",
        bargap=0.3,
    )
    return figure


def days_since_import(tables: pd.DataFrame, now: pd.Timestamp, stale_days: float) -> go.Figure:
    """Days of wall clock since each table's newest import (horizontal bars; orders, the checked one, in the
    warning colour when past the gap), with the stale gap as a dashed vertical line.

    ``tables``: :func:`retention.monitoring.freshness.table_freshness` (``table_name``, ``newest_import``);
    tables never imported are left out.
    """
    imported = tables.dropna(subset=["newest_import"])
    days = (now - pd.to_datetime(imported["newest_import"])).dt.total_seconds() / 86400.0
    colours = [
        THRESHOLD_COLOUR if name == "orders" and value > stale_days else LOADED_COLOUR
        for name, value in zip(imported["table_name"], days, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=days,
            y=imported["table_name"],
            orientation="h",
            marker_color=colours,
            hovertemplate="%{y}: %{x:.1f} days<extra></extra>",
        )
    )
    threshold_line(figure, stale_days, f"stale after {stale_days:g} days", vertical=True)
    figure.update_layout(
        xaxis={"title": "Days since the newest import", "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        margin={"t": 30},
        height=260,
    )
    return figure
