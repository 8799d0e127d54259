"""Cached data, fitted models, jobs and widgets of the Recommenders page.

Training runs as a job of the server (see :mod:`retention.jobs`): the page shows the newest training job, its
progress while it runs and what it saved (or its error) once it has ended, in every session that opens the page.
The per-customer panels use each run's model fitted on all feedback, saved with the run; when it is missing or
stale (the feedback changed since), a job refits and replaces it and the panel shows its progress meanwhile.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from retention import jobs, recommend
from retention.charts import recommenders as charts
from retention.recommend import board
from retention.recommend import feedback as fb
from retention.recommend import job as recommend_job
from retention.recommend import runs as recommend_runs
from retention.recommend.metrics import RANKING_METRICS
from retention.recommend.models import ModelSpec, Param
from retention.ui import jobs as ui_jobs
from retention.ui.common import cursor, readable, writer

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


def leaderboard_columns(k: int) -> dict:
    """Readable headers of the leaderboard at list length ``k``: each metric's label, its explanation on hover, its
    interval's header; the bounds of the intervals (kept for the CSV) hidden."""
    metrics = {
        name: st.column_config.Column(info.label.replace("@K", f"@{k}"), help=info.explanation)
        for name, info in [*recommend.METRICS.items(), *recommend.TIMINGS.items()]
    }
    intervals = {
        charts.interval_column(name): st.column_config.TextColumn(
            "95% CI", help=f"95% interval of {board.metric_words(name, k)}: bootstrap over the evaluated customers"
        )
        for name in RANKING_METRICS
    }
    hidden = {f"{name}_{end}": None for name in RANKING_METRICS for end in ("low", "high")}
    return {
        "name": st.column_config.TextColumn("Run", pinned=True),
        "model": st.column_config.TextColumn("Model"),
        **metrics,
        **intervals,
        **hidden,
        "created_at": st.column_config.DatetimeColumn("Trained", format="YYYY-MM-DD HH:mm"),
    }


SLICE_COLUMNS = {
    "slice": st.column_config.TextColumn("Customers", help="cold: fewer than 3 feedback rows in training"),
    "customers": st.column_config.NumberColumn("Evaluated", format="%d", help="Evaluated customers in the slice"),
}


def baselines() -> set[str]:
    """The registry names of the baseline models (family 'baseline')."""
    return {name for name, spec in recommend.MODELS.items() if spec.family == "baseline"}


@st.cache_data(show_spinner="Comparing runs customer by customer…", max_entries=32)
def verdicts(path: str, version: str, run_ids: tuple[int, ...]) -> list[str]:
    """The verdict sentences of the group of runs ``run_ids`` (:func:`retention.recommend.runs.group_verdicts`):
    paired bootstraps over customers, seconds at 100,000 customers, hence cached (a saved run never changes)."""
    with cursor() as con:
        table = recommend.list_runs(con)
        group = table[table["run_id"].isin(run_ids)]
        return [verdict.sentence for verdict in recommend_runs.group_verdicts(con, group)]


def feedback_summary(path: str, version: str) -> recommend.FeedbackSummary:
    """The feedback and its default time split: as the newest training on this feedback saved them (see
    :class:`retention.recommend.job.Training`), else computed (seconds to minutes on a big shop) and cached."""
    job = training_job()
    saved = (job.result or {}).get("summary") if job is not None and job.status == "done" else None
    if saved:
        with cursor() as con:
            current = recommend.feedback_version(con)
        if saved["data_version"] == current:
            return recommend.FeedbackSummary(**{key: value for key, value in saved.items() if key != "data_version"})
    return computed_summary(path, version)


@st.cache_data(show_spinner="Reading feedback…")
def computed_summary(path: str, version: str) -> recommend.FeedbackSummary:
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


@st.cache_data(show_spinner=False)
def source_rows(path: str, version: str) -> dict[str, int]:
    """Rows per feedback source (see :func:`retention.recommend.feedback.source_rows`)."""
    with cursor() as con:
        return fb.source_rows(con)


def offered_sources(counts: dict[str, int]) -> dict[str, int]:
    """The sources a training can use, in :data:`~retention.recommend.feedback.SOURCES` order: source -> rows
    (the combined source: the rows of views, add-to-carts and purchases); sources without rows are left out."""
    rows = {kind: counts.get(kind, 0) for kind in fb.SOURCES if kind != fb.COMBINED}
    rows[fb.COMBINED] = sum(rows[kind] for kind in fb.WEIGHED_SOURCES)
    return {kind: count for kind, count in rows.items() if count > 0}


def feedback_choice(path: str, version: str) -> tuple[str, fb.Weights | None]:
    """A feedback source picker (each source's rows, the default marked) and, for the combined source, its
    weights; returns the source and the weights (None unless combined)."""
    counts = source_rows(path, version)
    default = fb.default_source(counts)
    offered = offered_sources(counts)

    def label(kind: str) -> str:
        marked = " (default: the most rows)" if kind == default else ""
        return f"{fb.source_label(kind).capitalize()}: {offered[kind]:,} rows{marked}"

    kind = st.selectbox(
        "Feedback",
        list(offered),
        index=list(offered).index(default),
        format_func=label,
        help="What the models learn from, one implicit or explicit rating per customer and item (the rule shows "
        "at the top of the page for the default source). Combined weighs views, add-to-carts and purchases.",
    )
    if kind != fb.COMBINED:
        return kind, None
    columns = st.columns(len(fb.WEIGHT_KEYS))
    defaults = dict(fb.DEFAULT_WEIGHTS)
    weights = tuple(
        (key, float(column.number_input(f"Weight of {fb.WEIGHT_WORDS[key]}", 0.0, 100.0, defaults[key], 1.0)))
        for column, key in zip(columns, fb.WEIGHT_KEYS, strict=True)
    )
    return kind, weights


