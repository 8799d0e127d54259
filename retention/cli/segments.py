"""``segments``: RFM segments at a day, or the customers of some of them, as CSV."""

from __future__ import annotations

import argparse

from retention import rfm, warehouse
from retention.cli._common import add_db_argument, date_text, out_file, write_table
from retention.errors import DataError


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "segments",
        help="RFM segments: one row per segment (customers, revenue and shares), or with --segment the customers "
        "of those segments with their scores",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--as-of", type=date_text, default=None, metavar="YYYY-MM-DD", help="score at this day (default: newest order)"
    )
    parser.add_argument(
        "--segment",
        action="append",
        choices=rfm.SEGMENTS,
        default=None,
        metavar="NAME",
        help=f"list this segment's customers (repeat for more): {', '.join(rfm.SEGMENTS)}",
    )
    parser.add_argument("--include-email", action="store_true", help="add the customers' emails (with --segment)")
    parser.add_argument("--out", type=out_file, default=None, metavar="FILE.csv", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.include_email and not args.segment:
        raise DataError("--include-email lists emails of a segment's customers: name one with --segment")
    path = warehouse.prepare(args.db)
    with warehouse.session(path) as con:
        customers = rfm.customers(con, args.as_of, segments=args.segment or (), include_email=args.include_email)
    write_table(customers if args.segment else rfm.summary(customers), args.out)
    return 0
