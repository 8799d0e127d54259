"""Cohorts page."""

from retention.ui import common

common.page_header("Cohorts", "Coming next.")
common.coming_next("cohort retention heatmaps, curves and lifecycle by first purchase, event or signup.")
