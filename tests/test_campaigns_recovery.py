"""End to end: launch on a generated shop, append a response with a known true uplift, measure it back."""

from __future__ import annotations

import pandas as pd
import pytest
from test_campaigns_fixtures import add_scores, basic_config

from retention import campaigns, sample, warehouse
from retention.campaigns import bandit
from retention.campaigns.config import parse_config
from retention.campaigns.response import parse_true_uplift, simulate_response
from retention.errors import DataError

TRUTH = {"discount": 0.25, "recs": 0.0}


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """A 3,000-user shop, scored, with one launched campaign and its simulated response loaded."""
    path = tmp_path_factory.mktemp("campaign_recovery") / "warehouse.duckdb"
    con = warehouse.connect(path)
    sample.load_frames(con, sample.generate(users=3000, months=12, seed=5), source="recovery test")
    add_scores(con)
    config = parse_config(basic_config(holdout_share=0.3, audience={}))
    result = campaigns.launch(con, config, idempotency_key="recovery")
    simulate_response(con, result.campaign_id, TRUTH, seed=1)
    yield con, result.campaign_id
    con.close()


def test_measurement_recovers_the_true_uplift(launched):
    con, campaign_id = launched
    measurement = campaigns.measure(con, campaign_id)
    assert measurement.complete
    table = measurement.table.set_index("arm")
    assert table.loc["control", "members"] > 500
    for arm, truth in TRUTH.items():
        assert table.loc[arm, "uplift_low"] <= truth <= table.loc[arm, "uplift_high"], table.loc[arm]
    assert table.loc["discount", "uplift_low"] > 0  # a real effect is detected
    assert table.loc["discount", "retention_p"] < 0.05

    # The expected retention difference from the stored risks: arm members stay with 1 - p (1 - u).
    members = con.execute("SELECT arm, risk FROM campaign_members WHERE campaign_id = ?", [campaign_id]).df()
    stay = members.assign(stay=1 - members["risk"]).groupby("arm")["stay"].mean()
    for arm, truth in TRUTH.items():
        arm_risk = members.loc[members["arm"] == arm, "risk"]
        expected = (1 - arm_risk * (1 - truth)).mean() - stay["control"]
        assert table.loc[arm, "retention_diff_low"] <= expected <= table.loc[arm, "retention_diff_high"]


def test_outcomes_match_pandas_on_the_raw_orders(launched):
    con, campaign_id = launched
    campaign = campaigns.get_campaign(con, campaign_id)
    start = pd.Timestamp(campaign["start_ts"])
    end = start + pd.Timedelta(days=int(campaign["horizon_days"]))
    orders = con.execute("SELECT user_id, order_id, ts, quantity, unit_price FROM orders").df()
    window = orders[(orders["ts"] > start) & (orders["ts"] <= end)]
    # An order is a purchase when one of its lines has quantity > 0.
    purchase = window.assign(purchase=window["quantity"] > 0).groupby(["user_id", "order_id"])["purchase"].any()
    per_user = purchase[purchase].groupby("user_id").size()
    members = con.execute("SELECT user_id, arm FROM campaign_members WHERE campaign_id = ?", [campaign_id]).df()
    members["orders"] = members["user_id"].map(per_user).fillna(0)
    expected = members.groupby("arm").agg(members=("orders", "size"), retained=("orders", lambda o: int((o > 0).sum())))
    table = campaigns.measure(con, campaign_id).table.set_index("arm")
    assert table["members"].to_dict() == expected["members"].to_dict()
    assert table["retained"].to_dict() == expected["retained"].to_dict()
    revenue = window.assign(value=window["quantity"] * window["unit_price"]).groupby("user_id")["value"].sum()
    members["revenue"] = members["user_id"].map(revenue).fillna(0.0)
    for arm, group in members.groupby("arm"):
        assert table.loc[arm, "revenue_per_member"] == pytest.approx(group["revenue"].mean())
    assert table.loc["discount", "orders_per_member"] == pytest.approx(
        members.loc[members["arm"] == "discount", "orders"].mean()
    )


def test_thompson_prefers_the_arm_that_worked_and_the_result_is_recorded(launched):
    con, campaign_id = launched
    measurement = campaigns.measure(con, campaign_id)
    split = bandit.thompson_split(measurement.table, holdout_share=0.1).set_index("arm")
    assert split.loc["discount", "p_best"] > 0.95
    assert split.loc["discount", "share"] > split.loc["recs", "share"]
    campaigns.record(con, measurement)
    assert campaigns.get_campaign(con, campaign_id)["status"] == "measured"
    assert con.execute("SELECT count(*) FROM campaign_results WHERE campaign_id = ?", [campaign_id]).fetchone()[0] == 3
    wave = bandit.next_wave_config(campaigns.campaign_config(con, campaign_id), campaign_id, split["share"].to_dict())
    # Everyone scored was in the first wave, so the second wave's audience is empty.
    with pytest.raises(DataError, match="audience is empty"):
        campaigns.launch(con, wave)


def test_the_same_response_is_not_loaded_twice(launched):
    con, campaign_id = launched
    orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    with pytest.raises(DataError, match="already imported"):
        simulate_response(con, campaign_id, TRUTH, seed=1)
    with pytest.raises(DataError, match="has no arm"):
        simulate_response(con, campaign_id, {"sms": 0.1}, seed=2)
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == orders


def test_parse_true_uplift():
    assert parse_true_uplift("discount=0.05, recs=0.1") == {"discount": 0.05, "recs": 0.1}
    with pytest.raises(DataError, match="ARM=NUMBER"):
        parse_true_uplift("discount")
    with pytest.raises(DataError, match="not a number"):
        parse_true_uplift("discount=lots")
