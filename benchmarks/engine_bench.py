"""DuckDB or Spark? The cohort table and the churn features on both engines, at 1M, 10M and 30M order lines.

Generates each size's synthetic shop straight to a Parquet lake with DuckDB (cached in
``benchmarks/out/engine/``, which git ignores): ``orders`` and ``users`` with the warehouse's columns
and types, and ``lake.json`` as ``python -m retention lake export`` writes it. The shape: orders of
1 to 19 lines (10 on average), about 3.5 orders per customer, over two years (2023-2024); every
customer starts on a random day and buys less and less after it; 2% of lines are returns.

Then, for each size, engine and step, in a fresh subprocess (its own process group):

- ``cohorts``: ``engines.source(engine, lake_dir=..., rollup=True)`` then ``cohorts.cohort_table`` (monthly
  first-purchase cohorts, n-day). The work counted is reading the lake, building the activity rollup on the
  engine, and the table;
- ``churn``: the churn features of every customer at one snapshot (``churn.snapshots.snapshot_features``,
  the SQL ``churn_features.sql``), pulled to the driver as pandas. DuckDB on a lake loads the lake into memory
  first, so its ``seconds`` include that; ``query s`` is the step alone. Neither engine builds the rollup for
  this step (the README's figures were measured when DuckDB on a lake still built it before any query).

DuckDB runs in the process on every core; Spark on ``local[N]`` (``--cores``, default 2) with the driver memory
of ``--spark-memory`` (``RETENTION_SPARK_DRIVER_MEMORY``). Spark's JVM start (a few seconds, once per process)
is left out of ``seconds`` (``startup_s`` in the JSON). Peak memory is the largest sum of resident memory of the
subprocess and its children (the JVM is one), sampled from ``/proc`` every 0.1 s, or the kernel's
``ru_maxrss`` when larger. A step past ``--step-timeout`` seconds is killed and reported as such.

Each subprocess also reports its result's rows and a checksum (the sum of every numeric column), and the two
engines' are compared: ``agree`` in the table. ``lines/core-s`` is order lines / (seconds x cores).

Run: ``.venv/bin/python benchmarks/engine_bench.py [--sizes 1e6,1e7,3e7] [--quick] [--engines duckdb,spark]
[--steps cohorts,churn] [--cores 2] [--spark-memory 6g] [--step-timeout 900] [--out F]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retention import engines, warehouse  # noqa: E402
from retention.engines import lake  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
CACHE = OUT / "engine"
DEFAULT_SIZES = (1_000_000, 10_000_000, 30_000_000)
STEPS = ("cohorts", "churn")
LINES_PER_ORDER = 10
ORDERS_PER_CUSTOMER = 3.5
SNAPSHOT = dt.date(2024, 9, 30)
"""The churn snapshot: three months before the data's end, so that every customer's 90-day label is known."""
SEED = 1

# Order o: 1 + hash mod 19 lines (10 on average), of customer hash(o) mod $users, on the customer's start day
# plus r^2 of the days left (r uniform), so activity fades after the start. The last order is cut at $lines.
ORDERS_SQL = """
COPY (
    WITH placed AS (
        SELECT
            o,
            u,
            unnest(range((1 + hash(o, $seed, 1) % 19)::BIGINT)) AS k,
            (hash(u, $seed, 2) % 730)::INTEGER AS start_day,
            (hash(o, $seed, 3) % 1000000) / 1e6 AS r
        FROM (SELECT o, hash(o, $seed) % $users AS u FROM range($orders) AS t(o))
    )
    SELECT
        'o' || o::VARCHAR AS order_id,
        'u' || lpad(u::VARCHAR, 8, '0') AS user_id,
        'i' || (hash(o, k, $seed, 4) % 20000)::VARCHAR AS item_id,
        TIMESTAMP '2023-01-01'
            + to_days(start_day + floor(r * r * (730 - start_day))::INTEGER)
            + to_seconds((hash(o, $seed, 5) % 86400)::BIGINT) AS ts,
        CASE WHEN hash(o, k, $seed, 6) % 50 = 0 THEN -1 ELSE 1 + hash(o, k, $seed, 7) % 4 END::DOUBLE AS quantity,
        ((100 + hash(o, k, $seed, 8) % 4900) / 100.0)::DOUBLE AS unit_price,
        0.0::DOUBLE AS discount,
        1::INTEGER AS batch_id
    FROM placed
    LIMIT $lines
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""

USERS_SQL = """
COPY (
    SELECT
        'u' || lpad(u::VARCHAR, 8, '0') AS user_id,
        TIMESTAMP '2023-01-01' + to_days((hash(u, $seed, 2) % 730)::INTEGER) AS signup_ts,
        ['GB', 'DE', 'FR', 'NL', 'US', 'ES', 'IT', 'SE'][(1 + hash(u, $seed, 9) % 8)::BIGINT] AS country,
        ['organic', 'search', 'social', 'email'][(1 + hash(u, $seed, 10) % 4)::BIGINT] AS channel,
        NULL::VARCHAR AS email,
        1::INTEGER AS batch_id,
        NULL::VARCHAR AS first_name,
        NULL::VARCHAR AS phone,
        NULL::BOOLEAN AS sms_consent
    FROM range($users) AS t(u)
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""


def shop_shape(lines: int) -> dict[str, int]:
    """Customers and orders (before the cut at ``lines``) for ``lines`` order lines."""
    orders = math.ceil(lines / LINES_PER_ORDER * 1.05) + 1
    return {"lines": lines, "orders": orders, "users": max(1, round(lines / LINES_PER_ORDER / ORDERS_PER_CUSTOMER))}


def generate_lake(folder: Path, lines: int, seed: int = SEED) -> Path:
    """Write a lake of ``lines`` synthetic order lines (see the module docstring) to ``folder``; its path.

    Files are written under temporary names and renamed, the manifest last, as :func:`lake.export` does.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shape = shop_shape(lines)
    con = warehouse.scratch()
    try:
        con.execute("SET enable_progress_bar = false")
        for table, sql, params in (
            ("orders", ORDERS_SQL, {**shape, "seed": seed}),
            ("users", USERS_SQL, {"users": shape["users"], "seed": seed}),
        ):
            temporary = folder / f".{table}.parquet.tmp"
            con.execute(sql.replace("{path}", str(temporary).replace("'", "''")), params)
            os.replace(temporary, folder / f"{table}.parquet")
        counts = {
            table: con.execute(
                "SELECT count(*) FROM read_parquet($path)", {"path": str(folder / f"{table}.parquet")}
            ).fetchone()[0]
            for table in ("orders", "users")
        }
    finally:
        con.close()
    schema = lake.warehouse_schema()
    manifest = {
        "format": lake.LAKE_FORMAT,
        "schema_version": _schema_version(),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": {table: {"rows": rows, "columns": schema[table]} for table, rows in counts.items()},
    }
    temporary = folder / f".{lake.MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(temporary, folder / lake.MANIFEST)
    return folder


def _schema_version() -> int:
    con = warehouse.scratch()
    try:
        return warehouse.migrate(con, name="the schema")
    finally:
        con.close()


def cached_lake(lines: int, seed: int = SEED) -> Path:
    """The lake of ``lines`` order lines in the cache, generated when missing."""
    folder = CACHE / f"lake_{lines}_seed{seed}"
    if not (folder / lake.MANIFEST).exists():
        started = time.perf_counter()
        generate_lake(folder, lines, seed)
        print(f"generated {lines:,} order lines in {time.perf_counter() - started:.1f} s: {folder}", flush=True)
    return folder


def run_step(engine: str, step: str, lake_dir: str | os.PathLike, master: str) -> tuple[pd.DataFrame, dict]:
    """Run ``step`` on ``engine`` over the lake: its result, and seconds (all, and the step after the source opened).

    The Spark session is started before the clock (``startup_s``).
    """
    from retention import cohorts
    from retention.churn import snapshots

    started = time.perf_counter()
    if engine == engines.SPARK:
        from retention.engines import spark

        spark.session(master)
    timed = time.perf_counter()
    with engines.source(engine, lake_dir=lake_dir, master=master, rollup=step == "cohorts") as con:
        opened = time.perf_counter()
        if step == "cohorts":
            frame = cohorts.cohort_table(con, cohorts.CohortQuery()).frame
        else:
            frame = snapshots.snapshot_features(con, [SNAPSHOT])
        done = time.perf_counter()
    return frame, {"startup_s": timed - started, "seconds": done - timed, "query_s": done - opened}


def checksum(frame: pd.DataFrame) -> float:
    """The sum of every numeric (and boolean) cell, NULLs left out: equal results give equal sums (to rounding)."""
    numeric = frame.select_dtypes(include=["number", "bool"]).astype("float64")
    return float(np.nansum(numeric.to_numpy()))


def same_result(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], tolerance: float = 1e-9) -> list[str]:
    """How two engines' results of one step differ (empty when they agree): rows by ``keys``, numeric columns
    within ``tolerance``, every other column exactly."""
    if list(ours.columns) != list(theirs.columns):
        return [f"columns differ: {list(ours.columns)} vs {list(theirs.columns)}"]
    if len(ours) != len(theirs):
        return [f"rows differ: {len(ours):,} vs {len(theirs):,}"]
    ours = ours.sort_values(keys).reset_index(drop=True)
    theirs = theirs.sort_values(keys).reset_index(drop=True)
    differences = []
    for column in ours.columns:
        left, right = ours[column], theirs[column]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            a, b = left.astype("float64").to_numpy(), right.astype("float64").to_numpy()
            if not np.allclose(a, b, rtol=0, atol=tolerance, equal_nan=True):
                differences.append(f"{column}: largest difference {np.nanmax(np.abs(a - b))}")
        elif (
            not left.astype("object")
            .where(left.notna(), None)
            .equals(right.astype("object").where(right.notna(), None))
        ):
            differences.append(f"{column}: values differ")
    return differences


