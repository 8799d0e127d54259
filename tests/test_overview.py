"""Headline numbers and weekly activity, against hand-computed and pandas answers."""

import datetime as dt

import pandas as pd
import pytest

from retention import ingest, non_products, overview, rollups, warehouse
from retention.errors import DataError
from retention.forecast import activity


@pytest.fixture
def shop(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    con.execute(
        """
        INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price) VALUES
            ('o1', 'a', 'i1', TIMESTAMP '2024-01-01 10:00', 2, 5.0),   -- Monday of week 1
            ('o1', 'a', 'i2', TIMESTAMP '2024-01-01 10:00', 1, 3.0),
            ('o2', 'b', 'i1', TIMESTAMP '2024-01-03 09:00', 1, 5.0),
            ('o3', 'a', 'i1', TIMESTAMP '2024-01-09 12:00', 1, 5.0),   -- week 2
            ('C3', 'a', 'i1', TIMESTAMP '2024-01-10 12:00', -1, 5.0),  -- a return
            ('o4', 'c', 'i2', TIMESTAMP '2024-02-05 08:00', 3, 2.0)    -- week of 5 February, the last order
        """
    )
    with warehouse.transaction(con):
        rollups.refresh(con)  # as every import does: the page reads the rollup
    yield con
    con.close()


def test_kpis_by_hand(shop):
    numbers = overview.kpis(shop)
    assert numbers.customers == 3
    assert numbers.orders == 4  # o1..o4; the return is not an order
    assert numbers.products == 2  # i1 and i2
    assert numbers.revenue == pytest.approx(2 * 5 + 3 + 5 + 5 - 5 + 3 * 2)
    assert numbers.repeat_rate == pytest.approx(1 / 3)  # only a has two orders
    assert numbers.active_30d == 2  # c on 5 February and a on 9 January, within 30 days; b is older
    assert numbers.as_of == pd.Timestamp("2024-02-05 08:00")


def test_weekly_activity_matches_pandas(shop):
    weekly = overview.weekly_activity(shop).set_index("week")
    orders = shop.execute("SELECT user_id, ts FROM orders WHERE quantity > 0").df()
    orders["week"] = orders["ts"].dt.to_period("W-SUN").dt.start_time
    first_week = orders.groupby("user_id")["week"].transform("min")
    weeks = pd.date_range("2024-01-01", "2024-02-05", freq="7D")  # every week, those without purchases too
    expected_active = orders.groupby("week")["user_id"].nunique().reindex(weeks, fill_value=0)
    expected_new = orders[orders["week"] == first_week].groupby("week")["user_id"].nunique()
    assert weekly["active_customers"].to_dict() == expected_active.to_dict()
    assert weekly["new_customers"].to_dict() == expected_new.reindex(weeks, fill_value=0).to_dict()
    assert weekly.loc["2024-01-15":"2024-01-29", "active_customers"].tolist() == [0, 0, 0]  # zeros, not a gap
    # The data starts on a Monday and ends on the Monday of its last week: only that last week is partial.
    assert weekly["complete"].tolist() == [True, True, True, True, True, False]


def test_empty_warehouse_has_zero_kpis(tmp_path):
    con = warehouse.connect(tmp_path / "empty.duckdb")
    try:
        numbers = overview.kpis(con)
        assert (numbers.customers, numbers.orders, numbers.products, numbers.revenue) == (0, 0, 0, 0.0)
        assert numbers.as_of is None
        assert overview.weekly_activity(con).empty
    finally:
        con.close()


COLUMNS = ["order_id", "user_id", "item_id", "ts", "quantity", "unit_price"]


def _direct(con) -> tuple[overview.Kpis, pd.DataFrame]:
    """The headline numbers and weekly customers counted by pandas from the order lines."""
    lines = con.execute("SELECT * FROM orders").df()
    bought = lines[lines["quantity"] > 0].assign(week=lambda d: d["ts"].dt.to_period("W-SUN").dt.start_time)
    as_of = lines["ts"].max()
    per_customer = bought.groupby("user_id").agg(orders=("order_id", "nunique"), last=("ts", "max"))
    kpis = overview.Kpis(
        customers=len(per_customer),
        active_30d=int((per_customer["last"] > as_of - pd.Timedelta(days=30)).sum()),
        orders=bought["order_id"].nunique(),
        products=bought["item_id"].nunique(),
        revenue=float((lines["quantity"] * lines["unit_price"]).sum()),
        repeat_rate=float((per_customer["orders"] >= 2).mean()),
        as_of=as_of,
    )
    first_week = bought.groupby("user_id")["week"].transform("min")
    weeks = pd.date_range(bought["week"].min(), bought["week"].max(), freq="7D")
    weekly = (
        pd.DataFrame(
            {
                "active_customers": bought.groupby("week")["user_id"].nunique(),
                "new_customers": bought[bought["week"] == first_week].groupby("week")["user_id"].nunique(),
            }
        )
        .reindex(weeks)
        .fillna(0)
    )
    return kpis, weekly.astype("int64")


def _assert_read_from_rollup_is_direct(con) -> None:
    ours, expected = overview.kpis(con), _direct(con)[0]
    assert ours.revenue == pytest.approx(expected.revenue)
    assert ours == overview.Kpis(**{**expected.__dict__, "revenue": ours.revenue})
    weekly = overview.weekly_activity(con).set_index("week")[["active_customers", "new_customers"]]
    direct = _direct(con)[1]
    same = {"check_names": False, "check_index_type": False, "check_freq": False}
    pd.testing.assert_frame_equal(weekly, direct, **same)
    table = activity.activity_table(con, period="week").set_index("ds")
    pd.testing.assert_frame_equal(table.loc[direct.index, ["active_customers", "new_customers"]], direct, **same)


def test_numbers_read_from_the_rollup_equal_the_order_lines_after_incremental_imports(tmp_path, monkeypatch):
    files = {
        "first.csv": [
            ("o1", "a", "i1", "2024-01-01 10:00", 2, 5.0),
            ("o1", "a", "i2", "2024-01-01 10:00", 1, 3.0),
            ("o2", "b", "i1", "2024-01-03 09:00", 1, 5.0),
            ("o3", "a", "i1", "2024-01-09 12:00", 1, 5.0),
            ("C3", "a", "i1", "2024-01-10 12:00", -1, 5.0),
            ("o4", "c", "i2", "2024-02-05 08:00", 3, 2.0),
        ],
        # Order o2 bought by a second user too (counted once), a back-dated first purchase, a new item and user.
        "second.csv": [
            ("o2", "d", "i3", "2024-01-03 09:00", 1, 7.0),
            ("o5", "c", "i1", "2023-12-20 11:00", 1, 5.0),
            ("o6", "e", "i2", "2024-02-20 11:00", 2, 3.0),
        ],
        "third.csv": [("o7", "b", "i2", "2024-02-21 08:00", 1, 3.0)],
    }
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        for name, rows in files.items():
            pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp_path / name, index=False)
            ingest.import_file(con, "orders", tmp_path / name)  # the first builds the rollup whole
            _assert_read_from_rollup_is_direct(con)
            monkeypatch.setattr(rollups, "REBUILD_SHARE", 2.0)  # the next ones refresh the users they change
        assert overview.kpis(con).orders == 7  # o1..o7, the shared o2 once
        ingest.import_file(con, "orders", tmp_path / "second.csv", replace=True)  # deletes its rows, loads them
        _assert_read_from_rollup_is_direct(con)
    finally:
        con.close()


