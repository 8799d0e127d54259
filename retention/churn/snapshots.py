"""Snapshot dates and the features and labels of every customer at each (computed by the SQL engine).

A snapshot date ``d`` covers the data up to the end of day ``d``; its label
reads the ``horizon_days`` days that follow. :func:`plan_snapshots` picks the
monthly dates that train, evaluate and score so that no label window reaches
past what the model may know (see :mod:`retention.churn`). :func:`sample_customers`
caps the rows the training snapshots hold by reading a seeded sample of whole customers.
The queries run on the warehouse or on any engine's connection (:func:`retention.engines.source`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention import periods, warehouse
from retention.errors import DataError
from retention.schema import CART_EVENTS, VIEW_EVENTS

DEFAULT_HORIZON_DAYS = 90
MIN_HORIZON_DAYS = 7
MAX_HORIZON_DAYS = 365
MIN_HISTORY_DAYS = 30  # the first snapshot comes this many days after the first order
SNAPSHOT_STEP_MONTHS = 1
MAX_TRAINING_ROWS = 250_000
"""The most rows of the final training snapshots that are read: above it they hold a seeded sample of customers.
On the 50,000-customer sample shop (335,000 such rows), the evaluation model fitted on the sample scored the whole
holdout at ROC AUC 0.8668, the old procedure (out-of-fold calibration, every row) at 0.8671, a sample a quarter
this size at 0.8657 (``benchmarks/churn_scale_bench.py``); a fit's time and the read grow in proportion to rows."""
SAMPLE_SEED = 0
MAX_SNAPSHOTS = 240
"""The most training snapshots of one fit: twenty years of monthly ones, far more than a churn model needs, and
each one a row per customer (an order dated in year 9999 would ask for a hundred thousand)."""


@dataclass(frozen=True)
class SnapshotPlan:
    """Which snapshot dates train, evaluate and score.

    as_of: the date scored (features up to its end, no label); holdout: the
    latest labelled snapshot (``as_of - horizon_days``); evaluation_train:
    monthly snapshots back from ``holdout - horizon_days``, whose label windows
    end by the holdout date; final_train: monthly snapshots back from the
    holdout, which they include. Dates ascend.
    """

    as_of: dt.date
    horizon_days: int
    holdout: dt.date
    evaluation_train: tuple[dt.date, ...]
    final_train: tuple[dt.date, ...]

    @property
    def all_dates(self) -> tuple[dt.date, ...]:
        return tuple(sorted({*self.evaluation_train, *self.final_train, self.holdout, self.as_of}))


def required_history_days(horizon_days: int, min_history_days: int = MIN_HISTORY_DAYS) -> int:
    """Days of order history needed for one training snapshot, a later holdout snapshot and its label."""
    return min_history_days + 2 * horizon_days


