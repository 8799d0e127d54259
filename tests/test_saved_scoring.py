"""Saved scoring runs (``churn_scorings``): a restarted server, or a scoring by the CLI in another process, is
shown on the At-risk page without training again, while the orders and users it scored hold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import app_page

from retention import churn, cli, explain, jobs, warehouse
from retention.churn import scoring
from retention.errors import DataError
from retention.ui import churn as ui_churn

TIMEOUT = 180


@pytest.fixture
def scored(sample_copy) -> tuple[str, churn.ScoringResult]:
    """A copy of the test shop scored (and saved) at its latest order date, and the run as computed."""
    with warehouse.session(sample_copy, write=True) as con:
        result = churn.score_customers(con)
    return sample_copy, result


def _saved(path: str, result: churn.ScoringResult) -> churn.ScoringResult | None:
    with warehouse.session(path) as con:
        return churn.saved_run(con, churn.inputs_version(con), result.as_of, result.horizon_days)


def test_a_saved_run_loads_as_it_was_computed_without_its_model(sample_copy, monkeypatch):
    # Small explanation blocks, so that the customers below lie in different blocks (the first, a middle, the last).
    monkeypatch.setattr(scoring, "DETAIL_BLOCK_ROWS", 7)
    with warehouse.session(sample_copy, write=True) as con:
        result = churn.score_customers(con)
    path = sample_copy
    loaded = _saved(path, result)
    assert loaded is not None and loaded.model is None
    assert (loaded.as_of, loaded.horizon_days, loaded.model_version) == (
        result.as_of,
        result.horizon_days,
        result.model_version,
    )
    pd.testing.assert_frame_equal(loaded.scores, result.scores)
    pd.testing.assert_frame_equal(loaded.metrics, result.metrics)
    pd.testing.assert_frame_equal(loaded.calibration, result.calibration)
    assert loaded.summary == result.summary
    # What the page shows of every customer is saved computed; no customer's features or SHAP values are loaded.
    assert (
        loaded.details_saved
        and len(loaded.features) == 0
        and loaded.explanation.values.shape == (0, len(result.explanation.features))
    )
    assert loaded.explanation.base_log_odds == result.explanation.base_log_odds
    pd.testing.assert_frame_equal(loaded.importance, explain.global_importance(result.explanation))
    pd.testing.assert_frame_equal(loaded.beeswarm, explain.beeswarm_points(result.explanation, result.features))
    # One customer's explanation is read from their block, and reads as the computed one's (glossary restored).
    last = len(result.scores) - 1
    with warehouse.session(path) as con:
        for position in (0, 7, 7 * 3 + 4, last):
            customer = result.scores["user_id"].iloc[position]
            pd.testing.assert_frame_equal(
                churn.saved_waterfall(con, loaded, customer), churn.customer_waterfall(result, customer)
            )
    # A run saved again for that date (other inputs) is not read as this one's.
    with warehouse.session(path, write=True) as con:
        with warehouse.transaction(con):
            scoring.save_run(con, dataclasses.replace(result, summary={**result.summary, "inputs_version": "other"}))
        with pytest.raises(DataError, match="replaced since this page read it"):
            churn.saved_waterfall(con, loaded, result.scores["user_id"].iloc[0])


def test_new_orders_make_the_saved_run_stale(scored, tmp_path):
    path, result = scored
    orders = tmp_path / "orders-new.csv"
    day = result.as_of + dt.timedelta(days=1)
    orders.write_text(f"order_id,user_id,item_id,ts,quantity,unit_price\nnew-o1,new-u1,new-i1,{day} 10:00:00,1,9.5\n")
    assert cli.main(["import", "orders", str(orders), "--db", path]) == 0
    assert _saved(path, result) is None


def test_only_the_newest_runs_are_kept_and_a_damaged_one_reads_as_absent(scored):
    path, result = scored
    explored = [result.as_of - dt.timedelta(days=days) for days in range(1, scoring.KEPT_RUNS + 3)]
    with warehouse.session(path, write=True) as con:
        for day in explored:  # a user exploring past dates, one save after the other
            scoring.save_scores(con, dataclasses.replace(result, as_of=day))
        kept = {row[0] for row in con.execute("SELECT as_of FROM churn_scorings").fetchall()}
        # The customers and explanation blocks of the runs dropped go with them.
        for table in ("churn_scoring_customers", "churn_scoring_details"):
            assert {row[0] for row in con.execute(f"SELECT DISTINCT as_of FROM {table}").fetchall()} == kept
    assert kept == set(explored[-scoring.KEPT_RUNS :])
    assert _saved(path, result) is None  # the first saved, the oldest, was dropped
    with warehouse.session(path, write=True) as con:
        assert churn.saved_run(con, churn.inputs_version(con), explored[-1], result.horizon_days) is not None
        # A run whose scores are gone (deleted by hand) reads as absent.
        con.execute("DELETE FROM scores WHERE as_of = ?", [explored[-2]])
        assert churn.saved_run(con, churn.inputs_version(con), explored[-2], result.horizon_days) is None
        con.execute("UPDATE churn_scorings SET run = 'not a pickle'::BLOB")
        damaged = churn.saved_run(con, churn.inputs_version(con), explored[-1], result.horizon_days)
    assert damaged is None


def test_the_page_shows_a_run_scored_by_the_command_line_without_a_job(sample_copy, monkeypatch, capsys):
    assert cli.main(["at-risk", "--db", sample_copy]) == 0
    capsys.readouterr()
    before = len(jobs.recent(sample_copy))
    with warehouse.session(sample_copy) as con:
        saved = churn.latest_scores(con)
    ui_churn._runs.clear()  # a server that never scored: what a restart leaves
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    at = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not at.exception, [element.value for element in at.exception]
    assert not at.get("progress")
    assert len(jobs.recent(sample_copy)) == before  # nothing trained again
    flagged = at.dataframe[1].value
    expected = saved.query("risk >= 0.5")
    assert flagged["user_id"].tolist() == expected["user_id"].tolist()


def test_a_refresh_that_retrains_saves_the_run_the_page_loads(sample_copy, capsys):
    assert cli.main(["refresh", "--db", sample_copy, "--retrain", "always"]) == 0
    capsys.readouterr()
    with warehouse.session(sample_copy) as con:
        latest = churn.latest_scores(con)
        loaded = churn.saved_run(con, churn.inputs_version(con), latest["as_of"].iloc[0], 90)
    assert loaded is not None and loaded.model_version == latest["model_version"].iloc[0]
    both = loaded.scores.merge(latest, on="user_id", suffixes=("_loaded", "_saved"), validate="one_to_one")
    assert len(both) == len(latest) == len(loaded.scores)
    np.testing.assert_allclose(both["risk_loaded"], both["risk_saved"])


def test_a_nightly_refresh_with_its_kept_model_saves_a_run_with_the_models_holdout_metrics(
    sample_copy, tmp_path, capsys, monkeypatch
):
    assert cli.main(["refresh", "--db", sample_copy, "--retrain", "always"]) == 0
    with warehouse.session(sample_copy) as con:
        trained_for = churn.latest_scores(con)["as_of"].iloc[0]
        training = churn.saved_run(con, churn.inputs_version(con), trained_for, 90)
        buyers = [row[0] for row in con.execute("SELECT DISTINCT user_id FROM orders ORDER BY 1 LIMIT 3").fetchall()]
        item = con.execute("SELECT min(item_id) FROM products").fetchone()[0]
    assert training is not None
    day = trained_for + dt.timedelta(days=1)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = "".join(f"night-{n},{user},{item},{day} 09:00:00,1,12.0\n" for n, user in enumerate(buyers))
    (inbox / "orders-night.csv").write_text("order_id,user_id,item_id,ts,quantity,unit_price\n" + lines)

    assert cli.main(["refresh", "--db", sample_copy, "--inbox", str(inbox), "--retrain", "never"]) == 0
    capsys.readouterr()
    with warehouse.session(sample_copy) as con:
        latest = churn.latest_scores(con)
        loaded = churn.saved_run(con, churn.inputs_version(con), day, 90)
    assert latest["as_of"].iloc[0] == day and latest["model_version"].iloc[0] == training.model_version
    assert loaded is not None and loaded.model_version == training.model_version and loaded.as_of == day
    pd.testing.assert_frame_equal(loaded.metrics, training.metrics)
    pd.testing.assert_frame_equal(loaded.calibration, training.calibration)
    assert loaded.summary["holdout_date"] == training.summary["holdout_date"]
    assert loaded.summary["model_trained_for"] == str(trained_for)
    both = loaded.scores.merge(latest, on="user_id", suffixes=("_loaded", "_saved"), validate="one_to_one")
    assert len(both) == len(latest)
    np.testing.assert_allclose(both["risk_loaded"], both["risk_saved"])

    # The next morning's first visit shows these scores at once, saying whose figures the metrics are.
    before = len(jobs.recent(sample_copy))
    ui_churn._runs.clear()
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    at = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not at.exception and not at.get("progress")
    assert len(jobs.recent(sample_copy)) == before
    said = " ".join(caption.value for caption in at.caption)
    assert f"trained this model for {trained_for} and rescored every customer at {day}" in said
