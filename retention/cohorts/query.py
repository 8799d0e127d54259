"""The cohort query: what a cohort table counts, checked before any data is read.

A :class:`CohortQuery` is a frozen, hashable value: the cache key of the
Cohorts page, the URL state of its view (:meth:`CohortQuery.to_query_params`,
:meth:`CohortQuery.from_query_params`) and the argument of
:func:`retention.cohorts.cohort_table`. What can only be checked against the
data (an event type, a breakdown column) is checked when the query runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from retention import periods
from retention.errors import DataError
from retention.periods import as_day
from retention.registry import Registry

COHORT_BY = ("first_purchase", "first_event", "signup")
MEASURES = ("retention", "revenue")
BASE_ACTIVITIES = ("purchase", "any")
DEFAULT_BRACKETS: tuple[tuple[int, int], ...] = ((1, 7), (8, 30), (31, 90))
MAX_BRACKET_DAY = 36_500  # a hundred years: every bracket day stays a small whole number in SQL
MAX_BRACKETS = 100
LAST_COHORT_END = dt.date(9999, 12, 1)  # the start of the month after a cohort range's end is a Python date
TOP_SEGMENTS = 20
OTHER_SEGMENT = "other"
MISSING_SEGMENT = "(missing)"

# How the app names the choices; the Cohorts page's URL holds these labels (see CohortQuery.to_query_params).
COHORT_BY_LABELS = {"first_purchase": "First purchase", "first_event": "First event", "signup": "Signup date"}
MEASURE_LABELS = {"retention": "Users retained", "revenue": "Revenue per user"}
ACTIVITY_LABELS = {"purchase": "Purchase", "any": "Any event"}
EVENT_LABEL_PREFIX = "Event: "

Brackets = tuple[tuple[int, int], ...]


def activity_label(activity: str) -> str:
    """``"Purchase"``, ``"Any event"`` or ``"Event: <type>"``."""
    return ACTIVITY_LABELS.get(activity, f"{EVENT_LABEL_PREFIX}{activity}")


@dataclass(frozen=True)
class Mode:
    """A retention mode: its name, its label and one-line definition for the UI, and how it checks day brackets.

    ``check(brackets)`` returns the mode's checked day brackets (None for a mode
    without brackets). Its counting lives in ``retention/sql/cohort_mode_<name>.sql``
    (dashes as underscores), the ``mode`` part of ``cohort_table.sql``.
    """

    name: str
    label: str
    description: str
    check: Callable[[Sequence[tuple[int, int]] | None], Brackets | None]
    uses_brackets: bool = False

    @property
    def sql_name(self) -> str:
        return "cohort_mode_" + self.name.replace("-", "_")


MODES: Registry[Mode] = Registry("retention mode")  # in registration order; the first is the default


def _mode(name: str, label: str, description: str, *, uses_brackets: bool = False) -> Callable:
    """Decorator: register a retention mode; the decorated function checks its day brackets."""
    return MODES.register(name, make=lambda check: Mode(name, label, description, check, uses_brackets))


# Decorators apply bottom-up: n-day registers first, so it is the first (default) mode. Its name stays "n-day"
# (saved URLs, the CLI); it counts calendar periods, so the app calls it "Period N" (OLD_MODE_LABELS reads old URLs).
@_mode("unbounded", "Unbounded", "share of the cohort active in calendar period N or any later one; never rises")
@_mode(
    "n-day",
    "Period N",
    "share of the cohort active in calendar period N after its own (period 0): calendar days, weeks or months, "
    "not N days after each user's start",
)
def _no_brackets(brackets: Sequence[tuple[int, int]] | None) -> None:
    return None


@_mode(
    "brackets",
    "Day brackets",
    "share of the cohort active within a bracket of days after each user's own start day (e.g. days 1-7)",
    uses_brackets=True,
)
def _check_brackets(brackets: Sequence[tuple[int, int]] | None) -> Brackets:
    return tuple(validate_brackets(DEFAULT_BRACKETS if brackets is None else brackets))


OLD_MODE_LABELS = {"N-day": "n-day"}
"""Mode labels of earlier releases, still read from URLs."""


def validate_brackets(brackets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Check day brackets: integer ``(first, last)`` pairs, ``1 <= first <= last``, ascending, not overlapping."""
    checked: list[tuple[int, int]] = []
    if not brackets:
        raise DataError("give at least one day bracket, e.g. 1-7")
    if len(brackets) > MAX_BRACKETS:
        raise DataError(f"give at most {MAX_BRACKETS} day brackets, not {len(brackets):,}")
    for index, pair in enumerate(brackets):
        try:
            first, last = (int(day) for day in pair)
        except (TypeError, ValueError, OverflowError):
            raise DataError(f"bracket {index + 1} ({pair!r}) is not a pair of whole days such as (1, 7)") from None
        if not 1 <= first <= last:
            raise DataError(f"bracket {first}-{last} must start on day 1 or later and end on or after its start")
        if last > MAX_BRACKET_DAY:
            raise DataError(
                f"bracket {first}-{last} ends after day {MAX_BRACKET_DAY:,} (a hundred years); end it sooner"
            )
        if checked and first <= checked[-1][1]:
            raise DataError(f"bracket {first}-{last} overlaps or precedes {checked[-1][0]}-{checked[-1][1]}")
        checked.append((first, last))
    return checked


