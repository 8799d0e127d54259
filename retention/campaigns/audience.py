"""The audience of a campaign: scored customers matching its filters, and what they are worth.

Members of a campaign whose measurement window is still open are left out of every other audience by default:
contacting its holdout would spoil its measurement, and contacting its treated members twice would blur what
each campaign did. ``Audience.allow_overlap`` takes them in anyway; the launch records that (see
:func:`open_overlap`).
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from retention import rfm, warehouse
from retention.campaigns.config import Audience, CampaignConfig
from retention.errors import DataError

AUDIENCE_PARTS = {"open_members": "campaign_open_members", **rfm.PART}
OVERLAP_WARNING = (
    "This launch takes in members of campaigns still being measured: contacting their holdout spoils those "
    "measurements. The campaign records that it was allowed to overlap."
)
NEEDS_SCORES = "Churn scores are needed to build an audience: score customers on the At-risk users page first."


def has_scores(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any churn score is stored."""
    return bool(warehouse.query(con, "campaign_has_scores")["found"].iloc[0])


def select_audience(con: duckdb.DuckDBPyConnection, spec: Audience) -> pd.DataFrame:
    """The scored customers matching ``spec``, riskiest first.

    Returns
    -------
    DataFrame with ``user_id``; ``risk`` (churn probability in [0, 1]);
    ``value`` (the scores' value: net revenue in the 12 months up to the
    scores' as_of, currency); ``recency_days``; ``reasons`` (text);
    ``country``, ``channel``; ``cohort`` (first purchase month "YYYY-MM");
    ``past_orders`` (int); ``expected_value`` (average net order value up to
    as_of: net revenue, returns and cancellations subtracted, per purchase
    order; currency, >= 0, 0 without orders); ``scores_as_of`` (date);
    ``model_version``; ``score_horizon_days``: the scoring used, the latest
    (newest as_of, then scored last) unless ``spec.scores_as_of`` names one.
    Members of campaigns still being measured are left out unless ``spec.allow_overlap``; with
    ``spec.rfm_segments``, only customers in those RFM segments at the newest order's day (:mod:`retention.rfm`).
    Possibly empty.

    Raises
    ------
    DataError
        No scores are stored, or none on ``spec.scores_as_of``.
    """
    if not has_scores(con):
        raise DataError(NEEDS_SCORES)
    if spec.scores_as_of is not None:
        found = warehouse.query(con, "campaign_scores_on", {"as_of": spec.scores_as_of})["scores"].iloc[0]
        if not found:
            raise DataError(f"no churn scores dated {spec.scores_as_of}; pick a scoring date that exists")
    return warehouse.query(con, "campaign_audience", _audience_params(spec), parts=AUDIENCE_PARTS)


def _audience_params(spec: Audience) -> dict[str, object]:
    return {
        "scores_as_of": spec.scores_as_of,
        "min_risk": spec.min_risk,
        "countries": list(spec.countries),
        "channels": list(spec.channels),
        "cohort": spec.cohort,
        "min_value": spec.min_value,
        "max_value": spec.max_value,
        "exclude_campaigns": list(spec.exclude_campaigns),
        "top_n": spec.top_n,
        "allow_overlap": spec.allow_overlap,
        "rfm_segments": list(spec.rfm_segments),
        "user_ids": list(spec.user_ids),
        **rfm.params(),
    }


def allowing_overlap(config: CampaignConfig, allowed: bool = True) -> CampaignConfig:
    """A copy of ``config`` whose audience takes (``allowed``) or leaves out members of campaigns still being
    measured."""
    return replace(config, audience=replace(config.audience, allow_overlap=allowed))


def open_overlap(con: duckdb.DuckDBPyConnection, spec: Audience) -> pd.DataFrame:
    """The customers matching ``spec``'s filters (before its ``top_n``) who are members of campaigns whose
    measurement window is still open: those a launch leaves out by default, or takes in with ``allow_overlap``.

    Returns
    -------
    DataFrame with one row per (customer, open campaign): ``user_id``, ``campaign_id``, ``name`` (the
    campaign's), ``arm`` (``"control"`` for its holdout), ``window_end`` (timestamp). Possibly empty.
    """
    if not has_scores(con):
        raise DataError(NEEDS_SCORES)
    params = _audience_params(replace(spec, allow_overlap=True, top_n=None))
    return warehouse.query(
        con, "campaign_audience_overlap", params, parts={"audience": "campaign_audience", **AUDIENCE_PARTS}
    )


