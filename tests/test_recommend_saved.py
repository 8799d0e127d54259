"""Saved all-feedback models: a training keeps one per run; it recommends what a fresh fit recommends; a change of
the feedback makes it stale and a refit replaces it; writes that do not touch the feedback leave it fresh;
deleting a run deletes its model."""

from __future__ import annotations

import dataclasses
import pickle
import shutil

import pandas as pd
import pytest

from retention import ingest, non_products, warehouse
from retention.recommend import MODELS, evaluate, job, runs, saved, serve

SVD = {"n_factors": 8, "n_epochs": 5, "negatives": 2}


@pytest.fixture(scope="module")
def trained(sample_db, tmp_path_factory):
    """A private copy of the sample warehouse after one training of SVD and popularity (runs and models saved)."""
    path = tmp_path_factory.mktemp("saved_models") / "w.duckdb"
    shutil.copy(sample_db, path)
    said = []
    selections = {"svd": SVD, "knn_baseline": {"k": 10}, "popularity": {}}
    training = job.train(path, selections, evaluate.SplitQuery(), 5, lambda done, message: said.append(message))
    return str(path), training, said


def _users(con, n: int = 40) -> list[str]:
    known = con.execute("SELECT user_id FROM ratings GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT ?", [n])
    return [*(row[0] for row in known.fetchall()), "nobody-123"]


def test_training_saves_each_run_with_its_model_and_reports_progress(trained):
    path, training, said = trained
    names = ["svd", "knn_baseline", "popularity"]
    assert [result.model for result in training.comparison.results] == names
    labels = [MODELS[name].label for name in names]
    assert said == [
        *(f"Model {i} of 3: {label}, fold 1 of 1" for i, label in enumerate(labels, 1)),  # a time split: one fold
        *(f"Model {i} of 3: {label} on all feedback" for i, label in enumerate(labels, 1)),
        "Done",
    ]
    with warehouse.session(path) as con:
        version = saved.feedback_version(con)
        for run_id in training.run_ids:
            info = saved.model_info(con, run_id)
            assert info is not None and info.data_version == version and info.size_bytes > 0
        summary = {**dataclasses.asdict(evaluate.feedback_summary(con)), "data_version": version}
    expected = {"run_ids": training.run_ids, "models": names, "skipped": {}, "feedback": "views", "summary": summary}
    assert job.job_result(training) == expected


def test_saved_model_recommends_what_a_fresh_fit_recommends(trained):
    path, training, _ = trained
    with warehouse.session(path) as con:
        users = _users(con)
        for run_id, result in zip(training.run_ids, training.comparison.results, strict=True):
            loaded = saved.load_model(con, run_id)
            assert loaded is not None
            fresh = serve.fit_recommender(con, result.model, result.params)
            expected = serve.recommend(con, fresh, users, k=5)
            pd.testing.assert_frame_equal(serve.recommend(con, loaded, users, k=5), expected)
            pd.testing.assert_frame_equal(loaded.recommend(users, k=5), fresh.recommend(users, k=5))
            pd.testing.assert_frame_equal(saved.recommend_for_users(con, run_id, users, k=5), expected)


def test_compact_rating_lists_read_as_the_lists_they_hold(trained):
    path, training, _ = trained
    with warehouse.session(path) as con:
        fresh = serve.fit_recommender(con, "knn_baseline", training.comparison.results[1].params)
        svd = serve.fit_recommender(con, "svd", training.comparison.results[0].params)
    algo = fresh.model.algo
    for lists in (algo.trainset.ur, algo.trainset.ir):
        for held in (saved.CompactRatings(lists), pickle.loads(pickle.dumps(saved.CompactRatings(lists)))):
            assert list(held) == list(lists) and len(held) == len(lists)
            assert all(held[key] == lists[key] for key in lists)
            assert held[len(lists) + 5] == []
    kept = saved.compact(fresh).model.algo
    assert isinstance(kept.yr, saved.CompactRatings) and kept.yr is kept.trainset.ur  # item-based: yr is ur
    assert len(kept.trainset.ur) == len(algo.trainset.ur) and len(kept.trainset.ir) == 0  # predicting reads ur only
    assert algo.trainset.ur is algo.yr and len(algo.trainset.ir) == algo.trainset.n_items  # the fitted model is kept
    kept = saved.compact(svd).model.algo
    assert len(kept.trainset.ur) == len(kept.trainset.ir) == 0  # SVD predicts from its factors and biases


