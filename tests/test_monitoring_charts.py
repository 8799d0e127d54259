"""Figures of the outcome sections: what each draws, its threshold line and its colours, on literal frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from retention.charts import outcomes as charts
from retention.charts.axes import widen_single_date
from retention.monitoring import outcomes

RUNS = pd.DataFrame(
    {
        "run_id": [1, 2, 3],
        "name": ["SVD", "Most popular", "EASE"],
        "model": ["svd", "popularity", "ease"],
        "mode": ["discovery"] * 3,
        "cutoff": pd.to_datetime(["2026-01-31", "2026-01-31", "2026-02-28"]),
        "window_end": pd.to_datetime(["2026-03-02", "2026-03-02", "2026-03-30"]),
        "complete": [True, True, False],
        "users": [40, 40, 0],
        "hit_rate": [10 / 40, 12 / 40, float("nan")],
        "popularity_hit_rate": [12 / 40, 12 / 40, float("nan")],
        "margin": [10 / 40 - 12 / 40, 0.0, float("nan")],
        "note": [None, None, "no saved model"],
    }
)


def test_hit_rates_show_evaluated_runs_beside_popularity():
    figure = charts.hit_rates(RUNS)
    svd, popularity, popular = figure.data  # one line per model; the run without customers is left out
    assert (svd.name, list(svd.y), list(svd.text)) == ("SVD", [10 / 40], ["#1 SVD"])
    assert (popularity.name, list(popularity.y)) == ("Most popular", [12 / 40])
    assert list(popular.y) == pytest.approx([12 / 40, 12 / 40])


def test_margins_draw_the_threshold_and_mark_the_runs_below_it():
    figure = charts.hit_rate_margins(RUNS, threshold=0.0)
    (bars,) = figure.data
    assert list(bars.y) == pytest.approx([-2 / 40, 0.0])
    assert list(bars.marker.color) == [charts.BAD_COLOUR, charts.GOOD_COLOUR]
    (line,) = figure.layout.shapes
    assert (line.y0, line.y1) == (0.0, 0.0)


def test_uplift_timeline_draws_each_interval_around_its_difference_and_zero():
    arms = pd.DataFrame(
        {
            "campaign_id": [2, 1],
            "name": ["Later", "Earlier"],
            "arm": ["a", "b"],
            "launched": pd.to_datetime(["2026-03-01", "2026-01-01"]),
            "retention_diff": [0.05, -0.01],
            "retention_diff_low": [0.01, -0.04],
            "retention_diff_high": [0.09, 0.02],
        }
    )
    (points,) = charts.uplift_timeline(arms).data
    assert list(points.text) == ["#1 Earlier · b", "#2 Later · a"]  # in launch order
    assert list(points.error_y.array) == pytest.approx([0.02 - -0.01, 0.09 - 0.05])
    assert list(points.error_y.arrayminus) == pytest.approx([-0.01 - -0.04, 0.05 - 0.01])
    assert list(points.marker.color) == [charts.MODEL_COLOUR, charts.GOOD_COLOUR]  # only the second clears 0


def test_cumulative_return_sums_campaigns_in_launch_order_and_draws_the_threshold():
    arms = pd.DataFrame(
        {
            "campaign_id": [1, 1, 2],
            "name": ["A", "A", "B"],
            "launched": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01"]),
            "incremental_revenue": [100.0, 50.0, 20.0],
            "cost": [30.0, 10.0, 200.0],
            "net_return": [70.0, 40.0, -180.0],
        }
    )
    running = outcomes.cumulative(arms)
    assert running["net_return"].tolist() == [70 + 40, 70 + 40 - 180]
    assert running["cost"].tolist() == [30 + 10, 30 + 10 + 200]
    figure = charts.cumulative_return(running, threshold=-50.0)
    assert [trace.name for trace in figure.data] == ["Incremental revenue", "Cost", "Net return"]
    assert figure.layout.shapes[0].y0 == -50.0


def test_records_are_json_safe_and_read_back():
    rows = outcomes.records(RUNS)
    assert rows[2]["hit_rate"] is None and rows[0]["cutoff"] == "2026-01-31T00:00:00" and rows[0]["users"] == 40
    back = outcomes.from_records(rows, outcomes.HIT_RATE_COLUMNS, ("cutoff", "window_end"))
    assert back["cutoff"].tolist() == RUNS["cutoff"].tolist()
    assert back["hit_rate"].iloc[:2].tolist() == pytest.approx(RUNS["hit_rate"].iloc[:2].tolist())


def test_a_time_axis_with_one_date_spans_days_around_it_and_other_axes_are_left_alone():
    day = pd.Timestamp("2011-12-09 12:50")
    one = go.Figure(go.Scatter(x=[day, day], y=[0.1, 0.2]))
    assert widen_single_date(one).layout.xaxis.range == (day - pd.Timedelta(days=15), day + pd.Timedelta(days=15))
    two = go.Figure(go.Scatter(x=[day, day + pd.Timedelta(days=30)], y=[0.1, 0.2]))
    assert widen_single_date(two).layout.xaxis.range is None
    as_text = go.Figure(go.Scatter(x=["2011-09-01", "2011-09-01"], y=[0.66, 0.64]))
    assert widen_single_date(as_text).layout.xaxis.range[0] == pd.Timestamp("2011-08-17")
    as_dates = go.Figure(go.Scatter(x=[dt.date(2011, 9, 1)], y=[0.66]))
    assert widen_single_date(as_dates).layout.xaxis.range[1] == pd.Timestamp("2011-09-16")
    numbers = go.Figure(go.Scatter(x=[0.5, 0.5], y=[0.1, 0.2]))
    assert widen_single_date(numbers).layout.xaxis.range is None
