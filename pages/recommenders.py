"""Recommenders: train variants on the same split, compare them on held-out feedback, inspect one customer."""

import pandas as pd
import streamlit as st

from retention.charts import recommenders as charts
from retention.recommend import (
    METRIC_NAMES,
    METRICS,
    MODE_LABELS,
    FeedbackSummary,
    SplitQuery,
    default_models,
    source_label,
)
from retention.recommend.metrics import RANKING_METRICS
from retention.recommend.modes import MODE_NAMES, MODE_NOTES, run_mode
from retention.recommend.search import SearchQuery
from retention.recommend.stratified import TEST_SHARE as STRATIFIED_TEST_SHARE
from retention.ui import common, promotion
from retention.ui import recommender_search as tuning
from retention.ui import recommenders as cached

SPLIT_LABELS = {"time": "Time", "random": "Random k-fold", "stratified": "Per customer 75/25"}


def feedback_tiles(summary: FeedbackSummary) -> None:
    """Which source the default feedback is, how it was obtained, its size, and what the default time split
    leaves out."""
    st.info(
        f"**Default feedback: {source_label(summary.kind)}** (the source with the most rows; the tiles describe "
        f"it). {summary.rule}",
        icon=":material/info:",
    )
    tiles = st.columns(5)
    tiles[0].metric("Customers with feedback", f"{summary.users:,}")
    tiles[1].metric("Items with feedback", f"{summary.items:,}")
    tiles[2].metric("Feedback rows", f"{summary.rows:,}", help="One row per customer and item.")
    if summary.split_error:
        st.warning(f"The default time split is not possible: {summary.split_error}")
        return
    tiles[3].metric(
        "Cold-start customers",
        f"{summary.cold_users:,}",
        help="Customers active after the cutoff with no feedback before it: no model knows them, so they get the "
        "most-popular list (in campaigns too). They are left out of the ranking metrics, for every model alike.",
    )
    tiles[4].metric(
        "Cold-start items",
        f"{summary.cold_items:,}",
        help="Items first bought or rated after the cutoff: no model here can recommend them until they have "
        "feedback. They are left out of the ranking metrics.",
    )
    st.caption(
        f"Default time split: train before {summary.cutoff[:10]}, test after; "
        f"{summary.eval_users:,} customers have new items to rank."
    )


def training_form(path: str, version: str) -> None:
    """Models, feedback source, split and K to train with; the button starts the training job (one run per model,
    each saved with its model fitted on all feedback of that source), shown below with its progress, then its
    outcome."""
    st.subheader("Train and evaluate")
    labels = cached.model_labels()
    chosen = st.multiselect(
        "Models",
        list(labels),
        default=default_models(),
        format_func=labels.get,
        help="The defaults train in well under a minute on a shop of 4,000 customers and 4,000 products. Off by "
        "default: the slow (SVD++, the neural models) and those that rarely win (SVD, item k-NN, random, ...). "
        "`python -m retention recommenders models` lists them all.",
    )
    if {"ncf", "gru4rec"} & set(chosen):
        st.caption(
            ":material/info: The neural models take minutes where the others take seconds, and they rarely win on a "
            "shop's purchases: on Online Retail both scored about twice popularity but below EASE, ALS and SVD in "
            "discovery, and far below buy again in repeat-aware mode. The verdicts above the leaderboard say whether "
            "they win on your data."
        )
    feedback, weights = cached.feedback_choice(path, version)
    mode = st.radio(
        "Evaluation mode",
        list(MODE_LABELS),
        format_func=MODE_LABELS.get,
        horizontal=True,
        help="Discovery suits lists of new products; repeat-aware suits replenishment and win-back emails, where "
        "much of what a customer buys next is what they bought before.",
    )
    settings = st.columns(3)
    split = settings[0].segmented_control(
        "Split",
        list(SPLIT_LABELS),
        default="time",
        format_func=SPLIT_LABELS.get,
        help="Time: train before the cutoff, test after (like real use). Random: k-fold over feedback rows. "
        "Per customer: each customer's feedback split 75/25 at random (Microsoft Recommenders' stratified "
        "split, to compare with published tables).",
    )
    k = settings[1].number_input("K (list length)", min_value=1, max_value=100, value=10)
    folds = settings[2].number_input(
        "Folds (random split)", min_value=2, max_value=10, value=5, disabled=split != "random"
    )
    selections = cached.model_settings(chosen)
    job = common.attempt(cached.training_job)
    busy = job is not None and job.running
    if st.button("Train and evaluate", type="primary", disabled=not chosen or busy, icon=":material/model_training:"):
        split = split or "time"
        share = STRATIFIED_TEST_SHARE if split == "stratified" else SplitQuery.test_share
        query = SplitQuery(split, test_share=share, folds=int(folds), mode=mode, feedback=feedback, weights=weights)
        job = common.attempt(cached.start_training, path, selections, query, int(k))
    if job is not None:
        cached.training_outcome(job)


