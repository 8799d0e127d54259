"""How often customers reorder: the days between a customer's consecutive purchases, and the churn horizon they
suggest.

A *purchase day* is a calendar day on which the customer has an order line with ``quantity > 0``: several orders
on one day count once, and returns are not purchases. A *gap* is the number of days from one purchase day of a
customer to their next, so a customer with n purchase days gives n - 1 gaps and a one-time buyer none. The
percentiles pool every gap of every customer (one who reorders often gives more of them): "nine reorders in ten
came within ``p90_days``". Only gaps that ended are seen; a history shorter than the longest gaps hides them, so
on a short history the percentiles are too low rather than too high.

The **suggested churn horizon** is the 90th percentile, rounded up to whole weeks when it is at most
:data:`WEEKS_UP_TO_DAYS` days and to whole 30-day months above, then clamped to :data:`MIN_SUGGESTED_DAYS` to
:data:`MAX_SUGGESTED_DAYS` days: a customer silent for that long has waited longer than nine reorders in ten
took, and the round step keeps small shifts in the data from moving it. Below :data:`MIN_REPEAT_CUSTOMERS`
customers with a gap there is no suggestion (a few customers' habits are not the shop's).

Everything is read from the activity rollup's day rows up to the newest order, never the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import warehouse

PERCENTILES = {"median_days": 0.5, "p80_days": 0.8, "p90_days": 0.9}
WEEKS_UP_TO_DAYS = 56  # up to eight weeks the horizon is a whole number of weeks, above it of 30-day months
MONTH_DAYS = 30
MIN_SUGGESTED_DAYS = 14  # a shorter horizon would call a customer lost over a late weekly order
MAX_SUGGESTED_DAYS = 365  # the churn model's longest horizon; a test keeps them equal
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class Reorders:
    """How often the customers of a warehouse reorder.

    Attributes
    ----------
    distribution
        One row per gap length seen, shortest first: ``gap_days`` (int, >= 1), ``gaps`` (int, gaps of that length
        over every customer), ``customers`` (int, customers with at least one such gap), ``share`` (float in
        [0, 1], of all gaps) and ``cumulative_share`` (float in [0, 1], of all gaps at most that long; 1 on the
        last row). Empty without a repeat customer.
    gaps
        Gaps in all (int, >= 0).
    customers
        Customers with at least one gap, i.e. at least two purchase days (int, >= 0).
    median_days, p80_days, p90_days
        Percentiles of the gaps in days (float, interpolated between the two nearest gaps); None without gaps.
    suggested_horizon_days
        The churn horizon the gaps suggest (int, days; see the module docstring); None with fewer than
        :data:`MIN_REPEAT_CUSTOMERS` customers.
    rule
        One sentence saying how the suggestion was made, or why there is none.
    """

    distribution: pd.DataFrame
    gaps: int
    customers: int
    median_days: float | None
    p80_days: float | None
    p90_days: float | None
    suggested_horizon_days: int | None
    rule: str


def _rounded(p90_days: float) -> tuple[int, str]:
    """``p90_days`` rounded up to its step, and the step's name."""
    if p90_days <= WEEKS_UP_TO_DAYS:
        return math.ceil(p90_days / 7) * 7, "whole weeks"
    return math.ceil(p90_days / MONTH_DAYS) * MONTH_DAYS, f"whole {MONTH_DAYS}-day months"


def suggest_horizon(p90_days: float) -> int:
    """The churn horizon that a 90th percentile of ``p90_days`` suggests: rounded up to whole weeks up to
    :data:`WEEKS_UP_TO_DAYS` days, to whole 30-day months above, clamped to the suggested range (int, days)."""
    return int(min(max(_rounded(p90_days)[0], MIN_SUGGESTED_DAYS), MAX_SUGGESTED_DAYS))


def _rule(p90_days: float, suggested: int) -> str:
    rounded, step = _rounded(p90_days)
    bounds = f", kept within {MIN_SUGGESTED_DAYS}-{MAX_SUGGESTED_DAYS} days" if rounded != suggested else ""
    return (
        f"{suggested} days: nine reorders in ten came within {p90_days:.0f} days (the 90th percentile), "
        f"rounded up to {step}{bounds}."
    )


def reorders(con: duckdb.DuckDBPyConnection) -> Reorders:
    """The distribution of days between consecutive purchase days, its percentiles and the suggested horizon."""
    distribution = warehouse.query(con, "reorder_distribution", parts={"gaps": "reorder_gaps"})
    distribution = distribution.astype({"gap_days": "int64", "gaps": "int64", "customers": "int64"})
    total = int(distribution["gaps"].sum())
    distribution["share"] = distribution["gaps"] / total if total else 0.0
    distribution["cumulative_share"] = distribution["share"].cumsum()
    row = warehouse.query(con, "reorder_summary", parts={"gaps": "reorder_gaps"}).iloc[0]
    figures = {name: None if pd.isna(row[name]) else float(row[name]) for name in PERCENTILES}
    customers = int(row["customers"])
    if customers < MIN_REPEAT_CUSTOMERS:
        suggested = None
        rule = (
            f"no suggestion: {customers} customer(s) ordered on two days or more, fewer than the "
            f"{MIN_REPEAT_CUSTOMERS} it takes to tell how often customers reorder"
        )
    else:
        suggested = suggest_horizon(figures["p90_days"])
        rule = _rule(figures["p90_days"], suggested)
    return Reorders(
        distribution=distribution,
        gaps=int(row["gaps"]),
        customers=customers,
        suggested_horizon_days=suggested,
        rule=rule,
        **figures,
    )


def default_horizon(figures: Reorders, longest_days: int, fallback_days: int) -> tuple[int, str]:
    """The At-risk page's default churn horizon and where it comes from (a sentence).

    The suggestion, else ``fallback_days`` (the churn model's default); either one cut to ``longest_days``, the
    longest horizon the order history lets the churn model label and check, so that the first scoring runs.
    """
    if figures.suggested_horizon_days is None:
        days, source = fallback_days, f"the churn model's default ({figures.rule})"
    else:
        days, source = figures.suggested_horizon_days, "suggested by how often customers reorder"
    if days > longest_days:
        return longest_days, f"{source}, shortened to {longest_days} days, the longest the order history allows"
    return days, source


def horizon_default(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The warehouse's default churn horizon in days and where it comes from (a sentence): :func:`default_horizon`
    of its :func:`reorders`, cut to the longest horizon its order history can label. The At-risk page, the
    ``at-risk`` command and ``refresh`` all start from it."""
    from retention import churn  # here, not at the top: it imports the model libraries

    first, last = churn.order_days(con)
    return default_horizon(reorders(con), churn.longest_horizon_days((last - first).days), churn.DEFAULT_HORIZON_DAYS)
