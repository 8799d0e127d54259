"""``cohorts``: the cohort retention table as long-form CSV."""

from __future__ import annotations

import argparse

from retention import cohorts, engines, periods
from retention.cli._common import add_db_argument, add_engine_arguments, out_file, write_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cohorts",
        help="cohort retention table (long form CSV: cohort, [segment,] period, cohort_users, active_users, "
        "retention, complete)",
    )
    add_db_argument(parser)
    add_engine_arguments(parser)
    parser.add_argument("--period", choices=periods.PERIODS, default="month", help="cohort and period length")
    parser.add_argument(
        "--mode",
        choices=tuple(cohorts.MODES),
        default="n-day",
        help="retention mode: "
        + "; ".join(f"{name} ({mode.label}), {mode.description}" for name, mode in cohorts.MODES.items()),
    )
    parser.add_argument(
        "--brackets", default=None, help="day brackets for --mode brackets, e.g. '1-7,8-30,31-90' (the default)"
    )
    parser.add_argument("--cohort", choices=cohorts.COHORT_BY, default="first_purchase", help="what starts a cohort")
    parser.add_argument(
        "--activity", default="purchase", help="what counts as coming back: purchase, any (event) or an event type"
    )
    parser.add_argument("--measure", choices=cohorts.MEASURES, default="retention", help="revenue adds value columns")
    parser.add_argument(
        "--by", default=None, metavar="COLUMN", help="break down by a users column, e.g. country, or rfm_segment"
    )
    parser.add_argument("--from", dest="cohort_start", default=None, metavar="DATE", help="first cohort (ISO date)")
    parser.add_argument("--to", dest="cohort_end", default=None, metavar="DATE", help="last cohort (ISO date)")
    parser.add_argument("--out", type=out_file, default=None, metavar="FILE.csv", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def query_of(args: argparse.Namespace) -> cohorts.CohortQuery:
    """The cohort query the command line asks for (checked before the warehouse is opened)."""
    return cohorts.CohortQuery(
        period=args.period,
        cohort_by=args.cohort,
        activity=args.activity,
        mode=args.mode,
        brackets=tuple(cohorts.parse_brackets(args.brackets)) if args.brackets else None,
        measure=args.measure,
        breakdown=args.by,
        cohort_start=args.cohort_start,
        cohort_end=args.cohort_end,
    )


def run(args: argparse.Namespace) -> int:
    query = query_of(args)
    with engines.source(args.engine, db=args.db, lake_dir=args.lake, master=args.spark_master, rollup=True) as con:
        table = cohorts.cohort_table(con, query)
    write_table(table.for_export(), args.out)
    return 0