# ---------------------------------------------------------------- date ranges and deltas

RANGED_LINES = [
    # A mid-week start (Wednesday 3 January), repeat buyers, a return, a postage code, a week without purchases.
    ("o1", "a", "i1", "2024-01-03 10:00", 2, 5.0),
    ("o1", "a", "POST", "2024-01-03 10:00", 1, 4.0),
    ("o2", "b", "i2", "2024-01-04 09:00", 1, 3.0),
    ("o3", "a", "i2", "2024-01-12 12:00", 1, 3.0),
    ("C3", "a", "i2", "2024-01-13 12:00", -1, 3.0),
    ("o4", "c", "i3", "2024-01-30 08:00", 3, 2.0),
    ("o5", "c", "i1", "2024-02-01 18:00", 1, 5.0),
    ("o6", "b", "i1", "2024-02-06 11:00", 2, 5.0),
    ("o7", "d", "POST", "2024-02-07 11:00", 1, 4.0),
    ("o7", "d", "i3", "2024-02-07 11:00", 4, 2.0),
    ("o8", "a", "i3", "2024-02-09 16:00", 1, 2.0),  # Friday: the newest order
]


@pytest.fixture
def ranged(tmp_path):
    pd.DataFrame(RANGED_LINES, columns=COLUMNS).to_csv(tmp_path / "orders.csv", index=False)
    con = warehouse.connect(tmp_path / "ranged.duckdb")
    ingest.import_file(con, "orders", tmp_path / "orders.csv")
    assert non_products.kept_out(con) == {"POST"}  # suggested at the import: kept out of the products
    yield con
    con.close()


