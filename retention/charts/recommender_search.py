"""The figure of a hyperparameter search (the Recommenders page's "Tune a model")."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from retention.charts.recommenders import BEST_COLOUR, OTHER_COLOUR, metric_info


def trials_scatter(trials: pd.DataFrame, param: str | None, metric: str, best: int) -> go.Figure:
    """One point per trial: ``metric`` against the hyperparameter ``param`` (the trial number when None), the
    trial at position ``best`` (0-based) in green; a log axis when the values span more than two decades."""
    x = trials[param] if param else trials["trial"]
    colours = [BEST_COLOUR if position == best else OTHER_COLOUR for position in range(len(trials))]
    figure = go.Figure(
        go.Scatter(
            x=x.astype(str) if x.dtype == bool else x,
            y=trials[metric],
            mode="markers",
            marker={"color": colours, "size": 11},
            text=[f"Trial {trial}" for trial in trials["trial"]],
            hovertemplate="%{text}: %{x} → %{y:.4f}<extra></extra>",
        )
    )
    numeric = pd.api.types.is_numeric_dtype(x) and x.dtype != bool
    wide = numeric and (x > 0).all() and x.max() / x.min() > 100
    info = metric_info(metric)
    direction = "higher is better" if info.higher_is_better else "lower is better"
    figure.update_layout(
        xaxis_title=param or "trial",
        xaxis_type="log" if wide else None,
        yaxis_title=f"{info.label} ({direction})",
        margin={"t": 20},
        height=320,
    )
    return figure
