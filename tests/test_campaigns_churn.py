"""Campaigns on real churn scores: the audience is the At-risk page's latest scoring run."""

from __future__ import annotations

import shutil

import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns, churn, warehouse
from retention.campaigns.config import parse_config


@pytest.fixture(scope="module")
def con(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("campaign_churn") / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    connection = warehouse.connect(path)
    churn.score_customers(connection, horizon_days=60)
    yield connection
    connection.close()


def test_audience_and_members_come_from_the_latest_scores(con):
    latest = churn.latest_scores(con)
    config = parse_config(basic_config(audience={"min_risk": 0.3}))
    audience = campaigns.select_audience(con, config.audience)
    expected = latest[latest["risk"] >= 0.3]
    assert sorted(audience["user_id"]) == sorted(expected["user_id"])
    assert audience.set_index("user_id")["risk"].to_dict() == pytest.approx(
        expected.set_index("user_id")["risk"].to_dict()
    )
    assert (audience["model_version"] == latest["model_version"].iloc[0]).all()

    result = campaigns.launch(con, config)
    members = con.execute(
        "SELECT user_id, reasons FROM campaign_members WHERE campaign_id = ?", [result.campaign_id]
    ).df()
    reasons = latest.set_index("user_id")["reasons"]
    assert (members["reasons"].to_numpy() == reasons.loc[members["user_id"]].to_numpy()).all()
    stored = campaigns.get_campaign(con, result.campaign_id)
    assert stored["scores_model_version"] == latest["model_version"].iloc[0]
