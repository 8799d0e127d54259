"""Calendar periods: a day, a week starting Monday, or a calendar month.

Every module that buckets time into periods (cohorts, forecasts, rollups)
uses these functions, so that "week" means the same Monday-to-Sunday span
everywhere. Timestamps in, day timestamps (midnight) out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
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


# The one rule for partial and empty periods, shared by the Overview's weekly chart, the Forecast's activity series
# and the cohort lifecycle.


def complete(starts, period: str, first, last) -> np.ndarray:
    """Whether the data covers each whole period starting at ``starts`` (period starts, as :func:`start` gives).

    A period is complete when the data covers every day of it: its first day is on or after the day of ``first``
    (the earliest timestamp of the data, or of a chosen range) and its last day on or before the day of ``last``
    (the latest). A first period the data starts in the middle of is partial just as the last one still in
    progress is: neither is a whole period's count. Days, not times: a shop's export covers whole days.

    Returns
    -------
    numpy.ndarray
        One bool per start, in the order given.
    """
    starts = pd.DatetimeIndex(pd.to_datetime(starts))
    ends = starts + (pd.DateOffset(months=1) if period == "month" else pd.Timedelta(days=7 if period == "week" else 1))
    begun = pd.Timestamp(first).normalize()
    ended = pd.Timestamp(last).normalize() + pd.Timedelta(days=1)
    return np.asarray((starts >= begun) & (ends <= ended), dtype=bool)


def filled(frame: pd.DataFrame, column: str, period: str, first, last) -> pd.DataFrame:
    """``frame`` with a row for every period from the one holding ``first`` to the one holding ``last``, and
    its ``complete`` column set by :func:`complete`.

    A period without activity is a row of zeros, not a gap: zero customers is a count, and a line drawn over a
    missing row would bridge or break where the shop sold nothing. ``column`` holds the period starts; every
    other column but ``complete`` is numeric and filled with 0 (integer columns stay integer). Rows outside the
    span are dropped; with ``first`` None (no data) ``frame`` is returned with an empty ``complete`` column.
    Call :func:`span` first: this enumerates the periods.
    """
    if first is None:
        return frame.iloc[:0].assign(complete=np.zeros(0, dtype=bool))
    spine = pd.date_range(start(first, period), start(last, period), freq=_FREQ[period]).as_unit("us")
    values = frame.drop(columns="complete", errors="ignore").copy()
    values[column] = pd.to_datetime(values[column]).astype("datetime64[us]")
    out = values.set_index(column).reindex(spine)
    for name, dtype in values.drop(columns=column).dtypes.items():
        out[name] = out[name].fillna(0).astype(dtype)
    out = out.rename_axis(column).reset_index()
    out["complete"] = complete(out[column], period, first, last)
    return out


_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
