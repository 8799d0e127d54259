"""Recommenders page."""

from retention.ui import common

common.page_header("Recommenders", "Coming next.")
common.coming_next("train and compare collaborative filtering, content-based and popularity recommenders.")
