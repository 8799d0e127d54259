"""The files of a launched campaign: one contact list per treated arm, for the email tool.

One place renders them, wherever a launched campaign's files are offered (right after the launch, and for any
launched campaign later, in any browser session): the same members, arms and items every time.
"""

from __future__ import annotations

import streamlit as st

from retention.ui import campaigns as cached
from retention.ui import common


def arm_files(path: str, version: str, campaign_id: int, key: str) -> None:
    """Download buttons for campaign ``campaign_id``'s arms; ``key`` keeps this place's widgets apart from others'."""
    include_email = st.checkbox(
        "Include email addresses in the exports",
        key=f"{key}-email",
        help="Only tick this when the file goes straight to your email tool.",
    )
    frames = common.attempt(cached.exports, path, version, campaign_id, include_email)
    for arm, frame in (frames or {}).items():
        common.download_csv(
            lambda frame=frame: frame,
            f"campaign_{campaign_id}_{arm}.csv",
            f"Download arm {arm} ({len(frame):,} contacts)",
            key=f"{key}-arm-{arm}",
        )
    st.caption("The holdout is never exported for contact, nor is anyone on the suppression list.")
