"""Cohort retention: who comes back, period after period.

A *cohort* is the set of users whose starting moment (first purchase, first
event or signup) falls in the same period (day, week starting Monday, or
month). A cohort user is *active* in a period when they did the return
activity in it: a purchase (an order line with quantity > 0), any event, or
one event type. Everything here reads the activity rollup kept by
:mod:`retention.rollups`, never the order lines (but
:func:`cohort_table_raw`, which exists to check and measure the rollup):
the default view (purchases, n-day, no breakdown) reads its pre-counted
cohorts, every other view counts its user-period rows.

Retention modes (a registry, :data:`MODES`):

``n-day``
    Period ``n`` counts the users active in the ``n``-th period after their
    cohort's own period (``n = 0``).
``unbounded``
    Period ``n`` counts the users active in period ``n`` *or later*.
``brackets``
    Custom day brackets such as days 1-7, 8-30, 31-90, counted from each
    user's own start day; period 0 is the start day itself, period ``k`` the
    ``k``-th bracket.

A cell is ``complete`` when its whole time span lies before the latest
timestamp in the data; an incomplete cell is still filling up and must not be
read as a drop.

A typed query in, a result object out: :class:`CohortQuery` (module
:mod:`~retention.cohorts.query`) says what to count and is checked when it is
made; :func:`cohort_table` (module :mod:`~retention.cohorts.runner`) runs it
and returns a :class:`CohortTable` (module :mod:`~retention.cohorts.result`),
the frame with the query and the views the page draws from it.
"""

from retention.cohorts.query import (
    ACTIVITY_LABELS,
    BASE_ACTIVITIES,
    COHORT_BY,
    COHORT_BY_LABELS,
    DEFAULT_BRACKETS,
    MEASURE_LABELS,
    MEASURES,
    MISSING_SEGMENT,
    MODES,
    OTHER_SEGMENT,
    TOP_SEGMENTS,
    CohortQuery,
    Mode,
    activity_label,
    as_day,
    bracket_label,
    format_brackets,
    parse_brackets,
    validate_brackets,
)
from retention.cohorts.result import ALL_SEGMENTS, DEFAULT_MIN_COHORTS, CohortTable, all_but
from retention.cohorts.runner import (
    DEFAULT_COHORTS_SHOWN,
    RAW_MASK_BITS,
    RFM_BREAKDOWN,
    SHOW_USERS,
    breakdown_columns,
    breakdown_gaps,
    cell_users,
    cohort_table,
    cohort_table_raw,
    data_range,
    default_cohort_range,
    event_types,
    lifecycle,
)

__all__ = [
    "ACTIVITY_LABELS",
    "ALL_SEGMENTS",
    "BASE_ACTIVITIES",
    "COHORT_BY",
    "COHORT_BY_LABELS",
    "DEFAULT_BRACKETS",
    "DEFAULT_COHORTS_SHOWN",
    "DEFAULT_MIN_COHORTS",
    "MEASURES",
    "MEASURE_LABELS",
    "MISSING_SEGMENT",
    "MODES",
    "OTHER_SEGMENT",
    "RAW_MASK_BITS",
    "RFM_BREAKDOWN",
    "SHOW_USERS",
    "TOP_SEGMENTS",
    "CohortQuery",
    "CohortTable",
    "Mode",
    "activity_label",
    "all_but",
    "as_day",
    "bracket_label",
    "breakdown_columns",
    "breakdown_gaps",
    "cell_users",
    "cohort_table",
    "cohort_table_raw",
    "data_range",
    "default_cohort_range",
    "event_types",
    "format_brackets",
    "lifecycle",
    "parse_brackets",
    "validate_brackets",
]
