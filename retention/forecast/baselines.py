"""Naive baselines: the forecasts Prophet has to beat in the backtest, and the fallback for short histories.

A baseline is a function ``fn(y, steps, season) -> (yhat, sd) | None`` registered in
:data:`BASELINES` with a label: ``y`` is the history on the model scale (see
:class:`retention.forecast.series.Scale`), ``steps`` the horizons to forecast (1 = the
next period), ``season`` the periods in a year. ``yhat`` is the point forecast and ``sd``
the standard deviation of its error per step, both on the model scale; None means the
baseline does not apply to this history. The interval is the normal interval around
``yhat`` on the model scale, mapped back to the series' scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from retention import periods
from retention.errors import DataError
from retention.forecast.series import INTERVAL_WIDTH, Forecast, period_spec, scale_spec
from retention.registry import Registry

BaselineFn = Callable[[np.ndarray, np.ndarray, int], "tuple[np.ndarray, np.ndarray] | None"]


@dataclass(frozen=True)
class Baseline:
    """A registered baseline: its label for tables and the forecasting function."""

    label: str
    fn: BaselineFn


BASELINES: Registry[Baseline] = Registry("baseline")


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
        forecast on the model scale; ``model`` is ``name``; no components.
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
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    frame = pd.DataFrame({"ds": future.to_numpy()})
    for column, values in (("yhat", yhat), ("yhat_lower", yhat - z * sd), ("yhat_upper", yhat + z * sd)):
        frame[column] = spec.clip(spec.inverse(values))
    return Forecast(frame, name)
