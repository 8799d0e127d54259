"""Cached data and widgets of the Overview page: the date range, the KPI tiles with their changes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from retention import overview, warehouse
from retention.ui.common import attempt, cursor


@st.cache_data(show_spinner=False)
def order_dates(path: str, version: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The oldest and newest order timestamps of the warehouse at ``path`` (None, None without orders)."""
    with cursor() as con:
        return warehouse.data_range(con)


@st.cache_data(show_spinner=False)
def range_kpis(path: str, version: str, dates: overview.DateRange) -> overview.RangeKpis:
    """The headline numbers of ``dates`` (see :class:`retention.overview.RangeKpis`)."""
    with cursor() as con:
        return overview.range_kpis(con, dates)


@st.cache_data(show_spinner=False)
def weekly_activity(path: str, version: str, dates: overview.DateRange) -> pd.DataFrame:
    """Customers per week of ``dates`` (see :func:`retention.overview.weekly_activity` for the columns)."""
    with cursor() as con:
        return overview.weekly_activity(con, dates)


CUSTOM = "custom"
RANGE_LABELS = {**overview.PRESETS, CUSTOM: "Custom"}


def date_range(first: pd.Timestamp, last: pd.Timestamp) -> overview.DateRange | None:
    """The date range picker (kept in the URL: ``range``, and ``from``/``to`` for a custom range) and the range
    it chooses; None (with the reason shown) for a custom range that cannot be used."""
    controls = st.columns([2.2, 1, 1])
    preset = controls[0].segmented_control(
        "Date range",
        list(RANGE_LABELS),
        format_func=RANGE_LABELS.get,
        default="all",
        required=True,
        key="range",
        bind="query-params",
        help=f"The presets count back from the newest order ({last:%Y-%m-%d}), not from today.",
    )
    if preset != CUSTOM:
        return overview.preset_range(preset, first, last)
    bounds = {"min_value": first.date(), "max_value": last.date(), "value": None, "bind": "query-params"}
    start = controls[1].date_input("From", key="from", help=f"Empty: {first:%Y-%m-%d}, the oldest order.", **bounds)
    end = controls[2].date_input("To", key="to", help=f"Empty: {last:%Y-%m-%d}, the newest order.", **bounds)
    return attempt(overview.custom_range, start, end, first, last)


@dataclass(frozen=True)
class Tile:
    """One KPI tile: the :class:`retention.overview.RangeKpis` field it shows, its label, format and help."""

    name: str
    label: str
    fmt: str
    help: str


TILES = (
    Tile("customers", "Customers", "{:,}", "Customers with a purchase in the range."),
    Tile("new_customers", "New customers", "{:,}", "Customers whose first purchase ever falls in the range."),
    Tile("orders", "Orders", "{:,}", "Distinct orders with a purchase line in the range."),
    Tile(
        "products",
        "Products bought",
        "{:,}",
        "Distinct item codes purchased in the range, without postage, fees and other non-product codes "
        "(see the Data page).",
    ),
    Tile("revenue", "Net revenue", "{:,.0f}", "Quantity x unit price over the range; returns subtract, fees count."),
    Tile(
        "repeat_rate",
        "Repeat-purchase rate",
        "{:.1%}",
        "Share of the range's customers with two or more orders in the range; the change is in percentage points.",
    ),
)


def kpi_tiles(path: str, version: str, dates: overview.DateRange, first: pd.Timestamp) -> bool:
    """The KPI tiles of ``dates``, each with its change against the previous period of as many days when the
    data covers all of it (said in each tile's help). False when an error was shown instead."""
    current = attempt(range_kpis, path, version, dates)
    before = dates.previous()
    compared = overview.covers(first, before)
    previous = attempt(range_kpis, path, version, before) if compared else None
    if current is None or (compared and previous is None):
        return False
    if compared:
        against = f"Change against the previous {before.days:,} days, {before.describe()}."
    else:
        against = f"No change shown: the orders start on {first:%Y-%m-%d}, so the previous {before.days:,} days "
        against += "before the range are not all in the data."
    deltas = overview.changes(current, previous)
    for column, tile in zip(st.columns(len(TILES)), TILES, strict=True):
        column.metric(
            tile.label,
            tile.fmt.format(getattr(current, tile.name)),
            delta=deltas[tile.name],
            help=f"{tile.help} {against}",
        )
    return True
