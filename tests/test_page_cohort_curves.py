"""The Cohorts page's curves under AppTest: cohorts behind the mean, compared segments, headings, refused
breakdowns, mode wording and marks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest
from test_cohorts import _tiny_frames
from test_page_cohorts import _array

from retention import annotations, cohorts, sample, warehouse

TIMEOUT = 120


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _table(sample_db: str, query: cohorts.CohortQuery) -> cohorts.CohortTable:
    with warehouse.session(sample_db) as con:
        return cohorts.cohort_table(con, query)


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    return app_page("cohorts.py", timeout=TIMEOUT)


def test_the_mean_says_on_how_many_cohorts_it_rests_and_fades_below_the_minimum_from_the_url(app, sample_db):
    app.query_params["min_cohorts"] = "5"
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="min_cohorts").value == 5
    mean = _table(sample_db, cohorts.CohortQuery()).mean_curve(5)
    curves = _figures(at)[1]
    solid, faded = (trace for trace in curves["data"] if "Mean" in trace.get("legendgroup", ""))
    assert _array(solid["customdata"])[:, 0].tolist() == mean.loc[mean["enough"], "cohorts"].tolist()
    assert faded["line"]["dash"] == "dot"
    first_thin = int(mean.loc[~mean["enough"], "period"].min())
    assert any(f"From Month {first_thin} on fewer than 5 cohorts remain" in c.value for c in at.caption)
    at.number_input(key="min_cohorts").set_value(1).run()
    curves = _figures(at)[1]
    assert not [trace for trace in curves["data"] if trace.get("line", {}).get("dash") == "dot"]


def test_compare_segments_draws_all_and_the_top_segments_with_a_table_against_all(app, sample_db):
    app.query_params["by"] = "country"
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    table = _table(sample_db, cohorts.CohortQuery(breakdown="country"))
    chosen = at.multiselect(key="compare_country")
    named = [name for name in table.segments if name not in (cohorts.OTHER_SEGMENT, cohorts.MISSING_SEGMENT)]
    assert chosen.value == ["All", *named[:3]]
    # The curves figure draws the chosen segment's cohorts and one mean: no line per segment any more.
    curves = _figures(at)[1]
    segment = at.selectbox(key="segment").value
    assert {trace["legendgroup"] for trace in curves["data"] if trace["name"].startswith("Mean")} == {
        f"Mean of {segment} cohorts (size-weighted)"
    }
    compared = _figures(at)[2]
    assert [trace["name"] for trace in compared["data"] if trace["line"]["dash"] == "solid"] == chosen.value
    shown = next(frame.value for frame in at.dataframe if "period_1_vs_all" in frame.value.columns)
    expected = table.compare_segments(chosen.value, cohorts.DEFAULT_MIN_COHORTS)
    assert shown["segment"].tolist() == expected["segment"].tolist()
    # Shown in percent and percentage points.
    assert shown["period_3"].to_numpy() == pytest.approx(expected["period_3"].to_numpy() * 100, nan_ok=True)
    assert shown["period_3_vs_all"].to_numpy()[1:] == pytest.approx(
        expected["period_3_vs_all"].to_numpy()[1:] * 100, nan_ok=True
    )
    assert "Download the comparison" in [button.proto.label for button in at.download_button]
    # The largest named segment against everyone else.
    rest = cohorts.all_but(named[0])
    chosen.set_value(["All", named[0], rest]).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(frame.value for frame in at.dataframe if "period_1_vs_all" in frame.value.columns)
    expected = table.compare_segments(["All", named[0], rest], cohorts.DEFAULT_MIN_COHORTS)
    assert shown["segment"].tolist() == ["All", named[0], rest]
    assert shown["period_1"].to_numpy() == pytest.approx(expected["period_1"].to_numpy() * 100, nan_ok=True)
    assert pd.isna(shown["period_1_vs_all"].iloc[0])  # All against itself is left empty


def test_compared_segments_come_from_the_url_and_each_breakdown_keeps_its_own(app, sample_db):
    table = _table(sample_db, cohorts.CohortQuery(breakdown="country"))
    picked = ["All", table.segments[-1], cohorts.all_but(table.segments[0])]
    app.query_params.update({"by": "country", "compare_country": picked})
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="compare_country").value == picked
    at.selectbox(key="by").select("channel").run()
    channels = _table(sample_db, cohorts.CohortQuery(breakdown="channel")).segments
    named = [name for name in channels if name not in (cohorts.OTHER_SEGMENT, cohorts.MISSING_SEGMENT)]
    assert at.multiselect(key="compare_channel").value == ["All", *named[:3]]
    at.selectbox(key="by").select("country").run()
    assert at.multiselect(key="compare_country").value == picked


def test_headings_follow_the_measure_and_the_mode_says_what_it_counts(app):
    app.query_params["measure"] = "Revenue per user"
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    headings = [header.value for header in at.subheader]
    assert "Revenue per user by cohort" in headings and "Revenue per user curves" in headings
    assert "Retention by cohort" not in headings
    assert at.selectbox(key="mode").format_func("n-day") == "Period N"
    assert any(
        caption.value.startswith("**Period N**: share of the cohort active in calendar period N")
        for caption in at.caption
    )
    assert all(f"**{mode.label}**" in at.selectbox(key="mode").help for mode in cohorts.MODES.values())


def test_an_old_url_with_the_n_day_label_opens_period_n(app):
    app.query_params.update({"mode": "N-day", "period": "week"})
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="mode").value == "n-day"
    assert at.segmented_control(key="period").value == "week"


@pytest.fixture
def no_channel_db(tmp_path) -> str:
    frames = _tiny_frames()
    frames["users"] = frames["users"].assign(channel=None)
    path = tmp_path / "no_channel.duckdb"
    with warehouse.session(path, write=True) as con:
        sample.load_frames(con, frames, source="no channel")
    return str(path)


def test_an_empty_breakdown_column_is_marked_and_refused_with_the_reason(no_channel_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", no_channel_db)
    at = app_page("cohorts.py", timeout=TIMEOUT).run()
    by = at.selectbox(key="by")
    assert by.format_func("channel") == "channel (empty)" and by.format_func("country") == "country"
    by.select("channel").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Cannot break down by channel: none of the 5 users has a channel" in at.error[0].value
    assert "Showing all customers without a breakdown" in at.error[0].value
    assert not [
        widget.key for widget in at.multiselect if (widget.key or "").startswith("compare")
    ]  # no breakdown, so nothing to compare
    assert _figures(at)  # the page still draws all customers
    # A URL naming the column as it is opens on the same refusal.
    again = app_page("cohorts.py", timeout=TIMEOUT)
    again.query_params["by"] = "channel"
    again.run()
    assert again.selectbox(key="by").value == "channel"
    assert "Cannot break down by channel" in again.error[0].value


def test_a_note_is_marked_on_the_cohort_lines_and_the_lifecycle_bars(sample_copy, monkeypatch):
    table = _table(sample_copy, cohorts.CohortQuery())
    first = table.recent_cohorts(1)[0]
    day = (first + pd.DateOffset(months=1, days=9)).date()  # in month 1 of the latest mature cohort
    with warehouse.session(sample_copy, write=True) as con:
        annotations.add_note(con, day, "site redesign")
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    at = app_page("cohorts.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    curves, lifecycle = _figures(at)[1], _figures(at)[-1]
    (notes,) = [trace for trace in curves["data"] if trace["name"] == "Notes"]
    assert "1" in notes["x"] and any("site redesign" in text for text in notes["text"])
    cell = table.frame.set_index(["cohort", "period"]).loc[(first, 1), "retention"]
    assert np.isclose(_array(notes["y"]), cell).any()
    (on_axis,) = [trace for trace in lifecycle["data"] if trace["name"] == "Notes"]
    assert pd.Timestamp(on_axis["x"][0]) == pd.Timestamp(day) and on_axis["yaxis"] == "y9"
