"""The Data page: warehouse tables, upload, column mapping, import, rejects."""

from __future__ import annotations

import shutil
from pathlib import Path

import online_retail
import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import ingest, sample, warehouse

RETAIL_SLICE = online_retail.SLICE


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> str:
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def run_page() -> AppTest:
    at = app_page("data.py", timeout=60).run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in at.dataframe]


def upload(at: AppTest, path: Path) -> AppTest:
    at.file_uploader[0].upload(path.name, path.read_bytes(), "application/gzip").run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def test_page_lists_the_warehouse_tables(empty_db):
    at = run_page()
    summary = frames(at)[0]
    assert summary["table"].tolist() == ["users", "products", "orders", "events", "ratings"]
    assert summary["rows"].tolist() == [0, 0, 0, 0, 0]
    assert at.dataframe[0].proto.placeholder == "–"  # a table without timestamps shows a dash, not "None"
    assert any("Nothing imported yet" in info.value for info in at.info)


def test_upload_map_and_import_online_retail(empty_db):
    at = upload(run_page(), RETAIL_SLICE)
    preview = frames(at)[0]
    assert list(preview.columns[:2]) == ["InvoiceNo", "StockCode"] and len(preview) == 20
    mapped = {box.label: box.value for box in at.selectbox if box.key and box.key.startswith("map-")}
    assert mapped["order_id *"] == "InvoiceNo"
    assert mapped["user_id *"] == "CustomerID"
    assert mapped["ts *"] == "InvoiceDate"
    assert mapped["discount"] == "(none)"

    assert mapped["title"] == "Description" and mapped["country"] == "Country"  # pre-filled: products and users too

    at.radio(key="data_duplicates").set_value("keep").run()
    at.button[0].click().run()
    assert not at.exception, [element.value for element in at.exception]
    lines = pd.read_csv(RETAIL_SLICE, dtype=str, keep_default_na=False)
    guests = int((lines["CustomerID"] == "").sum())
    copies = int(lines[lines["CustomerID"] != ""].duplicated().sum())
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Rows read"] == f"{len(lines):,}"
    assert tiles["Rows loaded"] == f"{len(lines) - guests:,}"
    assert tiles["Rows rejected"] == f"{guests:,}"
    assert tiles["Duplicate lines"] == f"{copies:,}"
    assert any(f"{copies:,} exact duplicate lines kept." in caption.value for caption in at.caption)
    reasons = next(frame for frame in frames(at) if "reason" in frame.columns)
    assert reasons.to_dict("records") == [{"reason": "missing user_id", "rows": guests}]
    assert len([button for button in at.get("download_button") if "rejects" in button.key]) == 2
    assert any("look like postage, fees or adjustments" in info.value for info in at.info)
    summary = next(frame for frame in frames(at) if "table" in frame.columns)
    assert summary.set_index("table").loc["orders", "rows"] == len(lines) - guests
    batches = next(frame for frame in frames(at) if "source_name" in frame.columns)
    assert batches["source_name"].tolist() == [RETAIL_SLICE.name] * 3
    assert batches["table_name"].tolist() == ["users", "products", "orders"]

    # The same file again is refused with a message, not a traceback; with the box ticked it replaces.
    at.button[0].click().run()
    assert not at.exception
    assert any("already imported" in error.value for error in at.error)
    at.checkbox[0].check().run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any("Replaced the rows of batch 1" in caption.value for caption in at.caption)


def test_one_import_fills_products_and_users_and_drops_duplicates(empty_db):
    at = upload(run_page(), RETAIL_SLICE)
    assert at.radio(key="data_duplicates").value == "drop"  # the default: copies of a line would count twice
    assert not any(caption.value.startswith("Not imported") for caption in at.caption)  # every column is used
    at.selectbox(key=next(box.key for box in at.selectbox if box.label == "country")).select("(none)").run()
    assert any(caption.value == "Not imported: Country" for caption in at.caption)
    at.selectbox(key=next(box.key for box in at.selectbox if box.label == "country")).select("Country").run()

    at.button[0].click().run()
    assert not at.exception, [element.value for element in at.exception]
    lines = pd.read_csv(RETAIL_SLICE, dtype=str, keep_default_na=False)
    members = lines[lines["CustomerID"] != ""]
    copies = int(members.duplicated().sum())  # every column is mapped
    assert copies > 0
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Duplicate lines"] == f"{copies:,}"
    assert tiles["Rows loaded"] == f"{len(members) - copies:,}"
    assert any(f"{copies:,} exact duplicate lines dropped." in caption.value for caption in at.caption)
    items, customers = members["StockCode"].nunique(), members["CustomerID"].nunique()
    assert any(
        caption.value
        == f"Also filled products ({items:,} rows, {items:,} new: title, price) and users ({customers:,} rows, "
        f"{customers:,} new: country)."
        for caption in at.caption
    )
    summary = next(frame for frame in frames(at) if "table" in frame.columns).set_index("table")["rows"]
    assert (summary["orders"], summary["products"], summary["users"]) == (len(members) - copies, items, customers)
    batches = next(frame for frame in frames(at) if "source_name" in frame.columns).set_index("table_name")
    assert batches.loc["orders", "duplicates_found"] == copies
    assert batches.loc["orders", "duplicates_policy"] == "drop"


