"""Modes for real customers: a repeat-aware run's lists may hold what a customer bought, a discovery run's never;
the mode travels with training, saving and refitting; the default run for campaigns is the best comparable run of
the better mode, never a random or stale one."""

from __future__ import annotations

import pickle

import pytest

from retention import schema, warehouse
from retention.recommend import choice, evaluate, job, runs, saved, serve
from retention.recommend import feedback as fb

K = 20


@pytest.fixture(scope="module")
def shop(sample_db):
    """The sample's feedback and products, and its 40 customers with the most feedback."""
    with warehouse.session(sample_db) as con:
        feedback, products = fb.load_feedback(con), fb.products(con)
    heavy = feedback.frame[schema.COL_USER].value_counts().head(40).index.astype(str).tolist()
    return feedback, products, heavy


def _history(feedback: fb.Feedback) -> dict[str, set[str]]:
    """Per user, the set of items they interacted with."""
    return {user: set(items) for user, items in feedback.frame.groupby("user_id", observed=True)["item_id"]}


def test_repeat_lists_may_hold_past_items_discovery_lists_never(shop):
    feedback, products, users = shop
    history = _history(feedback)
    counts = feedback.frame.groupby("item_id")["user_id"].nunique().sort_values(ascending=False)  # popularity
    repeat = serve.fit_on(feedback, products, "popularity", mode="repeat").recommend(users, K)
    discovery = serve.fit_on(feedback, products, "popularity").recommend(users, K)
    repeats = 0
    for user in users:
        again = repeat[repeat["user_id"] == user]
        new = discovery[discovery["user_id"] == user]
        assert not set(new["item_id"]) & history[user]
        repeats += len(set(again["item_id"]) & history[user])
        # Repeat-aware popularity is the same top list for everyone: the K highest counts, nothing left out.
        assert again["score"].tolist() == counts.head(K).astype(float).tolist()
        assert new["score"].tolist() == counts.drop(list(history[user]), errors="ignore").head(K).astype(float).tolist()
    assert repeats > 0


def test_recommend_with_the_warehouse_follows_the_mode(sample_db, shop):
    feedback, products, users = shop
    with warehouse.session(sample_db) as con:
        bought = warehouse.query(con, "recommend_user_items", {"user_ids": users})
        repeat = serve.recommend(con, serve.fit_on(feedback, products, "popularity", mode="repeat"), users, K)
        discovery = serve.recommend(con, serve.fit_on(feedback, products, "popularity"), users, K)
    pairs = set(zip(bought["user_id"].astype(str), bought["item_id"].astype(str), strict=True))
    listed = lambda table: set(zip(table["user_id"], table["item_id"], strict=True))  # noqa: E731
    assert listed(repeat) & pairs and not listed(discovery) & pairs


def test_a_recommender_pickled_before_modes_reads_as_discovery(shop):
    feedback, products, _ = shop
    recommender = serve.fit_on(feedback, products, "popularity")
    del recommender.__dict__["mode"]  # what an older pickle holds
    assert pickle.loads(pickle.dumps(recommender)).mode == "discovery"
    with pytest.raises(Exception, match="unknown recommendation mode 'both'"):
        serve.fit_on(feedback, products, "popularity", mode="both")


def test_training_saving_and_refitting_carry_the_mode(sample_copy):
    said = []
    training = job.train(
        sample_copy, {"popularity": {}}, evaluate.SplitQuery(mode="repeat"), 10, lambda d, m: said.append(m)
    )
    (run_id,) = training.run_ids
    with warehouse.session(sample_copy) as con:
        assert saved.load_model(con, run_id).mode == "repeat"
        assert saved.fit_for_run(con, run_id).mode == "repeat"
    saved.refit(sample_copy, run_id)
    with warehouse.session(sample_copy) as con:
        assert saved.load_model(con, run_id).mode == "repeat"
    assert choice.run_mode({}) == "discovery" and choice.run_mode('{"mode": "repeat"}') == "repeat"


def _save(con, model: str, mode: str, ndcg: float, version: str | None, k: int = 10, name: str | None = None) -> int:
    """A run as a training saves it, its metrics given (no model is fitted: the choice reads only the runs)."""
    result = evaluate.Evaluation(model, {}, {"kind": "time", "mode": mode}, k, {"ndcg_at_k": ndcg}, 0.1, 0.1)
    return runs.save_run(con, result, name or f"{model} {mode}", version)


def test_default_run_is_the_best_comparable_run_of_the_better_mode(sample_copy):
    with warehouse.session(sample_copy, write=True) as con:
        assert choice.default_run(con) is None and choice.run_options(con).empty
        version = saved.feedback_version(con)
        ease = _save(con, "svd", "discovery", 0.10, version)
        _save(con, "popularity", "discovery", 0.05, version)
        assert choice.default_run(con) == ease
        again = _save(con, "popularity", "repeat", 0.30, version, name="Buy again")
        _save(con, "random", "repeat", 0.90, version)  # random is never the default
        _save(con, "svd", "repeat", 0.95, "an older feedback version")  # nor a run on other feedback
        _save(con, "svd", "repeat", 0.97, version, k=5)  # nor one at another K
        _save(con, "svd", "repeat", 0.99, None)  # nor one saved before versions were kept
        assert choice.default_run(con) == again  # repeat's best (0.30) beats discovery's (0.10)
        options = choice.run_options(con)
    assert options["run_id"].iloc[0] == again and options["default"].sum() == 1
    assert options["label"].iloc[0] == f"#{again} Buy again · repeat-aware · NDCG@10 0.300"
    assert options["run_id"].iloc[1] == ease and options["label"].iloc[1].endswith("discovery · NDCG@10 0.100")
    flagged = options[options["warning"].notna()]
    assert len(flagged) == 4 and flagged["label"].str.endswith("(not comparable)").all()
    assert flagged["warning"].str.contains("random|other feedback|K = 5").all()
    assert options["warning"].isna().sum() == 3
