"""Implicit-feedback models: EASE against a column-by-column ridge regression, co-occurrence against pandas, buy
again's order by hand, ALS and BPR against implicit's own recommend, buy again beating popularity on a
replenishment shop, and every new model through a comparison and a training whose saved model loads and
recommends without refitting."""

from __future__ import annotations

import io
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_recommend_feedback import make_warehouse, order_lines

from retention import warehouse
from retention.recommend import evaluate, job, models, saved, serve, topk
from retention.recommend.feedback import Feedback

NEW_MODELS = ("ease", "cooccurrence", "buy_again", "history_blend", "als", "bpr")
QUICK = {"als": {"iterations": 3, "factors": 8}, "bpr": {"iterations": 10, "factors": 8}}
NEWEST = pd.Timestamp("2025-06-30")


def feedback_frame(n_users: int = 30, n_items: int = 12, seed: int = 3) -> Feedback:
    """Random implicit feedback: each user has 2-6 items rated 1-5, last bought up to 200 days before NEWEST."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        for item in rng.choice(n_items, size=rng.integers(2, 7), replace=False):
            ts = NEWEST - pd.Timedelta(days=int(rng.integers(0, 200)))
            rows.append((f"u{user:02d}", f"i{item:02d}", float(rng.integers(1, 6)), ts - pd.Timedelta(days=30), ts))
    rows.append(("u00", "i00", 3.0, NEWEST, NEWEST))  # the newest interaction is the decay's reference
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "first_ts", "ts"])
    frame = frame.drop_duplicates(["user_id", "item_id"], keep="last").sort_values(["user_id", "item_id"])
    frame = frame.astype({"user_id": "string", "item_id": "string"}).reset_index(drop=True)
    return Feedback(frame, "implicit", (1.0, 5.0))


def dense_rows(train: Feedback, values: np.ndarray) -> np.ndarray:
    """Users x items array of ``values`` from a pivot (independent of the models' sparse helpers)."""
    frame = train.frame.assign(value=values)
    table = frame.pivot_table(index="user_id", columns="item_id", values="value", aggfunc="sum", fill_value=0.0)
    return table.sort_index().sort_index(axis=1).to_numpy(dtype=float)


@pytest.mark.parametrize("weighting", ["binary", "rating"])
def test_ease_columns_are_ridge_regressions_on_the_other_items(weighting):
    train, l2 = feedback_frame(), 7.0
    fitted = models.fit_model("ease", train, {"l2": l2, "weighting": weighting, "neighbours": 0})
    x = dense_rows(train, np.ones(len(train.frame)) if weighting == "binary" else train.frame["rating"].to_numpy())
    n_items = x.shape[1]
    expected = np.zeros((n_items, n_items))
    for j in range(n_items):  # column j: min ||x_j - X_{-j} b||^2 + l2 ||b||^2 over the other items
        others = np.delete(np.arange(n_items), j)
        a = x[:, others]
        expected[others, j] = np.linalg.solve(a.T @ a + l2 * np.eye(n_items - 1), a.T @ x[:, j])
    assert np.diag(fitted.matrix.toarray()).tolist() == [0.0] * n_items
    np.testing.assert_allclose(fitted.matrix.toarray(), expected, atol=1e-5)
    users = list(fitted.users)
    np.testing.assert_allclose(fitted.scores(users), x @ expected, atol=1e-4)

    pruned = models.fit_model("ease", train, {"l2": l2, "weighting": weighting, "neighbours": 2}).matrix.toarray()
    for j in range(n_items):  # each column keeps its two strongest contributors, unchanged
        strongest = set(np.argsort(-np.abs(expected[:, j]), kind="stable")[:2])
        kept = set(np.flatnonzero(pruned[:, j]))
        assert kept <= strongest and len(kept) == min(2, np.count_nonzero(np.abs(expected[:, j]) > 1e-9))
        np.testing.assert_allclose(pruned[list(kept), j], expected[list(kept), j], atol=1e-5)


@pytest.mark.parametrize("similarity", ["jaccard", "lift", "counts"])
def test_cooccurrence_scores_match_pandas(similarity):
    train, half_life, min_count = feedback_frame(), 45.0, 2
    params = {"similarity": similarity, "min_count": min_count, "weighting": "rating", "half_life_days": half_life}
    fitted = models.fit_model("cooccurrence", train, params)
    frame = train.frame[["user_id", "item_id"]]
    pairs = frame.merge(frame, on="user_id").groupby(["item_id_x", "item_id_y"]).size().rename("both").reset_index()
    had = frame.groupby("item_id").size()
    pairs = pairs.assign(nx=had.loc[pairs["item_id_x"]].to_numpy(), ny=had.loc[pairs["item_id_y"]].to_numpy())
    pairs = pairs[pairs["both"] >= min_count]
    similar = {
        "jaccard": pairs["both"] / (pairs["nx"] + pairs["ny"] - pairs["both"]),
        "lift": pairs["both"] / (pairs["nx"] * pairs["ny"]),
        "counts": pairs["both"].astype(float),
    }[similarity]
    pairs = pairs.assign(similar=similar)
    age_days = (train.frame["ts"].max() - train.frame["ts"]).dt.total_seconds() / 86_400
    affinity = train.frame.assign(affinity=train.frame["rating"] * 0.5 ** (age_days / half_life))
    joined = affinity.merge(pairs, left_on="item_id", right_on="item_id_x")
    joined = joined.assign(score=joined["affinity"] * joined["similar"])
    expected = joined.pivot_table(index="user_id", columns="item_id_y", values="score", aggfunc="sum", fill_value=0.0)
    expected = expected.reindex(index=fitted.users, columns=fitted.items, fill_value=0.0)
    np.testing.assert_allclose(fitted.scores(list(fitted.users)), expected.to_numpy(), rtol=1e-5, atol=1e-7)


def test_buy_again_ranks_own_items_by_rating_and_recency_then_the_popular_rest():
    day = pd.Timedelta(days=1)
    rows = [  # (user, item, rating, last purchase)
        ("me", "fresh", 4.0, NEWEST),  # 4 * 0.5^0 = 4
        ("me", "old", 4.0, NEWEST - 120 * day),  # 4 * 0.5^(120/60) = 1
        ("me", "small", 2.0, NEWEST),  # 2
        *((f"other{n}", "hit", 2.0, NEWEST) for n in range(3)),  # bought by 3 others
        *((f"other{n}", "minor", 2.0, NEWEST) for n in range(2)),
        ("other0", "rare", 2.0, NEWEST),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "ts"]).assign(first_ts=lambda f: f["ts"])
    train = Feedback(frame.astype({"user_id": "string", "item_id": "string"}), "implicit", (1.0, 5.0))
    fitted = models.fit_model("buy_again", train, {"weighting": "rating", "half_life_days": 60.0})
    indices, _ = topk.top_k(fitted.scores(["me"]), 6)
    assert list(fitted.items[indices[0]]) == ["fresh", "small", "old", "hit", "minor", "rare"]


