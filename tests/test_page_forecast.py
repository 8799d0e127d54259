"""The Forecast page under AppTest: the default activity forecast, switching options, and cohorts on demand as a
job of the server whose saved result a later session shows without fitting again."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import app_page
from page_jobs import settled
from streamlit.testing.v1 import AppTest

from retention import jobs, warehouse
from retention.errors import DataError
from retention.forecast import Settings, forecast_activity
from retention.forecast import job as forecast_job

TIMEOUT = 240


@pytest.fixture
def db(sample_db, tmp_path) -> str:
    """A private copy of the test shop: the page records its jobs."""
    path = tmp_path / "forecast.duckdb"
    shutil.copy(sample_db, path)
    return str(path)


@pytest.fixture
def page(db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", db)
    return app_page("forecast.py", timeout=TIMEOUT)


def _texts(at: AppTest) -> list[str]:
    return [element.value for kind in ("success", "warning", "info") for element in getattr(at, kind)]


def test_default_is_one_weekly_activity_forecast_with_a_backtest_verdict(page, db):
    at = page.run()
    assert not at.exception, [element.value for element in at.exception]
    # The fits run as a job of the server: its progress first (unless it was quicker), then its result.
    job = jobs.get(db, int(jobs.recent(db)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.params["metric"], job.params["period"]) == (
        "forecast",
        "app",
        "active_customers",
        "week",
    )
    if job.running:
        assert len(at.get("progress")) == 1 and not at.get("plotly_chart")
    at = settled(at, db)
    assert at.title[0].value == "Forecast"
    assert at.selectbox[0].value == "Active customers"
    wins = [element.value for element in at.success if "Prophet" in element.value]
    losses = [element.value for element in at.warning if "Prophet" in element.value]
    unsure = [element.value for element in at.info if "Prophet" in element.value]
    assert len(wins) + len(losses) + len(unsure) == 1  # the verdict is shown once, green only when Prophet won
    assert all(text.startswith("Prophet beat the naive forecast") for text in wins)
    assert all(text.startswith("Prophet did not beat the naive forecast") for text in losses)
    assert at.dataframe[0].value["model"].tolist()[0] == "Prophet"
    assert len(at.get("plotly_chart")) == 2  # forecast and components
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Download the forecast", "Download backtest points"]
    assert at.dataframe[0].value["points"].iloc[0] == 3 * 12  # three origins of 12 weeks each
    # The library, fitting afresh, finds the same backtest the job recorded and the page shows.
    with warehouse.session(db) as con:
        fresh = forecast_activity(con, metric="active_customers", period="week", horizon=12)
    assert at.dataframe[0].value["mae"].tolist() == pytest.approx(fresh.backtest.summary["mae"].tolist(), rel=1e-9)

    # A reload (a new session) shows the saved forecast at once: no progress, no second job.
    again = app_page("forecast.py", timeout=TIMEOUT).run()
    assert not again.get("progress") and len(jobs.recent(db)) == 1
    pd.testing.assert_frame_equal(again.dataframe[0].value, at.dataframe[0].value)


def test_monthly_revenue_with_holidays_and_a_short_horizon(page, db):
    at = page.run()
    at.selectbox[0].select("Net revenue")
    at.radio[0].set_value("month")
    at.run()
    at.number_input(key="h-month").set_value(3)
    at.selectbox[1].select("UK")
    at = settled(at.run(), db)
    assert not at.exception, [element.value for element in at.exception]
    assert any("Prophet" in text for text in _texts(at))
    assert at.dataframe[0].value["points"].max() <= 3 * 3


def _cohort_jobs(path: str) -> list[jobs.Job]:
    """The cohort retention forecast jobs, newest first (the page's first run also forecasts an activity)."""
    found = [jobs.get(path, int(job_id)) for job_id in jobs.recent(path)["job_id"]]
    return [job for job in found if job.params.get("metric") == "cohort_retention"]


def _cohorts_page(path: str) -> AppTest:
    at = app_page("forecast.py", timeout=TIMEOUT).run()
    at.selectbox[0].select("Cohort retention")
    at.radio[0].set_value("month")
    return at.run()


def test_cohort_retention_fits_on_demand_as_a_job_whose_result_a_reload_shows(db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", db)
    at = _cohorts_page(db)
    assert not at.exception, [element.value for element in at.exception]
    assert any("Switch on" in text for text in _texts(at))
    assert not at.get("plotly_chart") and not _cohort_jobs(db)
    at.toggle[0].set_value(True).run()
    assert not at.exception, [element.value for element in at.exception]
    started = _cohort_jobs(db)
    assert [(job.kind, job.started_by) for job in started] == [("forecast", "app")]
    job = started[0]
    chosen = [f"{day:%Y-%m-%d}" for day in at.multiselect(key="cohorts-month").value]
    assert (job.params["metric"], job.params["period"], job.params["cohorts"]) == ("cohort_retention", "month", chosen)
    if job.running:  # the first run shows the job's progress, not a result
        assert len(at.get("progress")) == 1 and not at.get("plotly_chart")
    at = settled(at, db)
    assert not at.exception, [element.value for element in at.exception]
    job = jobs.get(db, job.job_id)
    assert job.status == "done" and job.progress == 1.0
    assert any("Prophet" in text for text in _texts(at))
    assert len(at.get("plotly_chart")) == 1
    next_cohort = at.dataframe[0].value
    assert next_cohort["yhat"].between(0, 1).all()
    # Every row has its interval or says why it has none.
    bare = next_cohort[["yhat_lower", "yhat_upper"]].isna().any(axis=1)
    assert (bare == next_cohort["interval_note"].notna()).all()
    assert json.loads(at.dataframe[0].proto.columns)["interval_note"]["label"] == "Why no interval"
    assert next_cohort["period"].tolist() == list(range(1, len(next_cohort) + 1))
    # The interval band is a plain area (no stray markers on a short horizon); the retention MAE reads in points.
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    bands = [trace for trace in figure["data"] if trace.get("fill") == "toself"]
    assert bands and all(trace["mode"] == "lines" for trace in bands)
    assert "percent" in json.dumps(json.loads(at.dataframe[1].proto.columns)["mae"])
    # What the page shows is what the job's row recorded.
    recorded = jobs.json_frame(job.result["next_cohort"])
    assert next_cohort["yhat"].tolist() == pytest.approx(recorded["yhat"].tolist())
    assert at.dataframe[1].value["mae"].tolist() == pytest.approx(
        jobs.json_frame(job.result["backtest"]["summary"])["mae"].tolist()
    )

    # A reload (a new session, the toggle off again) shows the saved result at once and fits nothing new.
    again = _cohorts_page(db)
    assert not again.exception, [element.value for element in again.exception]
    assert not again.toggle[0].value and not again.get("progress")
    assert len(again.get("plotly_chart")) == 1
    pd.testing.assert_frame_equal(again.dataframe[0].value, next_cohort)
    assert len(_cohort_jobs(db)) == 1

    # Scoring customers changes the data version but not the imported data: the forecast still stands.
    with warehouse.session(db, write=True) as con:
        before = warehouse.data_version(con)
        con.execute(
            "INSERT INTO scores (as_of, horizon_days, model_version, user_id, risk, value, scored_at) "
            "VALUES (DATE '2024-01-01', 90, 'test', 'u1', 0.5, 1.0, now())"
        )
        assert warehouse.data_version(con) != before
    scored = _cohorts_page(db)
    assert not scored.get("progress") and len(scored.get("plotly_chart")) == 1
    assert len(_cohort_jobs(db)) == 1


def test_a_failed_cohort_forecast_shows_its_error_and_fits_again_on_request(db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", db)
    at = _cohorts_page(db)
    chosen = at.multiselect(key="cohorts-month").value
    with warehouse.session(db) as con:
        params = forecast_job.job_params(
            metric="cohort_retention",
            period="month",
            horizon=6,
            settings=Settings(),
            cohort_starts=chosen,
            data_version=warehouse.imports_version(con),
        )

    def broken(progress: jobs.Progress) -> None:  # a fit that fails as a real one can: a sentence for the user
        raise DataError("the cohorts ran away")

    jobs.wait(db, jobs.start(db, forecast_job.KIND, params, broken).job_id)
    at.run()
    assert [element.value for element in at.error] == ["The cohorts ran away."]
    at.button(key="forecast-fit-again").click().run()
    at = settled(at, db)
    assert not at.exception and not at.error
    assert [job.status for job in _cohort_jobs(db)] == ["done", "failed"]
    assert len(at.get("plotly_chart")) == 1
