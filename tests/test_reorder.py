"""Time between orders (retention.reorder): the gaps and their percentiles against pandas, the suggested horizon's
rule, the At-risk page's default horizon on shops that reorder weekly, rarely and yearly, and the CLI."""

from __future__ import annotations

import churn_shops
import numpy as np
import pandas as pd
import pytest
from conftest import app_page
from test_page_at_risk import TIMEOUT, settled

from retention import churn, cli, reorder, sample, warehouse
from retention.churn import snapshots
from retention.errors import DataError


def pandas_gaps(orders: pd.DataFrame) -> pd.DataFrame:
    """Independent oracle: per customer, the days between consecutive distinct calendar days with a purchase line
    (quantity > 0); columns user_id, gap_days."""
    bought = orders[orders["quantity"] > 0].assign(day=lambda frame: frame["ts"].dt.normalize())
    days = bought[["user_id", "day"]].drop_duplicates().sort_values(["user_id", "day"])
    gaps = days.assign(gap_days=days.groupby("user_id")["day"].diff().dt.days).dropna(subset=["gap_days"])
    return gaps[["user_id", "gap_days"]].astype({"gap_days": "int64"})


def figures_of(path: str) -> reorder.Reorders:
    with warehouse.session(path) as con:
        return reorder.reorders(con)


