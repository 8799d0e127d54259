"""Sample generation: ``python -m retention sample`` at several sizes, and whether its time is linear in customers.

Run: ``python benchmarks/sample_bench.py [--users 5000,20000,50000] [--large] [--old] [--export]``.

Each size runs in a fresh subprocess: ``python -m retention sample --db <new file> --users N`` (generate
the shop and load it into a new warehouse; ``--export`` writes Parquet with ``--export-dir`` instead).
It prints wall and CPU seconds, seconds per 1,000 customers and that figure's ratio against the smallest
size (1.0 = linear; the smallest size carries most of the fixed start-up cost, imports and numba's
one-off compile when its disk cache is cold, so the ratio falls below 1), the CPU seconds per 1,000 of
the customers added since the previous size (flat = linear), and the subprocess's peak resident memory.
A last line per mode compares the cost of the customers added between the two smallest sizes with that
between the two largest, CPU seconds and peak memory per 1,000 (x1.0 = linear; the sample is loaded one
table at a time, so its peak grows with the largest table, not the whole shop). The catalogue grows with
the customers up to 20,000 of them (:func:`retention.sample.catalogue_size`), so linearity shows from there
on: ``--users 20000,50000,100000``. ``--large`` adds 200,000 customers. CPU seconds are steadier than wall time on a machine that other work shares.

``--old`` also times ``generate()`` with the item choice of the former generator (a numpy score matrix of
orders x products, Gumbel noise, ``argpartition``; kept here only), at the sizes up to 50,000: it was
the part that grew with customers x catalogue; the rest of the former generator is not reproduced.
Both give the same frames (``tests/test_sample.py`` pins the default sample's checksums).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The former item choice, patched into the simulation in the subprocess of an --old run.
OLD_CHOICE = """
import numpy as np
from retention.sample import arrays, simulate

def old_choose_items(rng, user_taste, rows, item_taste, log_pop, weight, k, chunk=2048):
    user_taste = user_taste[rows]
    n = len(user_taste)
    out = np.empty((n, k), dtype=np.int64)
    item_weighted = weight * item_taste.T
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        scores = np.add.outer(np.zeros(hi - lo), log_pop)
        term = np.empty_like(scores)
        for dim in range(item_weighted.shape[0]):
            np.multiply(user_taste[lo:hi, dim : dim + 1], item_weighted[dim], out=term)
            scores += term
        scores -= np.log(rng.standard_exponential(size=scores.shape))
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[lo:hi] = np.take_along_axis(top, order, axis=1)
    return out

arrays.choose_items = old_choose_items
simulate.generate(users={users})
"""
OLD_MAX_USERS = 50000


def _run(argv: list[str]) -> dict:
    """Wall and CPU seconds and peak resident memory (MB) of one subprocess."""
    started = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(argv[:4])} ... failed with exit status {child.returncode}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def measure(users: int, mode: str, folder: Path) -> dict:
    if mode == "old":
        return _run([sys.executable, "-c", OLD_CHOICE.format(users=users)])
    target = folder / f"sample_{users}"
    where = ["--export-dir", str(target)] if mode == "export" else ["--db", f"{target}.duckdb"]
    return _run([sys.executable, "-m", "retention", "sample", "--users", str(users), *where])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="5000,20000,50000", help="comma-separated sizes (default 5000,20000,50000)")
    parser.add_argument("--large", action="store_true", help="add 200,000 customers")
    parser.add_argument(
        "--old", action="store_true", help=f"also time the former item choice (up to {OLD_MAX_USERS:,})"
    )
    parser.add_argument("--export", action="store_true", help="write Parquet (--export-dir) instead of a warehouse")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.users.split(",")} | ({200000} if args.large else set()))
    modes = ["export" if args.export else "load"] + (["old"] if args.old else [])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for mode in modes:
            base, previous = None, None
            for users in sizes:
                if mode == "old" and users > OLD_MAX_USERS:
                    continue
                result = measure(users, mode, Path(folder))
                per_1k = result["cpu_s"] / users * 1000
                base = base or per_1k
                # The cost of the customers added since the previous size: free of the fixed start-up cost.
                step = (result["cpu_s"] - previous[1]) / (users - previous[0]) * 1000 if previous else per_1k
                previous = (users, result["cpu_s"])
                row = {"mode": mode, "users": users, **result, "cpu_s_per_1k": per_1k, "ratio": per_1k / base}
                rows.append({**row, "step_cpu_s_per_1k": step})
                print(
                    f"{mode:<6} {users:>9,} users  wall {result['wall_s']:7.1f} s  cpu {result['cpu_s']:7.1f} s  "
                    f"{per_1k:6.2f} cpu-s per 1k (x{row['ratio']:.2f} of the smallest; {step:.2f} for the added ones)  "
                    f"peak {result['peak_mb']:,.0f} MB",
                    flush=True,
                )
    for mode in modes:
        measured = [row for row in rows if row["mode"] == mode]
        if len(measured) > 1:
            print(_linearity(measured))
    print(json.dumps(rows))


def _linearity(measured: list[dict]) -> str:
    """One line: the CPU seconds and peak memory per 1,000 of the customers added between the two smallest
    sizes, against the same between the two largest (1.0 = linear; above 1 the cost per customer grows)."""
    first, second, last = measured[0], measured[1], measured[-1]
    low = (second["cpu_s"] - first["cpu_s"]) / (second["users"] - first["users"]) * 1000
    high = last["step_cpu_s_per_1k"]
    memory_low = (second["peak_mb"] - first["peak_mb"]) / (second["users"] - first["users"]) * 1000
    memory_high = (last["peak_mb"] - measured[-2]["peak_mb"]) / (last["users"] - measured[-2]["users"]) * 1000
    return (
        f"{first['mode']}: linearity {first['users']:,}->{second['users']:,} {low:.2f} cpu-s per 1k added, "
        f"{measured[-2]['users']:,}->{last['users']:,} {high:.2f} (x{high / low:.2f}); peak memory "
        f"{memory_low:.1f} then {memory_high:.1f} MB per 1k added (x{memory_high / max(memory_low, 1e-9):.2f})"
    )


if __name__ == "__main__":
    main()
