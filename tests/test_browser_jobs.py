"""The At-risk page's scoring job in the real app: a real ``streamlit run`` server and headless Chromium.

The first visit starts the job and shows its progress; a reload and a second tab show the same job (or, once it is
done, its result); the first tab, left alone, turns from progress to the result by itself (the progress fragment
reruns every second and reruns the page once the job has ended). One job in all, read from the table after the
server stops.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
from playwright.sync_api import expect, sync_playwright
from served_app import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, VIEWPORT, serve

from retention import jobs
from retention.recommend import default_models

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_scoring_job_outlives_reloads_and_tabs(sample_db, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    with serve(db, tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_page(viewport=VIEWPORT)
        first.goto(f"{url}/at_risk")
        job_or_result = first.get_by_text("Job 1, started by app on ").or_(
            first.get_by_role("heading", name="Model quality")
        )
        expect(job_or_result.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)

        second = browser.new_page(viewport=VIEWPORT)
        second.goto(f"{url}/at_risk")
        each_tab_shows([first, second, first], lambda page: page.get_by_role("heading", name="Model quality"))
        browser.close()
    the_one_job(db, "churn_scoring")


def each_tab_shows(pages: list, result: Callable) -> None:
    """Left alone, each tab turns from the job's progress to its result (the locator ``result(page)``), with no
    second job and no exception; a reload then shows the result again."""
    for page in pages:
        expect(result(page)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        assert page.get_by_text("Job 2,").count() == 0
        assert page.get_by_test_id("stException").count() == 0
        page.reload()


def the_one_job(db, kind: str) -> jobs.Job:
    """The only job recorded: of ``kind``, started by the app, done."""
    listed = jobs.recent(str(db))
    assert listed["job_id"].tolist() == [1]
    assert listed[["kind", "started_by", "status"]].iloc[0].tolist() == [kind, "app", "done"]
    return jobs.get(str(db), 1)


def test_training_job_outlives_reloads_and_tabs(sample_db, tmp_path):
    """The Recommenders page's training runs as a job: a reload and a second tab show it running or its result,
    and every tab ends showing what it saved; one job in all."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    with serve(db, tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_page(viewport=VIEWPORT)
        first.goto(f"{url}/recommenders")
        first.get_by_role("button", name="Train and evaluate").click(timeout=PAGE_TIMEOUT_MS)
        saved = re.compile(
            rf"Saved {len(default_models())} run\(s\), each with its model fitted on .* \(training job 1,"
        )
        job_or_result = first.get_by_text("Job 1, started by app on ").or_(first.get_by_text(saved))
        expect(job_or_result.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        first.reload()

        second = browser.new_page(viewport=VIEWPORT)
        second.goto(f"{url}/recommenders")
        each_tab_shows([first, second, first], lambda page: page.get_by_text(saved))
        expect(first.get_by_text("Inspect one customer")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        browser.close()
    assert len(the_one_job(db, "recommenders").result["run_ids"]) == len(default_models())
