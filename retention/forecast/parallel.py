"""Running many Prophet fits, serially or on an executor the caller passes in.

Cohort forecasts fit one Prophet model per cohort, per period of the next cohort
and per backtest origin: dozens of independent fits that processes run side by
side. As Prophet's own ``cross_validation(parallel=...)`` does, the executor is
the caller's: :func:`run_jobs` runs serially without one, and the caller who
wants processes creates a pool with :func:`process_pool`, passes it to as many
calls as it likes (starting workers costs seconds) and shuts it down.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager

import pandas as pd

from retention.forecast.models import ProphetJob, fit_prophet, quiet_prophet

PARALLEL_MIN_JOBS = 6
"""Fewer Prophet fits than this run in the calling process even when an executor is given: shipping
the jobs to workers and back costs more than it saves."""


def run_jobs(
    jobs: Sequence[ProphetJob],
    *,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Fit every job with :func:`retention.forecast.models.fit_prophet`; results in the order of ``jobs``.

    Parameters
    ----------
    jobs
        Prophet fits, as :func:`retention.forecast.models.plan` returns them.
    executor
        Where the fits run: None for this process, one after the other; an executor (usually
        :func:`process_pool`) for side by side. The executor is left running.
    progress
        Called as ``progress(done, total)`` after each fit.

    Returns
    -------
    list of DataFrame
        One :func:`~retention.forecast.models.fit_prophet` result per job.
    """
    total = len(jobs)
    results: list[pd.DataFrame | None] = [None] * total
    if executor is None or total < PARALLEL_MIN_JOBS:
        for index, job in enumerate(jobs):
            results[index] = fit_prophet(job)
            if progress:
                progress(index + 1, total)
        return results
    pending = {executor.submit(fit_prophet, job): index for index, job in enumerate(jobs)}
    for done, future in enumerate(as_completed(pending), start=1):
        results[pending[future]] = future.result()
        if progress:
            progress(done, total)
    return results


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` worker processes (None: one per CPU core), started and with Prophet imported.

    Workers are spawned, not forked: forking a process that runs threads (Streamlit, DuckDB) can
    deadlock. The caller owns the pool: ``with process_pool(4) as pool: ...``, or keep it for later
    calls and ``shutdown()`` it when done (its workers also stop when this process exits).
    """
    count = max(1, workers if workers is not None else os.cpu_count() or 1)
    pool = ProcessPoolExecutor(
        max_workers=count, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_prophet
    )
    with _neutral_main():
        # One task per worker makes the pool start every process now, while __main__ is neutral.
        warm = [pool.submit(_warm_up) for _ in range(count)]
    for future in warm:
        future.result()
    return pool


def _warm_up() -> None:
    """Import Prophet in a fresh worker so that its first fit does not pay for it."""
    import prophet  # noqa: F401


@contextmanager
def _neutral_main() -> Iterator[None]:
    """Hide ``__main__`` while worker processes are spawned.

    A spawned worker re-runs the parent's ``__main__`` file. Under Streamlit that file is the
    page script itself, which must not run in a worker; a bare module gives the worker nothing to run.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def usable(pool: ProcessPoolExecutor) -> bool:
    """Whether ``pool`` still takes jobs: not shut down, and no worker died (a dead worker breaks the pool)."""
    return not getattr(pool, "_broken", False) and not getattr(pool, "_shutdown_thread", False)
