"""Figures and table styling of the Recommenders page."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from retention.recommend.feedback import WEIGHT_KEYS, source_label
from retention.recommend.metrics import METRIC_NAMES, METRICS, TIMINGS

BEST_COLOUR = "#2e7d32"
OTHER_COLOUR = "#90a4ae"
LEADERBOARD_METRICS = (*METRIC_NAMES, *TIMINGS)


def metric_info(column: str):
    """The :class:`~retention.recommend.metrics.MetricInfo` of a leaderboard column (metric or timing)."""
    return METRICS.get(column) or TIMINGS[column]


def run_labels(runs: pd.DataFrame) -> pd.Series:
    """``'#12 svd'`` style labels, one per run."""
    return "#" + runs["run_id"].astype(str) + " " + runs["model"].astype(str)


def best_runs(runs: pd.DataFrame, column: str) -> pd.Series:
    """True for the runs holding the best value of ``column`` (max or min by the metric's direction); NaN is never best."""
    values = runs[column]
    if values.isna().all():
        return pd.Series(False, index=runs.index)
    best = values.max() if metric_info(column).higher_is_better else values.min()
    return values == best


def split_label(split_json: str) -> str:
    """A short description of a saved split and its feedback source: ``'time, test from 2026-04-29 · product
    views'``, ``'random, 5 folds · purchases'`` or ``'per customer, 25% test · ratings'`` (runs saved with
    'implicit' feedback read as purchases)."""
    split = json.loads(split_json)
    if split.get("kind") == "time":
        label = f"time, test from {str(split.get('cutoff', '?'))[:10]}"
    elif split.get("kind") == "stratified":
        label = f"per customer, {split.get('test_share', 0):.0%} test"
    else:
        label = f"random, {split.get('folds', '?')} folds"
    given = split.get("weights") or {}
    weights = ", ".join(f"{key} {given[key]:g}" for key in WEIGHT_KEYS if key in given)
    return f"{label} · {source_label(split.get('feedback'))}" + (f" ({weights})" if weights else "")


def leaderboard_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs for display: run, model, split label, K, metrics and timings first; params and time saved last."""
    table = runs.copy()
    table["split"] = table["split"].map(split_label)
    first = ["run_id", "model", "split", "k", *LEADERBOARD_METRICS]
    return table[first + [column for column in table.columns if column not in first]]


def leaderboard_style(runs: pd.DataFrame) -> Styler:
    """:func:`leaderboard_table` with the best value of each metric column in bold green (missing values as a dash)."""
    runs = leaderboard_table(runs)
    columns = [column for column in LEADERBOARD_METRICS if column in runs]
    styler = runs.style.format(precision=4, na_rep="–", subset=columns)

    def highlight(column: pd.Series) -> list[str]:
        best = best_runs(runs, column.name)
        return [f"color: {BEST_COLOUR}; font-weight: bold" if flag else "" for flag in best]

    return styler.apply(highlight, subset=columns)


def metric_bars(runs: pd.DataFrame, column: str) -> go.Figure:
    """One bar per run for ``column``; the best run's bar is green. Runs where the metric does not apply are left out."""
    shown = runs[runs[column].notna()].iloc[::-1]
    best = best_runs(shown, column)
    info = metric_info(column)
    figure = go.Figure(
        go.Bar(
            x=shown[column],
            y=run_labels(shown),
            orientation="h",
            marker_color=[BEST_COLOUR if flag else OTHER_COLOUR for flag in best],
            text=shown[column].round(4),
            textposition="auto",
        )
    )
    direction = "higher is better" if info.higher_is_better else "lower is better"
    figure.update_layout(
        xaxis_title=f"{info.label} ({direction})",
        yaxis_title=None,
        margin={"t": 20},
        height=max(220, 40 * len(shown) + 80),
    )
    return figure
