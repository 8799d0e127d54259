"""The SQL explorer section of the Data page: an editor with example queries and the warehouse's columns beside
it, the result of the last run with its row count and cap, and its CSV (formula-safe).

The query runs through :func:`retention.sql_explorer.run_query`, which refuses anything but one read-only query
and names the reason; :func:`retention.ui.common.attempt` shows that reason. The last result is kept in the
session, so that downloading it (a rerun) does not run the query again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import sql_explorer
from retention.ui import common

EDITOR_KEY = "sql_explorer_query"
RESULT_KEY = "sql_explorer_result"
ALL_TABLES = "All tables"
COLUMN_LIST = {
    "table": st.column_config.TextColumn("Table"),
    "column": st.column_config.TextColumn("Column"),
    "type": st.column_config.TextColumn("Type"),
}


@st.cache_data(show_spinner=False)
def table_columns(path: str, version: str) -> pd.DataFrame:
    """The warehouse's tables and columns (``table``, ``column``, ``type``), read once per data version."""
    with common.cursor() as con:
        return sql_explorer.columns(con)


def _use_example(sql: str) -> None:
    st.session_state[EDITOR_KEY] = sql


def examples() -> None:
    """One button per example query; a click puts its text in the editor."""
    st.markdown("**Examples**")
    for position, (title, sql) in enumerate(sql_explorer.examples().items()):
        st.button(title, key=f"sql_explorer_example_{position}", on_click=_use_example, args=(sql,))


def column_list(version: str) -> None:
    """The tables and their columns, one table at a time or all of them."""
    listed = common.attempt(table_columns, common.db_path(), version)
    if listed is None:
        return
    tables = [ALL_TABLES, *dict.fromkeys(listed["table"])]
    table = st.selectbox("Tables and columns", tables, key="sql_explorer_table")
    shown = listed if table == ALL_TABLES else listed[listed["table"] == table]
    st.dataframe(shown, hide_index=True, column_config=COLUMN_LIST, height=280)


def run(sql: str) -> None:
    """Run ``sql`` and keep its result (or nothing, when it was refused or failed) for the rest of the session."""
    st.session_state.pop(RESULT_KEY, None)
    with st.spinner("Running the query…"):
        result = common.attempt(sql_explorer.run_query, common.db_path(), sql)
    if result is not None:
        st.session_state[RESULT_KEY] = result


def show_result() -> None:
    """The last result: its row count and time, the cap's note, the table and its CSV."""
    result: sql_explorer.Result | None = st.session_state.get(RESULT_KEY)
    if result is None:
        return
    rows = len(result.frame)
    st.caption(f"{rows:,} row{'' if rows == 1 else 's'} · {result.seconds:.2f} s")
    if result.truncated:
        st.warning(result.note, icon=":material/content_cut:")
    if result.frame.empty:
        st.info("The query returned no rows.")
    st.dataframe(result.frame, hide_index=True)
    common.download_csv(lambda: result.frame, "query_result.csv", "Download the result", key="download-sql-explorer")


def section(version: str) -> None:
    """The SQL explorer: editor and Run beside the examples and the column list, then the last result."""
    st.subheader("SQL explorer")
    st.caption(
        f"Your own read-only query on the warehouse, in DuckDB's SQL: one query, no changes, no files. "
        f"At most {sql_explorer.MAX_ROWS:,} rows are shown; a query is stopped after "
        f"{sql_explorer.TIMEOUT_SECONDS:g} s. What you select is what the CSV holds, personal data included."
    )
    editor, side = st.columns([3, 2])
    with side:
        examples()
        column_list(version)
    with editor:
        sql = st.text_area("Query", key=EDITOR_KEY, height=260, placeholder="FROM orders LIMIT 10")
        if st.button("Run", type="primary", icon=":material/play_arrow:", key="sql_explorer_run"):
            run(sql)
    show_result()
