"""The Segments page under AppTest, the RFM breakdown on Cohorts and the RFM filter of the campaign builder."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import app_page
from test_campaigns_fixtures import scored_copy
from test_page_campaign_audience import page_default_audience
from test_page_cohorts import _array
from test_rfm import reference_rfm

from retention import campaigns, rfm, warehouse

TIMEOUT = 120


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    return app_page("segments.py", timeout=TIMEOUT)


@pytest.fixture(scope="module")
def expected(sample_frames):
    orders = sample_frames["orders"]
    return reference_rfm(orders, orders["ts"].max())


def test_the_page_shows_each_segment_and_lists_the_at_risk_customers(app, expected):
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Segments"
    counts = expected["segment"].value_counts()
    treemap = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    tiles = dict(zip(treemap["labels"], _array(treemap["values"]).tolist(), strict=True))
    assert tiles == {name: counts[name] for name in rfm.SEGMENTS if name in counts}
    summary = at.dataframe[0].value.set_index("segment")
    assert summary["customers"].to_dict() == {name: int(counts.get(name, 0)) for name in rfm.SEGMENTS}
    revenue = expected.groupby("segment")["monetary"].sum()
    assert summary.loc["At risk", "revenue"] == pytest.approx(revenue["At risk"])
    # The segment below the chart starts at "At risk": its customers, without emails until ticked.
    members = at.dataframe[1].value
    assert sorted(members["user_id"]) == sorted(expected.index[expected["segment"] == "At risk"])
    assert "email" not in members.columns
    at.checkbox[0].check().run()
    assert at.dataframe[1].value["email"].notna().all()
    assert [button.proto.label for button in at.download_button] == [
        "Download the segment table",
        "Download these customers",
    ]
    at.selectbox(key="segment").select("Lost").run()
    assert len(at.dataframe[1].value) == counts["Lost"]


def test_an_as_of_day_and_a_segment_come_from_the_url(app, sample_frames):
    orders = sample_frames["orders"]
    app.query_params.update({"as_of": "2025-11-15", "segment": "Champions", "size": "revenue"})
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    earlier = reference_rfm(orders, pd.Timestamp("2025-11-15"))
    assert sorted(at.dataframe[1].value["user_id"]) == sorted(earlier.index[earlier["segment"] == "Champions"])
    assert any("up to 2025-11-15" in caption.value for caption in at.caption)


def test_cohorts_page_breaks_down_by_rfm_segment(sample_db, monkeypatch, expected):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    at = app_page("cohorts.py", timeout=TIMEOUT)
    at.query_params.update({"by": "RFM segment"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert set(at.selectbox(key="segment").options) == set(expected["segment"])


def test_the_campaign_builder_filters_by_rfm_segment(sample_db, tmp_path, monkeypatch, expected):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_copy(sample_db, tmp_path), path)
    monkeypatch.setenv("RETENTION_DB", str(path))
    at = app_page("campaigns.py", timeout=180).run()
    at.multiselect(key="aud-rfm").set_value(["At risk"]).run()
    assert not at.exception, [e.value for e in at.exception]
    con = warehouse.connect(path)
    try:
        scored = campaigns.select_audience(con, page_default_audience(0.5))
    finally:
        con.close()
    at_risk = set(expected.index[expected["segment"] == "At risk"])
    shown = {m.label: m.value for m in at.metric}["Customers in audience"]
    assert at_risk & set(scored["user_id"])
    assert shown == f"{len(set(scored['user_id']) & at_risk):,}"


def test_the_grid_puts_recent_customers_on_top_and_counts_each_cell(app, expected):
    at = app.run()
    grid = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert grid["y"] == ["R 1", "R 2", "R 3", "R 4", "R 5"]  # Plotly draws the first row at the bottom
    cells = expected.groupby(["r", "f"]).size()
    assert grid["text"][4][3] == f"Champions<br>{cells.get((5, 4), 0):,}"
    assert grid["text"][0][0] == f"Lost<br>{cells.get((1, 1), 0):,}"
