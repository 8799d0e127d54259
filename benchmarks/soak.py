"""Soak: one warehouse shared for minutes by a served app, two browsers and a scheduled refresh.

On a fresh warehouse (the committed sample shop, or a copy of ``--db``) whose churn model a first refresh
trains before the clock starts, it runs at once:

- a scheduler: every ``--every`` seconds (cron's "every five minutes", compressed) it drops a small orders file
  into an inbox (written under a ``.tmp`` name, then renamed) and runs ``python -m retention refresh --inbox DIR``
  as a subprocess;
- a real ``streamlit run app.py`` server visited by ``--browsers`` Playwright contexts, each cycling through
  every page of the navigation (see ``browsing.py``).

It records every exception or error box a page showed, every refresh that exited non-zero, tracebacks in the
server's log, whether each inbox file was loaded exactly once (its SHA-256 in ``import_batches``), and whether
the Overview shows each refresh's new orders: an Overview visit that began after a refresh ended must show at
least that refresh's orders (a stale visit is an error), and each browser's last visit, after the scheduler's
last refresh, must show them all. Writes a JSON summary (``--out``) and prints a table. Run:
``.venv/bin/python benchmarks/soak.py [--minutes 10] [--every 60] [--browsers 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import browsing  # noqa: E402
import pandas as pd  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from served_app import serve  # noqa: E402

from retention import bootstrap, ingest, overview, warehouse  # noqa: E402

ORDERS_PER_FILE = 5
HEADER = "order_id,user_id,item_id,ts,quantity,unit_price\n"
REFRESH_TIMEOUT = 600.0


def fresh_warehouse(folder: Path, source: Path | None) -> Path:
    """A new warehouse in ``folder``: a copy of ``source``, else the committed sample shop."""
    path = folder / "soak.duckdb"
    if source is None:
        return bootstrap.build_warehouse(path)
    shutil.copy(source, path)
    return path


def drop_orders(inbox: Path, index: int, day: str) -> tuple[Path, str]:
    """Write ``orders-soak-NNN.csv`` (:data:`ORDERS_PER_FILE` new orders of new customers on ``day``) into the
    inbox atomically; returns its path and SHA-256."""
    lines = [
        f"soak{index}-o{i},soak{index}-u{i},soak-i{i},{day} {10 + i}:00:00,{1 + i % 3},{4.5 + i}\n"
        for i in range(ORDERS_PER_FILE)
    ]
    partial = inbox / f"orders-soak-{index:03d}.csv.tmp"
    partial.write_text(HEADER + "".join(lines))
    path = partial.rename(partial.with_suffix(""))
    return path, ingest.file_sha256(path)


async def refresh(db: Path, inbox: Path) -> tuple[int, float, str]:
    """``python -m retention refresh --inbox`` as a subprocess: exit status, seconds, the end of its stderr."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "retention",
        "refresh",
        "--db",
        str(db),
        "--inbox",
        str(inbox),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), REFRESH_TIMEOUT)
    return process.returncode, time.perf_counter() - started, err.decode(errors="replace")[-4000:]


async def scheduler(db: Path, inbox: Path, clock: browsing.Clock, plan: dict, record: dict) -> None:
    """Drop a file and refresh every ``plan['every']`` seconds, no later than ``plan['until']``, at most
    ``plan['refreshes']`` times (None: no limit)."""
    with warehouse.session(db) as con:
        latest = warehouse.data_range(con)[1]
    orders = record["orders_before"]
    index = 0
    while plan["refreshes"] is None or index < plan["refreshes"]:
        due = plan["every"] * (index + 1)
        if due >= plan["until"]:
            break
        await asyncio.sleep(max(0.0, due - clock.now()))
        day = (latest + pd.Timedelta(days=index + 1)).strftime("%Y-%m-%d")
        path, sha = drop_orders(inbox, index, day)
        began = clock.now()
        status, seconds, err = await refresh(db, inbox)
        orders += ORDERS_PER_FILE
        record["refreshes"].append(
            {
                "file": path.name,
                "sha256": sha,
                "started": began,
                "ended": clock.now(),
                "seconds": seconds,
                "exit_status": status,
                "orders_after": orders,
                "stderr": err if status else "",
            }
        )
        index += 1


async def browse(url: str, browsers: int, clock: browsing.Clock, until: float, done: asyncio.Event) -> list:
    """``browsers`` contexts cycling through the pages until ``until``; once the scheduler is ``done``, each ends
    with a visit of the Overview."""
    visits: list[browsing.Visit] = []
    async with async_playwright() as playwright:
        browser = await browsing.launch(playwright)
        try:

            async def session(number: int) -> None:
                page, first = await browsing.open_session(browser, url, number, clock)
                visits.append(first)
                await browsing.cycle(page, url, number, clock, until, visits, offset=1 + number * 3)
                await done.wait()
                visits.append(await browsing.visit(page, number, "Overview", clock))

            await asyncio.gather(*(session(number) for number in range(browsers)))
        finally:
            await browser.close()
    return visits


