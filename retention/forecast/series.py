"""What every forecast of one series shares, whichever model makes it: the period, the scale and the result.

* A :class:`Period` spec says how a forecasting period (a week starting Monday, or a
  calendar month) steps and how often it repeats in a year. Forecasts use the week
  and the month of :mod:`retention.periods`; a day has no spec, daily series are not
  forecast.
* A :class:`Scale` says how a series is modelled and what range its values keep:

  - ``share`` (retention, in [0, 1]) is modelled on the logit scale:
    ``logit(clip(y, 0.001, 0.999))`` is fitted and forecasts are mapped back with the
    logistic function, so that forecasts and intervals stay in range by construction
    (see :mod:`retention.forecast.models` for why this beats logistic growth);
  - ``count`` (customers) is fitted as is and clipped at 0;
  - ``amount`` (net revenue, which returns can make negative) is left unbounded.
* A :class:`Forecast` is the finished forecast of one series, from Prophet or a baseline.
  Every row has an 80% interval, or says in ``interval_note`` why it has none.
* :func:`for_export` rounds a forecast table for people, by its scale: shares to 4
  decimals, amounts to 2, and counts to 1 (a forecast of a count is an expected
  value, not a count of anyone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retention import export, periods
from retention.errors import DataError
from retention.registry import Registry

MAX_HORIZON = 104
"""The longest horizon a user may ask for, in periods (two years of weeks)."""

INTERVAL_WIDTH = 0.8
SHARE_EPSILON = 1e-3
FORECAST_COLUMNS = ["ds", "yhat", "yhat_lower", "yhat_upper", "interval_note"]
"""The columns of :attr:`Forecast.frame`."""
VALUE_COLUMNS = ("yhat", "yhat_lower", "yhat_upper", "actual", "mae")
"""Columns of forecast and backtest tables that hold values in the series' unit."""


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


PERIOD_SPECS: Registry[Period] = Registry("period")
"""The periods a series can be forecast at (a subset of :data:`retention.periods.PERIODS`), week first."""
for _spec in (
    Period("week", "W-MON", "W-SUN", 52, 6, pd.DateOffset(weeks=1)),
    Period("month", "MS", "M", 12, 3, pd.DateOffset(months=1)),
):
    PERIOD_SPECS.add(periods.check(_spec.name), _spec)


def period_spec(period: str) -> Period:
    """The :class:`Period` named ``period``, or a :class:`DataError` listing the choices."""
    return PERIOD_SPECS.get_or_raise(period)


@dataclass(frozen=True)
class Scale:
    """How a series is modelled: the forward and inverse transform, the range of its values, and the decimals
    an export keeps."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    lower: float | None
    upper: float | None
    decimals: int

    def clip(self, values: np.ndarray) -> np.ndarray:
        """``values`` clipped to the scale's range."""
        return np.clip(values, self.lower, self.upper) if self.lower is not None or self.upper is not None else values


def _logit(values: np.ndarray) -> np.ndarray:
    share = np.clip(np.asarray(values, dtype=float), SHARE_EPSILON, 1 - SHARE_EPSILON)
    return np.log(share / (1 - share))


def _expit(values: np.ndarray) -> np.ndarray:
    # Imported on first use: SciPy takes a third of a second to load, and `python -m retention --help`
    # imports this module to list the forecast options.
    from scipy.special import expit

    return expit(np.asarray(values, dtype=float))


def _identity(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


SCALES: Registry[Scale] = Registry("scale")
SCALES.add("share", Scale("share", _logit, _expit, 0.0, 1.0, 4))
SCALES.add("count", Scale("count", _identity, _identity, 0.0, None, 1))
SCALES.add("amount", Scale("amount", _identity, _identity, None, None, 2))


def scale_spec(scale: str) -> Scale:
    """The :class:`Scale` named ``scale``, or a :class:`DataError` listing the choices."""
    return SCALES.get_or_raise(scale)


@dataclass(frozen=True)
class Forecast:
    """A finished forecast of one series.

    frame: columns ``ds`` (period start), ``yhat``, ``yhat_lower``, ``yhat_upper`` (the 80%
    interval) on the series' own scale and ``interval_note`` (text saying why the row has no
    interval; None when it has one), one row per future period; components: columns ``ds``,
    ``trend`` and, where fitted, ``yearly`` and ``holidays``, on the model scale over history
    and future (empty for a baseline); model: ``prophet`` or a baseline's name; messages: what
    the user should know (a seasonality left off, a fallback to the naive forecast).
    """

    frame: pd.DataFrame
    model: str
    messages: tuple[str, ...] = ()
    components: pd.DataFrame = field(default_factory=pd.DataFrame)


def check_horizon(horizon: int) -> None:
    """Raise a :class:`DataError` unless ``1 <= horizon <= MAX_HORIZON``."""
    if not isinstance(horizon, int | np.integer) or not 1 <= horizon <= MAX_HORIZON:
        raise DataError(f"horizon must be a whole number of periods from 1 to {MAX_HORIZON}, got {horizon!r}")


def future_dates(last: pd.Timestamp, period: str, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` period starts after ``last`` (a period start)."""
    spec = period_spec(period)
    return pd.date_range(pd.Timestamp(last) + spec.offset, periods=steps, freq=spec.freq)


def for_export(frame: pd.DataFrame, scale: str) -> pd.DataFrame:
    """``frame`` rounded for a CSV: the :data:`VALUE_COLUMNS` it has to the decimals of ``scale``, the rest by
    :func:`retention.export.round_for_people`'s column rules."""
    places = scale_spec(scale).decimals
    return export.round_for_people(frame, {column: places for column in VALUE_COLUMNS if column in frame.columns})
