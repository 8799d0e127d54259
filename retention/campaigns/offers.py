"""Offer codes: one unique, unguessable code per member of an arm that gives a discount.

Codes are drawn with :mod:`secrets` at launch and stored with the member, so every download of a launched
campaign's files carries the same codes. A code reads ``<ARM>-<8 characters>`` from an alphabet without the
look-alikes 0/O and 1/I/L (``WINBACK-7KQ2M9XD``): about 10^12 codes per arm, and the few repeats a draw could
give are drawn again.
"""

from __future__ import annotations

import re
import secrets

import pandas as pd

from retention.campaigns.config import CampaignConfig

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def code_prefix(arm_name: str) -> str:
    """The arm's name in capitals, letters and digits only, at most 12 characters ('win_back-2' -> 'WINBACK2')."""
    return re.sub(r"[^A-Z0-9]", "", arm_name.upper())[:12] or "OFFER"


def _draw(count: int) -> list[str]:
    return ["".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)]


def offer_codes(members: pd.DataFrame, config: CampaignConfig) -> pd.Series:
    """Per member (``members`` has ``arm``), an offer code where the arm's ``discount_share`` is above 0, else
    missing (the control and arms without a discount). No two members of the campaign share a code, even in two
    arms whose names give one prefix ('win_back', 'winback'). Same index as ``members``; string dtype."""
    codes = pd.Series(pd.NA, index=members.index, dtype="string")
    taken: set[str] = set()
    for arm in config.arms:
        if arm.discount_share <= 0:
            continue
        rows = members.index[members["arm"] == arm.name]
        prefix = code_prefix(arm.name)
        drawn: list[str] = []
        while len(drawn) < len(rows):
            for code in (f"{prefix}-{suffix}" for suffix in _draw(len(rows) - len(drawn))):
                if code not in taken:
                    taken.add(code)
                    drawn.append(code)
        codes.loc[rows] = drawn
    return codes
