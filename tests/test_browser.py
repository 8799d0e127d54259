"""The real app in a real browser: every page from the navigation renders its heading and no exception.

Starts ``streamlit run app.py`` on a free localhost port against a copy of the
test warehouse and drives Debian's headless Chromium through Playwright.
Screenshots land in ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser

ARTIFACTS = Path("tests/artifacts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_TITLES = ["Overview", "Cohorts", "Forecast", "Recommenders", "At-risk users", "Campaigns", "Data"]
PAGE_TIMEOUT_MS = 240_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout} s")


@pytest.fixture(scope="module")
def app_url(sample_db, tmp_path_factory):
    db_copy = tmp_path_factory.mktemp("browser") / "warehouse.duckdb"
    shutil.copy(sample_db, db_copy)
    port = _free_port()
    log = tmp_path_factory.mktemp("browser-log") / "streamlit.log"
    env = {**os.environ, "RETENTION_DB": str(db_copy)}
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser_page(app_url):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app_url}/cohorts?period=week")
        yield page
        browser.close()


def _wait_until_idle(page, quiet_checks: int = 4) -> None:
    """Wait until Streamlit has finished the script run and every Plotly chart has drawn.

    The status widget ('Running...') shows while a script runs; it must stay
    away for several checks in a row, since a rerun may start just after a click.
    """
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    quiet = 0
    while quiet < quiet_checks:
        if time.monotonic() > deadline:
            raise TimeoutError("the page kept running")
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(500)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every(chart => chart.querySelector('.main-svg'))""",
        timeout=60_000,
    )


def test_first_request_as_deep_link_goes_through_the_router(browser_page):
    """A shared link opened on a fresh server shows the app's navigation and keeps its settings."""
    page = browser_page
    expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    _wait_until_idle(page)
    navigation = page.get_by_test_id("stSidebarNav")
    expect(navigation.get_by_text("At-risk users", exact=True)).to_be_visible()
    assert navigation.get_by_text("app", exact=True).count() == 0
    assert "period=week" in page.url


@pytest.mark.parametrize("title", PAGE_TITLES)
def test_page_from_navigation_renders(browser_page, title):
    page = browser_page
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    heading = page.get_by_role("heading", name=title, level=1)
    expect(heading).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    _wait_until_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"{title.lower().replace(' ', '_').replace('-', '_')}.png"), full_page=True)
    assert page.get_by_test_id("stException").count() == 0, f"{title} shows an exception"
    expect(heading).to_be_visible()
