"""The activity rollup: its rows against pandas, and kept current by imports."""

from __future__ import annotations

import pandas as pd
import pytest

from retention import cohorts, ingest, rollups, sample, warehouse
from retention.errors import DataError


def _month(ts: pd.Series) -> pd.Series:
    days = pd.to_datetime(ts).dt.floor("D")
    return days - pd.to_timedelta(days.dt.day - 1, unit="D")


@pytest.fixture(scope="module")
def con(sample_db):
    connection = warehouse.connect(sample_db)
    yield connection
    connection.close()


def test_monthly_order_rows_match_pandas(con, sample_frames):
    orders = sample_frames["orders"].assign(month=lambda d: _month(d["ts"]))
    orders = orders.assign(revenue=orders["quantity"] * orders["unit_price"], bought=orders["quantity"] > 0)
    expected = orders.groupby(["user_id", "month"]).agg(lines=("bought", "sum"), revenue=("revenue", "sum"))
    ours = con.execute(
        "SELECT user_id, period_start, purchase_lines, revenue, first_purchase FROM rollup_order_periods "
        "WHERE grain = 'month' ORDER BY user_id, period_start"
    ).df()
    assert len(ours) == len(expected)
    assert ours["purchase_lines"].tolist() == expected["lines"].astype(int).tolist()
    assert ours["revenue"].to_numpy() == pytest.approx(expected["revenue"].to_numpy())
    first = _month(orders[orders["bought"]].groupby("user_id")["ts"].min())
    assert pd.to_datetime(ours["first_purchase"]).tolist() == first.reindex(ours["user_id"]).tolist()


def test_week_and_day_rows_match_pandas(con, sample_frames):
    events = sample_frames["events"]
    days = events["ts"].dt.floor("D")
    weeks = days - pd.to_timedelta(days.dt.dayofweek, unit="D")
    expected = events.groupby(["user_id", weeks, "event_type"]).size()
    ours = con.execute(
        "SELECT sum(events) AS events, count(*) AS rows FROM rollup_event_periods WHERE grain = 'week'"
    ).fetchone()
    assert ours == (len(events), len(expected))
    orders = sample_frames["orders"]
    assert con.execute("SELECT count(*) FROM rollup_order_periods WHERE grain = 'day'").fetchone()[0] == len(
        orders.groupby(["user_id", orders["ts"].dt.floor("D")])
    )


def test_as_of_is_the_latest_order_or_event(con, sample_frames):
    latest = max(sample_frames["orders"]["ts"].max(), sample_frames["events"]["ts"].max())
    assert rollups.as_of(con) == latest


def _write_orders(path, rows: list[tuple]) -> str:
    frame = pd.DataFrame(rows, columns=["order_id", "user_id", "item_id", "ts", "quantity", "unit_price"])
    frame.to_csv(path, index=False)
    return str(path)


def test_second_import_updates_the_rollup(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        first = _write_orders(
            tmp_path / "first.csv",
            [
                ("o1", "a", "x", "2024-02-03 10:00:00", 1, 10.0),
                ("o2", "b", "x", "2024-02-10 10:00:00", 1, 5.0),
                ("o3", "a", "x", "2024-03-05 10:00:00", 2, 10.0),
            ],
        )
        ingest.import_file(con, "orders", first)
        table = cohorts.cohort_table(con)
        assert table[["period", "cohort_users", "active_users"]].values.tolist() == [[0, 2, 2], [1, 2, 1]]
        # The second file back-dates b's first purchase to January and adds c in March.
        second = _write_orders(
            tmp_path / "second.csv",
            [("o4", "b", "x", "2024-01-20 10:00:00", 1, 5.0), ("o5", "c", "x", "2024-03-30 10:00:00", 1, 4.0)],
        )
        ingest.import_file(con, "orders", second)
        table = cohorts.cohort_table(con).set_index(["cohort", "period"])
        jan, feb, mar = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3))
        assert table.loc[(jan, 0), "cohort_users"] == 1  # b
        assert table.loc[(jan, 1), "active_users"] == 1  # b again in February
        assert table.loc[(feb, 0), "cohort_users"] == 1  # a only now
        assert table.loc[(mar, 0), "cohort_users"] == 1  # c
        assert rollups.as_of(con) == pd.Timestamp("2024-03-30 10:00:00")
        revenue = con.execute("SELECT sum(revenue) FROM rollup_order_periods WHERE grain = 'month'").fetchone()[0]
        assert revenue == pytest.approx(10 + 5 + 2 * 10 + 5 + 4)
    finally:
        con.close()


def test_a_failed_import_leaves_the_rollup_as_it_was(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        ingest.import_file(con, "orders", _write_orders(tmp_path / "a.csv", [("o1", "a", "x", "2024-02-03", 1, 1.0)]))
        before = con.execute("SELECT * FROM rollup_order_periods ORDER BY ALL").fetchall()
        (tmp_path / "empty.csv").write_text("order_id,user_id,ts\n")
        with pytest.raises(DataError, match="no data rows"):
            ingest.import_file(con, "orders", tmp_path / "empty.csv")
        assert con.execute("SELECT * FROM rollup_order_periods ORDER BY ALL").fetchall() == before
    finally:
        con.close()


def test_ensure_built_fills_a_rollup_missing_from_an_older_warehouse(tmp_path, sample_frames):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        sample.load_frames(con, {"orders": sample_frames["orders"]}, source="orders only")
        expected = cohorts.cohort_table(con)
        for table in ("rollup_users", "rollup_order_periods", "rollup_event_periods", "rollup_state"):
            con.execute(f"DELETE FROM {table}")
        pd.testing.assert_frame_equal(cohorts.cohort_table(con), expected)
    finally:
        con.close()


def test_pre_counted_cohorts_equal_counting_the_user_periods(tmp_path, sample_frames):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        sample.load_frames(con, {name: frame.copy() for name, frame in sample_frames.items()}, source="sample")
        settings = [
            {},
            {"period": "week", "measure": "revenue"},
            {"period": "day", "cohort_by": "signup", "cohort_start": "2025-06-03", "cohort_end": "2025-09-30"},
            {"cohort_by": "first_event", "measure": "revenue"},
        ]
        counted = [cohorts.cohort_table(con, **one) for one in settings]
        # A file migrated before the pre-counted tables existed: imports still work, queries count user-periods.
        con.execute("DROP TABLE rollup_cohort_cells")
        con.execute("DROP TABLE rollup_cohort_sizes")
        assert not rollups.has_counted_cohorts(con)
        with warehouse.transaction(con):
            rollups.refresh(con)
        for one, expected in zip(settings, counted, strict=True):
            pd.testing.assert_frame_equal(cohorts.cohort_table(con, **one), expected)
    finally:
        con.close()