def _pandas_kpis(lines: pd.DataFrame, start: str, end: str) -> overview.RangeKpis:
    """The headline numbers of the days from ``start`` to ``end`` (both included), counted by pandas."""
    inside = lines[(lines["ts"] >= pd.Timestamp(start)) & (lines["ts"] < pd.Timestamp(end) + pd.Timedelta(days=1))]
    bought = inside[inside["quantity"] > 0]
    first_purchase = lines[lines["quantity"] > 0].groupby("user_id")["ts"].min()
    per_customer = bought.groupby("user_id")["order_id"].nunique()
    return overview.RangeKpis(
        customers=per_customer.size,
        new_customers=int(
            first_purchase.between(
                pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1), inclusive="left"
            ).sum()
        ),
        orders=bought["order_id"].nunique(),
        products=bought.loc[bought["item_id"] != "POST", "item_id"].nunique(),
        revenue=float((inside["quantity"] * inside["unit_price"]).sum()),
        repeat_rate=float((per_customer >= 2).mean()) if per_customer.size else 0.0,
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-13", "2024-02-09"),  # last 4 weeks
        ("2023-12-16", "2024-01-12"),  # the 4 weeks before, which the data covers only from 3 January
        ("2024-01-03", "2024-02-09"),  # all
        ("2024-01-14", "2024-01-29"),  # no purchase at all
        ("2024-02-07", "2024-02-07"),  # one day
    ],
)
def test_range_kpis_match_pandas(ranged, start, end):
    lines = ranged.execute("SELECT * FROM orders").df()
    chosen = overview.DateRange(pd.Timestamp(start), pd.Timestamp(end))
    ours = overview.range_kpis(ranged, chosen)
    lined = overview.range_kpis(ranged, chosen, counted=False)  # read from the lines even for all days
    assert lined.revenue == pytest.approx(ours.revenue)
    assert lined == overview.RangeKpis(**{**ours.__dict__, "revenue": lined.revenue})
    expected = _pandas_kpis(lines, start, end)
    assert ours.revenue == pytest.approx(expected.revenue)
    assert ours.repeat_rate == pytest.approx(expected.repeat_rate)
    assert ours == overview.RangeKpis(**{**expected.__dict__, "revenue": ours.revenue, "repeat_rate": ours.repeat_rate})


def test_range_over_all_days_equals_the_warehouse_kpis(ranged):
    first, last = warehouse.data_range(ranged)
    whole = overview.range_kpis(ranged, overview.preset_range("all", first, last), counted=False)  # the lines
    numbers = overview.kpis(ranged)  # the pre-counted rollup
    assert (whole.customers, whole.new_customers, whole.orders, whole.products) == (numbers.customers,) * 2 + (
        numbers.orders,
        numbers.products,
    )
    assert (whole.revenue, whole.repeat_rate) == pytest.approx((numbers.revenue, numbers.repeat_rate))


def test_presets_count_back_from_the_newest_order_and_stop_at_the_oldest():
    first, last = pd.Timestamp("2023-06-20 08:00"), pd.Timestamp("2024-02-09 16:00")
    four = overview.preset_range("4w", first, last)
    assert (four.start, four.end, four.days) == (pd.Timestamp("2024-01-13"), pd.Timestamp("2024-02-09"), 4 * 7)
    assert four.previous() == overview.DateRange(pd.Timestamp("2023-12-16"), pd.Timestamp("2024-01-12"))
    three = overview.preset_range("3m", first, last)
    assert (three.start, three.days) == (
        pd.Timestamp("2023-11-10"),
        (30 - 9) + 31 + 31 + 9,
    )  # 10-30 Nov, Dec, Jan, 1-9 Feb
    assert three.previous().days == three.days and three.previous().end == pd.Timestamp("2023-11-09")
    assert overview.preset_range("12m", first, last).start == pd.Timestamp("2023-06-20")  # cut at the oldest order
    assert overview.preset_range("all", first, last) == overview.DateRange(pd.Timestamp("2023-06-20"), last.normalize())
    assert overview.covers(first, three.previous()) and not overview.covers(
        first, overview.preset_range("12m", first, last).previous()
    )
    with pytest.raises(DataError, match="range must be one of 4w, 3m, 12m, all, not 'week'"):
        overview.preset_range("week", first, last)


