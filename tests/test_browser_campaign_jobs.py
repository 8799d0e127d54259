"""The Campaigns page's simulation job in the real app: a real ``streamlit run`` server and headless Chromium.

The first visit starts the simulation of the default campaign and shows its progress, which turns into the
simulated outcome by itself; a reload and a second tab show the saved result. One job in all.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright
from served_app import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, VIEWPORT, serve
from test_campaigns_fixtures import scored_copy

from retention import jobs

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
RESULT = "Targeting strategies compared"


def test_simulation_job_outlives_reloads_and_tabs(sample_db, tmp_path):
    db = scored_copy(sample_db, tmp_path)
    with serve(db, tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_page(viewport=VIEWPORT)
        first.set_default_timeout(PAGE_TIMEOUT_MS)
        first.goto(f"{url}/campaigns")
        job_or_result = first.get_by_text("Job 1, started by app on ").or_(first.get_by_role("heading", name=RESULT))
        expect(job_or_result.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)

        second = browser.new_page(viewport=VIEWPORT)
        second.goto(f"{url}/campaigns")
        for page in (first, second, first):
            expect(page.get_by_role("heading", name=RESULT)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            assert page.get_by_text("Job 2,").count() == 0
            assert page.get_by_test_id("stException").count() == 0
            page.reload()
        browser.close()
    listed = jobs.recent(db)
    assert listed["job_id"].tolist() == [1]
    assert listed[["kind", "started_by", "status"]].iloc[0].tolist() == ["campaign_simulation", "app", "done"]
