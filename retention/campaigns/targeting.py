"""Targeting strategies: which audience members a campaign contacts, in a :class:`~retention.registry.Registry`.

A strategy orders the candidates (best first); :func:`select` then keeps the
first ``top_n`` when the strategy takes an N, and stops before the expected
cost passes the budget cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention.registry import Registry

# candidates frame -> priority per row (higher is contacted first)
Priority = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """label: how the builder names it; needs_n: it keeps only the first ``top_n``; priority: the ordering."""

    label: str
    needs_n: bool
    priority: Priority


STRATEGIES: Registry[Strategy] = Registry("targeting strategy")


def strategy(name: str, label: str, *, needs_n: bool) -> Callable[[Priority], Priority]:
    """Register the decorated priority function as the targeting strategy ``name``."""
    return STRATEGIES.register(name, make=lambda priority: Strategy(label, needs_n, priority))


@strategy("everyone", "Everyone in the audience", needs_n=False)
def everyone(candidates: pd.DataFrame) -> np.ndarray:
    """No preference: under a budget cap, members are taken in the order of a fixed hash of their id."""
    return candidates["order_key"].to_numpy(dtype=float)


@strategy("top_n_risk", "Top N by churn risk", needs_n=True)
def top_n_risk(candidates: pd.DataFrame) -> np.ndarray:
    return candidates["risk"].to_numpy(dtype=float)


@strategy("top_n_incremental", "Top N by expected incremental value", needs_n=True)
def top_n_incremental(candidates: pd.DataFrame) -> np.ndarray:
    """Risk x expected value x uplift (averaged over the arms by their shares)."""
    return candidates["incremental_value"].to_numpy(dtype=float)


def expected_economics(
    risk: np.ndarray,
    value: np.ndarray,
    *,
    shares: np.ndarray,
    costs: np.ndarray,
    discounts: np.ndarray,
    uplifts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected incremental value and expected cost of making each candidate a member.

    ``shares`` are the arms' shares of all members (the control's share is the
    rest and costs nothing); ``uplifts`` the likely uplifts. A member of arm
    ``a`` is kept with extra probability ``risk * uplift_a`` (worth ``value``),
    costs ``cost_a`` to contact and ``discount_a * value`` on each order it
    places, which happens with probability ``1 - risk * (1 - uplift_a)``.

    Returns
    -------
    (incremental_value, expected_cost): float arrays in currency, one per candidate.
    """
    risk = np.asarray(risk, dtype=float)[:, None]
    value = np.asarray(value, dtype=float)[:, None]
    incremental = (shares * risk * uplifts * value).sum(axis=1)
    ordering = 1.0 - risk * (1.0 - uplifts)
    cost = (shares * (costs + discounts * value * ordering)).sum(axis=1)
    return incremental, cost


def select(
    candidates: pd.DataFrame, name: str, *, top_n: int | None = None, budget: float | None = None
) -> pd.DataFrame:
    """The candidates a strategy contacts, best first.

    ``candidates`` needs ``user_id``, ``risk``, ``incremental_value``,
    ``expected_cost`` and ``order_key``. Returns a copy of the selected rows
    with a new ``priority_rank`` column (1 = first).
    """
    chosen = STRATEGIES.get_or_raise(name)
    frame = candidates.copy()
    frame["_priority"] = chosen.priority(frame)
    frame = frame.sort_values(["_priority", "user_id"], ascending=[False, True], kind="stable")
    if chosen.needs_n and top_n is not None:
        frame = frame.head(top_n)
    if budget is not None:
        within = frame["expected_cost"].cumsum().to_numpy() <= budget
        frame = frame[within]
    frame = frame.drop(columns="_priority").reset_index(drop=True)
    frame["priority_rank"] = np.arange(1, len(frame) + 1)
    return frame