STEP_KEYS = {"cohorts": ["cohort", "period"], "churn": ["snapshot_date", "user_id"]}


def measure_main(engine: str, step: str, lake_dir: str, master: str) -> None:
    """The subprocess of one measurement: print its figures as one JSON line."""
    frame, times = run_step(engine, step, lake_dir, master)
    print(json.dumps({**times, "rows": len(frame), "checksum": checksum(frame)}), flush=True)


def tree_rss(root: int) -> int:
    """Resident bytes of process ``root`` and all its descendants, read from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total


@dataclass
class Measurement:
    lines: int
    engine: str
    step: str
    cores: int
    seconds: float | None = None
    query_s: float | None = None
    startup_s: float | None = None
    peak_mib: float = 0.0
    rows: int | None = None
    checksum: float | None = None
    failure: str | None = None

    @property
    def lines_per_core_second(self) -> float | None:
        return None if self.seconds is None else self.lines / (self.seconds * self.cores)


def run_child(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, float, str, str]:
    """Run ``argv`` in its own process group: its exit status (None: killed past ``timeout`` seconds), peak MiB of
    it and its children, its standard output and error."""
    started = time.perf_counter()
    # Files, not pipes: a child that fills a pipe nobody reads until it ends would stall.
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(argv, env=env, stdout=output, stderr=errors, start_new_session=True)
        peak, exit_status = 0, None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                exit_status = os.waitstatus_to_exitcode(status)
                break
            peak = max(peak, tree_rss(child.pid))
            if time.perf_counter() - started > timeout:
                os.killpg(child.pid, signal.SIGKILL)
                _, _, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # a JVM left behind by a failed step
        texts = []
        for stream in (output, errors):
            stream.seek(0)
            texts.append(stream.read().decode(errors="replace"))
    return exit_status, max(peak, usage.ru_maxrss * 1024) / 2**20, texts[0], texts[1]


def measure(lines: int, engine: str, step: str, lake_dir: Path, args: argparse.Namespace) -> Measurement:
    """One measurement in a fresh subprocess (see the module docstring)."""
    master = f"local[{args.cores}]"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RETENTION_SPARK_DRIVER_MEMORY": args.spark_memory}
    argv = [sys.executable, __file__, "--measure", engine, step, str(lake_dir), master]
    cores = args.cores if engine == engines.SPARK else os.cpu_count() or 1
    result = Measurement(lines, engine, step, cores)
    exit_status, result.peak_mib, output, errors = run_child(argv, env, args.step_timeout)
    if exit_status is None:
        result.failure = f"over {args.step_timeout:.0f} s, killed"
    elif exit_status != 0:
        result.failure = "failed: " + (errors.strip().splitlines() or ["(no output)"])[-1][:160]
    else:
        figures = json.loads(output.strip().splitlines()[-1])
        result.seconds, result.query_s, result.startup_s = figures["seconds"], figures["query_s"], figures["startup_s"]
        result.rows, result.checksum = figures["rows"], figures["checksum"]
    return result


def agreement(results: list[Measurement]) -> dict[tuple[int, str], str]:
    """Per size and step: whether the engines' rows and checksums agree ("yes", "NO", or "-" with one engine)."""
    verdicts = {}
    for key in {(r.lines, r.step) for r in results}:
        done = [r for r in results if (r.lines, r.step) == key and r.failure is None]
        if len(done) < 2:
            verdicts[key] = "-"
            continue
        first = done[0]
        same = all(
            r.rows == first.rows and math.isclose(r.checksum, first.checksum, rel_tol=1e-9, abs_tol=1e-6)
            for r in done[1:]
        )
        verdicts[key] = "yes" if same else "NO"
    return verdicts


