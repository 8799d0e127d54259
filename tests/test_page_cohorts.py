"""The Cohorts page under AppTest: rendered numbers, widgets, URL settings and bad input."""

from __future__ import annotations

import base64
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import cohorts, sample, warehouse

TIMEOUT = 120


def _array(value) -> np.ndarray:
    """A Plotly array from a figure's JSON: a list, or a typed array ``{"dtype", "bdata", "shape"}``."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value, dtype=float)


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _cell_users(at: AppTest) -> pd.DataFrame:
    """The cell-users table (with a breakdown, the segment comparison is drawn before it)."""
    return next(table.value for table in at.dataframe if "user_id" in table.value.columns)


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    return app_page("cohorts.py", timeout=TIMEOUT)


@pytest.fixture(scope="module")
def expected_monthly(sample_db) -> pd.DataFrame:
    con = warehouse.connect(sample_db)
    try:
        return cohorts.cohort_table(con, cohorts.CohortQuery()).frame
    finally:
        con.close()


def test_default_view_shows_the_monthly_table(app, expected_monthly):
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Cohorts"
    heatmap, curves, lifecycle = _figures(at)
    # The heatmap's complete cells are the library's retention, row by row.
    complete = expected_monthly[expected_monthly["complete"]]
    z = _array(heatmap["data"][0]["z"])
    assert np.sort(z[~np.isnan(z)]) == pytest.approx(np.sort(complete["retention"].to_numpy()))
    first = expected_monthly.iloc[0]
    assert heatmap["data"][0]["y"][0] == f"{first['cohort']:%Y-%m}  ({first['cohort_users']:,})"
    assert any("size-weighted" in trace.get("name", "") for trace in curves["data"])
    assert [trace["name"] for trace in lifecycle["data"]] == ["New", "Returning", "Resurrecting", "Dormant"]
    assert [button.proto.label for button in at.download_button] == [
        "Download the cohort table",
        "Download these users",
        "Download the mean curve",
        "Download the lifecycle table",
    ]


def test_settings_come_from_the_url(app):
    app.query_params.update({"period": "week", "mode": "Unbounded", "cohort": "Signup date", "by": "channel"})
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="period").value == "week"
    assert at.selectbox(key="mode").value == "unbounded"
    assert at.selectbox(key="cohort").value == "signup"
    assert at.selectbox(key="segment").options  # one entry per channel
    heatmap = _figures(at)[0]
    assert heatmap["layout"]["xaxis"]["title"]["text"] == "Weeks since the cohort's start"


def test_widgets_drive_the_view_and_the_cell_users(app, sample_db):
    at = app.run()
    at.selectbox(key="by").select("country").run()
    at.selectbox(key="mode").select("brackets").run()
    at.selectbox(key="measure").select("revenue").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    heatmap = _figures(at)[0]
    assert heatmap["data"][0]["x"][:2] == ["day 0", "days 1-7"]
    cells = next(trace for trace in heatmap["data"] if trace.get("name") == "cells")
    assert all("Revenue per user" in template for template in cells["hovertemplate"])
    # The cell table holds the lost users of the chosen cell; ticking emails adds them.
    segment = at.selectbox(key="segment").value
    cohort, period = at.selectbox(key="cell_cohort").value, at.selectbox(key="cell_period").value
    lost = _cell_users(at)
    con = warehouse.connect(sample_db)
    try:
        query = cohorts.CohortQuery(mode="brackets", breakdown="country", measure="revenue")
        table = cohorts.cohort_table(con, query).frame
    finally:
        con.close()
    cell = table[(table["cohort"] == cohort) & (table["period"] == period) & (table["segment"] == segment)].iloc[0]
    assert len(lost) == cell["cohort_users"] - cell["active_users"]
    assert "email" not in lost.columns
    at.checkbox[0].check().run()
    assert "email" in _cell_users(at).columns


def test_bad_brackets_and_reversed_range_give_messages(app):
    at = app.run()
    at.selectbox(key="mode").select("brackets").run()
    at.text_input(key="brackets").input("1-7, soon").run()
    assert not at.exception
    assert "Cannot read the bracket 'soon'" in at.error[0].value  # a sentence, not a CLI line
    at.text_input(key="brackets").input("1-7").run()
    at.date_input(key="from").set_value(pd.Timestamp("2026-06-01").date()).run()
    at.date_input(key="to").set_value(pd.Timestamp("2025-03-01").date()).run()
    assert not at.exception
    assert "after it ends" in at.error[0].value


@pytest.fixture(scope="module")
def no_events_db(sample_frames, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("no_events") / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        frames = {name: frame.copy() for name, frame in sample_frames.items() if name != "events"}
        sample.load_frames(con, frames, source="sample without events")
    finally:
        con.close()
    return str(path)


def test_no_events_disables_event_options_with_a_reason(no_events_db, sample_frames, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", no_events_db)
    at = app_page("cohorts.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="activity").disabled
    assert "first_event" not in at.selectbox(key="cohort").options
    assert any("has no events" in caption.value for caption in at.caption)
    # A day with no first purchase is an empty range: a message, not an error.
    orders = sample_frames["orders"]
    firsts = set(orders[orders["quantity"] > 0].groupby("user_id")["ts"].min().dt.date)
    quiet = next(
        day.date() for day in pd.date_range(orders["ts"].min(), orders["ts"].max()) if day.date() not in firsts
    )
    at.segmented_control(key="period").set_value("day").run()
    at.date_input(key="from").set_value(quiet).run()
    at.date_input(key="to").set_value(quiet).run()
    assert not at.exception
    assert "No cohorts in the selected range" in at.info[0].value


def test_a_warehouse_with_events_only_says_there_are_no_purchases(sample_frames, tmp_path, monkeypatch):
    path = tmp_path / "events_only.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, {"events": sample_frames["events"].copy()}, source="events only")
    finally:
        con.close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    at = app_page("cohorts.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "No cohorts in the selected range" in at.info[0].value
    at.selectbox(key="cohort").select("first_event").run()
    at.selectbox(key="activity").select("any").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _figures(at)  # the heatmap of first-event cohorts


def test_choosing_a_cell_lists_its_users(app, expected_monthly):
    at = app.run()
    cohort = expected_monthly["cohort"].unique()[1]
    at.selectbox(key="cell_cohort").set_value(pd.Timestamp(cohort)).run()
    at.selectbox(key="cell_period").set_value(3).run()
    cell = expected_monthly.set_index(["cohort", "period"]).loc[(pd.Timestamp(cohort), 3)]
    assert len(at.dataframe[0].value) == cell["cohort_users"] - cell["active_users"]
    assert f"{cell['cohort_users'] - cell['active_users']:,} customers." in [caption.value for caption in at.caption]
    assert at.selectbox(key="cell_period").format_func(3) == "Month 3"
    at.segmented_control(key="cell_show").set_value("all").run()
    users = at.dataframe[0].value
    assert len(users) == cell["cohort_users"] and users["retained"].sum() == cell["active_users"]
    # Another period length: the chosen cohort no longer exists and the cell falls back to a default.
    at.segmented_control(key="period").set_value("week").run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_first_render_only_reads(sample_db, tmp_path, monkeypatch):
    """The page and its cached reads never write (no rollup built or checked at read time), in few statements."""
    path = tmp_path / "copy.duckdb"  # a file of its own, so that no other test's statements are logged
    shutil.copyfile(sample_db, path)
    # The app's sessions open the file read-only in this process, so they share this connection's database,
    # whose log holds every statement they run.
    held = warehouse.connect(path, read_only=True)
    try:
        held.execute("CALL enable_logging('QueryLog')")
        monkeypatch.setenv("RETENTION_DB", str(path))
        at = app_page("cohorts.py", timeout=TIMEOUT).run()
        assert not at.exception, [e.value for e in at.exception]
        logged_sql = held.execute("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall()
    finally:
        held.close()
    statements = [" ".join(sql.split()) for (sql,) in logged_sql if "enable_logging" not in sql]
    assert any("cohort" in sql for sql in statements), statements
    writes = [sql for sql in statements if re.search(r"\b(INSERT|DELETE|UPDATE|CREATE|DROP)\b", sql.upper())]
    assert writes == []
    assert not [sql for sql in statements if "EXISTS (SELECT 1 FROM rollup_state)" in sql]
    # The cohort table, its users and the lifecycle, the end of the data for two of them and the event types
    # (pre-counted since migration 013): no checks of whether the rollup is built or has its pre-counted tables
    # (there were 11 such statements, then 5 and the event types counted from the events).
    assert len([sql for sql in statements if "rollup" in sql]) <= 6, statements


def test_a_query_s_url_parameters_open_the_page_on_that_query(app, sample_db):
    query = cohorts.CohortQuery(
        period="week",
        mode="brackets",
        brackets="1-7, 8-30",
        measure="revenue",
        activity="view",
        cohort_start="2025-03-03",
        cohort_end="2025-06-30",
    )
    app.query_params.update(query.to_query_params())
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="period").value == "week"
    assert at.selectbox(key="mode").value == "brackets"
    assert at.selectbox(key="measure").value == "revenue"
    assert at.selectbox(key="activity").value == "view"
    assert at.text_input(key="brackets").value == "1-7, 8-30"
    assert str(at.date_input(key="from").value) == "2025-03-03"
    con = warehouse.connect(sample_db)
    try:
        expected = cohorts.cohort_table(con, query).frame
    finally:
        con.close()
    heatmap = _figures(at)[0]
    assert heatmap["data"][0]["x"] == ["day 0", "days 1-7", "days 8-30"]
    assert len(heatmap["data"][0]["y"]) == expected["cohort"].nunique()


def test_a_shared_url_reopens_the_cell_the_show_choice_and_the_compared_cohorts(app, expected_monthly):
    """The chosen cell (cohort, period), lost/retained/all and the compared cohorts are in the URL; a cell that
    the table does not hold falls back to the default cell."""
    cohort_list = sorted(expected_monthly["cohort"].unique())
    cohort, compared = pd.Timestamp(cohort_list[1]), [pd.Timestamp(c) for c in cohort_list[2:4]]
    app.query_params.update(
        {
            "cell_cohort": f"{cohort:%Y-%m-%d}",
            "cell_period": "Month 2",
            "cell_show": "retained",
            "lines": [f"{c:%Y-%m-%d}" for c in compared],
        }
    )
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cell_cohort").value == cohort
    assert at.selectbox(key="cell_period").value == 2
    assert at.segmented_control(key="cell_show").value == "retained"
    assert at.multiselect(key="lines").value == compared
    cell = expected_monthly.set_index(["cohort", "period"]).loc[(cohort, 2)]
    users = at.dataframe[0].value
    assert len(users) == cell["active_users"] and users["retained"].all()
    said = f"**Cohort {cohort:%Y-%m-%d}, Month 2**: {cell['active_users']:,} of {cell['cohort_users']:,} users active"
    assert said in [markdown.value for markdown in at.markdown]
    heatmap, curves = _figures(at)[:2]
    (shape,) = heatmap["layout"]["shapes"]  # the chosen cell, outlined: column 2, row 1
    assert (shape["x0"], shape["y0"]) == (1.5, 0.5)
    assert {f"{c:%Y-%m}" for c in compared} <= {trace.get("name") for trace in curves["data"]}
    assert "email" not in users.columns  # personal data never comes from a URL
