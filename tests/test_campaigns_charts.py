"""Campaign figures: what each trace carries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.campaigns.bandit import posteriors
from retention.charts import campaigns as charts

SUMMARY = pd.DataFrame(
    {
        "arm": ["a", "b", "total"],
        "members": [10, 10, 20],
        "metric": ["net_value"] * 3,
        "median": [5.0, -2.0, 3.0],
        "low": [1.0, -6.0, -1.0],
        "high": [9.0, 1.0, 8.0],
        "mean": [5.0, -2.0, 3.0],
    }
)


def test_arm_outcomes_error_bars_are_the_interval():
    bar = charts.arm_outcomes(SUMMARY).data[0]
    assert list(bar.y) == [5.0, -2.0, 3.0]
    assert list(bar.error_y.array) == [9 - 5, 1 - (-2), 8 - 3]
    assert list(bar.error_y.arrayminus) == [5 - 1, -2 - (-6), 3 - (-1)]


def test_arm_differences_in_percentage_points():
    table = pd.DataFrame(
        {
            "arm": ["control", "x"],
            "retention_diff": [np.nan, 0.05],
            "retention_diff_low": [np.nan, 0.01],
            "retention_diff_high": [np.nan, 0.09],
        }
    )
    dot = charts.arm_differences(table).data[0]
    assert list(dot.y) == ["x"]
    assert list(dot.x) == pytest.approx([5.0])
    assert list(dot.error_x.array) == pytest.approx([4.0])


def test_strategy_comparison_marks_the_plan():
    frame = pd.DataFrame(
        {
            "label": ["Everyone", "Everyone", "Top risk", "Top risk"],
            "members": [50, 100, 50, 100],
            "chosen": [False, False, True, False],
            "net_value_median": [1.0, 2.0, 3.0, 2.0],
            "net_value_low": [0.0, 1.0, 2.0, 1.0],
            "net_value_high": [2.0, 3.0, 4.0, 3.0],
        }
    )
    figure = charts.strategy_comparison(frame)
    names = [trace.name for trace in figure.data if trace.name]
    assert names == ["Everyone", "Top risk", "Your plan"]
    star = figure.data[-1]
    assert list(star.x) == [50] and list(star.y) == [3.0]


def test_posterior_curves_integrate_to_one():
    post = posteriors(pd.DataFrame({"arm": ["control", "x"], "members": [100, 100], "retained": [40, 55]}))
    figure = charts.posterior_curves(post, points=2000)
    for trace in figure.data:
        x = np.asarray(trace.x) / 100
        assert np.trapezoid(trace.y, x) == pytest.approx(1.0, abs=0.01)


def test_net_value_distribution_title_gives_the_share_above_zero():
    figure = charts.net_value_distribution(pd.DataFrame({"net_value": [-1.0, 2.0, 3.0, 4.0]}))
    assert "75%" in figure.layout.title.text
