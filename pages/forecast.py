"""Forecast page."""

from retention.ui import common

common.page_header("Forecast", "Coming next.")
common.coming_next("Prophet forecasts of retention and activity with an honest backtest.")
