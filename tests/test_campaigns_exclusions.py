"""Audience exclusions: each checked against a pandas computation of its definition, counts that add up, the
ranking by expected loss, and the counts stored at launch."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config, scored_copy

from retention import campaigns, warehouse
from retention.campaigns import Audience, suppression
from retention.campaigns import audience as audiences
from retention.campaigns.config import parse_config

ALL_EXCLUSIONS = Audience(
    contacted_within_days=14, bought_within_days=30, exclude_nonpositive_revenue=True, lapsed_days=365
)


@pytest.fixture(scope="module")
def prepared_db(sample_db, tmp_path_factory) -> dict[str, object]:
    """A scored warehouse with a closed campaign (its treated members contacted at the newest order), a campaign
    still being measured, and a suppression list of ids and emails (in mixed case)."""
    folder = tmp_path_factory.mktemp("campaign_exclusions")
    path = scored_copy(sample_db, folder)
    con = warehouse.connect(path)
    try:
        closed = campaigns.launch(con, parse_config(basic_config(audience={"min_risk": 0.1, "top_n": 60}))).campaign_id
        campaigns.close(con, closed)
        measured = campaigns.launch(
            con, parse_config(basic_config(audience={"top_n": 40, "rank_by": "expected_loss"}))
        ).campaign_id
        users = con.execute("SELECT user_id, email FROM users WHERE email IS NOT NULL ORDER BY user_id").df()
        listed = folder / "suppressed.csv"
        ids = users["user_id"].iloc[:5].tolist()
        emails = [f"  {email.upper()} " for email in users["email"].iloc[-3:]]
        listed.write_text("value\n" + "\n".join(ids + emails) + "\n")
        suppression.import_file(con, listed, reason="unsubscribed")
    finally:
        con.close()
    return {"path": path, "closed": closed, "measured": measured}


@pytest.fixture
def con(prepared_db):
    connection = warehouse.connect(prepared_db["path"], read_only=True)
    yield connection
    connection.close()


def _expected_flags(con, spec: Audience) -> pd.DataFrame:
    """Per scored customer of the latest scoring, each exclusion's flag, from the tables with pandas."""
    scores = con.execute("SELECT * FROM scores").df()
    scores = scores[scores["as_of"] == scores["as_of"].max()]
    as_of = pd.Timestamp(scores["as_of"].iloc[0])
    orders = con.execute("SELECT user_id, order_id, ts, quantity, unit_price FROM orders").df()
    newest_day = orders["ts"].max().normalize()
    orders = orders[orders["ts"] < as_of + pd.Timedelta(days=1)].assign(
        amount=lambda o: o["quantity"] * o["unit_price"]
    )
    per_order = orders.groupby(["user_id", "order_id"]).agg(
        ts=("ts", "min"), purchase=("quantity", lambda q: (q > 0).any())
    )
    last_purchase = per_order[per_order["purchase"]].groupby("user_id")["ts"].max().dt.normalize()
    net_revenue = orders.groupby("user_id")["amount"].sum().round(2)
    users = con.execute("SELECT user_id, email FROM users").df()
    listed = con.execute("SELECT kind, value FROM suppression_list").df()
    listed_emails = set(listed.loc[listed["kind"] == "email", "value"])
    suppressed = set(listed.loc[listed["kind"] == "user_id", "value"]) | set(
        users.loc[users["email"].str.strip().str.lower().isin(listed_emails), "user_id"]
    )
    campaigns_table = con.execute("SELECT * FROM campaigns").df()
    members = con.execute("SELECT campaign_id, user_id, arm FROM campaign_members").df()
    windows = campaigns_table.set_index("campaign_id")
    window_end = (windows["start_ts"] + pd.to_timedelta(windows["horizon_days"], unit="D")).dt.normalize()
    open_ids = windows.index[(windows["status"] == "launched") & (newest_day < window_end)]
    recent_ids = windows.index[
        windows["start_ts"].notna()
        & (windows["start_ts"].dt.normalize() >= newest_day - pd.Timedelta(days=spec.contacted_within_days or 0))
    ]
    treated = members[members["arm"] != "control"]
    user = scores["user_id"].reset_index(drop=True)
    days_since = (as_of - user.map(last_purchase)).dt.days
    off = pd.Series(False, index=user.index)
    flags = {
        "suppressed": user.isin(suppressed),
        "open_campaign": off
        if spec.allow_overlap
        else user.isin(members.loc[members["campaign_id"].isin(open_ids), "user_id"]),
        "excluded_campaigns": user.isin(members.loc[members["campaign_id"].isin(spec.exclude_campaigns), "user_id"]),
        "contacted": off
        if spec.contacted_within_days is None
        else user.isin(treated.loc[treated["campaign_id"].isin(recent_ids), "user_id"]),
        "bought": off if spec.bought_within_days is None else days_since <= spec.bought_within_days,
        "nonpositive_revenue": off if not spec.exclude_nonpositive_revenue else user.map(net_revenue).fillna(0) <= 0,
        "lapsed": off if spec.lapsed_days is None else days_since.isna() | (days_since > spec.lapsed_days),
    }
    return pd.DataFrame({"user_id": user, **flags})


