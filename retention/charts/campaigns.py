"""Figures of the Campaigns page."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import special  # the Beta density without scipy.stats, which takes seconds to import

from retention.campaigns.simulate import METRIC_LABELS


def _names(arms: pd.Series, labels: Mapping[str, str] | None) -> list[str]:
    """Each arm's label (see :func:`retention.campaigns.plan.arm_labels`); its id where none is given."""
    labels = labels or {}
    return [labels.get(str(arm), str(arm)) for arm in arms]


def _layout(figure: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        xaxis_title=x_title, yaxis_title=y_title, margin={"t": 20}, legend={"orientation": "h", "y": -0.25}
    )
    return figure


def _interval(center: pd.Series, low: pd.Series, high: pd.Series) -> dict:
    """Plotly error bars from a centre and the ends of its interval."""
    return {"type": "data", "symmetric": False, "array": high - center, "arrayminus": center - low}


def arm_outcomes(
    summary: pd.DataFrame, metric: str = "net_value", labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Median of one simulated metric per arm and in total, with its 90% interval as error bars.

    ``summary`` is :attr:`retention.campaigns.Simulation.summary` (long form); ``labels`` maps arm ids to what
    the axis shows (:func:`retention.campaigns.plan.arm_labels`), ids where absent.
    """
    rows = summary[summary["metric"] == metric]
    figure = go.Figure(
        go.Bar(
            x=_names(rows["arm"], labels),
            y=rows["median"],
            error_y=_interval(rows["median"], rows["low"], rows["high"]),
            marker_color=np.where(rows["median"] >= 0, "#2a9d8f", "#e76f51"),
            hovertemplate="%{x}: median %{y:,.1f}<extra></extra>",
        )
    )
    figure.add_hline(y=0, line_color="grey", line_width=1)
    return _layout(figure, x_title="Arm", y_title=f"{METRIC_LABELS[metric]} (median, 90% interval)")


def net_value_distribution(draws: pd.DataFrame) -> go.Figure:
    """Histogram of the campaign's total net value over the simulation draws, with the break-even line."""
    figure = go.Figure(go.Histogram(x=draws["net_value"], nbinsx=60, marker_color="#264653", name="Draws"))
    figure.add_vline(x=0, line_dash="dash", line_color="#e76f51", annotation_text="break-even")
    share = float((draws["net_value"] > 0).mean()) if len(draws) else float("nan")
    figure.update_layout(
        showlegend=False, title={"text": f"Net value above 0 in {share:.0%} of draws", "font": {"size": 14}}
    )
    return _layout(figure, x_title="Total net value", y_title="Draws")


def strategy_comparison(frame: pd.DataFrame) -> go.Figure:
    """Median net value against campaign size, one line per targeting strategy with its 90% band;
    a star marks the configured plan. ``frame`` is :func:`retention.campaigns.compare_strategies`' output."""
    figure = go.Figure()
    colours = ["#2a9d8f", "#e76f51", "#264653", "#e9c46a", "#8ab17d"]
    for index, (label, rows) in enumerate(frame.groupby("label", sort=False)):
        colour = colours[index % len(colours)]
        rows = rows.sort_values("members")
        figure.add_scatter(
            x=pd.concat([rows["members"], rows["members"][::-1]]),
            y=pd.concat([rows["net_value_high"], rows["net_value_low"][::-1]]),
            mode="lines",
            fill="toself",
            fillcolor=colour,
            opacity=0.12,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
        figure.add_scatter(
            x=rows["members"],
            y=rows["net_value_median"],
            mode="lines+markers",
            name=label,
            line={"color": colour},
            hovertemplate="%{x:,} members: median net value %{y:,.0f}<extra>" + label + "</extra>",
        )
    chosen = frame[frame["chosen"]]
    if not chosen.empty:
        figure.add_scatter(
            x=chosen["members"],
            y=chosen["net_value_median"],
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": "#1d3557"},
            name="Your plan",
        )
    figure.add_hline(y=0, line_color="grey", line_width=1)
    return _layout(figure, x_title="Members targeted", y_title="Net value (median, 90% interval)")


def arm_differences(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Retention difference of each arm against control in percentage points, with its 95% interval; ``labels``
    maps arm ids to what the axis shows (ids where absent)."""
    arms = table[table["arm"] != "control"]
    figure = go.Figure(
        go.Scatter(
            x=arms["retention_diff"] * 100,
            y=_names(arms["arm"], labels),
            mode="markers",
            marker={"size": 12, "color": "#264653"},
            error_x=_interval(
                arms["retention_diff"] * 100, arms["retention_diff_low"] * 100, arms["retention_diff_high"] * 100
            ),
            hovertemplate="%{y}: %{x:+.1f} pp<extra></extra>",
        )
    )
    figure.add_vline(x=0, line_color="grey", line_dash="dash")
    figure.update_layout(height=160 + 60 * len(arms))
    return _layout(figure, x_title="Retention vs control (percentage points, 95% interval)", y_title="Arm")


def beta_pdf(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """The Beta(``alpha``, ``beta``) density at ``x`` (in [0, 1]), as ``scipy.stats.beta.pdf`` computes it."""
    return np.exp(special.xlogy(alpha - 1, x) + special.xlog1py(beta - 1, -x) - special.betaln(alpha, beta))


def posterior_curves(post: pd.DataFrame, points: int = 400, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Beta posterior density of each arm's retention (``post`` from :func:`retention.campaigns.posteriors`), one
    curve per arm named by ``labels`` (ids where absent)."""
    low = max(0.0, float(post["low"].min()) - 0.05)
    high = min(1.0, float(post["high"].max()) + 0.05)
    grid = np.linspace(low, high, points)
    figure = go.Figure()
    for row, name in zip(post.itertuples(), _names(post["arm"], labels), strict=True):
        figure.add_scatter(x=grid * 100, y=beta_pdf(grid, row.alpha, row.beta), mode="lines", name=name)
    return _layout(figure, x_title="Retention (%)", y_title="Posterior density")
