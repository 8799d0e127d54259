"""model_runs persistence and recommendations for real users (the contract the Campaigns page relies on)."""

from __future__ import annotations

import pandas as pd
import pytest

from retention.errors import DataError
from retention.recommend import evaluate, metrics, runs, serve
from retention.recommend import saved as saved_models


@pytest.fixture(scope="module")
def con(module_copy_con):
    return module_copy_con


@pytest.fixture(scope="module")
def saved(con):
    split = evaluate.time_split(con, feedback="ratings")
    results = evaluate.compare(split, {"popularity": None, "svd": {"n_factors": 8, "negatives": 0}}, k=5).results
    return [runs.save_run(con, result) for result in results], results


def test_runs_round_trip(con, saved):
    run_ids, results = saved
    table = runs.list_runs(con)
    assert list(table.columns) == list(runs.RUN_COLUMNS)
    assert table["run_id"].tolist()[:2] == sorted(run_ids, reverse=True)
    svd = table.set_index("run_id").loc[run_ids[1]]
    assert svd["model"] == "svd" and svd["k"] == 5
    assert svd["ndcg_at_k"] == pytest.approx(results[1].metrics["ndcg_at_k"])
    assert svd["rmse"] == pytest.approx(results[1].metrics["rmse"])
    assert pd.isna(table.set_index("run_id").loc[run_ids[0], "rmse"])
    saved_run = runs.get_run(con, run_ids[1])
    assert saved_run.params["n_factors"] == 8 and saved_run.split["kind"] == "time"
    assert set(saved_run.metrics) == set(metrics.METRIC_NAMES)


def test_recommend_for_users_contract(con, saved):
    run_ids, _ = saved
    known = con.execute("SELECT user_id FROM ratings GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 2").df()
    users = [*known["user_id"], "nobody-123", known["user_id"].iloc[0]]
    table = saved_models.recommend_for_users(con, run_ids[1], users, k=4)
    assert list(table.columns) == list(serve.RECOMMENDATION_COLUMNS)
    assert table["user_id"].drop_duplicates().tolist() == users[:3]
    assert table.groupby("user_id")["rank"].apply(list).map(lambda ranks: ranks == [1, 2, 3, 4]).all()
    assert set(table.loc[table["user_id"] == "nobody-123", "source"]) == {"popular"}
    assert set(table.loc[table["user_id"] != "nobody-123", "source"]) == {"model"}
    assert table["title"].notna().all()
    bought = con.execute(
        "SELECT user_id, item_id FROM orders WHERE quantity > 0 UNION SELECT user_id, item_id FROM ratings"
    ).df()
    overlap = table.merge(bought, on=["user_id", "item_id"])
    assert overlap.empty
    popular = table[table["user_id"] == "nobody-123"]
    counts = con.execute(
        "SELECT item_id, count(DISTINCT user_id) AS n FROM ratings GROUP BY item_id ORDER BY n DESC, item_id LIMIT 4"
    ).df()
    assert popular["item_id"].tolist() == counts["item_id"].tolist()
    assert popular["score"].tolist() == counts["n"].astype(float).tolist()


def test_unknown_run_and_bad_k_are_named(con, saved):
    with pytest.raises(DataError, match="no saved recommender run with id 999"):
        saved_models.recommend_for_users(con, 999, ["x"])
    with pytest.raises(DataError, match="K must be at least 1"):
        saved_models.recommend_for_users(con, saved[0][0], ["x"], k=0)


def test_delete_runs(con, saved):
    before = set(runs.list_runs(con)["run_id"])
    runs.delete_runs(con, [saved[0][0], 12345])
    assert set(runs.list_runs(con)["run_id"]) == before - {saved[0][0]}


def test_many_users_at_once_equal_one_at_a_time(con):
    recommender = serve.fit_recommender(con, "svd", {"n_factors": 8, "n_epochs": 5})
    users = con.execute("SELECT user_id FROM users ORDER BY user_id").df()["user_id"].tolist()
    assert len(users) > serve.BLOCK  # scored in more than one block
    together = serve.recommend(con, recommender, users, k=3)
    for user in users[:2] + users[-2:]:
        alone = serve.recommend(con, recommender, [user], k=3)
        pd.testing.assert_frame_equal(together[together["user_id"] == user].reset_index(drop=True), alone)


def test_run_names_say_the_changed_hyperparameters_and_the_repeat_mode():
    defaults = {"l2": 500.0, "weighting": "binary"}
    assert runs.run_name("EASE", defaults, defaults) == "EASE"
    assert runs.run_name("EASE", {**defaults, "l2": 200.0}, defaults) == "EASE · l2=200.0"
    assert runs.run_name("EASE", defaults, defaults, "repeat") == "EASE · repeat-aware"
    assert runs.run_name("EASE", {**defaults, "l2": 200.0}, defaults, "repeat") == "EASE · l2=200.0 · repeat-aware"
