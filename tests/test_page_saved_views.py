"""Saved views on the Cohorts and Overview pages, and the notes on the Overview page, under AppTest: a view saved from
the page's URL settings, opened by its link in a new session with the settings restored, and deleted; notes added
and deleted; the notes and launches marked on the Forecast chart."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import app_page
from page_jobs import settled
from streamlit.testing.v1 import AppTest

from retention import annotations, saved_views, warehouse
from retention.charts.annotations import MARK_AXIS
from retention.charts.forecast import forecast_chart
from retention.ui.annotations import DAY_KEY, TEXT_KEY
from retention.ui.saved_views import NAME_KEY, summary

TIMEOUT = 180


@pytest.fixture
def db(sample_copy, monkeypatch) -> str:
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    return sample_copy


def _ran(at: AppTest) -> AppTest:
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str, key_part: str = ""):
    found = [b for b in at.button if b.label == label and key_part in (b.key or "")]
    assert len(found) == 1, [(b.label, b.key) for b in at.button]
    return found[0]


def _views(db: str, page: str) -> dict[str, dict]:
    with warehouse.session(db) as con:
        listed = saved_views.list_views(con, page)
    return dict(zip(listed["name"], listed["params"], strict=True))


def test_a_cohorts_view_saves_the_url_settings_opens_by_link_and_is_deleted(db):
    at = app_page("cohorts.py", timeout=TIMEOUT)
    at.query_params.update({"period": "week", "mode": "Unbounded", "by": "channel"})
    at = _ran(at)
    at.text_input(key=NAME_KEY).input("Weekly by channel")
    at = _ran(_button(at, "Save view").click())
    expected = {"period": "week", "mode": "Unbounded", "by": "channel"}
    assert _views(db, "cohorts") == {"Weekly by channel": expected}
    assert _views(db, "overview") == {}
    links = [m.value for m in at.markdown if saved_views.link("Weekly by channel") in m.value]
    assert len(links) == 1 and summary(_views(db, "cohorts")["Weekly by channel"]) in links[0]
    assert at.expander[0].label == "Saved views (1)"

    # The link, opened in a new session: the view's settings are in the URL and in the widgets, 'view' is gone.
    opened = app_page("cohorts.py", timeout=TIMEOUT)
    opened.query_params["view"] = "Weekly by channel"
    opened = _ran(opened)
    assert opened.segmented_control(key="period").value == "week"
    assert opened.selectbox(key="mode").value == "unbounded"
    assert opened.selectbox(key="by").value == "channel"
    assert opened.selectbox(key="segment").options  # the breakdown ran
    assert "view" not in opened.query_params
    assert {key: opened.query_params[key] for key in expected} == expected

    opened = _ran(_button(opened, "Delete", "Weekly by channel").click())
    assert _views(db, "cohorts") == {}
    assert opened.expander[0].label == "Saved views (0)"


def test_a_view_asked_for_in_a_session_that_drew_the_page_says_to_open_its_link(db):
    with warehouse.session(db, write=True) as con:
        saved_views.save(con, "cohorts", "weekly", {"period": "week"})
    at = _ran(app_page("cohorts.py", timeout=TIMEOUT))
    at.query_params["view"] = "weekly"
    at = _ran(at)
    assert any("from its link in a new tab" in w.value for w in at.warning)
    assert at.segmented_control(key="period").value == "month"
    assert "view" not in at.query_params


def test_a_view_that_is_gone_says_so_and_the_page_shows_its_defaults(db):
    at = app_page("cohorts.py", timeout=TIMEOUT)
    at.query_params["view"] = "never saved"
    at = _ran(at)
    assert any("has no saved view named 'never saved'" in e.value for e in at.error)
    assert at.segmented_control(key="period").value == "month"
    assert "view" not in at.query_params


def test_a_bad_name_is_refused_with_the_rule_and_nothing_is_saved(db):
    at = _ran(app_page("overview.py", timeout=TIMEOUT))
    at.text_input(key=NAME_KEY).input("<b>")
    at = _ran(_button(at, "Save view").click())
    assert any("is not allowed" in e.value for e in at.error)
    assert _views(db, "overview") == {}


def test_notes_are_added_listed_and_deleted_on_the_overview(db):
    at = _ran(app_page("overview.py", timeout=TIMEOUT))
    with warehouse.session(db) as con:
        newest = pd.Timestamp(con.execute("SELECT max(ts) FROM orders").fetchone()[0]).date()
    assert at.date_input(key=DAY_KEY).value == newest  # the form starts at the data's newest day, not the clock
    at.date_input(key=DAY_KEY).set_value(dt.date(2024, 3, 5))
    at.text_input(key=TEXT_KEY).input("site redesign")
    at = _ran(_button(at, "Add note").click())
    with warehouse.session(db) as con:
        listed = annotations.notes(con)
    assert listed[["day", "text"]].astype(str).values.tolist() == [["2024-03-05", "site redesign"]]
    assert any(m.value == "2024-03-05" for m in at.markdown)
    assert any(m.value == "site redesign" for m in at.markdown)

    at.text_input(key=TEXT_KEY).input("   ")
    at = _ran(_button(at, "Add note").click())
    assert any("Write what happened" in e.value for e in at.error)

    at = _ran(_button(at, "Delete", f"note-delete-{listed['note_id'].iloc[0]}").click())
    with warehouse.session(db) as con:
        assert annotations.notes(con).empty


def test_the_forecast_page_marks_a_note_in_its_range_and_not_one_outside(db):
    with warehouse.session(db, write=True) as con:
        first, last = (pd.Timestamp(value) for value in con.execute("SELECT min(ts), max(ts) FROM orders").fetchone())
        inside = first + (last - first) / 2
        annotations.add_note(con, inside, "price change")
        annotations.add_note(con, first - pd.Timedelta(days=400), "long before")
    at = settled(_ran(app_page("forecast.py", timeout=TIMEOUT)), db)
    assert not at.exception, [e.value for e in at.exception]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    notes = [trace for trace in chart["data"] if trace.get("name") == "Notes"]
    assert len(notes) == 1 and notes[0]["text"] == ["price change"]
    assert pd.Timestamp(notes[0]["x"][0]) == pd.Timestamp(inside.date())


def test_the_forecast_chart_marks_each_launch_and_note_in_its_range():
    days = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    history = pd.DataFrame({"ds": days[:8], "y": range(8), "complete": [True] * 7 + [False]})
    forecast = pd.DataFrame({"ds": days[7:], "yhat": 1.0, "yhat_lower": 0.5, "yhat_upper": 1.5})
    marks = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2024-01-10", "2024-02-20"]),
            "kind": ["campaign", "note"],
            "note_id": pd.array([pd.NA, 1], dtype="Int64"),
            "label": ['Campaign "Win-back" launched', "site redesign"],
        }
    )
    figure = forecast_chart(history, forecast, y_title="Customers", marks=marks)
    drawn = {trace.name: list(trace.x) for trace in figure.data if trace.yaxis == MARK_AXIS}
    assert drawn == {"Campaign launches": [marks["ts"].iloc[0]], "Notes": [marks["ts"].iloc[1]]}
    assert [shape.x0 for shape in figure.layout.shapes] == list(marks["ts"])
    unmarked = forecast_chart(history, forecast, y_title="Customers")
    assert isinstance(unmarked, go.Figure) and not unmarked.layout.shapes
