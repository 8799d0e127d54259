"""Saved views in a real browser: a view saved on the Cohorts page, opened by its link in a fresh tab with its
settings restored, then deleted there.

Starts ``streamlit run app.py`` against a copy of the test warehouse and drives Debian's headless Chromium through
Playwright (see ``tests/served_app.py``); a screenshot of the opened view lands in ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from served_app import ARTIFACTS, PAGE_TIMEOUT_MS, VIEWPORT, serve, wait_until_idle

from retention import saved_views, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NAME = "Weekly by channel"


@pytest.fixture(scope="module")
def served(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved-views")
    db = folder / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    with serve(db, folder / "streamlit.log") as url:
        yield url, db


def _open_views(page) -> None:
    page.get_by_text(re.compile(r"^Saved views \(\d+\)$")).click()


def test_a_saved_view_opens_by_its_link_in_a_fresh_tab_with_its_settings_and_is_deleted(served, chromium):
    url, db = served
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    try:
        page.goto(f"{url}/cohorts?period=week&by=channel")
        expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page)
        _open_views(page)
        page.get_by_label("Save these settings as", exact=True).fill(NAME)
        page.get_by_role("button", name="Save view").click()
        link = page.get_by_role("link", name=NAME, exact=True)
        expect(link).to_be_visible(timeout=PAGE_TIMEOUT_MS)  # the list shows it, the expander still open
        assert link.get_attribute("href") == saved_views.link(NAME)
        with warehouse.session(db) as con:
            assert saved_views.get(con, "cohorts", NAME) == {"period": "week", "by": "channel"}

        # The link opens a new tab: a fresh session of the app, as for someone the link was sent to.
        with page.context.expect_page() as opened_tab:
            link.click()
        opened = opened_tab.value
        expect(opened.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(opened)
        assert opened.get_by_test_id("stException").count() == 0
        # The view's settings are in the address, in place of the link's 'view', and in the widgets.
        expect(opened).to_have_url(re.compile(r"/cohorts\?"))
        assert parse_qs(urlsplit(opened.url).query) == {"period": ["week"], "by": ["channel"]}
        period = opened.get_by_role("radiogroup", name="Period")
        expect(period.get_by_role("radio", name="week")).to_have_attribute("aria-checked", "true")
        expect(opened.get_by_role("combobox", name="Break down by")).to_have_value("channel")
        expect(opened.get_by_text("Weeks since the cohort's start").first).to_be_visible()

        # The same link typed into a tab that shows other settings (a reload: a new session) opens it too.
        page.goto(f"{url}/cohorts?period=day")
        wait_until_idle(page)
        page.goto(f"{url}/cohorts{saved_views.link(NAME)}")
        expect(page).to_have_url(re.compile(r"/cohorts\?period=week&by=channel$"), timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page)
        expect(page.get_by_role("radiogroup", name="Period").get_by_role("radio", name="week")).to_have_attribute(
            "aria-checked", "true"
        )
        expect(page.get_by_role("combobox", name="Break down by")).to_have_value("channel")

        _open_views(opened)
        expect(opened.get_by_role("link", name=NAME, exact=True)).to_be_visible()
        opened.screenshot(path=str(ARTIFACTS / "saved_view_opened.png"), full_page=False)

        opened.get_by_role("button", name="Delete").click()
        expect(opened.get_by_text("No saved views yet.")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        expect(opened.get_by_role("link", name=NAME, exact=True)).to_have_count(0)
        with warehouse.session(db) as con:
            assert saved_views.list_views(con, "cohorts").empty
    finally:
        page.context.close()
