"""Annotations: campaign launches, imports and notes as marks on time axes, and the chart that draws them."""

from __future__ import annotations

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention import annotations, campaigns
from retention.campaigns.config import parse_config
from retention.charts.annotations import MARK_AXIS, mark_dates
from retention.errors import DataError


@pytest.fixture
def con(scored_con):
    return scored_con


def test_marks_name_the_launch_at_its_window_start_the_imports_and_the_notes(con):
    launched = campaigns.launch(con, parse_config(basic_config() | {"name": "Win-back <b>Q4</b>"}))
    note_id = annotations.add_note(con, "2024-03-05", "  site redesign ")
    marks = annotations.marks(con)
    start_ts = pd.Timestamp(campaigns.get_campaign(con, launched.campaign_id)["start_ts"])
    campaign = marks[marks["kind"] == "campaign"]
    assert campaign[["ts", "label"]].values.tolist() == [[start_ts, 'Campaign "Win-back <b>Q4</b>" launched']]
    batches = con.execute("SELECT imported_at, source_name FROM import_batches ORDER BY imported_at").df()
    imports = marks[marks["kind"] == "import"]
    assert imports["ts"].tolist() == batches["imported_at"].tolist()
    assert all(source in text for source, text in zip(batches["source_name"], imports["label"], strict=True))
    note = marks[marks["kind"] == "note"].iloc[0]
    assert (note["ts"], note["label"], note["note_id"]) == (pd.Timestamp("2024-03-05"), "site redesign", note_id)
    assert marks["ts"].is_monotonic_increasing


def test_marks_are_cut_to_a_range_whose_end_date_covers_its_whole_day(con):
    for day in ("2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"):
        annotations.add_note(con, day, f"note {day}")
    cut = annotations.marks(con, pd.Timestamp("2024-02-01").date(), pd.Timestamp("2024-02-29").date())
    assert cut["label"].tolist() == ["note 2024-02-01", "note 2024-02-29"]


def test_a_deleted_note_is_gone_and_bad_notes_are_refused_without_writing(con):
    kept = annotations.add_note(con, "2024-01-01", "kept")
    dropped = annotations.add_note(con, "2024-01-02", "dropped")
    annotations.delete_note(con, dropped)
    assert annotations.notes(con)["note_id"].tolist() == [kept]
    for day, text, message in (
        ("2024-01-01", "   ", "write what happened"),
        ("2024-01-01", "x" * (annotations.MAX_NOTE_CHARS + 1), "200 characters"),
        ("not a date", "launch", "not a date"),
    ):
        with pytest.raises(DataError, match=message):
            annotations.add_note(con, day, text)
    with pytest.raises(DataError, match="no note"):
        annotations.delete_note(con, dropped)
    assert annotations.notes(con)["note_id"].tolist() == [kept]


def test_mark_dates_draws_a_line_and_a_named_hover_per_mark_and_escapes_labels():
    import plotly.graph_objects as go

    marks = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-10"]),
            "kind": ["campaign", "note", "note"],
            "note_id": pd.array([pd.NA, 1, 2], dtype="Int64"),
            "label": ['Campaign "<a href=x>" launched', "site redesign", "price change"],
        }
    )
    figure = mark_dates(go.Figure(go.Scatter(x=marks["ts"], y=[1, 2, 3])), marks)
    assert len(figure.layout.shapes) == 3
    traces = {trace.name: trace for trace in figure.data if trace.yaxis == MARK_AXIS}
    assert set(traces) == {"Campaign launches", "Notes"}
    assert list(traces["Notes"].text) == ["site redesign", "price change"]
    assert "&lt;a href=x&gt;" in traces["Campaign launches"].text[0]
    assert figure.layout.yaxis9.overlaying == "y"
    assert len(mark_dates(go.Figure(), marks.iloc[0:0]).data) == 0
