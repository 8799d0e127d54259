"""Mean curves and how many cohorts they rest on, segment comparisons, marks on cohort lines, refused breakdowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_cohorts import _tiny_frames

from retention import cohorts, sample, warehouse
from retention.charts import cohorts as charts
from retention.charts.annotations import MARK_AXIS
from retention.errors import DataError

# ---------------------------------------------------------------- pandas reference


def reference_means(frames: dict[str, pd.DataFrame], by: str | None, rest_of: str | None = None) -> pd.DataFrame:
    """Monthly first-purchase retention pooled over complete cohorts, per value of the users column ``by``
    (or all users when None; with ``rest_of``, that value against "All but" it), in plain pandas:
    ``segment, period, cohorts, retention``."""
    orders, events, users = frames["orders"], frames["events"], frames["users"]
    as_of = max(orders["ts"].max(), events["ts"].max())
    purchases = orders[orders["quantity"] > 0].astype({"user_id": str})
    month = purchases["ts"].dt.to_period("M")
    purchases = purchases.assign(month=month)
    first = purchases.groupby("user_id")["month"].min().rename("cohort").reset_index()
    if by is None:
        first["segment"] = cohorts.ALL_SEGMENTS
    else:
        values = users.astype({"user_id": str}).set_index("user_id")[by]
        first["segment"] = first["user_id"].map(values).fillna(cohorts.MISSING_SEGMENT).astype(str)
    if rest_of is not None:
        first["segment"] = first["segment"].where(first["segment"] == rest_of, cohorts.all_but(rest_of))
    acts = purchases.merge(first, on="user_id")
    acts["period"] = (acts["month"] - acts["cohort"]).map(lambda offset: offset.n)
    active = acts.groupby(["segment", "cohort", "period"])["user_id"].nunique().rename("active").reset_index()
    sizes = first.groupby(["segment", "cohort"]).size().rename("size").reset_index()
    last = pd.Timestamp(as_of).to_period("M")
    rows = []
    for row in sizes.itertuples(index=False):
        for period in range((last - row.cohort).n + 1):
            complete = (row.cohort + period + 1).to_timestamp() <= as_of
            rows.append((row.segment, row.cohort, period, row.size, complete))
    grid = pd.DataFrame(rows, columns=["segment", "cohort", "period", "size", "complete"])
    grid = grid[grid["complete"]].merge(active, on=["segment", "cohort", "period"], how="left").fillna({"active": 0})
    pooled = grid.groupby(["segment", "period"]).agg(cohorts=("cohort", "nunique"), size=("size", "sum"))
    pooled["retention"] = grid.groupby(["segment", "period"])["active"].sum() / pooled["size"]
    return pooled.reset_index()


@pytest.fixture(scope="module")
def con(sample_db):
    connection = warehouse.connect(sample_db)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def by_country(con) -> cohorts.CohortTable:
    return cohorts.cohort_table(con, cohorts.CohortQuery(breakdown="country"))


# ---------------------------------------------------------------- mean curves


def test_mean_curve_counts_its_cohorts_and_flags_the_points_resting_on_too_few():
    table = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"] * 2 + ["2024-03-01"]),
            "period": [0, 1, 2, 0, 1, 0],
            "cohort_users": [10, 10, 10, 30, 30, 5],
            "active_users": [10, 4, 3, 30, 6, 5],
            "retention": [1.0, 0.4, 0.3, 1.0, 0.2, 1.0],
            "complete": [True, True, True, True, True, False],
        }
    )
    curve = cohorts.CohortTable(table, cohorts.CohortQuery()).mean_curve(min_cohorts=2)
    assert curve["period"].tolist() == [0, 1, 2]
    assert curve["cohorts"].tolist() == [2, 2, 1]  # March is still in progress: it rests on no point
    assert curve["retention"].tolist() == pytest.approx([1.0, (4 + 6) / (10 + 30), 3 / 10])
    assert curve["enough"].tolist() == [True, True, False]
    assert cohorts.CohortTable(table, cohorts.CohortQuery()).mean_curve()["enough"].all()
    with pytest.raises(DataError, match="at least one cohort"):
        cohorts.CohortTable(table, cohorts.CohortQuery()).mean_curve(min_cohorts=0)


def test_mean_curves_match_pandas_per_segment_and_pooled(con, sample_frames, by_country):
    ours = by_country.mean_curve(3)
    expected = reference_means(sample_frames, "country")
    assert by_country.segments and set(ours["segment"]) == set(expected["segment"])
    merged = ours.merge(expected, on=["segment", "period"], suffixes=("", "_pandas"), validate="one_to_one")
    assert len(merged) == len(expected) == len(ours)
    assert merged["cohorts"].tolist() == merged["cohorts_pandas"].tolist()
    assert merged["retention"].to_numpy() == pytest.approx(merged["retention_pandas"].to_numpy())
    assert (merged["enough"] == (merged["cohorts_pandas"] >= 3)).all()
    # All users pooled: the same as the table counted without a breakdown, and as pandas.
    pooled = by_country.mean_curve(3, by_segment=False)
    plain = cohorts.cohort_table(con, cohorts.CohortQuery()).mean_curve(3)
    pd.testing.assert_frame_equal(pooled, plain, check_dtype=False)
    everyone = reference_means(sample_frames, None)
    assert pooled["cohorts"].tolist() == everyone["cohorts"].tolist()
    assert pooled["retention"].to_numpy() == pytest.approx(everyone["retention"].to_numpy())


# ---------------------------------------------------------------- comparing segments


def test_segment_comparison_matches_pandas_with_the_difference_to_all(sample_frames, by_country):
    names = by_country.segments[:3]
    compared = by_country.compare_segments(["All", *names, names[0]], min_cohorts=3)
    assert compared["segment"].tolist() == ["All", *names]  # All first, each segment once
    assert by_country.comparison_periods == [1, 3, 6]
    expected = pd.concat([reference_means(sample_frames, None), reference_means(sample_frames, "country")])
    expected = expected.set_index(["segment", "period"])
    first = sample_frames["orders"][sample_frames["orders"]["quantity"] > 0].groupby("user_id").size()
    assert compared["cohort_users"].iloc[0] == len(first)
    for n in (1, 3, 6):
        want = [
            expected.loc[(name, n), "retention"] if expected.loc[(name, n), "cohorts"] >= 3 else np.nan
            for name in compared["segment"]
        ]
        assert compared[f"period_{n}"].to_numpy() == pytest.approx(np.array(want), nan_ok=True)
        assert compared[f"period_{n}_vs_all"].to_numpy() == pytest.approx(np.array(want) - want[0], nan_ok=True)
    assert compared["period_1_vs_all"].iloc[0] == 0


def test_a_segment_against_everyone_else_matches_pandas(sample_frames, by_country):
    largest = by_country.segments[0]
    rest = cohorts.all_but(largest)
    curves = by_country.segment_curves([largest, rest])
    expected = reference_means(sample_frames, "country", rest_of=largest)
    merged = curves.merge(expected, on=["segment", "period"], suffixes=("", "_pandas"), validate="one_to_one")
    assert len(merged) == len(expected) == len(curves) and set(merged["segment"]) == {largest, rest}
    assert merged["cohorts"].tolist() == merged["cohorts_pandas"].tolist()
    assert merged["retention"].to_numpy() == pytest.approx(merged["retention_pandas"].to_numpy())
    compared = by_country.compare_segments([largest, rest]).set_index("segment")["cohort_users"]
    assert compared[largest] + compared[rest] == compared["All"]


def test_a_thin_point_is_left_out_of_the_comparison(by_country):
    cohort_counts = by_country.mean_curve(1).set_index(["segment", "period"])["cohorts"]
    segment = by_country.segments[-1]
    most = int(cohort_counts.loc[(segment, 6)])
    assert by_country.compare_segments([segment], min_cohorts=most)["period_6"].notna().all()
    thin = by_country.compare_segments([segment], min_cohorts=most + 1)
    assert np.isnan(thin["period_6"].iloc[1]) and np.isnan(thin["period_6_vs_all"].iloc[1])


def test_revenue_comparison_compares_revenue_per_user(con):
    table = cohorts.cohort_table(con, cohorts.CohortQuery(breakdown="country", measure="revenue"))
    name = table.segments[0]
    compared = table.compare_segments([name])
    curve = table.mean_curve(by_segment=True).set_index(["segment", "period"])
    assert compared.loc[1, "period_1"] == pytest.approx(
        curve.loc[(name, 1), "revenue"] / curve.loc[(name, 1), "cohort_users"]
    )


def test_comparing_needs_a_breakdown_and_known_segments(con, by_country):
    with pytest.raises(DataError, match="no segment 'Atlantis'"):
        by_country.compare_segments(["All", "Atlantis"])
    with pytest.raises(DataError, match="with a breakdown"):
        cohorts.cohort_table(con, cohorts.CohortQuery()).compare_segments(["All"])


def test_brackets_compare_every_bracket(con):
    table = cohorts.cohort_table(con, cohorts.CohortQuery(breakdown="country", mode="brackets"))
    assert table.comparison_periods == [1, 2, 3]
    assert [c for c in table.compare_segments(["All"]).columns if c.startswith("period_")] == [
        "period_1",
        "period_1_vs_all",
        "period_2",
        "period_2_vs_all",
        "period_3",
        "period_3_vs_all",
    ]


# ---------------------------------------------------------------- marks on cohort lines


def _marks(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ts", "kind", "label"])
    return frame.assign(ts=pd.to_datetime(frame["ts"]), note_id=pd.array([pd.NA] * len(frame), dtype="Int64"))


def test_a_mark_sits_in_the_period_of_each_cohort_that_holds_it(tiny):
    table = cohorts.cohort_table(tiny, cohorts.CohortQuery())  # January and February cohorts; data ends 20 March
    marks = _marks(("2024-02-15", "note", "site redesign"), ("2024-03-05", "campaign", "Win-back"))
    placed = table.mark_points(marks, [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")])
    # 15 February is January's month 1 and February's month 0. 5 March falls in the month still in progress (January's
    # month 2, February's month 1): it sits there, hollow, at the height of the line's last point.
    assert placed[["cohort", "period", "label", "in_progress"]].values.tolist() == [
        [pd.Timestamp("2024-01-01"), 1, "site redesign", False],
        [pd.Timestamp("2024-01-01"), 2, "Win-back", True],
        [pd.Timestamp("2024-02-01"), 0, "site redesign", False],
        [pd.Timestamp("2024-02-01"), 1, "Win-back", True],
    ]
    cells = table.frame.set_index(["cohort", "period"])
    assert not cells.loc[(pd.Timestamp("2024-01-01"), 2), "complete"]
    january, february = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert (
        placed["y"].tolist() == [cells.at[(january, 1), "retention"]] * 2 + [cells.at[(february, 0), "retention"]] * 2
    )
    assert table.mark_points(marks, [pd.Timestamp("2024-02-01")])["period"].tolist() == [0, 1]
    assert table.mark_points(_marks(("2023-12-31", "note", "before")), [pd.Timestamp("2024-01-01")]).empty
    brackets = cohorts.cohort_table(tiny, cohorts.CohortQuery(mode="brackets"))
    assert brackets.mark_points(marks, [pd.Timestamp("2024-01-01")]).empty


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_curves") / "warehouse.duckdb"
    connection = warehouse.connect(path)
    sample.load_frames(connection, _tiny_frames(), source="hand-made")
    yield connection
    connection.close()


# ---------------------------------------------------------------- breakdowns no user fills


def test_an_empty_breakdown_column_is_refused_with_the_reason(tmp_path):
    frames = _tiny_frames()
    frames["users"] = frames["users"].assign(channel=None)
    connection = warehouse.connect(tmp_path / "warehouse.duckdb")
    try:
        sample.load_frames(connection, frames, source="hand-made")
        gaps = cohorts.breakdown_gaps(connection)
        assert list(gaps) == ["channel"] and "none of the 5 users has a channel" in gaps["channel"]
        with pytest.raises(DataError, match="cannot break down by channel: none of the 5 users"):
            cohorts.cohort_table(connection, cohorts.CohortQuery(breakdown="channel"))
        assert cohorts.cohort_table(connection, cohorts.CohortQuery(breakdown="country")).segments
    finally:
        connection.close()


def test_without_users_every_users_column_is_refused_and_the_rfm_segment_stays(tmp_path):
    frames = {name: frame for name, frame in _tiny_frames().items() if name != "users"}
    connection = warehouse.connect(tmp_path / "warehouse.duckdb")
    try:
        sample.load_frames(connection, frames, source="hand-made")
        gaps = cohorts.breakdown_gaps(connection)
        assert set(gaps) == set(cohorts.breakdown_columns(connection)) - {"rfm_segment"} and gaps
        assert all("the warehouse holds no users" in reason for reason in gaps.values())
        assert cohorts.cohort_table(connection, cohorts.CohortQuery(breakdown="rfm_segment")).segments
    finally:
        connection.close()


# ---------------------------------------------------------------- modes say what they count


def test_the_calendar_period_mode_is_named_for_what_it_counts_and_old_urls_still_open():
    mode = cohorts.MODES["n-day"]
    assert mode.label == "Period N" and "calendar" in mode.description
    assert all(m.description for m in cohorts.MODES.values())
    assert cohorts.CohortQuery.from_query_params({"mode": "N-day"}) == cohorts.CohortQuery(mode="n-day")
    assert cohorts.CohortQuery(mode="unbounded").to_query_params() == {"mode": "Unbounded"}


# ---------------------------------------------------------------- figures


def test_the_mean_line_fades_where_it_rests_on_too_few_cohorts_and_says_on_how_many(by_country):
    shown = by_country.segment_rows(by_country.segments[0])
    mean = shown.mean_curve(3)
    thin = mean[~mean["enough"]]
    assert len(thin)  # the oldest cohorts alone reach the last periods
    figure = charts.retention_curves(shown, mean, shown.recent_cohorts(2))
    solid, faded = (trace for trace in figure.data if trace.legendgroup and "Mean" in trace.legendgroup)
    assert solid.line.dash == "solid" and faded.line.dash == "dot" and faded.opacity < 1
    assert [int(c) for c in solid.customdata[:, 0]] == mean.loc[mean["enough"], "cohorts"].tolist()
    # The faded part starts at the last solid point so that the line does not break.
    assert [int(c) for c in faded.customdata[1:, 0]] == thin["cohorts"].tolist()
    assert "over %{customdata[0]} cohorts" in solid.hovertemplate and solid.meta == solid.name
    assert len([trace for trace in figure.data if trace.line.dash is None]) == 2  # the two chosen cohorts


def test_marks_on_cohort_lines_and_lifecycle_bars_name_what_happened(tiny):
    table = cohorts.cohort_table(tiny, cohorts.CohortQuery())
    marks = _marks(("2024-02-15", "note", "site <b>redesign</b>"))
    placed = table.mark_points(marks, table.cohort_starts)
    figure = charts.retention_curves(table, table.mean_curve(), table.cohort_starts, placed)
    (triangles,) = [trace for trace in figure.data if trace.name == "Notes"]
    assert list(triangles.x) == ["1", "0"] and list(triangles.y) == placed["y"].tolist()
    assert "site &lt;b&gt;redesign&lt;/b&gt;" in triangles.text[0] and "2024-01" in triangles.text[0]
    assert triangles.hovertemplate.startswith("Note")
    life = cohorts.lifecycle(tiny)
    bars = charts.lifecycle_bars(life, marks=marks)
    (on_axis,) = [trace for trace in bars.data if trace.name == "Notes"]
    assert on_axis.yaxis == MARK_AXIS and list(on_axis.x) == [pd.Timestamp("2024-02-15")]


def test_compared_segments_each_get_their_own_colour_and_all_is_black(by_country):
    names = ["All", *by_country.segments[: charts.MAX_COMPARED]]
    figure = charts.segment_curves(by_country, by_country.segment_curves(names, 3))
    solid = [trace for trace in figure.data if trace.line.dash == "solid"]
    assert [trace.name for trace in solid] == names
    colours = [trace.line.color for trace in solid]
    assert colours[0] == "black" and len(set(colours)) == len(colours)
