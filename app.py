"""Retention Studio: the router. Pages live in pages/; logic lives in retention/."""

import streamlit as st

from retention.ui import common

st.set_page_config(page_title="Retention Studio", page_icon=common.PAGE_ICON, layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/cohorts.py", title="Cohorts", icon=":material/grid_on:"),
        st.Page("pages/segments.py", title="Segments", icon=":material/category:"),
        st.Page("pages/forecast.py", title="Forecast", icon=":material/timeline:"),
        st.Page("pages/recommenders.py", title="Recommenders", icon=":material/recommend:"),
        st.Page("pages/at_risk.py", title="At-risk users", icon=":material/person_alert:"),
        st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"),
        st.Page("pages/monitoring.py", title="Monitoring", icon=":material/monitor_heart:"),
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
    ]
)
common.sidebar()
common.run_page(navigation)
