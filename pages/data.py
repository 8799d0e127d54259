"""Data page."""

from retention.ui import common

common.page_header("Data", "Coming next.")
common.coming_next("file import with column mapping, and the warehouse's tables.")
