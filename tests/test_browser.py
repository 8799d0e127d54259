"""The real app in a real browser: a deep link as the first request goes through the router, and every page
from the navigation renders its heading and no exception.

Starts ``streamlit run app.py`` on a free localhost port against a copy of the
test warehouse and drives Debian's headless Chromium through Playwright.
Screenshots land in ``tests/artifacts/`` (git-ignored). Under pytest-xdist the
module stays on one worker (``xdist_group``), so it starts one server.
"""

from __future__ import annotations

import csv
import shutil
import time

import online_retail
import pytest
from playwright.sync_api import expect
from served_app import (
    ARTIFACTS,
    PAGE_TIMEOUT_MS,
    PAGE_TITLES,
    VIEWPORT,
    serve,
    wait_rendered,
    wait_until_idle,
)

from retention import ingest, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def app_url(sample_db, tmp_path_factory):
    db_copy = tmp_path_factory.mktemp("browser") / "warehouse.duckdb"
    shutil.copy(sample_db, db_copy)
    with serve(db_copy, tmp_path_factory.mktemp("browser-log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def own_data_url(tmp_path_factory):
    """The app on a new warehouse holding only the Online Retail slice, from one orders import that also fills
    products and users."""
    folder = tmp_path_factory.mktemp("own-data")
    con = warehouse.connect(folder / "warehouse.duckdb")
    try:
        ingest.import_file(con, "orders", online_retail.SLICE, mapping=online_retail.LINE_MAPPING)
    finally:
        con.close()
    with serve(folder / "warehouse.duckdb", folder / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def deep_link_page(app_url, chromium):
    """A tab whose deep link (the Cohorts page, with a setting in its query) is the fresh server's first request.

    Every other tab of this module is opened after it, whatever order the tests run in: the routing fix in
    ``retention.ui.common`` is only exercised by the first script run of a server.
    """
    page = chromium.new_page(viewport=VIEWPORT)
    page.goto(f"{app_url}/cohorts?period=week")
    yield page
    page.close()


@pytest.fixture(scope="module")
def page_times():
    """Each page's first render in this module, in seconds (title -> seconds), written to
    ``tests/artifacts/page_times.csv`` at the end: recorded for people, never asserted on."""
    times: dict[str, float] = {}
    yield times
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "page_times.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["page", "seconds"])
        writer.writerows((title, f"{seconds:.2f}") for title, seconds in times.items())


@pytest.fixture(scope="module")
def browser_page(app_url, chromium, deep_link_page, page_times):
    """A second tab on the app's root, for walking the navigation; the Overview's time is this first load."""
    page = chromium.new_page(viewport=VIEWPORT)
    started = time.perf_counter()
    page.goto(app_url)
    page_times.setdefault("Overview", wait_rendered(page, "Overview", started))
    yield page
    page.close()


def test_first_request_as_deep_link_goes_through_the_router(deep_link_page):
    """A shared link opened on a fresh server shows the page inside the app's navigation and keeps its settings.

    Guards ``retention.ui.common._route_through_app``, which relies on a private Streamlit flag: without it the
    page would run on its own, under the legacy pages-folder navigation (which lists ``app``, not the router's
    titles) and without the router's sidebar.
    """
    page = deep_link_page
    expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    assert page.get_by_test_id("stException").count() == 0
    navigation = page.get_by_test_id("stSidebarNav")
    for title in PAGE_TITLES:
        expect(navigation.get_by_text(title, exact=True)).to_be_visible()
    assert navigation.get_by_text("app", exact=True).count() == 0
    assert navigation.get_by_text("at_risk", exact=True).count() == 0
    expect(page.get_by_test_id("stSidebar").get_by_text("Warehouse:").first).to_be_visible()
    assert "/cohorts" in page.url and "period=week" in page.url


@pytest.mark.parametrize("title", PAGE_TITLES)
def test_page_from_navigation_renders(browser_page, page_times, title):
    page = browser_page
    started = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    heading = page.get_by_role("heading", name=title, level=1)
    expect(heading).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    page_times.setdefault(title, wait_rendered(page, title, started))
    wait_until_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"{title.lower().replace(' ', '_').replace('-', '_')}.png"), full_page=True)
    assert page.get_by_test_id("stException").count() == 0, f"{title} shows an exception"
    expect(heading).to_be_visible()


def test_the_sample_badge_shows_on_the_sample_and_not_on_the_users_own_data(browser_page, own_data_url, chromium):
    """Every page says when the warehouse holds the synthetic sample shop, and a warehouse of the user's own
    import never does; the Overview counts that import's customers."""
    sidebar = browser_page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Sample data").first).to_be_visible(timeout=PAGE_TIMEOUT_MS)

    page = chromium.new_page(viewport=VIEWPORT)
    try:
        page.goto(own_data_url)
        expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / "own_data_overview.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0
        assert page.get_by_test_id("stSidebar").get_by_text("Sample data").count() == 0
        lines = online_retail.read_lines()
        customers = lines.loc[(lines["CustomerID"] != "") & (lines["Quantity"].astype(float) > 0), "CustomerID"]
        tile = page.get_by_test_id("stMetric").filter(has_text="Customers").first
        expect(tile).to_contain_text(f"{customers.nunique():,}")
    finally:
        page.close()
