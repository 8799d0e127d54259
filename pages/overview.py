"""Overview: headline numbers of a date range against the period before, and customers week by week."""

import streamlit as st

from retention.charts import overview as charts
from retention.ui import annotations, common, saved_views
from retention.ui import overview as cached

common.page_header("Overview", "How many customers the shop has, how many stay, and how that moves week by week.")
saved_views.views_row("overview")

path = common.db_path()
version = common.attempt(common.data_version)
dates = None if version is None else common.attempt(cached.order_dates, path, version)
if dates is None:
    st.stop()
first, last = dates
if first is None:
    common.show_empty_state("No purchases in the warehouse yet.")
    st.stop()

chosen = cached.date_range(first, last)
if chosen is None:
    st.stop()
st.caption(f"{chosen.describe()}.")
if not cached.kpi_tiles(path, version, chosen, first):
    st.stop()

st.subheader("Customers per week")
weekly = common.attempt(cached.weekly_activity, path, version, chosen)
marks = common.attempt(annotations.marks, path, version, chosen.start.date(), chosen.end.date())
if weekly is not None and marks is not None:
    st.plotly_chart(charts.weekly_customers(weekly, marks), width="stretch")
    st.caption(
        "A hollow marker is a partial week: the week still in progress, or a first week that the data or the range "
        "starts in the middle of. Weeks without purchases count 0. Dotted lines mark campaign launches, imports "
        "and notes."
    )
    common.download_csv(
        weekly, f"weekly_customers_{chosen.start:%Y-%m-%d}_{chosen.end:%Y-%m-%d}.csv", "Download weekly customers"
    )

annotations.notes_section(last.date())
