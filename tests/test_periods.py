"""Calendar periods on literal dates, and against pandas' own periods on many random dates."""

import numpy as np
import pandas as pd
import pytest

from retention import periods
from retention.errors import DataError

T = pd.Timestamp
PANDAS_FREQ = {"day": "D", "week": "W-SUN", "month": "M"}  # W-SUN: weeks that end on Sunday, so start on Monday


def test_check_accepts_known_periods_and_names_the_choices_otherwise():
    assert [periods.check(period) for period in periods.PERIODS] == ["day", "week", "month"]
    with pytest.raises(DataError, match="period must be one of day, week, month, not 'year'"):
        periods.check("year")
    with pytest.raises(DataError, match="one of week, month, not 'day'"):
        periods.check("day", allowed=("week", "month"))


@pytest.mark.parametrize(
    ("ts", "period", "expected"),
    [
        (T("2024-01-10 15:30"), "day", T("2024-01-10")),
        (T("2024-01-07 23:59:59"), "week", T("2024-01-01")),  # a Sunday belongs to the week of the Monday before
        (T("2024-01-08 00:00"), "week", T("2024-01-08")),  # a Monday starts its own week
        (T("2025-01-01 09:00"), "week", T("2024-12-30")),  # a week that spans New Year starts in the old year
        (T("2024-02-29 18:00"), "month", T("2024-02-01")),  # leap day
        (T("2024-12-31 23:59"), "month", T("2024-12-01")),
    ],
)
def test_start(ts, period, expected):
    assert periods.start(ts, period) == expected


@pytest.mark.parametrize(
    ("ts", "period", "expected"),
    [
        (T("2024-12-31 23:00"), "day", T("2025-01-01")),
        (T("2024-01-07 12:00"), "week", T("2024-01-08")),  # Sunday -> the next day
        (T("2024-01-08 00:00"), "week", T("2024-01-15")),  # Monday -> a week later
        (T("2024-12-30"), "week", T("2025-01-06")),
        (T("2024-01-31"), "month", T("2024-02-01")),  # a 31-day month ends
        (T("2024-02-29"), "month", T("2024-03-01")),
        (T("2023-02-28"), "month", T("2023-03-01")),
        (T("2024-12-15"), "month", T("2025-01-01")),  # year wrap
    ],
)
def test_next_start(ts, period, expected):
    assert periods.next_start(ts, period) == expected


@pytest.mark.parametrize(
    ("first", "last", "period", "expected"),
    [
        ("2024-01-01 00:00", "2024-01-07 23:59", "week", 0),  # Monday to Sunday: one week
        ("2024-01-07 23:59", "2024-01-08 00:00", "week", 1),  # Sunday to the next Monday: a minute, a week
        ("2024-01-08", "2024-01-07", "week", -1),
        ("2024-12-30", "2025-01-05", "week", 0),  # one week across New Year
        ("2024-12-29", "2025-01-06", "week", 2),
        ("2024-01-09 23:00", "2024-01-10 01:00", "day", 1),
        ("2024-01-10 08:00", "2024-01-09 23:00", "day", -1),
        ("2024-12-31", "2025-01-01", "day", 1),
        ("2024-01-31", "2024-02-01", "month", 1),
        ("2024-01-01", "2024-01-31 23:59", "month", 0),
        ("2024-11-15", "2025-02-01", "month", 3),  # year wrap: Nov -> Feb
        ("2024-12-31", "2025-01-01", "month", 1),
        ("2024-03-01", "2024-01-31", "month", -2),
        ("2025-01-01", "2023-12-31", "month", -13),
        ("2024-02-29", "2024-02-29", "month", 0),
    ],
)
def test_between(first, last, period, expected):
    assert periods.between(T(first), T(last), period) == expected


def _random_timestamps(rng: np.random.Generator, size: int) -> pd.DatetimeIndex:
    seconds = rng.integers(T("2018-06-01").value // 10**9, T("2027-03-01").value // 10**9, size=size)
    return pd.to_datetime(seconds, unit="s")


@pytest.mark.parametrize("period", periods.PERIODS)
def test_agrees_with_pandas_periods_on_random_dates(period):
    rng = np.random.default_rng(20240101)
    firsts = _random_timestamps(rng, 600)
    # half the pairs far apart, half within 40 days either way (same, adjacent and earlier periods)
    near = firsts[300:] + pd.to_timedelta(rng.integers(-40 * 86400, 40 * 86400, size=300), unit="s")
    lasts = _random_timestamps(rng, 300).append(near)
    freq = PANDAS_FREQ[period]
    first_periods, last_periods = firsts.to_period(freq), lasts.to_period(freq)
    for first, last, first_period, last_period in zip(firsts, lasts, first_periods, last_periods, strict=True):
        assert periods.between(first, last, period) == (last_period - first_period).n, (first, last)
        assert periods.start(first, period) == first_period.start_time, first
        assert periods.next_start(first, period) == (first_period + 1).start_time, first


# ---------------------------------------------------------------- the rule for partial and empty periods


@pytest.mark.parametrize(
    ("period", "starts", "first", "last", "expected"),
    [
        # Data from a Wednesday to a Sunday evening: the first week is partial, the last one complete.
        ("week", ["2024-01-01", "2024-01-08"], "2024-01-03 10:00", "2024-01-14 20:00", [False, True]),
        # From a Monday to a Saturday: the last week is still in progress.
        ("week", ["2024-01-01", "2024-01-08"], "2024-01-01 00:00", "2024-01-13 23:59", [True, False]),
        ("month", ["2024-02-01", "2024-03-01"], "2024-02-01 09:00", "2024-03-31 08:00", [True, True]),  # leap year
        ("month", ["2024-01-01", "2024-02-01"], "2024-01-02", "2024-02-28 23:00", [False, False]),
        ("day", ["2024-01-05", "2024-01-06"], "2024-01-05 17:00", "2024-01-06 01:00", [True, True]),  # whole days
    ],
)
def test_complete_needs_every_day_of_the_period(period, starts, first, last, expected):
    assert periods.complete([T(s) for s in starts], period, T(first), T(last)).tolist() == expected


def test_filled_gives_every_period_with_zeros_and_marks_the_partial_ones():
    frame = pd.DataFrame(
        {"week": [T("2024-01-01"), T("2024-01-22")], "customers": [3, 4], "revenue": [1.5, -2.0], "complete": True}
    )
    out = periods.filled(frame, "week", "week", T("2024-01-03 10:00"), T("2024-01-24 09:00"))
    assert out["week"].tolist() == [T("2024-01-01"), T("2024-01-08"), T("2024-01-15"), T("2024-01-22")]
    assert out["customers"].tolist() == [3, 0, 0, 4] and out["customers"].dtype == "int64"
    assert out["revenue"].tolist() == [1.5, 0.0, 0.0, -2.0]
    assert out["complete"].tolist() == [False, True, True, False]
    assert frame["complete"].tolist() == [True, True]  # the frame given is not changed
    empty = periods.filled(frame.iloc[:0], "week", "week", None, None)
    assert empty.empty and list(empty.columns) == ["week", "customers", "revenue", "complete"]
