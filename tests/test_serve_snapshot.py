"""Serving snapshots on the sample warehouse: a promotion precomputes what ``recommend_for_users`` lists, unknown
customers get the run's popularity list, risk is the latest scoring, campaign members keep their stored arm and
items; a new publish swaps ``CURRENT`` whole, a watcher picks it up, and a reader never sees half of one; demotion;
the republishing after a scoring and a launch."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import campaigns, churn, warehouse
from retention.campaigns.config import parse_config
from retention.campaigns.launch import set_status
from retention.errors import DataError
from retention.recommend import evaluate, recommend_for_users, runs, saved
from retention.serve import CURRENT, SNAPSHOT_FILES, serving_folder
from retention.serve import publish as pub
from retention.serve import snapshot as snap

SVD = {"n_factors": 8, "n_epochs": 5, "negatives": 2}
K = 5


@pytest.fixture(scope="module")
def trained_db(scored_db, tmp_path_factory) -> dict:
    """A scored warehouse with an SVD run and a popularity run saved, and a campaign whose second arm recommends
    the SVD run's items (launched before anything was promoted)."""
    path = tmp_path_factory.mktemp("serve_trained") / "w.duckdb"
    shutil.copy(scored_db, path)
    with warehouse.session(path, write=True) as con:
        split = evaluate.time_split(con)
        svd = runs.save_run(con, evaluate.evaluate_model("svd", split, SVD, k=K))
        popular = runs.save_run(con, evaluate.evaluate_model("popularity", split, k=K))
        data = basic_config()
        data["arms"][1]["recommender_run"] = svd
        campaign = campaigns.launch(con, parse_config(data)).campaign_id
    assert not serving_folder(path).exists(), "a launch must not create a serving folder"
    return {"path": str(path), "svd": svd, "popular": popular, "campaign": campaign}


def _copy(trained_db: dict, folder) -> str:
    path = folder / "w.duckdb"
    shutil.copy(trained_db["path"], path)
    return str(path)


@pytest.fixture(scope="module")
def promoted(trained_db, tmp_path_factory) -> dict:
    """A copy of ``trained_db`` with the SVD run promoted (k = 5)."""
    path = _copy(trained_db, tmp_path_factory.mktemp("serve_promoted"))
    with warehouse.session(path, write=True) as con:
        folder = pub.publish(con, path, promote_run=trained_db["svd"], k=K)
    return {**trained_db, "path": path, "snapshot": folder}


@pytest.fixture
def own(trained_db, tmp_path) -> str:
    """This test's own copy of ``trained_db`` (nothing promoted)."""
    return _copy(trained_db, tmp_path)


def _known_users(con, n: int = 12) -> list[str]:
    rows = con.execute("SELECT user_id FROM orders GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT ?", [n])
    return [row[0] for row in rows.fetchall()]


def test_promotion_writes_every_file_and_records_the_promotion(promoted):
    folder = serving_folder(promoted["path"])
    assert (folder / CURRENT).read_text().strip() == promoted["snapshot"].name
    assert sorted(path.name for path in promoted["snapshot"].iterdir()) == sorted(SNAPSHOT_FILES)
    snapshot = snap.current(folder)
    with warehouse.session(promoted["path"]) as con:
        history = pub.promotions(con)
        recommender = saved.recommender_for_run(con, promoted["svd"])
        newest_order = warehouse.data_range(con)[1]
    assert len(history) == 1 and bool(history["serving"].iloc[0])
    row = history.iloc[0]
    assert (row["run_id"], row["k"], row["snapshot"]) == (promoted["svd"], K, promoted["snapshot"].name)
    assert row["customers"] == snapshot.customers == len(recommender.model.users)
    manifest = snapshot.manifest
    assert (manifest["run_id"], manifest["model"], manifest["k"]) == (promoted["svd"], "svd", K)
    assert manifest["data_as_of"] == pd.Timestamp(newest_order).isoformat()
    assert pd.Timestamp(manifest["promoted_at"]) == pd.Timestamp(row["promoted_at"])


