"""The neural recommenders: the next-item GRU follows a purchase sequence, NeuMF learns blocks of taste, early
stopping keeps the best epoch, the numpy scores are Keras's own ``predict``, and a saved model recommends in a
process that never imports Keras or JAX."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_recommend_feedback import make_warehouse, order_lines

from retention import warehouse
from retention.recommend import evaluate, job, models, neural, saved
from retention.recommend.feedback import Feedback

CHAIN = 12  # items i00 .. i11 bought in a cycle: after i03 comes i04, after i11 comes i00
DAY = pd.Timestamp("2025-01-01")
EARLY = {"epochs": 30, "patience": 2, "learning_rate": 0.05}
GRU = {"history": 4, "embedding": 16, "units": 16, "epochs": 4, "learning_rate": 0.02, "batch_size": 16}
NCF = {"factors": 8, "mlp_layers": 2, "negatives": 4, "epochs": 4, "learning_rate": 0.02, "batch_size": 64}


def chain_rows(n_users: int = 160, seed: int = 0) -> list[tuple[str, str, pd.Timestamp]]:
    """``(user, item, day)``: each customer buys 4 to 7 consecutive items of the cycle, one a day, from a random
    start."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        start, length = int(rng.integers(CHAIN)), int(rng.integers(4, 8))
        rows += [
            (f"u{user:03d}", f"i{(start + step) % CHAIN:02d}", DAY + pd.Timedelta(days=step)) for step in range(length)
        ]
    return rows


def feedback_of(rows: list[tuple[str, str, pd.Timestamp]]) -> Feedback:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts"]).assign(rating=2.0)
    frame = frame.assign(first_ts=frame["ts"]).astype({"user_id": "string", "item_id": "string"})
    return Feedback(frame[["user_id", "item_id", "rating", "first_ts", "ts"]], "implicit", (1.0, 5.0))


@pytest.fixture(scope="module")
def chain() -> Feedback:
    return feedback_of(chain_rows())


@pytest.fixture(scope="module")
def gru(chain):
    said = []
    with models.reporting_fits(said.append):
        keras_model, fitted = neural.train_gru4rec(chain, models.resolve_params("gru4rec", GRU))
    return keras_model, fitted, said


def top_unseen(scores: np.ndarray, feedback: Feedback, users: pd.Index, items: pd.Index) -> np.ndarray:
    """Each user's best-scored catalogue position among the items they have not bought."""
    seen = models.pair_matrix(feedback.frame, users, items).toarray() > 0
    return np.where(seen, -np.inf, scores).argmax(axis=1)


def test_gru4rec_ranks_the_next_item_of_the_sequence_first(chain, gru):
    _, fitted, said = gru
    frame = chain.frame.sort_values(["user_id", "ts"])
    last = frame.groupby("user_id")["item_id"].last().reindex(fitted.users)
    expected = fitted.items.get_indexer([f"i{(int(item[1:]) + 1) % CHAIN:02d}" for item in last])
    top = top_unseen(fitted.scores(list(fitted.users)), chain, fitted.users, fitted.items)
    popular = models.fit_model("popularity", chain)
    top_popular = top_unseen(popular.scores(list(fitted.users)), chain, fitted.users, fitted.items)
    assert np.mean(top == expected) >= 0.9
    assert np.mean(top == expected) > np.mean(top_popular == expected) + 0.5
    assert said[0].startswith(f"epoch 1 of {GRU['epochs']}, validation NDCG@10 ")


def test_training_sequences_are_next_item_steps_cut_from_the_latest_back():
    # user 0 bought items 5, 6, 7, 8, 9 in that order, user 1 items 1, 2; inputs are positions + 1 (0 pads)
    history = neural.Histories(np.array([5, 6, 7, 8, 9, 1, 2]), np.array([0, 5, 7]))
    inputs, targets, weights = neural.chunks(history, 2)
    np.testing.assert_array_equal(inputs, [[7 + 1, 8 + 1], [5 + 1, 6 + 1], [0, 1 + 1]])
    np.testing.assert_array_equal(targets, [[8, 9], [6, 7], [0, 2]])
    np.testing.assert_array_equal(weights, [[1, 1], [1, 1], [0, 1]])
    inputs, targets, weights = neural.chunks(history, 2, recent=3)  # user 0's latest three steps only
    np.testing.assert_array_equal(inputs, [[7 + 1, 8 + 1], [0, 6 + 1], [0, 1 + 1]])
    np.testing.assert_array_equal(targets, [[8, 9], [0, 7], [0, 2]])
    np.testing.assert_array_equal(history.last(3), [[7, 8, 9], [-1, 1, 2]])


