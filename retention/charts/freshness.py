"""Figures of the Monitoring page's Data freshness section."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

LOADED_COLOUR = "#1f77b4"
REJECT_COLOUR = "#d62728"
THRESHOLD_COLOUR = "#e76f51"


def import_batches(batches: pd.DataFrame, reject_threshold: float) -> go.Figure:
    """Rows loaded per import batch (bars, left axis) and its reject rate (markers, right axis, in %) by import
    time, with the reject threshold as a dashed line on the right axis.

    ``batches``: :func:`retention.monitoring.freshness.import_batches` (``imported_at``, ``table_name``,
    ``source_name``, ``rows_loaded``, ``rows_rejected``, ``reject_rate``).
    """
    figure = go.Figure()
    hover = batches["table_name"] + ": " + batches["source_name"]
    figure.add_bar(
        x=batches["imported_at"],
        y=batches["rows_loaded"],
        name="Rows loaded",
        marker_color=LOADED_COLOUR,
        customdata=hover,
        hovertemplate="%{customdata}<br>%{y:,} rows loaded<extra></extra>",
    )
    figure.add_scatter(
        x=batches["imported_at"],
        y=batches["reject_rate"],
        mode="markers+lines",
        name="Reject rate",
        yaxis="y2",
        marker={"color": REJECT_COLOUR, "size": 8},
        line={"color": REJECT_COLOUR, "width": 1},
        customdata=batches["rows_rejected"],
        hovertemplate="%{y:.1%} rejected (%{customdata:,} rows)<extra></extra>",
    )
    figure.add_hline(
        y=reject_threshold,
        yref="y2",
        line_dash="dash",
        line_color=THRESHOLD_COLOUR,
        annotation_text=f"reject threshold {reject_threshold:.0%}",
        annotation_position="top left",
    )
    top = max(reject_threshold * 1.5, float(batches["reject_rate"].fillna(0).max()) * 1.1, 0.01)
    figure.update_layout(
        xaxis_title="Imported at",
        yaxis={"title": "Rows loaded", "rangemode": "tozero"},
        yaxis2={"title": "Reject rate", "overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, top]},
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 20},
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
    figure.add_vline(
        x=stale_days, line_dash="dash", line_color=THRESHOLD_COLOUR, annotation_text=f"stale after {stale_days:g} days"
    )
    figure.update_layout(
        xaxis={"title": "Days since the newest import", "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        margin={"t": 30},
        height=260,
    )
    return figure
