"""The curves, segment comparison and lifecycle sections of the Cohorts page, and its settings' wording.

The numbers come from :class:`~retention.cohorts.CohortTable` (``mean_curve``, ``segment_curves``,
``compare_segments``, ``mark_points``); this module only lays them out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import cohorts, periods
from retention.charts import cohorts as charts
from retention.ui import common
from retention.ui.cohorts import period_namer

HEADINGS = {
    "retention": ("Retention by cohort", "Retention curves"),
    "revenue": ("Revenue per user by cohort", "Revenue per user curves"),
}
"""The Cohorts page's headings for each measure: the heatmap's and the curves'."""
DEFAULT_COMPARED = 3
"""Segments compared with All by default: the largest, leaving out 'other' and '(missing)'."""
EMPTY_MARK = " (empty)"
"""How the breakdown picker marks a column that no user fills."""


def read_marked_breakdown(gaps: dict[str, str]) -> None:
    """Read ``by=channel`` from the URL while the picker names that column ``channel (empty)``: the picker would
    drop it as no option of its own, and the choice is to be refused with its reason, not forgotten."""
    by = st.query_params.get("by")
    if by in gaps and "by" not in st.session_state:
        st.session_state["by"] = by


def modes_help() -> str:
    """One line per retention mode saying what it counts (the help of the mode picker)."""
    return "\n".join(f"- **{mode.label}**: {mode.description}." for mode in cohorts.MODES.values())


def breakdown_choice(column: str, gaps: dict[str, str]) -> str:
    """How the breakdown picker names a column: ``"none"``, ``"country"``, ``"RFM segment"``, or
    ``"channel (empty)"``."""
    if column == cohorts.RFM_BREAKDOWN:
        return "RFM segment"
    return f"{column}{EMPTY_MARK}" if column in gaps else column


def refuse_empty_breakdown(by: str, gaps: dict[str, str]) -> str:
    """``by``, or ``"none"`` with the reason shown when no user fills that column."""
    if by in gaps:
        st.error(f"{gaps[by][0].upper()}{gaps[by][1:]}. Showing all customers without a breakdown.")
        return "none"
    return by


def min_cohorts_input(container: st.delta_generator.DeltaGenerator) -> int:
    """The fewest cohorts a mean point rests on before it is faded (in the URL as ``min_cohorts``)."""
    return int(
        container.number_input(
            "Fewest cohorts per mean point",
            min_value=1,
            max_value=1000,
            value=cohorts.DEFAULT_MIN_COHORTS,
            step=1,
            key="min_cohorts",
            bind="query-params",
            help="A mean point resting on fewer complete cohorts is dotted and faded, and left out of the "
            "segment comparison: late periods are reached by the oldest cohorts only.",
        )
    )


def mean_caption(mean: pd.DataFrame, min_cohorts: int, namer) -> None:
    """Say on how many cohorts the mean rests, and from which period it is faded."""
    if mean.empty:
        st.caption("No complete cells yet, so there is no mean curve.")
        return
    thin = mean[~mean["enough"]]
    text = (
        "The thick line pools the complete cohorts of each period, weighted by size; hover a point to see on how "
        f"many it rests (from {int(mean['cohorts'].max())} down to {int(mean['cohorts'].min())})."
    )
    if len(thin):
        text += (
            f" From {namer(int(thin['period'].min()))} on fewer than {min_cohorts} cohorts remain: the line is "
            "dotted and faded there."
        )
    st.caption(text)


def marks_caption(table: cohorts.CohortTable, placed: pd.DataFrame) -> None:
    """Say what the triangles on the cohort lines are, or why none is placed in brackets mode."""
    if "bracket" in table.columns:
        st.caption("Marks are not placed in Day brackets mode: its periods count days from each user's own start.")
    elif not placed.empty:
        st.caption(
            "Triangles on the cohort lines mark campaign launches, imports and notes in the period they fall in; "
            "hover one to read it. A hollow one falls in a period still in progress, drawn at the height of the line's "
            "last point."
        )


def compare_segments_section(table: cohorts.CohortTable, min_cohorts: int, by: str) -> None:
    """Several segments and all users side by side: their mean curves and a period 1/3/6 table with CSV."""
    st.subheader("Compare segments")
    segments = table.segments
    named = [name for name in segments if name not in (cohorts.OTHER_SEGMENT, cohorts.MISSING_SEGMENT)]
    default = [cohorts.ALL_SEGMENTS, *named[:DEFAULT_COMPARED]]
    names = st.multiselect(
        f"Segments of {by} to compare",
        [cohorts.ALL_SEGMENTS, *segments, *(cohorts.all_but(name) for name in named)],
        default=default,
        max_selections=charts.MAX_COMPARED + 1,
        key=f"compare_{by}",  # each breakdown keeps its own choice (in the URL as compare_country=...)
        bind="query-params",
        help=f"'All' is every customer pooled, 'All but X' everyone outside X; up to {charts.MAX_COMPARED} beside "
        "All, each in its own colour.",
    )
    if not names:
        st.info("Choose segments (or All) to compare.")
        return
    curves = common.attempt(table.segment_curves, names, min_cohorts)
    compared = common.attempt(table.compare_segments, names, min_cohorts)
    if curves is None or compared is None:
        return
    st.plotly_chart(charts.segment_curves(table, curves), width="stretch")
    revenue = table.measure_column == "value"
    shown = compared.copy()
    config = {"segment": st.column_config.TextColumn(by.capitalize()), "cohort_users": "Cohort users"}
    namer = period_namer(table)
    for n in table.comparison_periods:
        column, versus = f"period_{n}", f"period_{n}_vs_all"
        if not revenue:
            shown[column], shown[versus] = shown[column] * 100, shown[versus] * 100
        shown.loc[0, versus] = None  # All against itself
        config[column] = st.column_config.NumberColumn(namer(n), format="%,.2f" if revenue else "%.1f%%")
        config[versus] = st.column_config.NumberColumn(
            "vs All", format="%+,.2f" if revenue else "%+.1f pp", help=f"{namer(n)} minus All's"
        )
    st.dataframe(shown, hide_index=True, column_config=config, placeholder="–")
    st.caption(
        ("Revenue per cohort user" if revenue else "Retention")
        + f", size-weighted over complete cohorts; empty where fewer than {min_cohorts} cohorts remain. "
        + ("'vs All' in the shop's currency." if revenue else "'vs All' in percentage points.")
    )
    common.download_csv(compared, "cohort_segments_compared.csv", label="Download the comparison")


def lifecycle_marks(all_marks: pd.DataFrame, life: pd.DataFrame, period: str) -> pd.DataFrame:
    """The marks that fall within the lifecycle bars' periods."""
    if life.empty or all_marks.empty:
        return all_marks.iloc[0:0]
    end = periods.next_start(life["period_start"].max(), period)
    inside = (all_marks["ts"] >= life["period_start"].min()) & (all_marks["ts"] < end)
    return all_marks[inside]
