"""The audience of a campaign: scored customers matching its filters, less its exclusions, and what they are worth.

An audience is built in three steps. The *filters* (risk, country, channel, first-purchase month, revenue band, RFM
segment, chosen customers) say whom the campaign is about. The *exclusions* then remove customers who must not or
should not be contacted, each in the fixed order of :data:`EXCLUSIONS`, so that :func:`exclusion_counts` can say how
many each one removed and the counts add up. Last, the audience is ranked by risk or by expected loss and cut to its
``top_n``.

Members of a campaign whose measurement window is still open are left out of every other audience by default:
contacting its holdout would spoil its measurement, and contacting its treated members twice would blur what
each campaign did. ``Audience.allow_overlap`` takes them in anyway; the launch records that (see
:func:`open_overlap`). Customers on the suppression list (:mod:`retention.campaigns.suppression`) are always left
out: they asked not to be contacted.
"""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb
import pandas as pd

from retention import rfm, warehouse
from retention.campaigns.config import Audience, CampaignConfig
from retention.errors import DataError

AUDIENCE_PARTS = {
    "candidates": "campaign_audience_candidates",
    "open_members": "campaign_open_members",
    "suppressed": "suppressed_users",
    **rfm.PART,
}
# exclusion -> what it removes, in words; in the order they are applied (see campaign_audience_exclusions.sql)
EXCLUSIONS = {
    "suppressed": "On the suppression list",
    "open_campaign": "In a campaign still being measured",
    "excluded_campaigns": "In an excluded campaign",
    "contacted": "Contacted by another campaign in the last {days} days",
    "bought": "Bought in the last {days} days",
    "nonpositive_revenue": "Net revenue zero or negative",
    "lapsed": "Lapsed: no purchase for over {days} days",
    "top_n": "Beyond the top {n}",
}
MATCHED = "Match the filters"
KEPT = "In the audience"
OVERLAP_WARNING = (
    "This launch takes in members of campaigns still being measured: contacting their holdout spoils those "
    "measurements. The campaign records that it was allowed to overlap."
)
NEEDS_SCORES = "Churn scores are needed to build an audience: score customers on the At-risk users page first."


