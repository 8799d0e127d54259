"""Every page runs under Streamlit's AppTest without an exception."""

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(path.name for path in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def app_env(sample_db, tmp_path, monkeypatch):
    """A private copy of the sample warehouse: pages may write (scores, runs) and other tests expect it untouched."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("RETENTION_DB", str(db))
    return str(db)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(app_env, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180).run()
    assert not at.exception, [element.value for element in at.exception]
    assert at.title, f"{page} shows no title"


def test_router_opens_overview_with_sidebar(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any(app_env in caption.value for caption in at.sidebar.caption)


def test_overview_tiles_match_independent_counts(app_env):
    import duckdb

    con = duckdb.connect(app_env, read_only=False)
    try:
        orders = con.execute("SELECT user_id, order_id, quantity FROM orders").df()
    finally:
        con.close()
    purchases = orders[orders["quantity"] > 0]
    per_customer = purchases.groupby("user_id")["order_id"].nunique()
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120).run()
    values = {metric.label: metric.value for metric in at.metric}
    assert values["Customers"] == f"{per_customer.size:,}"
    assert values["Orders"] == f"{purchases['order_id'].nunique():,}"
    assert values["Repeat-purchase rate"] == f"{(per_customer >= 2).mean():.1%}"


def _headers(frame) -> dict[str, str]:
    """Column -> the header a user sees: the column_config label where one is set, else the raw name."""
    config = json.loads(frame.proto.columns or "{}")
    shown = list(frame.proto.column_order) or [str(column) for column in frame.value.columns]
    return {column: config.get(column, {}).get("label") or column for column in shown}


@pytest.mark.parametrize("page", PAGES)
def test_tables_show_readable_headers(app_env, page):
    """No table on a page's first view shows a snake_case column name as its header."""
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180).run()
    assert not at.exception, [element.value for element in at.exception]
    for frame in at.dataframe:
        raw = [header for header in _headers(frame).values() if "_" in header]
        assert not raw, f"{page}: a table shows raw column names {raw}"
