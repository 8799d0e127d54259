"""Headline numbers and weekly activity for the Overview page."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import non_products, warehouse


@dataclass(frozen=True)
class Kpis:
    """Headline numbers of the warehouse.

    customers: users with at least one purchase; active_30d: of those, with a
    purchase in the 30 days up to ``as_of`` (the latest order); orders:
    distinct orders with a purchase line; products: distinct item codes
    purchased, not counting codes kept out as non-products (postage, fees:
    see :mod:`retention.non_products`); revenue: sum of quantity x
    unit_price over all lines (returns subtract, non-product lines count);
    repeat_rate: share of customers with two or more orders, in [0, 1].
    """

    customers: int
    active_30d: int
    orders: int
    products: int
    revenue: float
    repeat_rate: float
    as_of: pd.Timestamp | None


def kpis(con: duckdb.DuckDBPyConnection) -> Kpis:
    """The headline numbers (all zero on an empty warehouse)."""
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
    """Customers per week.

    Returns columns ``week`` (Monday, timestamp), ``active_customers`` and
    ``new_customers`` (int counts), ``complete`` (bool: the data covers the
    whole week).
    """
    return warehouse.query(con, "overview_weekly")
