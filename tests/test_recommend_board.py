"""The leaderboard's statistics (retention/recommend/board.py) and their storage with the runs: per-customer
metrics, bootstrap intervals, paired verdicts, comparable groups, metrics by slice, and ``recommenders runs``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from retention.cli import main
from retention.errors import DataError
from retention.recommend import board, evaluate, metrics, runs

# ---------------------------------------------------------------------------------------------- per-customer metrics


def test_the_metrics_are_the_means_of_the_per_customer_metrics():
    rng = np.random.default_rng(3)
    hits = rng.random((200, 10)) < 0.2
    n_relevant = np.maximum(hits.sum(axis=1), rng.integers(1, 15, size=200))
    per_user = metrics.per_user(hits, n_relevant)
    assert set(per_user) == set(metrics.RANKING_METRICS)
    assert np.mean(per_user["precision_at_k"]) == pytest.approx(metrics.precision_at_k(hits))
    assert np.mean(per_user["recall_at_k"]) == pytest.approx(metrics.recall_at_k(hits, n_relevant))
    assert np.mean(per_user["ndcg_at_k"]) == pytest.approx(metrics.ndcg_at_k(hits, n_relevant))
    assert np.mean(per_user["map_at_k"]) == pytest.approx(metrics.map_at_k(hits, n_relevant))
    assert np.mean(per_user["hit_rate"]) == pytest.approx(metrics.hit_rate(hits))
    # one customer by hand: hits at ranks 0 and 2 of 3, two relevant items
    one = metrics.per_user(np.array([[True, False, True]]), np.array([2]))
    assert one["ndcg_at_k"][0] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))
    assert one["map_at_k"][0] == pytest.approx((1 + 2 / 3) / 2)
    assert one["precision_at_k"][0] == pytest.approx(2 / 3) and one["hit_rate"][0] == 1.0


@pytest.fixture(scope="module")
def con(module_copy_con):
    return module_copy_con


@pytest.fixture(scope="module")
def split(con):
    return evaluate.time_split(con, feedback="ratings")


@pytest.fixture(scope="module")
def results(split):
    chosen = {"popularity": None, "svd": {"n_factors": 8, "n_epochs": 5}, "random": None}
    return evaluate.compare(split, chosen, k=5).results


def test_an_evaluation_keeps_each_customers_metrics_and_their_means_are_its_metrics(split, results):
    (fold,) = split.folds
    for result in results:
        users = result.user_metrics
        assert users["user_id"].tolist() == list(fold.targets.users)
        for metric in metrics.RANKING_METRICS:
            assert users[metric].mean() == pytest.approx(result.metrics[metric])
            low, high = result.intervals[metric]
            assert low <= result.metrics[metric] <= high
    counts = fold.train.frame["user_id"].value_counts()
    assert results[0].user_metrics["train_items"].tolist() == counts.loc[fold.targets.users].astype(float).tolist()


def test_k_fold_keeps_each_customers_mean_over_the_folds_they_were_evaluated_in(con):
    split = evaluate.random_split(con, folds=2, seed=1)
    result = evaluate.evaluate_model("popularity", split, k=5)
    per_fold = [
        evaluate.evaluate_fold("popularity", {}, fold, 5, split.products)["user_metrics"] for fold in split.folds
    ]
    expected = pd.concat(per_fold).groupby("user_id")["ndcg_at_k"].mean()
    got = result.user_metrics.set_index("user_id")["ndcg_at_k"]
    assert got.index.tolist() == expected.index.tolist()
    assert np.allclose(got.to_numpy(), expected.to_numpy())


# --------------------------------------------------------------------------------------------------------- intervals


def _loop_interval(values: np.ndarray, seed: int = 0, resamples: int = 1000) -> np.ndarray:
    """The percentile bootstrap as its definition reads: one resample at a time."""
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(resamples):
        drawn = rng.integers(0, len(values), size=len(values), dtype=np.int32)
        means.append(values[drawn].mean(axis=0))
    return np.quantile(np.array(means), [0.025, 0.975], axis=0)


def test_the_bootstrap_interval_equals_a_loop_over_resamples():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(3000)],
            **{metric: rng.beta(1, 4, size=3000) for metric in metrics.RANKING_METRICS},
        }
    )
    got = board.intervals(frame)
    expected = _loop_interval(frame[list(metrics.RANKING_METRICS)].to_numpy())
    for position, metric in enumerate(metrics.RANKING_METRICS):
        assert got[metric] == pytest.approx(expected[:, position].tolist(), rel=1e-9)
    single = board.bootstrap_means(frame["ndcg_at_k"].to_numpy())  # one metric: the gathering path
    assert np.quantile(single, [0.025, 0.975]) == pytest.approx(got["ndcg_at_k"], rel=1e-9)
    # and the width is what the normal approximation says: 2 * 1.96 * sd / sqrt(n)
    values = frame["ndcg_at_k"]
    assert got["ndcg_at_k"][1] - got["ndcg_at_k"][0] == pytest.approx(
        2 * 1.96 * values.std() / np.sqrt(len(values)), rel=0.1
    )
    assert board.intervals(frame.iloc[:0]) == {}


# ------------------------------------------------------------------------------------------------------- paired test


def test_the_paired_test_finds_a_real_difference_and_not_a_false_one():
    rng = np.random.default_rng(11)
    users = pd.Index([f"u{i}" for i in range(2000)])
    base = pd.Series(rng.random(2000), index=users)
    better = base + 0.03 + rng.normal(0, 0.05, size=2000)
    found = board.paired(better, base)
    assert found.real and found.users == 2000
    assert found.difference == pytest.approx((better - base).mean())
    assert found.low < 0.03 < found.high and found.p_value < 0.01
    same = board.paired(base, base.copy())
    assert not same.real and same.difference == 0 and same.p_value == 1.0
    noisy = board.paired(base + rng.normal(0, 0.05, size=2000), base)  # no shift: the interval holds zero
    assert noisy.low < 0 < noisy.high
    only_some = board.paired(better.iloc[:500], base.iloc[250:])  # paired over the customers both have
    assert only_some.users == 250
    assert only_some.difference == pytest.approx((better.iloc[250:500] - base.iloc[250:500]).mean())


def test_the_verdicts_say_who_beats_whom_in_words():
    real = board.Paired(0.031, 0.018, 0.044, 0.001, 100)
    assert (
        board.sentence("EASE", "ALS", "ndcg_at_k", 10, real) == "EASE beats ALS by 0.031 NDCG@10 (95% CI 0.018–0.044)"
    )
    reversed_ = board.Paired(-0.031, -0.044, -0.018, 0.001, 100)
    assert board.sentence("EASE", "ALS", "ndcg_at_k", 10, reversed_).startswith("ALS beats EASE by 0.031 NDCG@10")
    tie = board.Paired(0.002, -0.004, 0.008, 0.5, 100)
    assert board.sentence("EASE", "ALS", "ndcg_at_k", 10, tie) == (
        "EASE and ALS do not differ on NDCG@10 (difference 0.002, 95% CI \N{MINUS SIGN}0.004–0.008)"
    )


def _group(values: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    users = [f"u{i}" for i in range(len(next(iter(values.values()))))]
    group = pd.DataFrame(
        {
            "run_id": range(len(values)),
            "name": list(values),
            "model": list(values),
            "k": 10,
            "ndcg_at_k": [np.mean(array) for array in values.values()],
        }
    )
    per_user = {i: pd.DataFrame({"user_id": users, "ndcg_at_k": array}) for i, array in enumerate(values.values())}
    return group, per_user


def test_the_chosen_run_is_compared_with_the_best_baseline_and_the_runner_up():
    rng = np.random.default_rng(5)
    base = rng.random(1500)
    noise = rng.normal(0, 0.05, 1500)
    noise -= noise.mean()  # ALS is 0.001 below EASE on average, and as often above it as below
    group, per_user = _group(
        {"ease": base + 0.1, "als": base + 0.099 + noise, "popularity": base, "random": base - 0.2}
    )
    families = {"popularity": "baseline", "random": "baseline", "ease": "collaborative", "als": "collaborative"}
    found = board.verdicts(group, per_user, families)
    assert [(v.chosen, v.other, v.role) for v in found] == [
        ("ease", "popularity", "baseline"),
        ("ease", "als", "runner-up"),
    ]
    assert found[0].sentence.startswith("ease beats popularity by 0.100 NDCG@10")
    assert found[1].sentence.startswith("ease and als do not differ on NDCG@10 (difference 0.001, 95% CI −0.00")
    assert found[1].result.difference == pytest.approx(0.001)


def test_when_a_baseline_is_best_the_verdict_says_no_model_beats_it():
    rng = np.random.default_rng(6)
    base = rng.random(1500)
    group, per_user = _group({"buy_again": base + 0.1, "ease": base + rng.normal(0, 0.02, 1500), "popularity": base})
    families = {"buy_again": "baseline", "popularity": "baseline", "ease": "collaborative"}
    (found,) = board.verdicts(group, per_user, families)
    assert (found.chosen, found.other) == ("buy_again", "ease")
    assert found.sentence.startswith("No model beats the buy_again baseline: buy_again beats ease by 0.1")
    del per_user[1]  # a run saved without per-customer metrics: said, not guessed
    (unpaired,) = board.verdicts(group, per_user, families)
    assert unpaired.result is None and "ease was saved without per-customer metrics" in unpaired.sentence


# ------------------------------------------------------------------------------------------------------------ groups


def test_runs_are_comparable_only_on_the_same_data_split_k_feedback_and_mode():
    split = {"kind": "time", "cutoff": "2011-09-27T00:00:00", "test_share": 0.2, "feedback": "implicit"}
    split |= {"mode": "discovery", "train_rows": 10, "eval_users": 5}
    key = board.group_key(split, 10, "v1", 1)
    assert board.group_key({**split, "train_rows": 99, "eval_users": 7}, 10, "v1", 2) == key  # counts do not count
    assert board.group_key({**split, "mode": "repeat"}, 10, "v1", 3) != key
    assert board.group_key(split, 5, "v1", 4) != key
    assert board.group_key(split, 10, "v2", 5) != key
    assert board.group_key({**split, "feedback": "ratings"}, 10, "v1", 6) != key
    assert board.group_key({**split, "weights": {"view": 0.1}}, 10, "v1", 7) != key
    assert board.group_key(split, 10, None, 8) != board.group_key(split, 10, None, 9)  # before 015: alone
    label = board.group_label(split, 10, pd.Timestamp("2026-11-30 10:00"), 1)
    assert label == "Time split at 2011-09-27, K=10, purchases, discovery, data of 30 Nov 2026"
    random = {"kind": "random", "folds": 5, "seed": 0, "feedback": "ratings", "mode": "repeat"}
    assert board.group_label(random, 5, None, 3) == (
        "Random 5-fold split (seed 0), K=5, ratings, repeat-aware, run #3, saved before data versions were kept"
    )


def test_groups_are_listed_newest_first_and_read_apart():
    runs = pd.DataFrame(
        {
            "run_id": [1, 2, 3, 4],
            "group": ["a", "b", "a", "c"],
            "group_label": ["Time split, data of 1 Dec", "Time split, data of 1 Dec", "Time split, data of 1 Dec", "X"],
        }
    )
    assert board.groups(runs) == {"c": "X", "a": "Time split, data of 1 Dec", "b": "Time split, data of 1 Dec (2)"}


# ------------------------------------------------------------------------------------------------------------ slices


def test_slices_count_the_customers_as_pandas_does(con, split, results):
    result = results[1]
    (fold,) = split.folds
    attributes = con.execute("SELECT user_id, country, channel FROM users").df()
    sliced = board.slices(result.user_metrics, attributes)
    evaluated = pd.DataFrame({"user_id": fold.targets.users})
    training = fold.train.frame.groupby("user_id").size()
    cold = (training.reindex(evaluated["user_id"]).to_numpy() < 3).sum()
    assert sliced.get("cold", {"users": 0})["users"] == cold
    assert sliced["warm"]["users"] == len(evaluated) - cold
    joined = evaluated.merge(attributes, on="user_id", how="left")
    for column in ("country", "channel"):
        counts = joined[column].value_counts()
        top = counts.head(board.TOP_VALUES)
        for value, n in top.items():
            assert sliced[f"{column}: {value}"]["users"] == n
        rest = len(joined) - top.sum()
        assert sliced.get(f"{column}: other", {"users": 0})["users"] == rest
    warm = result.user_metrics[result.user_metrics["train_items"] >= 3]
    assert sliced["warm"]["ndcg_at_k"] == pytest.approx(warm["ndcg_at_k"].mean())
    assert board.slices(result.user_metrics, attributes.assign(country=None, channel=None)).keys() <= {"cold", "warm"}


# ------------------------------------------------------------------------------------------------ saved with the run


def test_a_saved_run_keeps_its_intervals_slices_and_customers_and_loses_them_when_deleted(con, results):
    run_ids = [runs.save_run(con, result, result.model, "v-board") for result in results]
    table = runs.list_runs(con).set_index("run_id")
    for run_id, result in zip(run_ids, results, strict=True):
        row = table.loc[run_id]
        for metric, (low, high) in result.intervals.items():
            assert (row[f"{metric}_low"], row[f"{metric}_high"]) == pytest.approx((low, high))
        assert json.loads(row["slices"]) == runs.run_slices(con, result.user_metrics)
    stored = runs.user_metrics(con, run_ids)
    pd.testing.assert_frame_equal(stored[run_ids[1]], results[1].user_metrics, check_dtype=False)
    assert table.loc[run_ids, "group"].nunique() == 1
    report = runs.group_report(con, run_ids[0])
    assert [record["name"] for record in report["runs"]] == ["svd", "popularity", "random"]
    assert [(v["chosen"], v["other"]) for v in report["verdicts"]] == [("svd", "popularity")]  # runner-up: a baseline
    runs.delete_runs(con, run_ids[:1])
    assert set(runs.user_metrics(con, run_ids)) == set(run_ids[1:])


def test_recommenders_runs_lists_the_newest_group_with_intervals_and_verdicts(sample_db, tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    shutil.copy(sample_db, db)
    argv = ["recommenders", "compare", "--db", db, "--models", "svd,popularity", "--k", "5"]
    assert main([*argv, "--param", "svd.n_factors=8", "--out", str(tmp_path / "a.json")]) == 0
    records = json.loads((tmp_path / "a.json").read_text())
    assert set(records[0]["intervals"]) == set(metrics.RANKING_METRICS) and records[0]["slices"]
    assert records[0]["verdicts"][0]["sentence"] in capsys.readouterr().err
    assert main([*argv, "--mode", "repeat"]) == 0  # a second group, newer
    capsys.readouterr()
    assert main(["recommenders", "runs", "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "repeat-aware" in report["group"] and len(report["runs"]) == 2
    first = {record["run_id"] for record in records}
    assert all(record["run_id"] > max(first) for record in report["runs"])
    assert report["other_groups"] and "discovery" in report["other_groups"][0]
    assert report["verdicts"] and report["verdicts"][0]["sentence"]
    assert main(["recommenders", "runs", "--db", db, "--group", "1"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == report["other_groups"][0]
    assert "NDCG@5" in text and records[0]["name"] in text
    assert records[0]["verdicts"][0]["sentence"] in text


def test_recommenders_runs_names_what_is_missing(sample_db, tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    shutil.copy(sample_db, db)
    assert main(["recommenders", "runs", "--db", db]) != 0
    assert "no saved recommender runs yet" in capsys.readouterr().err
    with pytest.raises(DataError, match="no saved recommender run with id 7"):
        runs.group_runs(pd.DataFrame({"run_id": [1], "group": ["g"]}), 7)
