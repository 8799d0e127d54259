"""Benchmark: Prophet cohort retention forecasts for the 24 monthly cohorts of the sample shop.

Builds the sample warehouse from ``sample_data/`` in a temporary folder and times
:func:`retention.forecast.cohorts.forecast_cohort_retention` (forecasts, next-cohort
curve and backtest) in one run:

* serial, with Prophet's default 1000 uncertainty samples (the baseline);
* serial, with the 300 samples the 80% interval needs;
* parallel, first call (starts a pool of worker processes and fits; measured once);
* parallel, again (the same pool, passed in again: the workers are kept).

The repeated runs are interleaved and the fastest of each counts.

Prints seconds per cohort and each run's speed-up over the baseline. The machine may be
shared, so only the ratios within one run mean anything.

Run: ``python benchmarks/forecast_bench.py [--workers N] [--horizon 6] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import Executor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention import sample, warehouse  # noqa: E402
from retention.cohorts import cohort_table  # noqa: E402
from retention.forecast import cohorts, models, parallel  # noqa: E402


def _timed(table, *, pool: Executor | None, settings: models.Settings, horizon: int) -> tuple[float, int]:
    fits = []
    start = time.perf_counter()
    cohorts.forecast_cohort_retention(
        table,
        period="month",
        horizon=horizon,
        settings=settings,
        executor=pool,
        progress=lambda done, total: fits.append(total),
    )
    return time.perf_counter() - start, fits[-1] if fits else 0


def _first_call(table, *, workers: int, settings: models.Settings, horizon: int) -> tuple[float, int, Executor]:
    """A fit that starts its own pool, timed with the start; the pool is kept for the later runs."""
    start = time.perf_counter()
    pool = parallel.process_pool(workers)
    _, fits = _timed(table, pool=pool, settings=settings, horizon=horizon)
    return time.perf_counter() - start, fits, pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--horizon", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="repeats per run; the fastest counts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = sample.build_warehouse(Path(folder) / "bench.duckdb")
        con = warehouse.connect(path)
        try:
            table = cohort_table(con, period="month")
        finally:
            con.close()
    count = table["cohort"].nunique()
    print(f"{count} monthly cohorts, horizon {args.horizon} months, {args.workers} workers, {os.cpu_count()} CPUs")

    _timed(table, pool=None, settings=models.Settings(), horizon=1)  # import Prophet before timing anything
    *first_call, pool = _first_call(table, workers=args.workers, settings=models.Settings(), horizon=args.horizon)
    serial_1000 = ("serial, 1000 samples (baseline)", None, models.Settings(uncertainty_samples=1000))
    serial = (f"serial, {models.UNCERTAINTY_SAMPLES} samples", None, models.Settings())
    kept = (f"parallel x{args.workers}, workers kept", pool, models.Settings())
    timings: dict[str, list[tuple[float, int]]] = {label: [] for label, _, _ in (serial_1000, serial, kept)}
    with pool:
        for _ in range(args.repeat):  # interleaved, so that a burst of load on the machine hits every run alike
            for label, executor, settings in (serial_1000, serial, kept):
                timings[label].append(_timed(table, pool=executor, settings=settings, horizon=args.horizon))
    rows = [(label, *min(timings[label])) for label in timings]
    rows.insert(2, (f"parallel x{args.workers}, first call (starts the pool)", *first_call))
    baseline = rows[0][1]
    print(f"{'run (best of repeats)':<48}{'Prophet fits':>13}{'seconds':>10}{'s/cohort':>10}{'speed-up':>10}")
    for label, seconds, fits in rows:
        print(f"{label:<48}{fits:>13}{seconds:>10.2f}{seconds / count:>10.3f}{baseline / seconds:>9.2f}x")


if __name__ == "__main__":
    main()