def longest_horizon_days(history_days: int, min_history_days: int = MIN_HISTORY_DAYS) -> int:
    """The longest horizon that ``history_days`` days of orders can train and check (the inverse of
    :func:`required_history_days`), kept within the supported range (int, days)."""
    return min(max((history_days - min_history_days) // 2, MIN_HORIZON_DAYS), MAX_HORIZON_DAYS)


def check_horizon(horizon_days: int) -> None:
    """Raise :class:`DataError` unless the horizon is a whole number of days in the supported range."""
    if not isinstance(horizon_days, int | np.integer) or not MIN_HORIZON_DAYS <= horizon_days <= MAX_HORIZON_DAYS:
        raise DataError(
            f"horizon_days must be a whole number of days from {MIN_HORIZON_DAYS} to {MAX_HORIZON_DAYS}, "
            f"got {horizon_days!r}"
        )


def monthly_dates(last: dt.date, earliest: dt.date, step_months: int = SNAPSHOT_STEP_MONTHS) -> tuple[dt.date, ...]:
    """``last``, ``last`` minus one step, minus two steps... while not before ``earliest``; ascending."""
    dates = []
    k = 0
    while (candidate := (pd.Timestamp(last) - pd.DateOffset(months=k * step_months)).date()) >= earliest:
        dates.append(candidate)
        k += 1
    return tuple(reversed(dates))


def plan_snapshots(
    first_day: dt.date,
    as_of: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    step_months: int = SNAPSHOT_STEP_MONTHS,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> SnapshotPlan:
    """Monthly snapshot dates from ``first_day + min_history_days`` up to the holdout ``as_of - horizon_days``.

    Raises
    ------
    DataError
        The history from ``first_day`` to ``as_of`` is too short for one
        training snapshot whose label ends by the holdout date, or so long that it
        would take more than :data:`MAX_SNAPSHOTS` snapshots (an implausible date).
    """
    check_horizon(horizon_days)
    holdout = as_of - dt.timedelta(days=horizon_days)
    earliest = first_day + dt.timedelta(days=min_history_days)
    if earliest <= holdout:
        periods.span(
            earliest,
            holdout,
            "month",
            what="the churn model's monthly training snapshots",
            advice=periods.FIX_DATES,
            limit=MAX_SNAPSHOTS * step_months,
        )
    evaluation = monthly_dates(holdout - dt.timedelta(days=horizon_days), earliest, step_months)
    if not evaluation:
        have = (as_of - first_day).days
        need = required_history_days(horizon_days, min_history_days)
        raise DataError(
            f"the churn model needs at least {need} days of order history for a {horizon_days}-day horizon "
            f"({min_history_days} days to build features, {horizon_days} days to label a training snapshot and "
            f"{horizon_days} more to hold out the latest one for evaluation); the orders span {have} days "
            f"({first_day} to {as_of}). Shorten the horizon or import more history."
        )
    return SnapshotPlan(
        as_of=as_of,
        horizon_days=horizon_days,
        holdout=holdout,
        evaluation_train=evaluation,
        final_train=monthly_dates(holdout, earliest, step_months),
    )


SAMPLE_DIGITS = 12  # hex digits of a customer's md5 that place them in or out of a sample


@dataclass(frozen=True)
class CustomerSample:
    """Which customers the training snapshots read: those whose ``md5(user_id || ':' || seed)`` lies in the first
    ``share`` (in (0, 1]; 1 is every customer) of its range, at every snapshot, so a customer's snapshots are all
    in or all out and the churn rates are those of all customers. ``available``: rows the final training snapshots
    hold with every customer. An md5 rather than DuckDB's own hash, so that Spark draws the same customers."""

    share: float
    seed: int
    available: int

    @property
    def everyone(self) -> bool:
        return self.share >= 1.0

    @property
    def below(self) -> str | None:
        """The sample's bound on the first :data:`SAMPLE_DIGITS` hex digits of a customer's md5 (lowercase, so
        that text order is number order); None for every customer."""
        if self.everyone:
            return None
        return format(int(self.share * 16**SAMPLE_DIGITS), f"0{SAMPLE_DIGITS}x")


def sample_customers(
    con: duckdb.DuckDBPyConnection,
    snapshots: Sequence[dt.date],
    *,
    max_rows: int = MAX_TRAINING_ROWS,
    seed: int = SAMPLE_SEED,
) -> CustomerSample:
    """The sample of customers whose rows at ``snapshots`` number about ``max_rows``; every customer when the
    snapshots hold no more (a shop of up to some 20,000 customers)."""
    dates = sorted(set(snapshots))
    (available,) = warehouse.execute(con, "churn_training_rows", {"snapshots": dates}).fetchone()
    share = 1.0 if available <= max_rows else max_rows / available
    return CustomerSample(share=share, seed=int(seed), available=int(available))


def order_days(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """First and last day with an order.

    Raises
    ------
    DataError
        The warehouse holds no orders.
    """
    first, last = warehouse.data_range(con)
    if first is None:
        raise DataError("the warehouse holds no orders; import orders (or the sample data) before scoring churn risk")
    return first.date(), last.date()


def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date | str | None = None) -> dt.date:
    """The as-of date: ``as_of`` parsed as a date, or the latest order date when None.

    Raises
    ------
    DataError
        ``as_of`` is not a date, or lies outside the days with orders.
    """
    first, last = order_days(con)
    if as_of is None:
        return last
    try:
        day = pd.Timestamp(as_of).date()
    except (ValueError, TypeError) as exc:
        raise DataError(f"as-of date {as_of!r} is not a date (use YYYY-MM-DD)") from exc
    if not first <= day <= last:
        raise DataError(f"as-of date {day} is outside the order history ({first} to {last})")
    return day


def snapshot_features(
    con: duckdb.DuckDBPyConnection,
    snapshots: Sequence[dt.date],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    sample: CustomerSample | None = None,
) -> pd.DataFrame:
    """Features and labels of every customer (of ``sample`` when given) at each snapshot date (computed in DuckDB).

    Returns
    -------
    DataFrame
        One row per (snapshot_date, user_id) for customers with a purchase up to
        the end of the snapshot date. Columns: ``snapshot_date`` (timestamp at
        midnight); ``user_id``; one column per feature of
        :data:`~retention.churn.features.FEATURE_REGISTRY` (numeric ones float64,
        categorical ones text; each one's unit, range and missing values are in
        its ``definition``); ``churned`` (bool, no purchase in the
        ``horizon_days`` days after the snapshot; missing when that window
        reaches past the latest order).
    """
    check_horizon(horizon_days)
    dates = sorted(set(snapshots))
    if len(dates) > 2 * MAX_SNAPSHOTS + 2:  # a plan's training, evaluation, holdout and as-of dates
        raise DataError(f"at most {2 * MAX_SNAPSHOTS + 2} snapshot dates at once, not {len(dates):,}")
    frame = warehouse.query(
        con,
        "churn_features",
        {
            "snapshots": dates,
            "horizon_days": int(horizon_days),
            "view_events": list(VIEW_EVENTS),
            "cart_events": list(CART_EVENTS),
            "sample_below": None if sample is None else sample.below,
            "seed": 0 if sample is None else int(sample.seed),
        },
    )
    # The same types whichever engine computed them (Spark gives the label as objects, dates in seconds).
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).astype("datetime64[us]")
    frame["churned"] = frame["churned"].astype("boolean")
    return frame


def rows_at(frame: pd.DataFrame, dates: Sequence[dt.date]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``snapshot_date`` is one of ``dates``."""
    wanted = pd.to_datetime(pd.Series(list(dates), dtype="object"))
    return frame[frame["snapshot_date"].isin(wanted)].reset_index(drop=True)
