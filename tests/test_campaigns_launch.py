"""Launching: one transaction, idempotency, reproducible stratified assignment, exports, bad input."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns, warehouse
from retention.campaigns.assign import assign_arms
from retention.campaigns.config import parse_config
from retention.campaigns.launch import set_status
from retention.errors import DataError


@pytest.fixture
def con(scored_con):
    return scored_con


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_launch_writes_campaign_arms_and_members(con):
    config = parse_config(basic_config())
    audience = campaigns.select_audience(con, config.audience)
    result = campaigns.launch(con, config)
    assert result.created
    campaign = campaigns.get_campaign(con, result.campaign_id)
    assert campaign["status"] == "launched"
    assert pd.Timestamp(campaign["start_ts"]) == warehouse.data_range(con)[1]
    members = con.execute("SELECT * FROM campaign_members WHERE campaign_id = ?", [result.campaign_id]).df()
    assert sorted(members["user_id"]) == sorted(audience["user_id"])
    assert set(members["arm"]) == {"control", "discount", "recs"}
    assert (members["risk"] >= 0.1).all()
    assert result.arm_counts.set_index("arm")["members"].sum() == len(audience)
    assert sorted(con.execute("SELECT arm FROM campaign_arms").df()["arm"]) == ["control", "discount", "recs"]
    # Every risk decile holds its 20% of control, up to one member.
    per_decile = members.groupby("risk_decile").agg(
        n=("arm", "size"), control=("arm", lambda a: (a == "control").sum())
    )
    assert (abs(per_decile["control"] - 0.2 * per_decile["n"]) <= 1).all()


def test_assignment_is_reproducible_from_the_campaign_id(con):
    config = parse_config(basic_config())
    result = campaigns.launch(con, config)
    stored = con.execute("SELECT user_id, risk, arm FROM campaign_members ORDER BY user_id").df()
    again = assign_arms(stored[["user_id", "risk"]], config.shares(), salt=str(result.campaign_id))
    assert again["arm"].tolist() == stored["arm"].tolist()


def test_same_idempotency_key_creates_one_campaign(con):
    # Overlap allowed: the launches with new keys take the same customers as the campaigns still measured.
    config = parse_config(basic_config(audience={"min_risk": 0.1, "allow_overlap": True}))
    first = campaigns.launch(con, config, idempotency_key="submit-1")
    second = campaigns.launch(con, config, idempotency_key="submit-1")
    assert first.created and not second.created
    assert second.campaign_id == first.campaign_id
    assert _count(con, "campaigns") == 1
    pd.testing.assert_frame_equal(first.arm_counts, second.arm_counts)
    # Without a key, the default key (a digest of config and scores) makes a re-run a no-op too.
    default = campaigns.launch(con, config)
    rerun = campaigns.launch(con, config)
    assert default.created and not rerun.created and rerun.campaign_id == default.campaign_id
    assert campaigns.launch(con, config, idempotency_key="submit-2").created
    assert _count(con, "campaigns") == 3
    # A retry with a used key returns its campaign even when the audience has changed since.
    con.execute("DELETE FROM scores")
    assert campaigns.launch(con, config, idempotency_key="submit-1").campaign_id == first.campaign_id
    assert _count(con, "campaigns") == 3


def test_bad_input_writes_nothing(con):
    members_before = _count(con, "campaign_members")
    empty = parse_config(basic_config(audience={"min_risk": 0.99, "countries": ["XX"]}))
    with pytest.raises(
        DataError, match=r"audience is empty: no scored customer matches risk >= 0.99, country in \['XX'\]"
    ):
        campaigns.launch(con, empty)
    # The budget covers one contact (0.05) but not one member's expected discount on top.
    tight = parse_config(basic_config(targeting={"strategy": "everyone", "budget": 0.06}))
    with pytest.raises(DataError, match="does not cover one member's expected cost"):
        campaigns.launch(con, tight)
    assert _count(con, "campaigns") == 0
    assert _count(con, "campaign_members") == members_before == 0
    with pytest.raises(DataError, match="no campaign with id 99"):
        campaigns.measure(con, 99)


def test_measuring_before_any_post_launch_order_says_so(con):
    result = campaigns.launch(con, parse_config(basic_config()))
    with pytest.raises(DataError, match="has no orders after its launch"):
        campaigns.measure(con, result.campaign_id)


def test_a_draft_is_launched_in_place(con):
    config = parse_config(basic_config())
    draft = campaigns.save_draft(con, config)
    assert campaigns.get_campaign(con, draft)["status"] == "draft"
    with pytest.raises(DataError, match="is a draft"):
        campaigns.measure(con, draft)
    launched = campaigns.launch(con, config, draft_id=draft)
    assert launched.campaign_id == draft
    assert campaigns.list_campaigns(con).set_index("campaign_id").loc[draft, "status"] == "launched"
    with pytest.raises(DataError, match="not a draft"):
        campaigns.launch(con, config, idempotency_key="other", draft_id=draft)
    campaigns.close(con, draft)
    with pytest.raises(DataError, match="is closed; it cannot become measured"):
        set_status(con, draft, "measured")


def test_exports_leave_out_control_and_email_and_neutralise_formulas(con, tmp_path):
    con.execute(
        "UPDATE scores SET reasons = '=HYPERLINK(\"http://x\")' WHERE user_id = (SELECT min(user_id) FROM scores)"
    )
    result = campaigns.launch(con, parse_config(basic_config()))
    frames = campaigns.arm_exports(con, result.campaign_id)
    assert set(frames) == {"discount", "recs"}
    for arm, frame in frames.items():
        assert frame.columns.tolist() == [
            "user_id",
            "arm",
            "risk",
            "reasons",
            "offer_code",
            "recommended_items",
            "recommendation_mode",
            "scores_as_of",
            "score_horizon_days",
            "scores_model_version",
        ]
        assert (frame["arm"] == arm).all()
        # Every row names the scoring the audience came from; risks are rounded for people.
        stored = con.execute(
            "SELECT scores_as_of, scores_model_version FROM campaigns WHERE campaign_id = ?", [result.campaign_id]
        ).fetchone()
        assert (frame["scores_as_of"] == stored[0]).all() and (frame["scores_model_version"] == stored[1]).all()
        assert (frame["score_horizon_days"] == 60).all()
        assert (frame["risk"] == frame["risk"].round(4)).all()
    control = set(con.execute("SELECT user_id FROM campaign_members WHERE arm = 'control'").df()["user_id"])
    exported = set().union(*(set(frame["user_id"]) for frame in frames.values()))
    assert not control & exported
    assert len(exported) + len(control) == _count(con, "campaign_members")
    with_email = campaigns.arm_exports(con, result.campaign_id, include_email=True)["discount"]
    assert "email" in with_email.columns and with_email["email"].notna().any()
    written = campaigns.write_exports(con, result.campaign_id, tmp_path / "out")
    assert sorted(path.name for path in written) == [
        f"campaign_{result.campaign_id}_discount.csv",
        f"campaign_{result.campaign_id}_recs.csv",
    ]
    text = "".join(path.read_text() for path in written)
    assert "'=HYPERLINK" in text and "@" not in text


def test_no_scores_says_what_is_needed(sample_db, tmp_path):
    path = tmp_path / "unscored.duckdb"
    shutil.copy(sample_db, path)
    con = warehouse.connect(path)
    try:
        with pytest.raises(DataError, match="score customers on the At-risk users page first"):
            campaigns.select_audience(con, parse_config(basic_config()).audience)
    finally:
        con.close()


def test_recommendations_arm_exports_the_runs_top_items(con):
    from retention.recommend import evaluate, recommend_for_users, runs

    run_id = runs.save_run(con, evaluate.evaluate_model("popularity", evaluate.time_split(con), k=5))
    data = basic_config()
    data["arms"][1]["recommender_run"] = run_id
    result = campaigns.launch(con, parse_config(data))
    frame = campaigns.arm_exports(con, result.campaign_id, k=3)["recs"]
    first = frame["user_id"].iloc[0]
    expected = recommend_for_users(con, run_id, [first], k=3).sort_values("rank")
    assert frame["recommended_items"].iloc[0] == "; ".join(
        f"{row.title} ({row.item_id})" for row in expected.itertuples()
    )
    assert (frame["recommended_items"].str.count(r"\(") == 3).all()
    assert (frame["recommendation_mode"] == "discovery").all()
    discount = campaigns.arm_exports(con, result.campaign_id)["discount"]
    assert (discount["recommended_items"] == "").all() and (discount["recommendation_mode"] == "").all()
    data["arms"][1]["recommender_run"] = 999
    with pytest.raises(DataError, match="999"):
        campaigns.launch(con, parse_config(data), idempotency_key="missing-run")


def test_a_repeat_aware_runs_export_says_so_and_may_list_past_purchases(con):
    from retention.recommend import evaluate, recommend_for_users, runs

    split = evaluate.time_split(con, mode="repeat")
    run_id = runs.save_run(con, evaluate.evaluate_model("popularity", split, k=10))
    data = basic_config()
    data["arms"][1]["recommender_run"] = run_id
    result = campaigns.launch(con, parse_config(data))
    frame = campaigns.arm_exports(con, result.campaign_id, k=10)["recs"]
    assert frame.columns[5:7].tolist() == ["recommended_items", "recommendation_mode"]
    assert (frame["recommendation_mode"] == "repeat").all()
    users = frame["user_id"].tolist()
    listed = recommend_for_users(con, run_id, users, k=10)
    bought = con.execute(
        "SELECT DISTINCT user_id, item_id FROM ratings WHERE user_id IN (SELECT unnest(?))", [users]
    ).df()
    again = listed.merge(bought, on=["user_id", "item_id"])
    assert not again.empty  # buy-again items are allowed, and popular ones were bought before
    first = frame.iloc[0]
    expected = listed[listed["user_id"] == first["user_id"]].sort_values("rank")
    assert first["recommended_items"] == "; ".join(f"{row.title} ({row.item_id})" for row in expected.itertuples())
