"""Calendar periods: a day, a week starting Monday, or a calendar month.

Every module that buckets time into periods (cohorts, forecasts, rollups)
uses these functions, so that "week" means the same Monday-to-Sunday span
everywhere. Timestamps in, day timestamps (midnight) out.
"""

from __future__ import annotations

import pandas as pd

from retention.errors import DataError

PERIODS = ("day", "week", "month")


def check(period: str, allowed: tuple[str, ...] = PERIODS) -> str:
    """``period`` if it is one of ``allowed``, else a :class:`DataError` listing them."""
    if period not in allowed:
        raise DataError(f"period must be one of {', '.join(allowed)}, not {period!r}")
    return period


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
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    if period == "month":
        return (b.year - a.year) * 12 + b.month - a.month
    days = (b.normalize() - a.normalize()).days
    if period == "day":
        return days
    return (days + a.dayofweek) // 7
