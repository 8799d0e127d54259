"""The "Send to campaign" button of the At-risk, Cohorts and Segments pages, and the builder's side of it.

A page's button builds a :class:`~retention.campaigns.handoff.Handover` and leaves it pending in the session;
the Campaigns page's builder takes it on its next run (:func:`take_pending`): it sets the audience widgets to the
hand-over's filters, keeps it as the active hand-over (whose customer list :func:`restricted` applies) and
says where the audience came from, with a button that lets it go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from retention.campaigns import Audience, handoff
from retention.campaigns.handoff import AtRiskFilter, Handover
from retention.ui import common

PENDING = "campaign-handover-pending"
ACTIVE = "campaign-handover"
CAMPAIGNS_PAGE = "pages/campaigns.py"


def send_button(build: Callable[[], Handover], key: str) -> None:
    """The "Send to campaign" button: on a click, ``build`` the hand-over (its error, if any, is shown here) and
    open the Campaigns page with it."""
    if not st.button(
        "Send to campaign",
        key=key,
        icon=":material/campaign:",
        help="Start a campaign draft on the Campaigns page with these customers as its audience.",
    ):
        return
    handover = common.attempt(build)
    if handover is not None:
        st.session_state[PENDING] = handover
        # An empty mapping, not the default None: None clears this page's URL through a check that refuses
        # while widgets are bound to it (as the At-risk page's settings are).
        st.switch_page(CAMPAIGNS_PAGE, query_params={})


def take_pending(options: dict[str, list[str]], *, latest: str, any_month: str) -> Handover | None:
    """The builder's first step: a pending hand-over sets the audience widgets and becomes the active one; the
    active hand-over, if any, is named above the widgets with a button to clear it. Returns it.

    ``options`` are the audience filters' values (:func:`retention.campaigns.audience_options`); ``latest`` and
    ``any_month`` the "Scores of" and "First purchase in" choices that do not filter.
    """
    pending = st.session_state.pop(PENDING, None)
    if pending is not None:
        st.session_state.update(widget_values(pending.audience, options, latest=latest, any_month=any_month))
        st.session_state[ACTIVE] = pending
    active: Handover | None = st.session_state.get(ACTIVE)
    if active is None:
        return None
    note = st.columns([5, 1], vertical_alignment="center")
    note[0].info(
        f"Audience from {common.plain(active.source)}: {active.customers:,} "
        f"customer{'' if active.customers == 1 else 's'}",
        icon=":material/move_to_inbox:",
    )
    note[1].button(
        "Clear",
        key="handover-clear",
        on_click=_clear,
        help="Target the filters below again, without the handed-over list of customers.",
    )
    return active


def restricted(audience: Audience) -> Audience:
    """``audience`` limited to the active hand-over's customers (unchanged without one, or when the hand-over
    is a filter rather than a list)."""
    active: Handover | None = st.session_state.get(ACTIVE)
    if active is None:
        return audience
    return replace(audience, user_ids=active.audience.user_ids)


def widget_values(
    audience: Audience, options: dict[str, list[str]], *, latest: str, any_month: str
) -> dict[str, object]:
    """The audience widgets' values (by key) that describe ``audience``'s handed fields; the other filters are
    set not to filter. Values the builder does not offer (a country no customer has now) are left out."""
    as_of = None if audience.scores_as_of is None else f"{audience.scores_as_of:%Y-%m-%d}"
    return {
        "aud-min-risk": round((audience.min_risk or 0.0) * 100),
        "aud-top-n": audience.top_n or 0,
        "aud-as-of": as_of if as_of in options["scores_as_of"] else latest,
        "aud-countries": [country for country in audience.countries if country in options["country"]],
        "aud-channels": [channel for channel in audience.channels if channel in options["channel"]],
        "aud-cohort": any_month,
        "aud-min-value": 0.0,
        "aud-max-value": 0.0,
        "aud-rfm": [],
    }


def _clear() -> None:
    st.session_state.pop(ACTIVE, None)


def at_risk(flagged: pd.DataFrame, shown: AtRiskFilter) -> Handover:
    """The At-risk page's hand-over (see :func:`retention.campaigns.handoff.at_risk`)."""
    with common.cursor() as con:
        return handoff.at_risk(con, flagged, shown)
