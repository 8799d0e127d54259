"""Cached data and table formats for the Segments page.

Every wrapper takes the warehouse path and its data version first, so a new import invalidates what was cached;
the as-of day is a :class:`datetime.date`. Wrappers only read.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from retention import rfm
from retention.ui.common import cursor

CUSTOMER_COLUMNS = {
    "user_id": st.column_config.TextColumn("Customer"),
    "segment": st.column_config.TextColumn("Segment"),
    "rfm": st.column_config.TextColumn("RFM", help="Recency, frequency and monetary scores, 5 the best"),
    "r": st.column_config.NumberColumn("R", format="%d", help="Recency score (5: bought most recently)"),
    "f": st.column_config.NumberColumn("F", format="%d", help="Frequency score (5: the most orders)"),
    "m": st.column_config.NumberColumn("M", format="%d", help="Monetary score (5: the most net revenue)"),
    "recency_days": st.column_config.NumberColumn("Days since last purchase", format="%d"),
    "frequency": st.column_config.NumberColumn("Orders", format="%d"),
    "monetary": st.column_config.NumberColumn("Net revenue", format="%,.2f", help="Returns subtract"),
    "first_purchase": st.column_config.DatetimeColumn("First purchase", format="YYYY-MM-DD HH:mm"),
    "last_purchase": st.column_config.DatetimeColumn("Last purchase", format="YYYY-MM-DD HH:mm"),
    "email": st.column_config.TextColumn("Email"),
}

SUMMARY_COLUMNS = {
    "segment": st.column_config.TextColumn("Segment"),
    "description": st.column_config.TextColumn("Who"),
    "customers": st.column_config.NumberColumn("Customers", format="%,d"),
    "customer_share": st.column_config.ProgressColumn(
        "Share of customers", format="percent", min_value=0.0, max_value=1.0
    ),
    "revenue": st.column_config.NumberColumn("Net revenue", format="%,.0f"),
    "revenue_share": st.column_config.ProgressColumn(
        "Share of revenue", format="percent", min_value=0.0, max_value=1.0
    ),
    "recency_days": st.column_config.NumberColumn("Mean days since last purchase", format="%.0f"),
    "frequency": st.column_config.NumberColumn("Mean orders", format="%.1f"),
    "monetary": st.column_config.NumberColumn("Mean net revenue", format="%,.2f"),
}


@st.cache_data(show_spinner=False)
def day_range(path: str, version: str) -> tuple[dt.date | None, dt.date | None]:
    """The days of the first and newest orders (see :func:`retention.rfm.day_range`)."""
    with cursor() as con:
        return rfm.day_range(con)


@st.cache_data(show_spinner="Scoring customers…", max_entries=16)
def customers(path: str, version: str, as_of: dt.date) -> pd.DataFrame:
    """Every customer's RFM scores and segment at ``as_of`` (see :func:`retention.rfm.customers`), no emails."""
    with cursor() as con:
        return rfm.customers(con, as_of)


@st.cache_data(show_spinner=False, max_entries=16)
def summary(path: str, version: str, as_of: dt.date) -> pd.DataFrame:
    """Each segment's customers and revenue at ``as_of`` (see :func:`retention.rfm.summary`)."""
    return rfm.summary(customers(path, version, as_of))


@st.cache_data(show_spinner=False, max_entries=16)
def grid_counts(path: str, version: str, as_of: dt.date) -> pd.DataFrame:
    """Customers in each cell of the R/F grid at ``as_of`` (see :func:`retention.rfm.grid_counts`)."""
    return rfm.grid_counts(customers(path, version, as_of))


@st.cache_data(show_spinner="Finding the segment's customers…", max_entries=32)
def segment_customers(path: str, version: str, as_of: dt.date, segment: str, include_email: bool) -> pd.DataFrame:
    """The customers of one segment at ``as_of``, with their emails only when ``include_email``."""
    with cursor() as con:
        return rfm.customers(con, as_of, segments=(segment,), include_email=include_email)
