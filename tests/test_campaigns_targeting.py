"""Targeting strategies and the expected economics they rank on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.campaigns.targeting import STRATEGIES, expected_economics, select
from retention.errors import DataError


def test_expected_economics_by_hand():
    incremental, cost = expected_economics(
        np.array([0.4]),
        np.array([50.0]),
        shares=np.array([0.9]),
        costs=np.array([0.5]),
        discounts=np.array([0.1]),
        uplifts=np.array([0.1]),
    )
    assert incremental[0] == pytest.approx(0.9 * 0.4 * 0.1 * 50)
    # contact 0.5 plus 10% of 50 on an order placed with probability 1 - 0.4 * (1 - 0.1)
    assert cost[0] == pytest.approx(0.9 * (0.5 + 0.1 * 50 * (1 - 0.4 * 0.9)))


@pytest.fixture
def candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "risk": [0.9, 0.2, 0.6, 0.4],
            "incremental_value": [1.0, 8.0, 3.0, 5.0],
            "expected_cost": [2.0, 2.0, 2.0, 2.0],
            "order_key": [0.3, 0.1, 0.9, 0.5],
        }
    )


def test_strategies_order_and_cut(candidates):
    assert select(candidates, "top_n_risk", top_n=2)["user_id"].tolist() == ["a", "c"]
    assert select(candidates, "top_n_incremental", top_n=2)["user_id"].tolist() == ["b", "d"]
    assert select(candidates, "everyone")["user_id"].tolist() == ["c", "d", "a", "b"]
    assert select(candidates, "top_n_risk", top_n=3)["priority_rank"].tolist() == [1, 2, 3]
    assert set(STRATEGIES) >= {"everyone", "top_n_risk", "top_n_incremental"}


def test_budget_cap_stops_before_the_budget_is_passed(candidates):
    # Each member is expected to cost 2.0: a budget of 5 covers two.
    assert len(select(candidates, "everyone", budget=5.0)) == 2
    assert len(select(candidates, "top_n_risk", top_n=3, budget=100.0)) == 3
    assert select(candidates, "everyone", budget=1.0).empty


def test_an_unknown_strategy_names_the_choices(candidates):
    with pytest.raises(DataError, match="targeting strategy 'loudest' is not one of everyone, top_n_risk"):
        select(candidates, "loudest")