def test_popularity_model_matches_counts_by_hand(trained):
    path, training, _ = trained
    with warehouse.session(path) as con:
        table = saved.recommend_for_users(con, training.run_ids[-1], ["nobody-123"], k=4)
        counts = con.execute(
            "SELECT item_id, count(DISTINCT user_id) AS n FROM events WHERE event_type = 'view' "
            "GROUP BY item_id ORDER BY n DESC, item_id LIMIT 4"
        ).df()
    assert table["item_id"].tolist() == counts["item_id"].tolist()
    assert table["score"].tolist() == counts["n"].astype(float).tolist()


def test_unrelated_writes_keep_it_fresh_a_feedback_change_makes_it_stale_and_a_refit_replaces_it(sample_db, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_db, path)
    training = job.train(path, {"popularity": {}}, evaluate.SplitQuery(), 5, lambda done, message: None)
    (run_id,) = training.run_ids
    with warehouse.session(path, write=True) as con:
        before, data_before = saved.feedback_version(con), warehouse.data_version(con)
        runs.save_run(con, training.comparison.results[0])  # a recommender run: data_version moves
        assert warehouse.data_version(con) != data_before
        assert saved.feedback_version(con) == before
        assert saved.load_model(con, run_id) is not None

        item = con.execute("SELECT item_id FROM ratings GROUP BY item_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        non_products.confirm(con, [item])  # the most popular item is no product after all
        assert saved.feedback_version(con) != before
        assert saved.load_model(con, run_id) is None  # stale: never used
        assert saved.model_info(con, run_id).data_version == before
        stale_top = saved.recommend_for_users(con, run_id, ["nobody-123"], k=3)  # fitted now, not saved
        assert item not in set(stale_top["item_id"])
        assert saved.model_info(con, run_id).data_version == before

    said = []
    result = job.refit(path, run_id, lambda done, message: said.append(message))
    assert said == [f"Fitting run #{run_id}'s model on all feedback"]
    with warehouse.session(path) as con:
        now = saved.feedback_version(con)
        assert result == {"run_id": run_id, "data_version": now, "size_bytes": saved.model_info(con, run_id).size_bytes}
        loaded = saved.load_model(con, run_id)
        assert loaded is not None and item not in set(loaded.model.items)
        fresh = serve.fit_recommender(con, "popularity")
        pd.testing.assert_frame_equal(
            serve.recommend(con, loaded, ["nobody-123"], k=3), serve.recommend(con, fresh, ["nobody-123"], k=3)
        )

    users_file, orders_file = tmp_path / "users.csv", tmp_path / "orders.csv"
    users_file.write_text("user_id,country\nnew-customer,FR\n")
    orders_file.write_text(
        f"order_id,user_id,item_id,ts,quantity,unit_price\nextra-1,new-customer,{item},2026-01-02,1,2.5\n"
    )
    with warehouse.session(path, write=True) as con:
        ingest.import_file(con, "users", users_file)  # customers are no feedback
        assert saved.feedback_version(con) == now
        ingest.import_file(con, "orders", orders_file)  # purchases are
        assert saved.feedback_version(con) != now


def test_deleting_runs_deletes_their_models_and_a_model_for_a_deleted_run_is_not_kept(trained, tmp_path):
    path, training, _ = trained
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    svd_run, knn_run, popularity_run = training.run_ids
    with warehouse.session(copy, write=True) as con:
        recommender = saved.load_model(con, popularity_run)
        runs.delete_runs(con, [svd_run, knn_run])
        assert saved.model_info(con, svd_run) is None and saved.model_info(con, knn_run) is None
        assert saved.model_info(con, popularity_run) is not None
        assert con.execute("SELECT list(run_id) FROM recommender_models").fetchone()[0] == [popularity_run]
        saved.save_model(con, svd_run, recommender, saved.feedback_version(con))  # the run was deleted meanwhile
        assert saved.model_info(con, svd_run) is None
