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
        table = cohorts.cohort_table(con, cohorts.CohortQuery()).frame
        assert table[["period", "cohort_users", "active_users"]].values.tolist() == [[0, 2, 2], [1, 2, 1]]
        # The second file back-dates b's first purchase to January and adds c in March.
        second = _write_orders(
            tmp_path / "second.csv",
            [("o4", "b", "x", "2024-01-20 10:00:00", 1, 5.0), ("o5", "c", "x", "2024-03-30 10:00:00", 1, 4.0)],
        )
        ingest.import_file(con, "orders", second)
        table = cohorts.cohort_table(con, cohorts.CohortQuery()).frame.set_index(["cohort", "period"])
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


def test_pre_counted_cohorts_equal_counting_the_user_periods(sample_db, monkeypatch):
    con = warehouse.connect(sample_db)
    try:
        settings = [
            {},
            {"period": "week", "measure": "revenue"},
            {"period": "day", "cohort_by": "signup", "cohort_start": "2025-06-03", "cohort_end": "2025-09-30"},
            {"cohort_by": "first_event", "measure": "revenue"},
        ]
        queries = [cohorts.CohortQuery(**one) for one in settings]
        assert all(query.reads_counted for query in queries)
        counted = [cohorts.cohort_table(con, query).frame for query in queries]
        # The same queries counted from the user-period rows, as every other view is.
        monkeypatch.setattr(cohorts.CohortQuery, "reads_counted", property(lambda query: False))
        for query, expected in zip(queries, counted, strict=True):
            pd.testing.assert_frame_equal(cohorts.cohort_table(con, query).frame, expected)
    finally:
        con.close()


def _reopened_at_version_5(path, *, counted_tables: bool, rollup_built: bool) -> dict[str, pd.DataFrame]:
    """Turn a warehouse back into one at schema version 5, open it (migrating it to 6) and return its rollup.

    ``counted_tables``: the file got the early copy of migration 002 with the pre-counted tables (left
    as they were), or the released 002 without them. ``rollup_built``: False for a file whose data came
    in before the rollup existed and that was never imported into since (empty rollup tables).
    """
    con = warehouse.connect(path)
    try:
        if not counted_tables:
            con.execute("DROP TABLE rollup_cohort_cells")
            con.execute("DROP TABLE rollup_cohort_sizes")
        if not rollup_built:
            for table in ("rollup_users", "rollup_order_periods", "rollup_event_periods", "rollup_state"):
                con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM schema_version WHERE version = 6")
        # Migration 013 came later: a file at version 5 has neither its columns nor its tables.
        con.execute("ALTER TABLE rollup_users DROP COLUMN purchase_orders")
        con.execute("ALTER TABLE rollup_users DROP COLUMN last_purchase_ts")
        for table in PAGE_ROLLUP_TABLES:
            con.execute(f"DROP TABLE {table}")
        con.execute("DELETE FROM schema_version WHERE version = 13")
    finally:
        con.close()
    con = warehouse.connect(path)
    try:
        assert 6 in warehouse.applied_versions(con)
        return _rollup(con)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("counted_tables", "rollup_built"), [(True, True), (False, True), (False, False), (True, False)]
)
def test_migration_6_leaves_every_warehouse_with_its_rollup_counted(
    tmp_path, sample_frames, sample_db, counted_tables, rollup_built
):
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, {name: frame.copy() for name, frame in sample_frames.items()}, source="sample")
        expected = _rollup(con)
    finally:
        con.close()
    _assert_same_rollup(
        _reopened_at_version_5(path, counted_tables=counted_tables, rollup_built=rollup_built), expected
    )
    con = warehouse.connect(path)
    reference = warehouse.connect(sample_db)
    try:
        for query in (cohorts.CohortQuery(), cohorts.CohortQuery(mode="unbounded", activity="any")):
            pd.testing.assert_frame_equal(
                cohorts.cohort_table(con, query).frame, cohorts.cohort_table(reference, query).frame
            )
        pd.testing.assert_frame_equal(cohorts.lifecycle(con), cohorts.lifecycle(reference))
    finally:
        con.close()
        reference.close()


