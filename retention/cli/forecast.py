"""``forecast``: Prophet forecasts of customer activity or cohort retention, with the backtest on stderr."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext

import pandas as pd

from retention import jobs, warehouse
from retention.cli._common import add_db_argument, out_file, real_number, whole_number, write_table
from retention.forecast import (
    ACTIVITY_METRICS,
    MAX_HORIZON,
    PERIOD_SPECS,
    YEARLY,
    ActivityForecast,
    Settings,
)
from retention.forecast import job as forecast_job
from retention.forecast.cohorts import SCALE as RETENTION_SCALE
from retention.forecast.cohorts import CohortForecast
from retention.forecast.parallel import process_pool
from retention.forecast.series import for_export

COHORT_RETENTION = forecast_job.COHORT_RETENTION
FORECAST_COLUMNS = ["ds", "yhat", "yhat_lower", "yhat_upper", "model", "interval_note"]


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forecast",
        help="forecast activity or cohort retention with Prophet and backtest it against naive baselines",
        description=(
            "Writes the forecast as CSV (ds, [cohort, period,] yhat, yhat_lower, yhat_upper, model, interval_note; "
            "the interval is 80%, and a row without one says why in interval_note; retention to 4 decimals, "
            "revenue to 2, customers to 1) and prints the backtest summary and its verdict on stderr. For "
            "cohort_retention the rows of the cohort starting after the latest one are included, with that "
            "cohort's start date."
        ),
    )
    add_db_argument(parser)
    parser.add_argument("--metric", choices=[*ACTIVITY_METRICS, COHORT_RETENTION], default="active_customers")
    parser.add_argument("--period", choices=list(PERIOD_SPECS), default="week")
    parser.add_argument(
        "--horizon",
        type=whole_number(1, MAX_HORIZON),
        default=None,
        help="periods to forecast (default 12 weeks or 6 months)",
    )
    parser.add_argument("--yearly", choices=YEARLY, default="auto", help="yearly seasonality (auto: with 2+ years)")
    parser.add_argument("--holidays", default=None, metavar="COUNTRY", help="add a country's holidays, e.g. UK or US")
    parser.add_argument(
        "--changepoint-prior",
        type=real_number(0.0, above_low=True),
        default=0.05,
        help="trend flexibility (default 0.05)",
    )
    parser.add_argument(
        "--workers", type=whole_number(1), default=None, help="processes for cohort fits (default: CPU cores)"
    )
    parser.add_argument(
        "--out", type=out_file, default=None, metavar="FILE.csv", help="write the forecast here instead of stdout"
    )
    parser.set_defaults(handler=run)


def default_horizon(period: str) -> int:
    """12 weeks or 6 months."""
    return 12 if period == "week" else 6


def run(args: argparse.Namespace) -> int:
    settings = Settings(yearly=args.yearly, holidays=args.holidays, changepoint_prior_scale=args.changepoint_prior)
    horizon = args.horizon if args.horizon is not None else default_horizon(args.period)
    path = warehouse.resolve_db_path(args.db)
    warehouse.prepare(path)
    with warehouse.session(path) as con:
        version = warehouse.imports_version(con)
    params = forecast_job.job_params(
        metric=args.metric,
        period=args.period,
        horizon=horizon,
        settings=settings,
        cohort_starts=None,
        data_version=version,
    )
    cohort = args.metric == COHORT_RETENTION

    def fit(progress: jobs.Progress) -> CohortForecast | ActivityForecast:
        with nullcontext() if args.workers == 1 or not cohort else process_pool(args.workers) as pool:
            return forecast_job.fit(path, params, progress, executor=pool)

    # Recorded as a job, like the app's forecasts; its progress (a line per Prophet fit) goes to stderr.
    result = jobs.run(path, forecast_job.KIND, params, fit, describe=forecast_job.job_result, echo=jobs.printer())
    if cohort:
        frame = pd.concat([result.forecast, result.next_cohort], ignore_index=True)
        table = for_export(frame[["ds", "cohort", "period", *FORECAST_COLUMNS[1:]]], RETENTION_SCALE)
    else:
        frame = result.forecast.frame.assign(model=result.forecast.model)
        table = for_export(frame[FORECAST_COLUMNS], result.scale)
    for message in result.messages:
        print(f"note: {message}", file=sys.stderr)
    tested = result.backtest
    if not tested.summary.empty:
        print(tested.summary.to_string(index=False, float_format=lambda value: f"{value:.4g}"), file=sys.stderr)
    print(tested.verdict, file=sys.stderr)
    write_table(table, args.out)
    return 0
