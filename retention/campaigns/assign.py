"""Deterministic, reproducible assignment of campaign members to arms, stratified by risk decile.

Each member gets a key: SipHash-2-4 (pandas' ``hash_array`` with a fixed
16-byte key) of ``"<salt>:<user_id>"``, mapped to [0, 1). Members are split
into ten risk deciles; inside each decile they are ordered by key and cut by
the cumulative arm shares, so every decile holds each arm in proportion to its
share (up to one member) and the same campaign id and members always give the
same assignment.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

HASH_KEY = "campaigns-assign"
DECILES = 10


def assignment_keys(user_ids: pd.Series | np.ndarray, salt: str) -> np.ndarray:
    """Stable pseudo-random numbers in [0, 1), one per user id, that depend only on ``salt`` and the id."""
    text = np.asarray(pd.Series(user_ids, dtype="string").radd(f"{salt}:").astype(object))
    hashed = pd.util.hash_array(text, hash_key=HASH_KEY, categorize=False)
    return (hashed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def risk_deciles(risk: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Decile of each risk among the given ones: int in 1 (lowest) .. 10; ties are split by ``keys``."""
    risk = np.asarray(risk, dtype=float)
    order = np.lexsort((keys, risk))
    ranks = np.empty(len(risk), dtype=np.int64)
    ranks[order] = np.arange(len(risk))
    return ranks * DECILES // max(len(risk), 1) + 1


def assign_arms(members: pd.DataFrame, shares: Mapping[str, float], *, salt: str) -> pd.DataFrame:
    """Assign each member to an arm (or the control).

    Parameters
    ----------
    members
        Needs ``user_id`` and ``risk``.
    shares
        Arm name -> share of members; shares are normalised to sum to 1.
    salt
        Usually the campaign id; the same salt reproduces the assignment.

    Returns
    -------
    A copy of ``members`` with ``assignment`` (float in [0, 1)), ``risk_decile``
    (int in 1..10) and ``arm`` (one of ``shares``' names).
    """
    names = list(shares)
    weights = np.array([shares[name] for name in names], dtype=float)
    bounds = np.cumsum(weights / weights.sum())
    bounds[-1] = 1.0
    frame = members.copy()
    keys = assignment_keys(frame["user_id"], salt)
    deciles = risk_deciles(frame["risk"].to_numpy(dtype=float), keys)
    order = np.lexsort((keys, deciles))
    sorted_deciles = deciles[order]
    starts = np.searchsorted(sorted_deciles, sorted_deciles, side="left")
    ends = np.searchsorted(sorted_deciles, sorted_deciles, side="right")
    position = (np.arange(len(order)) - starts + 0.5) / np.maximum(ends - starts, 1)
    arm_index = np.empty(len(order), dtype=np.int64)
    arm_index[order] = np.searchsorted(bounds, position, side="right")
    frame["assignment"] = keys
    frame["risk_decile"] = deciles
    frame["arm"] = pd.Series(
        np.asarray(names, dtype=object)[np.minimum(arm_index, len(names) - 1)], index=frame.index, dtype="string"
    )
    return frame
