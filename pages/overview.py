"""Overview: headline numbers and weekly customers."""

import streamlit as st

from retention.charts import overview as charts
from retention.ui import annotations, common, saved_views
from retention.ui import overview as cached

common.page_header("Overview", "How many customers the shop has, how many stay, and how that moves week by week.")
saved_views.views_row("overview")

loaded = common.attempt(cached.snapshot, common.db_path())
if loaded is None:
    st.stop()
numbers, weekly = loaded
if numbers.customers == 0:
    st.info("No purchases in the warehouse yet. Import orders on the Data page.")
    st.stop()

tiles = st.columns(6)
tiles[0].metric("Customers", f"{numbers.customers:,}", help="Users with at least one purchase.")
tiles[1].metric(
    "Active in last 30 days",
    f"{numbers.active_30d:,}",
    help=f"Customers with a purchase in the 30 days up to {numbers.as_of:%Y-%m-%d}.",
)
tiles[2].metric("Orders", f"{numbers.orders:,}")
tiles[3].metric(
    "Products bought",
    f"{numbers.products:,}",
    help="Distinct item codes purchased, without postage, fees and other non-product codes (see the Data page).",
)
tiles[4].metric(
    "Net revenue",
    f"{numbers.revenue:,.0f}",
    help="Quantity x unit price over all lines; returns subtract, postage and fees count.",
)
tiles[5].metric(
    "Repeat-purchase rate", f"{numbers.repeat_rate:.1%}", help="Share of customers with two or more orders."
)

st.subheader("Customers per week")
st.plotly_chart(charts.weekly_customers(weekly), width="stretch")
st.caption("A hollow marker is the week still in progress: its count is not final.")
common.download_csv(weekly, "weekly_customers.csv", "Download weekly customers")

annotations.notes_section(numbers.as_of.date())
