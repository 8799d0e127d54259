"""Cohort retention: who comes back, period after period.

A *cohort* is the set of users whose starting moment (first purchase, first
event or signup) falls in the same period (day, week starting Monday, or
month). A cohort user is *active* in a period when they did the return
activity in it: a purchase (an order line with quantity > 0), any event, or
one event type. Everything here reads the activity rollup kept by
:mod:`retention.rollups`, never the order lines (but
:func:`cohort_table_raw`, which exists to check and measure the rollup):
the default view (purchases, n-day, no breakdown) reads its pre-counted
cohorts, every other view counts its user-period rows.

Retention modes (a registry, :data:`MODES`):

``n-day``
    Period ``n`` counts the users active in the ``n``-th period after their
    cohort's own period (``n = 0``).
``unbounded``
    Period ``n`` counts the users active in period ``n`` *or later*.
``brackets``
    Custom day brackets such as days 1-7, 8-30, 31-90, counted from each
    user's own start day; period 0 is the start day itself, period ``k`` the
    ``k``-th bracket.

A cell is ``complete`` when its whole time span lies before the latest
timestamp in the data; an incomplete cell is still filling up and must not be
read as a drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import rollups, schema, warehouse
from retention.errors import DataError

PERIODS = ("day", "week", "month")
COHORT_BY = ("first_purchase", "first_event", "signup")
MEASURES = ("retention", "revenue")
BASE_ACTIVITIES = ("purchase", "any")
DEFAULT_BRACKETS: tuple[tuple[int, int], ...] = ((1, 7), (8, 30), (31, 90))
TOP_SEGMENTS = 20
OTHER_SEGMENT = "other"
MISSING_SEGMENT = "(missing)"


@dataclass(frozen=True)
class Mode:
    """A retention mode: its name, a one-line definition for the UI, and whether it uses day brackets.

    Its counting lives in ``retention/sql/cohort_mode_<name>.sql`` (dashes as
    underscores), the ``grouped`` part of ``cohort_table.sql``.
    """

    name: str
    description: str
    uses_brackets: bool = False

    @property
    def sql_name(self) -> str:
        return "cohort_mode_" + self.name.replace("-", "_")


MODES: dict[str, Mode] = {}  # in registration order; the first is the default


def register_mode(name: str, description: str, *, uses_brackets: bool = False) -> Callable:
    """Decorator: register a retention mode; the decorated function validates its settings."""

    def decorate(check: Callable) -> Callable:
        MODES[name] = Mode(name, description, uses_brackets)
        _MODE_CHECKS[name] = check
        return check

    return decorate


_MODE_CHECKS: dict[str, Callable] = {}


# Decorators apply bottom-up: n-day registers first, so it is the first (default) mode.
@register_mode("unbounded", "active in period N or later")
@register_mode("n-day", "active in period N")
def _no_brackets(brackets: Sequence[tuple[int, int]] | None) -> list[tuple[int, int]]:
    return []


@register_mode("brackets", "active in a bracket of days after the user's start", uses_brackets=True)
def _check_brackets(brackets: Sequence[tuple[int, int]] | None) -> list[tuple[int, int]]:
    return [(0, 0), *validate_brackets(DEFAULT_BRACKETS if brackets is None else brackets)]


def validate_brackets(brackets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Check day brackets: integer ``(first, last)`` pairs, ``1 <= first <= last``, ascending, not overlapping."""
    checked: list[tuple[int, int]] = []
    if not brackets:
        raise DataError("give at least one day bracket, e.g. 1-7")
    for index, pair in enumerate(brackets):
        try:
            first, last = (int(day) for day in pair)
        except (TypeError, ValueError):
            raise DataError(f"bracket {index + 1} ({pair!r}) is not a pair of whole days such as (1, 7)") from None
        if not 1 <= first <= last:
            raise DataError(f"bracket {first}-{last} must start on day 1 or later and end on or after its start")
        if checked and first <= checked[-1][1]:
            raise DataError(f"bracket {first}-{last} overlaps or precedes {checked[-1][0]}-{checked[-1][1]}")
        checked.append((first, last))
    return checked


