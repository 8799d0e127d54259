"""The plausible window of an import's timestamps.

A timestamp far outside the shop's life is a typo or a unit mix-up (an epoch in milliseconds read as
seconds, ``0001-01-01`` written for "unknown", an 11-digit epoch read as the year 5138), and one such row
makes every period-by-period computation enumerate centuries. So each timestamp of an import (``ts``,
``signup_ts``) must fall in a window, else its row is rejected with ``ts before 1970-01-01`` or
``ts after 2026-12-01 14:03`` (the window's bound, UTC wall clock like every stored timestamp).

By default the window opens at 1970-01-01 (the Unix epoch) and closes one day after the import
starts (a day of slack for clocks and zones). ``RETENTION_TS_EARLIEST`` and ``RETENTION_TS_LATEST``
(an ISO date or timestamp) move either bound for every import of the process (the app, the CLI, the
scheduled refresh); the CLI's ``--ts-earliest`` and ``--ts-latest`` for one import.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from retention.errors import DataError

DEFAULT_EARLIEST = dt.datetime(1970, 1, 1)
LATEST_SLACK = dt.timedelta(days=1)
EARLIEST_ENV = "RETENTION_TS_EARLIEST"
LATEST_ENV = "RETENTION_TS_LATEST"


@dataclass(frozen=True)
class TimeWindow:
    """The timestamps an import accepts: ``earliest <= ts <= latest`` (naive datetimes, UTC wall clock)."""

    earliest: dt.datetime
    latest: dt.datetime

    def params(self) -> dict[str, dt.datetime]:
        """The stage SQL's parameters ``$ts_earliest`` and ``$ts_latest``."""
        return {"ts_earliest": self.earliest, "ts_latest": self.latest}


def parse_bound(text: str, what: str) -> dt.datetime:
    """An ISO date or timestamp typed by a user (``2005-01-01``, ``2031-12-31 23:59``) as a naive datetime;
    a time zone offset is applied (the result is UTC). DataError naming ``what`` when it is not one."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise DataError(
            f"{what} {text!r} is not a date such as 2005-01-01 or a timestamp such as 2005-01-01 09:30"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def time_window(
    earliest: str | dt.datetime | None = None,
    latest: str | dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> TimeWindow:
    """The window for one import: each bound given here, else from the environment, else the default
    (1970-01-01; ``now`` in UTC, the import's start, plus one day). DataError when a bound is not a date
    or the window is empty."""
    environ = os.environ if environ is None else environ
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    bounds = []
    for given, env, default, what in (
        (earliest, EARLIEST_ENV, DEFAULT_EARLIEST, "the earliest timestamp"),
        (latest, LATEST_ENV, now + LATEST_SLACK, "the latest timestamp"),
    ):
        if given is None and environ.get(env, "").strip():
            given = environ[env]
            what = f"{env}"
        bounds.append(parse_bound(given, what) if isinstance(given, str) else (given or default))
    window = TimeWindow(*bounds)
    if window.earliest >= window.latest:
        raise DataError(
            f"the earliest timestamp ({window.earliest:%Y-%m-%d %H:%M}) must come before the latest "
            f"({window.latest:%Y-%m-%d %H:%M})"
        )
    return window