def implicit_lists(name: str, params: dict, train: Feedback, k: int):
    """implicit's own model fitted with the same settings, and its ``recommend`` for every user, liked items
    filtered."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from threadpoolctl import threadpool_limits

    users = models.known_users(train)
    items = models.catalogue(train)
    rows, cols = users.get_indexer(train.frame["user_id"]), items.get_indexer(train.frame["item_id"])
    values = train.frame["rating"].to_numpy() if name == "als" else np.ones(len(rows))
    user_items = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=(len(users), len(items)))
    with threadpool_limits(1, "blas"):
        if name == "als":
            settings = {key: params[key] for key in ("factors", "regularization", "alpha", "iterations")}
            algo = AlternatingLeastSquares(**settings, num_threads=1, random_state=params["random_state"])
        else:
            settings = {key: params[key] for key in ("factors", "learning_rate", "regularization", "iterations")}
            algo = BayesianPersonalizedRanking(**settings, num_threads=1, random_state=params["random_state"])
        algo.fit(user_items, show_progress=False)
    ids, _ = algo.recommend(np.arange(len(users)), user_items, N=k, filter_already_liked_items=True)
    return ids, user_items


@pytest.mark.parametrize("name", ["als", "bpr"])
def test_factor_models_list_what_implicit_recommends(name):
    train, k = feedback_frame(n_users=60, n_items=25), 5
    params = models.resolve_params(name, {"factors": 6, "iterations": 20, "num_threads": 1, "random_state": 4})
    fitted = models.fit_model(name, train, params)
    expected, user_items = implicit_lists(name, params, train, k)
    ours, _ = topk.top_k(fitted.scores(list(fitted.users)), k, user_items)
    assert (ours == expected).all()


def replenishment_shop(path) -> str:
    """120 customers who each reorder 3 staple items monthly for a year, plus one popular item now and then."""
    rng = np.random.default_rng(7)
    lines, order = [], 0
    popular = [f"p{n}" for n in range(8)]
    for user in range(120):
        staples = rng.choice(40, size=3, replace=False)
        for month in range(12):
            order += 1
            ts = pd.Timestamp("2024-01-01") + pd.DateOffset(months=month) + pd.Timedelta(days=int(rng.integers(28)))
            for item in staples:
                if rng.random() < 0.8:
                    lines.append((f"o{order}", f"c{user}", f"s{item}", str(ts), 1.0))
            lines.append((f"o{order}", f"c{user}", popular[rng.integers(len(popular))], str(ts), 1.0))
    return make_warehouse(path, orders=order_lines(lines))


def test_buy_again_beats_popularity_when_repeats_count(tmp_path):
    with warehouse.session(replenishment_shop(tmp_path / "shop.duckdb")) as con:
        split = evaluate.make_split(con, evaluate.SplitQuery(mode=evaluate.REPEAT))
    comparison = evaluate.compare(split, ["popularity", "buy_again", "history_blend"], k=5)
    ndcg = {result.model: result.metrics["ndcg_at_k"] for result in comparison.results}
    own_and_similar = evaluate.evaluate_model("history_blend", split, {"trend_weight": 0.0}, k=5)
    assert ndcg["buy_again"] > 2 * ndcg["popularity"], ndcg
    assert own_and_similar.metrics["ndcg_at_k"] > 2 * ndcg["popularity"], ndcg
    assert ndcg["history_blend"] > ndcg["popularity"], ndcg  # what sells now (everyone's staples here) weighs in


def pickled_modules(blob: bytes) -> set[str]:
    """Top-level packages whose classes or functions unpickling ``blob`` looks up."""
    modules = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            modules.add(module.split(".")[0])
            return super().find_class(module, name)

    Recording(io.BytesIO(blob)).load()
    return modules


@pytest.fixture(scope="module")
def trained(sample_db, tmp_path_factory):
    """A private copy of the sample warehouse after one training of every new model (runs and models saved)."""
    path = tmp_path_factory.mktemp("item_models") / "w.duckdb"
    shutil.copy(sample_db, path)
    said = []
    selections = {name: QUICK.get(name, {}) for name in NEW_MODELS}
    training = job.train(path, selections, evaluate.SplitQuery(), 5, lambda done, message: said.append(message))
    return str(path), training, said


def test_every_new_model_compares_and_beats_random(trained):
    _, training, said = trained
    results = {result.model: result for result in training.comparison.results}
    assert list(results) == list(NEW_MODELS) and training.comparison.skipped == {}
    with warehouse.session(trained[0]) as con:
        split = evaluate.make_split(con, evaluate.SplitQuery())
    floor = evaluate.evaluate_model("random", split, k=5).metrics["ndcg_at_k"]
    for name, result in results.items():
        assert result.metrics["ndcg_at_k"] > floor, (name, result.metrics["ndcg_at_k"], floor)
    assert any(message.endswith(": iteration 3 of 3") for message in said), said  # ALS reports each iteration


def test_saved_new_models_load_and_recommend_without_refitting(trained):
    path, training, _ = trained
    with warehouse.session(path) as con:
        users = list(con.execute("SELECT DISTINCT user_id FROM ratings ORDER BY user_id LIMIT 30").df()["user_id"])
        for run_id, result in zip(training.run_ids, training.comparison.results, strict=True):
            blob = con.execute("SELECT model FROM recommender_models WHERE run_id = ?", [run_id]).fetchone()[0]
            assert "implicit" not in pickled_modules(blob) and "surprise" not in pickled_modules(blob), result.model
            loaded = saved.load_model(con, run_id)
            assert loaded is not None and type(loaded.model) is type(pickle.loads(blob).model)
            fresh = serve.fit_recommender(con, result.model, result.params)
            pd.testing.assert_frame_equal(serve.recommend(con, loaded, users, k=5), serve.recommend(con, fresh, users))
