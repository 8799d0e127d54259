"""How long a scheduled refresh keeps other processes out of the warehouse: its longest single write-lock hold.

On a fresh sample warehouse (``python -m retention sample`` into a temporary file), it drops a ~2,000-line orders
file into an inbox and runs ``python -m retention refresh --inbox DIR`` twice as a subprocess: the first run
trains the churn model (none is saved yet), the second (a second file) keeps it and rescores. Meanwhile a probe
process opens the file read-only in a loop, as the app's pages do, and stamps each try with the time and whether
it got in. The longest stretch from a refused try to the next accepted one, while the refresh ran, is the
longest time a page waited for the refresh: its longest single write-lock hold, give or take the probe's pace
(``--pace``). The library is not instrumented: ``--code DIR`` runs the refresh of another source tree (e.g. an
older commit exported with ``git archive``), so the same script measures before and after. Run:
``.venv/bin/python benchmarks/refresh_lock_bench.py [--code DIR] [--lines 2000] [--out summary.json]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retention import warehouse  # noqa: E402
from retention.errors import WarehouseBusy  # noqa: E402

HEADER = "order_id,user_id,item_id,ts,quantity,unit_price\n"


def retention_command(code: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m retention ARGS`` of the source tree ``code``, as cron runs it."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.run(
        [sys.executable, "-m", "retention", *args], cwd=code, env=env, capture_output=True, text=True, check=False
    )


def drop_orders(inbox: Path, name: str, lines: int, day: str) -> Path:
    """Write ``lines`` new orders (of 400 new customers, on ``day``) into ``inbox/name`` atomically."""
    rows = [
        f"{name}-o{i},{name}-u{i % 400},bench-i{i % 50},{day} {8 + i % 12:02d}:{i % 60:02d}:00,{1 + i % 3},{4.5 + i % 20}\n"
        for i in range(lines)
    ]
    partial = inbox / f"{name}.csv.tmp"
    partial.write_text(HEADER + "".join(rows))
    return partial.rename(inbox / f"{name}.csv")


def probe(db: str, stamps: str, stop: multiprocessing.synchronize.Event, pace: float) -> None:
    """Open ``db`` read-only (no waiting) in a loop until ``stop``; append ``time ok`` lines to ``stamps``."""
    with open(stamps, "w") as out:
        while not stop.is_set():
            began = time.time()
            try:
                warehouse.connect(db, read_only=True, wait=0).close()
                ok = 1
            except WarehouseBusy:
                ok = 0
            out.write(f"{began:.4f} {ok}\n")
            time.sleep(pace)


def longest_refusal(stamps: list[tuple[float, int]], start: float, end: float) -> tuple[float, float, int]:
    """From the probe's stamps within [start, end]: the longest stretch from a refused try to the next accepted
    one (s), the total time refused (s), and the number of tries."""
    window = [(t, ok) for t, ok in stamps if start <= t <= end + 1.0]
    longest = total = 0.0
    refused_since = None
    for t, ok in window:
        if not ok and refused_since is None:
            refused_since = t
        elif ok and refused_since is not None:
            longest = max(longest, t - refused_since)
            total += t - refused_since
            refused_since = None
    if refused_since is not None and window:
        longest = max(longest, window[-1][0] - refused_since)
        total += window[-1][0] - refused_since
    return longest, total, len(window)


def measure(code: Path, lines: int, pace: float, folder: Path) -> list[dict]:
    db = folder / "bench.duckdb"
    made = retention_command(ROOT, "sample", "--db", str(db))
    if made.returncode:
        raise RuntimeError(f"sample failed: {made.stderr[-2000:]}")
    inbox = folder / "inbox"
    inbox.mkdir()
    stamps = folder / "stamps.txt"
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    prober = context.Process(target=probe, args=(str(db), str(stamps), stop, pace))
    prober.start()
    runs = []
    try:
        time.sleep(2.0)  # the probe is up (its first opens are in the stamps before the refresh starts)
        for index, (what, day) in enumerate([("trains the model", "2026-07-01"), ("rescores", "2026-07-02")]):
            drop_orders(inbox, f"orders-bench-{index}", lines, day)
            start = time.time()
            done = retention_command(code, "refresh", "--db", str(db), "--inbox", str(inbox))
            end = time.time()
            runs.append({"run": what, "exit": done.returncode, "start": start, "end": end, "stdout": done.stdout})
            print(
                f"{what}: exit {done.returncode} in {end - start:.1f} s\n{done.stdout}{done.stderr[-1500:]}", flush=True
            )
            time.sleep(1.0)
    finally:
        stop.set()
        prober.join()
    stamped = [(float(t), int(ok)) for t, ok in (line.split() for line in stamps.read_text().splitlines())]
    results = []
    for run in runs:
        longest, total, tries = longest_refusal(stamped, run["start"], run["end"])
        results.append(
            {
                "run": run["run"],
                "exit": run["exit"],
                "refresh_seconds": round(run["end"] - run["start"], 2),
                "longest_hold_seconds": round(longest, 2),
                "refused_seconds": round(total, 2),
                "probe_tries": tries,
                "summary": run["stdout"].strip().splitlines(),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree whose refresh runs (default: this one)")
    parser.add_argument("--lines", type=int, default=2000, help="lines of each orders file (default: 2000)")
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between the probe's tries (default: 0.02)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="refresh-lock-") as folder:
        results = measure(args.code.resolve(), args.lines, args.pace, Path(folder))
    for result in results:
        print(
            f"{result['run']:<18} exit {result['exit']}  refresh {result['refresh_seconds']:6.1f} s  "
            f"longest hold {result['longest_hold_seconds']:6.2f} s  refused {result['refused_seconds']:6.2f} s  "
            f"({result['probe_tries']} probe tries)"
        )
        print("    " + "\n    ".join(result["summary"]))
    if args.out:
        args.out.write_text(json.dumps({"code": str(args.code), "lines": args.lines, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
