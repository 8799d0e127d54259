"""Monitoring sections "Data freshness" and "Jobs and refreshes": is new data arriving, and does the work on it run.

Two clocks, kept apart on purpose. The *data clock* is the warehouse's newest order (``orders.ts``): the date every
analysis treats as "today". The *wall clock* is the machine's, the one ``import_batches.imported_at`` is written
with. A shop exported in 2011 and imported this morning is fresh data on an old data clock, so staleness is
measured on the wall clock only:

    a warehouse is **stale** when no import has loaded order lines for more than ``stale_days`` (default 7) days
    of wall clock, counted from the newest import that loaded any (``freshness.days_since_orders_import``).

Imports of other tables, or an orders file whose every line was rejected or already known, do not reset it: the
question is whether the orders feed still arrives. ``days_without_new_orders`` counts, on the same clock, the
days since the import that brought the current newest order: a feed that keeps sending old orders again leaves
it growing while ``days_since_orders_import`` stays small. A warehouse that never had an orders import has no
value (the check is "not yet", never crossed).

The reject check reads the newest import's file (of any table): its rows rejected over rows read. Jobs and
refreshes: the newest refresh runs with what each step did, and the jobs that failed or were interrupted and the
refresh runs that failed in the last ``failure_window_days`` days. ``jobs.failed_recently`` counts the failed
jobs and failed refresh runs there; a refresh from the command line is also a job, which fails with its run, and
counts once. An interrupted job is shown, not counted: a restarted server interrupts jobs that did nothing wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping

import duckdb
import pandas as pd

from retention import warehouse
from retention.monitoring import SECTIONS, Section, check

DEFAULTS: dict[str, float] = {
    "stale_days": 7,
    "reject_rate": 0.05,
    "failed_jobs": 0,
    "failure_window_days": 7,
}
BATCH_LIMIT = 200  # import batches drawn and reported
RUN_LIMIT = 10  # refresh runs reported
FAILURE_LIMIT = 50  # failed jobs and runs listed
# The kind of a refresh's own job (retention.refresh.run.KIND), not imported from there: that loads the models.
REFRESH_JOB_KIND = "refresh"

STALE_WORRY = (
    "No import has loaded new order lines for longer than the gap: the orders feed has stopped, so scores, "
    "campaigns and every chart describe an older shop than you think."
)
REJECT_WORRY = (
    "The last import rejected more than this share of its rows: the file's layout or values changed, and what "
    "was loaded is incomplete."
)
FAILED_WORRY = "A job or refresh run failed recently: its scores, models or imports are missing or old."


def _threshold(thresholds: Mapping[str, float], name: str) -> float:
    return float(thresholds.get(name, DEFAULTS[name]))


def _days(start: pd.Timestamp | None, end: pd.Timestamp | None) -> float | None:
    """Days (fractional) from ``start`` to ``end``; None when either is missing."""
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    return round((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 86400.0, 3)


def json_safe(value: object) -> object:
    """A cell of a frame as JSON: timestamps as ISO text, NaN/NaT as None, numpy scalars as Python ones."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of ``frame`` as JSON-safe dicts."""
    return [{column: json_safe(value) for column, value in row.items()} for row in frame.to_dict("records")]


