"""Hand-overs to the campaign builder (:mod:`retention.campaigns.handoff`): the audience a cohort cell, an RFM
segment or the At-risk list starts holds the very customers the page listed.

The oracles are independent of the library: a cohort cell's lost users are counted here from the order lines in
pandas, and the At-risk list is the known scores of ``test_campaigns_fixtures`` filtered in pandas.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_campaigns_fixtures import add_scores, scored_copy

from retention import churn, cohorts, rfm, warehouse
from retention.campaigns import Audience, select_audience
from retention.campaigns.handoff import HANDED_FIELDS, AtRiskFilter, at_risk, cohort_cell, from_customers, rfm_segment
from retention.errors import DataError


@pytest.fixture(scope="module")
def con(sample_db, tmp_path_factory):
    connection = warehouse.connect(scored_copy(sample_db, tmp_path_factory.mktemp("handoff")))
    yield connection
    connection.close()


def _audience_ids(con, audience: Audience) -> list[str]:
    return select_audience(con, audience)["user_id"].tolist()


def _scored(con) -> pd.DataFrame:
    scores = churn.latest_scores(con)
    users = con.execute("SELECT user_id, country, channel FROM users").df()
    return scores.merge(users, on="user_id", how="left")


def _lost_in_month(orders: pd.DataFrame, cohort: pd.Timestamp, month: int) -> set[str]:
    """Users whose first purchase fell in ``cohort``'s month and who bought nothing ``month`` months later."""
    purchases = orders[orders["quantity"] > 0].assign(month=lambda frame: frame["ts"].dt.to_period("M"))
    first = purchases.groupby("user_id")["month"].min()
    members = set(first[first == cohort.to_period("M")].index)
    later = cohort.to_period("M") + month
    active = set(purchases.loc[purchases["month"] == later, "user_id"])
    return members - active


def test_a_cohort_cell_hands_over_its_users(con, sample_frames):
    first, last = cohorts.data_range(con)
    start, end = cohorts.default_cohort_range(first, last, "month")
    query = cohorts.CohortQuery(period="month", cohort_start=start, cohort_end=end)
    cohort = cohorts.cohort_table(con, query).cohort_starts[1]
    users = cohorts.cell_users(con, query, cohort=cohort, period_index=2, retained=False)
    expected = _lost_in_month(sample_frames["orders"], pd.Timestamp(cohort), 2)
    assert set(users["user_id"]) == expected and expected  # the page's list, counted from the order lines

    handover = cohort_cell(users, cohort, "Month 2", "lost")
    assert handover.customers == len(expected)
    assert handover.source == f"cohort {pd.Timestamp(cohort):%Y-%m-%d}, Month 2, lost users"
    assert handover.audience.min_risk == 0.0 and set(handover.audience.user_ids) == expected
    scored = set(churn.latest_scores(con)["user_id"])
    assert set(_audience_ids(con, handover.audience)) == expected & scored


def test_an_rfm_segment_hands_over_its_customers(con):
    as_of = rfm.day_range(con)[1] - pd.Timedelta(days=30)
    members = rfm.customers(con, as_of, segments=("At risk",))
    everyone = rfm.customers(con, as_of)
    expected = set(everyone.loc[everyone["segment"] == "At risk", "user_id"])
    assert set(members["user_id"]) == expected and expected

    handover = rfm_segment(members, "At risk", as_of)
    assert handover.customers == len(expected) and handover.source == f"RFM segment At risk on {as_of:%Y-%m-%d}"
    assert set(_audience_ids(con, handover.audience)) == expected & set(churn.latest_scores(con)["user_id"])


def _shown(scores: pd.DataFrame, **filters) -> AtRiskFilter:
    first = scores.iloc[0]
    return AtRiskFilter(
        as_of=first["as_of"], horizon_days=int(first["horizon_days"]), model_version=first["model_version"], **filters
    )


def test_the_at_risk_list_hands_over_its_filters_when_the_campaign_reads_its_scoring(con):
    scores = _scored(con)
    country = scores["country"].value_counts().index[0]
    shown = _shown(scores, threshold=0.55, countries=(country,))
    in_country = scores[scores["country"] == country]
    flagged = churn.flag(in_country, threshold=0.55)
    expected = in_country.loc[in_country["risk"] >= 0.55, "user_id"]
    assert set(flagged["user_id"]) == set(expected)

    handover = at_risk(con, flagged, shown)
    assert handover.audience == Audience(min_risk=0.55, countries=(country,), scores_as_of=shown.as_of)
    assert handover.customers == len(expected)
    assert "risk >= 55%" in handover.source and f"country in {country}" in handover.source
    assert sorted(_audience_ids(con, handover.audience)) == sorted(expected)


def test_the_at_risk_top_n_hands_over_the_same_customers(con):
    scores = _scored(con)
    channel = scores["channel"].dropna().iloc[0]
    shown = _shown(scores, top=25, channels=(channel,))
    in_channel = scores[scores["channel"] == channel]
    flagged = churn.flag(in_channel, top=25)
    expected = in_channel.sort_values(["risk", "user_id"], ascending=[False, True])["user_id"].head(25)

    handover = at_risk(con, flagged, shown)
    assert handover.audience.top_n == 25 and handover.audience.min_risk == 0.0 and not handover.audience.user_ids
    assert _audience_ids(con, handover.audience) == expected.tolist()


def test_the_at_risk_list_of_another_scoring_hands_over_its_customers(con, tmp_path, sample_db):
    """A later scoring of the same date (another model) is what a campaign would read: the page's list of the
    earlier one is handed over as customers, not as filters that would pick others."""
    path = scored_copy(sample_db, tmp_path)
    with warehouse.connect(path) as other:
        earlier = _scored(other)
        other.execute("DELETE FROM scores")
        add_scores(other, model_version="test-v2")
        other.execute("UPDATE scores SET scored_at = scored_at + INTERVAL 1 DAY")
        add_scores(other, model_version="test-v1")
        other.execute("UPDATE scores SET risk = 1 - risk WHERE model_version = 'test-v2'")
        flagged = churn.flag(earlier, threshold=0.6)
        handover = at_risk(other, flagged, _shown(earlier, threshold=0.6))
        assert set(handover.audience.user_ids) == set(flagged["user_id"])
        picked = select_audience(other, handover.audience)
    assert (picked["model_version"] == "test-v2").all()  # the campaign's scoring, restricted to the page's list
    assert set(picked["user_id"]) == set(flagged["user_id"])


def test_nothing_to_send_is_an_error(con):
    scores = _scored(con)
    with pytest.raises(DataError, match="nobody is flagged"):
        at_risk(con, scores.head(0), _shown(scores, threshold=1.0))
    with pytest.raises(DataError, match="lists no customer"):
        from_customers(pd.DataFrame({"user_id": []}), "cohort 2024-01-01, Month 1, lost users")


def test_a_hand_over_sets_only_its_fields():
    handed = {field.name for field in dataclasses.fields(Audience)} & set(HANDED_FIELDS)
    assert handed == set(HANDED_FIELDS)
