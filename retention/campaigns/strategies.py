"""Comparing the targeting strategies on the same audience by simulation, across campaign sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention.campaigns.config import CampaignConfig
from retention.campaigns.plan import plan_members
from retention.campaigns.simulate import TOTAL, simulate
from retention.campaigns.targeting import STRATEGIES
from retention.errors import DataError

COMPARED_METRICS = ("kept", "cost", "net_value", "roi")


def comparison_sizes(audience_size: int, planned: int, points: int = 8) -> list[int]:
    """Campaign sizes to compare at: ``points`` even steps up to the audience, plus the planned size."""
    steps = np.linspace(audience_size / points, audience_size, points).round().astype(int)
    return sorted({int(size) for size in steps if size > 0} | {int(planned)})


def compare_strategies(
    audience: pd.DataFrame, config: CampaignConfig, *, draws: int = 1_000, points: int = 8
) -> pd.DataFrame:
    """Simulate every registered targeting strategy at several campaign sizes.

    At size N each strategy contacts its first N candidates ("everyone" takes
    N in a fixed hash order, i.e. a random N); the budget cap applies on top.
    The sizes are ``points`` even steps up to the whole audience plus the size
    the config's own plan has.

    Returns
    -------
    One row per (strategy, size): ``strategy``, ``label``, ``size`` (N asked),
    ``members`` (int, after the budget cap), ``chosen`` (bool: the config's own
    plan), and ``kept``, ``cost``, ``net_value`` and ``roi`` each as
    ``_median``, ``_low``, ``_high`` (90% interval). Money in currency.
    """
    own = plan_members(audience, config)
    rows = []
    for size in comparison_sizes(len(audience), len(own), points):
        for name, strategy in STRATEGIES.items():
            try:
                members = plan_members(audience, config, strategy=name, limit=size)
            except DataError:
                continue
            summary = simulate(members, config, draws=draws).summary
            total = summary[summary["arm"] == TOTAL].set_index("metric")
            row = {
                "strategy": name,
                "label": strategy.label,
                "size": size,
                "members": len(members),
                "chosen": name == config.targeting.strategy and len(members) == len(own),
            }
            for metric in COMPARED_METRICS:
                row |= {f"{metric}_{stat}": float(total.loc[metric, stat]) for stat in ("median", "low", "high")}
            rows.append(row)
    return pd.DataFrame(rows)