def tune_form(path: str) -> None:
    """One model's hyperparameters searched on one split within a budget; the best setting is saved as a tuned
    run (in the leaderboard below). The newest search shows its progress, then its trials, chart and CSV."""
    with st.expander("Tune a model: search its hyperparameters", icon=":material/tune:"):
        labels = cached.model_labels()
        cells = st.columns(3)
        model = cells[0].selectbox("Model", list(labels), format_func=labels.get, key="tune-model")
        strategy = cells[1].segmented_control(
            "Strategy",
            list(tuning.STRATEGY_LABELS),
            default="random",
            format_func=tuning.STRATEGY_LABELS.get,
            key="tune-strategy",
            help="Random: the defaults, then seeded draws from the ranges. Grid: every combination of three values "
            "per range (a seeded sample of it when the budget is smaller).",
        )
        metric = cells[2].selectbox(
            "Metric",
            list(METRIC_NAMES),
            index=list(METRIC_NAMES).index("ndcg_at_k"),
            format_func=lambda name: METRICS[name].label,
            key="tune-metric",
        )
        budget = st.columns(3)
        runs = budget[0].number_input("Trials at most", min_value=1, max_value=200, value=10, key="tune-runs")
        minutes = budget[1].number_input(
            "Minutes at most",
            min_value=0.0,
            value=5.0,
            step=1.0,
            key="tune-minutes",
            help="No trial starts after this; 0 = no time limit.",
        )
        mode = budget[2].selectbox(
            "Evaluation mode",
            list(MODE_LABELS),
            format_func=lambda name: MODE_NAMES[name].capitalize(),
            key="tune-mode",
            help="The time split at the default cutoff, in this mode (see the training form above).",
        )
        space = common.attempt(tuning.default_space, model)
        if space is not None and not space.empty:
            st.caption("Ranges tried (the CLI's `recommenders search --range` sets others):")
            st.dataframe(space, hide_index=True)
        job = common.attempt(tuning.search_job)
        busy = job is not None and job.running
        if st.button("Search", disabled=busy, icon=":material/manage_search:", key="tune-start"):
            query = SearchQuery(model, strategy or "random", int(runs), float(minutes) or None, metric)
            job = common.attempt(tuning.start_search, path, query, SplitQuery(mode=mode))
        if job is not None:
            tuning.search_outcome(job)


def leaderboard(path: str, version: str, runs: pd.DataFrame) -> pd.DataFrame:
    """One comparable group of saved runs (chosen above it; default: the newest run's): the verdicts, the table with
    the best value per metric marked, a chart of one metric with its intervals, the metrics by slice of customers,
    and deleting runs. Returns the group's runs. A training that saved new runs brings their group up."""
    groups = {label: key for key, label in cached.groups(runs).items()}
    newest = int(runs["run_id"].max())
    if st.session_state.get("leaderboard-newest") != newest:
        st.session_state["leaderboard-newest"] = newest
        st.session_state.pop("leaderboard-group", None)  # the newest run's group (listed first) is chosen again
    group = st.selectbox(
        "Comparable runs",
        list(groups),
        key="leaderboard-group",
        help="Runs are comparable only when they share the data, the split, K, the feedback source and the mode.",
    )
    shown = runs[runs["group"] == groups[group]].sort_values(["ndcg_at_k", "run_id"], ascending=False)
    k, baselines = int(shown["k"].iloc[0]), cached.baselines()
    for sentence in cached.verdicts(path, version, tuple(shown["run_id"].tolist())):
        st.markdown(f":material/balance: {sentence}.")
    st.dataframe(
        charts.leaderboard_style(shown, baselines),
        hide_index=True,
        width="stretch",
        column_config=cached.leaderboard_columns(k),
        placeholder="–",
    )
    st.caption(
        "Best value per column in green, within this group; baselines are never crowned on coverage, novelty, "
        "diversity, popular share or time. 95% CI: bootstrap over the evaluated customers. –: the metric does not "
        "apply to that run (RMSE and MAE need a model that predicts ratings)."
    )
    common.download_csv(charts.leaderboard_table(shown), "recommender_runs.csv")

    with st.expander("What the metrics mean"):
        st.dataframe(cached.metric_glossary(), hide_index=True, width="stretch")
        st.caption(
            "Ranking metrics count, for each customer known before the cutoff, the items they bought or rated "
            "afterwards (in discovery mode, only those they had not interacted with before). The verdicts compare "
            "the best run by NDCG with the best baseline and the runner-up over the customers both evaluated "
            "(paired bootstrap): a difference whose interval holds zero is not a difference."
        )

    metric = st.selectbox(
        "Metric to chart",
        list(charts.LEADERBOARD_METRICS),
        index=list(charts.LEADERBOARD_METRICS).index("ndcg_at_k"),
        format_func=lambda column: charts.metric_info(column).label.replace("@K", f"@{k}"),
        key="leaderboard-metric",
    )
    st.plotly_chart(charts.metric_bars(shown, metric, baselines), width="stretch")

    st.markdown("**By slice of customers**")
    sliced = st.selectbox(
        "Metric by slice",
        list(RANKING_METRICS),
        index=list(RANKING_METRICS).index("ndcg_at_k"),
        format_func=lambda column: charts.metric_info(column).label.replace("@K", f"@{k}"),
        key="slice-metric",
    )
    slices = charts.slice_table(shown, sliced)
    if slices.empty:
        st.info("These runs were saved before metrics by slice were kept.")
    else:
        runs_shown = {
            name: st.column_config.NumberColumn(name, format="%.3f")
            for name in slices.columns
            if name not in ("slice", "customers")
        }
        st.dataframe(slices, hide_index=True, column_config={**cached.SLICE_COLUMNS, **runs_shown}, placeholder="–")
        common.download_csv(slices, f"recommender_slices_{sliced}.csv", key="download-slices")

    with st.expander("Delete runs"):
        names = cached.run_names(runs)
        doomed = st.multiselect("Runs to delete", list(names), format_func=names.get, key="delete-runs")
        if st.button("Delete selected runs", disabled=not doomed, icon=":material/delete:"):
            cached.delete_runs(path, doomed)
            st.rerun()
    return shown


