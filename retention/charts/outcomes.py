"""Figures of the Monitoring page's outcome sections: realised recommender hit rates and campaign results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.charts.axes import threshold_line, time_layout

MODEL_COLOUR = "#264653"
BASELINE_COLOUR = "#90a4ae"
GOOD_COLOUR = "#2a9d8f"
BAD_COLOUR = "#e76f51"


def _layout(figure: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
    return time_layout(figure, x_title=x_title, y_title=y_title)


def hit_rates(runs: pd.DataFrame) -> go.Figure:
    """Each evaluated run's realised hit rate at its cutoff, one line per model over its runs, beside the most
    popular items' hit rate on the same customers (grey diamonds).

    ``runs`` has the columns of :func:`retention.monitoring.outcomes.hit_rates`; runs without customers are left
    out. Hit rates in [0, 1], shown as percentages.
    """
    shown = runs[runs["users"] > 0].sort_values(["cutoff", "run_id"])
    figure = go.Figure()
    for _, model_runs in shown.groupby("model", sort=False):
        figure.add_trace(
            go.Scatter(
                x=model_runs["cutoff"],
                y=model_runs["hit_rate"],
                mode="markers+lines",
                name=str(model_runs["name"].iloc[-1]).split(" · ")[0],
                text=[f"#{row.run_id} {row.name}" for row in model_runs.itertuples()],
                customdata=model_runs["users"],
                marker={"size": 10},
                hovertemplate="%{text}<br>hit rate %{y:.1%} of %{customdata} customers<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=shown["cutoff"],
            y=shown["popularity_hit_rate"],
            mode="markers",
            name="Most popular items (same customers)",
            text=[f"#{row.run_id} {row.name}" for row in shown.itertuples()],
            marker={"color": BASELINE_COLOUR, "size": 11, "symbol": "diamond-open", "line": {"width": 2}},
            hovertemplate="%{text}: most popular items hit %{y:.1%}<extra></extra>",
        )
    )
    figure.update_yaxes(tickformat=".1%", rangemode="tozero")
    return _layout(figure, x_title="Lists as of (the model's latest order)", y_title="Customers with a hit")


def hit_rate_margins(runs: pd.DataFrame, threshold: float) -> go.Figure:
    """Each evaluated run's hit rate minus the most popular items' (percentage points), with the check's
    ``threshold`` (a difference, as a proportion) drawn: bars below it are red."""
    shown = runs[runs["users"] > 0].sort_values(["cutoff", "run_id"])
    figure = go.Figure(
        go.Bar(
            x=[f"#{row.run_id} {str(row.name).split(' · ')[0]}" for row in shown.itertuples()],
            y=shown["margin"],
            text=shown["name"],
            marker_color=[BAD_COLOUR if value < threshold else GOOD_COLOUR for value in shown["margin"]],
            hovertemplate="%{text}: %{y:+.1%} against the most popular items<extra></extra>",
            textposition="none",
        )
    )
    threshold_line(figure, threshold, "threshold")
    figure.update_yaxes(tickformat="+.0%")
    return _layout(figure, x_title="Saved run", y_title="Hit rate minus most popular")


def uplift_timeline(arms: pd.DataFrame) -> go.Figure:
    """Each treated arm's retention difference against its control, at its campaign's launch, with its 95%
    interval as error bars and 0 (no effect) drawn.

    ``arms`` has the columns of :func:`retention.monitoring.outcomes.campaign_arms`; differences are
    proportions, shown as percentage points.
    """
    shown = arms.sort_values(["launched", "campaign_id"])
    clear = shown["retention_diff_low"] > 0
    figure = go.Figure(
        go.Scatter(
            x=shown["launched"],
            y=shown["retention_diff"],
            mode="markers",
            text=[f"#{row.campaign_id} {row.name} · {row.arm}" for row in shown.itertuples()],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": shown["retention_diff_high"] - shown["retention_diff"],
                "arrayminus": shown["retention_diff"] - shown["retention_diff_low"],
            },
            marker={"color": [GOOD_COLOUR if value else MODEL_COLOUR for value in clear], "size": 10},
            hovertemplate="%{text}<br>retention %{y:+.1%} against control<extra></extra>",
        )
    )
    threshold_line(figure, 0, "no effect")
    figure.update_yaxes(tickformat="+.0%")
    return _layout(figure, x_title="Launched", y_title="Retention vs control (95% interval)")


def cumulative_return(running: pd.DataFrame, threshold: float) -> go.Figure:
    """Incremental revenue, cost and net return of all campaigns together, campaign by campaign in launch order
    (``running`` as :func:`retention.monitoring.outcomes.cumulative` gives it), with the net return's
    ``threshold`` drawn (currency)."""
    figure = go.Figure()
    lines = (("incremental_revenue", "Incremental revenue", GOOD_COLOUR), ("cost", "Cost", BASELINE_COLOUR))
    for column, name, colour in (*lines, ("net_return", "Net return", MODEL_COLOUR)):
        figure.add_trace(
            go.Scatter(
                x=running["launched"],
                y=running[column],
                mode="markers+lines",
                name=name,
                text=[f"#{row.campaign_id} {row.name}" for row in running.itertuples()],
                line={"color": colour, "width": 3 if column == "net_return" else 2},
                hovertemplate=f"{name} up to %{{text}}: %{{y:,.0f}}<extra></extra>",
            )
        )
    threshold_line(figure, threshold, "threshold")
    return _layout(figure, x_title="Launched", y_title="All campaigns so far (currency)")
