"""Forecasts of customer activity and cohort retention, with Prophet, naive baselines and an honest backtest.

* :mod:`retention.forecast.series`: what every forecast shares: period specs, scales, the result;
* :mod:`retention.forecast.models`: the Prophet wrapper, one series at a time, and its settings;
* :mod:`retention.forecast.baselines`: the naive baselines Prophet has to beat;
* :mod:`retention.forecast.parallel`: many Prophet fits, serially or on an executor the caller passes in;
* :mod:`retention.forecast.backtest`: rolling-origin evaluation and the verdict in words;
* :mod:`retention.forecast.activity`: active, new and returning customers and revenue per period;
* :mod:`retention.forecast.cohorts`: the retention curves of existing cohorts and of the next one.
"""

from retention.forecast.activity import ACTIVITY_METRICS, ActivityForecast, activity_table, forecast_activity
from retention.forecast.backtest import ERROR_METRICS, Backtest, backtest_series
from retention.forecast.baselines import BASELINES
from retention.forecast.models import MIN_POINTS, YEARLY, Settings, forecast_series
from retention.forecast.series import MAX_HORIZON, PERIOD_SPECS, Forecast, for_export

__all__ = [
    "ACTIVITY_METRICS",
    "BASELINES",
    "ERROR_METRICS",
    "MAX_HORIZON",
    "MIN_POINTS",
    "PERIOD_SPECS",
    "YEARLY",
    "ActivityForecast",
    "Backtest",
    "Forecast",
    "Settings",
    "activity_table",
    "backtest_series",
    "for_export",
    "forecast_activity",
    "forecast_series",
]
