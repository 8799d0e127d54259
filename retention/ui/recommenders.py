"""Cached data, fitted models and widgets of the Recommenders page."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention import recommend
from retention.recommend.models import ModelSpec, Param
from retention.ui.common import cursor, writer

METRIC_GLOSSARY_COLUMNS = ("Metric", "What it tells you", "Better")
HISTORY_COLUMNS = {
    "item_id": st.column_config.TextColumn("Item"),
    "title": st.column_config.TextColumn("Product"),
    "category": st.column_config.TextColumn("Category"),
    "rating": st.column_config.NumberColumn(
        "Rating", format="%.1f", help="The feedback value the models learn from (see the note at the top)"
    ),
    "ts": st.column_config.DateColumn("Last interaction"),
}
RECOMMENDATION_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", format="%d", width=36),
    "title": st.column_config.TextColumn("Product", width=190),
    "score": st.column_config.NumberColumn(
        "Score", format="%.3f", width=64, help="The model's score: only the order matters"
    ),
    "item_id": st.column_config.TextColumn("Item"),
}


def leaderboard_columns() -> dict:
    """Readable headers of the leaderboard: each metric's label, its explanation on hover."""
    metrics = {
        name: st.column_config.Column(info.label, help=info.explanation)
        for name, info in [*recommend.METRICS.items(), *recommend.TIMINGS.items()]
    }
    return {
        "run_id": st.column_config.NumberColumn("Run", format="#%d"),
        "model": st.column_config.TextColumn("Model"),
        "split": st.column_config.TextColumn("Split"),
        "k": st.column_config.NumberColumn("K", format="%d"),
        **metrics,
        "params": st.column_config.TextColumn("Hyperparameters"),
        "created_at": st.column_config.DatetimeColumn("Trained", format="YYYY-MM-DD HH:mm"),
    }


@st.cache_data(show_spinner="Reading feedback…")
def feedback_summary(path: str, version: str) -> recommend.FeedbackSummary:
    with cursor() as con:
        return recommend.feedback_summary(con)


@st.cache_data(show_spinner=False)
def active_users(path: str, version: str, limit: int = 500) -> list[str]:
    with cursor() as con:
        return recommend.active_users(recommend.load_feedback(con), limit).index.tolist()


@st.cache_data(show_spinner=False)
def user_history(path: str, version: str, user_id: str) -> pd.DataFrame:
    with cursor() as con:
        return recommend.user_history(recommend.load_feedback(con), recommend.products(con), user_id)


def runs(path: str) -> pd.DataFrame:
    """Saved runs (not cached: training and deleting change them)."""
    with cursor() as con:
        return recommend.list_runs(con)


def delete_runs(path: str, run_ids: list[int]) -> None:
    with writer() as con:
        recommend.delete_runs(con, run_ids)


def train(
    path: str,
    selections: dict[str, dict],
    query: recommend.SplitQuery,
    k: int,
    progress: Callable[[float, str], None],
) -> tuple[list[int], dict[str, str]]:
    """Evaluate the selected models (name -> hyperparameters) on one split and save each run.

    Returns the new run ids, and the models that could not run on this data with the reason (label -> reason).
    """
    with cursor() as con:
        chosen = recommend.make_split(con, query)
    comparison = recommend.compare(chosen, selections, k=k, progress=progress)
    with writer() as con:
        run_ids = [recommend.save_run(con, result) for result in comparison.results]
    return run_ids, {recommend.MODELS[name].label: reason for name, reason in comparison.skipped.items()}


@st.cache_resource(show_spinner="Fitting the model on all feedback…", max_entries=8)
def recommender(path: str, version: str, model: str, params_json: str) -> recommend.Recommender:
    with cursor() as con:
        return recommend.fit_recommender(con, model, json.loads(params_json))


def best_run_ids(runs: pd.DataFrame, column: str, n: int) -> list[int]:
    """Ids of the ``n`` runs with the highest ``column`` (ties: newest first)."""
    return runs.sort_values([column, "run_id"], ascending=False)["run_id"].head(n).tolist()


def recommendations(path: str, version: str, runs: pd.DataFrame, run_id: int, user_id: str, k: int) -> pd.DataFrame:
    """One user's top-``k`` from the saved run ``run_id``'s model (a row of ``runs``) refitted on all feedback."""
    run = runs.loc[runs["run_id"] == run_id].iloc[0]
    fitted = recommender(path, version, str(run["model"]), str(run["params"]))
    with cursor() as con:
        return recommend.recommend(con, fitted, [user_id], k)


def model_labels() -> dict[str, str]:
    """Every registered model: registry name -> readable label, in registration order."""
    return {name: spec.label for name, spec in recommend.MODELS.items()}


def default_models() -> list[str]:
    """The models trained unless the user picks others (all but the slow and the rarely useful)."""
    return [name for name, spec in recommend.MODELS.items() if spec.default_on]


def metric_glossary() -> pd.DataFrame:
    """One row per leaderboard column: label, plain-language meaning, and which direction is better."""
    rows = [
        (info.label, info.explanation, "higher" if info.higher_is_better else "lower")
        for info in [*recommend.METRICS.values(), *recommend.TIMINGS.values()]
    ]
    return pd.DataFrame(rows, columns=list(METRIC_GLOSSARY_COLUMNS))


def param_widget(param: Param, key: str) -> object:
    """A widget for one hyperparameter, starting at its default."""
    if isinstance(param.default, bool):
        return st.checkbox(param.name, value=param.default, help=param.help, key=key)
    if param.choices:
        return st.selectbox(
            param.name, param.choices, index=param.choices.index(param.default), help=param.help, key=key
        )
    if isinstance(param.default, int):
        return st.number_input(
            param.name,
            min_value=int(param.low),
            max_value=int(param.high),
            value=param.default,
            step=1,
            help=param.help,
            key=key,
        )
    return st.number_input(
        param.name,
        min_value=float(param.low),
        max_value=float(param.high),
        value=float(param.default),
        format="%g",
        help=param.help,
        key=key,
    )


def param_widgets(spec: ModelSpec) -> dict:
    """Widgets for every hyperparameter of ``spec``, two per row; returns name -> chosen value."""
    values = {}
    columns = st.columns(2)
    for position, param in enumerate(spec.params):
        with columns[position % 2]:
            values[param.name] = param_widget(param, key=f"param-{spec.name}-{param.name}")
    return values


def model_settings(chosen: list[str]) -> dict[str, dict]:
    """Each chosen model's description and hyperparameter widgets (in an expander); returns name -> params."""
    selections = {}
    for name in chosen:
        spec = recommend.MODELS[name]
        if not spec.params:
            st.caption(f"**{spec.label}**: {spec.description} No hyperparameters.")
            selections[name] = {}
            continue
        with st.expander(f"{spec.label}: hyperparameters"):
            st.caption(spec.description)
            selections[name] = param_widgets(spec)
    return selections