def parse_brackets(text: str) -> list[tuple[int, int]]:
    """Parse brackets written as ``"1-7, 8-30, 31-90"`` (a single day may be written ``"14"``)."""
    pairs = []
    for part in (piece.strip() for piece in text.split(",")):
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise DataError(f"cannot read the bracket {part!r}: write days as 1-7, 8-30, 31-90")
        first = int(match.group(1))
        pairs.append((first, int(match.group(2) or first)))
    return validate_brackets(pairs)


def bracket_label(first: int, last: int) -> str:
    """``"day 0"``, ``"day 14"`` or ``"days 1-7"``."""
    return f"day {first}" if first == last else f"days {first}-{last}"


def event_types(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The event types in the warehouse, most frequent first (empty when there are no events)."""
    return warehouse.query(con, "cohort_event_types")["event_type"].tolist()


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and latest timestamps of orders and events together; ``(None, None)`` without either."""
    first, last = con.execute(warehouse.sql_text("cohort_data_range")).fetchone()
    return (None if first is None else pd.Timestamp(first), None if last is None else pd.Timestamp(last))


def breakdown_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The users columns a cohort table can be broken down by (no identifiers, timestamps or emails)."""
    columns = warehouse.table_columns(con, schema.USERS)
    return [
        name
        for name, kind in columns.items()
        if name not in schema.NON_BREAKDOWN_USER_COLUMNS and kind.upper() in ("VARCHAR", "BOOLEAN")
    ]


def _bound(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters that ``sql`` uses outside its comments (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([a-z_]+)", re.sub(r"--[^\n]*", "", sql)))
    return {key: value for key, value in params.items() if key in used}


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> pd.DataFrame:
    """Run a named SQL file with the parameters it uses."""
    return warehouse.query(con, name, _bound(warehouse.sql_text(name), params))


def _cohort_sql(mode: str, *, counted: bool = False) -> str:
    """``cohort_table.sql`` with its ``-- @sizes`` and ``-- @mode`` lines filled in.

    ``counted``: read the pre-counted cohorts of the rollup (n-day purchases
    without a breakdown); otherwise count the members and run the mode's own
    SQL. Only SQL text from this package's files is joined, never a value; a
    query per mode keeps DuckDB from planning the branches of every mode.
    """
    sizes, grouped = (
        ("cohort_sizes_counted", "cohort_mode_counted")
        if counted
        else (
            "cohort_sizes_members",
            MODES[mode].sql_name,
        )
    )
    text = warehouse.sql_text("cohort_table").replace("-- @sizes", warehouse.sql_text(sizes))
    return text.replace("-- @mode", warehouse.sql_text(grouped))


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise DataError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def _activity_params(con: duckdb.DuckDBPyConnection, activity: str, cohort_by: str) -> dict[str, object]:
    """Validate the activity and cohort definition against the data; return the SQL parameters."""
    needs_events = activity != "purchase" or cohort_by == "first_event"
    if needs_events and not warehouse.has_rows(con, schema.EVENTS):
        raise DataError("the warehouse has no events: cohort by first purchase or signup and count purchases")
    if activity in BASE_ACTIVITIES:
        return {"activity": activity, "event_type": None}
    if activity not in event_types(con):
        raise DataError(f"no events of type {activity!r}; the warehouse has: {', '.join(event_types(con))}")
    return {"activity": "event", "event_type": activity}


def _breakdown_params(
    con: duckdb.DuckDBPyConnection, breakdown: str | None, range_params: dict[str, object], top_segments: int
) -> dict[str, object]:
    labels = {"other_segment": OTHER_SEGMENT, "missing_segment": MISSING_SEGMENT}
    if breakdown is None:
        return {"breakdown": schema.COL_USER, "has_breakdown": False, "kept": [], **labels}
    allowed = breakdown_columns(con)
    if breakdown not in allowed:
        raise DataError(f"cannot break down by {breakdown!r}; choose one of: {', '.join(allowed) or 'none'}")
    ranked = _query(con, "cohort_segments", {**range_params, **labels, "breakdown": breakdown})
    kept = ranked["segment"].head(top_segments).tolist()
    return {"breakdown": breakdown, "has_breakdown": True, "kept": kept, **labels}


def period_start(ts: pd.Timestamp, period: str) -> pd.Timestamp:
    """The first day of the period (day, Monday week, month) that holds ``ts``."""
    day = pd.Timestamp(ts).normalize()
    if period == "week":
        return day - pd.Timedelta(days=day.dayofweek)
    return day.replace(day=1) if period == "month" else day


def next_period_start(ts: pd.Timestamp, period: str) -> pd.Timestamp:
    """The first day of the period after the one that holds ``ts``."""
    start = period_start(ts, period)
    if period == "month":
        return start + pd.DateOffset(months=1)
    return start + pd.Timedelta(days=7 if period == "week" else 1)


def _date(value) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{value!r} is not a date") from None


def _settings(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str = "month",
    cohort_by: str = "first_purchase",
    activity: str = "purchase",
    mode: str = "n-day",
    brackets: Sequence[tuple[int, int]] | None = None,
    breakdown: str | None = None,
    cohort_start=None,
    cohort_end=None,
    top_segments: int = TOP_SEGMENTS,
) -> tuple[dict[str, object], list[tuple[int, int]]]:
    """Check a cohort definition (the settings of :func:`cohort_table`) against the data.

    Returns the SQL parameters and the day brackets (empty unless the mode uses them).
    """
    _check_choice("period", period, PERIODS)
    _check_choice("cohort_by", cohort_by, COHORT_BY)
    _check_choice("mode", mode, tuple(MODES))
    if int(top_segments) < 1:
        raise DataError(f"keep at least one breakdown segment, not {top_segments}")
    day_brackets = _MODE_CHECKS[mode](brackets)
    start, end = _date(cohort_start), _date(cohort_end)
    if start is not None and end is not None and start > end:
        raise DataError(f"the cohort range starts ({start:%Y-%m-%d}) after it ends ({end:%Y-%m-%d})")
    rollups.ensure_built(con)
    range_params = {
        "grain": period,
        "cohort_by": cohort_by,
        "first_cohort": None if start is None else period_start(start, period).date(),
        "after_last_cohort": None if end is None else next_period_start(end, period).date(),
    }
    params = {
        **range_params,
        "mode": mode,
        "lo": [first for first, _ in day_brackets],
        "hi": [last for _, last in day_brackets],
        "as_of": rollups.as_of(con),
        **_activity_params(con, activity, cohort_by),
        **_breakdown_params(con, breakdown, range_params, int(top_segments)),
    }
    return params, day_brackets


def cohort_table(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str = "month",
    cohort_by: str = "first_purchase",
    activity: str = "purchase",
    mode: str = "n-day",
    brackets: Sequence[tuple[int, int]] | None = None,
    measure: str = "retention",
    breakdown: str | None = None,
    cohort_start=None,
    cohort_end=None,
    top_segments: int = TOP_SEGMENTS,
) -> pd.DataFrame:
    """Retention of each cohort, one row per cohort (and segment) and period.

    Parameters
    ----------
    con
        A connection (or cursor) on the warehouse.
    period
        ``"day"``, ``"week"`` (starting Monday) or ``"month"``: the length of
        cohorts and of the periods counted after them.
    cohort_by
        ``"first_purchase"``, ``"first_event"`` (any event type) or ``"signup"``.
    activity
        What counts as coming back: ``"purchase"``, ``"any"`` event, or one
        event type by name.
    mode
        A name in :data:`MODES`: ``"n-day"``, ``"unbounded"`` or ``"brackets"``.
    brackets
        Day brackets ``[(1, 7), (8, 30), ...]`` for ``mode="brackets"``
        (default :data:`DEFAULT_BRACKETS`); ignored by the other modes.
    measure
        ``"retention"`` or ``"revenue"`` (adds ``revenue`` and ``value``).
    breakdown
        A categorical users column (see :func:`breakdown_columns`) or None.
        The ``top_segments`` largest segments in the range are kept, the rest
        are pooled as ``"other"``; users without a value are ``"(missing)"``.
    cohort_start, cohort_end
        Dates bounding the cohorts' period starts (inclusive); None for all.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (datetime64, first day of the cohort's period);
        ``segment`` (str, only with a breakdown); ``period`` (int >= 0, 0 is
        the cohort's own period; in brackets mode 0 is the start day and k the
        k-th bracket); ``bracket`` (str label, brackets mode only);
        ``cohort_users`` (int >= 1); ``active_users`` (int, 0 to
        cohort_users); ``retention`` (float in [0, 1], active_users /
        cohort_users); with ``measure="revenue"``, ``revenue`` (net order
        revenue of the cohort's users in the period, in the shop's currency;
        cumulative through period N in unbounded mode) and ``value`` (revenue
        per cohort user); ``complete`` (bool: the cell's whole span is before
        the latest timestamp in the data). Cells are listed from period 0 up to
        the period holding the latest timestamp (brackets: up to the last
        bracket any cohort user can have reached), with zeros where nobody was
        active. Empty (with these columns) when no cohort falls in the range.

    Raises
    ------
    DataError
        An unknown option, a missing event type, events asked of a warehouse
        without events, a breakdown column that is not allowed, bad brackets.
    """
    params, day_brackets = _settings(
        con,
        period=period,
        cohort_by=cohort_by,
        activity=activity,
        mode=mode,
        brackets=brackets,
        breakdown=breakdown,
        cohort_start=cohort_start,
        cohort_end=cohort_end,
        top_segments=top_segments,
    )
    _check_choice("measure", measure, MEASURES)
    params["with_revenue"] = measure == "revenue"
    if params["as_of"] is None:
        return _shape(pd.DataFrame(columns=_RAW_COLUMNS), measure, breakdown, day_brackets)
    counted = (
        mode == "n-day" and params["activity"] == "purchase" and breakdown is None and rollups.has_counted_cohorts(con)
    )
    sql = _cohort_sql(mode, counted=counted)
    table = con.execute(sql, _bound(sql, params)).df()
    return _shape(table, measure, breakdown, day_brackets)


def cohort_table_raw(con: duckdb.DuckDBPyConnection, *, period: str = "month") -> pd.DataFrame:
    """The default :func:`cohort_table` (first purchase, purchases, n-day) computed from the order lines.

    Slower than :func:`cohort_table`, which reads the activity rollup; kept
    to verify the rollup and to measure what it saves. Same columns and
    values as ``cohort_table(con, period=period)``. When the orders span at
    most 64 periods, each customer's active periods are gathered as a bit
    mask in one pass over the lines.
    """
    _check_choice("period", period, PERIODS)
    first, last = warehouse.data_range(con)
    spans = first is not None and periods_between(first, last, period) < RAW_MASK_BITS
    table = warehouse.query(con, "cohort_raw", {"grain": period, "bitmask": bool(spans)})
    return _shape(table, "retention", None, [])


RAW_MASK_BITS = 64


def periods_between(first: pd.Timestamp, last: pd.Timestamp, period: str) -> int:
    """Whole periods from the one holding ``first`` to the one holding ``last`` (0 when they share one)."""
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    if period == "month":
        return (end.year - start.year) * 12 + end.month - start.month
    days = (end.normalize() - start.normalize()).days
    if period == "day":
        return days
    return (days + start.dayofweek) // 7


_RAW_COLUMNS = ["cohort", "segment", "period", "cohort_users", "active_users", "revenue", "complete"]


def _shape(
    raw: pd.DataFrame, measure: str, breakdown: str | None, day_brackets: Sequence[tuple[int, int]]
) -> pd.DataFrame:
    """Types, the retention rate and the optional columns of :func:`cohort_table`."""
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
    if measure == "revenue":
        table["revenue"] = raw["revenue"].astype("float64")
        table["value"] = table["revenue"] / table["cohort_users"]
    table["complete"] = raw["complete"].astype("bool")
    if day_brackets:
        labels = [bracket_label(first, last) for first, last in day_brackets]
        table.insert(3, "bracket", table["period"].map(dict(enumerate(labels))).astype("string"))
    if breakdown is None:
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
        ``complete`` (bool: the period is fully observed; in a period still
        in progress the counts are provisional, dormant ones above all).
        Active users of a period are ``new + returning + resurrecting``.
        Empty when there is no activity.
    """
    _check_choice("period", period, PERIODS)
    rollups.ensure_built(con)
    params = {"grain": period, "as_of": rollups.as_of(con), **_activity_params(con, activity, "first_purchase")}
    table = warehouse.query(con, "cohort_lifecycle", params)
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(table["period_start"]),
            **{column: table[column].astype("int64") for column in ("new", "returning", "resurrecting", "dormant")},
            "complete": table["complete"].astype("bool"),
        }
    )


