"""Marks on a time axis: campaign launches, imports and the user's notes (:func:`retention.annotations.marks`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.annotations import KIND_LABELS
from retention.charts import labels

MARK_COLOURS = {"campaign": "#9467bd", "import": "#7f7f7f", "note": "#e377c2"}
PLURALS = {"campaign": "Campaign launches", "import": "Imports", "note": "Notes"}
MARK_AXIS = "y9"  # a hidden axis from 0 to 1 over the plot, so the marks sit at its top whatever the data's scale


def mark_dates(figure: go.Figure, marks: pd.DataFrame) -> go.Figure:
    """Draw each mark on ``figure``'s time x axis: a dotted vertical line in its kind's colour and a triangle at
    the top whose hover names it ("Campaign launch: Campaign "Win-back" launched"). ``marks`` has the columns
    of :func:`retention.annotations.marks` and should already be cut to the figure's date range. Returns
    ``figure``, changed in place; without marks it is left as it was."""
    if marks.empty:
        return figure
    for kind, rows in marks.groupby("kind", sort=False):
        colour = MARK_COLOURS.get(kind, "#7f7f7f")
        for ts in rows["ts"]:
            figure.add_shape(
                type="line",
                x0=ts,
                x1=ts,
                xref="x",
                y0=0,
                y1=1,
                yref="paper",
                line={"color": colour, "width": 1, "dash": "dot"},
                layer="below",
            )
        figure.add_scatter(
            x=rows["ts"],
            y=[0.97] * len(rows),
            yaxis=MARK_AXIS,
            mode="markers",
            marker={"symbol": "triangle-down", "size": 11, "color": colour},
            name=PLURALS.get(kind, str(kind)),
            text=labels(rows["label"]),
            hovertemplate=f"{KIND_LABELS.get(kind, kind)}: %{{text}}<extra></extra>",
        )
    figure.update_layout({"yaxis9": {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}})
    return figure
