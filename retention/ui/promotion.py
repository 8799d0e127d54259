"""The Recommenders page's "Serve a run" section: promote a saved run to the HTTP service, demote it, and the
promotion history (see :mod:`retention.serve.publish`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention.serve import publish
from retention.ui import common
from retention.ui.common import cursor, writer

HISTORY_COLUMNS = {
    "promotion_id": None,
    "snapshot": None,
    "run_id": st.column_config.NumberColumn("Run id", format="%d"),
    "run_name": st.column_config.TextColumn("Run"),
    "model": st.column_config.TextColumn("Model"),
    "k": st.column_config.NumberColumn("K", format="%d", help="Items precomputed per customer"),
    "customers": st.column_config.NumberColumn("Customers", format="%d", help="Customers with a precomputed list"),
    "promoted_at": st.column_config.DatetimeColumn("Promoted (UTC)", format="YYYY-MM-DD HH:mm"),
    "demoted_at": st.column_config.DatetimeColumn("Demoted (UTC)", format="YYYY-MM-DD HH:mm"),
    "serving": st.column_config.CheckboxColumn("Serving"),
}


def history() -> pd.DataFrame:
    """The promotion history, newest first (see :func:`retention.serve.publish.promotions`)."""
    with cursor() as con:
        return publish.promotions(con)


def promote(path: str, run_id: int, k: int) -> str:
    """Promote run ``run_id`` with lists of ``k`` items; returns what the page says."""
    publish.promote(path, run_id, k)
    with cursor() as con:
        serving = publish.serving_promotion(con)
    return f"Run {run_id} serves: the top {k} items of {serving['customers']:,} customers are precomputed."


def demote(path: str) -> str:
    """Demote the serving run; returns what the page says."""
    with writer() as con:
        publish.demote(con, path)
    return "No run serves now: the service answers every customer with the most popular items."


def section(path: str, runs: pd.DataFrame, names: dict[int, str]) -> None:
    """Which run the HTTP service serves, a "Promote this run" button for a saved run, a demote button, and the
    history of promotions."""
    st.subheader("Serve a run")
    st.caption(
        "Promoting precomputes the run's top items for every customer it knows into the snapshot that "
        "`python -m retention serve` answers from; it picks up a new promotion without a restart."
    )
    promotions = common.attempt(history)
    if promotions is None:
        return
    serving = promotions[promotions["serving"]]
    if serving.empty:
        st.info("No run serves: the service answers every customer with the most popular items.")
    else:
        row = serving.iloc[0]
        st.success(f"Serving **{common.plain(str(row['run_name']))}** (run {row['run_id']}), top {row['k']} items.")
    run_ids = runs["run_id"].astype(int).tolist()
    default = int(serving["run_id"].iloc[0]) if not serving.empty and int(serving["run_id"].iloc[0]) in run_ids else 0
    columns = st.columns([3, 1])
    run_id = columns[0].selectbox(
        "Run to serve", run_ids, index=run_ids.index(default) if default else 0, format_func=names.get, key="serve-run"
    )
    k = columns[1].number_input("Items per customer", min_value=1, max_value=publish.MAX_K, value=10, key="serve-k")
    buttons = st.columns(2)
    if buttons[0].button("Promote this run", icon=":material/rocket_launch:", key="promote-run"):
        with st.spinner("Precomputing every customer's list…"):
            said = common.attempt(promote, path, int(run_id), int(k))
        if said is not None:
            st.session_state["promotion-said"] = said
            st.rerun()
    if buttons[1].button("Demote", disabled=serving.empty, key="demote-run"):
        said = common.attempt(demote, path)
        if said is not None:
            st.session_state["promotion-said"] = said
            st.rerun()
    if said := st.session_state.pop("promotion-said", None):
        st.toast(said)
        st.caption(said)
    if not promotions.empty:
        st.dataframe(promotions, hide_index=True, column_config=HISTORY_COLUMNS, placeholder="–")
        common.download_csv(promotions, "promotions.csv", key="download-promotions")
