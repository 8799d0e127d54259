"""Cached data for the Cohorts page.

Every wrapper takes the warehouse path and its data version first, so a new
import invalidates what was cached; the settings are one hashable
:class:`~retention.cohorts.CohortQuery`. Wrappers only read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from retention import cohorts
from retention.charts import cohorts as charts
from retention.ui.common import cursor


def cell_user_columns(query: cohorts.CohortQuery) -> dict:
    """Labels and formats of the cell-users table (:func:`retention.cohorts.cell_users`) of ``query``."""
    period, brackets = query.period, bool(query.day_brackets)
    unit = "Days" if brackets else f"{period.capitalize()}s"
    return {
        "user_id": st.column_config.TextColumn("Customer"),
        "segment": st.column_config.TextColumn("Segment"),
        "start_ts": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm"),
        "retained": st.column_config.CheckboxColumn("Active in this cell"),
        "active_periods": st.column_config.NumberColumn(
            f"{unit} active", format="%d", help=f"{unit} with the return activity since the start, the start included"
        ),
        "last_active": st.column_config.DateColumn(
            "Last active", help=f"Start of the latest {'day' if brackets else period} with the return activity"
        ),
        "last_purchase": st.column_config.DatetimeColumn(
            "Last purchase", format="YYYY-MM-DD HH:mm", help="Time of the customer's latest purchase"
        ),
        "revenue": st.column_config.NumberColumn(
            "Revenue since start", format="%,.2f", help="Net order revenue; returns subtract"
        ),
        "email": st.column_config.TextColumn("Email"),
    }


def period_namer(table: cohorts.CohortTable) -> Callable[[int], str]:
    """Names a period of ``table`` for a picker: "Month 3", or the bracket ("days 1-7") in brackets mode."""
    return table.period_name


HEATMAP_KEY = "heatmap"
CELL_KEYS = ("cell_cohort", "cell_period")


def pick_clicked_cell() -> None:
    """``on_select`` callback of the heatmap: the clicked cell becomes the chosen one (the pickers keyed
    :data:`CELL_KEYS`, which keep it in the URL). A click that selects nothing (a second click on the same
    cell, an empty place) keeps the cell."""
    points = st.session_state[HEATMAP_KEY].selection.points
    cells = [cell for cell in map(charts.cell_of_point, points) if cell is not None]
    if cells:
        st.session_state[CELL_KEYS[0]], st.session_state[CELL_KEYS[1]] = cells[0]


@dataclass(frozen=True)
class Options:
    """What the warehouse offers the page's widgets."""

    event_types: tuple[str, ...]
    breakdown_columns: tuple[str, ...]
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    empty_breakdowns: tuple[tuple[str, str], ...] = ()
    """(column, why it cannot be chosen) for the breakdown columns no user fills."""

    @property
    def breakdown_gaps(self) -> dict[str, str]:
        """Breakdown column -> the reason it is refused (no user has a value)."""
        return dict(self.empty_breakdowns)

    @property
    def has_events(self) -> bool:
        return bool(self.event_types)

    @property
    def cohort_by_choices(self) -> list[str]:
        """The cohort definitions the data allows (first event only with events)."""
        return [name for name in cohorts.COHORT_BY if self.has_events or name != "first_event"]


@st.cache_data(show_spinner=False)
def options(path: str, version: str) -> Options:
    with cursor() as con:
        first, last = cohorts.data_range(con)
        return Options(
            event_types=tuple(cohorts.event_types(con)),
            breakdown_columns=tuple(cohorts.breakdown_columns(con)),
            first=first,
            last=last,
            empty_breakdowns=tuple(cohorts.breakdown_gaps(con).items()),
        )


@st.cache_data(show_spinner="Counting cohorts…", max_entries=64)
def cohort_table(path: str, version: str, query: cohorts.CohortQuery) -> cohorts.CohortTable:
    with cursor() as con:
        return cohorts.cohort_table(con, query)


@st.cache_data(show_spinner=False, max_entries=16)
def lifecycle(path: str, version: str, period: str, activity: str) -> pd.DataFrame:
    with cursor() as con:
        return cohorts.lifecycle(con, period=period, activity=activity)


@st.cache_data(show_spinner="Finding the cell's users…", max_entries=32)
def cell_users(
    path: str,
    version: str,
    query: cohorts.CohortQuery,
    *,
    cohort: pd.Timestamp,
    period_index: int,
    segment: str | None,
    retained: bool | None,
    include_email: bool,
) -> pd.DataFrame:
    with cursor() as con:
        return cohorts.cell_users(
            con,
            query,
            cohort=cohort,
            period_index=period_index,
            segment=segment,
            retained=retained,
            include_email=include_email,
        )