def _sequential(flags: pd.DataFrame) -> dict[str, int]:
    """Customers each exclusion removes when applied in order: those it flags that no earlier one removed."""
    left = pd.Series(True, index=flags.index)
    removed = {}
    for name in [name for name in audiences.EXCLUSIONS if name != "top_n"]:
        removed[name] = int((left & flags[name]).sum())
        left &= ~flags[name]
    return removed | {"kept": int(left.sum())}


@pytest.mark.parametrize("exclude_closed", [False, True])
def test_exclusion_counts_add_up_and_match_pandas(con, prepared_db, exclude_closed):
    spec = replace(ALL_EXCLUSIONS, exclude_campaigns=(prepared_db["closed"],) if exclude_closed else ())
    counts = audiences.exclusion_counts(con, spec).set_index("step")["customers"]
    expected = _sequential(_expected_flags(con, spec))
    applied = [name for name in expected if name != "kept" and (exclude_closed or name != "excluded_campaigns")]
    assert list(counts.index) == ["matched", *applied, "kept"]
    assert counts.drop(["matched", "kept"]).to_dict() == {name: expected[name] for name in applied}
    assert counts["kept"] == expected["kept"]
    assert counts["matched"] == counts.drop("matched").sum()
    assert counts["matched"] == con.execute("SELECT count(*) FROM scores").fetchone()[0]
    # Every exclusion removes someone here, so none of the checks above holds trivially; named, the closed
    # campaign takes its recently contacted members and the lapsed (its audience was the riskiest) first.
    if exclude_closed:
        assert counts["excluded_campaigns"] > 0 and counts["contacted"] == 0
    else:
        assert (counts.drop(["matched", "kept"]) > 0).all(), counts
    audience = campaigns.select_audience(con, spec)
    assert len(audience) == counts["kept"]
    flags = _expected_flags(con, spec)
    kept_ids = set(flags.loc[~flags.drop(columns="user_id").any(axis=1), "user_id"])
    assert set(audience["user_id"]) == kept_ids


def test_each_exclusion_alone_removes_what_it_flags(con):
    everyone = len(campaigns.select_audience(con, Audience(allow_overlap=True)))
    for field, value in [
        ("contacted_within_days", 14),
        ("bought_within_days", 30),
        ("exclude_nonpositive_revenue", True),
        ("lapsed_days", 365),
    ]:
        spec = replace(Audience(allow_overlap=True), **{field: value})
        flags = _expected_flags(con, spec)
        alone = flags.drop(columns=["user_id", "suppressed"]).any(axis=1) & ~flags["suppressed"]
        assert len(campaigns.select_audience(con, spec)) == everyone - alone.sum(), field
    # Without any exclusion on, the suppression list still applies.
    suppressed = _expected_flags(con, Audience())["suppressed"].sum()
    assert suppressed > 0
    assert everyone == con.execute("SELECT count(*) FROM scores").fetchone()[0] - suppressed


def test_the_suppression_list_applies_to_every_audience(con):
    listed = set(
        con.execute(
            "SELECT value FROM suppression_list WHERE kind = 'user_id' UNION "
            "SELECT u.user_id FROM users u JOIN suppression_list s ON s.kind = 'email' AND s.value = lower(trim(u.email))"
        )
        .df()["value"]
        .tolist()
    )
    assert len(listed) == 8
    for spec in [Audience(allow_overlap=True), Audience(min_risk=0.0, rank_by="expected_loss"), ALL_EXCLUSIONS]:
        assert not set(campaigns.select_audience(con, spec)["user_id"]) & listed


def test_lapsed_and_bought_are_whole_days_before_the_scores_as_of(con):
    flags = _expected_flags(con, replace(Audience(), bought_within_days=30, lapsed_days=30))
    # With the same N, a customer either bought within N days or lapsed for over N: never both, always one.
    assert not (flags["bought"] & flags["lapsed"]).any()
    assert (flags["bought"] | flags["lapsed"]).all()
    spec = Audience(allow_overlap=True, bought_within_days=30, lapsed_days=30)
    assert campaigns.select_audience(con, spec).empty
    counts = audiences.exclusion_counts(con, spec).set_index("step")["customers"]
    assert counts["bought"] + counts["lapsed"] + counts["suppressed"] == counts["matched"]


