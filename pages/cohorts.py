"""Cohorts: who comes back, period after period, by cohort and segment."""

import pandas as pd
import streamlit as st

from retention import cohorts, periods
from retention.campaigns import handoff
from retention.charts import cohorts as charts
from retention.ui import annotations, campaign_handoff, common, saved_views
from retention.ui import cohort_curves as curves
from retention.ui import cohorts as cached

NO_EVENTS = "The warehouse has no events, so only purchases can start cohorts and count as returns."


def cell_picker(shown: cohorts.CohortTable) -> tuple[pd.Timestamp, int]:
    """The chosen cell of ``shown``: a click on the heatmap sets it (:func:`cached.pick_clicked_cell`); these
    lists, bound to the URL, keep it in a shared link and choose it without a pointer."""
    cohort_list = shown.cohort_starts
    with st.expander("Choose the cell from lists"):
        cell = st.columns(2)
        cell_cohort = cell[0].selectbox(
            "Cohort",
            cohort_list,
            index=cohort_list.index(shown.recent_cohorts(1)[0]),
            format_func=lambda c: f"{c:%Y-%m-%d}",
            key=cached.CELL_KEYS[0],
            bind="query-params",
        )
        periods_listed = shown.cohort_periods(cell_cohort)
        cell_period = cell[1].selectbox(
            "Period",
            periods_listed,
            index=min(1, len(periods_listed) - 1),
            format_func=cached.period_namer(shown),
            key=cached.CELL_KEYS[1],
            bind="query-params",
        )
    return cell_cohort, cell_period


def heatmap_section(
    path: str, version: str, table: cohorts.CohortTable, shown: cohorts.CohortTable, segment: str | None
) -> None:
    """The heatmap of ``shown``, whose clicked cell lists its users below (:func:`cell_users_section`)."""
    st.caption("Hover a cell for its numbers; click it to list its users below.")
    chart = st.empty()
    common.download_csv(table.for_export(), "cohorts.csv", label="Download the cohort table")
    st.subheader("Users of a cell")
    cell_cohort, cell_period = cell_picker(shown)
    chart.plotly_chart(
        charts.cohort_heatmap(shown, (cell_cohort, cell_period)),
        width="stretch",
        key=cached.HEATMAP_KEY,
        on_select=cached.pick_clicked_cell,
        selection_mode=("points",),
    )
    cell_users_section(path, version, table, shown, segment, cell_cohort, cell_period)


def cell_users_section(
    path: str,
    version: str,
    table: cohorts.CohortTable,
    shown: cohorts.CohortTable,
    segment: str | None,
    cell_cohort: pd.Timestamp,
    cell_period: int,
) -> None:
    """The users behind one cell of ``shown`` (the rows of ``segment`` in ``table``), lost or retained."""
    counts = shown.cell(cell_cohort, cell_period)
    st.markdown(
        f"**Cohort {cell_cohort:%Y-%m-%d}, {shown.period_name(cell_period)}**: {counts['active_users']:,} of "
        f"{counts['cohort_users']:,} users active" + ("" if counts["complete"] else " (period still in progress)")
    )
    cell = st.columns([1.2, 1])
    show = cell[0].segmented_control(
        "Show", list(cohorts.SHOW_USERS), default="lost", required=True, key="cell_show", bind="query-params"
    )
    with_email = cell[1].checkbox("Include emails", help="Emails leave the warehouse only when you tick this.")
    users = common.attempt(
        cached.cell_users,
        path,
        version,
        table.query,
        cohort=cell_cohort,
        period_index=cell_period,
        segment=segment,
        retained=cohorts.SHOW_USERS[show],
        include_email=with_email,
    )
    if users is None:
        return
    st.dataframe(
        users, hide_index=True, height=280, column_config=cached.cell_user_columns(table.query), placeholder="–"
    )
    st.caption(f"{len(users):,} customer{'' if len(users) == 1 else 's'}.")
    with st.container(horizontal=True):
        common.download_csv(
            users, f"cohort_{cell_cohort:%Y-%m-%d}_period_{cell_period}_{show}.csv", label="Download these users"
        )
        campaign_handoff.send_button(
            lambda: handoff.cohort_cell(users, cell_cohort, shown.period_name(cell_period), show), key="cohort-send"
        )


common.page_header("Cohorts", "Which customers come back, period after period, and how cohorts and segments differ.")
saved_views.views_row("cohorts")

path, version = common.db_path(), common.data_version()
offer = common.attempt(cached.options, path, version)
if offer is None:
    st.stop()
if offer.last is None:
    common.show_empty_state("No orders or events in the warehouse yet.")
    st.stop()