def assert_matches_pandas(figures: reorder.Reorders, orders: pd.DataFrame) -> None:
    gaps = pandas_gaps(orders)
    expected = (
        gaps.groupby("gap_days")
        .agg(gaps=("user_id", "size"), customers=("user_id", "nunique"))
        .reset_index()
        .sort_values("gap_days")
    )
    got = figures.distribution
    assert got["gap_days"].tolist() == expected["gap_days"].tolist()
    assert got["gaps"].tolist() == expected["gaps"].tolist()
    assert got["customers"].tolist() == expected["customers"].tolist()
    assert got["share"].to_numpy() == pytest.approx(expected["gaps"].to_numpy() / len(gaps))
    assert got["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert (figures.gaps, figures.customers) == (len(gaps), gaps["user_id"].nunique())
    quantiles = gaps["gap_days"].quantile([0.5, 0.8, 0.9]).tolist()  # pandas' linear interpolation
    assert [figures.median_days, figures.p80_days, figures.p90_days] == pytest.approx(quantiles)


def hand_orders() -> pd.DataFrame:
    """Five customers whose gaps are known: a 7, 14 (two orders on day 0 count once); b 12 (a return on day 5
    is not a purchase); c none (one day); d 30, 1; e 1 (23:50 then 00:10 the next day)."""
    rows = [
        ("a1", "a", "mug", 0, 1.0, 10.0),
        ("a2", "a", "mug", 0, 2.0, 10.0),
        ("a3", "a", "mug", 7, 1.0, 10.0),
        ("a4", "a", "mug", 21, 1.0, 10.0),
        ("b1", "b", "mug", 3, 1.0, 10.0),
        ("b2", "b", "mug", 5, -1.0, 10.0),
        ("b3", "b", "mug", 15, 1.0, 10.0),
        ("c1", "c", "mug", 1, 1.0, 10.0),
        ("d1", "d", "mug", 0, 1.0, 10.0),
        ("d2", "d", "mug", 30, 1.0, 10.0),
        ("d3", "d", "mug", 31, 1.0, 10.0),
        ("e1", "e", "mug", 40, 1.0, 10.0),
        ("e2", "e", "mug", 41, 1.0, 10.0),
    ]
    frame = churn_shops.orders_frame(rows)
    frame.loc[frame["order_id"] == "e1", "ts"] = churn_shops.day(40).normalize() + pd.Timedelta(hours=23, minutes=50)
    frame.loc[frame["order_id"] == "e2", "ts"] = churn_shops.day(41).normalize() + pd.Timedelta(minutes=10)
    return frame


def test_hand_counted_gaps_and_percentiles(tmp_path):
    orders = hand_orders()
    path = tmp_path / "hand.duckdb"
    with warehouse.connect(path) as con:
        sample.load_frames(con, {"orders": orders}, source="test")
    figures = figures_of(str(path))
    gaps = sorted([7, 14, 12, 30, 1, 1])
    assert figures.distribution["gap_days"].tolist() == [1, 7, 12, 14, 30]
    assert figures.distribution["gaps"].tolist() == [2, 1, 1, 1, 1]
    assert figures.distribution["customers"].tolist() == [2, 1, 1, 1, 1]
    assert figures.distribution["cumulative_share"].tolist() == pytest.approx([2 / 6, 3 / 6, 4 / 6, 5 / 6, 1.0])
    assert (figures.gaps, figures.customers) == (6, 4)
    assert figures.median_days == pytest.approx((7 + 12) / 2)
    assert figures.p90_days == pytest.approx(float(np.quantile(gaps, 0.9)))
    assert_matches_pandas(figures, orders)
    # Four repeat customers are too few to speak for the shop: no suggestion, and the page falls back.
    assert figures.suggested_horizon_days is None and "fewer than the 10" in figures.rule
    assert reorder.default_horizon(figures, 365, 90) == (90, f"the churn model's default ({figures.rule})")


def test_sample_shop_matches_pandas(sample_db, sample_frames):
    figures = figures_of(sample_db)
    assert_matches_pandas(figures, sample_frames["orders"])
    assert figures.suggested_horizon_days == reorder.suggest_horizon(figures.p90_days)


def test_an_empty_shop_has_no_gaps(tmp_path):
    path = churn_shops.build(tmp_path / "one.duckdb", [("o1", "a", "mug", 0, 1.0, 10.0)])
    figures = figures_of(path)
    assert figures.distribution.empty and figures.gaps == 0 and figures.customers == 0
    assert figures.median_days is None and figures.p90_days is None and figures.suggested_horizon_days is None


@pytest.mark.parametrize(
    ("p90", "suggested"),
    [
        (3.0, 14),  # a week rounded up, below the floor of two weeks
        (14.0, 2 * 7),
        (15.2, 3 * 7),
        (56.0, 8 * 7),  # eight weeks: the last whole-week step
        (56.5, 2 * 30),
        (110.0, 4 * 30),
        (359.0, 12 * 30),
        (361.0, 365),  # thirteen months, above the churn model's longest horizon
    ],
)
def test_suggested_horizon_rule(p90, suggested):
    assert reorder.suggest_horizon(p90) == suggested


def test_suggested_range_is_the_models():
    assert reorder.MAX_SUGGESTED_DAYS == churn.MAX_HORIZON_DAYS
    assert reorder.MIN_SUGGESTED_DAYS >= churn.MIN_HORIZON_DAYS


@pytest.mark.parametrize("history", [44, 45, 150, 209, 210, 419, 760, 761, 2000])
def test_longest_horizon_is_the_longest_the_history_can_score(history):
    longest = churn.longest_horizon_days(history)
    first = pd.Timestamp("2024-01-01").date()
    as_of = first + pd.Timedelta(days=history)
    if churn.required_history_days(churn.MIN_HORIZON_DAYS) <= history:
        snapshots.plan_snapshots(first, as_of, longest)  # runs
    if longest < churn.MAX_HORIZON_DAYS:
        with pytest.raises(DataError, match="needs at least"):
            snapshots.plan_snapshots(first, as_of, longest + 1)


def repeat_rows(steps: dict[int, int]) -> list[tuple]:
    """``count`` customers per step (days between their orders), each from a start spread over the first step,
    to the shop's last day; one more order on the last day so that every shop spans the same 420 days."""
    rows = []
    for step, count in steps.items():
        for i in range(count):
            user = f"s{step}-{i:02d}"
            rows += [
                (f"{user}-{d}", user, "mug", d, 1.0, 10.0) for d in range(i % step, churn_shops.LAST_DAY + 1, step)
            ]
    rows.append(("end", "s-end", "mug", churn_shops.LAST_DAY, 1.0, 10.0))
    rows.append(("start", "s-end", "mug", 0, 1.0, 10.0))
    return rows


@pytest.mark.parametrize(
    ("steps", "capped"),
    [({7: 30, 14: 8, 10: 6}, False), ({100: 20, 150: 12}, False), ({300: 20, 330: 10}, True)],
    ids=["weekly", "rarely", "yearly"],
)
def test_the_at_risk_default_horizon_follows_the_suggestion(steps, capped, tmp_path, monkeypatch):
    rows = repeat_rows(steps)
    path = churn_shops.build(tmp_path / "shop.duckdb", rows)
    gaps = pandas_gaps(churn_shops.orders_frame(rows))
    suggested = reorder.suggest_horizon(gaps["gap_days"].quantile(0.9))
    longest = churn.longest_horizon_days(churn_shops.LAST_DAY)
    expected = min(suggested, longest)
    assert (suggested > longest) == capped

    monkeypatch.setenv("RETENTION_DB", path)
    at = settled(app_page("at_risk.py", timeout=TIMEOUT).run())
    assert not at.exception, [element.value for element in at.exception]
    assert at.slider(key="horizon").value == expected
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Suggested horizon"] == f"{suggested} days"
    assert tiles["90th percentile"] == f"{gaps['gap_days'].quantile(0.9):.0f} days"
    said = " ".join(caption.value for caption in at.caption)
    assert f"The horizon starts at {expected} days, suggested by how often customers reorder" in said
    assert ("the longest the order history allows" in said) == capped
    assert any(f"the {expected} days after" in caption.value for caption in at.caption)
    assert any(button.label == "Download the distribution" for button in at.get("download_button"))


def test_cli_prints_the_figures_and_writes_the_distribution(sample_db, tmp_path, capsys):
    out = tmp_path / "gaps.csv"
    assert cli.main(["reorder", "--db", sample_db, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    figures = figures_of(sample_db)
    assert f"median: {figures.median_days:.1f} days" in printed
    assert f"90th percentile: {figures.p90_days:.1f} days" in printed
    assert f"suggested churn horizon: {figures.suggested_horizon_days} days: " in printed
    written = pd.read_csv(out)
    assert written["gap_days"].tolist() == figures.distribution["gap_days"].tolist()
    assert written["gaps"].tolist() == figures.distribution["gaps"].tolist()