def block_rows(n_users: int = 120, seed: int = 1) -> tuple[list, dict[str, set[str]]]:
    """Two tastes: customers of block 0 buy 4 of the items a0..a5, of block 1 4 of b0..b5; returns the rows and
    each customer's two items of their block left out."""
    rng = np.random.default_rng(seed)
    rows, left_out = [], {}
    for user in range(n_users):
        block = "ab"[user % 2]
        order = rng.permutation(6)
        user_id = f"u{user:03d}"
        rows += [(user_id, f"{block}{item}", DAY + pd.Timedelta(days=day)) for day, item in enumerate(order[:4])]
        left_out[user_id] = {f"{block}{item}" for item in order[4:]}
    return rows, left_out


@pytest.fixture(scope="module")
def ncf():
    rows, left_out = block_rows()
    train = feedback_of(rows)
    keras_model, fitted = neural.train_ncf(train, models.resolve_params("ncf", NCF))
    return train, left_out, keras_model, fitted


def test_ncf_recommends_the_customers_own_taste(ncf):
    train, left_out, _, fitted = ncf
    seen = models.pair_matrix(train.frame, fitted.users, fitted.items).toarray() > 0
    scores = np.where(seen, -np.inf, fitted.scores(list(fitted.users)))
    top_two = np.argsort(-scores, axis=1)[:, :2]
    hits = [len(left_out[user] & set(fitted.items[row])) / 2 for user, row in zip(fitted.users, top_two, strict=True)]
    random_hits = 2 / 8  # two of the eight items a customer has not bought are of their taste
    assert np.mean(hits) >= 0.8 > random_hits + 0.5


def test_numpy_scores_are_keras_predict(gru, ncf):
    keras_model, fitted, _ = gru
    steps = np.array([[0, 1, 2, 3], [0, 0, 5, 6], [9, 10, 11, 12], [0, 0, 0, 4]], dtype="int32")
    expected = keras_model.predict(steps, verbose=0)[:, -1]
    np.testing.assert_allclose(fitted.weights.logits(fitted.weights.state(steps)), expected, rtol=1e-5, atol=1e-5)
    _, _, keras_model, fitted = ncf
    rows = np.arange(len(fitted.users))
    users, items = np.repeat(rows, len(fitted.items)), np.tile(np.arange(len(fitted.items)), len(rows))
    expected = keras_model.predict([users.astype("int32"), items.astype("int32")], verbose=0, batch_size=4096)
    np.testing.assert_allclose(fitted.scores(list(fitted.users)), expected.reshape(len(rows), -1), rtol=1e-5, atol=1e-5)


def test_early_stopping_stops_and_keeps_the_best_epoch():
    rows, _ = block_rows(seed=2)
    train = feedback_of(rows)
    params = models.resolve_params("ncf", {**NCF, **EARLY})
    said = []
    with models.reporting_fits(said.append):
        fitted = neural.train_ncf(train, params)[1]
    pattern = re.compile(rf"epoch (\d+) of {params['epochs']}, validation NDCG@10 (\d\.\d\d\d)")
    reported = [pattern.fullmatch(message) for message in said]
    assert all(reported) and [int(match[1]) for match in reported] == list(range(1, len(said) + 1))
    values = [float(match[2]) for match in reported]
    best = int(np.argmax(fitted.validation))
    assert len(said) == fitted.epochs_run == best + 1 + params["patience"] < params["epochs"]
    assert values == [round(value, 3) for value in fitted.validation]
    assert fitted.validation[-1] < fitted.validation[best]
    # each customer's last item, held out of training, ranked among the items they did not train on
    frame = train.frame.sort_values(["user_id", "ts"])
    last = frame.groupby("user_id")["item_id"].last().reindex(fitted.users)
    seen = models.pair_matrix(frame.drop(frame.groupby("user_id").tail(1).index), fitted.users, fitted.items)
    scores = np.where(seen.toarray() > 0, -np.inf, fitted.scores(list(fitted.users)))
    target = scores[np.arange(len(last)), fitted.items.get_indexer(last)]
    rank = (scores > target[:, None]).sum(axis=1)
    kept = np.mean(np.where(rank < 10, 1 / np.log2(rank + 2), 0.0))
    assert kept == pytest.approx(fitted.validation[best], abs=1e-9)


