"""Hyperparameter search: the grid is the product of the values; random draws stay in bounds and follow the seed;
the budget holds; the best trial is what a fresh evaluation of its setting gives; the best is saved as a named run
with its model; the CLI prints the trials; the page runs a search as a job."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from conftest import app_page
from test_page_at_risk import settled

from retention import jobs, warehouse
from retention.cli import main
from retention.errors import DataError
from retention.recommend import MODELS, evaluate, resolve_params, runs, saved, search


def test_default_ranges_span_the_default_within_the_bounds():
    svd = {item.name: item for item in search.search_space("svd")}
    assert "random_state" not in svd  # a seed is not tuned
    assert (svd["n_factors"].low, svd["n_factors"].high) == (math.ceil(50 / 4), 50 * 4)
    assert svd["n_factors"].integer and not svd["n_factors"].log
    assert svd["lr_all"].log and svd["lr_all"].low == pytest.approx(0.005 / 10)
    assert svd["lr_all"].high == pytest.approx(0.005 * 10)
    assert svd["reg_all"].log and svd["biased"].values == (True, False)
    knn = {item.name: item for item in search.search_space("knn_baseline")}
    assert (knn["min_k"].low, knn["min_k"].high) == (1, 4)  # 1 / 4 is below the bound 1
    window = search.search_space("popularity")[0]  # default 0: the lower tenth of the bounds
    assert (window.low, window.high, window.log) == (0.0, 3650.0 / 10, False)
    assert {item.name: item for item in search.search_space("knn_means")}["similarity"].values == (
        "msd",
        "cosine",
        "pearson",
    )


def test_grid_enumerates_the_product_of_the_values():
    space = (
        search.parse_range("svd", "n_factors=4,8"),
        search.parse_range("svd", "lr_all=0.001:0.1"),
        search.parse_range("svd", "biased=true,false"),
    )
    settings = search.plan("svd", space, "grid", runs=100)
    expected = [
        {"n_factors": n, "lr_all": lr, "biased": biased}
        for n in (4, 8)
        for lr in (0.001, 0.001 * 10, 0.001 * 100)  # three points, evenly in log
        for biased in (True, False)
    ]
    assert len(settings) == 2 * 3 * 2
    assert [setting.keys() for setting in settings] == [setting.keys() for setting in expected]
    for got, want in zip(settings, expected, strict=True):
        assert got["n_factors"] == want["n_factors"] and got["biased"] == want["biased"]
        assert got["lr_all"] == pytest.approx(want["lr_all"])
    sample = search.plan("svd", space, "grid", runs=5, seed=1)
    assert len(sample) == 5 and search.plan("svd", space, "grid", runs=5, seed=1) == sample
    positions = [settings.index(setting) for setting in sample]
    assert positions == sorted(positions)  # a sample of the grid, in grid order


def test_random_stays_in_bounds_follows_the_seed_and_starts_from_the_defaults():
    space = search.search_space("svd")
    settings = search.plan("svd", space, "random", runs=40, seed=3)
    assert len(settings) == 40
    assert len({tuple(sorted(setting.items())) for setting in settings}) == 40  # each setting once
    defaults = resolve_params("svd")
    assert settings[0] == {item.name: defaults[item.name] for item in space}
    for setting in settings:
        for item in space:
            value = setting[item.name]
            if item.values:
                assert value in item.values
            else:
                assert item.low <= value <= item.high
                assert isinstance(value, int) == item.integer
        resolve_params("svd", setting)  # within every Param's own bounds
    assert search.plan("svd", space, "random", runs=40, seed=3) == settings
    assert search.plan("svd", space, "random", runs=40, seed=4) != settings
    draws = [setting["lr_all"] for setting in settings[1:]]  # log-uniform: as many below the geometric middle
    middle = math.sqrt(0.0005 * 0.05)
    assert 10 <= sum(draw < middle for draw in draws) <= 29
    tiny = (search.parse_range("svd", "biased=true,false"),)  # two settings: the plan stops there
    assert len(search.plan("svd", tiny, "random", runs=10)) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("n_factors", "must look like NAME=LOW:HIGH"),
        ("colour=1:2", "svd has no parameter 'colour'"),
        ("n_factors=0:10", "must be between 1 and 500, got 0"),
        ("n_factors=50:10", "write the lower bound first"),
        ("biased=0:1", "takes listed values"),
    ],
)
def test_bad_ranges_say_what_is_wrong(text, message):
    with pytest.raises(DataError, match=message):
        search.parse_range("svd", text)


def test_bad_queries_say_what_is_wrong():
    with pytest.raises(DataError, match="unknown search strategy 'bayes'"):
        search.SearchQuery("svd", strategy="bayes").checked()
    with pytest.raises(DataError, match="at least 1 run"):
        search.SearchQuery("svd", runs=0).checked()
    with pytest.raises(DataError, match="unknown metric 'accuracy'"):
        search.SearchQuery("svd", metric="accuracy").checked()
    with pytest.raises(DataError, match="model 'nope' is not one of"):
        search.SearchQuery("nope").checked()


WINDOWS = search.parse_range("popularity", "window_days=0,30,90,180")


def test_search_keeps_the_budget_and_saves_the_best_as_a_named_run(sample_copy):
    said = []
    query = search.SearchQuery("popularity", strategy="grid", runs=3, ranges=(WINDOWS,), k=5)
    split = evaluate.SplitQuery(mode="repeat")
    found = search.run_search(sample_copy, query, split, lambda done, message: said.append((done, message)))
    assert len(found.trials) == 3 and found.stopped == "runs"  # three of the grid's four
    assert found.trials["trial"].tolist() == [1, 2, 3]
    assert set(found.trials.columns) == {"trial", "window_days", "ndcg_at_k", "fit_seconds", "score_seconds"}
    assert set(found.trials["window_days"]) <= {0.0, 30.0, 90.0, 180.0}
    trial_lines = [message for _, message in said if "→" in message]
    assert [line.split(":")[0] for line in trial_lines] == ["Trial 1 of 3", "Trial 2 of 3", "Trial 3 of 3"]
    first = found.trials.iloc[0]
    assert trial_lines[0] == f"Trial 1 of 3: window_days={first['window_days']} → NDCG@5 {first['ndcg_at_k']:.4g}"
    assert [done for done, _ in said] == sorted(done for done, _ in said) and said[-1][0] == 1.0

    # The best trial is what a fresh evaluation of its setting on a fresh split gives.
    best = found.trials["ndcg_at_k"].idxmax()
    with warehouse.session(sample_copy) as con:
        fresh = evaluate.evaluate_model(
            "popularity", evaluate.make_split(con, split), {"window_days": found.trials["window_days"][best]}, k=5
        )
    assert found.best.metrics["ndcg_at_k"] == pytest.approx(fresh.metrics["ndcg_at_k"])
    assert found.best.metrics["ndcg_at_k"] == pytest.approx(found.trials["ndcg_at_k"].max())

    with warehouse.session(sample_copy) as con:
        run = runs.get_run(con, found.run_id)
        listed = runs.list_runs(con)
        model = saved.load_model(con, found.run_id)
        version = saved.feedback_version(con)
    assert run.name == f"{MODELS['popularity'].label} · tuned" and run.params == fresh.params
    assert run.split["mode"] == "repeat" and run.k == 5
    assert listed["run_id"].tolist() == [found.run_id]  # only the best is saved
    assert listed["data_version"].iloc[0] == version
    assert model is not None and model.params == fresh.params and model.mode == "repeat"
    assert search.job_result(found)["best"] == {"params": fresh.params, "value": found.best.metrics["ndcg_at_k"]}


def test_a_time_budget_stops_after_the_trial_that_ran_out(sample_copy):
    query = search.SearchQuery("popularity", strategy="grid", runs=4, minutes=1e-9, ranges=(WINDOWS,))
    found = search.run_search(sample_copy, query, evaluate.SplitQuery(), lambda done, message: None, save=False)
    assert len(found.trials) == 1 and found.stopped == "minutes" and found.run_id is None
    with warehouse.session(sample_copy) as con:
        assert runs.list_runs(con).empty


def test_most_varied_names_the_parameter_with_most_values():
    trials = pd.DataFrame({"trial": [1, 2, 3], "a": [1, 1, 2], "b": [1, 2, 3], "ndcg_at_k": [0.1, 0.3, 0.2]})
    assert search.most_varied(trials, "ndcg_at_k") == "b"
    assert search.best_trial(trials, "ndcg_at_k") == 1
    assert search.best_trial(trials.assign(rmse=[0.9, 0.8, 0.95]), "rmse", higher_is_better=False) == 1
    assert search.most_varied(trials.assign(b=1, a=1), "ndcg_at_k") is None


def test_cli_prints_the_trials_and_saves_the_best(sample_copy, capsys):
    argv = ["recommenders", "search", "--db", sample_copy, "--model", "popularity", "--strategy", "grid"]
    argv += ["--range", "window_days=0,30", "--k", "5", "--name", "Popular, tuned"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert [trial["window_days"] for trial in printed["trials"]] == [0.0, 30.0]
    assert printed["metric"] == "ndcg_at_k" and printed["stopped"] == "runs"
    assert "Trial 2 of 2: window_days=30.0 → NDCG@5" in captured.err
    with warehouse.session(sample_copy) as con:
        run = runs.get_run(con, printed["run_id"])
        assert run.name == "Popular, tuned" and run.params == printed["best"]["params"]
        assert saved.model_info(con, printed["run_id"]) is not None
    recorded = jobs.recent(sample_copy)
    assert recorded["kind"].tolist() == [search.KIND] and recorded["status"].tolist() == ["done"]
    assert main([*argv[:-2], "--no-save", "--runs", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["trials"]) == 1
    assert main([*argv[:8], "--range", "window_days=-5:1"]) == 2
    assert "must be between 0.0 and 3650.0, got -5.0" in capsys.readouterr().err


def test_page_tunes_a_model_and_the_tuned_run_joins_the_leaderboard(sample_copy, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    at = app_page("recommenders.py", timeout=180).run()
    assert not at.exception
    assert at.selectbox(key="tune-model").value == next(iter(MODELS))
    at.selectbox(key="tune-model").set_value("popularity").run()
    ranges = [frame.value for frame in at.dataframe if "Hyperparameter" in frame.value.columns]
    assert ranges and ranges[0]["Hyperparameter"].tolist() == ["window_days"]
    at.number_input(key="tune-runs").set_value(2).run()
    at.selectbox(key="tune-mode").set_value("repeat").run()
    at.button(key="tune-start").click().run()
    at = settled(at)
    assert not at.exception, [element.value for element in at.exception]
    (job,) = jobs.recent(sample_copy).itertuples()
    assert job.kind == search.KIND and job.status == "done"
    result = jobs.get(sample_copy, job.job_id).result
    assert any(f"saved as run #{result['run_id']}" in success.value for success in at.success)
    trials = next(frame.value for frame in at.dataframe if "trial" in frame.value.columns)
    assert trials["trial"].tolist() == [1, 2]
    assert trials["ndcg_at_k"].tolist() == pytest.approx([trial["ndcg_at_k"] for trial in result["trials"]])
    with warehouse.session(sample_copy) as con:
        tuned = runs.get_run(con, result["run_id"])
    assert at.dataframe[0].value["name"].tolist() == [tuned.name]  # the leaderboard
    assert any(button.label == "Download CSV" for button in at.get("download_button"))
    assert len(at.get("plotly_chart")) == 2  # the leaderboard's chart and the trials'
    assert jobs.get(sample_copy, job.job_id).params["split"]["mode"] == "repeat"
    at = at.toggle[0].set_value(True).run()  # the customer panel says which mode the tuned run's list is in
    assert not at.exception
    assert any(caption.value.startswith("Repeat-aware list: may hold items") for caption in at.caption)
