"""Forecasts of cohort retention: the future periods of existing cohorts, and the curve of the next cohort.

Both read a cohort table as :func:`retention.cohorts.cohort_table` returns it
(``cohort``, ``period``, ``retention``, ``complete``) and use only complete cells
of periods 1 and later as history: period 0 is the cohort's own period, where
retention is 1 by definition, and an incomplete cell is still filling up.

* An existing cohort's curve is a series over calendar time: period ``k`` of the
  cohort starting ``c`` is dated ``c + k`` periods. It is forecast ``horizon``
  periods past its last complete period.
* The next cohort's curve is forecast one period ``k`` at a time: the retention at
  period ``k`` of every cohort that has reached it, dated by cohort start, is a
  series whose next value is the next cohort's retention at ``k``.

Retention is modelled on the logit scale (see :mod:`retention.forecast.models`),
so forecasts and intervals stay in [0, 1]. Every Prophet fit of one call (forecasts,
next-cohort curve and the backtest folds) goes to one executor, the caller's (see
:mod:`retention.forecast.parallel`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention.errors import DataError
from retention.forecast import backtest, baselines, models, parallel, series

SCALE = "share"
COHORT_FOLDS = 2
FORECAST_COLUMNS = ["cohort", "period", "ds", "yhat", "yhat_lower", "yhat_upper", "model", "interval_note"]


def period_dates(cohorts: pd.Series | pd.DatetimeIndex, ages: np.ndarray, period: str) -> np.ndarray:
    """The start of period ``ages[i]`` of the cohort starting ``cohorts[i]`` (timestamps)."""
    alias = series.period_spec(period).alias
    starts = pd.PeriodIndex(pd.DatetimeIndex(cohorts), freq=alias)
    return (starts + np.asarray(ages, dtype=int)).to_timestamp().to_numpy()


def retention_history(table: pd.DataFrame, *, period: str) -> pd.DataFrame:
    """The complete cells of periods 1 and later of a cohort table.

    Returns columns ``cohort`` (timestamp), ``period`` (int >= 1), ``ds`` (the cell's
    calendar period start) and ``retention`` (float in [0, 1]), ordered by cohort and period.
    """
    missing = {"cohort", "period", "retention", "complete"} - set(table.columns)
    if missing:
        raise DataError(f"the cohort table lacks the columns {', '.join(sorted(missing))}")
    cells = table.loc[table["complete"].astype(bool) & (table["period"] >= 1), ["cohort", "period", "retention"]]
    cells = cells.assign(cohort=pd.to_datetime(cells["cohort"])).sort_values(["cohort", "period"], ignore_index=True)
    cells.insert(2, "ds", period_dates(cells["cohort"], cells["period"].to_numpy(), period))
    return cells


def cohort_choices(history: pd.DataFrame) -> list[pd.Timestamp]:
    """Cohort starts with retention history (see :func:`retention_history`), oldest first."""
    return [pd.Timestamp(day) for day in sorted(history["cohort"].unique())]


def default_cohorts(history: pd.DataFrame, count: int = 6) -> list[pd.Timestamp]:
    """The ``count`` latest cohorts with enough history for Prophet (the latest ones when none has)."""
    points = history.groupby("cohort")["period"].size()
    enough = sorted(points.index[points >= models.MIN_POINTS])
    chosen = enough[-count:] if enough else sorted(points.index)[-count:]
    return [pd.Timestamp(day) for day in chosen]


@dataclass(frozen=True)
class CohortForecast:
    """Cohort retention forecasts.

    history: see :func:`retention_history`; forecast: columns ``cohort``, ``period`` (int,
    periods since the cohort started), ``ds`` (calendar period start), ``yhat``,
    ``yhat_lower``, ``yhat_upper`` (retention and its 80% interval, in [0, 1]), ``model``
    (``prophet`` or ``naive``) and ``interval_note`` (why the row has no interval, None when
    it has one: see :mod:`retention.forecast.baselines`), one row per cohort and future period; next_cohort: the same
    columns for the cohort starting after the latest one, periods 1 to ``horizon``;
    backtest: existing cohorts' rolling-origin backtest, pooled; messages: what was left out and why.
    """

    period: str
    history: pd.DataFrame
    forecast: pd.DataFrame
    next_cohort: pd.DataFrame
    backtest: backtest.Backtest
    messages: tuple[str, ...]
    scale: str = SCALE


@dataclass(frozen=True)
class _Series:
    """One series to forecast: its key columns, history (``ds``, ``y``) and future dates and periods."""

    cohort: pd.Timestamp
    history: pd.DataFrame
    future: pd.DatetimeIndex
    periods: np.ndarray


def _cohort_series(history: pd.DataFrame, cohorts: Sequence[pd.Timestamp], period: str, horizon: int) -> list[_Series]:
    found = []
    for cohort in cohorts:
        cells = history[history["cohort"] == cohort]
        if cells.empty:
            continue
        last = int(cells["period"].iloc[-1])
        ages = np.arange(last + 1, last + horizon + 1)
        future = pd.DatetimeIndex(period_dates(pd.DatetimeIndex([cohort] * horizon), ages, period))
        frame = pd.DataFrame({"ds": cells["ds"].to_numpy(), "y": cells["retention"].to_numpy(dtype=float)})
        found.append(_Series(cohort, frame, future, ages))
    return found


def _next_cohort_series(history: pd.DataFrame, next_start: pd.Timestamp, horizon: int) -> list[_Series]:
    found = []
    for age in range(1, horizon + 1):
        cells = history[history["period"] == age]
        if cells.empty:
            break
        frame = pd.DataFrame({"ds": cells["cohort"].to_numpy(), "y": cells["retention"].to_numpy(dtype=float)})
        found.append(_Series(next_start, frame, pd.DatetimeIndex([next_start]), np.array([age])))
    return found


def _finish(
    item: _Series, planned: models.Plan, result: pd.DataFrame | None, period: str, width: float
) -> pd.DataFrame:
    if planned.job is None:
        done = baselines.baseline_forecast(
            "naive", item.history, period=period, future=item.future, scale=SCALE, interval_width=width
        )
    else:
        done = models.finish_prophet(result, planned.job, SCALE)
    frame = done.frame.assign(cohort=item.cohort, period=item.periods, model=done.model)
    # A next-cohort series is dated by cohort start: its cell of period k lies k periods later.
    frame["ds"] = period_dates(frame["cohort"], frame["period"].to_numpy(), period)
    return frame


def forecast_cohort_retention(
    table: pd.DataFrame,
    *,
    period: str = "month",
    horizon: int = 6,
    settings: models.Settings | None = None,
    cohorts: Sequence[pd.Timestamp] | None = None,
    folds: int = COHORT_FOLDS,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CohortForecast:
    """Forecast retention of existing cohorts and of the next cohort from a cohort table.

    Parameters
    ----------
    table
        A cohort table (columns ``cohort``, ``period``, ``retention``, ``complete``) at ``period``.
    period
        ``week`` or ``month``, the period of the table.
    horizon
        Future periods per existing cohort, and periods 1 to ``horizon`` of the next cohort.
    cohorts
        Cohort starts to forecast; None for every cohort with a complete period 1.
    folds
        Backtest origins per cohort (0 skips the backtest).
    executor
        Where the Prophet fits run (see :func:`parallel.run_jobs`): None for this process, one after
        the other; a :func:`parallel.process_pool` to fit side by side. It is left running.
    progress
        Called as ``progress(done, total)`` after each Prophet fit.

    Returns
    -------
    CohortForecast
        Cohorts with fewer than ``MIN_POINTS`` complete periods get the naive forecast;
        ``messages`` says how many.
    """
    settings = settings or models.Settings()
    series.check_horizon(horizon)
    history = retention_history(table, period=period)
    if history.empty:
        raise DataError("no cohort has a complete period after its first: there is no retention history to forecast")
    known = pd.DatetimeIndex(history["cohort"].unique())
    chosen = known if cohorts is None else pd.DatetimeIndex(pd.to_datetime(list(cohorts)))
    unknown = chosen.difference(known)
    if len(unknown):
        listed = ", ".join(f"{day:%Y-%m-%d}" for day in unknown[:3])
        raise DataError(f"no complete retention history for the cohort(s) {listed}")
    next_start = pd.Timestamp(period_dates(pd.DatetimeIndex([pd.to_datetime(table["cohort"]).max()]), [1], period)[0])

    existing = _cohort_series(history, chosen, period, horizon)
    upcoming = _next_cohort_series(history, next_start, horizon)
    plans = [
        models.plan(item.history, period=period, future=item.future, scale=SCALE, settings=settings)
        for item in existing + upcoming
    ]
    fold_plans = []
    if folds > 0:
        for item in existing:
            fold_plans += backtest.plan_folds(
                item.history,
                period=period,
                horizon=horizon,
                scale=SCALE,
                settings=settings,
                folds=folds,
                key={"cohort": item.cohort},
            )
    jobs = [planned.job for planned in plans if planned.job is not None] + [fold.plan.job for fold in fold_plans]
    results = iter(parallel.run_jobs(jobs, executor=executor, progress=progress))

    frames = []
    for item, planned in zip(existing + upcoming, plans, strict=True):
        result = next(results) if planned.job is not None else None
        frames.append(_finish(item, planned, result, period, settings.interval_width))
    fold_results = list(results)
    tested = backtest.finish(
        fold_plans, fold_results, period=period, scale=SCALE, settings=settings, fmt=backtest.percentage_points
    )
    forecast = pd.concat(frames[: len(existing)], ignore_index=True)[FORECAST_COLUMNS]
    upcoming_frame = (
        pd.concat(frames[len(existing) :], ignore_index=True)[FORECAST_COLUMNS]
        if upcoming
        else pd.DataFrame(columns=FORECAST_COLUMNS)
    )
    messages = _messages(existing, plans, period) + _interval_messages(forecast, upcoming_frame)
    return CohortForecast(period, history, forecast, upcoming_frame, tested, messages)


def _messages(existing: Sequence[_Series], plans: Sequence[models.Plan], period: str) -> tuple[str, ...]:
    short = sum(1 for planned in plans[: len(existing)] if planned.job is None)
    if not short:
        return ()
    return (
        f"{short} of {len(existing)} cohorts have fewer than {models.MIN_POINTS} complete {period}s after their "
        f"first: they get the naive forecast (their last retention) only.",
    )


def _interval_messages(forecast: pd.DataFrame, upcoming: pd.DataFrame) -> tuple[str, ...]:
    found = []
    bare = forecast.loc[forecast["interval_note"].notna(), "cohort"].drop_duplicates()
    if len(bare):
        listed = ", ".join(f"{day:%Y-%m-%d}" for day in bare[:5]) + (", ..." if len(bare) > 5 else "")
        found.append(
            f"No 80% interval for {len(bare)} of {forecast['cohort'].nunique()} cohorts ({listed}): "
            f"{forecast['interval_note'].dropna().iloc[0]}. Their rows say so in interval_note."
        )
    ages = upcoming.loc[upcoming["interval_note"].notna(), "period"].tolist()
    if ages:
        found.append(
            f"No 80% interval for the next cohort at period(s) {', '.join(map(str, ages))}: only one earlier cohort "
            "has reached them."
        )
    return tuple(found)


def cohort_retention_forecast(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str = "month",
    horizon: int = 6,
    settings: models.Settings | None = None,
    cohorts: Sequence[pd.Timestamp] | None = None,
    folds: int = COHORT_FOLDS,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CohortForecast:
    """:func:`forecast_cohort_retention` of the warehouse's first-purchase cohorts (purchase retention, n-day)."""
    from retention.cohorts import cohort_table

    series.period_spec(period)
    table = cohort_table(con, period=period)
    return forecast_cohort_retention(
        table,
        period=period,
        horizon=horizon,
        settings=settings,
        cohorts=cohorts,
        folds=folds,
        executor=executor,
        progress=progress,
    )