def parse_brackets(text: str) -> list[tuple[int, int]]:
    """Parse brackets written as ``"1-7, 8-30, 31-90"`` (a single day may be written ``"14"``)."""
    pairs = []
    for part in (piece.strip() for piece in text.split(",")):
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise DataError(f"cannot read the bracket {part!r}: write days as 1-7, 8-30, 31-90")
        if max(len(digits.lstrip("0")) for digits in match.groups("")) > len(str(MAX_BRACKET_DAY)):
            # checked on the text: Python refuses to read a whole number of thousands of digits
            raise DataError(f"bracket {part!r} ends after day {MAX_BRACKET_DAY:,} (a hundred years); end it sooner")
        first = int(match.group(1))
        pairs.append((first, int(match.group(2) or first)))
    return validate_brackets(pairs)


def format_brackets(brackets: Sequence[tuple[int, int]]) -> str:
    """Brackets as :func:`parse_brackets` reads them: ``"1-7, 8-30, 31-90"``."""
    return ", ".join(f"{first}" if first == last else f"{first}-{last}" for first, last in brackets)


def bracket_label(first: int, last: int) -> str:
    """``"day 0"``, ``"day 14"`` or ``"days 1-7"``."""
    return f"day {first}" if first == last else f"days {first}-{last}"


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise DataError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True)
class CohortQuery:
    """What a cohort table counts: a frozen, hashable value, checked when it is made.

    Attributes
    ----------
    period
        ``"day"``, ``"week"`` (starting Monday) or ``"month"``: the length of
        cohorts and of the periods counted after them.
    cohort_by
        ``"first_purchase"``, ``"first_event"`` (any event type) or ``"signup"``.
    activity
        What counts as coming back: ``"purchase"``, ``"any"`` event, or one
        event type by name (checked against the data when the query runs).
    mode
        A name in :data:`MODES`: ``"n-day"``, ``"unbounded"`` or ``"brackets"``.
    brackets
        Day brackets ``((1, 7), (8, 30), ...)`` for ``mode="brackets"``, or text
        such as ``"1-7, 8-30"``; None there means :data:`DEFAULT_BRACKETS`.
        Ascending, not overlapping, from day 1. Always None in the other modes,
        which ignore them.
    measure
        ``"retention"`` or ``"revenue"`` (adds ``revenue`` and ``value``).
    breakdown
        A categorical users column, ``"rfm_segment"`` (each customer's RFM
        segment at the newest order's day, see :mod:`retention.rfm`; checked
        against the data when the query runs) or None. The ``top_segments`` largest segments in the range are
        kept, the rest are pooled as ``"other"``; users without a value are
        ``"(missing)"``.
    cohort_start, cohort_end
        Days bounding the cohorts' period starts (inclusive; a day inside a
        period includes that period), or None for all; given as dates,
        timestamps or ISO text, kept as :class:`datetime.date`.
    top_segments
        Segments kept on their own with a breakdown, at least 1.

    Raises
    ------
    DataError
        An unknown choice, bad brackets, a value that is not a date, a range
        that starts after it ends, fewer than one segment.
    """

    period: str = "month"
    cohort_by: str = "first_purchase"
    activity: str = "purchase"
    mode: str = MODES.default
    brackets: Brackets | None = None
    measure: str = "retention"
    breakdown: str | None = None
    cohort_start: dt.date | None = None
    cohort_end: dt.date | None = None
    top_segments: int = TOP_SEGMENTS

    def __post_init__(self) -> None:
        periods.check(self.period)
        _check_choice("cohort_by", self.cohort_by, COHORT_BY)
        _check_choice("mode", self.mode, tuple(MODES))
        if int(self.top_segments) < 1:
            raise DataError(f"keep at least one breakdown segment, not {self.top_segments}")
        brackets = self.brackets
        if isinstance(brackets, str) and MODES[self.mode].uses_brackets:
            brackets = parse_brackets(brackets)
        start, end = as_day(self.cohort_start), as_day(self.cohort_end)
        self._set(
            brackets=MODES[self.mode].check(brackets),
            cohort_start=start,
            cohort_end=end,
            top_segments=int(self.top_segments),
        )
        if start is not None and end is not None and start > end:
            raise DataError(f"the cohort range starts ({start:%Y-%m-%d}) after it ends ({end:%Y-%m-%d})")
        if end is not None and end >= LAST_COHORT_END:  # the period after the last cohort must still be a date
            raise DataError(
                f"the cohort range ends on {end.isoformat()}, too late to count; end it before "
                f"{LAST_COHORT_END.isoformat()} ({periods.FIX_DATES})"
            )
        _check_choice("measure", self.measure, MEASURES)

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)  # normalising a frozen instance while it is made

    def replace(self, **changes: object) -> CohortQuery:
        """A copy with some fields changed, checked again."""
        return dataclasses.replace(self, **changes)

    @property
    def day_brackets(self) -> Brackets:
        """The periods of brackets mode as day ranges: day 0 (the start day), then the brackets; else empty."""
        return () if self.brackets is None else ((0, 0), *self.brackets)

    @property
    def reads_counted(self) -> bool:
        """Whether the pre-counted cohorts answer it (n-day purchases, no breakdown), not the user-periods."""
        return self.mode == "n-day" and self.activity == "purchase" and self.breakdown is None

    @property
    def range_params(self) -> dict[str, object]:
        """SQL parameters of the cohort range: ``grain``, ``cohort_by``, ``first_cohort`` and
        ``after_last_cohort`` (DATE or None: the first cohort's period start, the start of the period after
        the last cohort)."""
        return {
            "grain": self.period,
            "cohort_by": self.cohort_by,
            "first_cohort": None if self.cohort_start is None else periods.start(self.cohort_start, self.period).date(),
            "after_last_cohort": None
            if self.cohort_end is None
            else periods.next_start(self.cohort_end, self.period).date(),
        }

    def to_query_params(self) -> dict[str, str]:
        """The Cohorts page's URL parameters for this query: the fields that differ from the defaults.

        Keys are the page's widget keys (``period``, ``cohort``, ``activity``, ``by``, ``mode``,
        ``brackets``, ``measure``, ``from``, ``to``); choices are written as the page labels them
        (``mode=Day brackets``), days as ISO dates. ``top_segments`` is not part of the URL.
        """
        defaults = CohortQuery()._url_values()
        return {key: value for key, value in self._url_values().items() if value not in (None, defaults[key])}

    def _url_values(self) -> dict[str, str | None]:
        return {
            "period": self.period,
            "cohort": COHORT_BY_LABELS[self.cohort_by],
            "activity": activity_label(self.activity),
            "by": self.breakdown,
            "mode": MODES[self.mode].label,
            "brackets": None if self.brackets is None else format_brackets(self.brackets),
            "measure": MEASURE_LABELS[self.measure],
            "from": None if self.cohort_start is None else self.cohort_start.isoformat(),
            "to": None if self.cohort_end is None else self.cohort_end.isoformat(),
        }

    @classmethod
    def from_query_params(cls, params: Mapping[str, str], **defaults: object) -> CohortQuery:
        """The query a Cohorts page URL describes (see :meth:`to_query_params`); missing keys take
        ``defaults``, then the field defaults. Labels and plain names are both read; other keys are ignored.

        Raises
        ------
        DataError
            A value that names no choice, or a query that does not check.
        """
        fields: dict[str, object] = dict(defaults)
        readers = {
            "period": ("period", lambda value: value),
            "cohort": ("cohort_by", lambda value: _unlabel("cohort", value, COHORT_BY_LABELS)),
            "activity": ("activity", _activity_from_label),
            "by": ("breakdown", lambda value: None if value in ("", "none") else value),
            "mode": ("mode", _mode_from_label),
            "brackets": ("brackets", lambda value: value),
            "measure": ("measure", lambda value: _unlabel("measure", value, MEASURE_LABELS)),
            "from": ("cohort_start", lambda value: value or None),
            "to": ("cohort_end", lambda value: value or None),
        }
        for key, (field, read) in readers.items():
            if key in params:
                fields[field] = read(params[key])
        return cls(**fields)


def _unlabel(key: str, value: str, labels: Mapping[str, str]) -> str:
    """The choice named by ``value``, written as its label or its name."""
    for name, label in labels.items():
        if value in (name, label):
            return name
    raise DataError(f"the URL parameter {key}={value!r} is not one of {', '.join(labels.values())}")


def _mode_from_label(value: str) -> str:
    """The mode named by ``value``: its label, its name or a label of an earlier release."""
    if value in OLD_MODE_LABELS:
        return OLD_MODE_LABELS[value]
    return _unlabel("mode", value, {mode.name: mode.label for mode in MODES.values()})


def _activity_from_label(value: str) -> str:
    for name, label in ACTIVITY_LABELS.items():
        if value in (name, label):
            return name
    return value.removeprefix(EVENT_LABEL_PREFIX)
