"""Campaigns: build an audience and arms, simulate, launch with a holdout, measure, and adapt the next wave."""

import pandas as pd
import streamlit as st

from retention.campaigns import (
    OVERLAP_WARNING,
    CampaignConfig,
    LaunchResult,
    allowing_overlap,
    audience_scoring,
    describe_overlap,
    overlap_by_campaign,
    summary_table,
)
from retention.campaigns.audience import NEEDS_SCORES, applied_exclusions
from retention.campaigns.audience import for_download as audience_for_download
from retention.campaigns.launched import newest_launched, summary, with_files
from retention.campaigns.plan import arm_labels, launch_question
from retention.charts import campaigns as charts
from retention.ui import campaign_audience, campaign_files, common
from retention.ui import campaign_forms as forms
from retention.ui import campaigns as cached

common.page_header(
    "Campaigns",
    "Pick who to target and with what, see what it will likely return, launch it with a holdout, and learn what it really did.",
)
path = common.db_path()
version = common.attempt(common.data_version)
if version is None:
    st.stop()


PENDING = "launch-pending"  # the configuration waiting for "Confirm launch"
FILES_PICKER = "files-campaign"
FILES_NEXT = "files-campaign-next"


def remember_launch(result: LaunchResult) -> None:
    """Keep the launched campaign for the Launch tab's files (and pick it there), then rerun so every tab sees it."""
    st.session_state["launched"] = (result.campaign_id, result.created)
    st.session_state[FILES_NEXT] = result.campaign_id  # picked on the next run, before the picker exists
    st.session_state.pop(PENDING, None)
    st.rerun()


