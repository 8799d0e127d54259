"""Campaigns: build an audience and arms, simulate, launch with a holdout, measure, and adapt the next wave."""

import streamlit as st

from retention import campaigns
from retention.campaigns.audience import NEEDS_SCORES
from retention.charts import campaigns as charts
from retention.ui import campaigns as cached
from retention.ui import common

common.page_header(
    "Campaigns",
    "Pick who to target and with what, see what it will likely return, launch it with a holdout, and learn what it really did.",
)
path = common.db_path()
with common.show_errors():
    version = common.data_version()
    token = cached.state_token()

build_tab, launch_tab, list_tab, results_tab = st.tabs(["Build & simulate", "Launch", "Campaigns", "Results"])

config = members = None
with build_tab:
    if not cached.has_scores(path, version, token):
        st.info(NEEDS_SCORES)
    else:
        draft = cached.builder(
            cached.audience_options(path, version, token), cached.recommender_runs(path, version, token)
        )
        config = cached.guarded(campaigns.parse_config, draft)
    if config is not None:
        key = cached.config_json(config)
        audience = cached.guarded(cached.audience, path, version, token, key)
        if audience is not None:
            numbers = campaigns.audience_summary(audience)
            tiles = st.columns(4)
            tiles[0].metric("Customers in audience", f"{numbers['customers']:,}")
            tiles[1].metric("Past revenue", f"{numbers['past_revenue']:,.0f}")
            tiles[2].metric("Mean churn risk", f"{numbers['mean_risk']:.1%}" if numbers["customers"] else "–")
            tiles[3].metric("Expected churners", f"{numbers['expected_churners']:,.0f}")
            common.download_csv(audience, "campaign_audience.csv", "Download the audience", key="dl-audience")
            members = cached.guarded(cached.plan, path, version, token, key)
    if members is not None:
        st.subheader("Members per arm")
        st.dataframe(campaigns.arm_counts(members, config), hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
        simulation = cached.simulation(path, version, token, key)
        st.subheader("Simulated outcome")
        st.caption(
            f"{config.draws:,} Monte Carlo draws over each member's churn risk and each arm's uplift range: medians with 90% intervals. "
            "Break-even uplift: the uplift at which the arm's expected net value is 0."
        )
        summary = campaigns.summary_table(simulation)
        st.dataframe(
            summary,
            hide_index=True,
            column_config=cached.SIMULATION_COLUMNS,
            column_order=cached.SIMULATION_ORDER,
            placeholder="–",
        )
        common.download_csv(summary, "campaign_simulation.csv", "Download the simulation", key="dl-simulation")
        charts_row = st.columns(2)
        charts_row[0].plotly_chart(charts.arm_outcomes(simulation.summary), width="stretch")
        charts_row[1].plotly_chart(charts.net_value_distribution(simulation.draws), width="stretch")
        st.subheader("Targeting strategies compared")
        st.caption("Each strategy simulated at several campaign sizes (1,000 draws each): where does net value peak?")
        comparison = cached.strategy_comparison(path, version, token, key)
        st.plotly_chart(charts.strategy_comparison(comparison), width="stretch")
        common.download_csv(comparison, "campaign_strategies.csv", "Download the comparison", key="dl-strategies")

with launch_tab:
    if members is None:
        st.info("Build a valid campaign on the first tab: its audience, arms and simulation appear there first.")
    else:
        st.markdown(
            f"**{config.name}**: {len(members):,} members, {config.holdout_share:.0%} held out and never contacted."
        )
        st.dataframe(campaigns.arm_counts(members, config), hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
        confirm = st.checkbox("I have reviewed the audience, the arms and the simulation", key="launch-confirm")
        buttons = st.columns(2)
        if buttons[0].button("Launch campaign", type="primary", disabled=not confirm, key="launch"):
            result = cached.guarded(cached.launch, config)
            if result is not None:
                st.session_state["launched"] = (result.campaign_id, result.created)
                st.rerun()
        if buttons[1].button("Save as draft", key="save-draft"):
            draft_id = cached.guarded(cached.save_draft, config)
            if draft_id is not None:
                st.session_state["launched"] = None
                st.success(f"Saved draft campaign {draft_id}; launch it from the Results tab.")
        st.caption("Launching the same configuration on the same scores again returns the campaign already launched.")
    launched = st.session_state.get("launched")
    if launched:
        st.divider()
        campaign_id, created = launched
        if created:
            st.success(f"Launched campaign {campaign_id}.")
        else:
            st.info(f"This campaign was already launched as campaign {campaign_id}; nothing new was written.")
        counts = cached.guarded(cached.launched_counts, path, version, token, campaign_id)
        if counts is not None:
            st.dataframe(counts, hide_index=True, column_config=cached.ARM_COUNT_COLUMNS)
        include_email = st.checkbox(
            "Include email addresses in the exports",
            key="export-email",
            help="Only tick this when the file goes straight to your email tool.",
        )
        frames = cached.guarded(cached.exports, path, version, token, campaign_id, include_email)
        for arm, frame in (frames or {}).items():
            common.download_csv(
                frame,
                f"campaign_{campaign_id}_{arm}.csv",
                f"Download arm {arm} ({len(frame):,} contacts)",
                key=f"dl-arm-{arm}",
            )
        st.caption("The holdout is never exported for contact.")

with list_tab:
    listing = cached.campaign_list(path, version, token)
    if listing.empty:
        st.info("No campaigns yet. Build one on the first tab and launch it.")
    else:
        st.dataframe(listing, hide_index=True, column_config=cached.LIST_COLUMNS, placeholder="–")
        common.download_csv(listing, "campaigns.csv", "Download the list", key="dl-campaigns")

with results_tab:
    if listing.empty:
        st.info("No campaigns to measure yet.")
    else:
        if st.session_state.get("launched"):
            st.success(f"Campaign {st.session_state['launched'][0]} is launched: its exports are on the Launch tab.")
        names = dict(zip(listing["campaign_id"], listing["name"] + " (" + listing["status"] + ")", strict=True))
        chosen = st.selectbox("Campaign", list(names), format_func=lambda i: f"#{i} {names[i]}", key="results-campaign")
        status = listing.set_index("campaign_id").loc[chosen, "status"]
        if status == "draft":
            st.info("This campaign is a draft: it has no members yet.")
            if st.button("Launch this draft", key="launch-draft"):
                stored = cached.stored_config(path, version, token, chosen)
                launched_draft = cached.guarded(cached.launch, stored, draft_id=int(chosen))
                if launched_draft is not None:
                    st.session_state["launched"] = (launched_draft.campaign_id, launched_draft.created)
                    st.rerun()
            st.stop()
        measured = cached.guarded(cached.measurement, path, version, token, int(chosen), _info=True)
        if measured is None:
            st.stop()
        tiles = st.columns(4)
        tiles[0].metric("Window starts", f"{measured.start_ts:%Y-%m-%d}", help="The latest order at launch.")
        tiles[1].metric("Window ends", f"{measured.window_end:%Y-%m-%d}")
        tiles[2].metric("Orders seen up to", f"{measured.through:%Y-%m-%d}")
        tiles[3].metric("Days observed", f"{measured.observed_days:.0f}")
        if not measured.complete:
            st.warning("The retention window is not over yet: these numbers will still move.")
        st.dataframe(
            measured.table,
            hide_index=True,
            column_config=cached.RESULT_COLUMNS,
            column_order=list(cached.RESULT_COLUMNS),
            placeholder="–",
        )
        st.caption("The download holds every column, orders and revenue differences with their intervals included.")
        common.download_csv(measured.table, f"campaign_{chosen}_results.csv", "Download the results", key="dl-results")
        st.plotly_chart(charts.arm_differences(measured.table), width="stretch")

        st.subheader("Next wave")
        st.plotly_chart(charts.posterior_curves(campaigns.posteriors(measured.table)), width="stretch")
        st.caption(
            "How plausible each retention rate is for each arm after what was observed: the narrower the curve, "
            "the surer. The next wave sends more members to the arms likely to be best."
        )
        split = cached.next_wave_split(path, version, token, int(chosen))
        st.markdown("\n".join(f"- **{row.arm}**: {row.reasoning}" for row in split.itertuples()))
        edited = st.data_editor(
            split[["arm", "share"]],
            disabled=["arm"],
            hide_index=True,
            key="wave-split",
            column_config={
                "arm": st.column_config.TextColumn("Arm"),
                "share": st.column_config.NumberColumn("Proposed share", min_value=0.0, max_value=1.0, format="%.3f"),
            },
        )
        actions = st.columns(3)
        if actions[0].button("Launch next wave", key="next-wave", disabled=status == "closed"):
            wave = cached.guarded(
                campaigns.next_wave_config,
                cached.stored_config(path, version, token, chosen),
                int(chosen),
                dict(zip(edited["arm"], edited["share"], strict=True)),
            )
            launched_wave = None if wave is None else cached.guarded(cached.launch, wave)
            if launched_wave is not None:
                st.session_state["launched"] = (launched_wave.campaign_id, launched_wave.created)
                st.rerun()
        if actions[1].button(
            "Record results", key="record", disabled=not campaigns.recordable(measured, status)
        ) and cached.guarded(cached.record, int(chosen), path, version, token):
            st.rerun()
        if actions[2].button("Close campaign", key="close", disabled=status == "closed") and cached.guarded(
            cached.close, int(chosen)
        ):
            st.rerun()
