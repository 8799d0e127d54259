"""What short-lived sessions cost a page: a fresh read-only session per read against one connection held open.

The app opens the warehouse for each unit of work (see ``retention.warehouse.session``) so that the CLI and a
scheduled refresh can write the file while it runs. This measures what that costs, on the committed sample shop
(5,000 customers) and on a generated warehouse of ``--users`` customers (``--lines`` order lines, generated in
DuckDB as in ``cohort_bench.py``):

- open: open and close a read-only session, nothing read; within a page run (the database of the previous
  session still lingers, see ``warehouse.LINGER_SECONDS``) and after the process was idle (DuckDB starts it);
- warm rerun: what every rerun of a page does when its reads are cached: the data version token;
- page: the token, the Overview's headline numbers and the monthly cohort table, each through its own session
  (as the cached reads of a first visit do) against cursors of one held connection (as before), in a page run
  and after idle;
- wake-up: how long after a writer of another process releases the file a waiting reader gets it.

Times are medians of ``--repeat`` runs (the machine is shared). Run:
``.venv/bin/python benchmarks/session_bench.py [--users 1000000] [--lines 10000000] [--repeat 15]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cohort_bench import GENERATE_ORDERS  # noqa: E402

from retention import bootstrap, cohorts, overview, rollups, warehouse  # noqa: E402


def median_ms(repeat: int, run: Callable[[], object], *, idle: bool = False) -> float:
    """Median milliseconds of ``run``; with ``idle``, each run comes after the process's lingering database closed."""
    run()  # warm: the file in the OS cache, as on a server that has served pages
    times = []
    for _ in range(repeat):
        if idle:
            time.sleep(warehouse.LINGER_SECONDS + 0.2)
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def page(con) -> None:
    warehouse.data_version(con)
    overview.kpis(con)
    cohorts.cohort_table(con, cohorts.CohortQuery())


def measure(label: str, path: Path, repeat: int) -> None:
    def fresh_token() -> None:
        with warehouse.session(path) as con:
            warehouse.data_version(con)

    def fresh_page() -> None:
        for read in (
            warehouse.data_version,
            overview.kpis,
            lambda con: cohorts.cohort_table(con, cohorts.CohortQuery()),
        ):
            with warehouse.session(path) as con:
                read(con)

    def opened() -> None:
        with warehouse.session(path):
            pass

    held = warehouse.connect(path, read_only=True)
    try:

        def held_token() -> None:
            with held.cursor() as con:
                warehouse.data_version(con)

        def held_page() -> None:
            with held.cursor() as con:
                page(con)

        held_rerun, held_first = median_ms(repeat, held_token), median_ms(repeat, held_page)
    finally:
        held.close()
    time.sleep(warehouse.LINGER_SECONDS + 0.2)
    open_ms, open_idle_ms = median_ms(repeat, opened), median_ms(repeat, opened, idle=True)
    fresh_rerun, fresh_first = median_ms(repeat, fresh_token), median_ms(repeat, fresh_page)
    idle_rerun, idle_first = median_ms(repeat, fresh_token, idle=True), median_ms(repeat, fresh_page, idle=True)
    time.sleep(warehouse.LINGER_SECONDS + 0.2)
    print(f"{label}: {path.stat().st_size / 1e6:,.0f} MB; medians of {repeat} runs, in ms")
    print(f"  {'':34} {'held connection':>16} {'sessions':>9} {'sessions after idle':>20}")
    print(f"  {'open and close a read-only session':34} {'':>16} {open_ms:9.1f} {open_idle_ms:20.1f}")
    print(f"  {'warm rerun (data version)':34} {held_rerun:16.1f} {fresh_rerun:9.1f} {idle_rerun:20.1f}")
    print(f"  {'page (version, KPIs, cohorts)':34} {held_first:16.1f} {fresh_first:9.1f} {idle_first:20.1f}")


HOLD = """
import sys, time
from retention import warehouse
with warehouse.session(sys.argv[1], write=True):
    print("holding", flush=True)
    time.sleep(1.0)
    released = time.time()
print(released, flush=True)
"""


def wake_up(path: Path, tries: int = 5) -> list[float]:
    """Seconds between a writer's release and a waiting reader's open, for ``tries`` writers."""
    delays = []
    for _ in range(tries):
        writer = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(HOLD), str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it may wait for this process's lingering reads: no message
            text=True,
        )
        writer.stdout.readline()
        with warehouse.session(path, waiting=lambda message: nullcontext()):
            opened = time.time()
        released = float(writer.stdout.readline())
        writer.wait()
        delays.append(opened - released)
    return delays


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sample = bootstrap.build_warehouse(Path(folder) / "sample.duckdb")
        measure("sample shop (5,000 customers)", sample, args.repeat)
        delays = wake_up(sample)
        print(
            f"  wake-up after a writer: median {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
        )

        big = Path(folder) / "big.duckdb"
        started = time.perf_counter()
        con = warehouse.connect(big)
        try:
            con.execute(GENERATE_ORDERS, {"lines": args.lines, "users": args.users, "seed": 1})
            with warehouse.transaction(con):
                rollups.refresh(con)
            customers = con.execute("SELECT count(DISTINCT user_id) FROM orders").fetchone()[0]
        finally:
            con.close()
        print(
            f"generated {args.lines:,} order lines of {customers:,} customers in {time.perf_counter() - started:.0f} s"
        )
        measure(f"generated ({customers:,} customers)", big, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
