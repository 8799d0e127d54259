"""The campaign builder: widget groups that produce a :class:`~retention.campaigns.CampaignConfig`.

Each form reads its widgets and returns the matching part of the config as its
dataclass (:class:`Audience`, a tuple of :class:`Arm`, :class:`Targeting`);
:func:`builder` assembles them and checks the whole with
:func:`retention.campaigns.check_config`, the rules a config file keeps too.
Shares and uplifts are entered in percent and leave the forms as shares in
[0, 1]. Nothing here reads or writes the warehouse: the options the widgets
offer are passed in.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from retention import rfm
from retention.campaigns import Arm, Audience, CampaignConfig, Targeting, Uplift, check_config
from retention.campaigns.targeting import STRATEGIES
from retention.campaigns.templates import ARM_TEMPLATES
from retention.ui import campaign_handoff

LATEST = "latest (newest date)"
ANY_MONTH = "any month"
DRAW_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000)
RANK_LABELS = {"risk": "Churn risk", "expected_loss": "Expected loss (risk × order value)"}
# The exclusions a careful marketer starts from (each can be switched off): one campaign per customer per fortnight,
# no win-back offer to someone who bought this month, none to customers who only ever returned or cancelled, and
# none to customers gone for over a year, who are lost rather than at risk.
CONTACTED_DAYS = 14
BOUGHT_DAYS = 30
LAPSED_DAYS = 365


def _percent(share: float) -> float:
    """A share in [0, 1] as a percentage for a number input, without float dust (0.07 -> 7.0, not 7.000000000000001)."""
    return round(share * 100, 6)


def audience_form(options: dict[str, list[str]]) -> Audience:
    """Who may be targeted: churn risk, the top N, country, channel, first-purchase month, net revenue
    over the 12 months up to the scores' date, RFM segment; the exclusions (see :func:`_exclusions_form`) and the
    ranking that decides the top N.

    ``options`` is :func:`retention.campaigns.audience_options` (each filter's values, as text).
    """
    st.markdown("**Audience**")
    campaign_handoff.take_pending(options, latest=LATEST, any_month=ANY_MONTH)
    first = st.columns(3)
    min_risk_percent = first[0].slider(
        "Churn risk at least",
        0,
        100,
        50,
        5,
        format="%d%%",
        key="aud-min-risk",
        help="Calibrated churn probability from the latest scores.",
    )
    top_n = first[1].number_input(
        "Only the top N (0 = all)",
        min_value=0,
        value=0,
        step=100,
        key="aud-top-n",
        help="The first N by the ranking below, after the exclusions.",
    )
    as_of = first[2].selectbox(
        "Scores of",
        [LATEST] + options["scores_as_of"][::-1],
        key="aud-as-of",
        help="Which churn scoring to target: the latest is the newest as-of date, whenever it was computed.",
    )
    second = st.columns(3)
    countries = second[0].multiselect("Countries", options["country"], key="aud-countries", placeholder="All")
    channels = second[1].multiselect("Channels", options["channel"], key="aud-channels", placeholder="All")
    cohort = second[2].selectbox("First purchase in", [ANY_MONTH] + options["cohort"][::-1], key="aud-cohort")
    value = st.columns(3)
    min_value = value[0].number_input(
        "Net revenue, 12 months, at least (0 = no floor)", min_value=0.0, value=0.0, step=10.0, key="aud-min-value"
    )
    max_value = value[1].number_input(
        "Net revenue, 12 months, at most (0 = no cap)", min_value=0.0, value=0.0, step=10.0, key="aud-max-value"
    )
    rfm_segments = value[2].multiselect(
        "RFM segments",
        rfm.SEGMENTS,
        key="aud-rfm",
        placeholder="All",
        help="Segments by recency, frequency and spend at the newest order, as the Segments page shows them.",
    )
    exclusions = _exclusions_form()
    rank_by = st.radio(
        "Rank by",
        list(RANK_LABELS),
        format_func=RANK_LABELS.get,
        horizontal=True,
        key="aud-rank-by",
        help="The audience's order, and so whom the top N keeps. Expected loss weighs the churn risk by the "
        "customer's average net order value: a likely churner who spends little ranks below a less likely one "
        "who spends much.",
    )
    return Audience(
        min_risk=min_risk_percent / 100,
        top_n=int(top_n) or None,
        countries=tuple(countries),
        channels=tuple(channels),
        cohort=None if cohort == ANY_MONTH else cohort,
        min_value=min_value or None,
        max_value=max_value or None,
        scores_as_of=None if as_of == LATEST else dt.date.fromisoformat(as_of),
        rfm_segments=tuple(rfm_segments),
        rank_by=rank_by,
        **exclusions,
    )


def _exclusions_form() -> dict[str, object]:
    """The exclusions, each on by default (see :data:`CONTACTED_DAYS` and the others): the ``Audience`` fields
    ``contacted_within_days``, ``bought_within_days``, ``exclude_nonpositive_revenue`` and ``lapsed_days``."""
    st.markdown("**Leave out customers who**")
    cells = st.columns(4)
    contacted = _days_exclusion(
        cells[0],
        "were contacted by another campaign",
        "aud-contacted",
        CONTACTED_DAYS,
        "In a treated arm of a campaign launched in these last days (to the newest order): a frequency cap "
        "across campaigns. Holdouts were not contacted.",
    )
    bought = _days_exclusion(
        cells[1],
        "bought recently",
        "aud-bought",
        BOUGHT_DAYS,
        "A purchase in these last days before the scores' date: they are buying, a win-back offer only costs margin.",
    )
    nonpositive = cells[2].checkbox(
        "have zero or negative net revenue",
        value=True,
        key="aud-nonpositive",
        help="Returns and cancellations outweigh their purchases, up to the scores' date.",
    )
    lapsed = _days_exclusion(
        cells[3],
        "lapsed: no purchase for over",
        "aud-lapsed",
        LAPSED_DAYS,
        "Gone so long they are lost rather than at risk: contacting them costs, and rarely brings them back.",
    )
    st.caption("Customers on the suppression list (Data page) are always left out.")
    return {
        "contacted_within_days": contacted,
        "bought_within_days": bought,
        "exclude_nonpositive_revenue": nonpositive,
        "lapsed_days": lapsed,
    }


def _days_exclusion(cell: DeltaGenerator, label: str, key: str, days: int, help_text: str) -> int | None:
    """A checkbox (on by default) and its number of days; the days, or None when unticked."""
    applied = cell.checkbox(label, value=True, key=f"{key}-on", help=help_text)
    chosen = cell.number_input(
        "Days", min_value=1, max_value=3650, value=days, step=1, key=f"{key}-days", disabled=not applied
    )
    return int(chosen) if applied else None


def _arm_form(name: str, runs: pd.DataFrame) -> Arm:
    """One treatment's costs, relative share and uplift range, pre-filled from its template."""
    template = ARM_TEMPLATES[name]
    cells = st.columns(3)
    cost = cells[0].number_input(
        "Cost per contact", min_value=0.0, value=template.cost_per_contact, step=0.01, key=f"arm-{name}-cost"
    )
    discount = cells[1].number_input(
        "Discount (% of the next order)",
        min_value=0.0,
        max_value=95.0,
        value=_percent(template.discount_share),
        step=1.0,
        format="%.1f",
        key=f"arm-{name}-discount",
    )
    share = cells[2].number_input("Relative share", min_value=0.0, value=1.0, step=0.5, key=f"arm-{name}-share")
    bounds = [
        cell.number_input(
            f"Uplift {bound} (%)",
            0.0,
            100.0,
            _percent(suggested),
            0.5,
            format="%.1f",
            key=f"arm-{name}-{bound}",
            help="Share of would-be churners the treatment keeps, in percent.",
        )
        / 100
        for cell, bound, suggested in zip(st.columns(3), Uplift.KEYS, template.suggested_uplift, strict=True)
    ]
    run = None
    if template.needs_recommendations:
        if not runs.empty:
            run = _run_picker(name, runs)
        else:
            st.caption(
                "No saved recommender run: the export will carry no recommended items. Save one on the Recommenders page."
            )
    return Arm(
        name=name,
        template=name,
        cost_per_contact=cost,
        discount_share=discount / 100,
        uplift=Uplift(*bounds),
        share=share,
        recommender_run=run,
    )


def _run_picker(name: str, runs: pd.DataFrame) -> int | None:
    """The recommender run of arm ``name``: the default run preselected (none when no run is comparable), the
    others offered with their warning shown once picked."""
    labels = dict(zip(runs["run_id"].astype(int), runs["label"], strict=True))
    run = st.selectbox(
        "Recommender run",
        list(labels),
        index=0 if runs["default"].any() else None,
        format_func=labels.get,
        key=f"arm-{name}-run",
        placeholder="No comparable run: pick one (see the warning) or train on the Recommenders page",
        help="Preselected: the run with the highest NDCG@10 among the runs evaluated on the current feedback and "
        "on the split of the newest comparison, discovery and repeat-aware (may list what a customer bought "
        "before) alike. Random lists and out-of-date runs are never preselected and warn when picked.",
    )
    warning = runs.loc[runs["run_id"] == run, "warning"]
    if not warning.empty and isinstance(warning.iloc[0], str):
        st.warning(f"Run #{run}: {warning.iloc[0]}.", icon=":material/warning:")
    return run


def arms_form(runs: pd.DataFrame) -> tuple[Arm, ...]:
    """The chosen treatments, one arm per template (named after it); ``runs`` are the saved recommender runs as
    :func:`retention.recommend.choice.run_options` gives them."""
    st.markdown("**Arms**")
    chosen = st.multiselect(
        "Treatments",
        list(ARM_TEMPLATES),
        default=["discount_email", "recommendations_email"],
        format_func=lambda name: ARM_TEMPLATES[name].label,
        key="arm-templates",
    )
    arms = []
    for name in chosen:
        with st.expander(ARM_TEMPLATES[name].label, expanded=False):
            arms.append(_arm_form(name, runs))
    return tuple(arms)


def targeting_form() -> tuple[Targeting, float, int, DeltaGenerator]:
    """Targeting, the holdout share in [0, 1] and the retention window in days; also the free cell beside the
    window's slider."""
    st.markdown("**Targeting and holdout**")
    cells = st.columns(4)
    strategy = cells[0].selectbox(
        "Strategy", list(STRATEGIES), format_func=lambda name: STRATEGIES[name].label, key="tgt-strategy"
    )
    needs_n = STRATEGIES[strategy].needs_n
    top_n = cells[1].number_input(
        "N (for top-N strategies)", min_value=1, value=500, step=100, key="tgt-n", disabled=not needs_n
    )
    budget = cells[2].number_input("Budget cap (0 = none)", min_value=0.0, value=0.0, step=100.0, key="tgt-budget")
    holdout_percent = cells[3].slider(
        "Holdout (control) share",
        5,
        50,
        10,
        5,
        format="%d%%",
        key="tgt-holdout",
        help="Never contacted: the baseline the arms are measured against.",
    )
    last_row = st.columns(2)
    horizon = last_row[0].slider("Retention window (days after launch)", 7, 120, 30, key="tgt-horizon")
    targeting = Targeting(strategy=strategy, top_n=int(top_n) if needs_n else None, budget=budget or None)
    return targeting, holdout_percent / 100, horizon, last_row[1]


def builder(options: dict[str, list[str]], runs: pd.DataFrame) -> CampaignConfig:
    """The campaign builder's widgets; returns the configuration they describe, checked.

    Raises
    ------
    ConfigError
        The widgets describe no valid campaign (no arm chosen, an uplift's low above its likely value, a budget
        below one contact); the message names the field. Show it with :func:`retention.ui.common.attempt`.
    """
    name = st.text_input("Campaign name", value="Win back at-risk customers", key="campaign-name")
    audience = campaign_handoff.restricted(audience_form(options))
    arms = arms_form(runs)
    targeting, holdout, horizon, beside = targeting_form()
    draws = beside.select_slider(
        "Simulation draws", DRAW_CHOICES, value=10_000, format_func="{:,}".format, key="sim-draws"
    )
    return check_config(
        CampaignConfig(
            name=name.strip(),
            arms=arms,
            audience=audience,
            targeting=targeting,
            holdout_share=holdout,
            horizon_days=horizon,
            draws=draws,
        )
    )
