"""Figures of the Segments page: the RFM segments as a treemap, and the R/F grid that names them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.rfm import SEGMENTS

# Greens for the customers to keep, blue for the new ones, warm colours for the ones slipping away, greys for gone.
SEGMENT_COLOURS = {
    "Champions": "#1a7f37",
    "Loyal": "#4caf50",
    "Potential loyalist": "#9ccc65",
    "New": "#42a5f5",
    "At risk": "#ff9800",
    "Can't lose them": "#e53935",
    "Hibernating": "#a1887f",
    "Lost": "#9e9e9e",
}
SIZES = {"customers": "Customers", "revenue": "Revenue"}


def segment_treemap(summary: pd.DataFrame, *, size: str = "customers") -> go.Figure:
    """One tile per segment of :func:`retention.rfm.summary` with customers, its area the segment's
    ``customers`` or its net ``revenue`` (``size``; a segment whose revenue is not above 0 gets no area).
    Each tile and its hover name the segment, its customers and revenue with their shares."""
    shown = summary[summary["customers"] > 0]
    values = shown[size].clip(lower=0)
    text = [
        f"{row.customers:,} customers ({row.customer_share:.0%})<br>revenue {row.revenue:,.0f}"
        + ("" if pd.isna(row.revenue_share) else f" ({row.revenue_share:.0%})")
        for row in shown.itertuples()
    ]
    figure = go.Figure(
        go.Treemap(
            labels=shown["segment"],
            parents=[""] * len(shown),
            values=values,
            text=text,
            customdata=shown[["description"]],
            textinfo="label+text",
            hovertemplate="<b>%{label}</b>: %{customdata[0]}<br>%{text}<extra></extra>",
            marker={"colors": [SEGMENT_COLOURS[name] for name in shown["segment"]]},
            sort=False,
        )
    )
    figure.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=420)
    return figure


def rf_grid(counts: pd.DataFrame) -> go.Figure:
    """The R/F grid of :func:`retention.rfm.grid_counts`: R score up (5 on top), F score across, each cell coloured
    by its segment and labelled with the segment and its customers."""
    order = {name: index for index, name in enumerate(SEGMENTS)}
    # Plotly draws the first row at the bottom: R 1 first puts R 5 on top.
    wide = counts.pivot(index="r", columns="f", values="segment").sort_index()
    number = counts.pivot(index="r", columns="f", values="customers").sort_index()
    steps = len(SEGMENTS)
    scale = []
    for index, name in enumerate(SEGMENTS):  # a stepped colour scale: one flat band per segment
        scale += [(index / steps, SEGMENT_COLOURS[name]), ((index + 1) / steps, SEGMENT_COLOURS[name])]
    text = wide.to_numpy().astype(object) + "<br>" + number.map("{:,}".format).to_numpy().astype(object)
    figure = go.Figure(
        go.Heatmap(
            z=wide.map(order.get).to_numpy(),
            x=[f"F {f}" for f in wide.columns],
            y=[f"R {r}" for r in wide.index],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}, %{x}: %{text} customers<extra></extra>",
            colorscale=scale,
            zmin=-0.5,
            zmax=steps - 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        margin={"t": 10, "l": 0, "r": 0, "b": 0},
        height=360,
        xaxis={"title": "Frequency score (5: most orders)", "side": "top"},
        yaxis={"title": "Recency score (5: most recent)"},
    )
    return figure
