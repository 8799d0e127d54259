"""The Forecast page under AppTest: the default activity forecast, switching options, and cohorts on demand."""

from __future__ import annotations

import json

import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

TIMEOUT = 240


@pytest.fixture
def page(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    return app_page("forecast.py", timeout=TIMEOUT)


def _texts(at: AppTest) -> list[str]:
    return [element.value for kind in ("success", "warning", "info") for element in getattr(at, kind)]


def test_default_is_one_weekly_activity_forecast_with_a_backtest_verdict(page):
    at = page.run()
    assert not at.exception, [element.value for element in at.exception]
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


def test_monthly_revenue_with_holidays_and_a_short_horizon(page):
    at = page.run()
    at.selectbox[0].select("Net revenue")
    at.radio[0].set_value("month")
    at.run()
    at.number_input(key="h-month").set_value(3)
    at.selectbox[1].select("UK")
    at.run()
    assert not at.exception, [element.value for element in at.exception]
    assert any("Prophet" in text for text in _texts(at))
    assert at.dataframe[0].value["points"].max() <= 3 * 3


def test_cohort_retention_fits_on_demand(page):
    at = page.run()
    at.selectbox[0].select("Cohort retention")
    at.radio[0].set_value("month")
    at.run()
    assert not at.exception, [element.value for element in at.exception]
    assert any("Switch on" in text for text in _texts(at))
    assert not at.get("plotly_chart")
    at.toggle[0].set_value(True).run()
    assert not at.exception, [element.value for element in at.exception]
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
