"""The Build tab's audience preview: what each exclusion removed, and the first customers with their risk and
expected loss (the builder's widgets are in :mod:`retention.ui.campaign_forms`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention.campaigns import Audience
from retention.campaigns import audience as audiences
from retention.ui import common
from retention.ui.common import cursor

PREVIEW_ROWS = 200
PREVIEW_ORDER = ["user_id", "risk", "expected_loss", "expected_value", "value", "recency_days", "country", "reasons"]
EXCLUSION_COLUMNS = {
    "label": st.column_config.TextColumn("Step"),
    "customers": st.column_config.NumberColumn("Customers", format="localized"),
}
PREVIEW_COLUMNS = {
    "user_id": st.column_config.TextColumn("Customer"),
    "risk": st.column_config.NumberColumn("Churn risk", format="percent"),
    "expected_loss": st.column_config.NumberColumn(
        "Expected loss",
        format="%,.2f",
        help="Churn risk × average net order value: what the next order is worth, "
        "weighed by the risk of never seeing it.",
    ),
    "expected_value": st.column_config.NumberColumn("Average order", format="%,.2f"),
    "value": st.column_config.NumberColumn("Net revenue, 12 months", format="%,.0f"),
    "recency_days": st.column_config.NumberColumn("Days since last order", format="%d"),
    "country": st.column_config.TextColumn("Country"),
    "reasons": st.column_config.TextColumn("Why at risk", width="large"),
}


@st.cache_data(show_spinner=False)
def exclusion_counts(path: str, version: str, spec: Audience) -> pd.DataFrame:
    """Customers matching the filters, removed by each exclusion, and kept: see
    :func:`retention.campaigns.audience.exclusion_counts`."""
    with cursor() as con:
        return audiences.exclusion_counts(con, spec)


def exclusions_table(path: str, version: str, spec: Audience) -> None:
    """The exclusion counts as a small table with its CSV."""
    counts = common.attempt(exclusion_counts, path, version, spec)
    if counts is None:
        return
    st.dataframe(counts[["label", "customers"]], hide_index=True, column_config=EXCLUSION_COLUMNS)
    common.download_csv(counts, "campaign_exclusions.csv", "Download the exclusion counts", key="dl-exclusions")


def preview(audience: pd.DataFrame, spec: Audience) -> None:
    """The audience's first :data:`PREVIEW_ROWS` customers in rank order, risk and expected loss side by side."""
    ranked = "expected loss" if spec.rank_by == "expected_loss" else "churn risk"
    shown = min(len(audience), PREVIEW_ROWS)
    st.caption(f"The first {shown:,} of {len(audience):,} customers by {ranked}; the download holds them all.")
    table = audiences.for_download(audience.head(PREVIEW_ROWS))
    st.dataframe(table, hide_index=True, column_config=PREVIEW_COLUMNS, column_order=PREVIEW_ORDER)
