"""The recommender run a campaign uses by default, on runs really trained on the sample: never random (even when it
is the newest run), never a run on another split or out of date (after an import) without a warning."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import app_page
from test_campaigns_fixtures import scored_copy

from retention import ingest, warehouse
from retention.recommend import choice, evaluate, job, runs


def _train(path: str, model: str, query: evaluate.SplitQuery | None = None) -> int:
    """Evaluate and save one model (a real fit) on the split ``query`` describes; its run id."""
    (run_id,) = job.train(path, {model: {}}, query or evaluate.SplitQuery(), 10, lambda done, message: None).run_ids
    return run_id


@pytest.fixture(scope="module")
def trained(sample_db, tmp_path_factory) -> tuple[str, dict[str, int]]:
    """A scored warehouse where popularity was trained first and random last (the newest run)."""
    path = scored_copy(sample_db, tmp_path_factory.mktemp("default_run"))
    made = {"popularity": _train(path, "popularity"), "random": _train(path, "random")}
    return path, made


@pytest.fixture
def copy(trained, tmp_path) -> tuple[str, dict[str, int]]:
    path, made = trained
    shutil.copy(path, tmp_path / "warehouse.duckdb")
    return str(tmp_path / "warehouse.duckdb"), made


def test_the_newest_run_is_random_and_the_default_is_not(copy):
    path, made = copy
    with warehouse.session(path) as con:
        listed = runs.list_runs(con).set_index("run_id")
        options = choice.run_options(con).set_index("run_id")
        default = choice.default_run(con)
    assert listed.index.max() == made["random"] and listed.loc[made["random"], "model"] == "random"
    assert default == made["popularity"]
    ndcg = listed.loc[made["popularity"], "ndcg_at_k"]
    assert options.loc[default, "label"] == f"#{default} Most popular · discovery · NDCG@10 {ndcg:.3f}"
    assert options.loc[made["random"], "warning"].startswith("random lists")
    assert options.loc[made["random"], "label"].endswith("(not comparable)")
    assert options.index[0] == default and options["default"].sum() == 1


def test_another_split_and_an_import_are_warned_about(copy, tmp_path):
    path, made = copy
    # A repeat-aware run on the same split competes; a run on a random split does not compare with them.
    repeat = _train(path, "popularity", evaluate.SplitQuery(mode="repeat"))
    other = _train(path, "popularity", evaluate.SplitQuery(kind="random", folds=2))
    with warehouse.session(path) as con:
        options = choice.run_options(con).set_index("run_id")
    assert options.loc[made["popularity"], "warning"].startswith("evaluated on another split")
    assert options.loc[repeat, "warning"].startswith("evaluated on another split")
    assert pd.isna(options.loc[other, "warning"]) and options.loc[other, "default"]
    # New orders make every run out of date: none is preselected, each says why.
    with warehouse.session(path) as con:
        recent = con.execute("SELECT * FROM orders ORDER BY ts DESC LIMIT 3").df()
    recent = recent.assign(order_id=recent["order_id"] + "-later", ts=recent["ts"] + pd.Timedelta(days=1))
    recent.to_csv(tmp_path / "later.csv", index=False)
    with warehouse.session(path, write=True) as con:
        ingest.import_file(con, "orders", tmp_path / "later.csv")
        options = choice.run_options(con)
        assert choice.default_run(con) is None
    assert not options["default"].any()
    assert options["warning"].str.contains("other feedback").sum() == len(options) - 1  # random keeps its own


def test_the_page_preselects_the_default_and_warns_when_random_is_picked(copy, monkeypatch):
    path, made = copy
    monkeypatch.setenv("RETENTION_DB", path)
    at = app_page("campaigns.py", timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="arm-recommendations_email-run")
    assert picker.value == made["popularity"] and "NDCG@10" in picker.options[0]
    assert not any(warning.value.startswith("Run #") for warning in at.warning)
    picker.set_value(made["random"]).run()
    assert any(warning.value.startswith(f"Run #{made['random']}: random lists") for warning in at.warning)
