"""Evaluation: the same folds as Surprise's cross_validate, honest time-split bookkeeping, the quality bar, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surprise import SVD, Dataset, KNNBaseline, Reader
from surprise.model_selection import KFold, cross_validate
from test_recommend_feedback import make_warehouse, order_lines

from retention import warehouse
from retention.errors import DataError
from retention.recommend import evaluate, feedback, metrics, models


@pytest.fixture(scope="module")
def sample_con(sample_db):
    con = warehouse.connect(sample_db)
    yield con
    con.close()


@pytest.fixture(scope="module")
def default_con(default_db):
    con = warehouse.connect(default_db)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("name", "params", "algo"),
    [
        (
            "svd",
            {"n_factors": 10, "n_epochs": 10, "negatives": 0},
            lambda: SVD(n_factors=10, n_epochs=10, random_state=0),
        ),
        (
            "knn_baseline",
            {"k": 20, "negatives": 0},
            lambda: KNNBaseline(
                k=20, sim_options={"name": "pearson_baseline", "user_based": False, "shrinkage": 100}, verbose=False
            ),
        ),
    ],
)
def test_random_split_rmse_and_mae_equal_surprise_cross_validate(sample_con, name, params, algo):
    result = evaluate.evaluate_model(name, evaluate.random_split(sample_con, folds=3, seed=5), params, k=10)
    frame = feedback.load_feedback(sample_con).frame
    data = Dataset.load_from_df(frame[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5)))
    expected = cross_validate(
        algo(), data, measures=["rmse", "mae"], cv=KFold(n_splits=3, random_state=5, shuffle=True)
    )
    assert result.metrics["rmse"] == pytest.approx(expected["test_rmse"].mean())
    assert result.metrics["mae"] == pytest.approx(expected["test_mae"].mean())


def test_time_split_counts_match_pandas(sample_con):
    split = evaluate.time_split(sample_con, feedback="ratings")
    cutoff = pd.Timestamp(split.description["cutoff"])
    ratings = sample_con.execute("SELECT user_id, item_id, ts FROM ratings").df()
    assert (ratings["ts"] < cutoff).mean() == pytest.approx(0.8, abs=0.01)
    train, test = ratings[ratings["ts"] < cutoff], ratings[ratings["ts"] >= cutoff]
    assert split.description["train_rows"] == len(train.drop_duplicates(["user_id", "item_id"]))
    assert split.description["cold_users"] == len(set(test["user_id"]) - set(train["user_id"]))
    assert split.description["cold_items"] == len(set(test["item_id"]) - set(train["item_id"]))
    new = test.merge(train[["user_id", "item_id"]], how="left", indicator=True).query("_merge == 'left_only'")
    warm = new[new["user_id"].isin(train["user_id"]) & new["item_id"].isin(train["item_id"])]
    assert split.description["eval_users"] == warm["user_id"].nunique()


def test_popularity_metrics_match_an_independent_computation(sample_con):
    split = evaluate.time_split(sample_con)
    fold = split.folds[0]
    result = evaluate.evaluate_model("popularity", split, k=5)
    train, test = fold.train.frame, fold.test
    counts = train.groupby("item_id")["user_id"].nunique()
    ranked = sorted(counts.index, key=lambda item: (-counts[item], item))
    hits, ndcgs = [], []
    for user, rows in test.groupby("user_id"):
        seen = set(train.loc[train["user_id"] == user, "item_id"])
        if not seen:
            continue
        relevant = set(rows["item_id"]) & set(counts.index) - seen
        if not relevant:
            continue
        top = [item for item in ranked if item not in seen][:5]
        gains = [1.0 if item in relevant else 0.0 for item in top]
        dcg = sum(gain / np.log2(rank + 2) for rank, gain in enumerate(gains))
        idcg = sum(1 / np.log2(rank + 2) for rank in range(min(len(relevant), 5)))
        hits.append(sum(gains) > 0)
        ndcgs.append(dcg / idcg)
    assert result.metrics["hit_rate"] == pytest.approx(np.mean(hits))
    assert result.metrics["ndcg_at_k"] == pytest.approx(np.mean(ndcgs))
    assert result.metrics["rmse"] is None
    assert result.metrics["popular_share"] > 0.9


def test_collaborative_and_content_models_beat_popularity_on_the_sample_shop(default_con):
    split = evaluate.time_split(default_con)
    comparison = evaluate.compare(split, ["popularity", "random", "svd", "knn_baseline", "content"])
    results = {r.model: r for r in comparison.results}
    assert comparison.skipped == {}
    ndcg = {name: result.metrics["ndcg_at_k"] for name, result in results.items()}
    for name in ("svd", "knn_baseline", "content"):
        assert ndcg[name] > 1.4 * ndcg["popularity"], ndcg
    assert ndcg["popularity"] > 2 * ndcg["random"], ndcg
    assert results["svd"].fit_seconds > 0 and results["svd"].score_seconds > 0


@pytest.fixture(scope="module")
def sample_split(sample_con):
    return evaluate.time_split(sample_con)


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_every_registered_model_evaluates_with_its_defaults(sample_split, name):
    result = evaluate.evaluate_model(name, sample_split, k=5)
    ranking = [result.metrics[metric] for metric in metrics.RANKING_METRICS + ("coverage", "popular_share")]
    assert all(0.0 <= value <= 1.0 for value in ranking), result.metrics
    assert result.metrics["novelty"] > 0 and result.fit_seconds >= 0 and result.score_seconds > 0
    assert result.params == models.resolve_params(name)


def test_rating_model_without_negatives_predicts_ratings(sample_con):
    split = evaluate.time_split(sample_con)
    result = evaluate.evaluate_model("baseline_only", split, {"negatives": 0})
    assert 0 < result.metrics["mae"] <= result.metrics["rmse"] < 2.0
    with_negatives = evaluate.evaluate_model("baseline_only", split, {"negatives": 4})
    assert with_negatives.metrics["rmse"] is None


def test_negative_samples_avoid_observed_pairs():
    frame = pd.DataFrame(
        {
            "user_id": pd.array(["a", "a", "b"], dtype="string"),
            "item_id": pd.array(["x", "y", "z"], dtype="string"),
            "rating": [5.0, 4.0, 3.0],
            "first_ts": pd.NaT,
            "ts": pd.NaT,
        }
    )
    augmented = models.with_negatives(feedback.Feedback(frame, "ratings", (1.0, 5.0)), 5, seed=1).frame
    negatives = augmented[augmented["rating"] == models.NEGATIVE_RATING]
    assert not negatives.empty
    pairs = set(zip(frame["user_id"], frame["item_id"], strict=True))
    assert not pairs & set(zip(negatives["user_id"], negatives["item_id"], strict=True))
    assert not negatives.duplicated(["user_id", "item_id"]).any()


def test_k_larger_than_the_catalogue_gives_short_lists(tmp_path):
    lines = order_lines(
        [
            ("o1", "a", "x", "2025-01-01", 1),
            ("o2", "a", "y", "2025-01-02", 1),
            ("o3", "b", "x", "2025-01-03", 1),
            ("o4", "b", "z", "2025-01-04", 1),
            ("o5", "a", "z", "2025-02-01", 1),
            ("o6", "b", "y", "2025-02-02", 1),
            ("o7", "c", "w", "2025-02-03", 1),
        ]
    )
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines))
    try:
        split = evaluate.time_split(con, cutoff="2025-02-01")
        assert split.description["cold_users"] == 1 and split.description["cold_items"] == 1
        for name in ("popularity", "svd", "knn_baseline", "random"):
            result = evaluate.evaluate_model(name, split, k=50)
            assert result.metrics["recall_at_k"] == 1.0  # each user has one unseen item left, and it is relevant
            assert result.metrics["precision_at_k"] == pytest.approx(1 / 50)
        with pytest.raises(DataError, match="content model needs product text"):
            evaluate.evaluate_model("content", split)
        with pytest.raises(DataError, match="K must be at least 1"):
            evaluate.evaluate_model("popularity", split, k=0)
        with pytest.raises(DataError, match="no feedback before the cutoff"):
            evaluate.time_split(con, cutoff="2024-01-01")
        with pytest.raises(DataError, match="between 2 and 7 folds"):
            evaluate.random_split(con, folds=8)
    finally:
        con.close()


def test_repeat_mode_counts_bought_again_items_as_hits_and_discovery_does_not(tmp_path):
    # a buys x and y before the cutoff, x again after; b buys x and z before, z again and y after; c buys x, y
    lines = order_lines(
        [
            ("o1", "a", "x", "2025-01-01", 1),
            ("o2", "b", "x", "2025-01-02", 1),
            ("o3", "b", "z", "2025-01-03", 1),
            ("o4", "a", "y", "2025-01-04", 1),
            ("o5", "c", "y", "2025-01-05", 1),
            ("o5", "c", "x", "2025-01-05", 1),
            ("o6", "a", "x", "2025-02-01", 1),
            ("o7", "b", "z", "2025-02-02", 1),
            ("o8", "b", "y", "2025-02-03", 1),
        ]
    )
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines))
    try:
        discovery = evaluate.time_split(con, cutoff="2025-02-01")
        repeat = evaluate.time_split(con, cutoff="2025-02-01", mode="repeat")
        with pytest.raises(DataError, match="unknown evaluation mode 'replenish'"):
            evaluate.make_split(con, evaluate.SplitQuery(mode="replenish"))
    finally:
        con.close()
    assert (discovery.description["mode"], repeat.description["mode"]) == ("discovery", "repeat")
    relevant = {
        mode: {
            (split.folds[0].targets.users[row], split.folds[0].targets.items[column])
            for row, column in zip(*split.folds[0].targets.relevant.nonzero(), strict=True)
        }
        for mode, split in (("discovery", discovery), ("repeat", repeat))
    }
    assert relevant["discovery"] == {("b", "y")}  # a's x and b's z were bought before: not new
    assert relevant["repeat"] == {("a", "x"), ("b", "z"), ("b", "y")}
    # popularity ranks x (3 buyers) first. Discovery: b's list skips x and z, so y, a hit. Repeat: x for
    # everyone, a hit for a (who bought it again), a miss for b
    for split, expected_hit_rate in ((discovery, 1.0), (repeat, 0.5)):
        result = evaluate.evaluate_model("popularity", split, k=1)
        assert result.metrics["hit_rate"] == pytest.approx(expected_hit_rate)
    lists = evaluate.recommend_indices(
        models.fit_model("popularity", repeat.folds[0].train), repeat.folds[0].targets, 3
    )
    targets = repeat.folds[0].targets
    assert targets.items[lists[list(targets.users).index("a")][0]] == "x"  # a past item, recommended again


def test_a_single_user_cannot_be_evaluated_but_says_why(tmp_path):
    lines = order_lines([("o1", "a", "x", "2025-01-01", 1), ("o2", "a", "y", "2025-02-01", 1)])
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines))
    try:
        with pytest.raises(DataError, match="no test customer has a new item that was in the training catalogue"):
            evaluate.time_split(con, cutoff="2025-01-15")
    finally:
        con.close()


def test_unknown_models_and_parameters_are_named():
    with pytest.raises(DataError, match=f"model 'foo' is not one of {', '.join(models.MODELS)}$"):
        models.resolve_params("foo")
    with pytest.raises(DataError, match="svd has no parameter 'depth'"):
        models.resolve_params("svd", {"depth": 3})
    with pytest.raises(DataError, match="between 1 and 500"):
        models.resolve_params("svd", {"n_factors": 0})
    assert models.resolve_params("svd", {"biased": "false"})["biased"] is False


def test_metric_registry_covers_evaluation_output(sample_con):
    split = evaluate.time_split(sample_con)
    result = evaluate.evaluate_model("random", split)
    assert list(result.metrics) == list(metrics.METRIC_NAMES)
    assert 0 <= result.metrics["coverage"] <= 1 and result.metrics["novelty"] > 0


def test_a_split_query_names_the_split_it_makes(sample_con):
    default = evaluate.make_split(sample_con)
    assert default.description == evaluate.time_split(sample_con).description
    query = evaluate.SplitQuery("random", folds=3, seed=5)
    made = evaluate.make_split(sample_con, query)
    assert made.description == evaluate.random_split(sample_con, folds=3, seed=5).description
    assert made.description["folds"] == 3 and len(made.folds) == 3
    with pytest.raises(DataError, match="unknown split 'leave_one_out'; use one of time, random"):
        evaluate.make_split(sample_con, evaluate.SplitQuery("leave_one_out"))


def test_feedback_summary_counts_match_pandas_and_the_default_split(sample_con):
    summary = evaluate.feedback_summary(sample_con)
    views = sample_con.execute("SELECT user_id, item_id FROM events WHERE event_type = 'view'").df()
    assert (summary.kind, summary.rule) == ("views", feedback.source_rule("views"))  # the most rows
    assert summary.rows == len(views.drop_duplicates())
    assert (summary.users, summary.items) == (views["user_id"].nunique(), views["item_id"].nunique())
    description = evaluate.time_split(sample_con).description
    assert summary.cutoff == description["cutoff"] and summary.split_error is None
    assert (summary.eval_users, summary.cold_users, summary.cold_items) == (
        description["eval_users"],
        description["cold_users"],
        description["cold_items"],
    )


def test_feedback_summary_says_why_the_default_split_is_impossible(tmp_path):
    lines = order_lines([("o1", "a", "x", "2025-01-01", 1), ("o2", "a", "y", "2025-02-01", 1)])
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines))
    try:
        summary = evaluate.feedback_summary(con)
    finally:
        con.close()
    assert (summary.kind, summary.rows, summary.users, summary.items) == ("purchases", 2, 1, 2)
    assert summary.cutoff is None and summary.eval_users is None and summary.cold_users is None
    assert "no test customer has a new item" in summary.split_error


def test_compare_without_product_text_runs_the_others_and_says_why_content_was_skipped(tmp_path, monkeypatch):
    lines = order_lines(
        [
            ("o1", "a", "x", "2025-01-01", 1),
            ("o2", "a", "y", "2025-01-02", 1),
            ("o3", "b", "x", "2025-01-03", 1),
            ("o4", "b", "z", "2025-01-04", 1),
            ("o5", "a", "z", "2025-02-01", 1),
            ("o6", "b", "y", "2025-02-02", 1),
        ]
    )
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines))
    try:
        split = evaluate.time_split(con, cutoff="2025-02-01")
        progress = []
        comparison = evaluate.compare(
            split, ["svd", "content", "popularity"], k=5, progress=lambda f, m: progress.append(m)
        )
        assert [result.model for result in comparison.results] == ["svd", "popularity"]
        assert list(comparison.skipped) == ["content"]
        assert comparison.skipped["content"].startswith("the content model needs product text")
        assert any(message.startswith("Skipped Content-based") for message in progress)
        assert models.unmet_need("content", split.folds[0].train, split.products) == comparison.skipped["content"]
        assert models.unmet_need("svd", split.folds[0].train, split.products) is None

        # the item-by-item models' memory need, with a limit below this catalogue's 3 items
        monkeypatch.setattr(models, "MAX_PAIRWISE_ITEMS", 2)
        comparison = evaluate.compare(split, ["knn_baseline", "slope_one", "popularity"], k=5)
        assert [result.model for result in comparison.results] == ["popularity"]
        assert set(comparison.skipped) == {"knn_baseline", "slope_one"}
        assert "at most 2 items" in comparison.skipped["knn_baseline"]
        with pytest.raises(DataError, match="no model could run: content: the content model needs product text"):
            evaluate.compare(split, ["content"])
    finally:
        con.close()
