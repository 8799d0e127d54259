"""From an audience to campaign members: the targeting strategy, the budget cap and the arm assignment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention.campaigns import assign, targeting
from retention.campaigns.config import CONTROL, CampaignConfig
from retention.errors import DataError

PREVIEW_SALT = "preview"
CONTROL_LABEL = "Control (holdout)"


def candidates(audience: pd.DataFrame, config: CampaignConfig) -> pd.DataFrame:
    """A copy of the audience with what targeting ranks on.

    Adds ``incremental_value`` and ``expected_cost`` (currency per member,
    averaged over the arms and the control by their shares; see
    :func:`retention.campaigns.targeting.expected_economics`) and
    ``order_key`` (a fixed hash in [0, 1) used by the "everyone" strategy).
    """
    shares = config.shares()
    arms = config.arms
    incremental, cost = targeting.expected_economics(
        audience["risk"].to_numpy(dtype=float),
        audience["expected_value"].to_numpy(dtype=float),
        shares=np.array([shares[arm.name] for arm in arms]),
        costs=np.array([arm.cost_per_contact for arm in arms]),
        discounts=np.array([arm.discount_share for arm in arms]),
        uplifts=np.array([arm.uplift.likely for arm in arms]),
    )
    frame = audience.copy()
    frame["incremental_value"] = incremental
    frame["expected_cost"] = cost
    frame["order_key"] = assign.assignment_keys(frame["user_id"], "order")
    return frame


def plan_members(
    audience: pd.DataFrame,
    config: CampaignConfig,
    *,
    salt: str = PREVIEW_SALT,
    strategy: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The members the campaign would have, each with its arm.

    ``strategy`` overrides the config's, and ``limit`` replaces its N: the
    first ``limit`` candidates the strategy orders, whatever the strategy (to
    compare strategies at one size). Returns the
    candidates' columns plus ``priority_rank``, ``assignment``, ``risk_decile``
    and ``arm`` (an arm name or ``"control"``). Raises :class:`DataError` when
    nobody is left.
    """
    chosen = targeting.select(
        candidates(audience, config),
        strategy or config.targeting.strategy,
        top_n=config.targeting.top_n if limit is None else limit,
        budget=config.targeting.budget,
    )
    if limit is not None:
        chosen = chosen.head(limit)
    if chosen.empty:
        if config.targeting.budget is not None and not audience.empty:
            raise DataError(
                f"the budget of {config.targeting.budget:g} does not cover one member's expected cost; raise it"
            )
        held = "" if config.audience.allow_overlap else " (members of campaigns still being measured are left out)"
        raise DataError(f"the campaign has no members: the audience is empty{held}")
    return assign.assign_arms(chosen, config.shares(), salt=salt)


def arm_labels(config: CampaignConfig) -> dict[str, str]:
    """What charts and tables call each arm, control first: ``"control"`` -> "Control (holdout)"; an arm named
    after its template (as the page names them) -> the template's label ("Discount email"); an arm given a name
    of its own (in a config file) -> that name. Downloads keep the arm's id beside it."""
    labels = {CONTROL: CONTROL_LABEL}
    for arm in config.arms:
        labels[arm.name] = arm.label if arm.name == arm.template else arm.name
    return labels


def labelled(table: pd.DataFrame, config: CampaignConfig, *, col_arm: str = "arm") -> pd.DataFrame:
    """A copy of ``table`` with a ``label`` column (see :func:`arm_labels`) right after ``col_arm``; an arm the
    config does not know keeps its id as its label."""
    labels = arm_labels(config)
    frame = table.drop(columns="label", errors="ignore")
    names = frame[col_arm].astype(str)
    frame.insert(frame.columns.get_loc(col_arm) + 1, "label", names.map(labels).fillna(names))
    return frame


def arm_counts(members: pd.DataFrame, config: CampaignConfig) -> pd.DataFrame:
    """Members per arm, control first: columns ``arm``, ``label`` (see :func:`arm_labels`), ``members`` (int),
    ``share`` (planned, in [0, 1])."""
    shares = config.shares()
    labels = arm_labels(config)
    counts = members["arm"].value_counts()
    return pd.DataFrame(
        {
            "arm": list(shares),
            "label": [labels[name] for name in shares],
            "members": [int(counts.get(name, 0)) for name in shares],
            "share": list(shares.values()),
        }
    )


def launch_question(config: CampaignConfig, counts: pd.DataFrame) -> str:
    """What a launch is about to write, in one sentence for its confirmation (Markdown-free text; the name as
    given): "Launch Win back? 1,204 customers: 1,084 contacted in 2 arms, 10% held out and never contacted."
    ``counts`` as :func:`arm_counts` returns them."""
    members = int(counts["members"].sum())
    contacted = int(counts.loc[counts["arm"] != CONTROL, "members"].sum())
    arms = len(config.arms)
    return (
        f"Launch {config.name}? {members:,} customers: {contacted:,} contacted in {arms} arm{'s' if arms != 1 else ''}, "
        f"{config.holdout_share:.0%} held out and never contacted."
    )
