"""Load: page render times with many browser sessions on one served app, against one session alone.

Starts one real ``streamlit run app.py`` server on a copy of the warehouse (``--db``, else the committed sample
shop) and runs two phases in one process, each bounded by time: a baseline of one browser session cycling
through every page for ``--baseline-seconds``, then ``--sessions`` sessions (Playwright contexts of one
Chromium) cycling at once for ``--seconds``. A render is the time from the click in the navigation (or the
first ``goto``) until the page's ``h1`` shows, no script runs and every chart has drawn (see ``browsing.py``).
Reports p50 and p95 per page and overall for both phases, and their ratio (loaded / alone). The baseline
runs at least two whole cycles; the first is the fresh server's first visit of each page (cold caches), printed
apart. Each loaded session visits every page at least once. Run:
``.venv/bin/python benchmarks/load_pages.py [--sessions 10] [--seconds 120] [--baseline-seconds 60] [--db FILE]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import browsing  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from served_app import PAGE_TITLES, serve  # noqa: E402

from retention import bootstrap  # noqa: E402

STAGGER_SECONDS = 0.5


@dataclass(frozen=True)
class Phase:
    """One phase: its visits, wall seconds, and the CPU seconds the app's server and the browsers spent in it."""

    visits: list[browsing.Visit]
    wall: float
    server_cpu: float
    browser_cpu: float


def machine_time() -> tuple[float, float]:
    """CPU seconds so far of the app's server (``streamlit run``) and of every Chromium process."""
    return browsing.cpu_seconds("streamlit run"), browsing.cpu_seconds("chromium")


async def phase(url: str, sessions: int, seconds: float, *, at_least: int = 0, dwell: float = 0.0) -> Phase:
    """``sessions`` contexts cycling through the pages (each starting at a different page) for ``seconds``, each
    visiting ``at_least`` pages after its first and spending ``dwell`` seconds on each."""
    visits: list[browsing.Visit] = []
    clock = browsing.Clock()
    server_before, browser_before = machine_time()
    async with async_playwright() as playwright:
        browser = await browsing.launch(playwright)
        try:

            async def session(number: int) -> None:
                await asyncio.sleep(number * STAGGER_SECONDS)  # people arrive one after another, not in one tick
                page, first = await browsing.open_session(browser, url, number, clock)
                visits.append(first)
                await browsing.cycle(
                    page, url, number, clock, seconds, visits, offset=1 + number, at_least=at_least, dwell=dwell
                )

            await asyncio.gather(*(session(number) for number in range(sessions)))
            server_after, browser_after = machine_time()  # before closing: a closed browser's time is not counted
        finally:
            await browser.close()
    return Phase(visits, clock.now(), server_after - server_before, browser_after - browser_before)


def ratio(loaded: float | None, alone: float | None) -> float | None:
    return loaded / alone if loaded is not None and alone else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions at once (default: %(default)s)")
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="length of the loaded phase (default: %(default)s)"
    )
    parser.add_argument(
        "--baseline-seconds", type=float, default=60.0, help="length of the one-session phase (default: %(default)s)"
    )
    parser.add_argument(
        "--dwell",
        type=float,
        default=0.0,
        help="seconds each loaded session spends reading a page before the next (default: %(default)s, back to back)",
    )
    parser.add_argument("--db", type=Path, default=None, help="copy this warehouse (default: the sample shop)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "load_pages.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        folder = Path(scratch)
        db = folder / "load.duckdb"
        if args.db is None:
            bootstrap.build_warehouse(db)
        else:
            shutil.copy(args.db, db)
        with serve(db, folder / "streamlit.log") as url:
            # At least two whole cycles alone (a fresh server's first visit of every page, then a warm one), and
            # every page at least once in each loaded session.
            pages = len(PAGE_TITLES)
            one = asyncio.run(phase(url, 1, args.baseline_seconds, at_least=2 * pages - 1))
            many = asyncio.run(phase(url, args.sessions, args.seconds, at_least=2 * pages - 1, dwell=args.dwell))
    alone, loaded = one.visits, many.visits
    first = {v.title: v.seconds for v in alone if v.first}
    baseline = browsing.render_stats([v for v in alone if not v.first])
    # Warm: a session's later visits of a page. Its first one also loads the page's scripts into that browser
    # context (and the first of all opens the session), which the one-session baseline leaves out too.
    under_load = browsing.render_stats([v for v in loaded if not v.first])
    every_visit = browsing.render_stats(loaded)
    errors = [f"{v.title}: {text}" for v in alone + loaded for text in v.errors]
    rows = [
        [
            title,
            first.get(title),
            baseline[title]["visits"],
            baseline[title]["p50"],
            baseline[title]["p95"],
            under_load[title]["visits"],
            under_load[title]["p50"],
            under_load[title]["p95"],
            ratio(under_load[title]["p50"], baseline[title]["p50"]),
            ratio(under_load[title]["p95"], baseline[title]["p95"]),
        ]
        for title in [*PAGE_TITLES, "all"]
    ]
    header = ["page", "first s", "1: n", "1: p50", "1: p95", f"{args.sessions}: n", "p50", "p95", "x p50", "x p95"]
    print(browsing.table(rows, header))
    print(
        f"\none session: {len(alone)} visits in {one.wall:.0f} s (first visits apart); "
        f"{args.sessions} sessions (dwell {args.dwell:g} s): {len(loaded)} visits in {many.wall:.0f} s, "
        f"warm p50/p95 above; with every session's first visit of each page: p50 {every_visit['all']['p50']:.2f} s, "
        f"p95 {every_visit['all']['p95']:.2f} s; errors {len(errors)}"
    )
    for name, run in (("one session", one), (f"{args.sessions} sessions", many)):
        print(
            f"CPU per visit, {name}: server {run.server_cpu / len(run.visits):.2f} s, "
            f"browsers {run.browser_cpu / len(run.visits):.2f} s "
            f"({os.cpu_count()} cores give {os.cpu_count() * run.wall / len(run.visits):.2f} s)"
        )
    for error in errors:
        print(f"  error: {error}")
    summary = {
        "sessions": args.sessions,
        "first_visit_seconds": first,
        "one_session": baseline,
        "dwell_seconds": args.dwell,
        "loaded": under_load,
        "loaded_every_visit": every_visit,
        "cpu_seconds": {
            "one_session": {"server": one.server_cpu, "browsers": one.browser_cpu, "wall": one.wall},
            "loaded": {"server": many.server_cpu, "browsers": many.browser_cpu, "wall": many.wall},
        },
        "errors": errors,
        "visit_log": [asdict(v) for v in alone + loaded],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, default=str))
    print(f"summary: {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