def test_keras_on_another_backend_is_refused(chain, tmp_path):
    data = tmp_path / "chain.pkl"
    data.write_bytes(pickle.dumps(chain))
    script = (
        "import pickle, sys, keras\n"
        "from retention.errors import DataError\n"
        "from retention.recommend import models\n"
        f"train = pickle.loads(open({str(data)!r}, 'rb').read())\n"
        "try:\n"
        "    models.fit_model('gru4rec', train, {'epochs': 1})\n"
        "except DataError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "KERAS_BACKEND": "numpy"},
    )
    assert "need Keras on the JAX backend" in done.stdout and "'numpy'" in done.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A warehouse of chain purchases after one training of both neural models and popularity."""
    lines = [(f"{user}-{day:%j}", user, item, str(day), 1.0) for user, item, day in chain_rows(n_users=120, seed=3)]
    path = make_warehouse(tmp_path_factory.mktemp("neural") / "w.duckdb", orders=order_lines(lines))
    said = []
    selections = {"gru4rec": {**GRU, "epochs": 2}, "ncf": {**NCF, "epochs": 2}, "popularity": {}}
    training = job.train(path, selections, evaluate.SplitQuery(), 3, lambda done, message: said.append(message))
    return path, training, said


def test_compare_and_training_run_both_and_report_epochs(trained):
    _, training, said = trained
    assert [result.model for result in training.comparison.results] == ["gru4rec", "ncf", "popularity"]
    for position, name in enumerate(("gru4rec", "ncf"), 1):
        label = models.MODELS[name].label
        for where in (
            f"Model {position} of 3: {label}, fold 1 of 1",
            f"Model {position} of 3: {label} on all feedback",
        ):
            epochs = [message for message in said if message.startswith(f"{where}: epoch")]
            assert [message.split(": ")[-1][:10] for message in epochs] == ["epoch 1 of", "epoch 2 of"]
    results = {result.model: result.metrics["ndcg_at_k"] for result in training.comparison.results}
    assert results["gru4rec"] > results["popularity"]


def test_saved_models_recommend_without_keras_or_jax(trained):
    path, training, _ = trained
    with warehouse.session(path) as con:
        users = sorted(con.execute("SELECT DISTINCT user_id FROM orders").fetchdf()["user_id"])[:20]
        expected = {
            run_id: saved.load_model(con, run_id).recommend(users, k=3).to_dict("list")
            for run_id in training.run_ids[:2]
        }
    script = (
        "import json, sys\n"
        "from retention import warehouse\n"
        "from retention.recommend import saved\n"
        f"with warehouse.session({str(path)!r}) as con:\n"
        f"    found = {{run_id: saved.load_model(con, run_id).recommend({users!r}, k=3).to_dict('list')\n"
        f"             for run_id in {training.run_ids[:2]!r}}}\n"
        "heavy = sorted(name for name in ('keras', 'jax', 'jaxlib') if name in sys.modules)\n"
        "print(json.dumps({'heavy': heavy, 'found': {str(k): v for k, v in found.items()}}, default=str))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout)
    assert answer["heavy"] == []
    for run_id, table in expected.items():
        assert answer["found"][str(run_id)]["item_id"] == table["item_id"]
        np.testing.assert_allclose(answer["found"][str(run_id)]["score"], table["score"], rtol=1e-6)
        assert set(table["source"]) == {"model"} and len(table["item_id"]) == 3 * len(users)
