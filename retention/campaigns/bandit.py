"""Adapting the next wave: Beta posteriors of each arm's retention and a Thompson-sampling split.

Each arm (and the control) has a Beta(1 + retained, 1 + members - retained)
posterior of its retention rate (a uniform prior). A draw of every posterior
gives each arm's retention effect, its rate minus the control's; the arm with
the largest effect in a draw "wins" it. The share of draws an arm wins is its
probability of being best, and Thompson sampling sends it that share of the
treated traffic. A floor (``min_share`` of the treated traffic per arm) keeps
every arm learning; the holdout keeps its own share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from retention.campaigns.config import CONTROL, CampaignConfig, ConfigError, with_shares

CREDIBLE = 0.95


def posteriors(table: pd.DataFrame) -> pd.DataFrame:
    """Beta posterior of each arm's retention.

    ``table`` needs ``arm``, ``members`` and ``retained`` (a measurement
    table). Returns ``arm``, ``alpha``, ``beta``, ``mean`` and the central 95%
    credible interval ``low`` / ``high`` (retention, in [0, 1]).
    """
    from scipy import stats

    alpha = 1.0 + table["retained"].to_numpy(dtype=float)
    beta = 1.0 + (table["members"] - table["retained"]).to_numpy(dtype=float)
    tail = (1 - CREDIBLE) / 2
    return pd.DataFrame(
        {
            "arm": table["arm"].to_numpy(),
            "alpha": alpha,
            "beta": beta,
            "mean": alpha / (alpha + beta),
            "low": stats.beta.ppf(tail, alpha, beta),
            "high": stats.beta.ppf(1 - tail, alpha, beta),
        }
    )


def thompson_split(
    table: pd.DataFrame,
    *,
    holdout_share: float = 0.1,
    min_share: float = 0.05,
    draws: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """The proposed traffic split of the next wave.

    Parameters
    ----------
    table
        A measurement table with a ``"control"`` row (``arm``, ``members``, ``retained``).
    holdout_share
        The control's share of the next wave, in (0, 1).
    min_share
        Floor of each arm's share of the treated traffic, in [0, 1 / arms].

    Returns
    -------
    One row per arm, control first: ``arm``; ``posterior_mean``, ``low``,
    ``high`` (retention); ``effect_mean`` (mean posterior effect vs control, in
    [-1, 1]); ``p_beats_control`` and ``p_best`` (probabilities in [0, 1];
    NaN for the control); ``share`` (proposed share of all members; the
    column sums to 1); ``reasoning`` (one sentence).
    """
    post = posteriors(table)
    rng = np.random.default_rng(seed)
    sampled = rng.beta(post["alpha"].to_numpy()[None, :], post["beta"].to_numpy()[None, :], size=(draws, len(post)))
    is_control = (post["arm"] == CONTROL).to_numpy()
    effects = sampled[:, ~is_control] - sampled[:, is_control][:, :1]
    arms = post.loc[~is_control, "arm"].tolist()
    wins = np.bincount(effects.argmax(axis=1), minlength=len(arms)) / draws
    floor = min(min_share, 1.0 / len(arms))
    treated = np.maximum(wins, floor)
    treated = treated / treated.sum()
    rows = [
        {
            "arm": CONTROL,
            "posterior_mean": post.loc[is_control, "mean"].iloc[0],
            "low": post.loc[is_control, "low"].iloc[0],
            "high": post.loc[is_control, "high"].iloc[0],
            "effect_mean": 0.0,
            "p_beats_control": np.nan,
            "p_best": np.nan,
            "share": holdout_share,
            "reasoning": f"Holdout kept at {holdout_share:.0%} so the next wave can be measured too.",
        }
    ]
    treated_post = post.loc[~is_control].reset_index(drop=True)
    for index, arm in enumerate(arms):
        beats = float((effects[:, index] > 0).mean())
        share = (1 - holdout_share) * treated[index]
        floor_note = " (raised to the exploration floor)" if wins[index] < floor else ""
        rows.append(
            {
                "arm": arm,
                "posterior_mean": treated_post.loc[index, "mean"],
                "low": treated_post.loc[index, "low"],
                "high": treated_post.loc[index, "high"],
                "effect_mean": float(effects[:, index].mean()),
                "p_beats_control": beats,
                "p_best": float(wins[index]),
                "share": share,
                "reasoning": (
                    f"Retention {treated_post.loc[index, 'mean']:.1%} (95% credible {treated_post.loc[index, 'low']:.1%}"
                    f"-{treated_post.loc[index, 'high']:.1%}); beats control with probability {beats:.0%}; "
                    f"best arm in {wins[index]:.0%} of {draws:,} draws, so {share:.0%} of the next wave{floor_note}."
                ),
            }
        )
    return pd.DataFrame(rows)


def next_wave_config(config: CampaignConfig, campaign_id: int, split: Mapping[str, float]) -> CampaignConfig:
    """The configuration of the wave after campaign ``campaign_id``.

    ``split`` maps ``"control"`` and arm names to shares of all members (as in
    :func:`thompson_split`'s ``share``, possibly edited); they are normalised.
    The new wave leaves out the earlier wave's members, records its parent and
    is named "<name> (wave N)".
    """
    total = float(sum(split.values()))
    if total <= 0 or any(value < 0 for value in split.values()):
        raise ConfigError("the next wave's shares must be non-negative and not all zero")
    holdout = split.get(CONTROL, config.holdout_share * total) / total
    if not 0.01 <= holdout <= 0.9:
        raise ConfigError(f"the holdout share must be between 1% and 90%, got {holdout:.1%}")
    arms = with_shares(config, {name: value for name, value in split.items() if name != CONTROL})
    base_name = re.sub(r" \(wave \d+\)$", "", config.name)
    audience = replace(
        config.audience, exclude_campaigns=tuple(sorted({*config.audience.exclude_campaigns, int(campaign_id)}))
    )
    return replace(
        arms,
        name=f"{base_name} (wave {config.wave + 1})",
        holdout_share=holdout,
        audience=audience,
        parent_id=int(campaign_id),
        wave=config.wave + 1,
    )