def table_freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The newest data per canonical table.

    Returns
    -------
    One row per table (orders, events, ratings, users, products): ``table_name``, ``rows`` (int),
    ``newest_ts`` (the newest row's own timestamp; NaT for users and products and for empty tables),
    ``newest_batch`` (the newest import batch that left rows there) and ``newest_import`` (that batch's
    wall-clock import time).
    """
    return warehouse.query(con, "monitor_freshness_tables")


def import_batches(con: duckdb.DuckDBPyConnection, limit: int = BATCH_LIMIT) -> pd.DataFrame:
    """The newest ``limit`` import batches, oldest first.

    Returns
    -------
    ``batch_id``, ``table_name``, ``source_name``, ``imported_at`` (wall clock), ``rows_read``, ``rows_loaded``,
    ``rows_rejected`` (ints), ``reject_rate`` (float in [0, 1], NaN for a file without rows) and ``top_reason``
    (the most common reason among the batch's logged rejects, None without rejects).
    """
    return warehouse.query(con, "monitor_freshness_batches", {"limit": limit})


def clocks(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> dict[str, float | str | None]:
    """The warehouse's clocks and the gaps between them (see the module docstring).

    Returns
    -------
    ``now``, ``last_import``, ``last_orders_import``, ``newest_order`` (the data clock) and
    ``newest_order_imported`` as ISO text (None when missing); ``days_since_last_import``,
    ``days_since_orders_import`` and ``days_without_new_orders`` as fractional days of wall clock (None when
    missing).
    """
    row = warehouse.query(con, "monitor_freshness_clock", {"now": now}).iloc[0]
    return {
        **{name: json_safe(row[name]) for name in row.index},
        "days_since_last_import": _days(row["last_import"], row["now"]),
        "days_since_orders_import": _days(row["last_orders_import"], row["now"]),
        "days_without_new_orders": _days(row["newest_order_imported"], row["now"]),
    }


def days_since_orders_import(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> float | None:
    """Days of wall clock since the newest import that loaded order lines (None when none did): the stale
    check's value, read from ``import_batches`` alone so that every page's sidebar can afford it."""
    days = warehouse.execute(con, "monitor_freshness_orders_import", {"now": now}).fetchone()[0]
    return None if days is None else round(float(days), 3)


def last_import_reject_rate(batches: pd.DataFrame) -> float | None:
    """The reject rate (in [0, 1]) of the newest import's file: of the batches with the newest ``imported_at``
    (one import writes its batches in one transaction, at one time), the first, the file's own table; the
    users or products an orders file fills come after it, from rows that already passed its checks. None
    without imports or for a file without rows."""
    if batches.empty:
        return None
    newest = batches[batches["imported_at"] == batches["imported_at"].max()]
    return json_safe(newest.sort_values("batch_id")["reject_rate"].iloc[0])


def is_stale(days: float | None, stale_days: float = DEFAULTS["stale_days"]) -> bool:
    """Whether ``days`` since the last orders import is past the gap (never when unknown)."""
    return check("freshness.days_since_orders_import", days, stale_days, STALE_WORRY).crossed


def freshness_section(
    con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float], now: dt.datetime | None = None
) -> Section:
    """Section ``freshness``: newest data per table, import batches over time, the clocks, and two checks.

    Numbers: ``tables`` (:func:`table_freshness` rows), ``batches`` (:func:`import_batches` rows), the
    :func:`clocks`, and ``last_import_reject_rate`` (:func:`last_import_reject_rate`). Checks:
    ``freshness.days_since_orders_import`` (above ``stale_days``) and ``freshness.reject_rate`` (the last
    import's, above ``reject_rate``).
    """
    batches = import_batches(con)
    times = clocks(con, now)
    last_rate = last_import_reject_rate(batches)
    checks = (
        check(
            "freshness.days_since_orders_import",
            times["days_since_orders_import"],
            _threshold(thresholds, "stale_days"),
            STALE_WORRY,
        ),
        check("freshness.reject_rate", last_rate, _threshold(thresholds, "reject_rate"), REJECT_WORRY),
    )
    numbers = {
        **times,
        "last_import_reject_rate": last_rate,
        "tables": records(table_freshness(con)),
        "batches": records(batches),
    }
    return Section("freshness", "Data freshness", numbers, checks)


def _steps_done(steps: str | None) -> str:
    """A run's steps in words: ``"import ok: 2 files imported; model skipped: ..."``."""
    parsed = json.loads(steps or "[]")
    return "; ".join(f"{s.get('step')} {s.get('status')}: {s.get('outcome', '')}".rstrip(": ") for s in parsed)


def refresh_runs(con: duckdb.DuckDBPyConnection, limit: int = RUN_LIMIT) -> pd.DataFrame:
    """The newest ``limit`` refresh runs, newest first.

    Returns
    -------
    ``run_id``, ``started_at``, ``finished_at`` (NaT while running or when the process died), ``status``
    ('running', 'ok' or 'failed'), ``seconds`` (float, NaN without a finish) and ``steps`` (what each step did,
    in words).
    """
    runs = warehouse.query(con, "refresh_recent_runs", {"limit": limit})
    return pd.DataFrame(
        {
            "run_id": runs["run_id"],
            "started_at": runs["started_at"],
            "finished_at": runs["finished_at"],
            "status": runs["status"],
            "seconds": (runs["finished_at"] - runs["started_at"]).dt.total_seconds(),
            "steps": runs["steps"].map(_steps_done),
        }
    )


def failures(
    con: duckdb.DuckDBPyConnection, days: int, now: dt.datetime | None = None, limit: int = FAILURE_LIMIT
) -> pd.DataFrame:
    """Jobs that failed or were interrupted, and refresh runs that failed, in the last ``days`` days of wall
    clock, newest first.

    Returns
    -------
    ``what`` ('job' or 'refresh'), ``id``, ``kind``, ``started_by``, ``started_at``, ``ended_at``, ``status``
    ('failed' or 'interrupted') and ``error`` (the job's sentence, or the run's failed steps). A failed refresh
    is listed once, as its run (its job, which failed with it, is left out).
    """
    params = {"days": days, "now": now, "limit": limit, "refresh_kind": REFRESH_JOB_KIND}
    return warehouse.query(con, "monitor_jobs_failures", params)


def failure_counts(con: duckdb.DuckDBPyConnection, days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """``failed_jobs`` (other than a failed refresh's own job), ``interrupted_jobs`` and ``failed_refreshes`` in
    the last ``days`` days of wall clock."""
    params = {"days": days, "now": now, "refresh_kind": REFRESH_JOB_KIND}
    row = warehouse.query(con, "monitor_jobs_failure_counts", params).iloc[0]
    return {name: int(row[name]) for name in row.index}


def jobs_section(
    con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float], now: dt.datetime | None = None
) -> Section:
    """Section ``jobs``: the newest refresh runs, recent failures, and the check ``jobs.failed_recently``
    (failed jobs plus failed refresh runs in the window, above ``failed_jobs``).

    Numbers: ``window_days``, ``refresh_runs`` (:func:`refresh_runs` rows), ``failures`` (:func:`failures`
    rows) and the :func:`failure_counts`.
    """
    window = int(_threshold(thresholds, "failure_window_days"))
    counts = failure_counts(con, window, now)
    failed = counts["failed_jobs"] + counts["failed_refreshes"]
    numbers = {
        "window_days": window,
        **counts,
        "refresh_runs": records(refresh_runs(con)),
        "failures": records(failures(con, window, now)),
    }
    worry = f"{FAILED_WORRY} (window: the last {window} days)"
    checks = (check("jobs.failed_recently", failed, _threshold(thresholds, "failed_jobs"), worry),)
    return Section("jobs", "Jobs and refreshes", numbers, checks)


SECTIONS.add("freshness", freshness_section)
SECTIONS.add("jobs", jobs_section)
