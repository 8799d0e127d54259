"""Import throughput: ``ingest.import_file`` against DuckDB's bare ``read_csv`` of the same file.

Run: ``python benchmarks/import_bench.py [--rows 1000000,10000000] [--threads N] [--memory-limit 2GB] [--into N]
[--duplicates drop|keep]``.

For each size, order lines are generated as a CSV with DuckDB ``COPY`` (in a temporary
folder, never through pandas), then loaded three times, each in a fresh subprocess and a
fresh database file:

* ``import``: ``ingest.import_file(con, "orders", path)``, the whole validated,
  transactional import (checks, rejects, batch log, rollup refresh);
* ``bare``: ``CREATE TABLE t AS SELECT * FROM read_csv(path)``, DuckDB's own typed load;
* ``same_types``: the same with the id columns read as text (``types = {...}``).

It prints wall and CPU seconds and rows per second of each, the ratio bare time / import
time (target >= 0.5: validation costs at most as much again as the plain load) and each
subprocess's peak resident memory from ``ru_maxrss`` (target for the import: under 2 GB at
10M rows). The ``same_types`` load writes the ids as text, as the orders table stores them,
and shows how much of the gap is the cost of writing text ids rather than numbers.
CPU seconds are steadier than wall time on a machine that other work shares.
The generated lines look like an Online Retail export (see ``GENERATE``); the reject rows'
numbers are checked against the generated guest lines. ``import_file`` refreshes the rollups
inside its transaction (``rollups.refresh_changed``; a whole build, as the warehouse is new);
that part is timed apart too, so the import's own cost is visible. With ``--into N`` each
import goes into a warehouse that already holds N other generated lines of the same
customers: the refresh then recomputes only the users the file touches (a whole rebuild when
they are at least half of all users, see ``rollups.REBUILD_SHARE``). ``--duplicates`` is the import's choice
for exact duplicate lines (default ``drop``, as the CLI's: the load keeps one of each set, a DISTINCT over the
lines; ``keep`` loads them all and counts them apart); the generated lines have none, which is checked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Ten lines per order, a hundred lines per customer over two years, like an Online Retail export:
# float-looking customer ids, ISO timestamps, 2% return lines, and one order in a thousand from a
# guest (no customer id: its ten lines are rejected as "missing user_id").
GENERATE = """
COPY (
    SELECT
        CAST($first_order + i // 10 AS VARCHAR) AS order_id,
        CASE WHEN (i // 10) % 1000 = 7 THEN NULL
             ELSE CAST(12346 + ((i // 10) * 7919) % greatest($rows // 100, 1) AS VARCHAR) || '.0' END AS user_id,
        CAST(20000 + (i * 31) % 5000 AS VARCHAR) || CASE WHEN i % 7 = 0 THEN 'B' ELSE '' END AS item_id,
        strftime(TIMESTAMP '2022-01-01' + to_seconds((i // 10) * (63072000 // greatest($rows // 10, 1))), '%Y-%m-%d %H:%M:%S') AS ts,
        CASE WHEN i % 50 = 0 THEN -1 ELSE 1 + i % 12 END AS quantity,
        round(0.5 + (i % 997) / 37.0, 2) AS unit_price,
        CASE WHEN i % 10 = 0 THEN 0.1 ELSE 0 END AS discount
    FROM range($rows) AS t(i)
) TO '{path}' (HEADER)
"""


ORDERS_TYPES = {"order_id": "VARCHAR", "user_id": "VARCHAR", "item_id": "VARCHAR", "ts": "TIMESTAMP"}


def expected_rejects(rows: int) -> int:
    """Lines of guest orders among the first ``rows`` generated lines."""
    return rows // 10_000 * 10 + max(0, min(rows % 10_000, 80) - 70)


def generate(path: Path, rows: int, first_order: int = 500_000) -> None:
    """Write ``rows`` order lines to ``path`` with DuckDB's COPY (streamed, low memory); order ids from ``first_order``."""
    import duckdb

    if "'" in str(path):
        raise ValueError(f"temporary path {path} contains a quote")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(GENERATE.replace("{path}", str(path)), {"rows": rows, "first_order": first_order})
    finally:
        con.close()


def _settings(con, threads: int | None, memory_limit: str | None) -> None:
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise SystemExit(f"--memory-limit {memory_limit!r}: give a size such as 1GB or 512MiB")
        con.execute(f"SET memory_limit = '{memory_limit}'")


def child(
    mode: str,
    csv: str,
    db: str,
    threads: int | None,
    memory_limit: str | None,
    base_csv: str | None = None,
    duplicates: str = "drop",
) -> None:
    """Run one load in this process and print its figures as JSON.

    With ``base_csv`` (import only) that file is imported first, untimed: the timed import then
    goes into a warehouse that already holds data, and refreshes the rollup of its users only.
    """
    if mode == "import":
        from retention import ingest, rollups, warehouse

        if base_csv:
            con = warehouse.connect(db)
            ingest.import_file(con, "orders", base_csv)
            con.close()

        refresh = rollups.refresh_changed
        spent: dict[str, float] = {}

        def timed_refresh(connection) -> None:
            # import_file refreshes the rollups inside its transaction: time that part apart.
            spent["peak_mb_before_refresh"] = _peak_mb()
            started, cpu_started = time.perf_counter(), _cpu()
            refresh(connection)
            spent["refresh_seconds"] = time.perf_counter() - started
            spent["refresh_cpu"] = _cpu() - cpu_started

        rollups.refresh_changed = timed_refresh
        con = warehouse.connect(db)
        _settings(con, threads, memory_limit)
        started, cpu_started = time.perf_counter(), _cpu()
        result = ingest.import_file(con, "orders", csv, duplicates=duplicates)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
        # Guest lines are generated lines i with (i // 10) % 1000 = 7; line i is row i + 2 of the file.
        misplaced = con.execute(
            "SELECT count(*) FROM import_rejects WHERE batch_id = ? AND ((row_number - 2) // 10) % 1000 <> 7",
            [result.batch_id],
        ).fetchone()[0]
        figures = {
            "rows_read": result.rows_read,
            "rows_rejected": result.rows_rejected,
            "duplicates_found": result.duplicates_found,
            "misplaced_rejects": misplaced,
            **spent,
        }
    else:
        import duckdb

        con = duckdb.connect(db)
        _settings(con, threads, memory_limit)
        # "same_types" reads the ids as text, as the orders table stores them; plain read_csv
        # detects InvoiceNo-like ids as numbers, which are cheaper to write.
        options = ", types = $types" if mode == "same_types" else ""
        params = {"path": csv} | ({"types": ORDERS_TYPES} if mode == "same_types" else {})
        started, cpu_started = time.perf_counter(), _cpu()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv($path{options})", params)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
        figures = {}
    con.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), **figures}))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _cpu() -> float:
    """CPU seconds of this process, all threads: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(mode: str, csv: Path, db: Path, args: argparse.Namespace, base_csv: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--csv", str(csv), "--db", str(db)]
    if base_csv is not None:
        command += ["--base-csv", str(base_csv)]
    if mode == "import":
        command += ["--duplicates", args.duplicates]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000", help="comma-separated sizes (default: 1M and 10M)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's, one per core)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 1GB (default: DuckDB's)")
    parser.add_argument(
        "--into",
        type=int,
        default=0,
        help="import into a warehouse that already holds this many other generated lines (default: a new one)",
    )
    parser.add_argument(
        "--duplicates", choices=["drop", "keep"], default="drop", help="the import's duplicates choice (default: drop)"
    )
    parser.add_argument("--child", choices=["import", "bare", "same_types"], help=argparse.SUPPRESS)
    parser.add_argument("--base-csv", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.csv, args.db, args.threads, args.memory_limit, args.base_csv, args.duplicates)
        return

    sizes = [int(size) for size in args.rows.split(",") if size.strip()]
    print(
        f"DuckDB threads: {args.threads or 'default'}, memory_limit: {args.memory_limit or 'default'}, "
        f"cores: {os.cpu_count()}, duplicates: {args.duplicates}"
    )
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="import_bench_") as folder:
        base_csv = None
        if args.into:
            # Other orders (their own order ids) of the same customers, imported first and untimed.
            base_csv = Path(folder) / "existing.csv"
            generate(base_csv, args.into, first_order=100_000_000)
            print(f"each import goes into a warehouse already holding {args.into:,} other order lines")
        for rows in sizes:
            run_folder = Path(folder) / str(rows)
            run_folder.mkdir()
            csv = run_folder / "orders.csv"
            generate(csv, rows)
            imported = run_child("import", csv, run_folder / "import.duckdb", args, base_csv)
            bare = run_child("bare", csv, run_folder / "bare.duckdb", args)
            same = run_child("same_types", csv, run_folder / "same_types.duckdb", args)
            megabytes = csv.stat().st_size / 1e6
            shutil.rmtree(run_folder)
            assert imported["rows_read"] == rows and imported["rows_rejected"] == expected_rejects(rows), imported
            assert imported["misplaced_rejects"] == 0, imported
            assert imported["duplicates_found"] == 0, imported
            own = {
                "seconds": imported["seconds"] - imported["refresh_seconds"],
                "cpu": imported["cpu"] - imported["refresh_cpu"],
            }
            print(f"\n{rows:,} order lines ({megabytes:,.0f} MB of CSV)")
            print(f"  {'':34} {'wall s':>7} {'rows/s':>11} {'cpu s':>7} {'peak MB':>8}")
            for label, run, peak in [
                ("import_file", imported, imported["peak_mb"]),
                (
                    "  of which rollups.refresh",
                    {"seconds": imported["refresh_seconds"], "cpu": imported["refresh_cpu"]},
                    None,
                ),
                ("  import_file without the refresh", own, imported["peak_mb_before_refresh"]),
                ("bare read_csv", bare, bare["peak_mb"]),
                ("bare read_csv, ids as text", same, same["peak_mb"]),
            ]:
                peak_text = f"{peak:>8,.0f}" if peak is not None else f"{'':>8}"
                rate = f"{rows / run['seconds']:>11,.0f}" if peak is not None else f"{'':>11}"
                print(f"  {label:34} {run['seconds']:>7.2f} {rate} {run['cpu']:>7.2f} {peak_text}")
            ratios = {
                "bare / import_file": (bare["seconds"] / imported["seconds"], bare["cpu"] / imported["cpu"]),
                "bare / import without refresh": (bare["seconds"] / own["seconds"], bare["cpu"] / own["cpu"]),
                "bare ids as text / import w/o refresh": (same["seconds"] / own["seconds"], same["cpu"] / own["cpu"]),
            }
            for label, (wall, cpu) in ratios.items():
                print(f"  ratio {label:38} {wall:5.2f} by wall time, {cpu:5.2f} by CPU time")
            verdicts.append((rows, ratios["bare / import_file"][0], imported["peak_mb"]))
    print()
    for rows, ratio, peak in verdicts:
        print(
            f"{rows:,} rows: ratio >= 0.5 {'met' if ratio >= 0.5 else 'MISSED'} ({ratio:.2f}); "
            f"import peak < 2 GB {'met' if peak < 2048 else 'MISSED'} ({peak:,.0f} MB)"
        )


if __name__ == "__main__":
    main()
