"""The two modes a recommender is evaluated and used in, named once for the evaluation, the runs, the leaderboard,
the lists for real customers and the pages.

* ``discovery``: items the customer already interacted with are left out of the lists and out of the truth.
  Right for finding new products.
* ``repeat`` (repeat-aware): they may be recommended and count as hits when the customer comes back for them.
  Right for replenishment ("buy again").

Light on purpose (no model library), so that listing runs and labelling them stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from retention.errors import DataError

DISCOVERY, REPEAT = "discovery", "repeat"
MODES = (DISCOVERY, REPEAT)
MODE_NAMES = {DISCOVERY: "discovery", REPEAT: "repeat-aware"}
MODE_LABELS = {
    DISCOVERY: "Discovery: past items excluded from lists and from the truth",
    REPEAT: "Repeat-aware: past items may be recommended and count as hits",
}
MODE_NOTES = {
    DISCOVERY: "Discovery list: only items new to this customer.",
    REPEAT: "Repeat-aware list: may hold items this customer bought before (buy again).",
}


def checked_mode(mode: str, use: str = "evaluation") -> str:
    """``mode`` when it is one of :data:`MODES`.

    Raises
    ------
    DataError
        Any other mode ("unknown ``use`` mode ...").
    """
    if mode not in MODES:
        raise DataError(f"unknown {use} mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def run_mode(split: Mapping[str, object] | str | None) -> str:
    """The mode of a run's split (its description, or that description as JSON text): ``'discovery'`` or
    ``'repeat'``; ``'discovery'`` when the split does not say (runs saved before modes were kept)."""
    if isinstance(split, str):
        split = json.loads(split)
    return REPEAT if (split or {}).get("mode") == REPEAT else DISCOVERY
