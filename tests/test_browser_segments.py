"""The Segments page in a real browser: a marketer opens the page, exports the "At risk" customers and the CSV
holds exactly that segment; a link with a day and a segment reopens them."""

from __future__ import annotations

import shutil
import time

import pandas as pd
import pytest
from playwright.sync_api import expect
from served_app import ARTIFACTS, VIEWPORT, serve, wait_rendered, wait_until_idle

from retention import rfm, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_segments")]


@pytest.fixture(scope="module")
def served(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-segments")
    shutil.copy(sample_db, folder / "warehouse.duckdb")
    with serve(folder / "warehouse.duckdb", folder / "streamlit.log") as url:
        yield url, folder


@pytest.fixture(scope="module")
def page(served, chromium):
    tab = chromium.new_page(viewport=VIEWPORT, accept_downloads=True)
    yield tab
    tab.close()


def _download(page, folder) -> pd.DataFrame:
    with page.expect_download() as info:
        page.get_by_role("button", name="Download these customers").click()
    path = folder / info.value.suggested_filename
    assert path.name.startswith("rfm_") and path.suffix == ".csv"
    info.value.save_as(path)
    return pd.read_csv(path, dtype={"user_id": str})


def test_export_the_at_risk_segment(served, page, sample_db):
    url, folder = served
    started = time.perf_counter()
    page.goto(url)
    wait_rendered(page, "Overview", started)
    page.get_by_test_id("stSidebarNav").get_by_text("Segments", exact=True).click()
    wait_rendered(page, "Segments", time.perf_counter())
    wait_until_idle(page)
    assert page.get_by_test_id("stException").count() == 0
    expect(page.get_by_text("At risk: bought often, long ago.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "segments_at_risk.png"), full_page=True)
    exported = _download(page, folder)
    with warehouse.session(sample_db) as con:
        expected = rfm.customers(con, segments=["At risk"])
    assert set(exported["segment"]) == {"At risk"}
    assert exported["user_id"].tolist() == expected["user_id"].tolist()
    assert "email" not in exported.columns


def test_a_link_reopens_the_day_and_the_segment(served, page, sample_db):
    url, folder = served
    started = time.perf_counter()
    page.goto(f"{url}/segments?as_of=2025-11-15&segment=Lost")
    wait_rendered(page, "Segments", started)
    wait_until_idle(page)
    expect(page.get_by_text("up to 2025-11-15", exact=False)).to_be_visible()
    exported = _download(page, folder)
    with warehouse.session(sample_db) as con:
        expected = rfm.customers(con, "2025-11-15", segments=["Lost"])
    assert exported["user_id"].tolist() == expected["user_id"].tolist()
