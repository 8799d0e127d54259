"""``reorder``: how often customers reorder, and the churn horizon that suggests."""

from __future__ import annotations

import argparse

from retention import reorder, warehouse
from retention.cli._common import add_db_argument, out_file, write_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reorder",
        help="days between a customer's consecutive purchase days: median, 80th and 90th percentiles and the "
        "suggested churn horizon; --out writes the distribution (CSV: gap_days, gaps, customers, share, "
        "cumulative_share)",
    )
    add_db_argument(parser)
    parser.add_argument("--out", type=out_file, default=None, metavar="FILE.csv", help="write the distribution here")
    parser.set_defaults(handler=run)


def report(figures: reorder.Reorders) -> str:
    """The figures as lines of text for people."""
    if not figures.gaps:
        return "no customer has bought on two different days: no time between orders to measure"
    lines = [
        f"customers who bought on two days or more: {figures.customers:,} "
        f"({figures.gaps:,} gaps between consecutive purchase days)",
        f"median: {figures.median_days:.1f} days",
        f"80th percentile: {figures.p80_days:.1f} days",
        f"90th percentile: {figures.p90_days:.1f} days",
        f"suggested churn horizon: {figures.rule}",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with warehouse.session(warehouse.resolve_db_path(args.db)) as con:
        figures = reorder.reorders(con)
    print(report(figures))
    if args.out:
        write_table(figures.distribution, args.out)
    return 0
