"""Figures of the Monitoring page's model sections: score drift and realised accuracy."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.charts.axes import THRESHOLD_COLOUR, threshold_line, time_layout
from retention.charts.churn import FALL_COLOUR, RISE_COLOUR

MODEL_COLOUR = "#1f77b4"
RECENCY_COLOUR = "#ff7f0e"
BAND_COLOURS = ("#2ca02c", "#bcbd22", "#ff7f0e", RISE_COLOUR)
FEATURE_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22", "#aec7e8", "#c5b0d5")


def _layout(figure: go.Figure, *, y_title: str, x_title: str = "Scoring date") -> go.Figure:
    return time_layout(figure, x_title=x_title, y_title=y_title)


def psi_over_time(scorings: pd.DataFrame, features: pd.DataFrame, threshold: float) -> go.Figure:
    """PSI per scoring date: the risks against the previous scoring and against the held-out training snapshot
    (solid), each top feature against the previous scoring (dotted), and the threshold.

    ``scorings``: ``as_of``, ``risk_psi``, ``risk_psi_holdout``; ``features``: ``as_of``, ``label``, ``psi``.
    """
    figure = go.Figure()
    for column, name, colour in (
        ("risk_psi", "Risk vs previous scoring", MODEL_COLOUR),
        ("risk_psi_holdout", "Risk vs training snapshot", FALL_COLOUR),
    ):
        figure.add_scatter(
            x=scorings["as_of"], y=scorings[column], mode="lines+markers", name=name, line={"color": colour}
        )
    per_feature = features.groupby("label", sort=False) if not features.empty else []  # one scoring: no pairs
    for index, (label, rows) in enumerate(per_feature):
        figure.add_scatter(
            x=rows["as_of"],
            y=rows["psi"],
            mode="lines+markers",
            name=str(label),
            line={"dash": "dot", "width": 1, "color": FEATURE_COLOURS[index % len(FEATURE_COLOURS)]},
        )
    threshold_line(figure, threshold, f"PSI {threshold:g}", annotation_position="top left")
    return _layout(figure, y_title="Population stability index")


def band_shares(bands: pd.DataFrame, order: tuple[str, ...]) -> go.Figure:
    """Stacked bars: the share of scored customers per risk band at each scoring date.

    ``bands``: ``as_of``, ``band`` (one of ``order``, lowest risk first), ``customers``, ``share`` (in [0, 1]).
    """
    figure = go.Figure()
    for band, colour in zip(order, BAND_COLOURS, strict=False):
        rows = bands[bands["band"] == band]
        figure.add_bar(
            x=rows["as_of"],
            y=rows["share"],
            name=f"risk {band}",
            marker_color=colour,
            customdata=rows["customers"],
            hovertemplate="%{y:.0%} (%{customdata:,} customers)<extra></extra>",
        )
    figure.update_layout(barmode="stack", yaxis_tickformat=".0%", yaxis_range=[0, 1])
    return _layout(figure, y_title="Share of scored customers")


def model_vs_recency(
    table: pd.DataFrame, column: str, baseline: str, y_title: str, threshold: float, threshold_text: str
) -> go.Figure:
    """One metric per scoring date for the model (``column``) and the recency ranking (``baseline``), with a
    threshold line. ``table``: ``as_of`` and both columns."""
    figure = go.Figure()
    figure.add_scatter(
        x=table["as_of"], y=table[column], mode="lines+markers", name="Model", line={"color": MODEL_COLOUR}
    )
    figure.add_scatter(
        x=table["as_of"],
        y=table[baseline],
        mode="lines+markers",
        name="Recency (days since last purchase)",
        line={"color": RECENCY_COLOUR, "dash": "dash"},
    )
    threshold_line(figure, threshold, threshold_text, annotation_position="top left")
    return _layout(figure, y_title=y_title)


def decile_calibration(calibration: pd.DataFrame, gap: float) -> go.Figure:
    """Observed churn rate against mean predicted risk per decile of the model's ranking, with the diagonal (a
    calibrated model's points sit on it) and the band ``gap`` either side of it, out of which a decile is far off.

    ``calibration``: ``ranking`` (rows of 'model' are drawn), ``decile`` (1 = riskiest tenth), ``customers``,
    ``mean_risk``, ``churn_rate`` (both in [0, 1]).
    """
    model = calibration[calibration["ranking"] == "model"]
    figure = go.Figure()
    figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "grey"}, name="Perfect")
    for offset in (gap, -gap):
        figure.add_scatter(
            x=[max(0.0, -offset), min(1.0, 1 - offset)],
            y=[max(0.0, offset), min(1.0, 1 + offset)],
            mode="lines",
            line={"dash": "dash", "color": THRESHOLD_COLOUR, "width": 1},
            name=f"{gap:.0%} off",
            showlegend=offset > 0,
            hoverinfo="skip",
        )
    figure.add_scatter(
        x=model["mean_risk"],
        y=model["churn_rate"],
        mode="lines+markers+text",
        text=model["decile"],
        textposition="top center",
        name="Model, by decile",
        line={"color": MODEL_COLOUR},
        customdata=model[["decile", "customers"]],
        hovertemplate="decile %{customdata[0]}: predicted %{x:.0%}, observed %{y:.0%} of "
        "%{customdata[1]:,} customers<extra></extra>",
    )
    figure.update_layout(xaxis_range=[0, 1.02], yaxis_range=[0, 1.08], xaxis_tickformat=".0%", yaxis_tickformat=".0%")
    return _layout(figure, y_title="Observed churn rate", x_title="Predicted risk (mean in decile)")


def feature_psi_bars(features: pd.DataFrame, threshold: float) -> go.Figure:
    """Horizontal bars: the PSI of each top feature (``label``, ``psi``; most important first, at the top), with
    the threshold as a vertical line."""
    figure = go.Figure()
    figure.add_bar(
        y=features["label"],
        x=features["psi"],
        orientation="h",
        marker_color=[THRESHOLD_COLOUR if value > threshold else MODEL_COLOUR for value in features["psi"]],
        hovertemplate="%{y}: PSI %{x:.3f}<extra></extra>",
        showlegend=False,
    )
    threshold_line(figure, threshold, f"PSI {threshold:g}", vertical=True)
    figure.update_layout(yaxis={"autorange": "reversed"}, height=80 + 40 * len(features))
    return _layout(figure, y_title="", x_title="Population stability index")
