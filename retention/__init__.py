"""Retention Studio: cohort retention, churn risk, recommenders, forecasts and campaigns over a DuckDB warehouse."""

__version__ = "0.1.0"
