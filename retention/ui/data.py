"""Cached reads and upload handling for the Data page.

Uploads are saved once per uploaded file (keyed by Streamlit's file id) into a
temporary folder of the session under :data:`UPLOAD_ROOT`, so that DuckDB can stream them from disk.
They do not pile up: a new upload replaces the session's previous one, an import attempt or clearing
the uploader deletes it (a rerun that still shows the file saves it again), and each save first
deletes the folders older than :data:`STALE_UPLOAD_SECONDS` that sessions which ended left behind.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from retention import ingest, non_products, sample_shop, schema, warehouse
from retention.ui.common import cursor, writer

NONE = "(none)"
SUMMARY_COLUMNS = {
    "table": st.column_config.TextColumn("Table"),
    "rows": st.column_config.NumberColumn("Rows", format="localized"),
    "first_ts": st.column_config.DatetimeColumn(
        "From", format="YYYY-MM-DD HH:mm", help="Earliest timestamp; – when the table has none (products) or no rows"
    ),
    "last_ts": st.column_config.DatetimeColumn("To", format="YYYY-MM-DD HH:mm", help="Latest timestamp"),
}
BATCH_COLUMNS = {
    "batch_id": st.column_config.NumberColumn("Batch", format="%d"),
    "table_name": st.column_config.TextColumn("Table"),
    "source_name": st.column_config.TextColumn("Source", width="large"),
    "rows_read": st.column_config.NumberColumn("Rows read", format="localized"),
    "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
    "rows_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
    "duplicates_found": st.column_config.NumberColumn(
        "Duplicates", format="localized", help="Exact duplicate lines found in the file"
    ),
    "duplicates_policy": st.column_config.TextColumn("Duplicates were", help="drop: one of each set loaded; keep: all"),
    "imported_at": st.column_config.DatetimeColumn("Imported", format="YYYY-MM-DD HH:mm"),
}
REJECT_COLUMNS = {
    "reason": st.column_config.TextColumn("Reason", width="large"),
    "rows": st.column_config.NumberColumn("Rows", format="localized"),
}
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "parquet"]
DUPLICATE_CHOICES = {
    "drop": "Drop: load one of each set",
    "keep": "Keep them all",
}
REJECT_ROWS_DOWNLOAD = 100_000


UPLOAD_ROOT = Path(tempfile.gettempdir()) / "retention_uploads"
STALE_UPLOAD_SECONDS = 24 * 3600


def saved_upload(uploaded) -> Path:
    """Path of the uploaded file on disk, written on first use and reused on reruns.

    One upload is kept per session: a new upload replaces the previous file.
    """
    state = st.session_state
    if state.get("data_upload_id") != uploaded.file_id or not Path(state.get("data_upload_path", "")).is_file():
        forget_upload()
        sweep_uploads()
        UPLOAD_ROOT.mkdir(parents=True, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="upload_", dir=UPLOAD_ROOT)
        path = Path(folder) / Path(uploaded.name).name
        with open(path, "wb") as handle:
            shutil.copyfileobj(uploaded, handle)
        uploaded.seek(0)
        state.update(data_upload_id=uploaded.file_id, data_upload_path=str(path), data_upload_dir=folder)
    return Path(state["data_upload_path"])


def forget_upload() -> None:
    """Delete the session's saved upload, if any (the uploader may still hold it: it is saved again when read)."""
    folder = st.session_state.pop("data_upload_dir", None)
    st.session_state.pop("data_upload_path", None)
    st.session_state.pop("data_upload_id", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_uploads(max_age: float = STALE_UPLOAD_SECONDS, now: float | None = None) -> int:
    """Delete the upload folders under :data:`UPLOAD_ROOT` last changed more than ``max_age`` seconds ago (left
    by sessions that ended without importing); returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for folder in UPLOAD_ROOT.glob("upload_*") if UPLOAD_ROOT.is_dir() else ():
        try:
            stale = now - folder.stat().st_mtime > max_age
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


@st.cache_data(show_spinner=False, max_entries=8)
def columns(path: str, sep: str | None, file_id: str) -> list[str]:
    """The file's column names (``file_id`` keys the cache on the upload)."""
    return ingest.file_columns(path, sep)


@st.cache_data(show_spinner=False, max_entries=8)
def preview(path: str, sep: str | None, file_id: str, rows: int = 20) -> pd.DataFrame:
    """The file's first rows as text."""
    return ingest.preview(path, sep, rows)


def mapping_options(table: str, file_columns: list[str]) -> list[tuple[str, str, bool, int]]:
    """For each target column of an import into ``table``: (column, table it fills, required, guessed index).

    The table's own columns come first, then those of other tables its file can fill
    (:func:`retention.ingest.targets`). The index is into ``[NONE, *file_columns]``; 0 means unmapped.
    """
    guess = ingest.guess_mapping(table, file_columns)
    required = schema.REQUIRED_COLUMNS[table]
    return [
        (column, filled, column in required, 0 if guess[column] is None else 1 + file_columns.index(guess[column]))
        for column, filled in ingest.targets(table).items()
    ]


def filled_summary(result: ingest.ImportResult) -> str:
    """One sentence on the other tables an import filled, e.g. "Also filled products (3,684 rows, 3,684 new:
    title, price) and users (4,372 rows, 4,372 new: country)."; empty when it filled none."""
    parts = [
        f"{fill.table} ({fill.rows_loaded:,} rows, {fill.rows_new:,} new: {', '.join(fill.columns)})"
        for fill in result.filled
    ]
    return f"Also filled {' and '.join(parts)}." if parts else ""


RECENT_BATCHES = 20
"""Imports the Data page lists, newest first."""


@st.cache_data(show_spinner=False)
def _page_reads(path: str, version: str) -> dict[str, object]:
    """Everything the Data page reads on its render, in one read session (one open of the file, not four):
    ``summary``, ``batches``, ``sample`` and ``non_products``, as the functions below return them."""
    with cursor() as con:
        sample = sample_shop.contents(con)
        return {
            "summary": warehouse.table_summary(con),
            "batches": ingest.recent_batches(con, RECENT_BATCHES),
            "sample": (sample, sample_shop.leaves_empty(con, sample)),
            "non_products": non_products.listing(con),
        }


def table_summary(path: str, version: str) -> pd.DataFrame:
    """Rows and date range of each warehouse table: see :func:`retention.warehouse.table_summary`."""
    return _page_reads(path, version)["summary"]


def recent_batches(path: str, version: str) -> pd.DataFrame:
    """The newest :data:`RECENT_BATCHES` imports: see :func:`retention.ingest.recent_batches`."""
    return _page_reads(path, version)["batches"]


def run_import(table: str, path: Path, **options) -> ingest.ImportResult:
    """Import on a cursor of the app's connection, then clear every cached result; the saved upload is deleted.

    Raises the import's :class:`~retention.errors.RetentionError` when it is refused or fails (nothing was
    written then); the page calls it through :func:`retention.ui.common.attempt`, which shows the message.
    """
    try:
        with writer() as con:
            result = ingest.import_file(con, table, path, **options)
    finally:
        forget_upload()  # imported or refused, the copy has served
    st.cache_data.clear()
    return result


def reject_rows(batch_id: int, include_email: bool) -> pd.DataFrame:
    """Up to ``REJECT_ROWS_DOWNLOAD`` rejected rows of a batch: row_number, reason, raw (e-mail addresses
    hidden unless ``include_email``)."""
    with cursor() as con:
        return ingest.rejects(con, batch_id, limit=REJECT_ROWS_DOWNLOAD, include_email=include_email)


def sample_contents(path: str, version: str) -> tuple[pd.DataFrame, bool]:
    """What removing the sample data would delete (table_name, rows: see :func:`retention.sample_shop.contents`),
    and whether the warehouse would be empty afterwards."""
    return _page_reads(path, version)["sample"]


def remove_sample() -> pd.DataFrame:
    """Remove the sample data on a cursor of the app's connection, then clear every cached result.

    Returns what was deleted (table_name, rows). Raises the library's :class:`~retention.errors.RetentionError`
    when there is no sample data (nothing is changed); the page calls it through ``common.attempt``.
    """
    with writer() as con:
        removed = sample_shop.remove(con)
    st.cache_data.clear()
    return removed


NON_PRODUCT_COLUMNS = {
    "item_id": st.column_config.TextColumn("Code"),
    "title": st.column_config.TextColumn("Title"),
    "reason": st.column_config.TextColumn("Why it was flagged", width="large"),
    "lines": st.column_config.NumberColumn("Lines", format="localized"),
    "revenue": st.column_config.NumberColumn("Net revenue", format="localized", help="Still counted in revenue"),
    "status": st.column_config.TextColumn("Status"),
    "updated_at": st.column_config.DatetimeColumn("Changed", format="YYYY-MM-DD HH:mm"),
}


def non_product_list(path: str, version: str) -> pd.DataFrame:
    """Stock codes and their non-product status: see :func:`retention.non_products.listing`."""
    return _page_reads(path, version)["non_products"]


def save_non_products(statuses: dict[str, str]) -> int:
    """Write the user's decisions (code -> status) in one transaction; not cached, the data version moves."""
    with writer() as con:
        return non_products.save(con, statuses)


def detect_non_products() -> int:
    """Look for non-product codes among every order line already imported; returns how many were suggested."""
    with writer() as con:
        return non_products.detect_all(con)