def test_lists_are_the_runs_recommendations_and_unknown_customers_get_its_popular_items(promoted):
    snapshot = snap.current(serving_folder(promoted["path"]))
    with warehouse.session(promoted["path"]) as con:
        users = _known_users(con)
        expected = recommend_for_users(con, promoted["svd"], [*users, "nobody-123"], k=K)
    for user in users:
        items, source = snapshot.recommendations(user, K)
        want = expected[expected["user_id"] == user]
        assert source == "model" and (want["source"] == "model").all()
        assert [item["item_id"] for item in items] == want["item_id"].tolist()
        assert [item["title"] for item in items] == want["title"].fillna("").tolist()
        assert [item["score"] for item in items] == pytest.approx(want["score"].tolist())
        assert [item["rank"] for item in items] == list(range(1, K + 1))
        assert snapshot.recommendations(user, 2)[0] == items[:2]
    cold, source = snapshot.recommendations("nobody-123", K)
    want = expected[expected["user_id"] == "nobody-123"]
    assert source == "cold_start" and (want["source"] == "popular").all()
    assert [item["item_id"] for item in cold] == want["item_id"].tolist()
    assert all(item["score"] is None and item["title"] for item in cold)


def test_risk_is_the_latest_scoring_with_reasons_in_words(promoted):
    snapshot = snap.current(serving_folder(promoted["path"]))
    with warehouse.session(promoted["path"]) as con:
        scores = churn.latest_scores(con)
    assert len(scores) > 100
    for row in scores.iloc[::97].itertuples():
        risk = snapshot.risk(row.user_id)
        assert risk == {
            "user_id": row.user_id,
            "as_of": row.as_of.isoformat(),
            "horizon_days": 60,
            "model_version": "test-v1",
            "risk": pytest.approx(row.risk),
            "value": pytest.approx(row.value),
            "reasons": ["long gap since the last order"],
        }
    assert snapshot.risk("nobody-123") is None
    assert snapshot.manifest["scores_as_of"] == scores["as_of"].iloc[0].isoformat()


def test_campaign_members_keep_their_stored_arm_and_items(promoted):
    snapshot = snap.current(serving_folder(promoted["path"]))
    with warehouse.session(promoted["path"]) as con:
        members = con.execute(
            "SELECT m.user_id, m.arm, a.channel, m.recommended_items FROM campaign_members m "
            "JOIN campaign_arms a USING (campaign_id, arm) WHERE campaign_id = ? ORDER BY m.user_id",
            [promoted["campaign"]],
        ).fetchall()
    first_of_arm = {arm: (user, arm, channel, items) for user, arm, channel, items in reversed(members)}
    assert set(first_of_arm) == {"control", "discount", "recs"}
    for user, arm, channel, items in first_of_arm.values():
        assert snapshot.campaign_member(promoted["campaign"], user) == {
            "campaign_id": promoted["campaign"],
            "user_id": user,
            "arm": arm,
            "channel": channel,
            "recommended_items": items or [],
        }
        assert bool(items) == (arm == "recs")
    members = pd.DataFrame(members, columns=["user_id", "arm", "channel", "items"])
    assert snapshot.campaign_member(str(promoted["campaign"]), members["user_id"].iloc[0])["arm"]
    assert snapshot.campaign_member(promoted["campaign"] + 1, members["user_id"].iloc[0]) is None
    assert snapshot.campaign_member("not-a-number", members["user_id"].iloc[0]) is None


def test_a_new_publish_swaps_current_a_watcher_follows_and_old_snapshots_go(own, trained_db):
    folder = serving_folder(own)
    with warehouse.session(own, write=True) as con:
        first = pub.publish(con, own, promote_run=trained_db["svd"], k=K)
        watcher = snap.SnapshotWatcher(folder, interval=0.0)
        assert watcher.get().name == first.name
        second = pub.publish(con, own, promote_run=trained_db["popular"], k=3)
        assert watcher.get().name == first.name, "the old snapshot serves while the new one loads"
        watcher.wait_loaded()
        served = watcher.get()
        assert served.name == second.name and served.manifest["run_id"] == trained_db["popular"]
        user = _known_users(con, 1)[0]
        assert len(served.recommendations(user, 10)[0]) == 3
        for _ in range(3):
            last = pub.publish(con, own)
        history = pub.promotions(con)
    assert [path.name for path in pub.snapshot_folders(folder)][-1] == last.name
    assert len(pub.snapshot_folders(folder)) == pub.SNAPSHOTS_KEPT
    assert not first.exists() and not second.exists()
    assert history["run_id"].tolist() == [trained_db["popular"], trained_db["svd"]]
    assert history["serving"].tolist() == [True, False] and pd.notna(history["demoted_at"].iloc[1])
    assert not [path for path in folder.iterdir() if path.name.startswith(".snapshot")], "no staging left behind"


