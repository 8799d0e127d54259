"""Hostile values in the data and from the user stay text: no Markdown, HTML or Plotly markup, no request out.

A warehouse whose product titles, channels, countries, a customer id and a campaign name are Markdown images,
HTML tags, links and spreadsheet formulas, and an uploaded file whose name and a header are the same, go
through every page of the real app in headless Chromium. No element may point at the values' targets, no
request may go to any origin but the app's, and the values must show as typed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright
from served_app import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_TIMEOUT_MS,
    PAGE_TITLES,
    VIEWPORT,
    serve,
    wait_until_idle,
)
from test_campaigns_fixtures import basic_config, scored_copy
from test_markup import LINKS

from retention import campaigns, warehouse
from retention.campaigns.config import parse_config

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOSTILE = LINKS
CAMPAIGN_NAME = '<a href="http://evil">x</a> ![x](http://127.0.0.1:9/beacon.png)'
FILE_NAME = "![x](http:127.0.0.1:9) <img src=http:127.0.0.1:9> **bold**.csv"
HEADER = "[link](http://evil)"
# Where a value would point if it became markup: an element with one of these in a link or source attribute fails.
FIND_TARGETS = """() => [...document.querySelectorAll('*')].flatMap(element => [...element.attributes]
    .filter(attribute => /(^|:)(href|src|srcset|action|data)$/.test(attribute.name)
                         && /evil|127\\.0\\.0\\.1:9(?!\\d)/.test(attribute.value))
    .map(attribute => element.tagName + ' ' + attribute.name + '=' + attribute.value))"""


@pytest.fixture(scope="module")
def hostile_db(sample_db, tmp_path_factory) -> str:
    """The test shop, scored, with the hostile values in titles, channels, countries and a customer id, and a
    launched campaign with a hostile name (risk >= 0.8, so that the builder's default audience overlaps it)."""
    folder = tmp_path_factory.mktemp("markup")
    path = scored_copy(sample_db, folder)
    with warehouse.session(path, write=True) as con:
        for index, value in enumerate(HOSTILE):
            # Every sixth product, user and customer carries one value: enough to reach every top-N breakdown.
            con.execute("UPDATE products SET title = ? WHERE hash(item_id) % 6 = ?", [value, index])
            con.execute("UPDATE users SET channel = ? WHERE hash(user_id) % 6 = ?", [value, index])
            con.execute("UPDATE users SET country = ? WHERE hash(user_id || 'c') % 6 = ?", [value, index])
        customer = con.execute("SELECT min(user_id) FROM orders").fetchone()[0]
        for table in ("orders", "users", "scores"):
            con.execute(f"UPDATE {table} SET user_id = ? WHERE user_id = ?", [HOSTILE[3], customer])
        config = parse_config(basic_config(name=CAMPAIGN_NAME, audience={"min_risk": 0.8}))
        campaigns.launch(con, config)
    return path


@pytest.fixture(scope="module")
def app(hostile_db, tmp_path_factory):
    with serve(hostile_db, tmp_path_factory.mktemp("markup-log") / "streamlit.log") as url:
        yield url


def _clean(page, requests: list[str], origin: str, where: str) -> None:
    assert page.get_by_test_id("stException").count() == 0, f"{where} shows an exception"
    found = page.evaluate(FIND_TARGETS)
    assert not found, f"{where}: elements point at a hostile value's target: {found}"
    outside = [url for url in requests if not url.startswith((origin, "data:", "blob:"))]
    assert not outside, f"{where}: requests left the app: {outside}"


def test_hostile_values_stay_text_on_every_page(app, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "upload.csv"
    upload.write_text(
        f"order_id,user_id,item_id,ts,quantity,unit_price,{HEADER},{HOSTILE[1]}\n"
        "h1,hu1,hi1,2026-01-01 10:00:00,1,2.5,a,b\n"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        try:
            page.goto(app)
            for title in PAGE_TITLES:
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
                wait_until_idle(page)
                _clean(page, requests, app, title)

            # Cohorts broken down by channel: the hostile channels are segments, a selectbox and chart legends.
            page.goto(f"{app}/cohorts?by=channel")
            expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            wait_until_idle(page)
            _clean(page, requests, app, "Cohorts by channel")
            page.screenshot(path=str(ARTIFACTS / "markup_cohorts.png"), full_page=True)

            # Each tab of the Campaigns page; the Launch tab says which campaign holds part of the audience, by
            # its (hostile) name, and the Results tab picks campaigns by name.
            page.get_by_test_id("stSidebarNav").get_by_text("Campaigns", exact=True).click()
            expect(page.get_by_role("heading", name="Campaigns", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            wait_until_idle(page)
            for tab in ("Launch", "Campaigns", "Results", "Launch"):
                page.get_by_role("tab", name=tab).click()
                wait_until_idle(page)
                _clean(page, requests, app, f"Campaigns, {tab} tab")
            page.screenshot(path=str(ARTIFACTS / "markup_campaigns.png"), full_page=True)
            expect(page.get_by_text(CAMPAIGN_NAME).first).to_be_visible()

            # An upload whose file name and headers are markup: the preview caption and the unused columns.
            page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
            expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            wait_until_idle(page)
            page.get_by_role("region", name="CSV, CSV.gz or Parquet file").get_by_test_id(
                "stFileUploaderDropzoneInput"
            ).set_input_files({"name": FILE_NAME, "mimeType": "text/csv", "buffer": upload.read_bytes()})
            wait_until_idle(page)
            page.screenshot(path=str(ARTIFACTS / "markup_data.png"), full_page=True)
            _clean(page, requests, app, "Data, after the upload")
            expect(page.get_by_text(f"rows of {FILE_NAME}, as text")).to_be_visible()
            expect(page.get_by_text(f"Not imported: {HEADER}, {HOSTILE[1]}")).to_be_visible()
        finally:
            browser.close()
    assert requests, "the request listener saw nothing"
