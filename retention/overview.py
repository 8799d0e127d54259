"""Headline numbers and weekly activity for the Overview page, over a date range.

A purchase is an order line with ``quantity > 0``; a customer is a user with
at least one purchase. Returns (negative quantities) count against revenue but
are not orders. "Now" is the latest order in the warehouse, never the clock:
the presets ("last 4 weeks") count back from the day of the newest order. A
range's numbers are compared with the previous period of the same number of
days, only when the data covers all of that period (a comparison with a few
days of a shop's first weeks would read as a huge growth).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import non_products, periods, warehouse
from retention.errors import DataError


@dataclass(frozen=True)
class Kpis:
    """Headline numbers of the warehouse.

    Attributes
    ----------
    customers
        Users with at least one purchase (count, >= 0).
    active_30d
        Customers with a purchase in the 30 days up to ``as_of`` (count, <= ``customers``).
    orders
        Distinct orders with a purchase line (count, >= 0).
    products
        Distinct item codes purchased, not counting codes kept out as non-products (postage, fees: see
        :mod:`retention.non_products`); count, >= 0.
    revenue
        Sum of quantity x unit_price over all lines, in the shop's currency; returns subtract and
        non-product lines count.
    repeat_rate
        Share of customers with two or more orders, in [0, 1]; 0 without customers.
    as_of
        The latest order timestamp; None on an empty warehouse.
    """

    customers: int
    active_30d: int
    orders: int
    products: int
    revenue: float
    repeat_rate: float
    as_of: pd.Timestamp | None


def kpis(con: duckdb.DuckDBPyConnection) -> Kpis:
    """The headline numbers of the warehouse behind ``con``.

    Returns
    -------
    Kpis
        All counts and amounts zero and ``as_of`` None on a warehouse without orders.
    """
    row = warehouse.query(con, "overview_kpis", {"kept_out": list(non_products.KEPT_OUT)}).iloc[0]
    as_of = None if pd.isna(row["as_of"]) else pd.Timestamp(row["as_of"])
    return Kpis(
        customers=int(row["customers"]),
        active_30d=int(row["active_30d"]),
        orders=int(row["orders"]),
        products=int(row["products"]),
        revenue=float(row["revenue"]),
        repeat_rate=float(row["repeat_rate"]),
        as_of=as_of,
    )


PRESETS = {"4w": "Last 4 weeks", "3m": "Last 3 months", "12m": "Last 12 months", "all": "All"}
"""Date range presets, by the name the URL keeps, with their labels; "all" is the whole data."""
_LOOKBACK = {"4w": pd.DateOffset(weeks=4), "3m": pd.DateOffset(months=3), "12m": pd.DateOffset(months=12)}


@dataclass(frozen=True)
class DateRange:
    """The days from ``start`` to ``end``, both included (timestamps at midnight, ``start <= end``)."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        """Days in the range (>= 1)."""
        return (self.end - self.start).days + 1

    @property
    def stop(self) -> pd.Timestamp:
        """The first moment after the range: midnight of the day after ``end``."""
        return self.end + pd.Timedelta(days=1)

    def previous(self) -> DateRange:
        """The range of the same number of days that ends the day before this one starts."""
        return DateRange(self.start - pd.Timedelta(days=self.days), self.start - pd.Timedelta(days=1))

    def describe(self) -> str:
        """ "2011-09-10 to 2011-12-09 (91 days)"."""
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} ({self.days:,} days)"


def preset_range(preset: str, first: object, last: object) -> DateRange:
    """The days of ``preset`` (a key of :data:`PRESETS`), counted back from the day of ``last`` (the newest
    order) and cut at the day of ``first`` (the oldest): "4w" is the 28 days that end on the newest order's day,
    "3m" starts three months before the day after it (newest order on 9 February: from 10 November), "all" is
    every day of the data."""
    if preset not in PRESETS:
        raise DataError(f"range must be one of {', '.join(PRESETS)}, not {preset!r}")
    begin, end = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if preset == "all":
        return DateRange(begin, end)
    stop = end + pd.Timedelta(days=1)
    return DateRange(max(begin, stop - _LOOKBACK[preset]), end)


def custom_range(start: object, end: object, first: object, last: object) -> DateRange:
    """The days from ``start`` to ``end`` (dates, both included; None for the data's first or last day), cut to
    the data's days from ``first`` to ``last``.

    Raises
    ------
    DataError
        ``start`` after ``end``, or a range with no day of data.
    """
    begin, finish = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    low = begin if start is None else pd.Timestamp(start).normalize()
    high = finish if end is None else pd.Timestamp(end).normalize()
    if low > high:
        raise DataError(f"the range starts ({low:%Y-%m-%d}) after it ends ({high:%Y-%m-%d}): swap the dates")
    if high < begin or low > finish:
        raise DataError(
            f"no orders from {low:%Y-%m-%d} to {high:%Y-%m-%d}: the orders run from {begin:%Y-%m-%d} "
            f"to {finish:%Y-%m-%d}"
        )
    return DateRange(max(low, begin), min(high, finish))


@dataclass(frozen=True)
class RangeKpis:
    """Headline numbers of the days of a :class:`DateRange`.

    Attributes
    ----------
    customers
        Customers with a purchase in the range (count, >= 0).
    new_customers
        Of those, customers whose first purchase ever falls in the range (count, <= ``customers``).
    orders
        Distinct orders with a purchase line in the range (count, >= 0).
    products
        Distinct item codes purchased in the range, without the codes kept out as non-products (count, >= 0).
    revenue
        Sum of quantity x unit_price over the range's lines, in the shop's currency; returns subtract.
    repeat_rate
        Share of the range's customers with two or more orders in the range, in [0, 1]; 0 without customers.
    """

    customers: int
    new_customers: int
    orders: int
    products: int
    revenue: float
    repeat_rate: float


KPI_NAMES = ("customers", "new_customers", "orders", "products", "revenue", "repeat_rate")


def range_kpis(con: duckdb.DuckDBPyConnection, dates: DateRange, *, counted: bool = True) -> RangeKpis:
    """The headline numbers of the days of ``dates``.

    A range that holds every day of the data reads the pre-counted numbers of :func:`kpis` (with
    ``new_customers`` = ``customers``), as the Overview's default view always did; any other range reads the
    order lines of its days (a time filter, so only the row groups of those days) and each customer's first
    purchase in the rollup. ``counted=False`` reads the lines for the whole data too: both give the same numbers.
    """
    first, last = warehouse.data_range(con)
    if counted and first is not None and dates.start <= first.normalize() and dates.end >= last.normalize():
        whole = kpis(con)
        return RangeKpis(
            customers=whole.customers,
            new_customers=whole.customers,
            orders=whole.orders,
            products=whole.products,
            revenue=whole.revenue,
            repeat_rate=whole.repeat_rate,
        )
    params = {"start": dates.start, "stop": dates.stop, "kept_out": list(non_products.KEPT_OUT)}
    row = warehouse.query(con, "overview_range_kpis", params).iloc[0]
    return RangeKpis(
        **{name: int(row[name]) for name in KPI_NAMES[:4]},
        revenue=float(row["revenue"]),
        repeat_rate=float(row["repeat_rate"]),
    )


def covers(first: object, dates: DateRange) -> bool:
    """Whether data starting at ``first`` (the oldest order) covers every day of ``dates``' start onwards."""
    return first is not None and pd.Timestamp(first).normalize() <= dates.start


def changes(current: RangeKpis, previous: RangeKpis | None) -> dict[str, str | None]:
    """Each KPI's change from ``previous`` to ``current`` as the tile shows it: "+120 (+8.3%)" for counts and
    revenue (no percentage when the previous value is 0 or below), "+1.5 pp" for the repeat-purchase rate
    (percentage points). All None without a previous period."""
    if previous is None:
        return dict.fromkeys(KPI_NAMES)
    out: dict[str, str | None] = {}
    for name in KPI_NAMES:
        now, before = getattr(current, name), getattr(previous, name)
        if name == "repeat_rate":
            out[name] = f"{(now - before) * 100:+.1f} pp"
            continue
        change = f"{now - before:+,.0f}"
        out[name] = f"{change} ({(now - before) / before:+.1%})" if before > 0 else change
    return out


def weekly_activity(con: duckdb.DuckDBPyConnection, dates: DateRange | None = None) -> pd.DataFrame:
    """Customers per week over the days of ``dates`` (None: every day of the data), oldest first.

    Only the range's days count: a week the range cuts counts its days inside the range.

    Returns
    -------
    pandas.DataFrame
        ``week`` (timestamp, the Monday the week starts on), ``active_customers`` (int, customers with a
        purchase in the week's days of the range), ``new_customers`` (int, of those, customers whose first
        purchase ever falls on those days; <= ``active_customers``), ``complete`` (bool: the data and the
        range cover the whole week, see :func:`retention.periods.complete`: the week still in progress and a
        first week the data or the range starts in are partial). Every week from the range's first to its last
        is a row; a week without purchases is zeros. Empty without purchases.

    Raises
    ------
    DataError
        The range spans more than :data:`retention.periods.MAX_PERIODS` weeks, which the chart would fill in.
    """
    first, last = warehouse.data_range(con)
    if first is None:
        return periods.filled(
            warehouse.query(con, "overview_weekly", {"start": None, "end": None}), "week", "week", None, None
        )
    dates = custom_range(dates and dates.start, dates and dates.end, first, last)
    periods.span(dates.start, dates.end, "week", what="the weekly activity chart", advice=periods.FIX_DATES)
    weekly = warehouse.query(con, "overview_weekly", {"start": dates.start.date(), "end": dates.end.date()})
    return periods.filled(weekly, "week", "week", dates.start, dates.end)
