"""Headline numbers and weekly activity, against hand-computed and pandas answers."""

import pandas as pd
import pytest

from retention import ingest, overview, rollups, warehouse
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
    expected_active = orders.groupby("week")["user_id"].nunique()
    expected_new = orders[orders["week"] == first_week].groupby("week")["user_id"].nunique()
    assert weekly["active_customers"].to_dict() == expected_active.to_dict()
    assert weekly["new_customers"].to_dict() == expected_new.reindex(expected_active.index, fill_value=0).to_dict()
    assert weekly["complete"].tolist() == [True, True, False]


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
    weekly = pd.DataFrame(
        {
            "active_customers": bought.groupby("week")["user_id"].nunique(),
            "new_customers": bought[bought["week"] == first_week].groupby("week")["user_id"].nunique(),
        }
    ).fillna(0)
    return kpis, weekly.astype("int64")


def _assert_read_from_rollup_is_direct(con) -> None:
    ours, expected = overview.kpis(con), _direct(con)[0]
    assert ours.revenue == pytest.approx(expected.revenue)
    assert ours == overview.Kpis(**{**expected.__dict__, "revenue": ours.revenue})
    weekly = overview.weekly_activity(con).set_index("week")[["active_customers", "new_customers"]]
    pd.testing.assert_frame_equal(weekly, _direct(con)[1], check_names=False, check_index_type=False)
    table = activity.activity_table(con, period="week").set_index("ds")
    counted = table.loc[table["active_customers"] > 0, ["active_customers", "new_customers"]]
    pd.testing.assert_frame_equal(counted, _direct(con)[1], check_names=False, check_index_type=False)


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