gaps = offer.breakdown_gaps
curves.read_marked_breakdown(gaps)
top = st.columns([1.3, 1, 1, 1])
period = top[0].segmented_control(
    "Period", periods.PERIODS, default="month", required=True, key="period", bind="query-params"
)
cohort_by = top[1].selectbox(
    "Cohort by",
    offer.cohort_by_choices,
    format_func=cohorts.COHORT_BY_LABELS.get,
    key="cohort",
    bind="query-params",
    help=None if offer.has_events else NO_EVENTS,
)
activity = top[2].selectbox(
    "Return activity",
    ["purchase", "any", *offer.event_types],
    format_func=cohorts.activity_label,
    key="activity",
    bind="query-params",
    disabled=not offer.has_events,
    help=NO_EVENTS if not offer.has_events else "What counts as coming back.",
)
by = top[3].selectbox(
    "Break down by",
    ["none", *offer.breakdown_columns],
    format_func=lambda column: curves.breakdown_choice(column, gaps),
    key="by",
    bind="query-params",
    help=f"Users column; the {cohorts.TOP_SEGMENTS} largest values are shown, the rest pooled as 'other'. "
    "Columns marked (empty) hold no value and cannot be chosen.",
)
second = st.columns([1.3, 1, 1, 1])
mode = second[0].selectbox(
    "Retention mode",
    list(cohorts.MODES),
    format_func=lambda name: cohorts.MODES[name].label,
    key="mode",
    bind="query-params",
    help=curves.modes_help(),
)
measure = second[2].selectbox(
    "Measure",
    cohorts.MEASURES,
    format_func=cohorts.MEASURE_LABELS.get,
    key="measure",
    bind="query-params",
)
default_start, default_end = cohorts.default_cohort_range(offer.first, offer.last, period)
third = st.columns(4)
chosen_start = third[0].date_input(
    "First cohort",
    value=None,
    min_value=offer.first,
    max_value=offer.last,
    key="from",
    bind="query-params",
    help=f"Empty: {default_start:%Y-%m-%d} for {period}s.",
)
chosen_end = third[1].date_input(
    "Last cohort",
    value=None,
    min_value=offer.first,
    max_value=offer.last,
    key="to",
    bind="query-params",
    help=f"Empty: {default_end:%Y-%m-%d}.",
)
brackets_text = second[1].text_input(
    "Day brackets",
    value=cohorts.format_brackets(cohorts.DEFAULT_BRACKETS),
    key="brackets",
    bind="query-params",
    disabled=mode != "brackets",
    help="Days after each user's start, e.g. 1-7, 8-30, 31-90 (used by the Day brackets mode).",
)
st.caption(f"**{cohorts.MODES[mode].label}**: {cohorts.MODES[mode].description}.")
if not offer.has_events:
    st.caption(f":material/info: {NO_EVENTS}")
by = curves.refuse_empty_breakdown(by, gaps)

query = common.attempt(
    cohorts.CohortQuery,
    period=period,
    cohort_by=cohort_by,
    activity=activity,
    mode=mode,
    brackets=brackets_text,
    measure=measure,
    breakdown=None if by == "none" else by,
    cohort_start=chosen_start or default_start,
    cohort_end=chosen_end or default_end,
)
if query is None:
    st.stop()
table = common.attempt(cached.cohort_table, path, version, query)
if table is None:
    st.stop()
if table.empty:
    st.info("No cohorts in the selected range. Widen the range or choose another cohort definition.")
    st.stop()

st.caption(
    f"Cohorts from {query.cohort_start:%Y-%m-%d} to {query.cohort_end:%Y-%m-%d}; data up to "
    f"{offer.last:%Y-%m-%d %H:%M}. Grey cells are periods still in progress, not drops."
)
if measure == "revenue":
    st.caption(
        "Revenue: net order revenue (returns subtract) per cohort user; in Unbounded mode it adds up every "
        "period to that one (revenue to date per user)."
    )

segments = table.segments
segment = (
    second[3].selectbox("Segment", segments, key="segment", bind="query-params", help=f"The {by} shown below")
    if segments
    else None
)
shown = table.segment_rows(segment)

st.subheader(curves.HEADINGS[measure][0])
heatmap_section(path, version, table, shown, segment)

st.subheader(curves.HEADINGS[measure][1])
curve_row = st.columns([3, 1])
chosen = curve_row[0].multiselect(
    "Cohorts to compare",
    shown.cohort_starts,
    default=shown.recent_cohorts(),
    format_func=lambda c: f"{c:%Y-%m-%d}",
    key="lines",
    bind="query-params",
)
min_cohorts = curves.min_cohorts_input(curve_row[1])
mean = shown.mean_curve(min_cohorts)
marks = common.attempt(annotations.marks, path, version)
placed = shown.mark_points(marks, chosen) if marks is not None else None
mean_name = f"Mean of {'all' if segment is None else segment} cohorts (size-weighted)"
st.plotly_chart(charts.retention_curves(shown, mean, chosen, placed, mean_name=mean_name), width="stretch")
curves.mean_caption(mean, min_cohorts, cached.period_namer(shown))
if marks is not None:
    curves.marks_caption(shown, placed)
common.download_csv(mean, "cohort_mean_curve.csv", label="Download the mean curve")
if segments:
    curves.compare_segments_section(table, min_cohorts, by)

st.subheader("Lifecycle")
st.caption(
    "Active customers each period split into new, returning (also active the period before) and resurrecting "
    "(back after a gap); dormant ones (active the period before, not now) are drawn below zero."
)
life = common.attempt(cached.lifecycle, path, version, period, activity)
if life is not None:
    life_marks = None if marks is None else curves.lifecycle_marks(marks, life, period)
    st.plotly_chart(charts.lifecycle_bars(life, period=period, marks=life_marks), width="stretch")
    common.download_csv(life, "lifecycle.csv", label="Download the lifecycle table")
