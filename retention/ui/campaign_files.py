"""The files of a launched campaign: one contact list per treated arm, in the layout of the user's tool.

One place renders them, wherever a launched campaign's files are offered (right after the launch, and for any
launched campaign later, in any browser session): the same members, arms and items every time.
"""

from __future__ import annotations

import streamlit as st

from retention.campaigns import EXPORT_PRESETS
from retention.campaigns.presets import contact_note, file_name
from retention.ui import campaigns as cached
from retention.ui import common

PRESET_CHOICE = "campaign-export-preset"
"""Session key of the layout last chosen: every place that offers files starts from it."""
CHANNEL_NOTES = {
    "email": "email: the file's contact is the email address",
    "sms": "SMS: only customers with a phone who consented (once consent is imported); the contact is the phone",
    "onsite": "on-site: ids only, for the shop to show the offer to logged-in customers",
}


def _remember(widget_key: str) -> None:
    st.session_state[PRESET_CHOICE] = st.session_state[widget_key]


def preset_picker(key: str) -> str:
    """The export layout (a name of :data:`retention.campaigns.EXPORT_PRESETS`), remembered for the session."""
    widget_key = f"{key}-preset"
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state.get(PRESET_CHOICE, EXPORT_PRESETS.default)
    return st.selectbox(
        "Export layout",
        list(EXPORT_PRESETS),
        format_func=lambda name: EXPORT_PRESETS[name].label,
        key=widget_key,
        on_change=_remember,
        args=(widget_key,),
        help="The column headers of the tool the lists go into; every layout carries the arm, offer codes and items.",
    )


def arm_files(path: str, version: str, campaign_id: int, key: str) -> None:
    """A layout picker, the contact box and one download per treated arm of campaign ``campaign_id``; ``key``
    keeps this place's widgets apart from others'."""
    preset = preset_picker(key)
    include_contact = st.checkbox(
        "Include contact fields (email, phone, first name) in the exports",
        key=f"{key}-email",
        help="Only tick this when the file goes straight to your email or SMS tool.",
    )
    if note := contact_note(preset, include_contact):
        st.info(f"{note}.")
    frames = common.attempt(cached.exports, path, version, campaign_id, include_contact, preset)
    if frames is None:
        return
    config = cached.stored_config(path, version, campaign_id)
    channels = {arm.name: arm.channel for arm in config.arms}
    for arm, frame in frames.items():
        common.download_csv(
            lambda frame=frame: frame,
            file_name(campaign_id, arm, preset),
            f"Download arm {arm} ({len(frame):,} contacts)",
            key=f"{key}-arm-{arm}",
        )
        st.caption(f"Arm {common.plain(arm)}: {CHANNEL_NOTES[channels[arm]]}.")
    st.caption("The holdout is never exported for contact, nor is anyone on the suppression list.")
