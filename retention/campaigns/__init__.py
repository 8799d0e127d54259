"""Campaigns: build an audience, simulate, launch with a holdout, measure, and adapt the next wave.

The public API::

    config = load_config("winback.json")                # or parse_config(dict), check_config(CampaignConfig(...))
    members = plan_members(select_audience(con, config.audience), config)
    result = simulate(members, config)                  # Monte Carlo, per arm and total
    launched = launch(con, config, idempotency_key="k") # one transaction; same key -> same campaign
    write_exports(con, launched.campaign_id, "out/", preset="klaviyo")  # one CSV per treated arm, never the control
    measurement = measure(con, launched.campaign_id)    # each arm vs control, 95% intervals
    split = thompson_split(measurement.table)           # Beta posteriors -> next wave's shares
"""

from retention.campaigns.assign import assign_arms, assignment_keys
from retention.campaigns.audience import (
    OVERLAP_WARNING,
    allowing_overlap,
    describe_overlap,
    has_scores,
    open_overlap,
    overlap_by_campaign,
    select_audience,
)
from retention.campaigns.audience import describe_scoring as audience_scoring
from retention.campaigns.audience import options as audience_options
from retention.campaigns.audience import summary as audience_summary
from retention.campaigns.bandit import next_wave_config, posteriors, thompson_split
from retention.campaigns.config import (
    CONTROL,
    Arm,
    Audience,
    CampaignConfig,
    ConfigError,
    Targeting,
    Uplift,
    check_config,
    config_to_dict,
    config_to_json,
    load_config,
    parse_config,
)
from retention.campaigns.exports import arm_exports, write_exports
from retention.campaigns.launch import (
    LaunchResult,
    campaign_config,
    close,
    get_campaign,
    launch,
    launched_arm_counts,
    list_campaigns,
    save_draft,
)
from retention.campaigns.measure import Measurement, measure, record, recordable
from retention.campaigns.plan import arm_counts, candidates, plan_members
from retention.campaigns.presets import PRESETS as EXPORT_PRESETS
from retention.campaigns.simulate import Simulation, simulate, summary_table
from retention.campaigns.strategies import compare_strategies
from retention.campaigns.targeting import STRATEGIES
from retention.campaigns.templates import ARM_TEMPLATES

__all__ = [
    "ARM_TEMPLATES",
    "CONTROL",
    "EXPORT_PRESETS",
    "OVERLAP_WARNING",
    "STRATEGIES",
    "Arm",
    "Audience",
    "CampaignConfig",
    "ConfigError",
    "LaunchResult",
    "Measurement",
    "Simulation",
    "Targeting",
    "Uplift",
    "allowing_overlap",
    "arm_counts",
    "arm_exports",
    "assign_arms",
    "assignment_keys",
    "audience_options",
    "audience_scoring",
    "audience_summary",
    "campaign_config",
    "candidates",
    "check_config",
    "close",
    "compare_strategies",
    "config_to_dict",
    "config_to_json",
    "describe_overlap",
    "get_campaign",
    "has_scores",
    "launch",
    "launched_arm_counts",
    "list_campaigns",
    "load_config",
    "measure",
    "next_wave_config",
    "open_overlap",
    "overlap_by_campaign",
    "parse_config",
    "plan_members",
    "posteriors",
    "record",
    "recordable",
    "save_draft",
    "select_audience",
    "simulate",
    "summary_table",
    "thompson_split",
    "write_exports",
]