def test_an_unmapped_required_column_disables_import(empty_db):
    at = upload(run_page(), RETAIL_SLICE)
    at.selectbox[0].select("ratings").run()
    assert not at.exception
    # Ratings need a rating column that the file does not have: a warning, and no import.
    assert any("rating" in warning.value for warning in at.warning)
    assert at.button[0].disabled


def test_an_unreadable_file_shows_why_and_the_warehouse_still_shows(empty_db, tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really a parquet file")
    at = run_page()
    at.file_uploader[0].upload(broken.name, broken.read_bytes(), "application/octet-stream").run()
    assert not at.exception, [element.value for element in at.exception]
    assert any("Cannot read 'broken.parquet'" in error.value for error in at.error)
    assert "Import" not in [
        button.label for button in at.button
    ]  # no mapping and no import for a file that cannot be read
    summary = frames(at)[0]  # the page goes on below the error
    assert summary["table"].tolist() == ["users", "products", "orders", "events", "ratings"]
    assert any("Nothing imported yet" in info.value for info in at.info)


# ---- the sample shop: a badge on every page while it is there, and removing it ----


def _copy(source: str, tmp_path: Path, monkeypatch) -> str:
    path = tmp_path / "copy.duckdb"
    shutil.copy(source, path)
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def _slice_db(tmp_path: Path, *, sample_users: int | None = None) -> str:
    path = tmp_path / "slice.duckdb"
    con = warehouse.connect(path)
    try:
        if sample_users:
            sample.load_frames(con, sample.generate(users=sample_users, months=4, seed=2), source="page test")
        ingest.import_file(con, "orders", RETAIL_SLICE, mapping=online_retail.ORDER_MAPPING)
    finally:
        con.close()
    return str(path)


def _badge(at: AppTest) -> bool:
    return any("Sample data" in element.value for element in at.sidebar.markdown)


def test_a_new_warehouse_path_opens_empty_without_the_sample(tmp_path, monkeypatch):
    path = tmp_path / "new" / "shop.duckdb"
    monkeypatch.setenv("RETENTION_DB", str(path))
    at = run_page()
    assert frames(at)[0]["rows"].tolist() == [0, 0, 0, 0, 0]
    assert not _badge(at)
    assert "sample-remove" not in [button.key for button in at.button]
    con = warehouse.connect(path)  # as the app's own connection is: DuckDB refuses another configuration
    try:
        assert warehouse.row_count(con, "import_batches") == 0
    finally:
        con.close()


def test_the_sidebar_badge_shows_on_the_sample_and_not_on_real_data(sample_db, tmp_path, monkeypatch):
    _copy(sample_db, tmp_path, monkeypatch)
    at = app_page("overview.py", timeout=120).run()
    assert not at.exception, [element.value for element in at.exception]
    assert _badge(at)
    assert any("Remove it on the Data page" in element.value for element in at.sidebar.markdown)

    monkeypatch.setenv("RETENTION_DB", _slice_db(tmp_path))
    at = app_page("overview.py", timeout=120).run()
    assert not at.exception, [element.value for element in at.exception]
    assert not _badge(at)
    assert any("Orders from 2010-12-01" in caption.value for caption in at.sidebar.caption)


def test_remove_sample_data_asks_first_and_leaves_an_empty_warehouse(sample_db, tmp_path, monkeypatch):
    _copy(sample_db, tmp_path, monkeypatch)
    at = run_page()
    assert _badge(at)
    assert any(header.value == "Sample data" for header in at.subheader)
    assert any("start with an empty warehouse" in element.value for element in at.markdown)
    summary = frames(at)[0]
    users = summary.set_index("table")["rows"]["users"]

    at.button(key="sample-remove").click().run()
    assert not at.exception
    assert any("This deletes 600 users" in warning.value for warning in at.warning)
    at.button(key="sample-remove-cancel").click().run()
    assert not at.warning
    assert frames(at)[0].set_index("table")["rows"]["users"] == users

    at.button(key="sample-remove").click().run()
    at.button(key="sample-remove-confirm").click().run()
    assert not at.exception, [element.value for element in at.exception]
    assert any("Removed the sample data: 600 users" in success.value for success in at.success)
    assert frames(at)[0]["rows"].tolist() == [0, 0, 0, 0, 0]
    assert not _badge(at)
    assert not any(header.value == "Sample data" for header in at.subheader)
    assert any("Nothing imported yet" in info.value for info in at.info)


def test_remove_sample_data_keeps_the_users_own_import(tmp_path, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", _slice_db(tmp_path, sample_users=30))
    at = run_page()
    assert any("keep only your own imports" in element.value for element in at.markdown)
    at.button(key="sample-remove").click().run()
    at.button(key="sample-remove-confirm").click().run()
    assert not at.exception, [element.value for element in at.exception]
    lines = pd.read_csv(RETAIL_SLICE, dtype=str, keep_default_na=False)
    summary = frames(at)[0].set_index("table")["rows"]
    assert summary.to_dict() == {
        "users": 0,
        "products": 0,
        "orders": len(online_retail.loaded_order_lines(lines)),
        "events": 0,
        "ratings": 0,
    }
    batches = next(frame for frame in frames(at) if "source_name" in frame.columns)
    assert batches["source_name"].tolist() == [RETAIL_SLICE.name]
    assert not _badge(at)
