"""Monitoring of outcomes: realised hit rates of saved recommender runs against the orders that came after them,
checked with pandas on lists made before those orders existed; campaign uplift and cumulative return equal to
what ``measure`` says; both checks cross on cases built to cross them."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns, ingest, monitoring, sample, schema, warehouse
from retention.campaigns.config import parse_config
from retention.campaigns.response import simulate_response
from retention.cli import main
from retention.monitoring import outcomes
from retention.recommend import evaluate, job, saved

SVD = {"n_factors": 8, "n_epochs": 5, "negatives": 2}
LATER_DAYS = 90


@pytest.fixture(scope="module")
def refreshed(sample_frames, tmp_path_factory):
    """A shop loaded up to 90 days before its end, a training of SVD and popularity (runs and models saved), the
    top-10 lists the saved models gave every customer then, and the last 90 days of orders imported afterwards.

    Yields ``(path, run_ids, lists, cutoff, later)``: ``lists`` maps run id -> (``user_id``, ``item_id``)
    rows; ``later`` is the imported orders."""
    folder = tmp_path_factory.mktemp("outcomes")
    end = sample_frames["orders"]["ts"].max()
    split_at = end - pd.Timedelta(days=LATER_DAYS)
    timed = ("orders", "events", "ratings")
    early = {name: frame[frame["ts"] <= split_at] if name in timed else frame for name, frame in sample_frames.items()}
    later = sample_frames["orders"][sample_frames["orders"]["ts"] > split_at].copy()
    path = folder / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, {name: frame.copy() for name, frame in early.items()}, source="outcomes test")
    finally:
        con.close()
    training = job.train(path, {"svd": SVD, "popularity": {}}, evaluate.SplitQuery(), 10, lambda done, said: None)
    with warehouse.session(path) as con:
        users = sorted(early["users"]["user_id"])
        lists = {run_id: saved.recommend_for_users(con, run_id, users, k=10) for run_id in training.run_ids}
        models = {run_id: saved.load_model(con, run_id) for run_id in training.run_ids}
    later.to_parquet(folder / "later.parquet", index=False)
    with warehouse.session(path, write=True) as con:
        ingest.import_file(con, "orders", folder / "later.parquet")
    yield str(path), training.run_ids, lists, models, early, later


def _expected(lists: pd.DataFrame, recommender, early: dict, later: pd.DataFrame) -> tuple[float, int]:
    """Hit rate and customers by hand: customers the model knows who bought, in the 30 days after the latest early
    order, a catalogue item they had neither bought, rated nor viewed before; a hit when their list holds one."""
    cutoff = early["orders"]["ts"].max()
    window = later[(later["ts"] > cutoff) & (later["ts"] <= cutoff + pd.Timedelta(days=30)) & (later["quantity"] > 0)]
    window = window[window["user_id"].isin(recommender.model.users) & window["item_id"].isin(recommender.model.items)]
    views = early["events"][early["events"]["event_type"].isin(schema.VIEW_EVENTS)]
    had = pd.concat([early["orders"][early["orders"]["quantity"] > 0], early["ratings"], views], ignore_index=True)[
        ["user_id", "item_id"]
    ].drop_duplicates()
    new = window.merge(had, on=["user_id", "item_id"], how="left", indicator=True)
    new = new[new["_merge"] == "left_only"][["user_id", "item_id"]].drop_duplicates()
    buyers = new["user_id"].nunique()
    hit_users = new.merge(lists[["user_id", "item_id"]].astype(str), on=["user_id", "item_id"])["user_id"].nunique()
    return hit_users / buyers, buyers


def test_hit_rates_equal_the_lists_made_before_the_later_orders_checked_by_hand(refreshed):
    path, run_ids, lists, models, early, later = refreshed
    svd_run, popularity_run = run_ids
    with warehouse.session(path) as con:
        table = outcomes.hit_rates(con).set_index("run_id")
        evaluated = outcomes.run_hit_rate(con, svd_run)
    cutoff = early["orders"]["ts"].max()
    for run_id in run_ids:
        expected, buyers = _expected(lists[run_id], models[run_id], early, later)
        row = table.loc[run_id]
        assert buyers > 20  # enough customers for the comparison to mean something
        assert (row["users"], row["hit_rate"]) == (buyers, pytest.approx(expected))
        assert row["cutoff"] == cutoff and row["window_end"] == cutoff + pd.Timedelta(days=30)
        assert row["complete"] and row["note"] is None
    popularity_rate, _ = _expected(lists[popularity_run], models[popularity_run], early, later)
    assert table.loc[svd_run, "popularity_hit_rate"] == pytest.approx(popularity_rate)  # same customers, same lists
    assert table.loc[svd_run, "margin"] == pytest.approx(table.loc[svd_run, "hit_rate"] - popularity_rate)
    listed = evaluated["lists"].merge(lists[svd_run], on=["user_id", "item_id"], suffixes=("", "_then"))
    assert len(listed) == len(evaluated["lists"]) and (listed["rank"] == listed["rank_then"]).all()


def test_the_feedback_version_names_the_latest_batch_the_model_was_fitted_on(refreshed):
    path, run_ids, *_ = refreshed
    with warehouse.session(path) as con:
        feedback_batches = con.execute(
            "SELECT max(batch_id) FROM import_batches WHERE table_name IN ('orders', 'events', 'ratings', 'products')"
        ).fetchone()[0]
        assert outcomes.fitted_batch(saved.feedback_version(con)) == feedback_batches  # the orders imported later
        model_batch = outcomes.fitted_batch(saved.model_info(con, run_ids[0]).data_version)
    assert model_batch < feedback_batches
    assert outcomes.fitted_batch("17-garbled") is None and outcomes.fitted_batch(None) is None


def test_the_check_compares_the_best_run_with_popularity_and_crosses_on_its_side(refreshed):
    path, run_ids, *_ = refreshed
    with warehouse.session(path) as con:
        table = outcomes.hit_rates(con)
        margin = float(table.loc[table["model"] == "svd", "margin"].iloc[0])  # popularity's own run is left out
        for limit, crossed in ((margin + 0.01, True), (margin - 0.01, False)):
            section = outcomes.recommendations(con, {"hit_rate_vs_popularity": limit})
            (check,) = section.checks
            assert (check.name, check.value, check.crossed) == (
                "recommendations.hit_rate_vs_popularity",
                pytest.approx(margin),
                crossed,
            )
        assert [run["run_id"] for run in section.numbers["runs"]] == run_ids
        assert outcomes.run_hit_rate(con, run_ids[0], horizon_days=400)["complete"] is False
        capped = outcomes.run_hit_rate(con, run_ids[0], max_users=7)
    assert capped["users"] == 7 and capped["lists"]["user_id"].nunique() == 7


def test_a_window_the_orders_do_not_cover_yet_waits(refreshed):
    path, run_ids, *_ = refreshed
    with warehouse.session(path) as con:
        table = outcomes.hit_rates(con, horizon_days=400)
    assert not table["complete"].any()
    assert outcomes.best_margin(table) is None
    check = monitoring.check(
        "recommendations.hit_rate_vs_popularity", outcomes.best_margin(table), 0.0, "", above=False
    )
    assert check.value is None and not check.crossed


def test_a_run_without_a_saved_model_is_listed_with_the_reason(refreshed, tmp_path):
    path, run_ids, *_ = refreshed
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    with warehouse.session(copy, write=True) as con:
        con.execute("DELETE FROM recommender_models WHERE run_id = ?", [run_ids[0]])
        table = outcomes.hit_rates(con).set_index("run_id")
    assert "no saved model" in table.loc[run_ids[0], "note"] and table.loc[run_ids[0], "users"] == 0
    assert pd.isna(table.loc[run_ids[0], "hit_rate"]) and table.loc[run_ids[1], "note"] is None


def test_the_report_is_json_safe(refreshed):
    path, *_ = refreshed
    with warehouse.session(path) as con:
        report = monitoring.report(con)
    text = json.dumps(report, allow_nan=False)
    assert "recommendations" in json.loads(text)["sections"]


# --- Campaigns -------------------------------------------------------------------------------------------------------


def _launch(con, config: dict, truth: dict[str, float], seed: int) -> int:
    campaign_id = campaigns.launch(con, parse_config(config)).campaign_id
    simulate_response(con, campaign_id, truth, seed=seed)
    return campaign_id


@pytest.fixture
def two_campaigns(scored_con):
    """Two launched campaigns with simulated responses, the second with costly contacts."""
    first = _launch(scored_con, basic_config(audience={"min_risk": 0.5}), {"discount": 0.3, "recs": 0.1}, 1)
    costly = basic_config(
        name="Costly",
        audience={"min_risk": 0.1},
        arms=[{"name": "pricey", "template": "discount_email", "cost_per_contact": 50.0, "uplift": [0.0, 0.05, 0.1]}],
    )
    second = _launch(scored_con, costly, {"pricey": 0.05}, 2)
    return scored_con, first, second


def test_campaign_numbers_equal_measure_and_sum_in_launch_order(two_campaigns):
    con, first, second = two_campaigns
    arms = outcomes.campaign_arms(con)
    assert list(arms["campaign_id"].unique()) == [first, second]  # launch order
    totals = []
    for campaign_id in (first, second):
        measured = campaigns.measure(con, campaign_id)
        table = measured.table.set_index("arm")
        mine = arms[arms["campaign_id"] == campaign_id].set_index("arm")
        assert list(mine.index) == list(table.index[1:])
        for column in ("members", "retention", "retention_diff", "retention_diff_low", "retention_diff_high", "uplift"):
            assert mine[column].tolist() == pytest.approx(table.loc[mine.index, column].tolist())
        assert (mine["control_retention"] == table.loc["control", "retention"]).all()
        assert (mine["launched"] == measured.start_ts).all() and mine["complete"].all()
        totals.append(table[["incremental_revenue", "cost", "net_return"]].iloc[1:].sum())
    running = outcomes.cumulative(arms)
    assert running["net_return"].tolist() == pytest.approx(
        [totals[0]["net_return"], totals[0]["net_return"] + totals[1]["net_return"]]
    )
    assert running["cost"].iloc[-1] == pytest.approx(totals[0]["cost"] + totals[1]["cost"])
    assert running["incremental_revenue"].iloc[-1] == pytest.approx(
        totals[0]["incremental_revenue"] + totals[1]["incremental_revenue"]
    )


def test_the_net_return_check_crosses_when_the_campaigns_lose_money(two_campaigns):
    con, first, second = two_campaigns
    section = outcomes.campaigns(con, {})
    (check,) = section.checks
    contacted = int(outcomes.campaign_arms(con).query("arm == 'pricey'")["members"].iloc[0])
    assert contacted * 50.0 > 1000  # contacts at 50 each cost more than the campaigns added
    assert check.name == "campaigns.net_return" and check.value < 0 and check.crossed
    assert check.value == pytest.approx(section.numbers["total"]["net_return"])
    assert not outcomes.campaigns(con, {"net_return": check.value - 1}).checks[0].crossed


def test_without_measured_campaigns_the_check_waits(scored_con):
    draft = campaigns.save_draft(scored_con, parse_config(basic_config()))
    assert draft is not None
    section = outcomes.campaigns(scored_con, {})
    assert section.numbers["arms"] == [] and section.numbers["total"] == {}
    assert section.checks[0].value is None and not section.checks[0].crossed


def test_the_monitor_command_fails_on_the_crossed_net_return(two_campaigns, tmp_path):
    con, *_ = two_campaigns
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    out = tmp_path / "report.json"
    assert main(["monitor", "--db", str(copy), "--out", str(out), "--fail-on", "campaigns.net_return"]) == 1
    report = json.loads(out.read_text())
    assert "campaigns.net_return" in report["crossed"]
    total = report["sections"]["campaigns"]["numbers"]["total"]["net_return"]
    assert total == pytest.approx(outcomes.campaigns(con, {}).numbers["total"]["net_return"])
    limit = f"net_return={total - 1}"
    assert (
        main(
            ["monitor", "--db", str(copy), "--out", str(out), "--threshold", limit, "--fail-on", "campaigns.net_return"]
        )
        == 0
    )
