"""The Data page's suppression list: upload ids or emails no campaign may contact, see and remove them.

The library is :mod:`retention.campaigns.suppression`; this module reads and writes through the app's short-lived
sessions and renders the section.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from retention.campaigns import suppression
from retention.ui import common

UPLOAD_TYPES = ["csv", "txt"]
RESULT_KEY = "suppression_result"
LIST_COLUMNS = {
    "kind": st.column_config.TextColumn("Kind"),
    "value": st.column_config.TextColumn("Id or email"),
    "reason": st.column_config.TextColumn("Reason"),
    "source": st.column_config.TextColumn("Source"),
    "added_at": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD HH:mm"),
}
REJECT_COLUMNS = {
    "line": st.column_config.NumberColumn("Line", format="%d"),
    "value": st.column_config.TextColumn("Value"),
    "problem": st.column_config.TextColumn("Problem"),
}


@st.cache_data(show_spinner=False)
def counts(path: str, version: str) -> dict[str, int]:
    """Entries per kind: see :func:`retention.campaigns.suppression.counts`."""
    with common.cursor() as con:
        return suppression.counts(con)


def entries() -> pd.DataFrame:
    """The whole list, read when the user downloads it (it holds emails)."""
    with common.cursor() as con:
        return suppression.list_entries(con)


def import_upload(name: str, content: bytes, reason: str | None) -> suppression.SuppressionImport:
    """Import an uploaded file (written to a temporary folder, deleted afterwards), then clear the cached reads:
    every audience reads the list."""
    with tempfile.TemporaryDirectory(prefix="suppression_") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        with common.writer() as con:
            result = suppression.import_file(con, path, reason=reason)
    st.cache_data.clear()
    return result


def remove(value: str) -> int:
    """Take ``value`` off the list, then clear the cached reads."""
    with common.writer() as con:
        removed = suppression.remove(con, value)
    st.cache_data.clear()
    return removed


def section(version: str) -> None:
    """Counts per kind, the upload, the last import's outcome, removal, and the list as CSV."""
    st.subheader("Suppression list")
    st.caption(
        "Customers who unsubscribed or must not be contacted, by id or email: left out of every campaign audience "
        "and every export. A CSV with a user_id or email column (and optionally a reason column), or one id or "
        "email per line."
    )
    listed = common.attempt(counts, common.db_path(), version)
    if listed is None:
        return
    tiles = st.columns(2)
    tiles[0].metric("Customer ids", f"{listed['user_id']:,}")
    tiles[1].metric("Emails", f"{listed['email']:,}")
    upload_form()
    last_import()
    if not sum(listed.values()):
        return
    cells = st.columns([2, 1, 1], vertical_alignment="bottom")
    value = cells[0].text_input("Remove an id or email", key="suppression_remove_value")
    if cells[1].button("Remove", disabled=not value.strip(), key="suppression_remove"):
        removed = common.attempt(remove, value)
        if removed is not None:
            st.session_state[RESULT_KEY] = None
            st.rerun()
    with cells[2]:
        common.download_csv(entries, "suppression_list.csv", "Download the list", key="suppression_download")


def upload_form() -> None:
    """The uploader, an optional reason and the Import button."""
    cells = st.columns([2, 1], vertical_alignment="bottom")
    uploaded = cells[0].file_uploader("Ids or emails to suppress", type=UPLOAD_TYPES, key="suppression_file")
    reason = cells[1].text_input("Reason", placeholder="e.g. unsubscribed", key="suppression_reason")
    if st.button("Add to the suppression list", disabled=uploaded is None, key="suppression_import"):
        result = common.attempt(import_upload, uploaded.name, uploaded.getvalue(), reason.strip() or None)
        if result is not None:
            st.session_state[RESULT_KEY] = result
            st.rerun()


def last_import() -> None:
    """What the last import of this session did, with its rejected rows."""
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        return
    st.success(
        f"Read {result.rows_read:,} rows of {common.plain(result.source)}: added {result.rows_added:,}, "
        f"{result.rows_known:,} already listed, {result.rows_rejected:,} rejected."
    )
    if result.rows_rejected:
        st.dataframe(result.rejects, hide_index=True, column_config=REJECT_COLUMNS)
        common.download_csv(result.rejects, "suppression_rejects.csv", "Download the rejected rows")
