"""The Overview page under AppTest: the date range presets and a custom range from the URL, the KPI tiles and their
changes against pandas counts of the order lines, the weekly chart and CSV of the range, and the empty states."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import warehouse

TIMEOUT = 120


@pytest.fixture(scope="module")
def lines(sample_db) -> pd.DataFrame:
    con = warehouse.connect(sample_db, read_only=True)
    try:
        return con.execute("SELECT order_id, user_id, ts, quantity, unit_price FROM orders").df()
    finally:
        con.close()


@pytest.fixture
def app(sample_db, monkeypatch) -> AppTest:
    monkeypatch.setenv("RETENTION_DB", sample_db)
    return app_page("overview.py", timeout=TIMEOUT)


def _tiles(at: AppTest) -> dict[str, tuple[str, str]]:
    return {metric.label: (metric.value, metric.proto.delta) for metric in at.metric}


def _counted(lines: pd.DataFrame, start: pd.Timestamp, days: int) -> tuple[int, int, float]:
    """Customers, orders and net revenue of the ``days`` days from ``start``, by pandas."""
    inside = lines[(lines["ts"] >= start) & (lines["ts"] < start + pd.Timedelta(days=days))]
    bought = inside[inside["quantity"] > 0]
    return bought["user_id"].nunique(), bought["order_id"].nunique(), (inside["quantity"] * inside["unit_price"]).sum()


def _change(now: float, before: float) -> str:
    return f"{now - before:+,.0f} ({(now - before) / before:+.1%})"


def test_all_is_the_default_with_no_change_to_show(app, lines):
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="range").value == "all"
    tiles = _tiles(at)
    assert tiles["Customers"][0] == f"{lines.loc[lines['quantity'] > 0, 'user_id'].nunique():,}"
    assert all(not delta for _, delta in tiles.values())
    assert all("No change shown" in metric.help for metric in at.metric)


@pytest.mark.parametrize(("preset", "lookback"), [("4w", pd.DateOffset(days=28)), ("3m", pd.DateOffset(months=3))])
def test_a_preset_counts_back_from_the_newest_order_and_compares_with_the_days_before(app, lines, preset, lookback):
    at = app.run()
    at.segmented_control(key="range").set_value(preset).run()
    assert not at.exception, [e.value for e in at.exception]
    end = lines["ts"].max().normalize() + pd.Timedelta(days=1)  # the newest order's day, not the clock
    start = end - lookback
    days = (end - start).days
    customers, orders, revenue = _counted(lines, start, days)
    before = _counted(lines, start - pd.Timedelta(days=days), days)
    tiles = _tiles(at)
    assert tiles["Customers"] == (f"{customers:,}", _change(customers, before[0]))
    assert tiles["Orders"] == (f"{orders:,}", _change(orders, before[1]))
    assert tiles["Net revenue"] == (f"{revenue:,.0f}", _change(revenue, before[2]))
    previous = f"{start - pd.Timedelta(days=days):%Y-%m-%d} to {start - pd.Timedelta(days=1):%Y-%m-%d}"
    assert all(previous in metric.help for metric in at.metric)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    weeks = pd.to_datetime(
        [x for trace in figure["data"] if trace.get("yaxis") != "y9" for x in trace["x"]]
    )  # the weekly lines and partial-week markers, not the marks
    assert weeks.min() == start - pd.Timedelta(days=start.dayofweek)  # the week the range starts in
    assert weeks.max() <= end
    assert at.download_button[0].proto.label == "Download weekly customers"


def test_a_custom_range_comes_from_the_url_and_a_reversed_one_is_refused(app, lines):
    """The sample's orders run from 2025-01-01 to 2026-06-30."""
    # The URL keeps a choice by its label, as Streamlit's query-params binding does.
    app.query_params.update({"range": "Custom", "from": "2026-03-04", "to": "2026-03-31"})
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    start = pd.Timestamp("2026-03-04")
    assert at.segmented_control(key="range").value == "custom"
    assert at.date_input(key="from").value == start.date()
    customers = _counted(lines, start, 28)[0]
    assert _tiles(at)["Customers"][0] == f"{customers:,}"
    assert any("2026-03-04 to 2026-03-31 (28 days)" in caption.value for caption in at.caption)

    at.date_input(key="from").set_value(pd.Timestamp("2026-04-10").date()).run()
    assert not at.exception
    assert any("after it ends" in error.value for error in at.error)
    assert not at.metric


@pytest.mark.parametrize("page", ["overview.py", "cohorts.py", "forecast.py", "at_risk.py", "recommenders.py"])
def test_empty_states_link_to_the_data_page(tmp_path, monkeypatch, page):
    db = tmp_path / "empty.duckdb"
    warehouse.connect(db).close()
    monkeypatch.setenv("RETENTION_DB", str(db))
    at = app_page(page, timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.info  # what is missing
    assert [link.proto.page for link in at.get("page_link")][-1:] == ["data"]  # the Data page's URL path