def test_republishing_reuses_the_lists_without_recomputing(promoted, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(promoted["path"], path)
    shutil.copytree(serving_folder(promoted["path"]), serving_folder(path))
    old = serving_folder(path) / promoted["snapshot"].name
    with warehouse.session(path) as con:  # read-only: reusing the lists writes nothing to the warehouse
        new = pub.publish(con, path)
    for file in ("recommendations.parquet", "cold_start.parquet"):
        assert os.stat(new / file).st_ino == os.stat(old / file).st_ino
    assert snap.current(serving_folder(path)).manifest["run_id"] == promoted["svd"]


def test_a_reader_during_publishing_sees_whole_snapshots_only(own, trained_db):
    folder = serving_folder(own)
    with warehouse.session(own, write=True) as con:
        user = _known_users(con, 1)[0]
        expected = {
            run: recommend_for_users(con, trained_db[run], [user], k=K)["item_id"].tolist()
            for run in ("svd", "popular")
        }
        pub.publish(con, own, promote_run=trained_db["svd"], k=K)
        seen, errors, done = [], [], threading.Event()

        def read() -> None:
            watcher = snap.SnapshotWatcher(folder, interval=0.0)
            while not done.is_set():
                try:
                    snapshot = snap.current(folder)
                    lists = [snapshot, watcher.get()]
                    seen.extend(
                        (s.manifest["run_id"], [i["item_id"] for i in s.recommendations(user, K)[0]]) for s in lists
                    )
                except Exception as exc:  # noqa: BLE001 - collected for the assertion below
                    errors.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for run in ("popular", "svd", "popular"):
                pub.publish(con, own, promote_run=trained_db[run], k=K)
        finally:
            done.set()
            reader.join()
    assert not errors
    by_run = {trained_db["svd"]: expected["svd"], trained_db["popular"]: expected["popular"]}
    assert expected["svd"] != expected["popular"]
    assert seen and all(items == by_run[run] for run, items in seen)
    assert {run for run, _ in seen} == set(by_run)


def test_demotion_serves_popular_items_to_everyone_and_is_kept_in_the_history(own, trained_db):
    with warehouse.session(own, write=True) as con:
        with pytest.raises(DataError, match="no recommender run is promoted"):
            pub.demote(con, own)
        pub.publish(con, own, promote_run=trained_db["svd"], k=K)
        pub.demote(con, own)
        history = pub.promotions(con)
        user = _known_users(con, 1)[0]
        popular = con.execute(
            "SELECT item_id FROM orders WHERE quantity > 0 GROUP BY item_id "
            "ORDER BY count(DISTINCT user_id) DESC, item_id LIMIT 10"
        ).fetchall()
        with pytest.raises(DataError, match="no recommender run is promoted"):
            pub.demote(con, own)
        assert pub.serving_promotion(con) is None
    assert len(history) == 1 and not history["serving"].any()
    assert pd.notna(history["demoted_at"]).all()
    snapshot = snap.current(serving_folder(own))
    items, source = snapshot.recommendations(user, 10)
    assert source == "cold_start" and snapshot.customers == 0
    assert [item["item_id"] for item in items] == [row[0] for row in popular]
    assert snapshot.manifest["run_id"] is None


def test_scoring_republishes_only_where_a_snapshot_serves(own, trained_db, caplog):
    with warehouse.session(own, write=True) as con:
        con.execute("DELETE FROM scores")  # the fixture's scores are dated a day later: they would stay latest
        result = churn.score_customers(con, horizon_days=60)
    assert not serving_folder(own).exists(), "no serving folder for a warehouse that never promoted"

    with warehouse.session(own, write=True) as con:
        first = pub.publish(con, own, promote_run=trained_db["popular"], k=K)
        churn.save_scores(con, result)
    snapshot = snap.current(serving_folder(own))
    assert snapshot.name != first.name
    user = result.scores["user_id"].iloc[0]
    assert snapshot.risk(user)["risk"] == pytest.approx(result.scores["risk"].iloc[0])
    assert snapshot.risk(user)["model_version"] == result.model_version
    assert snapshot.manifest["run_id"] == trained_db["popular"]

    (serving_folder(own) / CURRENT).write_text("snapshot-gone\n")
    with caplog.at_level(logging.WARNING, logger="retention.serve.publish"), warehouse.session(own, write=True) as con:
        assert churn.save_scores(con, result) == len(result.scores)
    assert "could not publish a serving snapshot" in caplog.text


def test_a_launch_republishes_and_a_closed_campaign_leaves(own, trained_db):
    with warehouse.session(own, write=True) as con:
        pub.publish(con, own, promote_run=trained_db["svd"], k=K)
        data = basic_config(name="Second wave", audience={"min_risk": 0.1, "allow_overlap": True})
        launched = campaigns.launch(con, parse_config(data), idempotency_key="second")
        member = con.execute(
            "SELECT user_id, arm FROM campaign_members WHERE campaign_id = ? ORDER BY user_id LIMIT 1",
            [launched.campaign_id],
        ).fetchone()
        assert snap.current(serving_folder(own)).campaign_member(launched.campaign_id, member[0])["arm"] == member[1]
        set_status(con, launched.campaign_id, "closed")
        pub.publish(con, own)
    assert snap.current(serving_folder(own)).campaign_member(launched.campaign_id, member[0]) is None


def test_a_broken_snapshot_keeps_the_old_one_serving(promoted, tmp_path):
    folder = tmp_path / "w.duckdb.serving"
    shutil.copytree(serving_folder(promoted["path"]), folder)
    watcher = snap.SnapshotWatcher(folder, interval=0.0)
    old = watcher.get()
    broken = folder / "snapshot-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"run_id": 1}))
    pub.point_current(folder, broken.name)
    watcher.get()
    watcher.wait_loaded()
    assert watcher.get() is old
    failed_load = watcher._loading
    watcher.get()
    assert watcher._loading is failed_load, "a snapshot that failed is not loaded again and again"
    (folder / CURRENT).unlink()
    with pytest.raises(snap.NoSnapshotError, match="promote a recommender run first"):
        snap.SnapshotWatcher(folder).get()


def test_k_out_of_range_and_unknown_runs_are_refused(own):
    with warehouse.session(own, write=True) as con:
        with pytest.raises(DataError, match="k must be between 1 and 100"):
            pub.publish(con, own, promote_run=1, k=0)
        with pytest.raises(DataError, match="999"):
            pub.publish(con, own, promote_run=999)
        assert pub.promotions(con).empty
    assert not pub.snapshot_folders(serving_folder(own))


def test_an_in_memory_warehouse_publishes_nothing_and_warns_of_nothing(caplog):
    con = warehouse.scratch()
    with caplog.at_level(logging.WARNING, logger="retention.serve.publish"):
        assert pub.database_path(con) is None and pub.republish_if_serving(con) is None
    assert not caplog.text


def test_pruning_keeps_the_newest_and_clears_abandoned_staging(tmp_path):
    for name in ("snapshot-1", "snapshot-2", "snapshot-3", "snapshot-4", ".snapshot-5", ".snapshot-6"):
        (tmp_path / name).mkdir()
    os.utime(tmp_path / ".snapshot-5", (0, 0))
    pub.point_current(tmp_path, "snapshot-1")
    assert sorted(pub.prune(tmp_path)) == [".snapshot-5"]
    pub.point_current(tmp_path, "snapshot-4")
    assert pub.prune(tmp_path) == ["snapshot-1"]
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == [
        ".snapshot-6",
        "snapshot-2",
        "snapshot-3",
        "snapshot-4",
    ]