def runs(path: str) -> pd.DataFrame:
    """Saved runs (not cached: training and deleting change them)."""
    with cursor() as con:
        return recommend.list_runs(con)


def delete_runs(path: str, run_ids: list[int]) -> None:
    with writer() as con:
        recommend.delete_runs(con, run_ids)


def newest_job(kind: str, params: dict | None = None) -> jobs.Job | None:
    """The newest job of ``kind`` (with exactly ``params`` when given), running or ended; read fresh."""
    ui_jobs.server_started()
    with cursor() as con:
        recent = jobs.recent(con)
    for row in recent.itertuples(index=False):
        if row.kind == kind and (params is None or json.loads(row.params) == params):
            return ui_jobs.job(int(row.job_id))
    return None


def training_job() -> jobs.Job | None:
    """The newest training job, running or ended (the page shows it in every session)."""
    return newest_job(recommend_job.KIND)


def training_outcome(job: jobs.Job) -> None:
    """The newest training job: its progress while it runs, then what it saved and skipped, or its error."""
    if job.running:
        ui_jobs.progress(job.job_id)
    elif job.status == "done":
        kind = job.result.get("feedback")  # absent from jobs run before sources were a choice
        source = f"; feedback: {fb.source_label(kind)}" if kind else ""
        st.success(
            f"Saved {len(job.result['run_ids'])} run(s), each with its model fitted on all feedback "
            f"(training job {job.job_id}, finished {job.updated_at:%Y-%m-%d %H:%M}){source}."
        )
        for label, reason in skipped_labels(job).items():
            st.info(f"Not trained: {label}. {readable(reason)}", icon=":material/block:")
    else:
        st.error(f"Training job {job.job_id} {job.status}: {readable(job.error or 'no reason recorded')}")


def start_training(path: str, selections: dict[str, dict], query: recommend.SplitQuery, k: int) -> jobs.Job:
    """Start the job that evaluates the selected models (name -> hyperparameters) on one split and saves each
    run with its model fitted on all feedback; returns its row."""
    return jobs.start(
        path,
        recommend_job.KIND,
        recommend_job.job_params(selections, query, k),
        lambda progress: recommend_job.train(path, selections, query, k, progress),
        started_by="app",
        describe=recommend_job.job_result,
    )


def skipped_labels(job: jobs.Job) -> dict[str, str]:
    """The models a finished training could not run on this data: label -> reason."""
    skipped = (job.result or {}).get("skipped", {})
    return {recommend.MODELS[name].label if name in recommend.MODELS else name: why for name, why in skipped.items()}


@st.cache_resource(show_spinner="Loading the saved model…", max_entries=8)
def _loaded(path: str, run_id: int, version: str, fitted_at: str) -> recommend.Recommender | None:
    with cursor() as con:
        return recommend.load_model(con, run_id, version)


def saved_recommender(path: str, run_id: int) -> recommend.Recommender | None:
    """Run ``run_id``'s model fitted on all feedback, loaded from the warehouse when it is fresh; else None, having
    shown the job that refits and saves it (started here when none runs) or the error of the one that failed.

    The recommender is shared between sessions: treat it as read-only.
    """
    with cursor() as con:
        version = recommend.feedback_version(con)
        info = recommend.model_info(con, run_id)
    if info is not None and info.data_version == version:
        loaded = _loaded(path, run_id, version, str(info.fitted_at))
        if loaded is not None:
            return loaded
    params = recommend_job.refit_params(run_id, version)
    job = newest_job(recommend_job.REFIT_KIND, params)
    if job is None or job.status not in ("running", "failed"):
        job = start_refit(path, run_id, version)
    if job.running:
        st.caption(
            "Fitting this run's model on all feedback: "
            + ("the data changed since it was saved." if info else "none is saved yet.")
        )
    ui_jobs.done_or_shown(
        job, again="Fit again", key=f"refit-{run_id}", restart=lambda: start_refit(path, run_id, version)
    )
    return None


def start_refit(path: str, run_id: int, version: str) -> jobs.Job:
    """Start the job that fits run ``run_id``'s model on all feedback and saves it; returns its row."""
    return jobs.start(
        path,
        recommend_job.REFIT_KIND,
        recommend_job.refit_params(run_id, version),
        lambda progress: recommend_job.refit(path, run_id, progress),
        started_by="app",
    )


def groups(runs: pd.DataFrame) -> dict[str, str]:
    """Comparable groups of the saved runs: key -> label, the newest run's group first."""
    return board.groups(runs)


def run_names(runs: pd.DataFrame) -> dict[int, str]:
    """Run id -> the run's name, for pickers."""
    return dict(zip(runs["run_id"].astype(int), runs["name"], strict=True))


def best_run_ids(runs: pd.DataFrame, column: str, n: int) -> list[int]:
    """Ids of the ``n`` runs with the highest ``column`` (ties: newest first)."""
    return runs.sort_values([column, "run_id"], ascending=False)["run_id"].head(n).tolist()


def recommendations(path: str, run_id: int, user_id: str, k: int) -> pd.DataFrame | None:
    """One user's top-``k`` from run ``run_id``'s model fitted on all feedback (columns of
    :meth:`retention.recommend.Recommender.recommend`); None while a job fits it (see :func:`saved_recommender`)."""
    fitted = saved_recommender(path, run_id)
    if fitted is None:
        return None
    with cursor() as con:
        return recommend.recommend(con, fitted, [user_id], k)


def model_labels() -> dict[str, str]:
    """Every registered model: registry name -> readable label, in registration order."""
    return {name: spec.label for name, spec in recommend.MODELS.items()}


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
