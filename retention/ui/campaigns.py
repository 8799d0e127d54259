"""Cached data and widget groups of the Campaigns page.

Cached functions key on (warehouse path, data version, campaign state token,
settings as canonical JSON): the state token changes when scores are written
or a campaign is launched, measured or closed, so nothing stale is shown.
Writes (launch, record, close) are plain functions: never cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from retention import campaigns
from retention.campaigns import bandit
from retention.campaigns.config import CampaignConfig, config_to_json, parse_config
from retention.campaigns.simulate import METRIC_LABELS
from retention.campaigns.targeting import STRATEGIES
from retention.campaigns.templates import ARM_TEMPLATES
from retention.errors import RetentionError
from retention.ui.common import cursor, readable

T = TypeVar("T")

_SHORT = {
    "kept": "Kept",
    "incremental_revenue": "Extra revenue",
    "cost": "Cost",
    "net_value": "Net value",
    "roi": "ROI",
}
ARM_COUNT_COLUMNS = {
    "arm": st.column_config.TextColumn("Arm"),
    "label": st.column_config.TextColumn("Treatment"),
    "members": st.column_config.NumberColumn("Members", format="localized"),
    "share": st.column_config.NumberColumn("Planned share", format="percent"),
}
SIMULATION_COLUMNS = {
    "arm": st.column_config.TextColumn("Arm"),
    "members": st.column_config.NumberColumn("Members", format="localized"),
    **{
        f"{metric}_{stat}": st.column_config.NumberColumn(
            f"{_SHORT[metric]} {title}",
            format="%.2f" if metric == "roi" else "%,.0f",
            help=f"{METRIC_LABELS[metric]}: {meaning}",
        )
        for metric in _SHORT
        for stat, title, meaning in (
            ("median", "(median)", "median over the draws"),
            ("low", "low", "5th percentile (low end of the 90% interval)"),
            ("high", "high", "95th percentile (high end of the 90% interval)"),
        )
    },
    "break_even_uplift": st.column_config.NumberColumn(
        "Break-even uplift", format="percent", help="The uplift at which the arm's expected net value is 0"
    ),
}
SIMULATION_ORDER = [
    "arm",
    "members",
    *(f"{metric}_median" for metric in _SHORT),
    "break_even_uplift",
    *(f"{metric}_{stat}" for metric in _SHORT for stat in ("low", "high")),
]
RESULT_COLUMNS = {
    "arm": st.column_config.TextColumn("Arm"),
    "members": st.column_config.NumberColumn("Members", format="localized"),
    "retained": st.column_config.NumberColumn(
        "Retained", format="localized", help="Members with an order in the window"
    ),
    "retention": st.column_config.NumberColumn("Retention", format="percent"),
    "retention_diff": st.column_config.NumberColumn("vs control", format="percent", help="Percentage points"),
    "retention_diff_low": st.column_config.NumberColumn("95% low", format="percent"),
    "retention_diff_high": st.column_config.NumberColumn("95% high", format="percent"),
    "retention_p": st.column_config.NumberColumn("p-value", format="%.4f"),
    "uplift": st.column_config.NumberColumn("Churners kept", format="percent", help="(arm - control) / control churn"),
    "revenue_per_member": st.column_config.NumberColumn("Revenue / member", format="%,.2f"),
    "cost": st.column_config.NumberColumn("Cost", format="%,.0f", help="Contacts x cost + discounts given"),
    "incremental_revenue": st.column_config.NumberColumn("Extra revenue", format="%,.0f"),
    "net_return": st.column_config.NumberColumn("Net return", format="%,.0f"),
    "roi": st.column_config.NumberColumn("ROI", format="%.2f", help="Net return / cost"),
}
LIST_COLUMNS = {
    "campaign_id": st.column_config.NumberColumn("Campaign", format="#%d"),
    "name": st.column_config.TextColumn("Name"),
    "status": st.column_config.TextColumn("Status"),
    "wave": st.column_config.NumberColumn("Wave", format="%d"),
    "parent_id": st.column_config.NumberColumn("Follows", format="#%d", help="The campaign this wave continues"),
    "horizon_days": st.column_config.NumberColumn("Window (days)", format="%d"),
    "scores_as_of": st.column_config.DateColumn("Scores of"),
    "start_ts": st.column_config.DateColumn("Window starts", help="The latest order at launch"),
    "window_end": st.column_config.DateColumn("Window ends"),
    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
    "launched_at": st.column_config.DatetimeColumn("Launched", format="YYYY-MM-DD HH:mm"),
    "members": st.column_config.NumberColumn("Members", format="localized"),
    "contacted": st.column_config.NumberColumn("Contacted", format="localized"),
    "holdout": st.column_config.NumberColumn("Holdout", format="localized"),
}


def state_token() -> str:
    """Changes when scores or campaigns change (not cached: one small query)."""
    with cursor() as con:
        return campaigns.state_token(con)


@st.cache_data(show_spinner=False)
def has_scores(path: str, version: str, token: str) -> bool:
    with cursor() as con:
        return campaigns.has_scores(con)


@st.cache_data(show_spinner=False)
def audience_options(path: str, version: str, token: str) -> dict[str, list[str]]:
    with cursor() as con:
        return campaigns.audience_options(con)


@st.cache_data(show_spinner=False)
def recommender_runs(path: str, version: str, token: str) -> dict[int, str]:
    """Saved recommender runs, id -> label (empty when none is saved)."""
    from retention.recommend import list_runs

    with cursor() as con:
        runs = list_runs(con)
    if runs.empty:
        return {}
    return {int(row.run_id): f"#{int(row.run_id)} {row.model}" for row in runs.itertuples()}


@st.cache_data(show_spinner="Selecting the audience…")
def audience(path: str, version: str, token: str, config_json: str) -> pd.DataFrame:
    config = parse_config(json.loads(config_json))
    with cursor() as con:
        return campaigns.select_audience(con, config.audience)


@st.cache_data(show_spinner=False)
def plan(path: str, version: str, token: str, config_json: str) -> pd.DataFrame:
    config = parse_config(json.loads(config_json))
    return campaigns.plan_members(audience(path, version, token, config_json), config)


@st.cache_data(show_spinner="Simulating…")
def simulation(path: str, version: str, token: str, config_json: str) -> campaigns.Simulation:
    config = parse_config(json.loads(config_json))
    return campaigns.simulate(plan(path, version, token, config_json), config)


@st.cache_data(show_spinner="Comparing targeting strategies…")
def strategy_comparison(path: str, version: str, token: str, config_json: str) -> pd.DataFrame:
    config = parse_config(json.loads(config_json))
    return campaigns.compare_strategies(audience(path, version, token, config_json), config)


@st.cache_data(show_spinner=False)
def campaign_list(path: str, version: str, token: str) -> pd.DataFrame:
    with cursor() as con:
        return campaigns.list_campaigns(con)


@st.cache_data(show_spinner="Measuring…")
def measurement(path: str, version: str, token: str, campaign_id: int) -> campaigns.Measurement:
    with cursor() as con:
        return campaigns.measure(con, campaign_id)


@st.cache_data(show_spinner=False)
def stored_config(path: str, version: str, token: str, campaign_id: int) -> CampaignConfig:
    with cursor() as con:
        return campaigns.campaign_config(con, campaign_id)


@st.cache_data(show_spinner=False)
def next_wave_split(path: str, version: str, token: str, campaign_id: int) -> pd.DataFrame:
    config = stored_config(path, version, token, campaign_id)
    return bandit.thompson_split(
        measurement(path, version, token, campaign_id).table, holdout_share=config.holdout_share
    )


@st.cache_data(show_spinner=False)
def launched_counts(path: str, version: str, token: str, campaign_id: int) -> pd.DataFrame:
    with cursor() as con:
        return campaigns.launched_arm_counts(con, campaign_id)


@st.cache_data(show_spinner="Preparing the exports…")
def exports(path: str, version: str, token: str, campaign_id: int, include_email: bool) -> dict[str, pd.DataFrame]:
    with cursor() as con:
        return campaigns.arm_exports(con, campaign_id, include_email=include_email)


def launch(config: CampaignConfig, draft_id: int | None = None) -> campaigns.LaunchResult:
    """Launch (not cached). The default idempotency key makes a double click launch once."""
    with cursor() as con:
        return campaigns.launch(con, config, draft_id=draft_id)


def save_draft(config: CampaignConfig) -> int:
    with cursor() as con:
        return campaigns.save_draft(con, config)


def record(campaign_id: int, path: str, version: str, token: str) -> bool:
    """Record the measurement and mark the campaign measured; True when done."""
    with cursor() as con:
        campaigns.record(con, measurement(path, version, token, campaign_id))
    return True


def close(campaign_id: int) -> bool:
    """Close the campaign; True when done."""
    with cursor() as con:
        campaigns.close(con, campaign_id)
    return True


def guarded(function: Callable[..., T], *args: object, _info: bool = False, **kwargs: object) -> T | None:
    """Call ``function``; on a :class:`RetentionError` show its message (an error box, or an info box when
    ``_info``) and return None, so the other tabs still render."""
    try:
        return function(*args, **kwargs)
    except RetentionError as exc:
        (st.info if _info else st.error)(readable(str(exc)))
        return None


def _audience_form(options: dict[str, list[str]]) -> dict:
    st.markdown("**Audience**")
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
    top_n = first[1].number_input("Only the N riskiest (0 = all)", min_value=0, value=0, step=100, key="aud-top-n")
    scored = options["scores_as_of"]
    as_of = first[2].selectbox("Scores of", ["latest"] + scored[::-1], key="aud-as-of")
    second = st.columns(3)
    countries = second[0].multiselect("Countries", options["country"], key="aud-countries", placeholder="All")
    channels = second[1].multiselect("Channels", options["channel"], key="aud-channels", placeholder="All")
    cohort = second[2].selectbox("First purchase in", ["any month"] + options["cohort"][::-1], key="aud-cohort")
    value = st.columns(2)
    min_value = value[0].number_input(
        "Past revenue at least (0 = no floor)", min_value=0.0, value=0.0, step=10.0, key="aud-min-value"
    )
    max_value = value[1].number_input(
        "Past revenue at most (0 = no cap)", min_value=0.0, value=0.0, step=10.0, key="aud-max-value"
    )
    return {
        "min_risk": min_risk_percent / 100,
        "top_n": int(top_n) or None,
        "countries": countries,
        "channels": channels,
        "cohort": None if cohort == "any month" else cohort,
        "min_value": min_value or None,
        "max_value": max_value or None,
        "scores_as_of": None if as_of == "latest" else as_of,
    }


def _percent(share: float) -> float:
    """A share in [0, 1] as a percentage for a number input, without float dust (0.07 -> 7.0, not 7.000000000000001)."""
    return round(share * 100, 6)


def _arms_form(runs: dict[int, str]) -> list[dict]:
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
        template = ARM_TEMPLATES[name]
        with st.expander(template.label, expanded=False):
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
            uplift = st.columns(3)
            bounds = {}
            for cell, bound, suggested in zip(
                uplift, ("low", "likely", "high"), template.suggested_uplift, strict=True
            ):
                bounds[bound] = (
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
                )
            arm = {
                "name": name,
                "template": name,
                "cost_per_contact": cost,
                "discount_share": discount / 100,
                "share": share,
                "uplift": bounds,
            }
            if template.needs_recommendations:
                if runs:
                    arm["recommender_run"] = st.selectbox(
                        "Recommender run", list(runs), format_func=runs.get, key=f"arm-{name}-run"
                    )
                else:
                    st.caption(
                        "No saved recommender run: the export will carry no recommended items. Save one on the Recommenders page."
                    )
            arms.append(arm)
    return arms


def _targeting_form() -> tuple[dict, float, int, DeltaGenerator]:
    """Targeting, holdout share and retention window; also the free cell beside the window's slider."""
    st.markdown("**Targeting and holdout**")
    cells = st.columns(4)
    strategy = cells[0].selectbox(
        "Strategy", list(STRATEGIES), format_func=lambda name: STRATEGIES[name].label, key="tgt-strategy"
    )
    top_n = cells[1].number_input(
        "N (for top-N strategies)",
        min_value=1,
        value=500,
        step=100,
        key="tgt-n",
        disabled=not STRATEGIES[strategy].needs_n,
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
    targeting = {
        "strategy": strategy,
        "top_n": int(top_n) if STRATEGIES[strategy].needs_n else None,
        "budget": budget or None,
    }
    return targeting, holdout_percent / 100, horizon, last_row[1]


def builder(options: dict[str, list[str]], runs: dict[int, str]) -> dict:
    """The campaign builder's widgets; returns the configuration in its JSON form (not yet validated)."""
    name = st.text_input("Campaign name", value="Win back at-risk customers", key="campaign-name")
    audience_spec = _audience_form(options)
    arms = _arms_form(runs)
    targeting, holdout, horizon, beside = _targeting_form()
    draws = beside.select_slider(
        "Simulation draws",
        [1_000, 2_000, 5_000, 10_000, 20_000],
        value=10_000,
        format_func="{:,}".format,
        key="sim-draws",
    )
    return {
        "name": name,
        "horizon_days": horizon,
        "holdout_share": holdout,
        "audience": audience_spec,
        "arms": arms,
        "targeting": targeting,
        "simulation": {"draws": draws, "seed": 0},
    }


def config_json(config: CampaignConfig) -> str:
    """Canonical JSON of a validated config: the cache key of everything derived from it."""
    return config_to_json(config)
