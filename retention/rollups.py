"""Derived tables kept up to date whenever canonical data changes.

:func:`refresh` is called inside the transaction of every import and sample
build, after the new rows are in, so that dashboards read small rollups
instead of order lines.

The activity rollup (migration ``002_activity_rollup``) holds one row per
user and period (day, week starting Monday, month) with any order line
(``rollup_order_periods``) or event (``rollup_event_periods``), the moments
that start each user's cohorts (``rollup_users``), the latest timestamp of
the data (``rollup_state``), and pre-counted cohort sizes and cells for the
default view (``rollup_cohort_sizes``, ``rollup_cohort_cells``: purchases,
every grain and cohort definition). It is rebuilt as a whole: an import may add,
replace or back-date rows, and a user's first purchase can move with it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from retention import schema, warehouse
from retention.errors import DataError

GRAINS = ("day", "week", "month")


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the activity rollup from ``orders``, ``events`` and ``users``.

    Call it inside the transaction that changed the canonical tables; it
    starts no transaction of its own.
    """
    warehouse.execute(con, "rollup_refresh")
    for grain in GRAINS[1:]:
        warehouse.execute(con, "rollup_refresh_orders_grain", {"grain": grain})
        warehouse.execute(con, "rollup_refresh_events_grain", {"grain": grain})
    if has_counted_cohorts(con):
        warehouse.execute(con, "rollup_refresh_cohorts")


COUNTED_COHORT_TABLES = ("rollup_cohort_sizes", "rollup_cohort_cells")


def has_counted_cohorts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the pre-counted cohort tables (a file migrated early to version 2 may not)."""
    return all(warehouse.table_columns(con, table) for table in COUNTED_COHORT_TABLES)


def as_of(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The latest order or event timestamp when the rollup was built (None for an empty warehouse)."""
    row = con.execute("SELECT max(as_of) FROM rollup_state").fetchone()
    return None if row is None or row[0] is None else pd.Timestamp(row[0])


def ensure_built(con: duckdb.DuckDBPyConnection) -> None:
    """Build the rollup once for a warehouse that holds data from before the rollup existed.

    A warehouse migrated to schema version 2 has empty rollup tables until its
    next import; this fills them in a transaction of their own.

    Raises
    ------
    DataError
        The rollup is missing and the connection is read-only.
    """
    if con.execute("SELECT EXISTS (SELECT 1 FROM rollup_state)").fetchone()[0]:
        return
    if not (warehouse.has_rows(con, schema.ORDERS) or warehouse.has_rows(con, schema.EVENTS)):
        return
    try:
        with warehouse.transaction(con):
            refresh(con)
    except duckdb.Error as exc:
        raise DataError(
            f"the activity rollup has not been built yet and cannot be built now ({exc}); "
            "open the warehouse writable once, e.g. with `python -m retention info`"
        ) from exc
