"""``recommenders compare`` and ``recommend`` on the sample warehouse."""

from __future__ import annotations

import json
import shutil

import pytest

from retention import cli, warehouse
from retention.cli import main
from retention.errors import DataError


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_db, path)
    return str(path)


def test_compare_writes_the_documented_json(db, tmp_path, capsys):
    out = tmp_path / "results.json"
    status = main(
        ["recommenders", "compare", "--db", db, "--models", "svd,popularity", "--k", "5", "--param", "svd.n_factors=8"]
        + ["--param", "svd.negatives=0", "--out", str(out)]
    )
    assert status == 0
    records = json.loads(out.read_text())
    assert [record["model"] for record in records] == ["svd", "popularity"]
    keys = {"model", "params", "rmse", "mae", "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "hit_rate"}
    keys |= {"coverage", "novelty", "diversity", "fit_seconds", "score_seconds"}
    assert keys <= set(records[0])
    assert records[0]["params"]["n_factors"] == 8 and records[0]["rmse"] > 0
    assert records[1]["rmse"] is None
    assert main(["recommenders", "compare", "--db", db, "--models", "popularity", "--no-save"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["model"] == "popularity"


def test_compare_without_product_text_skips_content_and_says_why(db, tmp_path, capsys):
    con = warehouse.connect(db)
    con.execute("DELETE FROM products")
    con.close()
    out = tmp_path / "results.json"
    argv = ["recommenders", "compare", "--db", db, "--models", "svd,content,popularity", "--k", "5"]
    assert main([*argv, "--param", "svd.n_factors=8", "--out", str(out)]) == 0
    records = json.loads(out.read_text())
    assert [record["model"] for record in records] == ["svd", "content", "popularity"]
    assert records[1] == {"model": "content", "skipped": records[1]["skipped"]}
    assert records[1]["skipped"].startswith("the content model needs product text")
    assert records[0]["ndcg_at_k"] is not None and "skipped" not in records[0]
    assert "skipped content: the content model needs product text" in capsys.readouterr().err


def test_recommend_prints_titles(db, capsys):
    con = warehouse.connect(db)
    con.execute("INSERT INTO users (user_id) VALUES ('newcomer')")  # known to the shop, not to the model
    con.close()
    assert main(["recommend", "--db", db, "--model", "popularity", "--user", "newcomer", "--k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split(",") == ["user_id", "rank", "item_id", "title", "score", "source"]
    assert len(lines) == 4 and lines[1].endswith(",popular")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recommenders", "compare", "--models", "nope"], "model 'nope' is not one of svd, "),
        (["recommenders", "compare", "--models", "svd", "--param", "svd.n_factors"], "MODEL.NAME=VALUE"),
        (["recommenders", "compare", "--models", "svd", "--param", "nmf.n_factors=3"], "not in --models"),
        (["recommend", "--model", "svd", "--user", "nobody"], "no customer with the id 'nobody' in the warehouse"),
    ],
)
def test_bad_input_exits_2_with_a_message(db, capsys, argv, message):
    assert main([*argv, "--db", db]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recommenders", "compare", "--models", "popularity", "--split", "random", "--folds", "1"], "--folds"),
        (["recommend", "--model", "svd", "--user", "a", "--k", "0"], "--k: expected a number of at least 1, got 0"),
        (["recommenders", "compare", "--models", "svd", "--cutoff", "notadate"], "expected a date such as"),
    ],
)
def test_bad_arguments_are_refused_by_the_parser_before_any_work(db, capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--db", db])
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_command_groups_are_one_registry_of_the_cli_modules():
    groups = cli.command_groups()
    assert {"recommenders", "info", "campaign"} <= set(groups)
    assert groups["recommenders"] is cli.recommenders.add_parsers
    with pytest.raises(DataError, match="command group 'nope' is not one of api_key, at_risk, "):
        groups.get_or_raise("nope")


def test_compare_is_recorded_as_a_job_with_progress_on_stderr_and_keeps_each_runs_model(db, capsys):
    from retention import jobs
    from retention.recommend import MODELS, list_runs, model_info
    from retention.recommend.job import KIND

    argv = ["recommenders", "compare", "--db", db, "--models", "svd,popularity", "--param", "svd.n_factors=8"]
    assert main([*argv, "--split", "random", "--folds", "2"]) == 0
    captured = capsys.readouterr()
    err, records = captured.err.splitlines(), json.loads(captured.out)
    svd, popularity = MODELS["svd"].label, MODELS["popularity"].label
    assert err[:7] == [
        f"[  0%] Model 1 of 2: {svd}, fold 1 of 2",
        f"[ 17%] Model 1 of 2: {svd}, fold 2 of 2",  # 2 folds and the fit on all feedback: thirds of a model
        f"[ 33%] Model 2 of 2: {popularity}, fold 1 of 2",
        f"[ 50%] Model 2 of 2: {popularity}, fold 2 of 2",
        f"[ 67%] Model 1 of 2: {svd} on all feedback",
        f"[ 83%] Model 2 of 2: {popularity} on all feedback",
        "[100%] Done",
    ]
    assert err[7:] == [verdict["sentence"] for record in records for verdict in record["verdicts"]]  # then verdicts
    assert len(err) == 8  # the chosen run against the other, which is the best baseline or the runner-up
    (job,) = jobs.recent(db).itertuples()
    assert (job.kind, job.started_by, job.status) == (KIND, "cli", "done")
    result = json.loads(job.result)
    con = warehouse.connect(db)
    try:
        assert sorted(result["run_ids"]) == sorted(list_runs(con)["run_id"])
        assert result["models"] == ["svd", "popularity"] and result["skipped"] == {}
        assert all(model_info(con, run_id) is not None for run_id in result["run_ids"])
    finally:
        con.close()


def test_models_lists_every_registered_model_with_its_hyperparameters(capsys):
    from retention.recommend import MODELS

    assert main(["recommenders", "models", "--json"]) == 0
    listed = {model["name"]: model for model in json.loads(capsys.readouterr().out)}
    assert list(listed) == list(MODELS)
    for name, spec in MODELS.items():
        assert listed[name]["default"] == spec.default_on and listed[name]["description"] == spec.description
        assert [param["name"] for param in listed[name]["params"]] == [param.name for param in spec.params]
    assert {"ease", "als", "buy_again", "history_blend", "popularity"} <= {n for n, m in listed.items() if m["default"]}
    assert not listed["random"]["default"] and not listed["knn_baseline"]["default"]
    assert main(["recommenders", "models"]) == 0
    text = capsys.readouterr().out
    assert "ease: EASE" in text and "--param ease.l2=" in text
