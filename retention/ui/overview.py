"""Cached data for the Overview page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import overview
from retention.ui.common import cursor, data_version


@st.cache_data(show_spinner=False)
def kpis(path: str, version: str) -> overview.Kpis:
    """The headline numbers of the warehouse at ``path`` (see :class:`retention.overview.Kpis`)."""
    with cursor() as con:
        return overview.kpis(con)


@st.cache_data(show_spinner=False)
def weekly_activity(path: str, version: str) -> pd.DataFrame:
    """Customers per week (see :func:`retention.overview.weekly_activity` for the columns)."""
    with cursor() as con:
        return overview.weekly_activity(con)


def snapshot(path: str) -> tuple[overview.Kpis, pd.DataFrame]:
    """Everything the Overview page shows, keyed on the warehouse's current data version:
    the headline numbers and the weekly customers frame."""
    version = data_version()
    return kpis(path, version), weekly_activity(path, version)
