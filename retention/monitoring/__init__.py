"""Monitoring: is the data fresh, are the models still right, did the campaigns work.

Each part of the Monitoring page is a *section*, registered in :data:`SECTIONS` by its module (imported by
:func:`sections`): a function ``(con, thresholds) -> Section`` that computes the section's numbers and its checks.
A :class:`Check` compares one number with a threshold and says in one sentence what a worrying value looks like;
the page draws the threshold on its chart, and ``python -m retention monitor`` writes every section's numbers
and checks to JSON (:func:`report`) and exits non-zero when a check is crossed and ``--fail-on`` asks for it.

Thresholds have defaults in their section's module (``DEFAULTS``, name -> value) and can be overridden by name
(``--threshold risk_psi=0.25``): ``thresholds`` maps names to values; a name no section has is refused
(:func:`threshold_defaults` lists them).
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import duckdb

from retention.errors import DataError
from retention.registry import Registry

# The modules whose sections make up the page and the report, in the order they are shown.
SECTION_MODULES: tuple[str, ...] = (
    "retention.monitoring.freshness",
    "retention.monitoring.drift",
    "retention.monitoring.accuracy",
    "retention.monitoring.outcomes",
)


@dataclass(frozen=True)
class Check:
    """One number against its threshold.

    name: ``section.check`` (e.g. ``freshness.days_without_orders``); value: the number (None when it cannot be
    computed yet, e.g. no scoring's horizon has passed: never crossed); threshold: the limit; crossed: whether
    the value is on the worrying side of it; worry: one sentence, what a worrying value looks like.
    """

    name: str
    value: float | None
    threshold: float
    crossed: bool
    worry: str


@dataclass(frozen=True)
class Section:
    """One part of the page and the report: name (key in the report), title (the page's heading), numbers
    (JSON-safe: str, int, float, bool, None, lists and dicts of them) and checks."""

    name: str
    title: str
    numbers: dict = field(default_factory=dict)
    checks: tuple[Check, ...] = ()


SectionFunction = Callable[[duckdb.DuckDBPyConnection, Mapping[str, float]], Section]
SECTIONS: Registry[SectionFunction] = Registry("monitoring section")


def sections() -> Registry[SectionFunction]:
    """Every section, after importing the modules that register them (:data:`SECTION_MODULES`), in the order of
    those modules (then of registration within one): whichever module a process happened to import first."""
    for module in SECTION_MODULES:
        importlib.import_module(module)
    rank = {module: index for index, module in enumerate(SECTION_MODULES)}
    ordered: Registry[SectionFunction] = Registry("monitoring section")
    for name in sorted(SECTIONS, key=lambda name: rank.get(SECTIONS[name].__module__, len(rank))):
        ordered.add(name, SECTIONS[name])
    return ordered


def threshold_defaults() -> dict[str, float]:
    """Every section module's thresholds with their defaults (name -> value), in the order of the modules."""
    defaults: dict[str, float] = {}
    for module in SECTION_MODULES:
        defaults |= importlib.import_module(module).DEFAULTS
    return defaults


def check(name: str, value: float | None, threshold: float, worry: str, *, above: bool = True) -> Check:
    """A :class:`Check` crossed when ``value`` is above ``threshold`` (``above``) or below it; never when the
    value is None or NaN."""
    known = value is not None and not (isinstance(value, float) and math.isnan(value))
    crossed = known and (value > threshold if above else value < threshold)
    return Check(name, float(value) if known else None, float(threshold), bool(crossed), worry)


def report(con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float] | None = None) -> dict:
    """Every section's numbers and checks as one JSON-safe object; a DataError for a threshold no section has.

    Returns
    -------
    ``{"generated_at": ISO timestamp, "sections": {name: {"title", "numbers", "checks": [Check as dict]}},
    "crossed": [names of crossed checks]}``.
    """
    chosen = dict(thresholds or {})
    known = threshold_defaults()
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise DataError(f"unknown threshold(s) {unknown}; the thresholds are {sorted(known)}")
    built = {name: make(con, chosen) for name, make in sections().items()}
    return {
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "sections": {
            name: {"title": section.title, "numbers": section.numbers, "checks": [asdict(c) for c in section.checks]}
            for name, section in built.items()
        },
        "crossed": [c.name for section in built.values() for c in section.checks if c.crossed],
    }


def parse_thresholds(pairs: list[str]) -> dict[str, float]:
    """``["psi=0.25", ...]`` as a mapping; a DataError naming the pair that is not NAME=NUMBER."""
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise DataError(f"--threshold {pair!r} is not NAME=NUMBER (e.g. risk_psi=0.25)")
    return parsed
