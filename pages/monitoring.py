"""Monitoring: is the data fresh, are the models still right, did the campaigns work."""

import streamlit as st

from retention import monitoring as library
from retention.ui import common
from retention.ui import monitoring as cached

common.page_header(
    "Monitoring",
    "Is the data fresh, do the scores and recommendations still hold, did the campaigns work? Each chart says what "
    "a worrying value looks like and draws its threshold; `python -m retention monitor` gives the same numbers.",
)
path = common.db_path()
version = common.attempt(common.data_version)
if version is None:
    st.stop()
names = list(library.sections())
if not names:
    st.info("Nothing to monitor yet.")
for name in names:
    cached.show_section(path, version, name)
