"""Segments: customers by how recently, how often and how much they buy (RFM), and who is in each segment."""

import streamlit as st

from retention import rfm
from retention.campaigns import handoff
from retention.charts import segments as charts
from retention.ui import campaign_handoff, common
from retention.ui import segments as cached

common.page_header(
    "Segments", "Customers grouped by how recently, how often and how much they buy (RFM), on a day you choose."
)

path, version = common.db_path(), common.data_version()
days = common.attempt(cached.day_range, path, version)
if days is None:
    st.stop()
first, last = days
if last is None:
    common.show_empty_state("No orders in the warehouse yet.")
    st.stop()

top = st.columns([1, 1, 2])
chosen = top[0].date_input(
    "As of",
    value=None,
    min_value=first,
    max_value=last,
    key="as_of",
    bind="query-params",
    help=f"Empty: {last:%Y-%m-%d}, the newest order. The orders up to the end of this day count.",
)
as_of = chosen or last
size = top[1].segmented_control(
    "Tile size",
    list(charts.SIZES),
    format_func=charts.SIZES.get,
    default="customers",
    required=True,
    key="size",
    bind="query-params",
)
summary = common.attempt(cached.summary, path, version, as_of)
if summary is None:
    st.stop()
if summary["customers"].sum() == 0:
    st.info(f"No customer had bought by {as_of:%Y-%m-%d}. Choose a later day.")
    st.stop()

st.caption(
    f"{summary['customers'].sum():,} customers with a purchase up to {as_of:%Y-%m-%d}, scored 1-5 on recency, "
    "frequency (orders) and monetary value (net revenue) by quintile; the segment comes from the R and F scores."
)
st.plotly_chart(charts.segment_treemap(summary, size=size), width="stretch")
st.dataframe(summary, hide_index=True, column_config=cached.SUMMARY_COLUMNS, placeholder="–")
common.download_csv(summary, f"rfm_segments_{as_of:%Y-%m-%d}.csv", label="Download the segment table")

with st.expander("How the segments are named"):
    st.markdown(
        "Each score is 1 + the fifth of customers strictly worse on that measure (5: the most recent, the most "
        "orders, the most net revenue); customers with the same value share a score. The grid below names each "
        "pair of recency (R) and frequency (F) scores, with its customers."
    )
    counts = common.attempt(cached.grid_counts, path, version, as_of)
    if counts is not None:
        st.plotly_chart(charts.rf_grid(counts), width="stretch")

st.subheader("Customers of a segment")
pick = st.columns([1, 1, 2])
segment = pick[0].selectbox(
    "Segment", rfm.SEGMENTS, index=rfm.SEGMENTS.index("At risk"), key="segment", bind="query-params"
)
with_email = pick[1].checkbox("Include emails", help="Emails leave the warehouse only when you tick this.")
members = common.attempt(cached.segment_customers, path, version, as_of, segment, with_email)
if members is not None:
    st.caption(f"{segment}: {rfm.DESCRIPTIONS[segment]}. {len(members):,} customer{'' if len(members) == 1 else 's'}.")
    st.dataframe(members, hide_index=True, height=320, column_config=cached.CUSTOMER_COLUMNS, placeholder="–")
    with st.container(horizontal=True):
        common.download_csv(members, rfm.file_name(segment, as_of), label="Download these customers")
        campaign_handoff.send_button(lambda: handoff.rfm_segment(members, segment, as_of), key="segment-send")
