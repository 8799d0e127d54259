"""Comparing the targeting strategies on the same audience by simulation."""

from __future__ import annotations

import pandas as pd

from retention.campaigns.config import CampaignConfig
from retention.campaigns.plan import plan_members
from retention.campaigns.simulate import TOTAL, simulate
from retention.campaigns.targeting import STRATEGIES
from retention.errors import DataError


def compare_strategies(audience: pd.DataFrame, config: CampaignConfig, *, draws: int = 2_000) -> pd.DataFrame:
    """Simulate the campaign under every registered targeting strategy.

    Strategies that take an N use the config's ``targeting.top_n``, or when it
    has none the number of members the config's own strategy selects, so the
    strategies are compared at the same size; the budget cap applies to all.

    Returns
    -------
    One row per strategy: ``strategy``, ``label``, ``members`` (int),
    ``chosen`` (bool: the config's strategy), and ``kept``, ``cost``,
    ``net_value`` and ``roi`` each as ``_median``, ``_low``, ``_high`` (90%
    interval). Money in currency.
    """
    own = plan_members(audience, config)
    size = config.targeting.top_n or len(own)
    sized = config if config.targeting.top_n else _with_top_n(config, size)
    rows = []
    for name, strategy in STRATEGIES.items():
        try:
            members = own if name == config.targeting.strategy else plan_members(audience, sized, strategy=name)
        except DataError:
            continue
        summary = simulate(members, config, draws=draws).summary
        total = summary[summary["arm"] == TOTAL].set_index("metric")
        row = {
            "strategy": name,
            "label": strategy.label,
            "members": len(members),
            "chosen": name == config.targeting.strategy,
        }
        for metric in ("kept", "cost", "net_value", "roi"):
            row |= {f"{metric}_{stat}": float(total.loc[metric, stat]) for stat in ("median", "low", "high")}
        rows.append(row)
    return pd.DataFrame(rows)


def _with_top_n(config: CampaignConfig, size: int) -> CampaignConfig:
    from dataclasses import replace

    return replace(config, targeting=replace(config.targeting, top_n=size))
