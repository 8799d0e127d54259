"""Computations that enumerate periods or snapshots refuse, before enumerating, a span past their limit.

An order dated in year 1, 9999 or 2100 is written straight into a copy of the fixture warehouse (as an
old import, or a file read before the import checks, could have left it), then every cohort table,
activity series, weekly chart and churn plan is asked for. Each refuses with a sentence that names
the range, the count and the limit before building a row; what does not enumerate periods (brackets,
the rollup) stays bounded by the data.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import ROOT, app_page

from retention import churn, cohorts, overview, periods, rollups, warehouse
from retention.churn import snapshots
from retention.cohorts import runner
from retention.errors import DataError
from retention.forecast import activity

LIMIT = f"more than the limit of {periods.MAX_PERIODS:,}"


def _with_order_at(source: str, target, ts: str) -> str:
    """A copy of ``source`` with one more order line dated ``ts`` (a copy of a purchase line), rollup rebuilt."""
    shutil.copy(source, target)
    con = warehouse.connect(target)
    try:
        with warehouse.transaction(con):
            con.execute(  # straight into the table: no import checks on the way in
                "INSERT INTO orders SELECT order_id || '-far', user_id, item_id, ?::TIMESTAMP, quantity, unit_price, "
                "discount, batch_id FROM orders WHERE quantity > 0 ORDER BY order_id LIMIT 1",
                [ts],
            )
            rollups.refresh(con)
    finally:
        con.close()
    return str(target)


FAR_DATES = ("0001-01-01", "9999-12-31")


@pytest.fixture(scope="module")
def far_dbs(sample_db, tmp_path_factory) -> dict[str, str]:
    """Timestamp -> a copy of the fixture warehouse with one order line at it."""
    return {ts: _with_order_at(sample_db, tmp_path_factory.mktemp("far") / "w.duckdb", ts) for ts in FAR_DATES}


@pytest.fixture(params=FAR_DATES)
def far_db(request, far_dbs) -> tuple[str, str]:
    return far_dbs[request.param], request.param


@pytest.fixture(scope="module")
def db_2100(sample_db, tmp_path_factory) -> str:
    return _with_order_at(sample_db, tmp_path_factory.mktemp("y2100") / "warehouse.duckdb", "2100-01-01")


def _refused(function, *args, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        function(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("period", periods.PERIODS)
@pytest.mark.parametrize("mode", ["n-day", "unbounded"])
def test_cohort_tables_refuse_a_span_of_thousands_of_periods(far_db, period, mode):
    db, ts = far_db
    con = warehouse.connect(db, read_only=True)
    try:
        first, last = warehouse.data_range(con)
        message = _refused(cohorts.cohort_table, con, period=period, mode=mode)
        revenue = _refused(cohorts.cohort_table, con, period=period, mode=mode, measure="revenue", breakdown="country")
    finally:
        con.close()
    count = periods.between(first, last, period) + 1 if ts.startswith("0001") else None
    assert message.startswith("the cohort table") and LIMIT in message and f"{period}s" in message
    assert ts in message and "choose a later first cohort" in message and "import it again" in message
    if count is not None:  # from the year-1 cohort to the latest timestamp
        assert f"span {count:,} {period}s" in message
    assert revenue == message


def test_a_cohort_range_after_the_implausible_date_still_answers(far_dbs):
    """The span counts from the first cohort in range: a range that leaves year 1 out is a normal table."""
    con = warehouse.connect(far_dbs["0001-01-01"], read_only=True)
    try:
        table = cohorts.cohort_table(con, period="month", cohort_start="2000-01-01").frame
    finally:
        con.close()
    assert not table.empty and table["cohort"].min() >= periods.start(dt.date(2000, 1, 1), "month")


def test_brackets_and_lifecycle_stay_bounded_by_the_data(far_db):
    """Brackets count days after each user's own start, and growth accounting lists active periods only."""
    db, _ = far_db
    con = warehouse.connect(db, read_only=True)
    try:
        table = cohorts.cohort_table(con, period="day", mode="brackets").frame
        cohort_count = con.execute(
            "SELECT count(DISTINCT first_purchase_ts::DATE) FROM rollup_users WHERE first_purchase_ts IS NOT NULL"
        ).fetchone()[0]
        life = cohorts.lifecycle(con, period="day")
        active_days = con.execute("SELECT count(DISTINCT ts::DATE) FROM orders WHERE quantity > 0").fetchone()[0]
    finally:
        con.close()
    assert len(table) <= cohort_count * (len(cohorts.DEFAULT_BRACKETS) + 1)
    assert len(life) <= 2 * active_days  # each active day, and the day after it when someone turns dormant


@pytest.mark.parametrize("period", ["week", "month"])
def test_activity_series_and_weekly_chart_refuse(far_db, period):
    db, ts = far_db
    con = warehouse.connect(db, read_only=True)
    try:
        series_message = _refused(activity.activity_table, con, period=period)
        weekly_message = _refused(overview.weekly_activity, con)
        kpis = overview.kpis(con)  # a handful of numbers: nothing to bound
    finally:
        con.close()
    assert series_message.startswith("the activity series would span") and LIMIT in series_message
    assert ts in series_message
    assert weekly_message.startswith("the weekly activity chart would span") and LIMIT in weekly_message
    assert kpis.orders > 0


def test_churn_scoring_refuses_before_building_snapshots(far_db):
    db, _ = far_db
    con = warehouse.connect(db, read_only=True)
    try:
        message = _refused(churn.score_customers, con, save=False)
    finally:
        con.close()
    assert message.startswith("the churn model's monthly training snapshots would span")
    assert f"more than the limit of {snapshots.MAX_SNAPSHOTS}" in message


