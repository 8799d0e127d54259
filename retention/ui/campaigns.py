"""Cached reads, write actions and table columns of the Campaigns page (the builder's widgets are in
:mod:`retention.ui.campaign_forms`).

Cached functions key on ``(warehouse path, data version, ...)`` and the
settings as their own frozen dataclasses (a :class:`CampaignConfig`, an
:class:`Audience`): the data version changes with every import, scoring run,
recommender run and campaign change (its status and recorded results
included), so nothing stale is shown. Cached functions only read. The simulation runs as a job of the server
(:mod:`retention.campaigns.simulation_job`): its row keeps the result for every session. Writes
(launch, save a draft, record, close) are plain functions, never cached; they
raise a :class:`~retention.errors.RetentionError` that the page shows through
:func:`retention.ui.common.attempt`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import campaigns, jobs
from retention.campaigns import Audience, CampaignConfig, bandit, launched, simulation_job
from retention.campaigns import plan as planning
from retention.campaigns.simulate import METRIC_LABELS
from retention.ui import jobs as ui_jobs
from retention.ui.common import cursor, writer

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
    "label": st.column_config.TextColumn("Arm"),
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
    "overlap_allowed": st.column_config.CheckboxColumn(
        "Overlap allowed", help="Launched with members of campaigns still being measured taken in"
    ),
    "excluded_open": st.column_config.NumberColumn(
        "Left out", format="localized", help="Customers left out: members of campaigns still being measured"
    ),
    "open_overlap": st.column_config.NumberColumn(
        "Overlapping", format="localized", help="Members who were also in campaigns still being measured"
    ),
}
OVERLAP_COLUMNS = {
    "campaign_id": st.column_config.NumberColumn("Campaign", format="#%d"),
    "name": st.column_config.TextColumn("Name"),
    "window_end": st.column_config.DateColumn("Measured until"),
    "customers": st.column_config.NumberColumn("Customers", format="localized"),
    "holdout": st.column_config.NumberColumn("In its holdout", format="localized"),
}


WAVE_SPLIT_COLUMNS = {
    "arm": st.column_config.TextColumn("Arm id"),
    "label": st.column_config.TextColumn("Arm"),
    "share": st.column_config.NumberColumn("Proposed share", min_value=0.0, max_value=1.0, format="%.3f"),
}


@st.cache_data(show_spinner=False)
def has_scores(path: str, version: str) -> bool:
    """Whether the warehouse holds churn scores (the audience is chosen by them)."""
    with cursor() as con:
        return campaigns.has_scores(con)


@st.cache_data(show_spinner=False)
def audience_options(path: str, version: str) -> dict[str, list[str]]:
    """The values each audience filter can take: ``country``, ``channel``, ``cohort`` ("YYYY-MM"),
    ``scores_as_of`` ("YYYY-MM-DD"), each a list of text, ascending."""
    with cursor() as con:
        return campaigns.audience_options(con)


@st.cache_data(show_spinner=False)
def recommender_runs(path: str, version: str) -> pd.DataFrame:
    """Saved recommender runs as choices for an arm, the default first: see
    :func:`retention.recommend.choice.run_options` (empty when none is saved)."""
    from retention.recommend.choice import run_options

    with cursor() as con:
        return run_options(con)


@st.cache_data(show_spinner="Selecting the audience…")
def audience(path: str, version: str, spec: Audience) -> pd.DataFrame:
    """The customers ``spec`` selects, with their risk and value: see :func:`retention.campaigns.select_audience`."""
    with cursor() as con:
        return campaigns.select_audience(con, spec)


@st.cache_data(show_spinner=False)
def open_overlap(path: str, version: str, spec: Audience) -> pd.DataFrame:
    """Customers of the audience who are members of campaigns still being measured: see
    :func:`retention.campaigns.open_overlap`."""
    with cursor() as con:
        return campaigns.open_overlap(con, spec)


@st.cache_data(show_spinner=False)
def audience_summary(path: str, version: str, spec: Audience) -> dict[str, float]:
    """``customers``, ``past_revenue`` (currency), ``mean_risk`` (in [0, 1], NaN when empty) and
    ``expected_churners`` of the audience."""
    return campaigns.audience_summary(audience(path, version, spec))


@st.cache_data(show_spinner=False)
def plan(path: str, version: str, config: CampaignConfig) -> pd.DataFrame:
    """The members ``config`` would launch with (targeting and arms applied): see
    :func:`retention.campaigns.plan_members`."""
    return campaigns.plan_members(audience(path, version, config.audience), config)


@st.cache_data(show_spinner=False)
def arm_counts(path: str, version: str, config: CampaignConfig) -> pd.DataFrame:
    """Planned members per arm: ``arm``, ``label``, ``members`` (int), ``share`` (in [0, 1])."""
    return campaigns.arm_counts(plan(path, version, config), config)


def start_simulation(path: str, version: str, config: CampaignConfig) -> jobs.Job:
    """Start the job that simulates ``config`` on the data at ``version`` (see
    :func:`retention.campaigns.simulation_job.run_simulation`), or find the one already running. Returns its row."""

    def work(progress: jobs.Progress) -> simulation_job.SimulationRun:
        return simulation_job.run_simulation(path, config, progress)

    params = simulation_job.job_params(config, version)
    return jobs.start(path, simulation_job.KIND, params, work, started_by="app", describe=simulation_job.job_result)


@st.cache_data(show_spinner=False, max_entries=16)
def finished_simulation(path: str, job_id: int) -> simulation_job.SimulationRun:
    """The simulation the finished job ``job_id`` recorded (a finished job's row never changes)."""
    return simulation_job.from_result(ui_jobs.job(job_id).result)


def simulation_or_progress(path: str, version: str, config: CampaignConfig) -> simulation_job.SimulationRun | None:
    """The simulation of ``config`` at the data ``version`` when a job has run it; else None, having shown the job
    that runs it (started here when none ran for these settings) or the error of the last one, with a button to
    simulate again. Every session finds the same job and, once done, its saved result.

    Raises ``RetentionError`` when the job cannot be started or read.
    """
    ui_jobs.server_started()
    with cursor() as con:
        job = jobs.latest(con, simulation_job.KIND, simulation_job.job_params(config, version))
    if job is None:
        job = start_simulation(path, version, config)
    if not ui_jobs.done_or_shown(
        job, again="Simulate again", key="simulate-again", restart=lambda: start_simulation(path, version, config)
    ):
        return None
    return finished_simulation(path, job.job_id)


@st.cache_data(show_spinner=False)
def campaign_list(path: str, version: str) -> pd.DataFrame:
    """Every campaign, newest first: the columns of :data:`LIST_COLUMNS`."""
    with cursor() as con:
        return campaigns.list_campaigns(con)


def campaign_labels(listing: pd.DataFrame) -> dict[int, str]:
    """Campaign id -> "name (status)" for a picker, in the order of ``listing``."""
    return {
        int(row.campaign_id): f"{row.name} ({row.status})"
        for row in listing[["campaign_id", "name", "status"]].itertuples()
    }


def campaign_status(listing: pd.DataFrame, campaign_id: int) -> str:
    """The status (draft / launched / measured / closed) of one campaign of ``listing``."""
    return str(listing.loc[listing["campaign_id"] == campaign_id, "status"].iloc[0])


@st.cache_data(show_spinner="Measuring…")
def measurement(path: str, version: str, campaign_id: int) -> campaigns.Measurement:
    """Each arm against the control so far: see :func:`retention.campaigns.measure`."""
    with cursor() as con:
        return campaigns.measure(con, campaign_id)


@st.cache_data(show_spinner=False)
def arm_labels(path: str, version: str, campaign_id: int) -> dict[str, str]:
    """Arm id -> what charts and tables show for it: see :func:`retention.campaigns.plan.arm_labels`."""
    return planning.arm_labels(stored_config(path, version, campaign_id))


@st.cache_data(show_spinner=False)
def results_table(path: str, version: str, campaign_id: int) -> pd.DataFrame:
    """The measurement's table (see :func:`retention.campaigns.measure`) with each arm's ``label`` after its id."""
    return planning.labelled(measurement(path, version, campaign_id).table, stored_config(path, version, campaign_id))


@st.cache_data(show_spinner=False)
def launched_campaign(path: str, version: str, campaign_id: int) -> launched.LaunchedCampaign:
    """A launched campaign as stored: see :func:`retention.campaigns.launched.describe`."""
    with cursor() as con:
        return launched.describe(con, campaign_id)


@st.cache_data(show_spinner=False)
def posteriors(path: str, version: str, campaign_id: int) -> pd.DataFrame:
    """Beta posterior of each arm's retention: see :func:`retention.campaigns.posteriors`."""
    return campaigns.posteriors(measurement(path, version, campaign_id).table)


@st.cache_data(show_spinner=False)
def stored_config(path: str, version: str, campaign_id: int) -> CampaignConfig:
    """The configuration a campaign was saved or launched with."""
    with cursor() as con:
        return campaigns.campaign_config(con, campaign_id)


@st.cache_data(show_spinner=False)
def next_wave_split(path: str, version: str, campaign_id: int) -> pd.DataFrame:
    """The Thompson-sampling split of the next wave: ``arm``, ``label`` (see
    :func:`retention.campaigns.plan.arm_labels`), ``share`` (of all members) and ``reasoning``."""
    config = stored_config(path, version, campaign_id)
    split = bandit.thompson_split(measurement(path, version, campaign_id).table, holdout_share=config.holdout_share)
    return planning.labelled(split, config)


@st.cache_data(show_spinner="Preparing the exports…")
def exports(
    path: str, version: str, campaign_id: int, include_contact: bool, preset: str = "plain"
) -> dict[str, pd.DataFrame]:
    """One contact list per treated arm (never the control) in the layout of ``preset``: see
    :func:`retention.campaigns.arm_exports`."""
    with cursor() as con:
        return campaigns.arm_exports(con, campaign_id, preset=preset, include_contact=include_contact)


def recordable(path: str, version: str, campaign_id: int, status: str) -> bool:
    """Whether the campaign's results can be recorded now: see :func:`retention.campaigns.recordable`."""
    return campaigns.recordable(measurement(path, version, campaign_id), status)


def launch(config: CampaignConfig, draft_id: int | None = None) -> campaigns.LaunchResult:
    """Launch (not cached). The default idempotency key makes a double click launch once."""
    with writer() as con:
        return campaigns.launch(con, config, draft_id=draft_id)


def launch_draft(path: str, version: str, campaign_id: int) -> campaigns.LaunchResult:
    """Launch the draft ``campaign_id`` with its stored configuration (not cached)."""
    return launch(stored_config(path, version, campaign_id), draft_id=campaign_id)


def launch_next_wave(path: str, version: str, campaign_id: int, split: dict[str, float]) -> campaigns.LaunchResult:
    """Launch the wave after ``campaign_id`` with ``split`` (``"control"`` and arm names -> shares; not cached)."""
    wave = campaigns.next_wave_config(stored_config(path, version, campaign_id), campaign_id, split)
    return launch(wave)


def save_draft(config: CampaignConfig) -> int:
    """Store ``config`` as a draft campaign (not cached); returns its id."""
    with writer() as con:
        return campaigns.save_draft(con, config)


def record(path: str, version: str, campaign_id: int) -> bool:
    """Record the measurement and mark the campaign measured (not cached); True when done."""
    measured = measurement(path, version, campaign_id)
    with writer() as con:
        campaigns.record(con, measured)
    return True


def close(campaign_id: int) -> bool:
    """Close the campaign (not cached); True when done."""
    with writer() as con:
        campaigns.close(con, campaign_id)
    return True
