"""Cached churn scoring and the data behind the At-risk users page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from retention import churn, explain
from retention.ui.common import cursor


@st.cache_data(show_spinner=False)
def order_days(path: str, version: str) -> tuple[dt.date, dt.date]:
    """First and last day with an order (raises ``DataError`` when there are none)."""
    with cursor() as con:
        return churn.order_days(con)


@st.cache_resource(show_spinner="Training the churn model and explaining every score…", max_entries=8)
def scoring(path: str, version: str, as_of: dt.date, horizon_days: int) -> churn.ScoringResult:
    """One scoring run per (warehouse, data version, as-of date, horizon); its scores are saved once.

    The result is shared between sessions: treat it as read-only.
    """
    with cursor() as con:
        return churn.score_customers(con, as_of=as_of, horizon_days=horizon_days, save=True)


def importance(result: churn.ScoringResult) -> pd.DataFrame:
    """Global feature importance of the run (see :func:`retention.explain.global_importance`)."""
    return explain.global_importance(result.explanation)


def beeswarm_points(result: churn.ScoringResult) -> pd.DataFrame:
    """Points of the beeswarm chart (see :func:`retention.explain.beeswarm_points`)."""
    return explain.beeswarm_points(result.explanation, result.features)


def export_table(flagged: pd.DataFrame, include_emails: bool) -> pd.DataFrame:
    """The flagged list to download; e-mail addresses are looked up only when the user ticked the box."""
    if not include_emails:
        return churn.export_table(flagged)
    with cursor() as con:
        return churn.export_table(flagged, churn.customer_emails(con, flagged["user_id"].tolist()))