def ratio(results: list[Measurement], result: Measurement) -> float | None:
    """Spark's seconds over DuckDB's for the same size and step (shown on the Spark row)."""
    if result.engine != engines.SPARK or result.seconds is None:
        return None
    for other in results:
        if (other.lines, other.step, other.engine) == (result.lines, result.step, engines.DUCKDB) and other.seconds:
            return result.seconds / other.seconds
    return None


def table(results: list[Measurement]) -> str:
    """The results as a fixed-width text table."""
    verdicts = agreement(results)
    header = (
        f"{'lines':>11} {'engine':<7} {'step':<8} {'seconds':>9} {'query s':>9} {'lines/core-s':>13} "
        f"{'peak MiB':>9} {'spark/duckdb':>13} {'agree':>6}"
    )
    rows = [header, "-" * len(header)]
    for r in results:
        if r.failure:
            rows.append(f"{r.lines:>11,} {r.engine:<7} {r.step:<8} {r.failure} (peak {r.peak_mib:,.0f} MiB)")
            continue
        spark_ratio = ratio(results, r)
        rows.append(
            f"{r.lines:>11,} {r.engine:<7} {r.step:<8} {r.seconds:>9.2f} {r.query_s:>9.2f} "
            f"{r.lines_per_core_second:>13,.0f} {r.peak_mib:>9,.0f} "
            f"{'' if spark_ratio is None else f'{spark_ratio:.1f}':>13} {verdicts[(r.lines, r.step)]:>6}"
        )
    return "\n".join(rows)


