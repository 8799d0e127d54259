"""``refresh``: what the scheduler runs: import the inbox, retrain when due, rescore, measure matured campaigns."""

from __future__ import annotations

import argparse
import sys

from retention import jobs, refresh, warehouse
from retention.cli._common import add_db_argument, lazy_import, whole_number
from retention.cli.at_risk import MAX_HORIZON_DAYS, MIN_HORIZON_DAYS

runner = lazy_import("retention.refresh.run")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "refresh",
        help="import new inbox files, retrain the churn model when due, rescore every customer and measure "
        "campaigns whose window has passed; one summary line per step; exit 1 when a step failed",
        description=(
            "One command for cron or Airflow. Inbox files are named after their table (orders-2026-11-29.csv, "
            "users_2026.parquet); each is imported once (by content hash) and moved into INBOX/done/, or into "
            "INBOX/failed/ with NAME.reason.txt. Every run is recorded in the refresh_runs table, and as a job "
            "(kind refresh) in the jobs table; a second run with no new data changes nothing."
        ),
    )
    add_db_argument(parser)
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb only: spark is refused, since the refresh imports into the warehouse file and its later "
        "steps read that import, while Spark reads a lake it never writes; on a lake, run `at-risk` and "
        "`campaign measure` with --engine spark --lake DIR",
    )
    parser.add_argument("--inbox", default=None, metavar="DIR", help="folder of files to import (default: none)")
    parser.add_argument(
        "--retrain",
        choices=refresh.RETRAIN_POLICIES,
        default="auto",
        help="retrain the churn model: auto (default: when none is saved, when older than --max-model-age-days "
        "of data, or when its ROC AUC fell by more than --quality-drop), always, or never",
    )
    parser.add_argument(
        "--max-model-age-days",
        type=int,
        default=refresh.DEFAULT_MAX_MODEL_AGE_DAYS,
        metavar="N",
        help="auto retrains a model trained for a date more than N days before the latest order (default: %(default)s)",
    )
    parser.add_argument(
        "--quality-drop",
        type=float,
        default=refresh.DEFAULT_QUALITY_DROP,
        metavar="X",
        help="auto retrains when the ROC AUC on the newest labelled snapshot is more than X below the one "
        "recorded at training (default: %(default)s)",
    )
    parser.add_argument(
        "--horizon-days",
        type=whole_number(MIN_HORIZON_DAYS, MAX_HORIZON_DAYS),
        default=None,
        help="churn = no purchase in this many days (default: the horizon that how often customers reorder "
        "suggests, as on the At-risk page; see `reorder`)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    refresh.check_engine(args.engine)
    settings = refresh.Settings(
        inbox=args.inbox,
        retrain=args.retrain,
        max_model_age_days=args.max_model_age_days,
        quality_drop=args.quality_drop,
        horizon_days=args.horizon_days,
    )
    path = warehouse.prepare(args.db)  # created or migrated once; every step then opens short sessions of its own
    try:  # recorded as a job too (started by "refresh"), with a line per step on stderr
        result = jobs.run(
            path,
            runner.KIND,
            runner.job_params(settings),
            lambda progress: runner.refresh_job(path, settings, progress),
            started_by="refresh",
            describe=runner.job_result,
            echo=jobs.printer(),
        )
    except runner.RefreshFailed as failed:
        result = failed.result
    print(result.summary())
    if result.status != "ok":
        print(f"error: refresh run {result.run_id} had a failed step; see the lines above", file=sys.stderr)
        return 1
    return 0
