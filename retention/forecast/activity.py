"""Customer activity per week or month, and its forecast with a backtest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import periods, warehouse
from retention.errors import DataError
from retention.forecast import backtest, models, series
from retention.registry import Registry


@dataclass(frozen=True)
class ActivityMetric:
    """A forecastable activity series: its label, scale (see :mod:`retention.forecast.series`) and unit."""

    label: str
    scale: str
    unit: str

    def describe(self, value: float) -> str:
        """``value`` in words with its unit ("1,204 customers")."""
        return f"{backtest.number(value)} {self.unit}".strip()


ACTIVITY_METRICS: Registry[ActivityMetric] = Registry("metric")
"""The columns of :func:`activity_table` that can be forecast, in the order the app lists them."""
ACTIVITY_METRICS.add("active_customers", ActivityMetric("Active customers", "count", "customers"))
ACTIVITY_METRICS.add("new_customers", ActivityMetric("New customers", "count", "customers"))
ACTIVITY_METRICS.add("returning_customers", ActivityMetric("Returning customers", "count", "customers"))
ACTIVITY_METRICS.add("revenue", ActivityMetric("Net revenue", "amount", ""))


def metric_spec(metric: str) -> ActivityMetric:
    """The :class:`ActivityMetric` named ``metric``, or a :class:`DataError` listing the choices."""
    return ACTIVITY_METRICS.get_or_raise(metric)


def activity_table(con: duckdb.DuckDBPyConnection, *, period: str = "week") -> pd.DataFrame:
    """Customer activity per period, from the first to the last period with an order.

    Returns columns ``ds`` (period start: Monday or the 1st, timestamp), ``active_customers``
    (customers with a purchase, i.e. an order line with quantity > 0), ``new_customers``
    (first purchase ever in the period), ``returning_customers`` (active minus new), all
    non-negative ints; ``revenue`` (sum of quantity x unit_price over every line, so net of
    returns; the shop's currency) and ``complete`` (bool: the data covers the whole period, see
    :func:`retention.periods.complete`: a first period the data starts in is partial too).
    Periods without purchases are rows of zeros. Empty when there are no orders.

    Raises
    ------
    DataError
        The orders span more than :data:`retention.periods.MAX_PERIODS` periods (an implausible date).
    """
    series.period_spec(period)
    first, last = warehouse.data_range(con)
    if first is not None:
        periods.span(first, last, period, what="the activity series", advice=periods.FIX_DATES)
    return periods.filled(warehouse.query(con, "forecast_activity", {"period": period}), "ds", period, first, last)


def activity_series(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric of :func:`activity_table` as columns ``ds``, ``y`` (float) and ``complete``."""
    metric_spec(metric)
    return pd.DataFrame(
        {
            "ds": table["ds"].to_numpy(),
            "y": table[metric].to_numpy(dtype=float),
            "complete": table["complete"].to_numpy(),
        }
    )


@dataclass(frozen=True)
class ActivityForecast:
    """An activity forecast.

    history: columns ``ds``, ``y``, ``complete`` (every period, the incomplete ones included
    for display; only complete ones are fitted); forecast: see :class:`series.Forecast`;
    backtest: see :class:`backtest.Backtest`.
    """

    metric: str
    period: str
    history: pd.DataFrame
    forecast: series.Forecast
    backtest: backtest.Backtest

    @property
    def messages(self) -> tuple[str, ...]:
        return self.forecast.messages

    @property
    def scale(self) -> str:
        """The metric's scale (see :mod:`retention.forecast.series`): how its forecast is bounded and rounded."""
        return metric_spec(self.metric).scale


def forecast_history(frame: pd.DataFrame) -> pd.DataFrame:
    """The complete periods of a series (columns ``ds``, ``y``, ``complete``) that a model is fitted on."""
    return frame.loc[frame["complete"], ["ds", "y"]].reset_index(drop=True)


def forecast_activity_table(
    table: pd.DataFrame,
    *,
    metric: str = "active_customers",
    period: str = "week",
    horizon: int = 12,
    settings: models.Settings | None = None,
    folds: int = backtest.DEFAULT_FOLDS,
    progress: Callable[[int, int], None] | None = None,
) -> ActivityForecast:
    """Forecast one activity metric of an :func:`activity_table` ``horizon`` periods past the last complete
    period, and backtest it.

    Parameters
    ----------
    table
        An :func:`activity_table` at ``period``.
    metric
        A name of :data:`ACTIVITY_METRICS`.
    period
        ``week`` or ``month``.
    horizon
        Periods to forecast, from 1 to ``MAX_HORIZON``; the backtest scores the same horizon where
        history allows it.
    settings
        Prophet's options; None for the defaults.
    folds
        Backtest origins.
    progress
        Called as ``progress(done, total)`` after each Prophet fit: the backtest's, then the forecast's.

    Returns
    -------
    ActivityForecast
        ``history`` every period (the incomplete last one included), ``forecast`` one row per future
        period in the metric's unit (customers: counts >= 0; revenue: unbounded), ``backtest`` Prophet
        against the naive baselines.

    Raises
    ------
    DataError
        Unknown metric or period, a horizon out of range, or no complete period of history.
    """
    spec = metric_spec(metric)
    series.check_horizon(horizon)
    settings = settings or models.Settings()
    series.period_spec(period)
    observed = activity_series(table, metric)
    history = forecast_history(observed)
    if history.empty:
        raise DataError(f"no complete {period} of purchases to forecast from: import more orders")
    fits = [0]  # the backtest's Prophet fits; the forecast's own comes last

    def fitted(done: int, total: int) -> None:
        fits[0] = total
        if progress:
            progress(done, total + 1)

    tested = backtest.backtest_series(
        history,
        period=period,
        horizon=horizon,
        scale=spec.scale,
        settings=settings,
        folds=folds,
        fmt=spec.describe,
        progress=fitted,
    )
    forecast = models.forecast_series(history, period=period, horizon=horizon, scale=spec.scale, settings=settings)
    if progress:
        progress(fits[0] + 1, fits[0] + 1)
    return ActivityForecast(metric, period, observed, forecast, tested)


def forecast_activity(
    con: duckdb.DuckDBPyConnection,
    *,
    metric: str = "active_customers",
    period: str = "week",
    horizon: int = 12,
    settings: models.Settings | None = None,
    folds: int = backtest.DEFAULT_FOLDS,
    progress: Callable[[int, int], None] | None = None,
) -> ActivityForecast:
    """:func:`forecast_activity_table` of the warehouse's :func:`activity_table`."""
    metric_spec(metric)
    return forecast_activity_table(
        activity_table(con, period=period),
        metric=metric,
        period=period,
        horizon=horizon,
        settings=settings,
        folds=folds,
        progress=progress,
    )
