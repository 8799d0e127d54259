"""The Monitoring page and the SQL explorer in a real browser, on a warehouse scored at three dates two months apart
with a launched campaign that has a response: every section draws its charts without an error (the page tests check
their numbers against the library's), and a query typed into the explorer shows its rows while a DROP is refused and the file stays
byte for byte the same."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from served_app import ARTIFACTS, PAGE_TIMEOUT_MS, VIEWPORT, serve, wait_until_idle
from test_campaigns_fixtures import basic_config

from retention import campaigns, churn, monitoring, warehouse
from retention.campaigns.config import parse_config
from retention.campaigns.response import simulate_response

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_monitoring")]

HEADINGS = ["Data freshness", "Jobs and refreshes", "Score drift", "Realised accuracy", "Recommendations", "Campaigns"]


@pytest.fixture(scope="module")
def served(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-monitoring")
    path = folder / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    with warehouse.session(path, write=True) as con:
        _, last = churn.order_days(con)
        for back in (120, 60, 0):
            churn.score_customers(con, as_of=last - dt.timedelta(days=back), horizon_days=30)
        launched = campaigns.launch(con, parse_config(basic_config(audience={"min_risk": 0.3}))).campaign_id
        simulate_response(con, launched, {"discount": 0.3}, seed=1)
        accuracy = monitoring.report(con)["sections"]["accuracy"]["numbers"]["scorings"]
    with serve(path, folder / "streamlit.log") as url:
        yield url, path, accuracy


@pytest.fixture
def page(chromium):
    tab = chromium.new_page(viewport=VIEWPORT)
    yield tab
    tab.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_section_draws_with_its_charts(served, page):
    url, _, accuracy = served
    assert len(accuracy) >= 2  # the two older scorings' horizons have passed
    page.goto(f"{url}/monitoring")
    expect(page.get_by_role("heading", name="Monitoring", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    for heading in HEADINGS:
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    assert page.get_by_test_id("stException").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 6
    page.screenshot(path=str(ARTIFACTS / "monitoring.png"), full_page=True)


def test_the_sql_explorer_answers_a_select_and_refuses_a_drop(served, page):
    url, path, _ = served
    before = _sha(path)
    page.goto(f"{url}/data")
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    editor = page.get_by_label("Query")
    editor.fill("SELECT count(*) AS customers FROM users")
    page.locator(".st-key-sql_explorer_run button").click()
    wait_until_idle(page)
    with warehouse.session(path) as con:
        customers = con.execute("SELECT count(*) FROM users").fetchone()[0]
    expect(page.get_by_test_id("stDataFrame").filter(has_text="customers").last).to_be_visible()
    editor.fill("-- tidy up\nDROP TABLE orders")
    page.locator(".st-key-sql_explorer_run button").click()
    wait_until_idle(page)
    expect(page.get_by_text("DROP", exact=False).last).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(ARTIFACTS / "sql_explorer.png"), full_page=True)
    assert _sha(path) == before and customers > 0
