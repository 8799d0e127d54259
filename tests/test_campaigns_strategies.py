"""Targeting strategies compared by simulation across campaign sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention.campaigns.config import parse_config
from retention.campaigns.plan import plan_members
from retention.campaigns.strategies import compare_strategies, comparison_sizes


def _audience(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    return pd.DataFrame(
        {
            "user_id": [f"u{i:05d}" for i in range(n)],
            "risk": rng.uniform(0.05, 0.95, size=n),
            "expected_value": rng.lognormal(3.5, 0.8, size=n),
            "value": 0.0,
        }
    )


def test_sizes_step_up_to_the_audience_and_include_the_plan():
    assert comparison_sizes(1000, 333, points=4) == [250, 333, 500, 750, 1000]
    assert comparison_sizes(3, 3, points=8) == [1, 2, 3]


def test_every_strategy_at_every_size():
    audience = _audience()
    config = parse_config(basic_config(targeting={"strategy": "top_n_incremental", "top_n": 300}))
    frame = compare_strategies(audience, config, draws=500, points=4)
    assert sorted(set(frame["size"])) == [250, 300, 500, 750, 1000]
    assert (frame["members"] == frame["size"]).all()
    assert frame.groupby("size")["strategy"].nunique().eq(3).all()
    chosen = frame[frame["chosen"]]
    assert chosen[["strategy", "members"]].values.tolist() == [["top_n_incremental", 300]]
    at_250 = frame[frame["size"] == 250].set_index("strategy")
    # The 250 riskiest hold more would-be churners than a random 250, so more are kept.
    assert at_250.loc["top_n_risk", "kept_median"] > at_250.loc["everyone", "kept_median"]
    # At the full audience every strategy contacts the same people in the same arms: the same simulation.
    full = frame[frame["size"] == 1000]
    assert full["net_value_median"].to_numpy() == pytest.approx(np.full(3, full["net_value_median"].iloc[0]))
    assert full["kept_median"].nunique() == 1


def test_limit_replaces_the_configured_n():
    audience = _audience()
    config = parse_config(basic_config(targeting={"strategy": "top_n_risk", "top_n": 100}))
    assert len(plan_members(audience, config)) == 100
    members = plan_members(audience, config, limit=400)
    assert len(members) == 400
    assert members["risk"].min() >= np.sort(audience["risk"])[-400]