def test_rank_by_expected_loss_decides_the_top_n(con):
    spec = replace(ALL_EXCLUSIONS, rank_by="expected_loss")
    everyone = campaigns.select_audience(con, spec)
    assert everyone["expected_loss"].to_numpy() == pytest.approx(
        (everyone["risk"] * everyone["expected_value"]).to_numpy()
    )
    independent = everyone.sort_values(["expected_loss", "risk", "user_id"], ascending=[False, False, True])
    top = campaigns.select_audience(con, replace(spec, top_n=25))
    assert top["user_id"].tolist() == independent["user_id"].head(25).tolist()
    by_risk = campaigns.select_audience(con, replace(spec, top_n=25, rank_by="risk"))
    assert (
        by_risk["user_id"].tolist()
        == everyone.sort_values(["risk", "user_id"], ascending=[False, True])["user_id"].head(25).tolist()
    )
    assert set(top["user_id"]) != set(by_risk["user_id"])  # the two rankings keep different customers
    counts = audiences.exclusion_counts(con, replace(spec, top_n=25)).set_index("step")["customers"]
    assert counts["kept"] == 25 and counts["top_n"] == len(everyone) - 25
    assert counts["matched"] == counts.drop("matched").sum()


def test_the_preview_download_keeps_both_rankings_columns(con):
    frame = audiences.for_download(campaigns.select_audience(con, replace(ALL_EXCLUSIONS, top_n=5)))
    assert {"risk", "expected_loss"} <= set(frame.columns)
    assert frame["expected_loss"].tolist() == [round(value, 2) for value in frame["expected_loss"]]


def test_launch_stores_the_exclusion_counts(prepared_db, tmp_path):
    path = tmp_path / "launch.duckdb"
    shutil.copy(prepared_db["path"], path)
    con = warehouse.connect(path)
    try:
        config = parse_config(
            basic_config(
                audience={
                    "contacted_within_days": 14,
                    "bought_within_days": 30,
                    "exclude_nonpositive_revenue": True,
                    "lapsed_days": 365,
                    "top_n": 50,
                }
            )
        )
        counts = audiences.exclusion_counts(con, config.audience)
        result = campaigns.launch(con, config)
        stored = con.execute("SELECT exclusions FROM campaigns WHERE campaign_id = ?", [result.campaign_id]).fetchone()
        removed = json.loads(stored[0])
        assert removed == audiences.exclusions_removed(counts)
        assert audiences.launched_exclusions(con, result.campaign_id) == removed
        assert list(removed) == [
            "suppressed",
            "open_campaign",
            "contacted",
            "bought",
            "nonpositive_revenue",
            "lapsed",
            "top_n",
        ]
        members = con.execute("SELECT count(*) FROM campaign_members WHERE campaign_id = ?", [result.campaign_id])
        assert members.fetchone()[0] == 50 == counts.set_index("step")["customers"]["kept"]
        assert counts["customers"].iloc[0] == sum(removed.values()) + 50
        draft = campaigns.save_draft(con, parse_config(basic_config(audience={"lapsed_days": 365})))
        assert con.execute("SELECT exclusions FROM campaigns WHERE campaign_id = ?", [draft]).fetchone()[0] is None
        assert audiences.launched_exclusions(con, draft) == {} == audiences.launched_exclusions(con, 999)
    finally:
        con.close()


def test_describe_filters_names_the_exclusions_and_the_ranking():
    text = audiences.describe_filters(replace(ALL_EXCLUSIONS, top_n=10, rank_by="expected_loss"))
    assert "not contacted in the last 14 days" in text
    assert "no purchase in the last 30 days" in text
    assert "net revenue above 0" in text
    assert "a purchase in the last 365 days" in text
    assert text.endswith("top 10 by expected loss")


def test_purchases_and_returns_that_cancel_out_are_zero_revenue_whatever_the_summation_order(sample_db, tmp_path):
    """0.1 + 0.2 - 0.3 is 5.6e-17 in floating point: to the cent it is 0, so the customer is left out every time."""
    path = scored_copy(sample_db, tmp_path)
    con = warehouse.connect(path)
    try:
        customer, as_of = con.execute(
            "SELECT user_id, as_of FROM scores ORDER BY as_of DESC, risk DESC, user_id LIMIT 1"
        ).fetchone()
        con.execute("DELETE FROM orders WHERE user_id = ?", [customer])
        day = pd.Timestamp(as_of) - pd.Timedelta(days=100)
        lines = [("c1", 1.0, 0.1), ("c2", 1.0, 0.2), ("c3", -1.0, 0.3)]
        for order_id, quantity, price in lines:
            con.execute(
                "INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price, discount) "
                "VALUES (?, ?, 'p0001', ?, ?, ?, 0)",
                [f"{customer}-{order_id}", customer, day, quantity, price],
            )
        assert sum(quantity * price for _, quantity, price in lines) > 0  # the floating-point sum is not 0
        spec = Audience(min_risk=0.0, exclude_nonpositive_revenue=True)
        assert customer not in set(campaigns.select_audience(con, spec)["user_id"])
        assert customer in set(
            campaigns.select_audience(con, replace(spec, exclude_nonpositive_revenue=False))["user_id"]
        )
    finally:
        con.close()
