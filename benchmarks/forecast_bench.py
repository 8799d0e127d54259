"""Benchmark: Prophet cohort retention forecasts for the 24 monthly cohorts of the sample shop.

Builds the sample warehouse from ``sample_data/`` in a temporary folder and times
:func:`retention.forecast.cohorts.forecast_cohort_retention` (forecasts, next-cohort
curve and backtest) in one run:

* serial, with Prophet's default 1000 uncertainty samples (the baseline);
* serial, with the 300 samples the 80% interval needs;
* parallel, first call (spawns the worker processes; measured once);
* parallel, again (the workers are kept).

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention import sample, warehouse  # noqa: E402
from retention.cohorts import cohort_table  # noqa: E402
from retention.forecast import cohorts, models  # noqa: E402


def _timed(table, *, workers: int, settings: models.Settings, horizon: int) -> tuple[float, int]:
    fits = []
    start = time.perf_counter()
    cohorts.forecast_cohort_retention(
        table,
        period="month",
        horizon=horizon,
        settings=settings,
        workers=workers,
        progress=lambda done, total: fits.append(total),
    )
    return time.perf_counter() - start, fits[-1] if fits else 0


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

    _timed(table, workers=1, settings=models.Settings(), horizon=1)  # import Prophet before timing anything
    serial_1000 = ("serial, 1000 samples (baseline)", 1, models.Settings(uncertainty_samples=1000))
    serial = (f"serial, {models.UNCERTAINTY_SAMPLES} samples", 1, models.Settings())
    kept = (f"parallel x{args.workers}, workers kept", args.workers, models.Settings())
    first_call = _timed(table, workers=args.workers, settings=models.Settings(), horizon=args.horizon)
    timings: dict[str, list[tuple[float, int]]] = {label: [] for label, _, _ in (serial_1000, serial, kept)}
    for _ in range(args.repeat):  # interleaved, so that a burst of load on the machine hits every run alike
        for label, workers, settings in (serial_1000, serial, kept):
            timings[label].append(_timed(table, workers=workers, settings=settings, horizon=args.horizon))
    rows = [(label, *min(timings[label])) for label in timings]
    rows.insert(2, (f"parallel x{args.workers}, first call (spawns)", *first_call))
    baseline = rows[0][1]
    print(f"{'run (best of repeats)':<40}{'Prophet fits':>13}{'seconds':>10}{'s/cohort':>10}{'speed-up':>10}")
    for label, seconds, fits in rows:
        print(f"{label:<40}{fits:>13}{seconds:>10.2f}{seconds / count:>10.3f}{baseline / seconds:>9.2f}x")
    models.shutdown_pools()


if __name__ == "__main__":
    main()
