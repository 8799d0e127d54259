"""The Forecast page's cohort forecast job in the real app: a real ``streamlit run`` server and headless Chromium.

The page opens on an activity forecast (job 1); the first tab then switches the cohort fit on and sees that job's
progress (job 2) turn into the forecast by itself; a second tab with the same settings and the fit switched off
shows the saved result; so does a fresh server on the same warehouse. Two jobs in all, read from the table after
the servers stop.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from served_app import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, VIEWPORT, serve

from retention import jobs

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
RESULT = "Retention by months since the first purchase"


def cohorts_by_month(page: Page, url: str) -> None:
    """Open the Forecast page, see its activity forecast (job 1, running or done), and choose monthly cohort
    retention."""
    page.set_default_timeout(PAGE_TIMEOUT_MS)  # a busy machine renders slowly; the fits share its cores
    page.goto(f"{url}/forecast")
    activity = page.get_by_text("Job 1, started by app on ").or_(
        page.get_by_role("heading", name="Active customers per week")
    )
    expect(activity.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Cohort retention").click()
    page.get_by_test_id("stRadio").first.get_by_text("Month", exact=True).click()
    expect(fit_switch(page)).to_be_visible(timeout=PAGE_TIMEOUT_MS)


def fit_switch(page: Page):
    """The "Fit the cohort forecasts" toggle (the hint beside it names it too)."""
    return page.get_by_test_id("stCheckbox").get_by_text("Fit the cohort forecasts")


def test_cohort_forecast_job_outlives_tabs_and_the_server(sample_db, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    with serve(db, tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_page(viewport=VIEWPORT)
        cohorts_by_month(first, url)
        expect(first.get_by_text("Switch on")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        fit_switch(first).click()
        job_or_result = first.get_by_text("Job 2, started by app on ").or_(first.get_by_role("heading", name=RESULT))
        expect(job_or_result.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        expect(first.get_by_role("heading", name=RESULT)).to_be_visible(timeout=PAGE_TIMEOUT_MS)

        second = browser.new_page(viewport=VIEWPORT)
        cohorts_by_month(second, url)  # the fit left switched off: the saved result, not a new job
        expect(second.get_by_role("heading", name=RESULT)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        for page in (first, second):
            assert page.get_by_text("Job 3,").count() == 0
            assert page.get_by_test_id("stException").count() == 0
        browser.close()

    with serve(db, tmp_path / "streamlit-again.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        cohorts_by_month(page, url)
        expect(page.get_by_role("heading", name=RESULT)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        assert page.get_by_test_id("stException").count() == 0
        browser.close()
    listed = jobs.recent(str(db))
    assert listed["job_id"].tolist() == [2, 1]
    assert [jobs.get(str(db), job_id).params["metric"] for job_id in (2, 1)] == ["cohort_retention", "active_customers"]
    assert listed[["kind", "started_by", "status"]].drop_duplicates().values.tolist() == [["forecast", "app", "done"]]
