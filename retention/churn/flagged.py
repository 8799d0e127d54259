"""The flagged list: who is at risk by threshold or top N, segment filters, and the list as people take it away."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from retention import warehouse
from retention.churn.features import CATEGORICAL_FEATURES
from retention.errors import DataError

# The flagged list as people take it away: what the table on screen shows, then which scoring it comes from.
EXPORT_COLUMNS = {
    "user_id": "user_id",
    "risk": "risk",
    "recency_days": "days_since_last_purchase",
    "orders": "orders",
    "value": "net_revenue_12m",
    "country": "country",
    "channel": "channel",
    "reasons": "reasons",
    "as_of": "scores_as_of",
    "horizon_days": "horizon_days",
    "model_version": "model_version",
}


def flag(scores: pd.DataFrame, *, threshold: float | None = None, top: int | None = None) -> pd.DataFrame:
    """The customers flagged at risk: ``risk >= threshold``, or the ``top`` riskiest; riskiest first.

    Exactly one of ``threshold`` (in [0, 1]) and ``top`` (>= 0) is given. Ties
    at the cut of ``top`` are broken by ``user_id``.

    Raises
    ------
    DataError
        Both or neither given, or a value out of range.
    """
    if (threshold is None) == (top is None):
        raise DataError("flag customers either by a risk threshold or by a top-N count, not both")
    ordered = (
        scores if _ranked(scores) else scores.sort_values(["risk", "user_id"], ascending=[False, True], kind="stable")
    )
    if threshold is not None:
        if not 0.0 <= threshold <= 1.0:
            raise DataError(f"the risk threshold must be between 0 and 1, got {threshold}")
        return ordered[ordered["risk"] >= threshold].reset_index(drop=True)
    if top < 0:
        raise DataError(f"top must be a count of customers (0 or more), got {top}")
    return ordered.head(top).reset_index(drop=True)


def _ranked(scores: pd.DataFrame) -> bool:
    """Whether ``scores`` is riskiest first, ties by user id, already (as a run's scores are): a million rows are
    checked in milliseconds, where sorting them again takes a second or two."""
    risk = scores["risk"].to_numpy(dtype=np.float64)
    if np.isnan(risk).any():
        return False
    step = np.diff(risk)
    if (step > 0).any():
        return False
    ties = np.flatnonzero(step == 0)
    users = scores["user_id"].to_numpy(dtype=object)
    return bool(np.all(users[ties] < users[ties + 1]))


def filter_segments(scores: pd.DataFrame, **allowed: Sequence[str] | None) -> pd.DataFrame:
    """Rows whose segment columns take one of the allowed values (None or empty: no filter on that column).

    Example: ``filter_segments(scores, channel=["social"], country=None)``.

    Raises
    ------
    DataError
        A keyword that is not a segment column of ``scores``.
    """
    mask = np.ones(len(scores), dtype=bool)
    for column, values in allowed.items():
        if column not in CATEGORICAL_FEATURES or column not in scores.columns:
            raise DataError(f"{column!r} is not a segment column; choose from {', '.join(CATEGORICAL_FEATURES)}")
        if values:
            mask &= scores[column].isin(list(values)).to_numpy()
    return scores[mask].reset_index(drop=True)


def segment_options(scores: pd.DataFrame) -> dict[str, list[str]]:
    """The values each segment column takes among the scored customers, sorted (for filter widgets)."""
    return {column: sorted(scores[column].dropna().astype(str).unique()) for column in CATEGORICAL_FEATURES}


def flagged_summary(scores: pd.DataFrame, flagged: pd.DataFrame) -> dict[str, float]:
    """customers and value flagged, with their shares of all scored customers and of all value (in [0, 1])."""
    total_value = float(scores["value"].clip(lower=0).sum())
    flagged_value = float(flagged["value"].clip(lower=0).sum())
    return {
        "customers": int(len(flagged)),
        "customer_share": len(flagged) / len(scores) if len(scores) else 0.0,
        "value": float(flagged["value"].sum()),
        "value_share": flagged_value / total_value if total_value > 0 else 0.0,
    }


def customer_emails(con: duckdb.DuckDBPyConnection, user_ids: Sequence[str]) -> pd.DataFrame:
    """Columns ``user_id`` and ``email`` (missing when the users table has none) of the given customers."""
    return warehouse.query(con, "churn_emails", {"user_ids": list(user_ids)})


def for_people(values: pd.Series, decimals: int) -> pd.Series:
    """Numbers rounded for a person: ``decimals`` places, and no ``-0.0`` (a negative zero becomes 0.0)."""
    return values.astype(np.float64).round(decimals) + 0.0


def scoring_label(as_of: object, horizon_days: object, model_version: object) -> str:
    """Which scoring a list comes from, in words: 'scores as of 2011-12-09, 90-day horizon, model hgb3-h90-1a2b'."""
    return f"scores as of {pd.Timestamp(as_of):%Y-%m-%d}, {int(horizon_days)}-day horizon, model {model_version}"


def export_table(flagged: pd.DataFrame, emails: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flagged list as users take it away, riskiest first: what the table on screen shows and which scoring
    it comes from.

    Returns
    -------
    DataFrame
        ``user_id``; ``risk`` (probability in [0, 1], 4 decimals);
        ``days_since_last_purchase`` and ``orders`` (whole numbers);
        ``net_revenue_12m`` (currency, 2 decimals); ``country``; ``channel``;
        ``reasons``; ``scores_as_of`` (date), ``horizon_days`` and
        ``model_version`` (the scoring); plus ``email`` only when an
        ``emails`` frame (``user_id``, ``email``) is given. No ``-0.0``.
    """
    table = flagged[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS)
    table["risk"] = for_people(table["risk"], 4)
    table["net_revenue_12m"] = for_people(table["net_revenue_12m"], 2)
    table["days_since_last_purchase"] = table["days_since_last_purchase"].round().astype("Int64")
    table["orders"] = table["orders"].astype("Int64")
    table["scores_as_of"] = pd.to_datetime(table["scores_as_of"]).dt.date
    if emails is not None:
        table = table.merge(emails[["user_id", "email"]], on="user_id", how="left")
    return table.reset_index(drop=True)