def overlap_by_campaign(overlap: pd.DataFrame) -> pd.DataFrame:
    """:func:`open_overlap` per open campaign: ``campaign_id``, ``name``, ``window_end``, ``customers`` and
    ``holdout`` (those of them in its never-contact control), ints; ascending by campaign id."""
    frame = overlap.assign(holdout=overlap["arm"].eq("control"))
    return (
        frame.groupby(["campaign_id", "name", "window_end"], as_index=False)
        .agg(customers=("user_id", "size"), holdout=("holdout", "sum"))
        .astype({"customers": "int64", "holdout": "int64"})
    )


def describe_overlap(overlap: pd.DataFrame) -> str:
    """:func:`open_overlap` in words ("" when empty): how many customers, in which campaigns, how many of them
    in a holdout."""
    if overlap.empty:
        return ""
    campaigns = "; ".join(
        f"{row.customers:,} in campaign {row.campaign_id} {row.name!r} ({row.holdout:,} of its holdout), "
        f"measured until {pd.Timestamp(row.window_end):%Y-%m-%d}"
        for row in overlap_by_campaign(overlap).itertuples()
    )
    customers = overlap["user_id"].nunique()
    return f"{customers:,} customers of this audience are in campaigns still being measured: {campaigns}"


def describe_scoring(frame: pd.DataFrame) -> str:
    """Which churn scoring an audience comes from, in words ("" for an empty audience):
    'Churn scores as of 2011-12-09 (90-day horizon, model hgb3-h90-1a2b3c4d)'."""
    if frame.empty:
        return ""
    first = frame.iloc[0]
    return (
        f"Churn scores as of {pd.Timestamp(first['scores_as_of']):%Y-%m-%d} "
        f"({int(first['score_horizon_days'])}-day horizon, model {first['model_version']})"
    )


def for_download(frame: pd.DataFrame) -> pd.DataFrame:
    """The audience as people take it away: a copy with ``risk`` to 4 decimals, money (``value``,
    ``expected_value``) to 2, ``recency_days`` whole, and no ``-0.0``."""
    table = frame.copy()
    for column, decimals in {"risk": 4, "value": 2, "expected_value": 2, "recency_days": 0}.items():
        if column in table.columns:
            table[column] = table[column].astype(float).round(decimals) + 0.0
    return table


def describe_filters(spec: Audience) -> str:
    """The filters in words, for messages ("risk >= 0.5, country in ['UK']")."""
    parts = []
    if spec.min_risk is not None:
        parts.append(f"risk >= {spec.min_risk:g}")
    if spec.countries:
        parts.append(f"country in {list(spec.countries)}")
    if spec.channels:
        parts.append(f"channel in {list(spec.channels)}")
    if spec.cohort:
        parts.append(f"first purchase in {spec.cohort}")
    if spec.min_value is not None:
        parts.append(f"net revenue >= {spec.min_value:g}")
    if spec.max_value is not None:
        parts.append(f"net revenue <= {spec.max_value:g}")
    if spec.rfm_segments:
        parts.append(f"RFM segment in {list(spec.rfm_segments)}")
    if spec.user_ids:
        parts.append(f"one of {len(spec.user_ids):,} chosen customers")
    if spec.exclude_campaigns:
        parts.append(f"not in campaigns {list(spec.exclude_campaigns)}")
    if spec.top_n is not None:
        parts.append(f"top {spec.top_n} by risk")
    return ", ".join(parts) or "no filter"


def require_members(frame: pd.DataFrame, spec: Audience) -> pd.DataFrame:
    """``frame`` itself, or a DataError naming the filters when it is empty."""
    if frame.empty:
        raise DataError(
            f"the audience is empty: no scored customer matches {describe_filters(spec)}; loosen the filters"
        )
    return frame


def summary(frame: pd.DataFrame) -> dict[str, float]:
    """Size and worth of an audience: ``customers`` (int), ``past_revenue`` (currency), ``mean_risk`` in [0, 1]
    (NaN when empty) and ``expected_churners`` (sum of risks)."""
    return {
        "customers": len(frame),
        "past_revenue": float(frame["value"].sum()),
        "mean_risk": float(frame["risk"].mean()) if len(frame) else float("nan"),
        "expected_churners": float(frame["risk"].sum()),
    }


def options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values each audience filter can take: ``country``, ``channel``, ``cohort``, ``scores_as_of``."""
    frame = warehouse.query(con, "campaign_audience_options")
    found = {kind: group["value"].astype(str).tolist() for kind, group in frame.groupby("kind")}
    return {kind: found.get(kind, []) for kind in ("country", "channel", "cohort", "scores_as_of")}
