"""Derived tables kept up to date whenever canonical data changes.

:func:`refresh` is called inside the transaction of every import and sample
build, after the new rows are in, so that dashboards read small rollups
instead of order lines.

The activity rollup (migration ``002_activity_rollup``) holds one row per
user and period (day, week starting Monday, month) with any order line
(``rollup_order_periods``) or event (``rollup_event_periods``), the moments
that start each user's cohorts (``rollup_users``), the latest timestamp of
the data (``rollup_state``), and pre-counted cohort sizes and cells for the
default view (migration ``006_counted_cohorts``: ``rollup_cohort_sizes``,
``rollup_cohort_cells``; purchases, every grain and cohort definition). Every
warehouse at schema version 6 has them, filled, so reads never check or build.
Migration ``013_page_rollups`` adds what the Overview, the Cohorts page's
lifecycle and options, and the Forecast's activity read: each user's latest
purchase and count of orders (``rollup_users``), order ids shared by users
(``rollup_shared_orders``), purchased items (``rollup_items``), events per
type (``rollup_event_types``) and purchase growth accounting per grain and
period (``rollup_lifecycle``).

Two ways to keep it current, both inside the caller's transaction (a rollback undoes them):

* :func:`refresh` rebuilds everything (a sample build, a rollup that was never built);
* :func:`track_changes` then :func:`refresh_changed`: an import lists in the temp table
  ``rollup_touched`` (column ``user_id``) every user whose orders, events or users rows it
  added, replaced or deleted; only those users' rollup rows are computed again, from all of
  their canonical rows (so a back-dated order still moves a first purchase); the small
  pre-counted cohort tables are recounted from the rollup; the lifecycle and event type
  counts change by those users' share (their counts after less their counts before).
  Importing into a large warehouse then costs mostly in proportion to the users the file
  touches.
"""

from __future__ import annotations

import contextlib

import duckdb
import pandas as pd

from retention import periods, warehouse

GRAINS = periods.PERIODS  # the rollup keeps rows at every period length
TABLES = (
    "rollup_users",
    "rollup_order_periods",
    "rollup_event_periods",
    "rollup_cohort_sizes",
    "rollup_cohort_cells",
    "rollup_shared_orders",
    "rollup_items",
    "rollup_event_types",
    "rollup_lifecycle",
)
"""The rollup's tables of rows (migrations 002, 006 and 013); ``rollup_state`` holds its one row of state."""

# refresh_changed rebuilds the whole rollup instead when at least this share of its users changed.
REBUILD_SHARE = 0.5


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the whole activity rollup from ``orders``, ``events`` and ``users``.

    Call it inside the transaction that changed the canonical tables; it
    starts no transaction of its own.
    """
    try:
        _refresh_scope(con, "rollup_scope_all")
    finally:
        _drop_scope(con)


def track_changes(con: duckdb.DuckDBPyConnection) -> bool:
    """Start listing changed users: an empty temp table ``rollup_touched(user_id VARCHAR)`` on ``con``.

    Insert into it the ``user_id`` of every orders, events or users row that the
    transaction adds or deletes (duplicates are fine), then call :func:`refresh_changed`.

    Returns
    -------
    bool
        False when there is nothing to list: the rollup has never been built (a new
        warehouse), so :func:`refresh_changed` will build it whole. No table is made then.
    """
    if not is_built(con):
        return False
    warehouse.execute(con, "rollup_track_changes")
    return True


def refresh_changed(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the rollup up to date for the users listed in ``rollup_touched`` (see :func:`track_changes`).

    Their rollup rows are deleted and computed again from all their canonical rows; the other
    users' rows are kept. The small pre-counted cohort tables are recounted whole, from the
    rollup (not from order lines). The result equals :func:`refresh`, which runs instead when
    the rollup was never built (no ``rollup_state`` row) or when at least
    :data:`REBUILD_SHARE` of its users changed (a whole rebuild is cheaper then). Call it
    inside the transaction that changed the canonical tables; ``rollup_touched`` is dropped
    when it returns.
    """
    if not is_built(con):
        refresh(con)
        return
    try:
        changed, known = warehouse.execute(con, "rollup_changed_users").fetchone()
        if changed == 0:
            return
        if changed >= REBUILD_SHARE * known:
            refresh(con)  # deleting and recomputing most users' rows costs more than a rebuild
            return
        _refresh_scope(con, "rollup_scope_touched")
    finally:
        _drop_scope(con)


# The parts of rollup_scope_*.sql and rollup_refresh_counts.sql: one user's share of a pre-counted table.
_CONTRIBUTIONS = {"lifecycle": "rollup_lifecycle_contributions", "event_types": "rollup_event_type_contributions"}


def _refresh_scope(con: duckdb.DuckDBPyConnection, scope_sql: str) -> None:
    """Recompute the rollup rows of the users the named ``rollup_scope_*`` SQL selects, then the pre-counted tables."""
    warehouse.execute(con, scope_sql, parts=_CONTRIBUTIONS)
    _compute(con)
    # A whole rebuild has every user's orders at hand; an incremental one reads the lines of its users' order ids.
    pairs = "rollup_shared_pairs_all" if scope_sql == "rollup_scope_all" else "rollup_shared_pairs_touched"
    warehouse.execute(con, "rollup_refresh_counts", parts={**_CONTRIBUTIONS, "shared_pairs": pairs})
    _count_cohorts(con)


def _compute(con: duckdb.DuckDBPyConnection) -> None:
    """Rollup rows of the users in scope (the rollup_scope_* views), every grain, and rollup_state."""
    warehouse.execute(con, "rollup_refresh")
    for grain in GRAINS[1:]:
        warehouse.execute(con, "rollup_refresh_orders_grain", {"grain": grain})
        warehouse.execute(con, "rollup_refresh_events_grain", {"grain": grain})


def _count_cohorts(con: duckdb.DuckDBPyConnection) -> None:
    """Recount the pre-counted cohorts (migration 006) from the rollup rows."""
    warehouse.execute(con, "rollup_refresh_cohorts")


def _drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    # Inside an aborted transaction nothing can run; the rollback drops what the transaction made.
    with contextlib.suppress(duckdb.TransactionException):
        warehouse.execute(con, "rollup_drop_scope")


def is_built(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the rollup has been built (``rollup_state`` has its row), even for an empty warehouse."""
    return bool(warehouse.execute(con, "rollup_is_built").fetchone()[0])


def as_of(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The latest order or event timestamp when the rollup was built (None for an empty warehouse)."""
    row = warehouse.execute(con, "rollup_as_of").fetchone()
    return None if row is None or row[0] is None else pd.Timestamp(row[0])


def span(con: duckdb.DuckDBPyConnection, *, events: bool = False) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The earliest purchase (or, with ``events``, event) timestamp in the rollup and :func:`as_of`, in one read;
    None for each that is missing."""
    row = warehouse.execute(con, "rollup_span", {"events": events}).fetchone()
    return tuple(None if value is None else pd.Timestamp(value) for value in row)