def check(db: Path, inbox: Path, record: dict, visits: list[browsing.Visit], log: Path) -> dict:
    """The soak's findings: errors (page errors, failed refreshes, server tracebacks, files not loaded exactly
    once, stale Overview visits, refreshes never seen) and the seconds until each refresh's orders showed."""
    errors = [f"session {v.session} at {v.started:.0f} s: {text}" for v in visits for text in v.errors]
    refreshes = record["refreshes"]
    errors += [
        f"refresh of {r['file']} exited {r['exit_status']}: {r['stderr']}" for r in refreshes if r["exit_status"]
    ]
    with warehouse.session(db) as con:
        loads = {r["file"]: len(ingest.previous_batches(con, "orders", r["sha256"])) for r in refreshes}
    errors += [f"{name} was loaded {count} times, not once" for name, count in loads.items() if count != 1]
    failed = sorted(p.name for p in (inbox / "failed").glob("*")) if (inbox / "failed").exists() else []
    errors += [f"inbox file moved to failed/: {name}" for name in failed]
    for block in log.read_text(errors="replace").split("Traceback (most recent call last):")[1:]:
        raised = next((line for line in block.splitlines()[1:] if line and not line.startswith(" ")), "?")
        errors.append(f"the server's log holds a traceback: {raised[:300]}")

    overviews = [v for v in visits if v.title == "Overview" and v.seconds is not None]
    seen_after = []
    for r in (r for r in refreshes if not r["exit_status"]):
        later = [v for v in overviews if v.started >= r["ended"]]
        stale = [v for v in later if v.orders is None or v.orders < r["orders_after"]]
        errors += [
            f"session {v.session}'s Overview at {v.started:.0f} s shows {v.orders} orders, "
            f"after the refresh of {r['file']} made them {r['orders_after']}"
            for v in stale
        ]
        fresh = [v for v in later if v.orders is not None and v.orders >= r["orders_after"]]
        if fresh:
            seen_after.append(min(v.ended for v in fresh) - r["ended"])
        else:
            errors.append(f"no Overview visit after the refresh of {r['file']} showed its orders")
    return {"errors": errors, "files_loaded_once": sum(c == 1 for c in loads.values()), "seen_after": seen_after}


def soak(
    db: Path,
    folder: Path,
    *,
    seconds: float,
    every: float,
    browsers: int = 2,
    refreshes: int | None = None,
) -> dict:
    """Run the soak on the warehouse ``db`` (changed in place) for ``seconds``; returns the summary (see
    :func:`print_summary`). Scratch files (inbox, server log) go to ``folder``."""
    inbox = folder / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    log = folder / "streamlit.log"
    setup = time.perf_counter()
    with warehouse.session(db) as con:
        orders_before = overview.kpis(con).orders
    trained = asyncio.run(refresh(db, inbox))  # the nightly model already exists when the day's refreshes run
    if trained[0]:
        raise RuntimeError(f"the first refresh (training the model) failed: {trained[2]}")
    record = {"orders_before": orders_before, "refreshes": []}
    with serve(db, log) as url:

        async def run() -> list[browsing.Visit]:
            clock = browsing.Clock()
            done = asyncio.Event()
            plan = {"every": every, "until": seconds, "refreshes": refreshes}

            async def schedule() -> None:
                try:
                    await scheduler(db, inbox, clock, plan, record)
                finally:
                    done.set()

            visits, _ = await asyncio.gather(browse(url, browsers, clock, seconds, done), schedule())
            return visits

        setup = time.perf_counter() - setup
        visits = asyncio.run(run())
    found = check(db, inbox, record, visits, log)
    stats = browsing.render_stats(visits)
    return {
        "seconds": seconds,
        "every": every,
        "browsers": browsers,
        "setup_seconds": setup,
        "refreshes": len(record["refreshes"]),
        "refresh_failures": sum(1 for r in record["refreshes"] if r["exit_status"]),
        "refresh_seconds": [round(r["seconds"], 2) for r in record["refreshes"]],
        "files_loaded_once": found["files_loaded_once"],
        "new_orders_seen_after_seconds": [round(s, 2) for s in found["seen_after"]],
        "visits": len(visits),
        "renders": stats,
        "errors": found["errors"],
        "visit_log": [asdict(v) for v in visits],
    }


def print_summary(summary: dict) -> None:
    rows = [[title, s["visits"], s["p50"], s["p95"]] for title, s in summary["renders"].items()]
    print(browsing.table(rows, ["page", "visits", "p50 s", "p95 s"]))
    seen = summary["new_orders_seen_after_seconds"]
    print(
        f"\nrefreshes {summary['refreshes']} (failed {summary['refresh_failures']}, "
        f"seconds {summary['refresh_seconds']}); inbox files loaded once {summary['files_loaded_once']}/"
        f"{summary['refreshes']}; new orders on the Overview after at most {max(seen, default=0):.1f} s; "
        f"page visits {summary['visits']}; errors {len(summary['errors'])}"
    )
    for error in summary["errors"]:
        print(f"  error: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the soak runs (default: %(default)s)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between refreshes (default: %(default)s)")
    parser.add_argument("--browsers", type=int, default=2, help="browser contexts (default: %(default)s)")
    parser.add_argument("--db", type=Path, default=None, help="copy this warehouse (default: the sample shop)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "soak.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        folder = Path(scratch)
        db = fresh_warehouse(folder, args.db)
        summary = soak(db, folder, seconds=args.minutes * 60, every=args.every, browsers=args.browsers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, default=str))
    print_summary(summary)
    print(f"summary: {args.out}")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
