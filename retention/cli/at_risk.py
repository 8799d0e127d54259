"""``at-risk``: score every customer's churn risk and write the flagged list as CSV."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys

from retention import engines, jobs, warehouse
from retention.cli._common import (
    add_db_argument,
    add_engine_arguments,
    date_text,
    lazy_import,
    out_file,
    real_number,
    whole_number,
    write_table,
)

churn = lazy_import("retention.churn")
reorder = lazy_import("retention.reorder")

DEFAULT_THRESHOLD = 0.5
MIN_HORIZON_DAYS, MAX_HORIZON_DAYS = 7, 365  # the churn model's range, checked here before any work


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "at-risk",
        help="train the churn model, score every customer and write the flagged ones (CSV, riskiest first: user_id, "
        "risk, days_since_last_purchase, orders, net_revenue_12m, country, channel, reasons, scores_as_of, "
        "horizon_days, model_version[, email]); the verdict against the recency baseline goes to stderr",
        description="Train the churn model, score every customer and save the scores to the warehouse (--db). "
        "With --lake, the snapshots and features are computed on the lake (by --engine) and the model runs here; "
        "--db must then be the warehouse the lake was exported from (the At-risk page shows the scoring there) or "
        "a warehouse without orders (a new file keeps the scores, but the page needs the orders to show them).",
    )
    add_db_argument(parser)
    add_engine_arguments(parser)
    parser.add_argument(
        "--as-of", type=date_text, default=None, metavar="YYYY-MM-DD", help="score at this date (default: latest order)"
    )
    parser.add_argument(
        "--horizon-days",
        type=whole_number(MIN_HORIZON_DAYS, MAX_HORIZON_DAYS),
        default=None,
        help="churn = no purchase in this many days after the as-of date (default: the horizon that how often "
        "customers reorder suggests, as on the At-risk page; see `reorder`)",
    )
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument(
        "--threshold",
        type=real_number(0.0, 1.0),
        default=None,
        help=f"flag risks at or above this (default: {DEFAULT_THRESHOLD})",
    )
    chosen.add_argument(
        "--top", type=whole_number(0), default=None, metavar="N", help="flag the N riskiest customers instead"
    )
    parser.add_argument("--include-email", action="store_true", help="add the customers' email addresses")
    parser.add_argument("--out", type=out_file, default=None, metavar="FILE.csv", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from retention.churn import job as scoring_job  # here, not at the top: it imports the model libraries

    threshold = DEFAULT_THRESHOLD if args.threshold is None and args.top is None else args.threshold
    path = warehouse.resolve_db_path(args.db)
    with _lake(args, path) as lake_con:
        if args.horizon_days is None:
            with _reading(lake_con, path) as con:
                args.horizon_days = reorder.horizon_default(con)[0]  # the summary line below names it

        # The set work on the warehouse, or on the lake with the scores saved to the warehouse.
        score_and_save = (
            churn.score_and_save if lake_con is None else functools.partial(churn.score_lake_and_save, lake_con)
        )

        def score(progress: jobs.Progress) -> churn.ScoringResult:
            return score_and_save(path, as_of=args.as_of, horizon_days=args.horizon_days, progress=progress)[0]

        # Recorded as a job, like the app's scoring; its progress goes to stderr. The write lock is held only for
        # the save: imports and refreshes of other processes go on while the model trains.
        result = jobs.run(
            path,
            scoring_job.KIND,
            scoring_job.job_params(args.as_of, args.horizon_days),
            score,
            started_by="cli",
            describe=scoring_job.job_result,
            echo=jobs.printer(),
        )
        flagged = churn.flag(result.scores, threshold=threshold, top=args.top)
        emails = None
        if args.include_email:
            with _reading(lake_con, path) as con:
                emails = churn.customer_emails(con, flagged["user_id"].tolist())
    report(result, len(flagged))
    write_table(churn.export_table(flagged, emails), args.out)
    return 0


def _lake(args: argparse.Namespace, path) -> contextlib.AbstractContextManager:
    """The lake's connection for the whole command (:func:`retention.engines.source`), or None without a lake:
    then no connection stays open, for the job writes its progress to the warehouse it reads."""
    if args.lake is None and args.engine == engines.DUCKDB:
        return contextlib.nullcontext()
    # The default horizon reads the reorder gaps of the activity rollup.
    rollup = args.horizon_days is None
    return engines.source(args.engine, db=path, lake_dir=args.lake, master=args.spark_master, rollup=rollup)


def _reading(lake_con, path) -> contextlib.AbstractContextManager:
    """Where a set query of the command reads: the lake, else a short read session of the warehouse."""
    return contextlib.nullcontext(lake_con) if lake_con is not None else warehouse.session(path)


def report(result: churn.ScoringResult, flagged: int) -> None:
    """The scoring's summary, its verdict against the recency baseline and any calibration warning, on stderr."""
    quality = result.metrics.set_index("metric")
    print(
        f"as of {result.as_of}, horizon {result.horizon_days} days, model {result.model_version}: "
        f"flagged {flagged} of {len(result.scores)} customers; holdout ROC AUC "
        f"{quality.at['roc_auc', 'model']:.3f} (recency baseline {quality.at['roc_auc', 'baseline']:.3f})",
        file=sys.stderr,
    )
    print(churn.verdict(result.metrics, result.summary["holdout_date"]).text, file=sys.stderr)
    if sampled := churn.sample_phrase(result.summary):
        print(f"The model trained on {sampled}.", file=sys.stderr)
    warning = churn.calibration_warning(result.calibration)
    if warning:
        print(warning, file=sys.stderr)
