"""The Overview's date range in a real browser: a preset clicked goes into the URL with changed tiles and chart,
and that URL opened in a new tab restores the preset.

Starts ``streamlit run app.py`` against a copy of the sample warehouse and drives Debian's headless Chromium
through Playwright (see ``tests/served_app.py``).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from playwright.sync_api import expect
from served_app import ARTIFACTS, PAGE_TIMEOUT_MS, VIEWPORT, serve, wait_until_idle

from retention import overview, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-overview")]


def test_a_preset_goes_into_the_url_and_the_url_restores_it(sample_db, tmp_path, chromium):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    with warehouse.session(db) as con:
        first, last = warehouse.data_range(con)
    chosen = overview.preset_range("4w", first, last)
    with serve(db, tmp_path / "streamlit.log") as url:
        page = chromium.new_page(viewport=VIEWPORT)
        reopened = chromium.new_page(viewport=VIEWPORT)
        try:
            page.goto(url)
            expect(page.get_by_text("Customers per week")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            expect(page.locator('[data-testid="stMetricDelta"]')).to_have_count(0)  # all the data: nothing before
            page.get_by_text("Last 4 weeks", exact=True).click()
            expect(page.get_by_text(f"{chosen.describe()}.")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            wait_until_idle(page)
            assert "range=Last+4+weeks" in page.url
            expect(page.locator('[data-testid="stMetricDelta"]')).to_have_count(len(overview.KPI_NAMES))
            page.screenshot(path=str(ARTIFACTS / "overview_last_4_weeks.png"), full_page=True)

            reopened.goto(page.url)
            expect(reopened.get_by_text(f"{chosen.describe()}.")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            before = chosen.previous()
            assert before.start >= pd.Timestamp(first).normalize()  # the sample covers the 4 weeks before
            tiles = reopened.locator('[data-testid="stMetric"]')
            expect(tiles).to_have_count(len(overview.KPI_NAMES))
            expect(reopened.locator('[data-testid="stMetricDelta"]')).to_have_count(len(overview.KPI_NAMES))
        finally:
            page.close()
            reopened.close()
