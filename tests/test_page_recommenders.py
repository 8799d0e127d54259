"""The Recommenders page: empty state, training as a job with progress, leaderboard, charts, inspector with the
saved models (refitted by a job once stale), deleting runs."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pandas as pd
import pytest
from conftest import app_page
from test_page_at_risk import settled

from retention import jobs, non_products, warehouse
from retention.recommend import evaluate, saved
from retention.recommend import job as recommend_job
from retention.recommend import runs as saved_runs
from retention.recommend.metrics import METRIC_NAMES

PAGE = "recommenders.py"


@pytest.fixture
def page_db(sample_db, tmp_path, monkeypatch):
    """A private copy of the sample warehouse: training saves runs, which must not leak into other tests."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def _count_runs(path: str) -> int:
    con = warehouse.connect(path)
    try:
        return len(saved_runs.list_runs(con))
    finally:
        con.close()


def test_empty_state_explains_feedback_and_cold_start(page_db):
    at = app_page(PAGE, timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Recommenders"
    assert any("Warehouse:" in caption.value for caption in at.sidebar.caption)  # run through the router
    assert "Default feedback: product views" in at.info[0].value and "the number of product views" in at.info[0].value
    values = {metric.label: metric.value for metric in at.metric}
    con = warehouse.connect(page_db)
    try:
        users = con.execute("SELECT count(DISTINCT user_id) FROM events WHERE event_type = 'view'").fetchone()[0]
    finally:
        con.close()
    assert values["Customers with feedback"] == f"{users:,}"
    assert "Cold-start customers" in values and "Cold-start items" in values
    assert any("No runs yet" in info.value for info in at.info)


def _kinds(path: str) -> list[str]:
    """The kinds of the jobs recorded, oldest first."""
    return jobs.recent(path)["kind"].tolist()[::-1]


def _inspecting(at):
    """The page with the customer inspector switched on (it loads the runs' saved models)."""
    return at.toggle[0].set_value(True).run()


def _saved(at) -> list[str]:
    return [success.value for success in at.success if success.value.startswith("Saved ")]


def test_train_compare_inspect_and_delete(page_db):
    at = app_page(PAGE, timeout=180).run()
    at.multiselect[0].set_value(["svd", "popularity"]).run()
    at.number_input(key="param-svd-n_factors").set_value(8).run()
    at.button[0].click().run()
    assert not at.exception, [element.value for element in at.exception]
    assert _kinds(page_db) == [recommend_job.KIND]
    (job,) = jobs.recent(page_db).itertuples()
    assert job.started_by == "app"
    if at.get("progress"):  # still running: its progress
        assert any(caption.value.startswith(f"Job {job.job_id}, started by app on ") for caption in at.caption)
    second = app_page(PAGE, timeout=180).run()  # another browser (or a reload) finds the same job
    if second.get("progress"):  # and cannot start a second training meanwhile
        assert second.button[0].disabled
    for session in (settled(at), settled(second)):
        assert not session.exception
        assert len(_saved(session)) == 1 and _saved(session)[0].startswith("Saved 2 run(s), each with its model")
        assert f"training job {job.job_id}" in _saved(session)[0]
    assert _count_runs(page_db) == 2
    assert _kinds(page_db) == [recommend_job.KIND]  # one job; the inspector loaded the models it saved
    assert jobs.get(page_db, job.job_id).result["models"] == ["svd", "popularity"]

    leaderboard = at.dataframe[0].value.set_index("model")
    assert leaderboard["ndcg_at_k"].notna().all()
    assert any(button.label == "Download CSV" for button in at.get("download_button"))
    with warehouse.session(page_db) as con:
        saved = saved_runs.list_runs(con)
    best_first = saved.sort_values(["ndcg_at_k", "run_id"], ascending=False)
    assert leaderboard.index.tolist() == best_first["model"].tolist()
    assert leaderboard["name"].tolist() == best_first["name"].tolist()  # names, not ids
    assert leaderboard.loc["svd", "n_factors"] == "8" and pd.isna(leaderboard.loc["popularity", "n_factors"])
    low, high = saved.loc[saved["model"] == "svd", ["ndcg_at_k_low", "ndcg_at_k_high"]].iloc[0]
    assert leaderboard.loc["svd", "ndcg_at_k_ci"] == f"{low:.3f}–{high:.3f}"
    group = at.selectbox(key="leaderboard-group")
    assert group.options == [saved["group_label"].iloc[0]]
    assert group.options[0].startswith("Time split at ") and ", K=10, " in group.options[0]
    verdicts = [markdown.value for markdown in at.markdown if "NDCG@10" in markdown.value]
    assert len(verdicts) == 1 and (" beats " in verdicts[0] or " do not differ " in verdicts[0])
    assert all(name in verdicts[0] for name in saved["name"])
    slices = next(frame.value for frame in at.dataframe if "slice" in frame.value.columns)
    assert {"cold", "warm"} & set(slices["slice"]) and set(saved["name"]) <= set(slices.columns)

    at.selectbox(key="leaderboard-metric").set_value("coverage").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1

    assert not any(markdown.value == "**History**" for markdown in at.markdown)  # loaded only when asked for
    at = _inspecting(at)
    assert not at.exception
    headings = [markdown.value for markdown in at.markdown]
    assert "**History**" in headings and any(f"**{name}**" in headings for name in saved["name"])
    recommendation_tables = [frame.value for frame in at.dataframe if "rank" in frame.value.columns]
    assert recommendation_tables and all(table["rank"].tolist()[:1] == [1] for table in recommendation_tables)

    svd_run = int(saved.loc[saved["model"] == "svd", "run_id"].iloc[0])
    delete = at.multiselect(key="delete-runs")
    assert delete.options == saved["name"].tolist()  # names, not ids
    delete.set_value([svd_run]).run()
    next(button for button in at.button if button.label == "Delete selected runs").click().run()
    assert not at.exception
    assert _count_runs(page_db) == 1
    assert at.dataframe[0].value["model"].tolist() == ["popularity"]


def _train_baselines(path: str, mode: str) -> None:
    query = evaluate.SplitQuery(mode=mode)
    jobs.run(
        path,
        recommend_job.KIND,
        recommend_job.job_params({"popularity": {}, "random": {}}, query, 5),
        lambda progress: recommend_job.train(path, {"popularity": {}, "random": {}}, query, 5, progress),
        started_by="cli",
        describe=recommend_job.job_result,
    )


def test_the_leaderboard_shows_one_comparable_group_at_a_time(page_db):
    for mode in ("discovery", "repeat"):
        _train_baselines(page_db, mode)
    at = app_page(PAGE, timeout=180).run()
    assert not at.exception
    group = at.selectbox(key="leaderboard-group")
    assert len(group.options) == 2 and "repeat-aware" in group.options[0] and "discovery" in group.options[1]
    assert len(at.dataframe[0].value) == 2  # the newest group only
    assert not any("NDCG@5" in markdown.value for markdown in at.markdown)  # baselines only: no verdict
    at = group.set_value(group.options[1]).run()
    assert not at.exception
    with warehouse.session(page_db) as con:
        saved = saved_runs.list_runs(con)
    discovery = saved[saved["group_label"] == group.options[1]]
    assert sorted(at.dataframe[0].value["name"]) == sorted(discovery["name"])
    assert at.selectbox(key="leaderboard-group").value == group.options[1]  # kept while nothing new is saved

    _train_baselines(page_db, "repeat")  # a new training brings its group up
    at = at.run()
    assert "repeat-aware" in at.selectbox(key="leaderboard-group").value


def test_a_warehouse_without_feedback_gets_a_message_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    warehouse.connect(path).close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    at = app_page(PAGE, timeout=60).run()
    assert not at.exception
    assert not at.error  # an empty state, not a failure
    assert "no ratings and no purchases with an item id" in at.info[0].value


def test_models_that_cannot_run_are_noted_under_the_leaderboard(page_db):
    con = warehouse.connect(page_db)
    con.execute("DELETE FROM products")
    con.close()
    at = app_page(PAGE, timeout=180).run()
    at.multiselect[0].set_value(["popularity", "content"]).run()
    at = settled(at.button[0].click().run())
    assert not at.exception, [element.value for element in at.exception]
    assert _saved(at)[0].startswith("Saved 1 run(s)")
    assert at.dataframe[0].value["model"].tolist() == ["popularity"]
    notes = [info.value for info in at.info if info.value.startswith("Not trained")]
    assert len(notes) == 1
    assert notes[0].startswith("Not trained: Content-based (TF-IDF). The content model needs product text: ")
    assert "import products (or orders with a title column)" in notes[0]


def test_a_stale_model_is_refitted_by_a_job_and_then_loaded(page_db):
    at = settled(app_page(PAGE, timeout=180).run())
    at.multiselect[0].set_value(["popularity"]).run()
    at = settled(at.button[0].click().run())
    (run_id,) = saved_runs.list_runs(warehouse.connect(page_db, read_only=True))["run_id"]
    with warehouse.session(page_db, write=True) as con:
        top = con.execute("SELECT item_id FROM ratings GROUP BY item_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        non_products.confirm(con, [top])  # the feedback changes: the saved model is stale

    at = app_page(PAGE, timeout=180).run()
    assert _kinds(page_db) == [recommend_job.KIND]  # a visit reads the saved runs: no model is loaded or fitted
    at = _inspecting(at)
    assert not at.exception, [element.value for element in at.exception]
    assert _kinds(page_db) == [recommend_job.KIND, recommend_job.REFIT_KIND]
    refit = jobs.recent(page_db).iloc[0]
    assert jobs.get(page_db, int(refit["job_id"])).params == {
        "run_id": int(run_id),
        "data_version": saved.feedback_version(warehouse.connect(page_db, read_only=True)),
    }
    at = settled(at)
    tables = [frame.value for frame in at.dataframe if "rank" in frame.value.columns]
    assert len(tables) == 1 and tables[0]["rank"].tolist()[:1] == [1] and top not in set(tables[0]["item_id"])
    with warehouse.session(page_db) as con:
        assert saved.model_info(con, run_id).data_version == saved.feedback_version(con)
    settled(_inspecting(app_page(PAGE, timeout=180).run()))  # fresh now: loaded, no further job
    assert _kinds(page_db) == [recommend_job.KIND, recommend_job.REFIT_KIND]


def test_a_refit_that_fails_shows_its_error_until_asked_again(page_db):
    at = settled(app_page(PAGE, timeout=180).run())
    at.multiselect[0].set_value(["content"]).run()
    settled(at.button[0].click().run())
    with warehouse.session(page_db, write=True) as con:
        con.execute("DELETE FROM products")  # the content model can no longer be fitted
        item = con.execute("SELECT item_id FROM ratings LIMIT 1").fetchone()[0]
        non_products.confirm(con, [item])  # and the feedback changes: the saved model is stale

    at = settled(_inspecting(app_page(PAGE, timeout=180).run()))
    assert not at.exception, [element.value for element in at.exception]
    assert _kinds(page_db) == [recommend_job.KIND, recommend_job.REFIT_KIND]
    assert jobs.recent(page_db)["status"].iloc[0] == "failed"
    assert any("needs product text" in error.value for error in at.error)
    again = settled(_inspecting(app_page(PAGE, timeout=180).run()))  # shown, not started again, in another session
    assert any("needs product text" in error.value for error in again.error)
    assert _kinds(page_db) == [recommend_job.KIND, recommend_job.REFIT_KIND]
    settled(next(button for button in again.button if button.label == "Fit again").click().run())
    assert _kinds(page_db) == [recommend_job.KIND, recommend_job.REFIT_KIND, recommend_job.REFIT_KIND]


def test_the_feedback_tiles_are_read_from_the_newest_training_on_the_same_feedback(page_db):
    query = evaluate.SplitQuery()
    jobs.run(
        page_db,
        recommend_job.KIND,
        recommend_job.job_params({"popularity": {}}, query, 5),
        lambda progress: recommend_job.train(page_db, {"popularity": {}}, query, 5, progress),
        started_by="cli",
        describe=recommend_job.job_result,
    )
    (job_id,) = jobs.recent(page_db)["job_id"].tolist()
    summary = jobs.get(page_db, job_id).result["summary"]
    with warehouse.session(page_db) as con:
        assert summary == {
            **dataclasses.asdict(evaluate.feedback_summary(con)),
            "data_version": saved.feedback_version(con),
        }
    con = warehouse.connect(page_db)
    try:  # a mark only the saved summary carries: the page must show it rather than split the feedback again
        marked = json.dumps({**jobs.get(page_db, job_id).result, "summary": {**summary, "users": 123_456_789}})
        con.execute("UPDATE jobs SET result = ? WHERE job_id = ?", [marked, job_id])
    finally:
        con.close()
    at = app_page(PAGE, timeout=120).run()
    assert not at.exception
    values = {metric.label: metric.value for metric in at.metric}
    assert values["Customers with feedback"] == "123,456,789"
    assert values["Cold-start customers"] == f"{summary['cold_users']:,}"


def test_runs_saved_before_intervals_and_versions_show_as_groups_of_their_own(page_db):
    metrics_of = {name: 0.1 for name in METRIC_NAMES}
    with warehouse.session(page_db, write=True) as con:
        for model in ("popularity", "svd"):  # as migration 015 found them: no version, intervals, slices or customers
            old = evaluate.Evaluation(model, {}, {"kind": "time", "cutoff": "2026-01-01"}, 10, metrics_of, 0.1, 0.1)
            saved_runs.save_run(con, old)
            con.execute("UPDATE model_runs SET intervals = NULL, slices = NULL WHERE model = ?", [model])
    at = app_page(PAGE, timeout=120).run()
    assert not at.exception, [element.value for element in at.exception]
    options = at.selectbox(key="leaderboard-group").options
    assert len(options) == 2 and all("saved before data versions were kept" in option for option in options)
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["svd"] and table["ndcg_at_k_ci"].isna().all()
    assert any("saved before metrics by slice were kept" in info.value for info in at.info)
