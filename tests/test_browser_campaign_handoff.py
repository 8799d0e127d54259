"""From the At-risk list to a campaign draft in a real browser: the settings chosen on the At-risk page go into its
URL and are still there after a visit to another page; "Send to campaign" opens the Campaigns page, whose builder
names the hand-over and targets the very customers the At-risk page flagged.

The flagged count is checked against the scores the page saved (the library's, as the campaign reads them).
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from playwright.sync_api import Page, expect
from served_app import ARTIFACTS, PAGE_TIMEOUT_MS, VIEWPORT, serve, wait_rendered, wait_until_idle

from retention import churn, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_campaign_handoff")]

TOP = 15


@pytest.fixture(scope="module")
def served(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-handoff")
    shutil.copy(sample_db, folder / "warehouse.duckdb")
    with serve(folder / "warehouse.duckdb", folder / "streamlit.log") as url:
        yield url, str(folder / "warehouse.duckdb")


@pytest.fixture
def page(chromium):
    tab = chromium.new_page(viewport=VIEWPORT)
    yield tab
    tab.close()


def _scored(page: Page) -> None:
    """Wait until the At-risk page shows its scoring's result (it scores as a job on a first visit)."""
    expect(page.get_by_role("heading", name="Who is flagged")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    assert page.get_by_test_id("stException").count() == 0


def _go(page: Page, title: str) -> None:
    started = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_rendered(page, title, started)


def _top_n_chosen(page: Page) -> None:
    expect(page.locator(".st-key-flag_by input[type='radio']").nth(1)).to_be_checked()
    expect(page.locator(".st-key-top input")).to_have_value(str(TOP))
    assert re.search(r"flag_by=Top(\+|%20)N", page.url) and f"top={TOP}" in page.url


def test_at_risk_settings_survive_a_page_switch_and_go_to_a_campaign(served, page):
    url, db = served
    page.goto(f"{url}/at_risk")
    _scored(page)

    page.locator(".st-key-flag_by").get_by_text("Top N", exact=True).click()
    wait_until_idle(page)
    page.locator(".st-key-top input").fill(str(TOP))
    page.locator(".st-key-top input").press("Enter")
    wait_until_idle(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Flagged").first).to_contain_text(str(TOP))
    _top_n_chosen(page)

    _go(page, "Overview")
    assert "top=" not in page.url  # another page's URL carries its own settings only
    _go(page, "At-risk users")
    _scored(page)
    _top_n_chosen(page)
    page.screenshot(path=str(ARTIFACTS / "at_risk_settings_kept.png"), full_page=True)

    page.get_by_role("button", name="Send to campaign").click()
    expect(page.get_by_role("heading", name="Campaigns", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    with warehouse.session(db) as con:
        as_of = churn.latest_scores(con)["as_of"].iloc[0]
    note = page.get_by_text(f"Audience from At-risk list (the {TOP} riskiest; scores of {as_of:%Y-%m-%d}")
    expect(note).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(note).to_contain_text(f": {TOP} customers")
    tile = page.get_by_test_id("stMetric").filter(has_text="Customers in audience").first
    expect(tile).to_contain_text(str(TOP))
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(ARTIFACTS / "campaign_from_at_risk.png"), full_page=True)
