"""Hand-made shops for the churn and campaign tests (no tests here): each one built so that the answer is known.

Every shop spans days 0..419 from 2024-01-01 (the as-of date is day 419, the held-out snapshot of a 90-day
horizon day 329); every line costs 10 per unit unless said otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention import sample, schema, warehouse

START = pd.Timestamp("2024-01-01 10:00")
LAST_DAY = 419
HOLDOUT_DAY = LAST_DAY - 90
BULK_UNITS = 80_000


def day(n: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=int(n))


def orders_frame(rows: list[tuple]) -> pd.DataFrame:
    """Canonical orders from ``(order_id, user_id, item_id, day, quantity, unit_price)`` tuples."""
    frame = pd.DataFrame(rows, columns=["order_id", "user_id", "item_id", "day", "quantity", "unit_price"])
    frame["ts"] = frame.pop("day").map(day)
    frame["discount"] = 0.0
    return frame[list(schema.CANONICAL_COLUMNS["orders"])]


def _every(user: str, first: int, step: int, last: int = LAST_DAY) -> list[tuple]:
    return [(f"{user}-{d}", user, "mug", d, 1.0, 10.0) for d in range(first, last + 1, step)]


def weekly_regulars(count: int, prefix: str = "w") -> list[tuple]:
    """``count`` customers buying one mug every 7 days from day 0 to the end: they never churn."""
    rows = []
    for i in range(count):
        rows += _every(f"{prefix}{i:03d}", 0, 7)
    rows.append((f"{prefix}000-end", f"{prefix}000", "mug", LAST_DAY, 1.0, 10.0))  # the data ends on day 419
    return rows


def recency_only_rows(regulars: int = 120, lapsers: int = 120) -> list[tuple]:
    """A shop where only recency matters: everyone buys on the same weekly days; lapsers stop for good on a
    day spread over the history. Churned at a snapshot <=> stopped by then <=> days since the last purchase
    above the weekly gap: sorting by recency is already perfect and no feature can do better."""
    rows = weekly_regulars(regulars)
    stops = np.linspace(14, LAST_DAY - 7, lapsers).astype(int) // 7 * 7
    for i, stop in enumerate(stops):
        rows += _every(f"l{i:03d}", 0, 7, last=int(stop))
    return rows


def frequency_rows(seed: int = 3) -> list[tuple]:
    """A shop where the number of orders matters more than recency: weekly regulars and customers buying every
    80 days (both return within 90 days, so never churn), and one-off buyers who never come back, most of them
    recent at the held-out snapshot. By recency alone the slow buyers crowd the top of the list; one order in
    total picks the churners out."""
    rng = np.random.default_rng(seed)
    rows = weekly_regulars(100)
    for i in range(200):
        rows += _every(f"s{i:03d}", int(rng.integers(0, 80)), 80)
    one_off_days = [*np.linspace(0, HOLDOUT_DAY - 90, 15).astype(int), *rng.integers(HOLDOUT_DAY - 70, HOLDOUT_DAY, 60)]
    rows += [(f"o{i:03d}-1", f"o{i:03d}", "mug", int(d), 1.0, 10.0) for i, d in enumerate(one_off_days)]
    return rows


def bulk_cancel_rows() -> list[tuple]:
    """Regular and lapsing customers, plus three made by hand:

    - ``bulk``: one order of 80,000 mugs at 1.0 on day 100, cancelled the same day (order 'C-bulk', -80,000):
      net revenue 0;
    - ``returner``: 10 mugs on day 300 (one line), then two return lines of 1 mug each (days 305 and 310), and
      one postage line (item 'POST', 5.0) with the order: units returned 2 of 10;
    - ``big``: a real big spender, 30 mugs every 30 days from day 200, never returned.
    """
    rows = recency_only_rows(regulars=60, lapsers=60)
    rows += [
        ("bulk-1", "bulk", "mug", 100, float(BULK_UNITS), 1.0),
        ("C-bulk-1", "bulk", "mug", 100, -float(BULK_UNITS), 1.0),
        ("ret-1", "returner", "mug", 300, 10.0, 10.0),
        ("ret-1", "returner", "POST", 300, 1.0, 5.0),
        ("C-ret-1", "returner", "mug", 305, -1.0, 10.0),
        ("C-ret-2", "returner", "mug", 310, -1.0, 10.0),
    ]
    rows += [(f"big-{d}", "big", "mug", d, 30.0, 10.0) for d in range(200, LAST_DAY + 1, 30)]
    return rows


def build(path, rows: list[tuple]) -> str:
    """A warehouse at ``path`` holding just these orders (no users, products or events); returns the path."""
    with warehouse.connect(path) as con:
        sample.load_frames(con, {"orders": orders_frame(rows)}, source="test")
    return str(path)


def net_revenue(rows: list[tuple], *, through_day: int = LAST_DAY, days: int = 365) -> pd.Series:
    """Per customer, revenue of every line in the ``days`` days up to the end of ``through_day`` (pandas)."""
    frame = orders_frame(rows)
    end = day(through_day).normalize() + pd.Timedelta(days=1)
    window = frame[(frame["ts"] < end) & (frame["ts"] >= end - pd.Timedelta(days=days))]
    return (window["quantity"] * window["unit_price"]).groupby(window["user_id"]).sum()
