"""Cached data for the Overview page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import overview
from retention.ui.common import cursor


@st.cache_data(show_spinner=False)
def kpis(path: str, version: str) -> overview.Kpis:
    with cursor() as con:
        return overview.kpis(con)


@st.cache_data(show_spinner=False)
def weekly_activity(path: str, version: str) -> pd.DataFrame:
    with cursor() as con:
        return overview.weekly_activity(con)