def for_export(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a :func:`cohort_table` result for CSV: ``cohort`` as an ISO date string (``YYYY-MM-DD``)."""
    out = table.copy()
    out["cohort"] = out["cohort"].dt.strftime("%Y-%m-%d")
    return out


def cell_users(
    con: duckdb.DuckDBPyConnection,
    *,
    cohort,
    period_index: int,
    segment: str | None = None,
    retained: bool | None = None,
    include_email: bool = False,
    **definition,
) -> pd.DataFrame:
    """The users behind one cell of :func:`cohort_table`, retained or lost.

    ``definition`` takes the settings of :func:`cohort_table` (``period``,
    ``cohort_by``, ``activity``, ``mode``, ``brackets``, ``breakdown``,
    ``cohort_start``, ``cohort_end``, ``top_segments``) with the same
    defaults; ``measure`` does not apply. The cell is ``cohort``
    (the cohort's period start), ``period_index`` (the cell's ``period``) and,
    with a breakdown, its ``segment``. ``retained=True`` keeps the retained
    users, ``False`` the lost ones, None all. Emails are added only when
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
        ``revenue`` (net order revenue since the start day, shop currency);
        ``email`` when asked. Retained users first, then by revenue. With
        ``retained=None``, ``len()`` is the cell's ``cohort_users`` and
        ``retained.sum()`` its ``active_users``.
    """
    params, day_brackets = _settings(con, **definition)
    breakdown = definition.get("breakdown")
    index = int(period_index)
    if index < 0 or (day_brackets and index >= len(day_brackets)):
        raise DataError(f"there is no period {index} in this cohort table")
    if breakdown is not None and segment is None:
        raise DataError(f"choose a {breakdown} segment for the cell")
    lo, hi = day_brackets[index] if day_brackets else (0, 0)
    cell = {"cohort": _date(cohort).date(), "period": index, "segment": segment, "lo": lo, "hi": hi}
    users = _query(con, "cohort_cell_users", {**params, **cell})
    table = pd.DataFrame(
        {
            "user_id": users["user_id"].astype("string"),
            "segment": users["segment"].astype("string"),
            "start_ts": pd.to_datetime(users["start_ts"]),
            "retained": users["retained"].astype("bool"),
            "active_periods": users["active_periods"].astype("int64"),
            "last_active": pd.to_datetime(users["last_active"]),
            "revenue": users["revenue"].astype("float64"),
        }
    )
    if breakdown is None:
        table = table.drop(columns="segment")
    if retained is not None:
        table = table[table["retained"] == retained].reset_index(drop=True)
    if include_email:
        emails = con.execute(
            "SELECT user_id, email FROM users WHERE list_contains($ids, user_id)", {"ids": table["user_id"].tolist()}
        ).df()
        table = table.merge(emails.astype({"user_id": "string"}), on="user_id", how="left")
    return table


def mean_curve(table: pd.DataFrame) -> pd.DataFrame:
    """The size-weighted mean retention curve of a :func:`cohort_table` result.

    Each period pools the cohorts whose cell is complete: the mean is
    ``sum(active_users) / sum(cohort_users)`` over them, so a large cohort
    weighs more than a small one and a cohort still filling up never drags
    the curve down.

    Returns
    -------
    pandas.DataFrame
        ``segment`` (when the table has one), ``period`` (int), ``cohorts``
        (int: cohorts pooled), ``cohort_users`` and ``active_users`` (int
        sums), ``retention`` (float in [0, 1]) and, when the table has
        revenue, ``revenue`` (sum) and ``value`` (revenue per pooled cohort
        user). Periods with no complete cell are left out.
    """
    keys = [column for column in ("segment", "period") if column in table.columns]
    sums = {"cohorts": ("cohort", "nunique"), "cohort_users": ("cohort_users", "sum")}
    sums["active_users"] = ("active_users", "sum")
    if "revenue" in table.columns:
        sums["revenue"] = ("revenue", "sum")
    complete = table[table["complete"]]
    curve = complete.groupby(keys, as_index=False).agg(**sums)
    curve["retention"] = curve["active_users"] / curve["cohort_users"]
    if "revenue" in curve.columns:
        curve["value"] = curve["revenue"] / curve["cohort_users"]
    return curve


DEFAULT_COHORTS_SHOWN = {"day": 60, "week": 52, "month": None}


def default_cohort_range(
    first: pd.Timestamp | None, last: pd.Timestamp | None, period: str
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The cohort range a view starts with: every month, the last 52 weeks, or the last 60 days of the data.

    ``first`` and ``last`` are the data's first and latest timestamps; returns
    ``(start, end)`` as day timestamps, ``start`` at the beginning of its
    period (Monday, first of the month); ``(None, None)`` when there is no data.
    """
    _check_choice("period", period, PERIODS)
    if first is None or last is None:
        return None, None
    start, end = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    shown = DEFAULT_COHORTS_SHOWN[period]
    if shown is not None:
        start = max(start, end - pd.Timedelta(days=shown * (7 if period == "week" else 1) - 1))
    return period_start(start, period), end


def segments_by_size(table: pd.DataFrame) -> list[str]:
    """The segments of a broken-down :func:`cohort_table`, most cohort users first (empty without a breakdown)."""
    if "segment" not in table.columns or table.empty:
        return []
    sizes = table[table["period"] == 0].groupby("segment")["cohort_users"].sum()
    return sizes.sort_values(ascending=False, kind="stable").index.tolist()


def segment_rows(table: pd.DataFrame, segment: str | None) -> pd.DataFrame:
    """The rows of one segment (the whole table when ``segment`` is None or there is no breakdown)."""
    if segment is None or "segment" not in table.columns:
        return table
    return table[table["segment"] == segment].reset_index(drop=True)


def recent_cohorts(table: pd.DataFrame, count: int = 3) -> list[pd.Timestamp]:
    """The ``count`` latest cohorts whose period 1 is complete (the latest ones if none is), oldest first."""
    listed = table.drop_duplicates("cohort")["cohort"].sort_values()
    mature = table.loc[(table["period"] == 1) & table["complete"], "cohort"].drop_duplicates().sort_values()
    return (mature if len(mature) else listed).tail(count).tolist()


def cohort_starts(table: pd.DataFrame) -> list[pd.Timestamp]:
    """The cohorts of a :func:`cohort_table` result, oldest first."""
    return sorted(table["cohort"].unique().tolist())


# The users of a cell to list: lost ones, retained ones, or all (the ``retained`` argument of cell_users).
SHOW_USERS: dict[str, bool | None] = {"lost": False, "retained": True, "all": None}


def cohort_periods(table: pd.DataFrame, cohort) -> list[int]:
    """The periods listed for one cohort of a :func:`cohort_table` result, ascending."""
    return sorted(table.loc[table["cohort"] == pd.Timestamp(cohort), "period"].unique().tolist())


def period_labels(table: pd.DataFrame) -> dict[int, str]:
    """Period -> its label: the bracket label in brackets mode (``"days 1-7"``), else the number."""
    if "bracket" in table.columns:
        return dict(zip(table["period"].tolist(), table["bracket"].tolist(), strict=True))
    return {int(n): str(n) for n in table["period"].unique()}
