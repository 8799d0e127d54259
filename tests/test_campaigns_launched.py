"""A launched campaign's description and files: the same files on every download, labels instead of ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns
from retention.campaigns import launched, plan
from retention.campaigns.config import parse_config
from retention.charts import campaigns as charts
from retention.errors import DataError


@pytest.fixture
def con(scored_con):
    return scored_con


def _with_run(con) -> dict:
    """The basic config with its recommendations arm on a saved popularity run (so exports carry items)."""
    from retention.recommend import evaluate, runs

    run_id = runs.save_run(con, evaluate.evaluate_model("popularity", evaluate.time_split(con), k=5))
    data = basic_config()
    data["arms"][1]["recommender_run"] = run_id
    return data


def test_re_downloading_gives_byte_identical_files(con, tmp_path):
    result = campaigns.launch(con, parse_config(_with_run(con)))
    first = campaigns.write_exports(con, result.campaign_id, tmp_path / "first")
    # Another recommender run and another campaign later: the launched campaign's files do not change.
    _with_run(con)
    campaigns.launch(
        con,
        parse_config(basic_config(name="Later", audience={"min_risk": 0.1, "allow_overlap": True}, holdout_share=0.3)),
    )
    again = campaigns.write_exports(con, result.campaign_id, tmp_path / "again")
    assert [path.name for path in first] == [path.name for path in again] and len(first) == 2
    for old, new in zip(first, again, strict=True):
        assert old.read_bytes() == new.read_bytes()
    discount = pd.read_csv(first[0], dtype=str, keep_default_na=False)
    recs = pd.read_csv(first[1], dtype=str, keep_default_na=False)
    assert discount["offer_code"].str.len().gt(0).all() and discount["offer_code"].is_unique
    assert recs["recommended_items"].str.len().gt(0).all()


def test_a_launched_campaign_is_described_as_stored(con):
    config = parse_config(basic_config())
    result = campaigns.launch(con, config)
    stored = {"recently_contacted": 12, "suppressed": 3}
    con.execute("UPDATE campaigns SET exclusions = ? WHERE campaign_id = ?", [json.dumps(stored), result.campaign_id])
    described = launched.describe(con, result.campaign_id)
    members, holdout = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE arm = 'control') FROM campaign_members WHERE campaign_id = ?",
        [result.campaign_id],
    ).fetchone()
    assert (described.members, described.holdout, described.contacted) == (members, holdout, members - holdout)
    assert described.holdout_share == 0.2 and described.status == "launched"
    assert described.arms["arm"].tolist() == ["control", "discount", "recs"]
    assert described.arms["label"].tolist() == ["Control (holdout)", "discount", "recs"]
    assert described.arms["members"].sum() == members
    assert described.exclusions == json.dumps(stored) and described.exclusion_counts == stored
    sentence = launched.summary(described)
    assert sentence.startswith(f'Campaign #{result.campaign_id} "Win back" (launched ')
    assert f"{members:,} members in 2 arms, {holdout:,} (20% planned) held out" in sentence


def test_drafts_have_no_files_and_the_newest_launched_comes_first(con):
    draft = campaigns.save_draft(con, parse_config(basic_config(name="Draft")))
    with pytest.raises(DataError, match=f"campaign {draft} is a draft"):
        launched.describe(con, draft)
    with pytest.raises(DataError, match="no campaign with id 99"):
        launched.describe(con, 99)
    assert launched.newest_launched(campaigns.list_campaigns(con)) is None
    first = campaigns.launch(con, parse_config(basic_config(audience={"min_risk": 0.9}))).campaign_id
    second = campaigns.launch(con, parse_config(basic_config(audience={"min_risk": 0.5}))).campaign_id
    listing = campaigns.list_campaigns(con)
    assert launched.with_files(listing)["campaign_id"].tolist() == [second, first]
    assert launched.newest_launched(listing) == second
    campaigns.close(con, second)
    assert launched.newest_launched(campaigns.list_campaigns(con)) == first  # the newest still being measured
    campaigns.close(con, first)
    assert launched.newest_launched(campaigns.list_campaigns(con)) == second


def test_arm_labels_name_templates_custom_names_and_the_control():
    page_style = parse_config(
        basic_config(
            arms=[
                {"name": "discount_email", "template": "discount_email", "uplift": [0.0, 0.05, 0.1]},
                {"name": "win_back_vip", "template": "recommendations_email", "uplift": [0.0, 0.03, 0.06]},
            ]
        )
    )
    labels = plan.arm_labels(page_style)
    assert labels == {
        "control": "Control (holdout)",
        "discount_email": campaigns.ARM_TEMPLATES["discount_email"].label,
        "win_back_vip": "win_back_vip",
    }
    table = pd.DataFrame({"arm": ["control", "discount_email", "gone"], "retention": [0.1, 0.2, 0.3]})
    shown = plan.labelled(table, page_style)
    assert shown.columns.tolist() == ["arm", "label", "retention"]
    assert shown["label"].tolist() == ["Control (holdout)", labels["discount_email"], "gone"]
    assert table.columns.tolist() == ["arm", "retention"]  # the caller's frame is left alone
    results = pd.DataFrame(
        {
            "arm": ["control", "discount_email"],
            "retention_diff": [float("nan"), 0.02],
            "retention_diff_low": [float("nan"), 0.01],
            "retention_diff_high": [float("nan"), 0.03],
        }
    )
    assert list(charts.arm_differences(results, labels).data[0].y) == [labels["discount_email"]]
    post = pd.DataFrame({"arm": ["control"], "alpha": [3.0], "beta": [7.0], "low": [0.1], "high": [0.5]})
    assert charts.posterior_curves(post, labels=labels).data[0].name == "Control (holdout)"


def test_the_launch_question_counts_members_contacted_and_holdout(con):
    config = parse_config(basic_config())
    members = campaigns.plan_members(campaigns.select_audience(con, config.audience), config)
    question = plan.launch_question(config, plan.arm_counts(members, config))
    contacted = (members["arm"] != "control").sum()
    assert question == (
        f"Launch Win back? {len(members):,} customers: {contacted:,} contacted in 2 arms, "
        "20% held out and never contacted."
    )