def test_the_raw_cohort_table_refuses_too(far_db):
    db, _ = far_db
    con = warehouse.connect(db, read_only=True)
    try:
        message = _refused(cohorts.cohort_table_raw, con, period="day")
    finally:
        con.close()
    assert message.startswith("the cohort table would span") and LIMIT in message


def test_the_rollup_grows_by_the_new_line_only(sample_db, tmp_path):
    """The rollup keeps one row per user and active period: a far date adds a row per grain, not a row per period."""
    con = warehouse.connect(sample_db, read_only=True)
    try:
        before = warehouse.row_count(con, "rollup_order_periods")
    finally:
        con.close()
    db = _with_order_at(sample_db, tmp_path / "w.duckdb", "9999-12-31")
    con = warehouse.connect(db, read_only=True)
    try:
        after = warehouse.row_count(con, "rollup_order_periods")
    finally:
        con.close()
    assert before < after <= before + len(rollups.GRAINS)


def test_year_2100_refuses_day_tables_and_churn_but_keeps_month_tables(db_2100):
    con = warehouse.connect(db_2100, read_only=True)
    try:
        first, last = warehouse.data_range(con)
        day = _refused(cohorts.cohort_table, con, period="day")
        months = cohorts.cohort_table(con, period="month").frame
        month_cohorts = months["cohort"].nunique()
        churn_message = _refused(churn.score_customers, con, save=False)
    finally:
        con.close()
    assert "2100-01-01" in day and LIMIT in day
    spanned = periods.between(first, last, "month") + 1  # about 900 months: under the limit, and bounded by it
    assert spanned <= periods.MAX_PERIODS and len(months) <= month_cohorts * spanned
    assert "monthly training snapshots" in churn_message


def test_the_cell_limit_counts_the_grid_exactly(sample_db, monkeypatch):
    con = warehouse.connect(sample_db, read_only=True)
    try:
        cells = len(cohorts.cohort_table(con, period="week").frame)  # one row per cell of the grid
        monkeypatch.setattr(runner, "MAX_CELLS", cells)
        assert len(cohorts.cohort_table(con, period="week").frame) == cells
        monkeypatch.setattr(runner, "MAX_CELLS", cells - 1)
        message = _refused(cohorts.cohort_table, con, period="week")
    finally:
        con.close()
    assert f"would hold {cells:,} cells" in message and f"more than the limit of {cells - 1:,}" in message


def test_span_counts_both_ends_at_the_limit():
    start = dt.date(2001, 1, 1)
    last_day = start + dt.timedelta(days=periods.MAX_PERIODS - 1)
    assert periods.span(start, last_day, "day", what="x", advice="y") == periods.MAX_PERIODS
    message = _refused(periods.span, start, last_day + dt.timedelta(days=1), "day", what="the thing", advice="do z")
    assert message == (
        f"the thing would span {periods.MAX_PERIODS + 1:,} days, from 2001-01-01 to "
        f"{(last_day + dt.timedelta(days=1)).isoformat()}, more than the limit of {periods.MAX_PERIODS:,}; do z"
    )
    # years 1 and 9999 are written in full, and do not overflow pandas' nanoseconds
    assert "from 0001-01-01 to 9999-12-31" in _refused(
        periods.span, dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), "week", what="x", advice="y"
    )


@pytest.mark.parametrize(
    "brackets",
    ["1-3000000000", "1-7, 8-99999999999", "1-" + "9" * 5000, "1-36501"],
)
def test_brackets_past_the_limit_in_a_shared_link_are_a_sentence(brackets):
    message = _refused(cohorts.CohortQuery.from_query_params, {"mode": "Day brackets", "brackets": brackets})
    assert f"ends after day {cohorts.query.MAX_BRACKET_DAY:,}" in message


@pytest.mark.parametrize(
    "pairs, expected",
    [
        ([(1, 2**31)], "ends after day"),
        ([(1, float("inf"))], "is not a pair of whole days"),
        ([(day, day) for day in range(1, cohorts.query.MAX_BRACKETS + 2)], "give at most"),
    ],
)
def test_bracket_pairs_past_the_limits_are_refused(pairs, expected):
    assert expected in _refused(cohorts.validate_brackets, pairs)


def test_brackets_up_to_the_limit_run(sample_db):
    con = warehouse.connect(sample_db, read_only=True)
    try:
        table = cohorts.cohort_table(con, period="month", mode="brackets", brackets="1-30, 31-36500").frame
        message = _refused(cohorts.cell_users, con, cohort="2024-01-01", period_index=2**40)
    finally:
        con.close()
    assert set(table["bracket"]) <= {"day 0", "days 1-30", "days 31-36500"}
    assert (table["active_users"] <= table["cohort_users"]).all()
    assert message == f"there is no period {2**40} in this cohort table"


def test_leading_zeros_are_not_digits_past_the_limit():
    assert cohorts.parse_brackets("0000001-0000007") == [(1, 7)]


@pytest.mark.parametrize("page", sorted(path.name for path in (ROOT / "pages").glob("*.py")))
def test_every_page_shows_the_refusal_as_a_sentence(far_db, page, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", far_db[0])
    at = app_page(page).run()
    assert not at.exception, [element.value for element in at.exception]
    errors = [element.value for element in at.error]
    assert all("Traceback" not in text and text.endswith(".") for text in errors), errors


def test_a_cohort_range_ending_in_the_last_month_of_year_9999_is_a_sentence():
    message = _refused(cohorts.CohortQuery.from_query_params, {"to": "9999-12-31"})
    assert message.startswith("the cohort range ends on 9999-12-31, too late to count; end it before 9999-12-01")
    assert cohorts.CohortQuery.from_query_params({"from": "0001-01-01", "to": "9999-11-30"}).cohort_end == dt.date(
        9999, 11, 30
    )