def build_and_simulate() -> CampaignConfig | None:
    """The builder, its audience, members per arm and the simulation; the config when it has members."""
    if not cached.has_scores(path, version):
        st.info(NEEDS_SCORES)
        return None
    config = common.attempt(
        forms.builder, cached.audience_options(path, version), cached.recommender_runs(path, version)
    )
    if config is None:
        return None
    audience = common.attempt(cached.audience, path, version, config.audience)
    if audience is None:
        return None
    if audience.empty:
        config = overlap_override(config)
        if config is None:
            return None
        audience = common.attempt(cached.audience, path, version, config.audience)
        if audience is None:
            return None
    numbers = cached.audience_summary(path, version, config.audience)
    tiles = st.columns(4)
    tiles[0].metric("Customers in audience", f"{numbers['customers']:,}")
    tiles[1].metric(
        "Net revenue, 12 months",
        f"{numbers['past_revenue']:,.0f}",
        help="The audience's net revenue in the 12 months up to the scores' date, returns and cancellations subtracted",
    )
    tiles[2].metric("Mean churn risk", f"{numbers['mean_risk']:.1%}" if numbers["customers"] else "–")
    tiles[3].metric("Expected churners", f"{numbers['expected_churners']:,.0f}")
    campaign_audience.exclusions_table(path, version, config.audience)
    if not audience.empty:
        st.caption(f"{audience_scoring(audience)}; the download names it in its columns.")
        campaign_audience.preview(audience, config.audience)
    common.download_csv(
        lambda: audience_for_download(audience), "campaign_audience.csv", "Download the audience", key="dl-audience"
    )
    counts = common.attempt(cached.arm_counts, path, version, config)
    if counts is None:
        return None
    st.subheader("Members per arm")
    st.dataframe(counts, hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
    st.subheader("Simulated outcome")
    # The simulation runs as a job of the server: until its result is there, this shows its progress (or error).
    simulated = common.attempt(cached.simulation_or_progress, path, version, config)
    if simulated is None:
        return config
    st.caption(
        f"{config.draws:,} Monte Carlo draws over each member's churn risk and each arm's uplift range: medians with 90% intervals. "
        "Break-even uplift: the uplift at which the arm's expected net value is 0."
    )
    summary = summary_table(simulated.simulation)
    st.dataframe(
        summary,
        hide_index=True,
        column_config=cached.SIMULATION_COLUMNS,
        column_order=cached.SIMULATION_ORDER,
        placeholder="–",
    )
    common.download_csv(summary, "campaign_simulation.csv", "Download the simulation", key="dl-simulation")
    charts_row = st.columns(2)
    charts_row[0].plotly_chart(
        charts.arm_outcomes(simulated.simulation.summary, labels=arm_labels(config)), width="stretch"
    )
    charts_row[1].plotly_chart(charts.net_value_distribution(simulated.simulation.draws), width="stretch")
    st.subheader("Targeting strategies compared")
    st.caption("Each strategy simulated at several campaign sizes (1,000 draws each): where does net value peak?")
    st.plotly_chart(charts.strategy_comparison(simulated.comparison), width="stretch")
    common.download_csv(simulated.comparison, "campaign_strategies.csv", "Download the comparison", key="dl-strategies")
    return config


def overlap_override(config: CampaignConfig) -> CampaignConfig | None:
    """When the filters match only members of campaigns still being measured, say so and offer to take them anyway
    (with the warning); the config allowing the overlap once the box is ticked, else None (nothing to build)."""
    overlap = common.attempt(cached.open_overlap, path, version, config.audience)
    if overlap is None or overlap.empty:
        return config
    note = common.plain(describe_overlap(overlap))
    st.error(
        "The audience is empty: members of campaigns still being measured are left out, so as not to spoil "
        f"those measurements ({note})."
    )
    allow = st.checkbox(
        "Take them anyway (spoils those measurements)",
        key="build-overlap",
        help="Contacting another campaign's holdout spoils its measurement; the launch records that it overlapped.",
    )
    if not allow:
        return None
    st.warning(f"{common.plain(OVERLAP_WARNING)} {note}.")
    return allowing_overlap(config)


def launched_note() -> None:
    """Say, before the launch form, that campaigns were launched and where their files are, so a new session
    does not look as if nothing had been launched."""
    newest = newest_launched(cached.campaign_list(path, version))
    if newest is None or st.session_state.get("launched"):
        return
    described = common.attempt(cached.launched_campaign, path, version, newest)
    if described is not None:
        st.info(
            f"{common.plain(summary(described))} Its files are below, under **Files of a launched campaign**; "
            "the form here starts a new campaign.",
            icon=":material/campaign:",
        )


def launch_section(config: CampaignConfig | None) -> None:
    """Review and launch (or save) the built campaign: "Launch campaign…" opens a confirmation of the audience
    size, arms and holdout; only "Confirm launch" writes."""
    if config is None:
        st.session_state.pop(PENDING, None)
        if st.session_state.get("launched"):
            st.info(
                "The campaign below is launched: its members are now being measured, so the builder's audience "
                "leaves them out. Build the next campaign on the first tab."
            )
        else:
            st.info("Build a valid campaign on the first tab: its audience, arms and simulation appear there first.")
        return
    overlap = common.attempt(cached.open_overlap, path, version, config.audience)
    if overlap is None:
        return
    # Allowed on the Build tab already (its audience was empty without them): no second box to untick it here.
    allow = config.audience.allow_overlap or st.checkbox(
        "Also take customers who are in campaigns still being measured",
        key="launch-overlap",
        help="Left out by default: contacting another campaign's holdout spoils its measurement.",
    )
    config = allowing_overlap(config, allow)
    if not overlap.empty:
        note = common.plain(describe_overlap(overlap))
        if allow:
            st.warning(f"{common.plain(OVERLAP_WARNING)} {note}.")
        else:
            st.info(f"{note}. They are left out of this launch, so as not to spoil those measurements.")
        st.dataframe(overlap_by_campaign(overlap), hide_index=True, column_config=cached.OVERLAP_COLUMNS)
    members = common.attempt(cached.plan, path, version, config)
    if members is None:
        return
    counts = cached.arm_counts(path, version, config)
    st.markdown(
        f"**{common.plain(config.name)}**: {len(members):,} members, "
        f"{config.holdout_share:.0%} held out and never contacted."
    )
    st.dataframe(counts, hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
    if st.session_state.get(PENDING) not in (None, config):
        st.session_state.pop(PENDING)  # the campaign changed since "Launch campaign…": confirm it afresh
    if st.session_state.get(PENDING) == config:
        confirm_launch(config, counts)
        return
    buttons = st.columns(2)
    if buttons[0].button("Launch campaign…", type="primary", key="launch"):
        st.session_state[PENDING] = config
        st.rerun()
    if buttons[1].button("Save as draft", key="save-draft"):
        draft_id = common.attempt(cached.save_draft, config)
        if draft_id is not None:
            st.session_state["launched"] = None
            st.success(f"Saved draft campaign {draft_id}; launch it from the Results tab.")
    st.caption("Launching the same configuration on the same scores again returns the campaign already launched.")


def confirm_launch(config: CampaignConfig, counts: pd.DataFrame) -> None:
    """The confirmation panel: what is about to be written (``counts``: members per arm), then "Confirm launch"
    or "Cancel"."""
    with st.container(border=True, key="launch-confirmation"):
        st.markdown(f"**{common.plain(launch_question(config, counts))}**")
        st.dataframe(counts[["label", "members", "share"]], hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
        buttons = st.columns(2)
        if buttons[0].button("Confirm launch", type="primary", key="launch-confirm"):
            result = common.attempt(cached.launch, config)
            if result is not None:
                remember_launch(result)
        if buttons[1].button("Cancel", key="launch-cancel"):
            st.session_state.pop(PENDING, None)
            st.rerun()


def launched_exports() -> None:
    """Files of a launched campaign: any launched, measured or closed campaign's description and per-arm files,
    in this session or any later one (the newest still being measured first, or the one just launched)."""
    st.divider()
    st.subheader("Files of a launched campaign")
    listing = cached.campaign_list(path, version)
    choices = with_files(listing)
    if choices.empty:
        st.caption("No campaign launched yet: once one is, its files are here, in this session and any later one.")
        return
    just_launched = st.session_state.get("launched")
    if just_launched:
        campaign_id, created = just_launched
        if created:
            st.success(f"Launched campaign {campaign_id}.")
        else:
            st.info(f"This campaign was already launched as campaign {campaign_id}; nothing new was written.")
    names = cached.campaign_labels(choices)
    if FILES_NEXT in st.session_state:
        st.session_state[FILES_PICKER] = st.session_state.pop(FILES_NEXT)
    if st.session_state.get(FILES_PICKER) not in names:
        st.session_state[FILES_PICKER] = newest_launched(listing)
    chosen = st.selectbox("Campaign", list(names), format_func=lambda i: f"#{i} {names[i]}", key=FILES_PICKER)
    described = common.attempt(cached.launched_campaign, path, version, chosen)
    if described is None:
        return
    st.markdown(common.plain(summary(described)))
    st.dataframe(described.arms, hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
    if described.exclusion_counts:
        st.caption("Left out at launch, by exclusion:")
        labels = applied_exclusions(cached.stored_config(path, version, chosen).audience)
        st.dataframe(
            {
                "Left out": [labels.get(name, name) for name in described.exclusion_counts],
                "Customers": list(described.exclusion_counts.values()),
            },
            hide_index=True,
        )
    campaign_files.arm_files(path, version, chosen, key="files")


def campaign_listing() -> None:
    """Every campaign with its status."""
    listing = cached.campaign_list(path, version)
    if listing.empty:
        st.info("No campaigns yet. Build one on the first tab and launch it.")
        return
    st.dataframe(listing, hide_index=True, column_config=cached.LIST_COLUMNS, placeholder="–")
    common.download_csv(listing, "campaigns.csv", "Download the list", key="dl-campaigns")


def results() -> None:
    """One campaign's measurement against its holdout, the next wave's split, and the record / close actions."""
    listing = cached.campaign_list(path, version)
    if listing.empty:
        st.info("No campaigns to measure yet.")
        return
    if st.session_state.get("launched"):
        st.success(f"Campaign {st.session_state['launched'][0]} is launched: its exports are on the Launch tab.")
    names = cached.campaign_labels(listing)
    chosen = st.selectbox("Campaign", list(names), format_func=lambda i: f"#{i} {names[i]}", key="results-campaign")
    status = cached.campaign_status(listing, chosen)
    if status == "draft":
        st.info("This campaign is a draft: it has no members yet.")
        if st.button("Launch this draft", key="launch-draft"):
            launched_draft = common.attempt(cached.launch_draft, path, version, chosen)
            if launched_draft is not None:
                remember_launch(launched_draft)
        return
    measured = common.attempt(cached.measurement, path, version, chosen, empty_state=True)
    if measured is None:
        return
    labels = cached.arm_labels(path, version, chosen)
    table = cached.results_table(path, version, chosen)
    tiles = st.columns(4)
    tiles[0].metric("Window starts", f"{measured.start_ts:%Y-%m-%d}", help="The latest order at launch.")
    tiles[1].metric("Window ends", f"{measured.window_end:%Y-%m-%d}")
    tiles[2].metric("Orders seen up to", f"{measured.through:%Y-%m-%d}")
    tiles[3].metric("Days observed", f"{measured.observed_days:.0f}")
    if not measured.complete:
        st.warning("The retention window is not over yet: these numbers will still move.")
    st.dataframe(
        table,
        hide_index=True,
        column_config=cached.RESULT_COLUMNS,
        column_order=list(cached.RESULT_COLUMNS),
        placeholder="–",
    )
    st.caption(
        "The download holds every column, the arms' ids and orders and revenue differences with their intervals "
        "included. Each p-value comes from the same standard error as its interval: below 0.05 exactly when the "
        "95% interval excludes 0."
    )
    common.download_csv(table, f"campaign_{chosen}_results.csv", "Download the results", key="dl-results")
    st.plotly_chart(charts.arm_differences(measured.table, labels), width="stretch")

    st.subheader("Next wave")
    st.plotly_chart(charts.posterior_curves(cached.posteriors(path, version, chosen), labels=labels), width="stretch")
    st.caption(
        "How plausible each retention rate is for each arm after what was observed: the narrower the curve, "
        "the surer. The next wave sends more members to the arms likely to be best."
    )
    split = cached.next_wave_split(path, version, chosen)
    st.markdown("\n".join(f"- **{common.plain(row.label)}**: {row.reasoning}" for row in split.itertuples()))
    edited = st.data_editor(
        split[["label", "share", "arm"]],
        disabled=["label", "arm"],
        hide_index=True,
        key="wave-split",
        column_config=cached.WAVE_SPLIT_COLUMNS,
    )
    actions = st.columns(3)
    if actions[0].button("Launch next wave", key="next-wave", disabled=status == "closed"):
        shares = dict(zip(edited["arm"], edited["share"], strict=True))
        launched_wave = common.attempt(cached.launch_next_wave, path, version, chosen, shares)
        if launched_wave is not None:
            remember_launch(launched_wave)
    if actions[1].button(
        "Record results", key="record", disabled=not cached.recordable(path, version, chosen, status)
    ) and common.attempt(cached.record, path, version, chosen):
        st.rerun()
    if actions[2].button("Close campaign", key="close", disabled=status == "closed") and common.attempt(
        cached.close, chosen
    ):
        st.rerun()


build_tab, launch_tab, list_tab, results_tab = st.tabs(["Build & simulate", "Launch", "Campaigns", "Results"])
with build_tab:
    built = build_and_simulate()
with launch_tab:
    launched_note()
    launch_section(built)
    launched_exports()
with list_tab:
    campaign_listing()
with results_tab:
    results()
