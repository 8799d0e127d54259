"""The SQL explorer section of the Data page: an example query runs and its result is the library's, the CSV is the
formula-safe export of the result, a refused query shows its reason, and the warehouse file does not change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import export, sql_explorer
from retention.ui import sql_explorer as ui

PAGE = "data.py"


@pytest.fixture
def explorer_page_db(sample_copy, monkeypatch) -> str:
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    return sample_copy


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [element.value for element in at.exception]
    return at


def _run(at: AppTest, sql: str) -> AppTest:
    at.text_area(key=ui.EDITOR_KEY).input(sql).run()
    return _ok(at.button(key="sql_explorer_run").click().run())


def test_an_example_runs_and_its_csv_is_the_formula_safe_result(explorer_page_db, downloads):
    before = _sha256(explorer_page_db)
    at = _ok(app_page(PAGE, timeout=60).run())
    assert "SQL explorer" in [header.value for header in at.subheader]
    listed = next(frame.value for frame in at.dataframe if frame.value.columns.tolist() == ["table", "column", "type"])
    assert {"orders", "users", "products"} <= set(listed["table"])

    example = sql_explorer.examples()["Orders per month"]
    _ok(at.button(key="sql_explorer_example_0").click().run())
    assert at.text_area(key=ui.EDITOR_KEY).value == example
    _ok(at.button(key="sql_explorer_run").click().run())
    expected = sql_explorer.run_query(explorer_page_db, example).frame
    shown = next(frame.value for frame in at.dataframe if "revenue" in frame.value.columns)
    assert shown["orders"].tolist() == expected["orders"].tolist()
    assert shown["revenue"].tolist() == pytest.approx(expected["revenue"].tolist())
    assert any(f"{len(expected):,} rows ·" in caption.value for caption in at.caption)
    assert downloads["query_result.csv"]() == export.to_csv_bytes(expected)
    assert _sha256(explorer_page_db) == before


def test_text_that_a_spreadsheet_would_run_is_neutralised_in_the_csv(explorer_page_db, downloads):
    _run(app_page(PAGE, timeout=60).run(), "SELECT '=HYPERLINK(''http://x'')' AS cell, -1 AS n")
    lines = downloads["query_result.csv"]().decode().splitlines()
    assert lines == ["cell,n", "'=HYPERLINK('http://x'),-1"]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DROP TABLE orders", "can run here: a DROP deletes from the warehouse"),
        ("SELECT 1; DELETE FROM orders", "One statement at a time"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Read\\_csv() reads files outside the warehouse"),
    ],
)
def test_a_refused_query_shows_its_reason_and_changes_nothing(explorer_page_db, sql, reason):
    before = _sha256(explorer_page_db)
    at = _run(app_page(PAGE, timeout=60).run(), sql)
    assert any(reason in error.value for error in at.error), [error.value for error in at.error]
    assert not [button for button in at.get("download_button") if button.key == "download-sql-explorer"]
    assert _sha256(explorer_page_db) == before


def test_a_refused_query_replaces_the_previous_result(explorer_page_db):
    at = _run(app_page(PAGE, timeout=60).run(), "SELECT 42 AS answer")
    assert any(frame.value.columns.tolist() == ["answer"] for frame in at.dataframe)
    at = _run(at, "SET threads = 1")
    assert not any(frame.value.columns.tolist() == ["answer"] for frame in at.dataframe)
    assert any("a SET, RESET or USE changes" in error.value for error in at.error)


def test_an_empty_result_says_so(explorer_page_db):
    at = _run(app_page(PAGE, timeout=60).run(), "SELECT order_id FROM orders WHERE false")
    assert any(caption.value.startswith("0 rows ·") for caption in at.caption)
    assert any(info.value == "The query returned no rows." for info in at.info)
