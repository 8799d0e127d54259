"""Headline numbers and weekly activity, against hand-computed and pandas answers."""

import pandas as pd
import pytest

from retention import overview, warehouse


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
