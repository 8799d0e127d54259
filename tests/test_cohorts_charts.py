"""The cohort heatmap's tooltip, click targets and chosen cell, on a hand-made table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retention import cohorts
from retention.charts import cohorts as charts

JAN, FEB = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")


def _table(measure: str = "retention") -> cohorts.CohortTable:
    """January: 10 users, periods 0-2 (period 2 in progress); February: 4 users, periods 0-1 (1 in progress)."""
    frame = pd.DataFrame(
        {
            "cohort": [JAN, JAN, JAN, FEB, FEB],
            "period": [0, 1, 2, 0, 1],
            "cohort_users": [10, 10, 10, 4, 4],
            "active_users": [10, 3, 1, 4, 1],
            "complete": [True, True, False, True, False],
        }
    )
    frame["retention"] = frame["active_users"] / frame["cohort_users"]
    if measure == "revenue":
        frame["revenue"] = [100.0, 30.0, 5.0, 20.0, 2.0]
        frame["value"] = frame["revenue"] / frame["cohort_users"]
    return cohorts.CohortTable(frame, cohorts.CohortQuery(measure=measure))


def _trace(figure, name: str):
    return next(trace for trace in figure.data if trace.name == name)


def test_only_the_cell_markers_answer_the_hover_and_they_name_every_number():
    figure = charts.cohort_heatmap(_table())
    heatmaps = [trace for trace in figure.data if trace.type == "heatmap"]
    assert len(heatmaps) == 2  # the complete layer and the grey in-progress one
    assert all(trace.hoverinfo == "skip" for trace in heatmaps)  # their gaps answered NaN
    cells = _trace(figure, charts.CELL_TRACE)
    assert list(cells.x) == ["0", "1", "2", "0", "1"]
    assert list(cells.y) == ["2025-01  (10)"] * 3 + ["2025-02  (4)"] * 2
    data = [list(row) for row in cells.customdata]
    assert [row[4:] for row in data] == [[10, 10, 1.0], [3, 10, 3 / 10], [1, 10, 1 / 10], [4, 4, 1.0], [1, 4, 1 / 4]]
    assert [row[2:4] for row in data][:2] == [["2025-01", "Month 0"], ["2025-01", "Month 1"]]
    assert not any(isinstance(value, float) and math.isnan(value) for row in data for value in row)
    templates = list(cells.hovertemplate)
    assert ["in progress" in template for template in templates] == [False, False, True, False, True]
    assert all("Retention %{customdata[6]:.1%}" in template for template in templates)
    assert figure.layout.hoverdistance == -1  # the nearest cell answers anywhere inside it


def test_the_grid_s_empty_places_are_silent():
    figure = charts.cohort_heatmap(_table())
    empty = _trace(figure, "no cell")
    assert list(zip(empty.y, empty.x, strict=True)) == [("2025-02  (4)", "2")]
    assert empty.hoverinfo == "none"


def test_the_revenue_measure_names_revenue_per_user():
    cells = _trace(charts.cohort_heatmap(_table("revenue")), charts.CELL_TRACE)
    assert [row[6] for row in cells.customdata] == pytest.approx([100 / 10, 30 / 10, 5 / 10, 20 / 4, 2 / 4])
    assert all("Revenue per user" in template for template in cells.hovertemplate)


def test_a_clicked_point_names_its_cell_and_the_chosen_cell_is_outlined():
    figure = charts.cohort_heatmap(_table(), chosen=(FEB, 1))
    cells = _trace(figure, charts.CELL_TRACE)
    # A selection point as Streamlit hands it over: the customdata comes back as JSON lists.
    picked = [charts.cell_of_point({"customdata": list(row)}) for row in cells.customdata]
    assert picked == [(JAN, 0), (JAN, 1), (JAN, 2), (FEB, 0), (FEB, 1)]
    assert charts.cell_of_point({"x": "2", "y": "2025-02  (4)"}) is None  # the silent empty place
    (shape,) = figure.layout.shapes
    # Category axes: column 1 of the labels, row 1 of the cohorts, one unit wide.
    assert (shape.x0, shape.x1, shape.y0, shape.y1) == (0.5, 1.5, 0.5, 1.5)
    assert charts.cohort_heatmap(_table(), chosen=(FEB, 2)).layout.shapes == ()  # no such cell: no outline


def test_a_cell_and_its_period_name():
    table = _table()
    assert table.cell(FEB, 1)["active_users"] == 1
    assert table.period_name(2) == "Month 2"
    with pytest.raises(KeyError, match="2025-02-01, period 2"):
        table.cell(FEB, 2)
