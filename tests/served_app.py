"""A real Retention Studio server for browser tests: ``streamlit run app.py`` on a free localhost port, and
Debian's headless Chromium settings to drive it with Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
PAGE_TITLES = [
    "Overview",
    "Cohorts",
    "Segments",
    "Forecast",
    "Recommenders",
    "At-risk users",
    "Campaigns",
    "Monitoring",
    "Data",
]
PAGE_TIMEOUT_MS = 240_000
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
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


@contextlib.contextmanager
def serve(db: Path, log: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free localhost port against the warehouse ``db``; yields its URL."""
    port = free_port()
    env = {**os.environ, "RETENTION_DB": str(db)}
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
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://localhost:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End a server started for a test: terminate, and kill it when it has not ended within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until_idle(page, quiet_checks: int = 4) -> None:
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


# A page has rendered when its h1 reads the title, no script runs (the app says its script state is 'notRunning'
# and shows no status widget, which only appears once a run has lasted a while) and every Plotly chart has
# drawn, and all of that has held for ``quiet_ms`` (a rerun may start just after a click). Returns the page clock
# when that quiet began and the page clock now; :func:`render_seconds` turns them into seconds since the click.
# ``wait`` names one wait, so that a quiet seen by an earlier wait in the same tab never counts.
RENDERED_JS = """([title, quietMs, wait]) => {
    const heading = [...document.querySelectorAll('h1')].some(h => h.textContent.trim().startsWith(title));
    const app = document.querySelector('[data-testid="stApp"]');
    const running = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
        || document.querySelector('[data-testid="stStatusWidget"]') !== null;
    const drawn = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(chart => chart.querySelector('.main-svg'));
    const now = performance.now();
    const quiet = window.__renderQuiet;
    if (!heading || running || !drawn) { window.__renderQuiet = null; return false; }
    if (quiet == null || quiet.wait !== wait) { window.__renderQuiet = {wait, since: now}; return false; }
    return now - quiet.since >= quietMs ? [quiet.since, now] : false;
}"""
RENDER_QUIET_MS = 300
RENDER_POLL_MS = 50
ERRORS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText.trim().slice(0, 300))"""


def render_seconds(started: float, rendered: list[float]) -> float:
    """Seconds from ``started`` (``time.perf_counter()`` at the click or ``goto``) to the page's render, from the
    value :data:`RENDERED_JS` returned just now (its quiet began ``now - quiet_since`` ms before)."""
    quiet_since, now = rendered
    return time.perf_counter() - started - (now - quiet_since) / 1000


def wait_rendered(page, title: str, started: float, timeout_ms: float = PAGE_TIMEOUT_MS) -> float:
    """Wait until the page titled ``title`` has rendered (see :data:`RENDERED_JS`); seconds since ``started``."""
    handle = page.wait_for_function(
        RENDERED_JS, arg=[title, RENDER_QUIET_MS, started], polling=RENDER_POLL_MS, timeout=timeout_ms
    )
    return render_seconds(started, handle.json_value())
