"""Headline numbers and weekly activity for the Overview page.

A purchase is an order line with ``quantity > 0``; a customer is a user with
at least one purchase. Returns (negative quantities) count against revenue but
are not orders. "Now" is the latest order in the warehouse, never the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import non_products, periods, warehouse


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


def weekly_activity(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Customers per week, one row per week with a purchase, oldest first.

    Returns
    -------
    pandas.DataFrame
        ``week`` (timestamp, the Monday the week starts on), ``active_customers`` (int, customers with a
        purchase in the week), ``new_customers`` (int, of those, customers whose first purchase falls in
        the week; <= ``active_customers``), ``complete`` (bool: the latest order is at least seven days
        after the week's start, so the counts are final). Empty without purchases.

    Raises
    ------
    DataError
        The orders span more than :data:`retention.periods.MAX_PERIODS` weeks, which the chart would fill in.
    """
    first, last = warehouse.data_range(con)
    if first is not None:
        periods.span(first, last, "week", what="the weekly activity chart", advice=periods.FIX_DATES)
    return warehouse.query(con, "overview_weekly")