def test_custom_range_is_cut_to_the_data_and_refuses_a_reversed_or_empty_one():
    first, last = pd.Timestamp("2024-01-03 10:00"), pd.Timestamp("2024-02-09 16:00")
    chosen = overview.custom_range(dt.date(2023, 12, 1), dt.date(2024, 1, 31), first, last)
    assert chosen == overview.DateRange(pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-31"))
    assert overview.custom_range(None, None, first, last) == overview.preset_range("all", first, last)
    with pytest.raises(DataError, match=r"starts \(2024-02-01\) after it ends \(2024-01-01\)"):
        overview.custom_range(dt.date(2024, 2, 1), dt.date(2024, 1, 1), first, last)
    with pytest.raises(DataError, match="no orders from 2025-01-01 to 2025-02-01"):
        overview.custom_range(dt.date(2025, 1, 1), dt.date(2025, 2, 1), first, last)


def test_changes_in_counts_amounts_and_points():
    before = overview.RangeKpis(customers=40, new_customers=0, orders=50, products=10, revenue=1000.0, repeat_rate=0.25)
    now = overview.RangeKpis(customers=50, new_customers=5, orders=45, products=10, revenue=1250.5, repeat_rate=0.2)
    delta = overview.changes(now, before)
    assert delta["customers"] == f"+10 ({10 / 40:+.1%})"
    assert delta["new_customers"] == "+5"  # nothing to take a percentage of
    assert delta["orders"] == f"-5 ({-5 / 50:+.1%})"
    assert delta["products"] == "+0 (+0.0%)"
    assert delta["revenue"] == f"+250 ({250.5 / 1000:+.1%})"
    assert delta["repeat_rate"] == f"{(0.2 - 0.25) * 100:+.1f} pp"
    assert set(overview.changes(now, None).values()) == {None}


def test_weekly_activity_of_a_range_counts_its_days_and_marks_cut_weeks_partial(ranged):
    chosen = overview.DateRange(pd.Timestamp("2024-01-13"), pd.Timestamp("2024-02-09"))  # Saturday .. Friday
    weekly = overview.weekly_activity(ranged, chosen).set_index("week")
    lines = ranged.execute("SELECT user_id, ts, quantity FROM orders WHERE quantity > 0").df()
    inside = lines[lines["ts"].between(chosen.start, chosen.stop, inclusive="left")]
    inside = inside.assign(week=inside["ts"].dt.to_period("W-SUN").dt.start_time)
    first_day = lines.groupby("user_id")["ts"].min().dt.normalize()
    weeks = pd.date_range("2024-01-08", "2024-02-05", freq="7D")
    expected_active = inside.groupby("week")["user_id"].nunique().reindex(weeks, fill_value=0)
    is_new = inside["ts"].dt.normalize() == inside["user_id"].map(first_day)
    expected_new = inside[is_new].groupby("week")["user_id"].nunique().reindex(weeks, fill_value=0)
    assert weekly["active_customers"].to_dict() == expected_active.to_dict()
    assert weekly["new_customers"].to_dict() == expected_new.to_dict()
    assert weekly.loc["2024-01-15", "active_customers"] == 0  # a week without purchases is a zero, not a gap
    # The range starts on a Saturday and ends on a Friday: its first and last weeks are partial.
    assert weekly["complete"].tolist() == [False, True, True, True, False]
    whole = overview.weekly_activity(ranged)  # data from Wednesday 3 January: the first week is partial too
    assert whole["complete"].tolist()[0] is False and whole["week"].iloc[0] == pd.Timestamp("2024-01-01")
