"""Figures of the At-risk users page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from retention.charts import labels

PREDICTOR_NAMES = {"model": "Gradient-boosted model", "baseline": "Recency-only baseline"}
RISE_COLOUR = "#d62728"
FALL_COLOUR = "#2ca02c"


def risk_histogram(scores: pd.DataFrame, threshold: float | None = None, bins: int = 20) -> go.Figure:
    """Customers per risk band (``scores.risk`` in [0, 1]); a dashed line marks the flagging threshold.

    The bands are counted here, so the chart carries ``bins`` bars whatever the number of customers (a histogram
    of a million risks would send them all to the browser)."""
    counts, edges = np.histogram(scores["risk"].to_numpy(dtype=np.float64), bins=bins, range=(0.0, 1.0))
    figure = go.Figure()
    figure.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=1.0 / bins, name="Customers")
    if threshold is not None:
        figure.add_vline(x=threshold, line_dash="dash", annotation_text=f"threshold {threshold:.0%}")
    figure.update_layout(
        xaxis_title="Risk of churning (calibrated probability)",
        yaxis_title="Customers",
        xaxis_range=[0, 1],
        xaxis_tickformat=".0%",
        bargap=0.05,
        margin={"t": 20},
        showlegend=False,
    )
    return figure


def calibration_chart(calibration: pd.DataFrame) -> go.Figure:
    """Observed churn rate against mean predicted risk per risk bin, one line per predictor, with the diagonal."""
    figure = go.Figure()
    figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "grey"}, name="Perfect")
    for predictor, table in calibration.groupby("predictor", sort=False):
        figure.add_scatter(
            x=table["mean_risk"],
            y=table["churn_rate"],
            mode="lines+markers",
            name=PREDICTOR_NAMES.get(predictor, predictor),
            customdata=table["customers"],
            hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{customdata} customers<extra></extra>",
        )
    figure.update_layout(
        xaxis_title="Predicted risk (mean in bin)",
        yaxis_title="Observed churn rate",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1],
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 20},
    )
    return figure


def importance_bars(importance: pd.DataFrame, top: int = 12) -> go.Figure:
    """Mean absolute contribution (probability points) of the ``top`` strongest features, strongest on top."""
    shown = importance.head(top).iloc[::-1]
    figure = go.Figure(go.Bar(x=shown["mean_abs_probability"], y=labels(shown["label"]), orientation="h"))
    figure.update_layout(
        xaxis_title="Mean |contribution| to risk (probability points)",
        margin={"t": 20, "l": 10},
        height=max(300, 28 * len(shown) + 80),
    )
    return figure


def beeswarm(points: pd.DataFrame, order: list[str], seed: int = 0) -> go.Figure:
    """Each sampled customer's contribution per feature, jittered within the feature's row.

    ``points`` comes from :func:`retention.explain.beeswarm_points`; ``order``
    lists feature labels from the strongest (drawn on top). Colour is the
    customer's value of the feature as a percentile (blue low, red high; grey
    for text features and missing values).
    """
    rows = {name: index for index, name in enumerate(reversed(order))}
    shown = points[points["label"].isin(rows)]
    rng = np.random.default_rng(seed)
    y = shown["label"].map(rows).to_numpy(dtype=np.float64) + rng.uniform(-0.3, 0.3, size=len(shown))
    ranked = shown["value_rank"].notna().to_numpy()
    figure = go.Figure()
    figure.add_scatter(
        x=shown["contribution"].to_numpy()[~ranked],
        y=y[~ranked],
        mode="markers",
        marker={"color": "lightgrey", "size": 4},
        name="No value / text",
    )
    figure.add_scatter(
        x=shown["contribution"].to_numpy()[ranked],
        y=y[ranked],
        mode="markers",
        marker={
            "color": shown["value_rank"].to_numpy()[ranked],
            "colorscale": "RdBu_r",
            "cmin": 0,
            "cmax": 1,
            "size": 4,
            "colorbar": {"title": "Feature value<br>(percentile)", "tickvals": [0, 1], "ticktext": ["low", "high"]},
        },
        name="Customers",
    )
    figure.add_vline(x=0, line_color="grey")
    figure.update_layout(
        xaxis_title="Contribution to risk (probability points)",
        yaxis={"tickvals": list(rows.values()), "ticktext": labels(rows)},
        showlegend=False,
        margin={"t": 20, "l": 10},
        height=max(320, 34 * len(rows) + 80),
    )
    return figure


def _step_label(value: float) -> str:
    """A step's label: two decimals; three, or "<0.001", when two would round a real effect to "+0.00"."""
    if abs(value) >= 0.005 or value == 0:
        return f"{value:+.2f}"
    if abs(value) >= 0.0005:
        return f"{value:+.3f}"
    return f"{'+' if value > 0 else '-'}<0.001"


