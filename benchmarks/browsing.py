"""Browser sessions cycling through the app's pages, for the soak and load benchmarks (Playwright's async API:
many contexts of one Chromium driven from one thread).

A visit clicks a page in the sidebar navigation (the first visit of a session opens the app's root) and waits
until the page has rendered: its ``h1`` shows the title, no script runs and every chart has drawn
(``served_app.RENDERED_JS``). It records the seconds that took, the text of every exception or error box on the
page, and the Overview's "Orders" tile.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from served_app import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    ERRORS_JS,
    PAGE_TITLES,
    RENDER_POLL_MS,
    RENDER_QUIET_MS,
    RENDERED_JS,
    VIEWPORT,
    render_seconds,
)

VISIT_TIMEOUT_MS = 120_000
ORDERS_TILE_JS = """() => {
    for (const tile of document.querySelectorAll('[data-testid="stMetric"]')) {
        const label = tile.querySelector('[data-testid="stMetricLabel"]');
        if (label && label.innerText.trim() === 'Orders') {
            return tile.querySelector('[data-testid="stMetricValue"]').innerText.trim();
        }
    }
    return null;
}"""


@dataclass(frozen=True)
class Visit:
    """One page visit: ``session`` (which browser context), ``title``, ``started`` and ``ended`` (seconds since
    the run's start), ``seconds`` to render (None when it did not within the timeout), ``first`` (the session's
    first visit of this page), ``errors`` (texts of exceptions and error boxes), ``orders`` (the Overview's Orders
    tile as a number, else None)."""

    session: int
    title: str
    started: float
    ended: float
    seconds: float | None
    first: bool
    errors: tuple[str, ...] = ()
    orders: int | None = None


@dataclass
class Clock:
    """Seconds since the run began (``time.perf_counter`` based)."""

    began: float = field(default_factory=time.perf_counter)

    def now(self) -> float:
        return time.perf_counter() - self.began


async def launch(playwright):
    """Debian's headless Chromium, as the browser tests run it."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def open_session(browser, url: str, session: int, clock: Clock) -> tuple[object, Visit]:
    """A new browser context on the app's root; returns its page and the visit of the Overview it lands on."""
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(VISIT_TIMEOUT_MS)
    page = await context.new_page()
    return page, await reopen(page, url, session, clock, first=True)


async def reopen(page, url: str, session: int, clock: Clock, *, first: bool = False) -> Visit:
    """Open the app's root (the Overview) in ``page``: a session's start, and its way back after a failed visit."""
    return await _visit(page, session, "Overview", clock, lambda: page.goto(url), first=first)


async def visit(page, session: int, title: str, clock: Clock, *, first: bool = False) -> Visit:
    """Click ``title`` in the sidebar navigation and wait for the page to render (see the module docstring)."""
    link = page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)
    return await _visit(page, session, title, clock, link.click, first=first)


async def _visit(page, session: int, title: str, clock: Clock, navigate, *, first: bool) -> Visit:
    started_at, started = clock.now(), time.perf_counter()
    seconds, errors = None, []
    try:
        await navigate()
        handle = await page.wait_for_function(
            RENDERED_JS, arg=[title, RENDER_QUIET_MS, started], polling=RENDER_POLL_MS, timeout=VISIT_TIMEOUT_MS
        )
        seconds = render_seconds(started, await handle.json_value())
    except Exception as exc:  # noqa: BLE001 - a benchmark records what went wrong and goes on
        errors.append(f"{title}: did not render: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    errors.extend(f"{title}: {text}" for text in await page.evaluate(ERRORS_JS))
    orders = None
    if title == "Overview":
        shown = await page.evaluate(ORDERS_TILE_JS)
        orders = int(shown.replace(",", "")) if shown else None
    return Visit(session, title, started_at, clock.now(), seconds, first, tuple(errors), orders)


async def cycle(
    page,
    url: str,
    session: int,
    clock: Clock,
    until: float,
    visits: list[Visit],
    *,
    offset: int = 0,
    at_least: int = 0,
    dwell: float = 0.0,
) -> None:
    """Visit the pages in navigation order (starting ``offset`` pages in) until ``until`` seconds on ``clock``,
    and at least ``at_least`` pages, spending ``dwell`` seconds on each (a person reading it); after a visit that
    did not render, the next one reopens the app's root."""
    seen = {visit.title for visit in visits if visit.session == session}
    step = offset
    while clock.now() < until or step - offset < at_least:
        title = PAGE_TITLES[step % len(PAGE_TITLES)]
        if visits and visits[-1].session == session and visits[-1].seconds is None:
            visits.append(await reopen(page, url, session, clock, first="Overview" not in seen))
            seen.add("Overview")
        visits.append(await visit(page, session, title, clock, first=title not in seen))
        seen.add(title)
        step += 1
        if dwell:
            await asyncio.sleep(dwell)


def cpu_seconds(command_part: str) -> float:
    """CPU seconds (user and system, children reaped included) of every running process whose command line holds
    ``command_part``: where a benchmark's machine time went (the server's Python, the browsers' processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if command_part.encode() not in handle.read().replace(b"\0", b" "):
                    continue
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation) of ``values``; None when empty."""
    return float(np.percentile(values, q)) if values else None


def render_stats(visits: list[Visit]) -> dict[str, dict[str, float | int | None]]:
    """Per page and for all pages (key ``all``): visits, p50 and p95 render seconds of the visits that rendered."""
    stats = {}
    for title in [*PAGE_TITLES, "all"]:
        times = sorted(v.seconds for v in visits if v.seconds is not None and title in (v.title, "all"))
        stats[title] = {"visits": len(times), "p50": percentile(times, 50), "p95": percentile(times, 95)}
    return stats


def table(rows: list[list[object]], header: list[str]) -> str:
    """A plain text table: numbers right-aligned, floats with two decimals, None as '-'."""

    def cell(value: object) -> str:
        if value is None:
            return "-"
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    cells = [header, *[[cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            text.ljust(width) if i == 0 else text.rjust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])
