"""Naive baselines: the forecasts Prophet has to beat in the backtest, and the fallback for short histories.

A baseline is a function ``fn(y, steps, season) -> (yhat, sd) | None`` registered in
:data:`BASELINES` with a label: ``y`` is the history on the model scale (see
:class:`retention.forecast.series.Scale`), ``steps`` the horizons to forecast (1 = the
next period), ``season`` the periods in a year. ``yhat`` is the point forecast and ``sd``
the standard deviation of its error per step, both on the model scale; None means the
baseline does not apply to this history.

The interval comes from the series' own residuals: the root mean square of the
baseline's one-step errors (for the naive forecast, the changes from one period to
the next), widening like a random walk's with the square root of the steps ahead,
and the normal interval of that spread around ``yhat`` on the model scale, mapped
back to the series' scale and clipped to its range. We use the normal interval
rather than the empirical quantiles of the errors because the naive forecast is
what short histories get: with two to nine errors the 10th and 90th percentiles
are just the extremes, and from a single error they are one point off to one side;
the root mean square uses every error and keeps the interval symmetric on the model
scale (the logit scale for retention). Where no error can be seen (a single point
of history), the row has no interval and ``interval_note`` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from retention import periods
from retention.errors import DataError
from retention.forecast.series import FORECAST_COLUMNS, INTERVAL_WIDTH, Forecast, period_spec, scale_spec
from retention.registry import Registry

BaselineFn = Callable[[np.ndarray, np.ndarray, int], "tuple[np.ndarray, np.ndarray] | None"]


@dataclass(frozen=True)
class Baseline:
    """A registered baseline: its label for tables and the forecasting function."""

    label: str
    fn: BaselineFn


BASELINES: Registry[Baseline] = Registry("baseline")

NO_SPREAD = "a single complete period of history shows no change between periods to size an interval from"
"""The ``interval_note`` of a forecast row whose history is too short to show any error."""


def baseline(name: str, label: str) -> Callable[[BaselineFn], BaselineFn]:
    """Register a naive baseline ``fn(y, steps, season) -> (yhat, sd) | None`` (see the module docstring)."""
    return BASELINES.register(name, make=lambda fn: Baseline(label, fn))


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

    Returns
    -------
    Forecast or None
        ``frame`` has columns ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper`` on the series'
        scale, the interval being the normal interval of ``interval_width`` around the point
        forecast on the model scale, and ``interval_note``: :data:`NO_SPREAD` where the
        history shows no error to size the interval from (its bounds are then NaN), else
        None; ``model`` is ``name``; no components.
    """
    fn = BASELINES.get_or_raise(name).fn
    if history.empty:
        raise DataError("no complete periods of history to forecast from")
    spec, season = scale_spec(scale), period_spec(period).season
    future = pd.DatetimeIndex(future)
    last = history["ds"].iloc[-1]
    steps = np.array([periods.between(last, date, period) for date in future], dtype=int)
    outcome = fn(spec.forward(history["y"].to_numpy(dtype=float)), steps, season)
    if outcome is None:
        return None
    yhat, sd = outcome
    sd = np.broadcast_to(np.asarray(sd, dtype=float), np.shape(yhat))
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    frame = pd.DataFrame({"ds": future.to_numpy()})
    for column, values in (("yhat", yhat), ("yhat_lower", yhat - z * sd), ("yhat_upper", yhat + z * sd)):
        frame[column] = spec.clip(spec.inverse(values))
    frame["interval_note"] = pd.Series(np.where(np.isfinite(sd), None, NO_SPREAD), dtype="object")
    return Forecast(frame[FORECAST_COLUMNS], name)