def waterfall_chart(steps: pd.DataFrame, base_risk: float) -> go.Figure:
    """One customer's risk: the average customer's risk, each feature's step (from
    :func:`retention.explain.waterfall`), and the customer's risk at the end."""
    final = float(steps["end"].iloc[-1]) if len(steps) else base_risk
    step_labels = ["Average customer", *labels(steps["text"]), "This customer"]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(steps), "total"],
            y=step_labels,
            x=[base_risk, *steps["contribution"], final],
            text=[f"{base_risk:.2f}", *(_step_label(value) for value in steps["contribution"]), f"{final:.2f}"],
            textposition="outside",
            increasing={"marker": {"color": RISE_COLOUR}},
            decreasing={"marker": {"color": FALL_COLOUR}},
            totals={"marker": {"color": "#1f77b4"}},
        )
    )
    figure.update_layout(
        xaxis_title="Risk of churning",
        xaxis_range=[0, 1.1],
        yaxis={"autorange": "reversed"},
        margin={"t": 20, "l": 10},
        height=max(320, 34 * len(step_labels) + 60),
        showlegend=False,
    )
    return figure


REORDER_MARKS = {"median_days": "median", "p80_days": "80th pct", "p90_days": "90th pct"}
DAILY_BARS_UP_TO = 91  # longer gaps are counted per week: a bar a day over a year is noise


def reorder_histogram(distribution: pd.DataFrame, marks: dict[str, float | None], horizon: int | None) -> go.Figure:
    """Gaps between consecutive purchase days per length (``distribution``: ``gap_days``, ``gaps``, as
    :class:`retention.reorder.Reorders` has it), a bar a day, or a week when the longest gap is over
    :data:`DAILY_BARS_UP_TO` days; dotted lines at ``marks`` (keys of :data:`REORDER_MARKS` -> days) and a dashed
    red one at the suggested ``horizon``. ``distribution`` holds at least one row."""
    width = 1 if distribution["gap_days"].max() <= DAILY_BARS_UP_TO else 7
    bins = (distribution["gap_days"].to_numpy() - 1) // width
    counts = np.bincount(bins, weights=distribution["gaps"].to_numpy()).astype(np.int64)
    starts = np.arange(len(counts)) * width + 1
    figure = go.Figure()
    figure.add_bar(
        x=starts + (width - 1) / 2,
        y=counts,
        width=width,
        customdata=np.stack([starts, starts + width - 1], axis=-1),
        hovertemplate=(
            "%{customdata[0]} days: %{y:,} gaps<extra></extra>"
            if width == 1
            else "%{customdata[0]}-%{customdata[1]} days: %{y:,} gaps<extra></extra>"
        ),
    )
    lines = [(days, label, "dot", "#555") for key, label in REORDER_MARKS.items() if (days := marks.get(key))]
    if horizon is not None:
        lines.append((horizon, "suggested horizon", "dash", RISE_COLOUR))
    for step, (days, label, dash, colour) in enumerate(lines):
        figure.add_vline(
            x=days,
            line_dash=dash,
            line_color=colour,
            annotation_text=f"{label} {days:.0f} d",
            annotation_position="top right",
            annotation_yshift=-18 * step,
            annotation_bgcolor="rgba(255, 255, 255, 0.85)",  # readable where a later line crosses it
        )
    figure.update_layout(
        xaxis_title="Days between a customer's consecutive purchase days",
        yaxis_title="Gaps" if width == 1 else "Gaps (7-day bins)",
        xaxis_rangemode="tozero",
        bargap=0.05,
        margin={"t": 20},
        showlegend=False,
    )
    return figure
