"""Figures and tables of the Recommenders page's leaderboard: one comparable group of runs at a time."""

from __future__ import annotations

import json
from collections.abc import Collection

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from retention.recommend.metrics import BEYOND_ACCURACY, METRIC_NAMES, METRICS, RANKING_METRICS, TIMINGS

BEST_COLOUR = "#2e7d32"
OTHER_COLOUR = "#90a4ae"
LEADERBOARD_METRICS = (*METRIC_NAMES, *TIMINGS)
# Columns a baseline is never crowned on: being unusual or fast is no merit in a list that ignores the customer.
NOT_FOR_BASELINES = (*BEYOND_ACCURACY, *TIMINGS)
FIRST_COLUMNS = ("name", "model")
LAST_COLUMNS = ("created_at",)


def metric_info(column: str):
    """The :class:`~retention.recommend.metrics.MetricInfo` of a leaderboard column (metric or timing)."""
    return METRICS.get(column) or TIMINGS[column]


def interval_column(metric: str) -> str:
    """The name of the text column that holds ``metric``'s 95% interval."""
    return f"{metric}_ci"


def best_runs(runs: pd.DataFrame, column: str, eligible: pd.Series | None = None) -> pd.Series:
    """True for the runs holding the best value of ``column`` (max or min by the metric's direction) among the
    ``eligible`` ones (default: all); NaN is never best."""
    values = runs[column] if eligible is None else runs[column].where(eligible)
    if values.isna().all():
        return pd.Series(False, index=runs.index)
    best = values.max() if metric_info(column).higher_is_better else values.min()
    return values == best


def _readable(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def param_columns(runs: pd.DataFrame, taken: Collection[str] = ()) -> pd.DataFrame:
    """One text column per hyperparameter of the runs (union over runs, in first-seen order; empty where a run's
    model has no such parameter); a name that clashes with one of ``taken`` is prefixed with ``'param '``."""
    decoded = [json.loads(text) for text in runs["params"]]
    names = list(dict.fromkeys(name for params in decoded for name in params))
    return pd.DataFrame(
        {
            (f"param {name}" if name in taken else name): [
                _readable(params[name]) if name in params else None for params in decoded
            ]
            for name in names
        },
        index=runs.index,
    )


def leaderboard_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of one group for display and download: ``name``, ``model``, every metric (each ranking metric
    followed by its 95% interval as text, ``'0.259–0.283'``), the timings, one column per hyperparameter,
    ``created_at``, and the intervals' ``_low`` and ``_high`` bounds."""
    metrics = []
    for metric in LEADERBOARD_METRICS:
        metrics.append(metric)
        if metric in RANKING_METRICS:
            metrics.append(interval_column(metric))
    table = runs.copy()
    for metric in RANKING_METRICS:
        low, high = table[f"{metric}_low"], table[f"{metric}_high"]
        text = low.map("{:.3f}".format) + "–" + high.map("{:.3f}".format)
        table[interval_column(metric)] = text.where(low.notna() & high.notna(), None)
    taken = {*table.columns, *metrics}
    params = param_columns(table, taken)
    bounds = [f"{metric}_{end}" for metric in RANKING_METRICS for end in ("low", "high")]
    return pd.concat([table[list(FIRST_COLUMNS) + metrics], params, table[list(LAST_COLUMNS) + bounds]], axis=1)


def leaderboard_style(runs: pd.DataFrame, baselines: Collection[str]) -> Styler:
    """:func:`leaderboard_table` with the best value of each metric column in bold green (missing values as a dash);
    runs of the ``baselines`` models are never crowned on the beyond-accuracy and timing columns."""
    table = leaderboard_table(runs)
    columns = [column for column in LEADERBOARD_METRICS if column in table]
    styler = table.style.format(precision=4, na_rep="–", subset=columns)
    models = ~table["model"].isin(list(baselines))

    def highlight(column: pd.Series) -> list[str]:
        best = best_runs(table, column.name, models if column.name in NOT_FOR_BASELINES else None)
        return [f"color: {BEST_COLOUR}; font-weight: bold" if flag else "" for flag in best]

    return styler.apply(highlight, subset=columns)


def metric_bars(runs: pd.DataFrame, column: str, baselines: Collection[str] = ()) -> go.Figure:
    """One bar per run (by name) for ``column``, with its 95% interval as an error bar where it has one; the best
    run's bar is green (never a baseline's on the beyond-accuracy and timing columns). Runs where the metric does
    not apply are left out."""
    shown = runs[runs[column].notna()].iloc[::-1]
    eligible = ~shown["model"].isin(list(baselines)) if column in NOT_FOR_BASELINES else None
    best = best_runs(shown, column, eligible)
    info = metric_info(column)
    error = None
    if f"{column}_low" in shown and shown[f"{column}_low"].notna().any():
        error = {
            "type": "data",
            "symmetric": False,
            "array": (shown[f"{column}_high"] - shown[column]).fillna(0).to_numpy(),
            "arrayminus": (shown[column] - shown[f"{column}_low"]).fillna(0).to_numpy(),
            "color": "#455a64",
        }
    figure = go.Figure(
        go.Bar(
            x=shown[column],
            y=shown["name"],
            orientation="h",
            marker_color=[BEST_COLOUR if flag else OTHER_COLOUR for flag in best],
            error_x=error,
            text=shown[column].round(4),
            textposition="inside" if error else "auto",
            insidetextanchor="start",
        )
    )
    direction = "higher is better" if info.higher_is_better else "lower is better"
    interval = "; whiskers: 95% interval over customers" if error else ""
    figure.update_layout(
        xaxis_title=f"{info.label} ({direction}{interval})",
        yaxis_title=None,
        margin={"t": 20},
        height=max(220, 40 * len(shown) + 80),
    )
    return figure


def slice_table(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Slices x runs for ``metric``: ``slice``, ``customers`` (evaluated customers in it, as the newest run that has
    the slice counts them), then one column per run (by name, in the order of ``runs``); NaN where a run has no such
    slice. Empty when no run kept slices."""
    decoded = {
        name: json.loads(text) if isinstance(text, str) else {}
        for name, text in zip(runs["name"], runs["slices"], strict=True)
    }
    names = list(dict.fromkeys(slice_name for slices in decoded.values() for slice_name in slices))
    if not names:
        return pd.DataFrame(columns=["slice", "customers"])
    customers = [next(slices[name]["users"] for slices in decoded.values() if name in slices) for name in names]
    values = {run: [slices.get(name, {}).get(metric, np.nan) for name in names] for run, slices in decoded.items()}
    return pd.DataFrame({"slice": names, "customers": customers, **values})
