"""Campaigns page."""

from retention.ui import common

common.page_header("Campaigns", "Coming next.")
common.coming_next("simulate, launch with a holdout and measure retention campaigns.")