def inspector(path: str, version: str, runs: pd.DataFrame, group: pd.DataFrame) -> None:
    """One customer's recommendations from several runs side by side, and the customer's history (loaded when
    asked for: it reads all feedback and the runs' saved models, seconds on a big shop)."""
    st.subheader("Inspect one customer")
    if not st.toggle(
        "Show one customer's recommendations",
        help="Loads the chosen runs' models fitted on all feedback, and the customers with the most feedback.",
    ):
        return
    users = common.attempt(cached.active_users, path, version)
    if users is None:
        return
    inspect = st.columns([1, 2, 1])
    user = inspect[0].selectbox("Customer", users, help="Customers with the most feedback first.")
    names = cached.run_names(runs)
    compared = inspect[1].multiselect(
        "Runs",
        list(names),
        default=cached.best_run_ids(group, "ndcg_at_k", 3),
        format_func=names.get,
        help="The leaderboard group's best three by NDCG first.",
    )
    top = inspect[2].number_input("Items", min_value=1, max_value=50, value=5)
    if not user:
        return
    if not compared:
        st.info("Pick one or more runs to see their recommendations for this customer.")
    panels = st.columns(3)
    for position, run_id in enumerate(compared):
        with panels[position % 3]:
            recommendations(path, runs, run_id, user, int(top))
    st.markdown("**History**")
    history = common.attempt(cached.user_history, path, version, user)
    if history is None:
        return
    st.dataframe(history, hide_index=True, column_config=cached.HISTORY_COLUMNS, placeholder="–", height=250)
    common.download_csv(history, f"history_{user}.csv", key="download-history")


def recommendations(path: str, runs: pd.DataFrame, run_id: int, user: str, top: int) -> None:
    """One run's top items for the customer (or the job fitting its model): a failure shows in this panel only."""
    run = runs[runs["run_id"] == run_id]
    st.markdown(f"**{cached.run_names(runs)[run_id]}**")
    st.caption(MODE_NOTES[run_mode(run["split"].iloc[0])])
    table = common.attempt(cached.recommendations, path, run_id, user, top)
    if table is None:
        return
    st.dataframe(
        table[["rank", "title", "score", "item_id"]],
        hide_index=True,
        column_config=cached.RECOMMENDATION_COLUMNS,
        column_order=["rank", "title", "score"],
        placeholder="–",
    )
    common.download_csv(table, f"recommendations_{run_id}_{user}.csv", key=f"download-{run_id}")


common.page_header(
    "Recommenders",
    "Which recommender should pick the products in campaigns? Train variants on the same split and compare them "
    "on what customers went on to buy or rate.",
)
path = common.db_path()
version = common.attempt(common.data_version)
if version is None:
    st.stop()
summary = common.attempt(cached.feedback_summary, path, version, empty_state=True)
if summary is None:
    st.stop()
feedback_tiles(summary)
training_form(path, version)

st.subheader("Leaderboard")
runs = cached.runs(path)
if runs.empty:
    st.info("No runs yet: pick models above and press **Train and evaluate**. Runs are kept between sessions.")
else:
    group = leaderboard(path, version, runs)
    inspector(path, version, runs, group)
    promotion.section(path, runs, cached.run_names(runs))
tune_form(path)
