"""Every page runs inside the router (``app.py``) under Streamlit's AppTest: no exception, a title, readable tables."""

import ast
import json
import shutil
from pathlib import Path

import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import warehouse

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(path.name for path in (ROOT / "pages").glob("*.py"))


def _navigation_titles() -> dict[str, str]:
    """Page file name -> its title in the router, read from the ``st.Page(...)`` calls of ``app.py``."""
    titles = {}
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            title = next(keyword.value.value for keyword in node.keywords if keyword.arg == "title")
            titles[Path(node.args[0].value).name] = title
    return titles


TITLES = _navigation_titles()


@pytest.fixture
def app_env(sample_db, tmp_path, monkeypatch):
    """A private copy of the sample warehouse: pages may write (scores, runs) and other tests expect it untouched."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("RETENTION_DB", str(db))
    return str(db)


def _headers(frame) -> dict[str, str]:
    """Column -> the header a user sees: the column_config label where one is set, else the raw name."""
    config = json.loads(frame.proto.columns or "{}")
    shown = list(frame.proto.column_order) or [str(column) for column in frame.value.columns]
    return {column: config.get(column, {}).get("label") or column for column in shown}


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_with_a_title_and_readable_headers(app_env, page):
    """One run per page, inside the router: no exception, a title, and no table on the first view that shows a
    snake_case column name as its header."""
    at = app_page(page).run()
    assert not at.exception, [element.value for element in at.exception]
    assert [title.value for title in at.title][:1] == [TITLES[page]], f"{page} does not show its title"
    for frame in at.dataframe:
        raw = [header for header in _headers(frame).values() if "_" in header]
        assert not raw, f"{page}: a table shows raw column names {raw}"


def test_router_opens_overview_with_sidebar(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any(app_env in caption.value for caption in at.sidebar.caption)


def test_overview_tiles_match_independent_counts(app_env):
    con = warehouse.connect(app_env)
    try:
        orders = con.execute("SELECT user_id, order_id, item_id, quantity FROM orders").df()
        kept_out = set(con.execute("SELECT item_id FROM non_products WHERE status <> 'rejected'").df()["item_id"])
    finally:
        con.close()
    purchases = orders[orders["quantity"] > 0]
    per_customer = purchases.groupby("user_id")["order_id"].nunique()
    at = app_page("overview.py", timeout=120).run()
    assert not at.exception, [element.value for element in at.exception]
    assert at.title[0].value == "Overview"
    values = {metric.label: metric.value for metric in at.metric}
    assert values["Customers"] == f"{per_customer.size:,}"
    assert values["Orders"] == f"{purchases['order_id'].nunique():,}"
    assert values["Repeat-purchase rate"] == f"{(per_customer >= 2).mean():.1%}"
    products = purchases.loc[~purchases["item_id"].isin(kept_out), "item_id"].nunique()
    assert values["Products bought"] == f"{products:,}"


def test_every_page_file_is_in_the_navigation():
    assert sorted(TITLES) == PAGES
