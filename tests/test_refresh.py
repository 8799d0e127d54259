"""``python -m retention refresh``: the inbox, the churn model's retraining, rescoring, matured campaigns, the record."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import app_page
from online_retail import LINE_MAPPING, SLICE, loaded_order_lines, read_lines
from test_campaigns_fixtures import add_scores, basic_config

from retention import campaigns, churn, jobs, refresh, reorder, sample, schema, warehouse
from retention.campaigns import response as campaign_response
from retention.cli import at_risk, main
from retention.errors import DataError
from retention.refresh import inbox as inbox_files
from retention.refresh import model as saved_models
from retention.refresh.run import FLAG_THRESHOLD, STEP_FUNCTIONS
from retention.refresh.run import refresh as runner_refresh

ROOT = Path(__file__).resolve().parent.parent
STATE_TABLES = ("orders", "users", "products", "import_batches", "import_rejects", "scores", "churn_models")


def _cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m retention ...`` in a child process, as cron runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "retention", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _state(db: str) -> dict[str, object]:
    """Row counts of the tables a refresh writes, the data version token (it holds the time scores were saved
    last), and the latest scores."""
    con = warehouse.connect(db)
    try:
        state: dict[str, object] = {table: warehouse.row_count(con, table) for table in STATE_TABLES}
        state["data_version"] = warehouse.data_version(con)
        state["latest_scores"] = churn.latest_scores(con).to_dict("records")
    finally:
        con.close()
    return state


def _runs(db: str) -> pd.DataFrame:
    con = warehouse.connect(db)
    try:
        return refresh.recent_runs(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def split_shop(sample_frames):
    """The sample shop cut at 2026-06-01: the warehouse holds what came before; the rest arrives in the inbox."""
    cut = pd.Timestamp("2026-06-01")
    orders = sample_frames["orders"]
    return {**sample_frames, "orders": orders[orders["ts"] < cut]}, orders[orders["ts"] >= cut]


@pytest.fixture
def early_db(split_shop, tmp_path) -> str:
    frames, _ = split_shop
    path = tmp_path / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, frames, source="sample shop before June")
    finally:
        con.close()
    return str(path)


def test_the_step_functions_are_the_documented_steps():
    assert tuple(STEP_FUNCTIONS) == refresh.STEPS
    assert FLAG_THRESHOLD == at_risk.DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("name", "table"),
    [("orders-2026-11-29.csv", "orders"), ("users_2026.parquet", "users"), ("Ratings.csv.gz", "ratings")],
)
def test_the_table_comes_from_the_file_name(name, table):
    assert inbox_files.table_for(name) == table


@pytest.mark.parametrize("name", ["customers-2026.csv", "orders2026.csv", "2026-orders.csv"])
def test_a_name_without_a_table_is_refused_with_the_tables(name):
    with pytest.raises(DataError, match="start it with one"):
        inbox_files.table_for(name)


def test_two_files_load_a_broken_one_is_moved_aside_and_a_second_run_changes_nothing(early_db, split_shop, tmp_path):
    _, june = split_shop
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    june.to_csv(inbox / "orders-2026-06.csv", index=False)
    new_users = pd.DataFrame({"CustomerID": ["n1", "n2"], "Country": ["FR", "DE"], "SignupDate": ["2026-06-02"] * 2})
    new_users.to_csv(inbox / "users_2026-06.csv", index=False)
    (inbox / "orders-broken.csv").write_text("a,b\n1,2\n")
    (inbox / "orders-late.csv.part").write_text("order_id,user_id,ts\n")  # still being written: left alone
    before = _state(early_db)

    first = _cli("refresh", "--db", early_db, "--inbox", str(inbox))

    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split()[0] for line in lines[:5]] == list(refresh.STEPS)
    assert "loaded 2 file(s)" in lines[0] and "orders-broken.csv failed" in lines[0]
    assert "error: refresh run 1 had a failed step" in first.stderr
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["orders-2026-06.csv", "users_2026-06.csv"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["orders-broken.csv", "orders-broken.csv.reason.txt"]
    assert "needs a column 'order_id'" in (inbox / "failed" / "orders-broken.csv.reason.txt").read_text()
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["orders-late.csv.part"]

    after = _state(early_db)
    assert after["orders"] == before["orders"] + len(june)
    assert after["users"] == before["users"] + 2
    assert after["import_batches"] == before["import_batches"] + 2
    assert after["churn_models"] == 1 and after["scores"] > 0
    run = _runs(early_db).iloc[0]
    assert run["status"] == "failed" and pd.notna(run["finished_at"])
    assert [(s["step"], s["status"]) for s in run["steps"]] == [
        ("import", "failed"),
        ("derived", "ok"),
        ("model", "ok"),
        ("score", "ok"),
        ("campaigns", "ok"),
    ]
    assert all(s["seconds"] >= 0 for s in run["steps"])
    assert run["settings"]["inbox"] == str(inbox) and run["settings"]["retrain"] == "auto"
    files = {f["name"]: f["outcome"] for f in run["steps"][0]["details"]["files"]}
    assert files == {"orders-2026-06.csv": "loaded", "users_2026-06.csv": "loaded", "orders-broken.csv": "failed"}
    con = warehouse.connect(early_db)
    try:
        last_order_day = warehouse.data_range(con)[1].date()
        latest = churn.latest_scores(con)
    finally:
        con.close()
    assert set(latest["as_of"]) == {last_order_day}

    # The same inbox again, and the same orders dropped in again under another name: nothing changes.
    shutil.copy(inbox / "done" / "orders-2026-06.csv", inbox / "orders-again.csv")
    assert main(["refresh", "--db", early_db, "--inbox", str(inbox)]) == 0
    assert _state(early_db) == after
    second = _runs(early_db).iloc[0]
    assert [(s["step"], s["status"]) for s in second["steps"]] == [
        ("import", "ok"),
        ("derived", "ok"),
        ("model", "skipped"),
        ("score", "skipped"),
        ("campaigns", "ok"),
    ]
    assert second["steps"][0]["details"]["files"][0]["outcome"] == "already loaded"
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        "orders-2026-06.csv",
        "orders-again.csv",
        "users_2026-06.csv",
    ]
    assert main(["refresh", "--db", early_db, "--inbox", str(inbox)]) == 0
    assert _state(early_db) == after


def test_a_kept_model_rescores_new_data_as_it_scored_at_training(early_db, split_shop, tmp_path):
    _, june = split_shop
    trained = runner_refresh(early_db, refresh.Settings(retrain="always"))
    assert trained.status == "ok" and trained.step("score").status == "ok"
    con = warehouse.connect(early_db)
    try:
        saved = saved_models.newest_model(con, trained.step("model").details["horizon_days"])
        # The saved model, scoring the day it was trained for, gives the scores training saved.
        again = saved_models.score_with(con, saved, saved.as_of).scores
        stored = churn.latest_scores(con)
        pd.testing.assert_series_equal(again["user_id"], stored["user_id"], check_names=False)
        assert again["risk"].to_numpy() == pytest.approx(stored["risk"].to_numpy(), abs=1e-12)
        assert again["reasons"].tolist() == stored["reasons"].tolist()
    finally:
        con.close()

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    june.to_csv(inbox / "orders-june.csv", index=False)
    assert main(["refresh", "--db", early_db, "--inbox", str(inbox), "--retrain", "never"]) == 0
    con = warehouse.connect(early_db)
    try:
        latest = churn.latest_scores(con)
        runs = refresh.recent_runs(con)
        assert warehouse.row_count(con, "churn_models") == 1
    finally:
        con.close()
    assert set(latest["model_version"]) == {saved.model_version}
    assert set(latest["as_of"]) == {pd.Timestamp(june["ts"].max()).date()}
    steps = {s["step"]: s for s in runs.iloc[0]["steps"]}
    assert steps["model"]["status"] == "skipped" and steps["score"]["status"] == "ok"
    assert steps["score"]["details"]["customers"] == len(latest)


def _roc_auc_at(con, model: churn.ChurnModel, day, horizon_days: int) -> float:
    """ROC AUC of ``model`` on the labelled customers of the snapshot of ``day`` (scikit-learn's, on its own)."""
    from sklearn.metrics import roc_auc_score

    rows = churn.snapshot_features(con, [day], horizon_days)
    rows = rows[rows["churned"].notna()]
    return float(roc_auc_score(rows["churned"].astype(int), model.predict_risk(rows)))


def test_auto_retrains_an_old_model_and_measures_its_quality_on_new_labels(early_db, split_shop, tmp_path):
    first = runner_refresh(early_db, refresh.Settings())
    assert first.step("model").details["retrained_because"].startswith("no saved churn model")
    con = warehouse.connect(early_db)
    try:
        # Without --horizon-days a refresh scores at the horizon the At-risk page starts from.
        horizon = first.step("model").details["horizon_days"]
        assert horizon == reorder.horizon_default(con)[0]
        saved = saved_models.newest_model(con, horizon)
        run = churn.training_run(con, horizon, saved.model_version)
        # Like for like: the figure "at training" is the kept model's own ROC AUC on its newest labelled snapshot,
        # what quality_now measures on a later one (not the holdout metric, another model's, 90 days ahead).
        at_training = _roc_auc_at(con, saved.model, saved.holdout_date, saved.horizon_days)
    finally:
        con.close()
    assert saved.holdout_roc_auc == pytest.approx(at_training, abs=1e-12)
    holdout_metric = float(run.metrics.set_index("metric").at["roc_auc", "model"])
    assert first.step("model").details["holdout_roc_auc"] == holdout_metric
    assert abs(holdout_metric - at_training) > 1e-6  # two models, two figures: the old record mixed them up
    _, june = split_shop
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    june.to_csv(inbox / "orders-june.csv", index=False)
    args = ["--db", early_db, "--inbox", str(inbox), "--max-model-age-days", "365", "--quality-drop", "1"]
    assert main(["refresh", *args]) == 0
    model_step = _runs(early_db).iloc[0]["steps"][2]
    # June's orders label the snapshot 90 days before the new latest day, which the model never saw.
    details = model_step["details"]
    assert (
        model_step["status"] == "skipped"
        and details["model_age_days"] == (pd.Timestamp(june["ts"].max()).date() - saved.as_of).days
    )
    assert 0.5 < details["roc_auc_now"] <= 1 and details["roc_auc_at_training"] == saved.holdout_roc_auc
    con = warehouse.connect(early_db)
    try:
        now = _roc_auc_at(con, saved.model, pd.Timestamp(details["quality_date"]).date(), saved.horizon_days)
    finally:
        con.close()
    assert details["roc_auc_now"] == pytest.approx(now, abs=1e-12)

    assert main(["refresh", "--db", early_db, "--max-model-age-days", "0"]) == 0
    model_step = _runs(early_db).iloc[0]["steps"][2]
    assert model_step["status"] == "ok" and "days of data ago (over 0)" in model_step["details"]["retrained_because"]


def test_retrain_never_without_a_model_says_what_to_do(tmp_path):
    """An empty warehouse fed the Online Retail slice: the import lands, and there is no model to score with."""
    db = str(tmp_path / "warehouse.duckdb")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SLICE, inbox / "orders-online-retail.csv.gz")

    result = _cli("refresh", "--db", db, "--inbox", str(inbox), "--retrain", "never")

    assert result.returncode == 1
    assert "no saved churn model for a 90-day horizon to score with and --retrain never" in result.stdout
    assert "python -m retention refresh --retrain always" in result.stdout
    assert "Traceback" not in result.stderr
    # The run is a job too: a line per step on stderr, and a failed job naming the failed step.
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress == [
        f"[{index * 20:3d}%] Refresh run 1, step {index + 1} of 5: {step}" for index, step in enumerate(refresh.STEPS)
    ]
    job = jobs.get(db, int(jobs.recent(db)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status) == ("refresh", "refresh", "failed") and job.pid != os.getpid()
    assert job.error.startswith("refresh run 1 had a failed step (model: no saved churn model for a 90-day horizon")
    assert job.params == json.loads(refresh.Settings(inbox=str(inbox), retrain="never").to_json())
    steps = {s["step"]: s["status"] for s in _runs(db).iloc[0]["steps"]}
    assert steps == {"import": "ok", "derived": "ok", "model": "failed", "score": "skipped", "campaigns": "ok"}
    con = warehouse.connect(db)
    try:
        assert warehouse.row_count(con, "orders") == len(loaded_order_lines(read_lines(), LINE_MAPPING))
        assert warehouse.row_count(con, "products") > 0 and warehouse.row_count(con, "users") > 0
        assert warehouse.row_count(con, "scores") == 0
    finally:
        con.close()


def test_a_campaign_whose_window_passed_is_measured_once(sample_db, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    con = warehouse.connect(db)
    try:
        add_scores(con)
        launched = campaigns.launch(con, campaigns.parse_config(basic_config()))
        campaign = campaigns.get_campaign(con, launched.campaign_id)
        config = campaigns.campaign_config(con, launched.campaign_id)
        members = warehouse.query(con, "campaign_members", {"campaign_id": launched.campaign_id})
        items = warehouse.query(con, "campaign_response_items")
    finally:
        con.close()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    response = campaign_response.response_orders(
        members,
        {"discount": 0.2},
        campaign_id=launched.campaign_id,
        start_ts=pd.Timestamp(campaign["start_ts"]),
        horizon_days=config.horizon_days,
        items=items,
    )
    # The orders of the campaign's window, and one later order that closes it.
    closing = response.tail(1).assign(order_id="closing", ts=pd.Timestamp(campaign["start_ts"]) + pd.Timedelta(days=31))
    pd.concat([response, closing]).to_parquet(inbox / "orders_after_launch.parquet", index=False)

    assert main(["refresh", "--db", str(db), "--inbox", str(inbox)]) == 0
    steps = _runs(str(db)).iloc[0]["steps"]
    assert steps[4]["details"]["measured"] == [launched.campaign_id]
    con = warehouse.connect(db)
    try:
        assert campaigns.get_campaign(con, launched.campaign_id)["status"] == "measured"
        assert warehouse.row_count(con, "campaign_results") == len(campaigns.measure(con, launched.campaign_id).table)
    finally:
        con.close()
    assert main(["refresh", "--db", str(db)]) == 0
    assert _runs(str(db)).iloc[0]["steps"][4]["outcome"] == "no launched campaign whose window has passed"


def test_every_run_is_recorded_with_its_settings_and_app_tables_know_it(early_db):
    assert {"refresh_runs", "churn_models"} <= set(schema.APP_TABLES)
    assert main(["refresh", "--db", early_db, "--retrain", "never"]) == 1
    run = _runs(early_db).iloc[0]
    assert json.loads(refresh.Settings(retrain="never").to_json()) == run["settings"]


def test_a_run_is_a_job_the_data_page_lists_next_to_the_others(early_db, monkeypatch, capsys):
    assert main(["refresh", "--db", early_db]) == 0
    run = _runs(early_db).iloc[0]
    job = jobs.get(early_db, int(jobs.recent(early_db)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status, job.progress) == ("refresh", "refresh", "done", 1.0)
    assert job.result["run_id"] == run["run_id"] and job.result["status"] == run["status"] == "ok"
    assert [(s["step"], s["status"]) for s in job.result["steps"]] == [(s["step"], s["status"]) for s in run["steps"]]
    assert capsys.readouterr().err.splitlines()[0] == f"[  0%] Refresh run {run['run_id']}, step 1 of 5: import"
    jobs.wait(early_db, jobs.start(early_db, "demo", {}, lambda progress: None).job_id)

    monkeypatch.setenv("RETENTION_DB", early_db)
    at = app_page("data.py", timeout=120).run()
    assert not at.exception, [element.value for element in at.exception]
    shown = at.dataframe[-1].value
    assert shown["kind"].tolist()[:2] == ["demo", "refresh"]
    assert shown["started_by"].iloc[1].startswith("refresh on ") and shown["status"].iloc[1] == "done"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--max-model-age-days", "-1"], "0 days or more"), (["--quality-drop", "2"], "in [0, 1]")],
)
def test_bad_settings_are_refused_before_anything_runs(early_db, args, message, capsys):
    assert main(["refresh", "--db", early_db, *args]) == 2
    assert message in capsys.readouterr().err
    assert _runs(early_db).empty


def test_a_file_whose_every_row_is_rejected_fails_and_is_imported_again_when_dropped_again(tmp_path):
    db = warehouse.prepare(tmp_path / "warehouse.duckdb")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = "order_id,user_id,ts\no1,u1,not a time\no2,u2,nor this\n"
    (inbox / "orders-bad.csv").write_text(rows)

    [first] = inbox_files.import_inbox(db, inbox)

    assert (first.outcome, first.rows_loaded) == ("failed", 0)
    assert first.reason.startswith("no row of 'orders-bad.csv' could be loaded (batch 1: unparseable ts: 2 rows")
    assert Path(first.moved_to) == inbox / "failed" / "orders-bad.csv"
    assert (inbox / "failed" / "orders-bad.csv.reason.txt").read_text() == first.reason + "\n"

    # The same bytes again (the sender fixed nothing): not "already loaded", but imported again, and failed again;
    # the earlier batch that loaded nothing is replaced by the new one.
    (inbox / "orders-bad.csv").write_text(rows)
    [second] = inbox_files.import_inbox(db, inbox)
    assert (second.outcome, Path(second.moved_to)) == ("failed", inbox / "failed" / "orders-bad.2.csv")
    assert "(batch 2: unparseable ts: 2 rows" in second.reason
    with warehouse.session(db) as con:
        counts = [warehouse.row_count(con, table) for table in ("import_batches", "import_rejects", "orders")]
    assert counts == [1, 2, 0]
    assert not [p for p in inbox.iterdir() if p.is_file()]
