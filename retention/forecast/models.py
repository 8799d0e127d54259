"""Forecasting one series: Prophet, the naive baselines, and running many Prophet fits in parallel.

A forecast is planned, run and finished in three steps so that many series
(one per cohort, or one per backtest origin) can share one process pool:

* :func:`plan` decides what a series gets (Prophet, or the naive forecast
  only when history is too short) and returns a picklable :class:`ProphetJob`;
* :func:`run_jobs` fits the jobs, serially or in spawned worker processes;
* :func:`finish` turns a job's result back to the series' own scale.

:func:`forecast_series` does all three for one series.

Scales
------
Each series has a scale that keeps forecasts and intervals in range:

* ``share`` (retention, in [0, 1]) is modelled on the logit scale:
  ``logit(clip(y, 0.001, 0.999))`` is fitted with Prophet's linear growth and
  ``yhat``, ``yhat_lower`` and ``yhat_upper`` are mapped back with the logistic
  function. We chose the logit transform over Prophet's logistic growth with
  ``cap=1, floor=0`` because logistic growth bounds only the trend: the
  seasonality, holiday terms and the sampled uncertainty are added on top and
  can still leave [0, 1], while the logistic function maps every value of the
  real line into (0, 1), so point forecasts and the interval stay in range by
  construction. The transform is monotone, so the 10th and 90th percentiles of
  the samples map to the 10th and 90th percentiles on the share scale and the
  80% interval keeps its meaning (``yhat`` becomes the median). What still
  escapes through rounding is clipped to [0, 1].
* ``count`` (customers) is fitted as is and clipped at 0.
* ``amount`` (net revenue, which returns can make negative) is left unbounded.

Seasonality
-----------
Series are weekly or monthly totals, one date per period, so Prophet's weekly
(day-of-week) and daily seasonalities have nothing to fit and are off. Yearly
seasonality is on when history allows it (see :func:`yearly_order`), with a
low Fourier order for monthly data (12 points a year cannot carry more).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TypeVar

import numpy as np
import pandas as pd

from retention.errors import DataError

T = TypeVar("T")

MIN_POINTS = 10
"""Prophet needs at least this many complete periods; shorter series get the naive forecast only."""

MAX_HORIZON = 104
"""The longest horizon a user may ask for, in periods (two years of weeks)."""

INTERVAL_WIDTH = 0.8
UNCERTAINTY_SAMPLES = 300
"""Samples Prophet draws for the interval. The 80% interval needs the 10th and 90th percentiles:
with 300 draws the standard error of a 10% quantile is sqrt(0.1 * 0.9 / 300) = 1.7 percentage
points of probability, small next to the backtest's own noise. Prophet's default is 1000; in
Prophet 1.5 the sampling is vectorised, so on series of a few hundred points the saving is
small next to the Stan fit (see benchmarks/forecast_bench.py)."""

PARALLEL_MIN_JOBS = 6
"""Fewer Prophet fits than this run in the calling process: starting workers costs more."""

SHARE_EPSILON = 1e-3
YEARLY = ("auto", "on", "off")


@dataclass(frozen=True)
class Period:
    """A forecasting period.

    freq: pandas frequency of the period starts; alias: pandas period alias (weeks start on
    Monday); season: periods in a year; fourier_order: of Prophet's yearly seasonality.
    """

    name: str
    freq: str
    alias: str
    season: int
    fourier_order: int
    offset: pd.DateOffset


PERIODS: dict[str, Period] = {
    "week": Period("week", "W-MON", "W-SUN", 52, 6, pd.DateOffset(weeks=1)),
    "month": Period("month", "MS", "M", 12, 3, pd.DateOffset(months=1)),
}


def choose(kind: str, name: str, registry: Mapping[str, T]) -> T:
    """``registry[name]``, or a :class:`DataError` naming the ``kind`` and listing the choices."""
    if name not in registry:
        raise DataError(f"{kind} {name!r} is not one of {', '.join(registry)}")
    return registry[name]


def period_spec(period: str) -> Period:
    """The :class:`Period` named ``period``, or a :class:`DataError` listing the choices."""
    return choose("period", period, PERIODS)


@dataclass(frozen=True)
class Scale:
    """How a series is modelled: the forward and inverse transform and the range of its values."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    lower: float | None
    upper: float | None

    def clip(self, values: np.ndarray) -> np.ndarray:
        """``values`` clipped to the scale's range."""
        return np.clip(values, self.lower, self.upper) if self.lower is not None or self.upper is not None else values


