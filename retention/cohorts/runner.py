"""Running a :class:`~retention.cohorts.query.CohortQuery` on the warehouse: cohort tables, cell users, lifecycle.

Everything here reads the activity rollup kept by :mod:`retention.rollups`
(but :func:`cohort_table_raw`, which exists to check and measure it, and the
breakdown :data:`RFM_BREAKDOWN`, which scores the order lines with
:mod:`retention.rfm`), through the named SQL files ``retention/sql/cohort_*.sql``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from retention import periods, rfm, rollups, schema, warehouse
from retention.cohorts.query import (
    BASE_ACTIVITIES,
    MISSING_SEGMENT,
    MODES,
    OTHER_SEGMENT,
    CohortQuery,
    as_day,
    bracket_label,
)
from retention.cohorts.result import CohortTable
from retention.errors import DataError

RAW_MASK_BITS = 64
MAX_CELLS = 2_000_000
"""The most cells (cohort x period) a cohort table holds: a day table of five years of daily cohorts. The span of
periods is bounded too, by :data:`retention.periods.MAX_PERIODS`."""
DEFAULT_COHORTS_SHOWN = {"day": 60, "week": 52, "month": None}
# The users of a cell to list: lost ones, retained ones, or all (the ``retained`` argument of cell_users).
SHOW_USERS: dict[str, bool | None] = {"lost": False, "retained": True, "all": None}

RFM_BREAKDOWN = "rfm_segment"
"""The breakdown by each customer's RFM segment (:mod:`retention.rfm`) at the newest order's day; users who never
bought are ``"(missing)"``. Offered beside the users columns whenever the warehouse holds orders. The segments are
known only at the end, so a segment's later periods partly restate its definition (Lost customers stopped buying);
its early periods show how the customers who became each segment started."""

_RAW_COLUMNS = ["cohort", "segment", "period", "cohort_users", "active_users", "revenue", "complete"]


def event_types(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The event types in the warehouse, most frequent first (empty when there are no events)."""
    return warehouse.query(con, "cohort_event_types")["event_type"].tolist()


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and latest timestamps of orders and events together; ``(None, None)`` without either."""
    first, last = warehouse.execute(con, "cohort_data_range").fetchone()
    return (None if first is None else pd.Timestamp(first), None if last is None else pd.Timestamp(last))


def breakdown_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a cohort table can be broken down by: the users columns (no identifiers, timestamps or emails), then
    :data:`RFM_BREAKDOWN` when the warehouse holds orders."""
    columns = warehouse.table_columns(con, schema.USERS)
    rfm_segment = [RFM_BREAKDOWN] if warehouse.has_rows(con, schema.ORDERS) else []
    return [
        name
        for name, kind in columns.items()
        if name not in schema.NON_BREAKDOWN_USER_COLUMNS and kind.upper() in ("VARCHAR", "BOOLEAN")
    ] + rfm_segment


def _segment_parts(query: CohortQuery) -> dict[str, str]:
    """The SQL part that gives each user's segment: a users column, or the RFM segment."""
    if query.breakdown == RFM_BREAKDOWN:
        return {"segments": "cohort_segment_rfm", **rfm.PART}
    return {"segments": "cohort_segment_column"}


