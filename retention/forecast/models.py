"""The Prophet wrapper: forecasting one series with Prophet, falling back to the naive forecast.

A Prophet forecast is planned, run and finished in three steps so that many series
(one per cohort, or one per backtest origin) can share one executor:

* :func:`plan` decides what a series gets (Prophet, or the naive forecast
  only when history is too short) and returns a picklable :class:`ProphetJob`;
* :func:`fit_prophet` fits one job, here or in a worker process
  (:func:`retention.forecast.parallel.run_jobs` runs many);
* :func:`finish_prophet` turns a job's result back to the series' own scale.

:func:`forecast_series` does all three for one series, in this process. The naive
baselines live in :mod:`retention.forecast.baselines`; periods, scales and the
:class:`~retention.forecast.series.Forecast` result in :mod:`retention.forecast.series`.

Scales
------
A share (retention, in [0, 1]) is fitted on the logit scale,
``logit(clip(y, 0.001, 0.999))``, with Prophet's linear growth, and ``yhat``,
``yhat_lower`` and ``yhat_upper`` are mapped back with the logistic function. We
chose the logit transform over Prophet's logistic growth with ``cap=1, floor=0``
because logistic growth bounds only the trend: the seasonality, holiday terms and
the sampled uncertainty are added on top and can still leave [0, 1], while the
logistic function maps every value of the real line into (0, 1), so point
forecasts and the interval stay in range by construction. The transform is
monotone, so the 10th and 90th percentiles of the samples map to the 10th and
90th percentiles on the share scale and the 80% interval keeps its meaning
(``yhat`` becomes the median). What still escapes through rounding is clipped to
[0, 1]. Counts are fitted as is and clipped at 0; amounts are left unbounded.

Seasonality
-----------
Series are weekly or monthly totals, one date per period, so Prophet's weekly
(day-of-week) and daily seasonalities have nothing to fit and are off. Yearly
seasonality is on when history allows it (see :func:`yearly_order`), with a
low Fourier order for monthly data (12 points a year cannot carry more).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention.errors import DataError
from retention.forecast.baselines import baseline_forecast
from retention.forecast.series import (
    INTERVAL_WIDTH,
    Forecast,
    check_horizon,
    future_dates,
    period_spec,
    scale_spec,
)

MIN_POINTS = 10
"""Prophet needs at least this many complete periods; shorter series get the naive forecast only."""

UNCERTAINTY_SAMPLES = 300
"""Samples Prophet draws for the interval. The 80% interval needs the 10th and 90th percentiles:
with 300 draws the standard error of a 10% quantile is sqrt(0.1 * 0.9 / 300) = 1.7 percentage
points of probability, small next to the backtest's own noise. Prophet's default is 1000; in
Prophet 1.5 the sampling is vectorised, so on series of a few hundred points the saving is
small next to the Stan fit (see benchmarks/forecast_bench.py)."""

YEARLY = ("auto", "on", "off")


_GLOBAL_GENERATOR = threading.Lock()


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


def quiet_prophet() -> None:
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

    quiet_prophet()
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
    # Prophet samples the interval from numpy's global generator: one prediction at a time per process, so that
    # two jobs' threads (two forecasts in one server) cannot interleave their draws.
    with _GLOBAL_GENERATOR:
        state = np.random.get_state()
        np.random.seed(job.seed)
        try:
            predicted = model.predict(pd.DataFrame({"ds": pd.to_datetime(dates)}))
        finally:
            np.random.set_state(state)
    columns = ["ds", "yhat", "yhat_lower", "yhat_upper", "trend"]
    columns += [name for name in ("yearly", "holidays") if name in predicted.columns]
    return predicted[columns].reset_index(drop=True)


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


def interval_messages(frame: pd.DataFrame) -> tuple[str, ...]:
    """What the user should know about the rows of a forecast ``frame`` that have no interval (none when all have)."""
    notes = frame["interval_note"].dropna()
    if notes.empty:
        return ()
    return (f"No 80% interval for {len(notes)} of {len(frame)} forecast periods: {notes.iloc[0]}.",)


def finish_prophet(result: pd.DataFrame, job: ProphetJob, scale: str) -> Forecast:
    """A :class:`Forecast` from the model-scale result of :func:`fit_prophet`."""
    spec = scale_spec(scale)
    future = result.iloc[len(result) - len(job.future) :]
    frame = pd.DataFrame({"ds": pd.to_datetime(future["ds"]).to_numpy()})
    for column in ("yhat", "yhat_lower", "yhat_upper"):
        frame[column] = spec.clip(spec.inverse(future[column].to_numpy()))
    frame["interval_note"] = pd.Series([None] * len(frame), dtype="object")
    components = result.drop(columns=["yhat", "yhat_lower", "yhat_upper"]) if job.with_history else pd.DataFrame()
    return Forecast(frame, "prophet", components=components)


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
        shorter than ``MIN_POINTS`` (``messages`` says so, and says when a row has no interval).
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
        return Forecast(fallback.frame, fallback.model, planned.messages + interval_messages(fallback.frame))
    finished = finish_prophet(fit_prophet(planned.job), planned.job, scale)
    return Forecast(finished.frame, finished.model, planned.messages, finished.components)