def _logit(values: np.ndarray) -> np.ndarray:
    share = np.clip(np.asarray(values, dtype=float), SHARE_EPSILON, 1 - SHARE_EPSILON)
    return np.log(share / (1 - share))


def _expit(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(values, dtype=float)))


def _identity(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


SCALES: dict[str, Scale] = {
    "share": Scale("share", _logit, _expit, 0.0, 1.0),
    "count": Scale("count", _identity, _identity, 0.0, None),
    "amount": Scale("amount", _identity, _identity, None, None),
}


def scale_spec(scale: str) -> Scale:
    """The :class:`Scale` named ``scale``."""
    return choose("scale", scale, SCALES)


@dataclass(frozen=True)
class Settings:
    """Model options a user can change.

    yearly: ``auto`` (on with two full years of history), ``on`` (needs one full year) or ``off``;
    holidays: a country code of Prophet's built-in holiday lists (``"UK"``, ``"US"``...) or None;
    changepoint_prior_scale: how flexible the trend is (Prophet's default 0.05; larger bends more);
    seed: seeds the sampling of the interval, so a forecast is repeatable.
    """

    yearly: str = "auto"
    holidays: str | None = None
    changepoint_prior_scale: float = 0.05
    interval_width: float = INTERVAL_WIDTH
    uncertainty_samples: int = UNCERTAINTY_SAMPLES
    seed: int = 0

    def __post_init__(self) -> None:
        if self.yearly not in YEARLY:
            raise DataError(f"yearly seasonality {self.yearly!r} is not one of {', '.join(YEARLY)}")
        if not self.changepoint_prior_scale > 0:
            raise DataError(f"changepoint prior scale must be positive, got {self.changepoint_prior_scale}")
        if not 0 < self.interval_width < 1:
            raise DataError(f"interval width must be between 0 and 1, got {self.interval_width}")
        if self.holidays is not None:
            holiday_calendar(self.holidays, [2020], "week")


def holiday_calendar(country: str, years: Sequence[int], period: str) -> pd.DataFrame:
    """Prophet's built-in holidays of ``country``, each moved to the start of its week or month.

    Returns columns ``holiday`` (name) and ``ds`` (period start, timestamp), one row per
    holiday and period. Weekly and monthly series have one date per period, so a holiday
    on a Wednesday only reaches the model through the Monday that starts its week.
    """
    from prophet.make_holidays import make_holidays_df

    try:
        days = make_holidays_df(year_list=list(years), country=country)
    except (AttributeError, KeyError, NotImplementedError) as exc:
        raise DataError(f"no built-in holiday list for country {country!r} (try UK, US, DE, FR)") from exc
    starts = pd.to_datetime(days["ds"]).dt.to_period(period_spec(period).alias).dt.start_time
    return pd.DataFrame({"holiday": days["holiday"].astype(str), "ds": starts}).drop_duplicates(ignore_index=True)


@dataclass(frozen=True)
class ProphetJob:
    """One Prophet fit, picklable for a worker process. ``y`` is on the model scale."""

    ds: np.ndarray
    y: np.ndarray
    future: np.ndarray
    yearly_order: int
    holidays: pd.DataFrame | None
    changepoint_prior_scale: float
    interval_width: float
    uncertainty_samples: int
    seed: int
    with_history: bool = False


@dataclass(frozen=True)
class Plan:
    """What one series gets: a Prophet job (None for the naive forecast only) and why."""

    job: ProphetJob | None
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Forecast:
    """A finished forecast of one series.

    frame: columns ``ds`` (period start), ``yhat``, ``yhat_lower``, ``yhat_upper`` (the 80%
    interval) on the series' own scale, one row per future period; components: columns ``ds``,
    ``trend`` and, where fitted, ``yearly`` and ``holidays``, on the model scale over history
    and future (empty for the naive forecast); model: ``prophet`` or a baseline's name.
    """

    frame: pd.DataFrame
    model: str
    messages: tuple[str, ...] = ()
    components: pd.DataFrame = field(default_factory=pd.DataFrame)


def _quiet_prophet() -> None:
    """Silence Prophet's and cmdstanpy's progress logging (cmdstanpy installs its own handler on first use)."""
    from cmdstanpy.utils import get_logger

    logging.getLogger("prophet").setLevel(logging.WARNING)
    cmdstanpy_logger = get_logger()
    cmdstanpy_logger.setLevel(logging.WARNING)
    for handler in cmdstanpy_logger.handlers:
        handler.setLevel(logging.WARNING)


def fit_prophet(job: ProphetJob) -> pd.DataFrame:
    """Fit Prophet for one job and predict its future (and history when asked).

    Top-level so that spawned worker processes can run it. Returns columns ``ds``,
    ``yhat``, ``yhat_lower``, ``yhat_upper``, ``trend`` and, where fitted, ``yearly``
    and ``holidays``, all on the model scale.
    """
    from prophet import Prophet

    _quiet_prophet()
    model = Prophet(
        growth="linear",
        yearly_seasonality=False,
        weekly_seasonality=False,
        daily_seasonality=False,
        holidays=job.holidays,
        changepoint_prior_scale=job.changepoint_prior_scale,
        interval_width=job.interval_width,
        uncertainty_samples=job.uncertainty_samples,
    )
    if job.yearly_order:
        model.add_seasonality(name="yearly", period=365.25, fourier_order=job.yearly_order)
    model.fit(pd.DataFrame({"ds": pd.to_datetime(job.ds), "y": job.y}), seed=job.seed)
    dates = np.concatenate([job.ds, job.future]) if job.with_history else job.future
    state = np.random.get_state()
    np.random.seed(job.seed)  # Prophet samples the interval from numpy's global generator
    try:
        predicted = model.predict(pd.DataFrame({"ds": pd.to_datetime(dates)}))
    finally:
        np.random.set_state(state)
    columns = ["ds", "yhat", "yhat_lower", "yhat_upper", "trend"]
    columns += [name for name in ("yearly", "holidays") if name in predicted.columns]
    return predicted[columns].reset_index(drop=True)


def _worker_count(workers: int | None, jobs: int) -> int:
    if workers is not None:
        return max(1, min(workers, jobs))
    return max(1, min(os.cpu_count() or 1, jobs))


def run_jobs(
    jobs: Sequence[ProphetJob],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Fit every job; results in the order of ``jobs``.

    ``workers=None`` uses one process per CPU core, ``workers=1`` fits in this process.
    Fewer than ``PARALLEL_MIN_JOBS`` jobs always run here (starting workers costs seconds).
    Workers are spawned, not forked: forking a process that runs threads (Streamlit,
    DuckDB) can deadlock. ``progress(done, total)`` is called after each fit.
    """
    total = len(jobs)
    count = _worker_count(workers, total)
    results: list[pd.DataFrame | None] = [None] * total
    if count == 1 or total < PARALLEL_MIN_JOBS:
        for index, job in enumerate(jobs):
            results[index] = fit_prophet(job)
            if progress:
                progress(index + 1, total)
        return results
    pool = _pool(count)
    pending = {pool.submit(fit_prophet, job): index for index, job in enumerate(jobs)}
    for done, future in enumerate(as_completed(pending), start=1):
        results[pending[future]] = future.result()
        if progress:
            progress(done, total)
    return results


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` spawned processes, kept for later calls (starting one costs seconds)."""
    pool = _POOLS.get(workers)
    if pool is None or getattr(pool, "_broken", False):
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_prophet
        )
        with _neutral_main():
            # One task per worker makes the pool start every process now, while __main__ is neutral.
            warm = [pool.submit(_warm_up) for _ in range(workers)]
        for future in warm:
            future.result()
        _POOLS[workers] = pool
    return pool


def _warm_up() -> None:
    """Import Prophet in a fresh worker so that its first fit does not pay for it."""
    import prophet  # noqa: F401


@contextmanager
def _neutral_main() -> Iterator[None]:
    """Hide ``__main__`` while worker processes are spawned.

    A spawned worker re-runs the parent's ``__main__`` file. Under Streamlit that file is the
    page script itself, which must not run in a worker; a bare module gives the worker nothing to run.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def shutdown_pools() -> None:
    """Stop the kept worker processes (they also stop when this process exits)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown()


def future_dates(last: pd.Timestamp, period: str, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` period starts after ``last``."""
    spec = period_spec(period)
    return pd.date_range(pd.Timestamp(last) + spec.offset, periods=steps, freq=spec.freq)


def yearly_order(points: int, period: str, yearly: str) -> tuple[int, str | None]:
    """The Fourier order of the yearly seasonality for ``points`` periods of history, and a note when it is off."""
    spec = period_spec(period)
    if yearly == "off":
        return 0, None
    needed = spec.season * (2 if yearly == "auto" else 1)
    if points >= needed:
        return spec.fourier_order, None
    years = "two full years" if yearly == "auto" else "a full year"
    return 0, f"Yearly seasonality is off: it needs {years} of history ({needed} {period}s), there are {points}."


def plan(
    history: pd.DataFrame,
    *,
    period: str,
    future: Sequence[pd.Timestamp],
    scale: str,
    settings: Settings,
    with_history: bool = False,
) -> Plan:
    """Decide how to forecast ``history`` (columns ``ds``, ``y``, complete periods only) at the dates ``future``."""
    points = len(history)
    if points < MIN_POINTS:
        unit = f"{period}s" if points != 1 else period
        return Plan(
            None,
            (
                f"Only {points} complete {unit} of history: showing the naive forecast (last value) only; "
                f"Prophet needs at least {MIN_POINTS}.",
            ),
        )
    order, note = yearly_order(points, period, settings.yearly)
    ds = pd.to_datetime(history["ds"]).to_numpy()
    future = pd.DatetimeIndex(future).to_numpy()
    holidays = None
    if settings.holidays:
        years = range(pd.Timestamp(ds[0]).year - 1, pd.Timestamp(future[-1]).year + 2)
        holidays = holiday_calendar(settings.holidays, years, period)
    job = ProphetJob(
        ds=ds,
        y=scale_spec(scale).forward(history["y"].to_numpy(dtype=float)),
        future=future,
        yearly_order=order,
        holidays=holidays,
        changepoint_prior_scale=settings.changepoint_prior_scale,
        interval_width=settings.interval_width,
        uncertainty_samples=settings.uncertainty_samples,
        seed=settings.seed,
        with_history=with_history,
    )
    return Plan(job, (note,) if note else ())


def finish_prophet(result: pd.DataFrame, job: ProphetJob, scale: str) -> Forecast:
    """A :class:`Forecast` from the model-scale result of :func:`fit_prophet`."""
    spec = scale_spec(scale)
    future = result.iloc[len(result) - len(job.future) :]
    frame = pd.DataFrame({"ds": pd.to_datetime(future["ds"]).to_numpy()})
    for column in ("yhat", "yhat_lower", "yhat_upper"):
        frame[column] = spec.clip(spec.inverse(future[column].to_numpy()))
    components = result.drop(columns=["yhat", "yhat_lower", "yhat_upper"]) if job.with_history else pd.DataFrame()
    return Forecast(frame, "prophet", components=components)


# ---------------------------------------------------------------- baselines

BaselineFn = Callable[[np.ndarray, np.ndarray, int], "tuple[np.ndarray, np.ndarray] | None"]
BASELINES: dict[str, tuple[str, BaselineFn]] = {}


def baseline(name: str, label: str) -> Callable[[BaselineFn], BaselineFn]:
    """Register a naive baseline ``fn(y, steps, season) -> (yhat, sd) | None``.

    ``y`` is the history on the model scale, ``steps`` the horizons (1 = next period) to
    forecast; ``yhat`` is the point forecast and ``sd`` the standard deviation of its error
    per step, both on the model scale. None means the baseline does not apply to this history.
    """

    def register(fn: BaselineFn) -> BaselineFn:
        BASELINES[name] = (label, fn)
        return fn

    return register


def _rms(values: np.ndarray) -> float:
    """Root mean square; NaN for no values (one point of history says nothing about its spread)."""
    return float(np.sqrt(np.mean(np.square(values)))) if len(values) else float("nan")


@baseline("naive", "Naive (last value)")
def naive(y: np.ndarray, steps: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """Last value; its error grows like a random walk's, sd = rms(one-period change) * sqrt(h) (NaN from one point)."""
    sd = _rms(np.diff(y)) * np.sqrt(steps)
    return np.full(len(steps), y[-1], dtype=float), sd


@baseline("seasonal_naive", "Seasonal naive (same period last year)")
def seasonal_naive(y: np.ndarray, steps: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Value one year earlier; sd = rms(year-on-year change) * sqrt(years ahead). Needs more than a year."""
    if len(y) <= season:
        return None
    index = len(y) - season + (steps - 1) % season
    sd = _rms(y[season:] - y[:-season]) * np.sqrt((steps - 1) // season + 1)
    return y[index].astype(float), sd


def baseline_forecast(
    name: str,
    history: pd.DataFrame,
    *,
    period: str,
    future: Sequence[pd.Timestamp],
    scale: str,
    interval_width: float = INTERVAL_WIDTH,
) -> Forecast | None:
    """The baseline ``name`` for ``history`` (columns ``ds``, ``y``) at ``future``; None where it does not apply.

    Returns a :class:`Forecast` whose interval is the normal interval of ``interval_width``
    around the point forecast on the model scale, mapped back to the series' scale.
    """
    fn = choose("baseline", name, BASELINES)[1]
    if history.empty:
        raise DataError("no complete periods of history to forecast from")
    spec, period_info = scale_spec(scale), period_spec(period)
    future = pd.DatetimeIndex(future)
    steps = np.array([periods_between(history["ds"].iloc[-1], date, period) for date in future], dtype=int)
    outcome = fn(spec.forward(history["y"].to_numpy(dtype=float)), steps, period_info.season)
    if outcome is None:
        return None
    yhat, sd = outcome
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    frame = pd.DataFrame({"ds": future.to_numpy()})
    for column, values in (("yhat", yhat), ("yhat_lower", yhat - z * sd), ("yhat_upper", yhat + z * sd)):
        frame[column] = spec.clip(spec.inverse(values))
    return Forecast(frame, name)


def forecast_series(
    history: pd.DataFrame,
    *,
    period: str,
    horizon: int,
    scale: str = "count",
    settings: Settings | None = None,
) -> Forecast:
    """Forecast the ``horizon`` periods after a series.

    Parameters
    ----------
    history
        Columns ``ds`` (period start) and ``y``, complete periods only, in order.
    period
        ``week`` or ``month``.
    horizon
        Periods to forecast, at least 1.
    scale
        ``share`` (in [0, 1], logit scale), ``count`` (clipped at 0) or ``amount``.

    Returns
    -------
    Forecast
        Prophet's forecast with its components, or the naive forecast when history is
        shorter than ``MIN_POINTS`` (``messages`` says so).
    """
    settings = settings or Settings()
    check_horizon(horizon)
    if history.empty:
        raise DataError("no complete periods of history to forecast from")
    future = future_dates(history["ds"].iloc[-1], period, horizon)
    planned = plan(history, period=period, future=future, scale=scale, settings=settings, with_history=True)
    if planned.job is None:
        fallback = baseline_forecast(
            "naive", history, period=period, future=future, scale=scale, interval_width=settings.interval_width
        )
        return Forecast(fallback.frame, fallback.model, planned.messages)
    result = run_jobs([planned.job], workers=1)[0]
    finished = finish_prophet(result, planned.job, scale)
    return Forecast(finished.frame, finished.model, planned.messages, finished.components)


def check_horizon(horizon: int) -> None:
    """Raise a :class:`DataError` unless ``1 <= horizon <= MAX_HORIZON``."""
    if not isinstance(horizon, int | np.integer) or not 1 <= horizon <= MAX_HORIZON:
        raise DataError(f"horizon must be a whole number of periods from 1 to {MAX_HORIZON}, got {horizon!r}")


def periods_between(start: pd.Timestamp, end: pd.Timestamp, period: str) -> int:
    """Whole periods from ``start`` to ``end`` (both period starts)."""
    alias = period_spec(period).alias
    return (pd.Timestamp(end).to_period(alias) - pd.Timestamp(start).to_period(alias)).n