def test_migration_6_leaves_a_warehouse_without_activity_unbuilt(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    for rollup_built in (False, True):
        rows = _reopened_at_version_5(path, counted_tables=False, rollup_built=rollup_built)
        assert all(frame.empty for frame in rows.values())
    con = warehouse.connect(path)
    try:
        assert not rollups.is_built(con)  # the first import builds it whole
        assert cohorts.cohort_table(con).empty
    finally:
        con.close()


# --- incremental refresh -------------------------------------------------------------------

PAGE_ROLLUP_TABLES = ("rollup_shared_orders", "rollup_items", "rollup_event_types", "rollup_lifecycle")  # 013
ROLLUP_TABLES = rollups.TABLES


def _rollup(con) -> dict[str, pd.DataFrame]:
    """Every rollup table, its rows sorted by all columns (the keys come first, so floats never decide)."""
    frames = {}
    for table in ROLLUP_TABLES:
        frame = con.execute(f"SELECT * FROM {table}").df()
        frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    frames["rollup_state"] = con.execute("SELECT as_of FROM rollup_state").df()
    return frames


def _assert_same_rollup(ours: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for table, frame in expected.items():
        # Sums of revenue may differ in the last bits with the order of addition.
        pd.testing.assert_frame_equal(ours[table], frame, check_exact=False, rtol=1e-9, obj=table)


FULL_REFRESH = rollups.refresh


def _assert_rollup_is_a_full_rebuild(con) -> None:
    ours = _rollup(con)
    con.execute("BEGIN TRANSACTION")
    try:
        FULL_REFRESH(con)
        rebuilt = _rollup(con)
    finally:
        con.execute("ROLLBACK")
    assert len(rebuilt["rollup_order_periods"]) > 0
    _assert_same_rollup(ours, rebuilt)


def test_incremental_refresh_after_imports_equals_a_full_rebuild(tmp_path, sample_frames, monkeypatch):
    orders, events, users = (sample_frames[name].copy() for name in ("orders", "events", "users"))
    middle = orders["ts"].sort_values().iloc[len(orders) // 2]
    half = set(orders["user_id"].drop_duplicates().sort_values().iloc[::2])
    early, in_half = orders["ts"] < middle, orders["user_id"].isin(half)
    files = {
        "late.csv": orders[~early],
        "early_half.csv": orders[early & in_half],  # back-dates the first purchase of half the users
        "early_rest.csv": orders[early & ~in_half],
    }
    for name, frame in files.items():
        frame.to_csv(tmp_path / name, index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    users.to_csv(tmp_path / "users.csv", index=False)
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        ingest.import_file(con, "orders", tmp_path / "late.csv")  # the first import builds the rollup whole
        _assert_rollup_is_a_full_rebuild(con)

        def no_full_rebuild(connection):
            raise AssertionError("an import into a built rollup refreshes only the users it changed")

        monkeypatch.setattr(rollups, "refresh", no_full_rebuild)
        monkeypatch.setattr(rollups, "REBUILD_SHARE", 2.0)  # incremental even when every user changed
        for name, table in [("early_half.csv", "orders"), ("events.csv", "events"), ("users.csv", "users")]:
            ingest.import_file(con, table, tmp_path / name)
            _assert_rollup_is_a_full_rebuild(con)
        # Replacing deletes the earlier batch's rows (their users are refreshed too) and loads them again.
        ingest.import_file(con, "orders", tmp_path / "early_half.csv", replace=True)
        _assert_rollup_is_a_full_rebuild(con)
        ingest.import_file(con, "users", tmp_path / "users.csv", replace=True)
        _assert_rollup_is_a_full_rebuild(con)

        # An import that fails after the rollup rows of its users were recomputed leaves them as they were.
        before = _rollup(con)

        def broken(connection):
            raise RuntimeError("disk full")

        with monkeypatch.context() as patch:
            patch.setattr(rollups, "_count_cohorts", broken)
            with pytest.raises(RuntimeError, match="disk full"):
                ingest.import_file(con, "orders", tmp_path / "early_rest.csv")
        _assert_same_rollup(_rollup(con), before)
        assert warehouse.row_count(con, "orders") == len(orders[~early]) + len(orders[early & in_half])

        ingest.import_file(con, "orders", tmp_path / "early_rest.csv")
        _assert_rollup_is_a_full_rebuild(con)
        # Ratings do not touch the rollup.
        before = _rollup(con)
        sample_frames["ratings"].to_csv(tmp_path / "ratings.csv", index=False)
        ingest.import_file(con, "ratings", tmp_path / "ratings.csv")
        _assert_same_rollup(_rollup(con), before)

        # All the files are in: the rollup is that of the whole shop, checked against pandas too.
        loaded = _rollup(con)
        bought = orders[orders["quantity"] > 0]
        first = bought.groupby("user_id")["ts"].min()
        ours = loaded["rollup_users"].set_index("user_id")
        assert ours["first_purchase_ts"].dropna().sort_index().tolist() == first.sort_index().tolist()
        months = _month(first).value_counts().sort_index()
        sizes = loaded["rollup_cohort_sizes"].query("grain == 'month' and cohort_by == 'first_purchase'")
        assert pd.to_datetime(sizes["cohort"]).tolist() == months.index.tolist()
        assert sizes["users"].tolist() == months.tolist()
    finally:
        con.close()


def test_an_empty_change_list_leaves_the_rollup_alone(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        ingest.import_file(con, "orders", _write_orders(tmp_path / "a.csv", [("o1", "a", "x", "2024-02-03", 1, 1.0)]))
        before = _rollup(con)
        with warehouse.transaction(con):
            assert rollups.track_changes(con)
            rollups.refresh_changed(con)
        _assert_same_rollup(_rollup(con), before)
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'rollup_touched'").fetchone()[0]
    finally:
        con.close()


def test_changes_on_a_rollup_never_built_build_it_whole(tmp_path, sample_frames):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        sample.load_frames(con, {"orders": sample_frames["orders"]}, source="orders only")
        expected = _rollup(con)
        for table in ("rollup_users", "rollup_order_periods", "rollup_event_periods", "rollup_state"):
            con.execute(f"DELETE FROM {table}")
        with warehouse.transaction(con):
            assert not rollups.track_changes(con)  # nothing to list: the next refresh builds it whole
            rollups.refresh_changed(con)
        _assert_same_rollup(_rollup(con), expected)
    finally:
        con.close()


def test_a_change_to_most_users_rebuilds_the_rollup_whole(tmp_path, monkeypatch):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        rows = [(f"o{n}", user, "x", f"2024-0{n}-03", 1, 1.0) for n, user in enumerate("abcd", start=1)]
        ingest.import_file(con, "orders", _write_orders(tmp_path / "a.csv", rows))
        whole = []
        monkeypatch.setattr(rollups, "refresh", lambda connection: whole.append(FULL_REFRESH(connection)))
        ingest.import_file(con, "orders", _write_orders(tmp_path / "b.csv", [("o5", "e", "x", "2024-01-03", 1, 2.0)]))
        ingest.import_file(con, "orders", _write_orders(tmp_path / "c.csv", [("o6", "a", "x", "2024-01-01", 1, 2.0)]))
        assert whole == []  # one user of four, then of five: incremental
        _assert_rollup_is_a_full_rebuild(con)
        ingest.import_file(con, "orders", _write_orders(tmp_path / "d.csv", [(*row[:-1], 5.0) for row in rows[:3]]))
        assert len(whole) == 1  # three users of five
        _assert_rollup_is_a_full_rebuild(con)
    finally:
        con.close()