def breakdown_gaps(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The breakdown columns of the users table that no user fills, each with the reason, as a sentence.

    Breaking down by such a column would give one ``"(missing)"`` segment: the
    page marks them and :func:`cohort_table` refuses them.
    """
    users_columns = warehouse.table_columns(con, schema.USERS)
    gaps = {}
    for column in (name for name in breakdown_columns(con) if name in users_columns):
        users, filled = warehouse.execute(con, "cohort_breakdown_filled", {"breakdown": column}).fetchone()
        if not filled:
            held = "the warehouse holds no users" if not users else f"none of the {users:,} users has a {column}"
            gaps[column] = (
                f"cannot break down by {column}: {held}; import users (or orders) with a {column} column on the "
                "Data page"
            )
    return gaps


def _as_query(query: CohortQuery | None, settings: dict[str, object]) -> CohortQuery:
    """``query``, or the query that keyword settings describe (``cohort_table(con, period="week")``)."""
    if query is None:
        return CohortQuery(**settings)
    if settings:
        raise TypeError(f"give a CohortQuery or settings, not both (got {', '.join(settings)})")
    return query


def _activity_params(con: duckdb.DuckDBPyConnection, activity: str, cohort_by: str) -> dict[str, object]:
    """Check the activity and cohort definition against the data; return the SQL parameters."""
    needs_events = activity != "purchase" or cohort_by == "first_event"
    if needs_events and not warehouse.has_rows(con, schema.EVENTS):
        raise DataError("the warehouse has no events: cohort by first purchase or signup and count purchases")
    if activity in BASE_ACTIVITIES:
        return {"activity": activity, "event_type": None}
    if activity not in event_types(con):
        raise DataError(f"no events of type {activity!r}; the warehouse has: {', '.join(event_types(con))}")
    return {"activity": "event", "event_type": activity}


def _breakdown_params(con: duckdb.DuckDBPyConnection, query: CohortQuery) -> dict[str, object]:
    """Check the breakdown column against the data; return the SQL parameters with the segments kept."""
    labels = {"other_segment": OTHER_SEGMENT, "missing_segment": MISSING_SEGMENT, **rfm.params()}
    if query.breakdown is None:
        return {"breakdown": schema.COL_USER, "has_breakdown": False, "kept": [], **labels}
    allowed = breakdown_columns(con)
    if query.breakdown not in allowed:
        raise DataError(f"cannot break down by {query.breakdown!r}; choose one of: {', '.join(allowed) or 'none'}")
    gaps = breakdown_gaps(con)
    if query.breakdown in gaps:
        raise DataError(gaps[query.breakdown])
    column = schema.COL_USER if query.breakdown == RFM_BREAKDOWN else query.breakdown
    ranked = warehouse.query(
        con,
        "cohort_segments",
        {**query.range_params, **labels, "breakdown": column},
        parts=_segment_parts(query),
    )
    kept = ranked["segment"].head(query.top_segments).tolist()
    return {"breakdown": column, "has_breakdown": True, "kept": kept, **labels}


def _params(con: duckdb.DuckDBPyConnection, query: CohortQuery) -> dict[str, object]:
    """The SQL parameters of ``query`` (see the header of ``cohort_table.sql``), checked against the data."""
    return {
        **query.range_params,
        "mode": query.mode,
        "lo": [first for first, _ in query.day_brackets],
        "hi": [last for _, last in query.day_brackets],
        "with_revenue": query.measure == "revenue",
        **_activity_params(con, query.activity, query.cohort_by),
        **_breakdown_params(con, query),
    }


def cohort_table(con: duckdb.DuckDBPyConnection, query: CohortQuery | None = None, /, **settings) -> CohortTable:
    """Retention of each cohort, one row per cohort (and segment) and period.

    Parameters
    ----------
    con
        A connection (or cursor) on the warehouse.
    query
        What to count (see :class:`CohortQuery`); or leave it out and give its
        fields as keywords: ``cohort_table(con, period="week")``.

    Returns
    -------
    CohortTable
        Its ``frame`` lists the cells from period 0 up to the period holding
        the latest timestamp (brackets: up to the last bracket any cohort user
        can have reached), with zeros where nobody was active; columns as
        :class:`CohortTable` describes. Empty (with those columns) when no
        cohort falls in the range. The default view (n-day purchases, no
        breakdown) reads the pre-counted cohorts; every other view counts the
        user-period rows.

    Raises
    ------
    DataError
        A query that does not check (see :class:`CohortQuery`), a missing event
        type, events asked of a warehouse without events, a breakdown column
        that is not allowed.
    """
    query = _as_query(query, settings)
    params = _params(con, query)
    as_of, cohorts, first, cells = warehouse.execute(
        con, "cohort_grid_size", query.range_params, parts={"as_of": "rollup_as_of", "sizes": "cohort_sizes_counted"}
    ).fetchone()
    if as_of is None:
        return CohortTable(_shape(pd.DataFrame(columns=_RAW_COLUMNS), query), query, None)
    as_of = pd.Timestamp(as_of)
    if not query.day_brackets and cohorts:
        _check_grid(query, as_of, cohorts, first, cells)
    sizes, grouped = (
        ("cohort_sizes_counted", "cohort_mode_counted")
        if query.reads_counted
        else ("cohort_sizes_members", MODES[query.mode].sql_name)
    )
    # A query per mode (its own SQL in the "mode" part) keeps DuckDB from planning every mode's branches.
    parts = {"sizes": sizes, "mode": grouped, **_segment_parts(query)}
    raw = warehouse.query(con, "cohort_table", {**params, "as_of": as_of}, parts=parts)
    return CohortTable(_shape(raw, query), query, as_of)


def _check_grid(query: CohortQuery, as_of: pd.Timestamp, cohorts: int, first: object, cells: int) -> None:
    """Refuse, before it is built, a table whose periods or cells pass the limits (an implausible timestamp, a
    range too long for the period); the grid holds every period from each cohort's own to the latest one."""
    advice = f"choose a later first cohort or a longer period than a {query.period}; {periods.FIX_DATES}"
    periods.span(
        first,
        as_of,
        query.period,
        what="the cohort table, from its first cohort to the latest timestamp in the data,",
        advice=advice,
    )
    if cells > MAX_CELLS:
        raise DataError(
            f"the cohort table would hold {cells:,} cells ({cohorts:,} {query.period} cohorts from "
            f"{first.isoformat()}, each up to {as_of.date().isoformat()}), more than the limit of {MAX_CELLS:,}; "
            f"{advice}"
        )


def cohort_table_raw(con: duckdb.DuckDBPyConnection, *, period: str = "month") -> CohortTable:
    """The default :func:`cohort_table` (first purchase, purchases, n-day) computed from the order lines.

    Slower than :func:`cohort_table`, which reads the activity rollup; kept
    to verify the rollup and to measure what it saves. Same frame as
    ``cohort_table(con, period=period)``. When the orders span at most 64
    periods, each customer's active periods are gathered as a bit mask in
    one pass over the lines.
    """
    query = CohortQuery(period=period)
    first, last = warehouse.data_range(con)
    if first is not None:
        periods.span(first, data_range(con)[1], period, what="the cohort table", advice="choose a longer period")
    spans = first is not None and periods.between(first, last, period) < RAW_MASK_BITS
    raw = warehouse.query(con, "cohort_raw", {"grain": period, "bitmask": bool(spans)})
    return CohortTable(_shape(raw, query), query, data_range(con)[1])


def _shape(raw: pd.DataFrame, query: CohortQuery) -> pd.DataFrame:
    """Types, the retention rate and the optional columns of a cohort table's frame."""
    table = pd.DataFrame(
        {
            "cohort": pd.to_datetime(raw["cohort"]),
            "segment": raw["segment"].astype("string"),
            "period": raw["period"].astype("int64"),
            "cohort_users": raw["cohort_users"].astype("int64"),
            "active_users": raw["active_users"].astype("int64"),
        }
    )
    table["retention"] = (table["active_users"] / table["cohort_users"]).astype("float64")
    if query.measure == "revenue":
        table["revenue"] = raw["revenue"].astype("float64")
        table["value"] = table["revenue"] / table["cohort_users"]
    table["complete"] = raw["complete"].astype("bool")
    if query.day_brackets:
        labels = [bracket_label(first, last) for first, last in query.day_brackets]
        table.insert(3, "bracket", table["period"].map(dict(enumerate(labels))).astype("string"))
    if query.breakdown is None:
        table = table.drop(columns="segment")
    return table.reset_index(drop=True)


def lifecycle(con: duckdb.DuckDBPyConnection, *, period: str = "month", activity: str = "purchase") -> pd.DataFrame:
    """Growth accounting: how each period's active users split by their history.

    Returns
    -------
    pandas.DataFrame
        One row per period from the first activity to the period holding the
        latest timestamp: ``period_start`` (datetime64, first day of the
        period); ``new`` (active for the first time), ``returning`` (active in
        this and the previous period), ``resurrecting`` (active now, not in the
        previous period, but at some time before) as counts >= 0; ``dormant``
        (active in the previous period but not in this one) as a count <= 0,
        negative by the usual chart convention so that it stacks below zero;
        ``complete`` (bool: the period is fully observed, by the rule of
        :func:`retention.periods.complete`; in a period still in progress
        the counts are provisional, dormant ones above all, and a first
        period the data starts in is partial).
        Only periods with a count are listed: a bar chart shows a missing
        period as zero, and an implausible date must not make it enumerate
        ten thousand years of days.
        Active users of a period are ``new + returning + resurrecting``.
        Empty when there is no activity.
    """
    periods.check(period)
    first, as_of = rollups.span(con, events=activity != "purchase")
    params = {"grain": period, "as_of": as_of, **_activity_params(con, activity, "first_purchase")}
    counted = activity == "purchase"  # pre-counted (migration 013); other activities count the rollup rows
    table = warehouse.query(con, "cohort_lifecycle_counted" if counted else "cohort_lifecycle", params)
    starts = pd.to_datetime(table["period_start"])
    return pd.DataFrame(
        {
            "period_start": starts,
            **{column: table[column].astype("int64") for column in ("new", "returning", "resurrecting", "dormant")},
            "complete": periods.complete(starts, period, first, as_of) if len(table) else starts.isna(),
        }
    )


def cell_users(
    con: duckdb.DuckDBPyConnection,
    query: CohortQuery | None = None,
    /,
    *,
    cohort: object,
    period_index: int,
    segment: str | None = None,
    retained: bool | None = None,
    include_email: bool = False,
    **settings,
) -> pd.DataFrame:
    """The users behind one cell of :func:`cohort_table`, retained or lost.

    The cell is ``cohort`` (the cohort's period start), ``period_index`` (the
    cell's ``period``) and, with a breakdown, its ``segment``, in the table of
    ``query`` (or of the query that keyword ``settings`` describe; its
    ``measure`` does not apply). ``retained=True`` keeps the retained users,
    ``False`` the lost ones, None all. Emails are added only when
    ``include_email`` is true.

    Returns
    -------
    pandas.DataFrame
        One row per user of the cohort (and segment): ``user_id``; ``segment``
        (with a breakdown); ``start_ts`` (timestamp the user started, by the
        cohort definition); ``retained`` (bool: counted active in this cell);
        ``active_periods`` (int: periods, or days in brackets mode, with the
        return activity since the start, the start included); ``last_active``
        (datetime64: start of the latest such period, NaT if none);
        ``last_purchase`` (datetime64: time of the last purchase, NaT if
        none); ``revenue`` (net order revenue since the start day, shop currency);
        ``email`` when asked. Retained users first, then by revenue. With
        ``retained=None``, ``len()`` is the cell's ``cohort_users`` and
        ``retained.sum()`` its ``active_users``.
    """
    query = _as_query(query, settings)
    params = _params(con, query)
    index = int(period_index)
    if not 0 <= index < periods.MAX_PERIODS or (query.day_brackets and index >= len(query.day_brackets)):
        raise DataError(f"there is no period {index} in this cohort table")
    if query.breakdown is not None and segment is None:
        raise DataError(f"choose a {query.breakdown} segment for the cell")
    lo, hi = query.day_brackets[index] if query.day_brackets else (0, 0)
    cell = {"cohort": as_day(cohort), "period": index, "segment": segment, "lo": lo, "hi": hi}
    users = warehouse.query(con, "cohort_cell_users", {**params, **cell}, parts=_segment_parts(query))
    table = pd.DataFrame(
        {
            "user_id": users["user_id"].astype("string"),
            "segment": users["segment"].astype("string"),
            "start_ts": pd.to_datetime(users["start_ts"]),
            "retained": users["retained"].astype("bool"),
            "active_periods": users["active_periods"].astype("int64"),
            "last_active": pd.to_datetime(users["last_active"]),
            "last_purchase": pd.to_datetime(users["last_purchase"]),
            "revenue": users["revenue"].astype("float64"),
        }
    )
    if query.breakdown is None:
        table = table.drop(columns="segment")
    if retained is not None:
        table = table[table["retained"] == retained].reset_index(drop=True)
    if include_email:
        emails = warehouse.query(con, "churn_emails", {"user_ids": table["user_id"].tolist()})
        table = table.merge(emails.astype({"user_id": "string"}), on="user_id", how="left")
    return table


def default_cohort_range(
    first: pd.Timestamp | None, last: pd.Timestamp | None, period: str
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The cohort range a view starts with: every month, the last 52 weeks, or the last 60 days of the data.

    ``first`` and ``last`` are the data's first and latest timestamps; returns
    ``(start, end)`` as day timestamps, ``start`` at the beginning of its
    period (Monday, first of the month); ``(None, None)`` when there is no data.
    """
    periods.check(period)
    if first is None or last is None:
        return None, None
    start, end = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    shown = DEFAULT_COHORTS_SHOWN[period]
    if shown is not None:
        start = max(start, end - pd.Timedelta(days=shown * (7 if period == "week" else 1) - 1))
    return periods.start(start, period), end
