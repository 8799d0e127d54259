"""What a launched campaign was: its audience, arms, holdout and exclusions as stored at launch.

A campaign's files can be downloaded again at any time, from any browser session: its members, arms, offer codes
and recommended items were fixed at launch (:mod:`retention.campaigns.launch`), so the files are the same every
time. This module says which campaigns have files and describes one of them for the page that offers them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import warehouse
from retention.campaigns import plan
from retention.campaigns.launch import campaign_config
from retention.errors import DataError

WITH_FILES = ("launched", "measured", "closed")


@dataclass(frozen=True)
class LaunchedCampaign:
    """A launched campaign as stored.

    ``members``: everyone in it, holdout included; ``holdout``: members never contacted; ``holdout_share``: the
    planned share in [0, 1]; ``arms``: :func:`retention.campaigns.plan.arm_counts`' columns (``arm``, ``label``,
    ``members``, ``share``), control first; ``exclusions``: the JSON text stored at launch (exclusion ->
    customers it removed), None for a campaign launched before exclusions were recorded.
    """

    campaign_id: int
    name: str
    status: str
    launched_at: pd.Timestamp | None
    start_ts: pd.Timestamp
    horizon_days: int
    members: int
    holdout: int
    holdout_share: float
    arms: pd.DataFrame
    exclusions: str | None

    @property
    def contacted(self) -> int:
        return self.members - self.holdout

    @property
    def exclusion_counts(self) -> dict[str, int]:
        """The stored exclusions as a mapping, empty when none were recorded."""
        return {str(name): int(count) for name, count in json.loads(self.exclusions or "{}").items()}


def with_files(listing: pd.DataFrame) -> pd.DataFrame:
    """The campaigns of ``listing`` (:func:`retention.campaigns.list_campaigns`, newest first) that have files:
    launched, measured or closed. Same columns and order."""
    return listing[listing["status"].isin(WITH_FILES)]


def newest_launched(listing: pd.DataFrame) -> int | None:
    """The campaign whose files are offered first: the newest still launched (being measured), else the newest
    with files; None when no campaign was launched. ``listing`` as in :func:`with_files`."""
    launched = with_files(listing)
    if launched.empty:
        return None
    running = launched[launched["status"] == "launched"]
    chosen = running if not running.empty else launched
    return int(chosen.sort_values("campaign_id", ascending=False)["campaign_id"].iloc[0])


def describe(con: duckdb.DuckDBPyConnection, campaign_id: int) -> LaunchedCampaign:
    """The launched campaign ``campaign_id`` as stored (see :class:`LaunchedCampaign`).

    Raises
    ------
    DataError
        Unknown id, or the campaign is a draft (it has no members, so no files).
    """
    row = warehouse.query(con, "campaign_launched", {"campaign_id": int(campaign_id)})
    if row.empty:
        raise DataError(f"no campaign with id {campaign_id}")
    stored = row.iloc[0]
    if stored["status"] not in WITH_FILES:
        raise DataError(f"campaign {campaign_id} is a {stored['status']}: launch it first, then its files are here")
    config = campaign_config(con, campaign_id)
    members = warehouse.query(con, "campaign_members", {"campaign_id": int(campaign_id)})
    return LaunchedCampaign(
        campaign_id=int(campaign_id),
        name=str(stored["name"]),
        status=str(stored["status"]),
        launched_at=None if pd.isna(stored["launched_at"]) else pd.Timestamp(stored["launched_at"]),
        start_ts=pd.Timestamp(stored["start_ts"]),
        horizon_days=int(stored["horizon_days"]),
        members=int(stored["members"]),
        holdout=int(stored["holdout"]),
        holdout_share=config.holdout_share,
        arms=plan.arm_counts(members, config),
        exclusions=None if pd.isna(stored["exclusions"]) else str(stored["exclusions"]),
    )


def summary(campaign: LaunchedCampaign) -> str:
    """One sentence for the page: "Campaign #3 "Win back" (launched 2026-11-20): 1,204 members in 2 arms, 121
    (10% planned) held out and never contacted." (Markdown-free text; the name as stored.)"""
    when = f"launched {campaign.launched_at:%Y-%m-%d}" if campaign.launched_at is not None else campaign.status
    arms = len(campaign.arms) - 1
    return (
        f'Campaign #{campaign.campaign_id} "{campaign.name}" ({when}, now {campaign.status}): '
        f"{campaign.members:,} members in {arms} arm{'s' if arms != 1 else ''}, {campaign.holdout:,} "
        f"({campaign.holdout_share:.0%} planned) held out and never contacted."
    )