def parse_sizes(text: str) -> list[int]:
    """``"1e6,1e7"`` -> ``[1000000, 10000000]``."""
    sizes = []
    for part in text.split(","):
        try:
            size = int(float(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"size {part!r} is not a number of order lines, e.g. 1e6") from None
        if size < 1000:
            raise argparse.ArgumentTypeError(f"size {part!r} is under 1,000 order lines")
        sizes.append(size)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="order lines, e.g. 1e6,1e7,3e7")
    parser.add_argument("--quick", action="store_true", help="1M order lines only: a smoke run")
    parser.add_argument("--engines", default=",".join(engines.ENGINES), help="comma-separated: duckdb,spark")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated: cohorts,churn")
    parser.add_argument("--cores", type=int, default=2, help="Spark's local[N] (default 2)")
    parser.add_argument("--spark-memory", default="6g", help="Spark driver memory (default 6g)")
    parser.add_argument("--step-timeout", type=float, default=900.0, help="seconds before a step is killed (900)")
    parser.add_argument("--out", type=Path, default=OUT / "engine_bench.json", help="JSON results")
    parser.add_argument("--measure", nargs=4, metavar=("ENGINE", "STEP", "LAKE", "MASTER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_main(*args.measure)
        return 0
    chosen_engines = [name for name in args.engines.split(",") if name]
    chosen_steps = [name for name in args.steps.split(",") if name]
    unknown = sorted(set(chosen_engines) - set(engines.ENGINES)) + sorted(set(chosen_steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown engine(s) or step(s): {', '.join(unknown)}")
    sizes = [1_000_000] if args.quick else args.sizes

    results: list[Measurement] = []
    for lines in sizes:
        lake_dir = cached_lake(lines)
        for step in chosen_steps:
            for engine in chosen_engines:
                result = measure(lines, engine, step, lake_dir, args)
                results.append(result)
                print(
                    f"{lines:,} {engine} {step}: "
                    + (result.failure or f"{result.seconds:.2f} s, {result.peak_mib:,.0f} MiB"),
                    flush=True,
                )
    print()
    print(f"{os.cpu_count()} cores on this machine; Spark on local[{args.cores}], driver {args.spark_memory}")
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([vars(r) for r in results], indent=2) + "\n")
    return 0 if all(v != "NO" for v in agreement(results).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
