"""Forecasts of customer activity and cohort retention, with Prophet, naive baselines and an honest backtest.

* :mod:`retention.forecast.models`: one series at a time (Prophet, the baselines, parallel fits);
* :mod:`retention.forecast.backtest`: rolling-origin evaluation and the verdict in words;
* :mod:`retention.forecast.activity`: active, new and returning customers and revenue per period;
* :mod:`retention.forecast.cohorts`: the retention curves of existing cohorts and of the next one.
"""

from retention.forecast.activity import ACTIVITY_METRICS, ActivityForecast, activity_table, forecast_activity
from retention.forecast.backtest import ERROR_METRICS, Backtest, backtest_series
from retention.forecast.models import BASELINES, MIN_POINTS, PERIODS, Forecast, Settings, forecast_series

__all__ = [
    "ACTIVITY_METRICS",
    "BASELINES",
    "ERROR_METRICS",
    "MIN_POINTS",
    "PERIODS",
    "ActivityForecast",
    "Backtest",
    "Forecast",
    "Settings",
    "activity_table",
    "backtest_series",
    "forecast_activity",
    "forecast_series",
]
