"""Calendar periods: a day, a week starting Monday, or a calendar month.

Every module that buckets time into periods (cohorts, forecasts, rollups)
uses these functions, so that "week" means the same Monday-to-Sunday span
everywhere. Timestamps in, day timestamps (midnight) out.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from retention.errors import DataError

PERIODS = ("day", "week", "month")


def check(period: str, allowed: tuple[str, ...] = PERIODS) -> str:
    """``period`` if it is one of ``allowed``, else a :class:`DataError` listing them."""
    if period not in allowed:
        raise DataError(f"period must be one of {', '.join(allowed)}, not {period!r}")
    return period


def as_day(value: object) -> dt.date | None:
    """A day from a date, a timestamp or ISO text; None for None (or NaT)."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{value!r} is not a date") from None
    return None if pd.isna(stamp) else stamp.date()


def start(ts, period: str) -> pd.Timestamp:
    """The first day of the period (day, Monday week, month) that holds ``ts``."""
    day = pd.Timestamp(ts).normalize()
    if period == "week":
        return day - pd.Timedelta(days=day.dayofweek)
    return day.replace(day=1) if period == "month" else day


def next_start(ts, period: str) -> pd.Timestamp:
    """The first day of the period after the one that holds ``ts``."""
    first = start(ts, period)
    if period == "month":
        return first + pd.DateOffset(months=1)
    return first + pd.Timedelta(days=7 if period == "week" else 1)


def between(first, last, period: str) -> int:
    """Whole periods from the one holding ``first`` to the one holding ``last`` (0 when they share one).

    Negative when ``last`` falls in an earlier period than ``first``.
    """
    a, b = pd.Timestamp(first).as_unit("us"), pd.Timestamp(last).as_unit("us")  # nanoseconds end in 2262
    if period == "month":
        return (b.year - a.year) * 12 + b.month - a.month
    days = (b.normalize() - a.normalize()).days
    if period == "day":
        return days
    return (days + a.dayofweek) // 7


MAX_PERIODS = 4000
"""The most periods one computation enumerates (a cohort table's span, an activity series): eleven years of
days, 76 of weeks. Real shops stay far below it; an implausible timestamp (year 1, year 9999) does not."""

FIX_DATES = (
    "an implausible date (such as year 1 or 9999) is a mistake in the data: correct its file and import it again, "
    "replacing the earlier import"
)


def span(first, last, period: str, *, what: str, advice: str, limit: int = MAX_PERIODS) -> int:
    """The periods from the one holding ``first`` to the one holding ``last``, both included, checked against ``limit``.

    Call it before enumerating the periods. ``what`` names the result ("the cohort table") and ``advice`` says
    what to do; both go into the message.

    Raises
    ------
    DataError
        More than ``limit`` periods: the message names the range, the count and the limit.
    """
    count = between(first, last, period) + 1
    if count > limit:
        raise DataError(
            f"{what} would span {count:,} {period}s, from {_day(first)} to {_day(last)}, "
            f"more than the limit of {limit:,}; {advice}"
        )
    return count


def _day(ts) -> str:
    return pd.Timestamp(ts).date().isoformat()  # strftime would write year 1 as "1"