def has_scores(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any churn score is stored."""
    return bool(warehouse.query(con, "campaign_has_scores")["found"].iloc[0])


def select_audience(con: duckdb.DuckDBPyConnection, spec: Audience) -> pd.DataFrame:
    """The scored customers matching ``spec``'s filters that no exclusion removes, ranked by ``spec.rank_by``
    (riskiest first, or largest expected loss first), the first ``spec.top_n`` of them.

    Returns
    -------
    DataFrame with ``user_id``; ``risk`` (churn probability in [0, 1]);
    ``value`` (the scores' value: net revenue in the 12 months up to the
    scores' as_of, currency); ``recency_days``; ``reasons`` (text);
    ``country``, ``channel``; ``cohort`` (first purchase month "YYYY-MM");
    ``past_orders`` (int); ``expected_value`` (average net order value up to
    as_of: net revenue, returns and cancellations subtracted, per purchase
    order; currency, >= 0, 0 without orders); ``expected_loss`` (risk *
    expected_value, currency); ``scores_as_of`` (date);
    ``model_version``; ``score_horizon_days``: the scoring used, the latest
    (newest as_of, then scored last) unless ``spec.scores_as_of`` names one.
    Members of campaigns still being measured are left out unless ``spec.allow_overlap``; with
    ``spec.rfm_segments``, only customers in those RFM segments at the newest order's day (:mod:`retention.rfm`).
    Customers on the suppression list are always left out; the other exclusions as ``spec`` sets them (see
    :func:`exclusion_counts`). Possibly empty.

    Raises
    ------
    DataError
        No scores are stored, or none on ``spec.scores_as_of``.
    """
    _require_scores(con, spec)
    return warehouse.query(con, "campaign_audience", _audience_params(spec), parts=AUDIENCE_PARTS)


def _require_scores(con: duckdb.DuckDBPyConnection, spec: Audience) -> None:
    """DataError when no scores are stored, or none on ``spec.scores_as_of``."""
    if not has_scores(con):
        raise DataError(NEEDS_SCORES)
    if spec.scores_as_of is not None:
        found = warehouse.query(con, "campaign_scores_on", {"as_of": spec.scores_as_of})["scores"].iloc[0]
        if not found:
            raise DataError(f"no churn scores dated {spec.scores_as_of}; pick a scoring date that exists")


def applied_exclusions(spec: Audience) -> dict[str, str]:
    """The exclusions ``spec`` applies, in order: name -> what it removes, in words (see :data:`EXCLUSIONS`)."""
    applied = {
        "suppressed": True,
        "open_campaign": not spec.allow_overlap,
        "excluded_campaigns": bool(spec.exclude_campaigns),
        "contacted": spec.contacted_within_days is not None,
        "bought": spec.bought_within_days is not None,
        "nonpositive_revenue": spec.exclude_nonpositive_revenue,
        "lapsed": spec.lapsed_days is not None,
        "top_n": spec.top_n is not None,
    }
    days = {"contacted": spec.contacted_within_days, "bought": spec.bought_within_days, "lapsed": spec.lapsed_days}
    return {
        name: label.format(days=days.get(name), n=f"{spec.top_n:,}" if spec.top_n else "")
        for name, label in EXCLUSIONS.items()
        if applied[name]
    }


def exclusion_counts(con: duckdb.DuckDBPyConnection, spec: Audience) -> pd.DataFrame:
    """How many customers each exclusion of ``spec`` removes, applied in sequence.

    A customer is counted against the first exclusion (in the order of :data:`EXCLUSIONS`) that removes it; the
    ``top_n`` cut comes last, after the exclusions and the ranking.

    Returns
    -------
    DataFrame with ``step`` ("matched", each applied exclusion's name, then "kept"), ``label`` (in words) and
    ``customers`` (int): on the first row, those matching the filters; on the exclusions' rows, those it removed;
    on the last, those in the audience (``len(select_audience(con, spec))``). The first row's customers equal the
    sum of the others'.

    Raises
    ------
    DataError
        No scores are stored, or none on ``spec.scores_as_of``.
    """
    _require_scores(con, spec)
    counts = warehouse.query(con, "campaign_audience_exclusions", _audience_params(spec), parts=AUDIENCE_PARTS)
    removed = {name: int(counts[name].iloc[0]) for name in EXCLUSIONS if name != "top_n"}
    before_cut = int(counts["kept"].iloc[0])
    kept = before_cut if spec.top_n is None else min(before_cut, spec.top_n)
    removed["top_n"] = before_cut - kept
    labels = applied_exclusions(spec)
    rows = [("matched", MATCHED, int(counts["matched"].iloc[0]))]
    rows += [(name, label, removed[name]) for name, label in labels.items()]
    rows.append(("kept", KEPT, kept))
    return pd.DataFrame(rows, columns=["step", "label", "customers"]).astype({"customers": "int64"})


def exclusions_removed(counts: pd.DataFrame) -> dict[str, int]:
    """The exclusions' rows of :func:`exclusion_counts` as stored with a launched campaign: name -> removed."""
    steps = counts[~counts["step"].isin(["matched", "kept"])]
    return {str(step): int(customers) for step, customers in zip(steps["step"], steps["customers"], strict=True)}


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
        "contacted_within_days": spec.contacted_within_days,
        "bought_within_days": spec.bought_within_days,
        "exclude_nonpositive_revenue": spec.exclude_nonpositive_revenue,
        "lapsed_days": spec.lapsed_days,
        "rank_by": spec.rank_by,
        **rfm.params(),
    }


def launched_exclusions(con: duckdb.DuckDBPyConnection, campaign_id: int) -> dict[str, int]:
    """What each exclusion removed when campaign ``campaign_id`` was launched, as :func:`exclusions_removed` stored
    it (in the order applied); empty for a draft, a campaign launched before these counts were kept, or an unknown
    id."""
    found = warehouse.query(con, "campaign_exclusions", {"campaign_id": int(campaign_id)})
    if found.empty or pd.isna(found["exclusions"].iloc[0]):
        return {}
    return {str(name): int(customers) for name, customers in json.loads(found["exclusions"].iloc[0]).items()}


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
    ``expected_value``, ``expected_loss``) to 2, ``recency_days`` whole, and no ``-0.0``."""
    table = frame.copy()
    money = {"value": 2, "expected_value": 2, "expected_loss": 2}
    for column, decimals in {"risk": 4, **money, "recency_days": 0}.items():
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
    if spec.contacted_within_days is not None:
        parts.append(f"not contacted in the last {spec.contacted_within_days} days")
    if spec.bought_within_days is not None:
        parts.append(f"no purchase in the last {spec.bought_within_days} days")
    if spec.exclude_nonpositive_revenue:
        parts.append("net revenue above 0")
    if spec.lapsed_days is not None:
        parts.append(f"a purchase in the last {spec.lapsed_days} days")
    if spec.top_n is not None:
        parts.append(f"top {spec.top_n} by {spec.rank_by.replace('_', ' ')}")
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
