"""Measurement statistics: hand-computed examples, scipy on raw data, and interval coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_campaigns_fixtures import basic_config

from retention.campaigns.assign import assign_arms
from retention.campaigns.config import parse_config
from retention.campaigns.measure import compare_arms, mean_difference, relative_uplift, two_proportion
from retention.campaigns.response import response_orders


def test_two_proportion_by_hand():
    # 60 of 200 retained against 40 of 200: one (unpooled) standard error for the interval and the test.
    result = two_proportion(60, 200, 40, 200)
    se = math.sqrt(0.3 * 0.7 / 200 + 0.2 * 0.8 / 200)
    assert result["diff"] == pytest.approx(0.3 - 0.2)
    assert result["se"] == pytest.approx(se)
    assert result["low"] == pytest.approx(0.1 - 1.959964 * se, abs=1e-6)
    assert result["high"] == pytest.approx(0.1 + 1.959964 * se, abs=1e-6)
    assert result["p_value"] == pytest.approx(math.erfc(0.1 / se / math.sqrt(2)))
    assert result["p_value"] == pytest.approx(0.0201, abs=1e-4)


def test_identical_groups_have_p_value_one():
    assert two_proportion(0, 50, 0, 50)["p_value"] == 1.0
    assert two_proportion(10, 50, 10, 50)["diff"] == 0.0


def test_mean_difference_matches_welch_on_raw_data():
    rng = np.random.default_rng(0)
    a, b = rng.gamma(2.0, 30.0, size=80), rng.gamma(2.0, 25.0, size=120)
    result = mean_difference(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert result["diff"] == pytest.approx(a.mean() - b.mean())
    assert result["p_value"] == pytest.approx(welch.pvalue)
    interval = welch.confidence_interval(0.95)
    assert (result["low"], result["high"]) == pytest.approx((interval.low, interval.high))


def _uplift_statistic(u: float, x1: int, n1: int, x0: int, n0: int) -> float:
    """The Wald statistic of ``r1 - r0 - u (1 - r0)``, the test the uplift interval inverts."""
    r1, r0 = x1 / n1, x0 / n0
    return (r1 - r0 - u * (1 - r0)) / math.sqrt(r1 * (1 - r1) / n1 + (1 - u) ** 2 * r0 * (1 - r0) / n0)


def test_relative_uplift_by_hand():
    # Control keeps 50 of 100 (churn 0.5); the arm keeps 60 of 100: it kept (0.6 - 0.5) / 0.5 of the churners.
    result = relative_uplift(60, 100, 50, 100)
    assert result["uplift"] == pytest.approx((0.6 - 0.5) / (1 - 0.5))
    # The ends are where the statistic reaches the normal quantile, and a fine grid accepts just what lies between.
    assert _uplift_statistic(result["low"], 60, 100, 50, 100) == pytest.approx(1.959964, abs=1e-5)
    assert _uplift_statistic(result["high"], 60, 100, 50, 100) == pytest.approx(-1.959964, abs=1e-5)
    grid = np.linspace(-1, 1, 20001)
    accepted = grid[[abs(_uplift_statistic(u, 60, 100, 50, 100)) <= stats.norm.ppf(0.975) for u in grid]]
    assert (accepted.min(), accepted.max()) == pytest.approx((result["low"], result["high"]), abs=1e-4)
    # A control that churned nobody (within noise) bounds nothing.
    unbounded = relative_uplift(5, 10, 9, 10)
    assert math.isnan(unbounded["low"]) and math.isnan(unbounded["high"])
    assert math.isnan(relative_uplift(5, 10, 10, 10)["uplift"])


ISSUE_CASE = (178, 1108, 27, 243)  # 16.1% of an arm retained against 11.1% of its holdout


def test_the_issue_case_no_longer_disagrees():
    # The pooled test gave p = 0.0513 beside an unpooled interval of [0.45, 9.46] points.
    x1, n1, x0, n0 = ISSUE_CASE
    result = two_proportion(*ISSUE_CASE)
    assert (round(result["low"] * 100, 2), round(result["high"] * 100, 2)) == (0.45, 9.46)
    pooled = (x1 + x0) / (n1 + n0)
    pooled_p = 2 * stats.norm.sf(abs(result["diff"]) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)))
    assert round(pooled_p, 4) == 0.0513
    assert result["p_value"] < 0.05
    assert relative_uplift(*ISSUE_CASE)["low"] > 0


@pytest.mark.parametrize(
    "case",
    [
        ISSUE_CASE,
        (60, 200, 40, 200),
        (40, 200, 60, 200),
        (21, 310, 1, 55),
        (30, 100, 20, 100),
        (120, 900, 5, 100),
        (450, 900, 40, 100),
        (0, 50, 3, 50),
        (10, 10, 0, 10),
        (7, 70, 7, 70),
        (2500, 9000, 240, 1000),
        (2620, 9000, 240, 1000),
        (99, 100, 90, 100),
    ],
)
@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
def test_interval_and_test_agree(case, confidence):
    x1, n1, x0, n0 = case
    result = two_proportion(x1, n1, x0, n0, confidence)
    r1, r0 = x1 / n1, x0 / n0
    se = math.sqrt(r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0)
    expected_p = (1.0 if r1 == r0 else 0.0) if se == 0 else 2 * stats.norm.sf(abs(r1 - r0) / se)
    assert result["p_value"] == pytest.approx(expected_p)
    significant = result["p_value"] < 1 - confidence
    assert significant == (result["low"] > 0 or result["high"] < 0)
    uplift = relative_uplift(x1, n1, x0, n0, confidence)
    if not math.isnan(uplift["low"]):
        assert uplift["low"] <= uplift["uplift"] <= uplift["high"]
        assert significant == (uplift["low"] > 0 or uplift["high"] < 0)


@pytest.mark.parametrize("shift", [0.0, 2.0, 4.0, 6.0, 12.0])
def test_mean_difference_interval_and_test_agree(shift):
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, 30.0, size=60) + shift, rng.gamma(2.0, 30.0, size=90)
    result = mean_difference(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    assert (result["p_value"] < 0.05) == (result["low"] > 0 or result["high"] < 0)


def test_compare_arms_costs_and_returns():
    config = parse_config(basic_config())
    outcomes = pd.DataFrame(
        {
            "arm": ["control", "discount", "recs"],
            "members": [100, 400, 400],
            "retained": [50, 240, 210],
            "orders_per_member": [0.6, 0.8, 0.7],
            "orders_var": [0.5, 0.6, 0.6],
            "revenue_per_member": [30.0, 40.0, 33.0],
            "revenue_var": [900.0, 1000.0, 950.0],
            "revenue": [3000.0, 16000.0, 13200.0],
        }
    )
    table = compare_arms(outcomes, config).set_index("arm")
    assert table.loc["control", "retention"] == 0.5
    assert np.isnan(table.loc["control", "retention_diff"])
    discount = table.loc["discount"]
    assert discount["retention_diff"] == pytest.approx(0.6 - 0.5)
    assert discount["cost"] == pytest.approx(400 * 0.05 + 0.10 * 16000)
    assert discount["incremental_revenue"] == pytest.approx((40 - 30) * 400)
    assert discount["net_return"] == pytest.approx(4000 - 1620)
    assert discount["roi"] == pytest.approx((4000 - 1620) / 1620)
    assert table.loc["recs", "cost"] == pytest.approx(400 * 0.05)


def _aggregate(members: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per-arm outcomes computed in pandas from members and their orders."""
    per_order = (
        orders.assign(value=orders["quantity"] * orders["unit_price"]).groupby("user_id")["value"].agg(["size", "sum"])
    )
    per_member = members.set_index("user_id").join(per_order).fillna({"size": 0, "sum": 0.0})
    grouped = per_member.groupby("arm")
    return pd.DataFrame(
        {
            "members": grouped.size(),
            "retained": grouped["size"].apply(lambda s: (s > 0).sum()),
            "orders_per_member": grouped["size"].mean(),
            "orders_var": grouped["size"].var(),
            "revenue_per_member": grouped["sum"].mean(),
            "revenue_var": grouped["sum"].var(),
            "revenue": grouped["sum"].sum(),
        }
    ).reset_index()


def test_uplift_interval_covers_the_truth_about_95_percent_of_the_time():
    config = parse_config(basic_config())
    rng = np.random.default_rng(7)
    members = pd.DataFrame({"user_id": [f"u{i:05d}" for i in range(3000)], "risk": rng.uniform(0.2, 0.9, size=3000)})
    members = assign_arms(members, config.shares(), salt="coverage")
    members["expected_value"] = 40.0
    items = pd.DataFrame({"item_id": ["p1", "p2"]})
    truth = {"discount": 0.2, "recs": 0.05}
    covered = {arm: 0 for arm in truth}
    runs = 200
    for seed in range(runs):
        orders = response_orders(
            members, truth, campaign_id=1, start_ts=pd.Timestamp("2026-07-01"), horizon_days=30, items=items, seed=seed
        )
        table = compare_arms(_aggregate(members[["user_id", "arm"]], orders), config).set_index("arm")
        for arm, uplift in truth.items():
            covered[arm] += table.loc[arm, "uplift_low"] <= uplift <= table.loc[arm, "uplift_high"]
    for arm in truth:
        assert 0.90 <= covered[arm] / runs <= 0.99, (arm, covered[arm] / runs)
