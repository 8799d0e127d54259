"""``non-products list|detect|confirm|reject``: item codes that are not products (postage, fees, adjustments)."""

from __future__ import annotations

import argparse
import sys

from retention import non_products, warehouse
from retention.cli._common import add_db_argument, out_file, write_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "non-products",
        help="list, confirm or reject item codes that are not products",
        description="Codes suggested or confirmed as non-products are kept out of recommendations and product "
        "counts; their revenue still counts. Rejected codes are products and are never suggested again.",
    )
    commands = group.add_subparsers(dest="non_products_command", required=True, metavar="SUBCOMMAND")
    listing = commands.add_parser("list", help="print the codes with their title, reason, lines, revenue and status")
    add_db_argument(listing)
    listing.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    listing.set_defaults(handler=run_list)

    detect = commands.add_parser("detect", help="suggest non-product codes among every order line already imported")
    add_db_argument(detect)
    detect.set_defaults(handler=run_detect)

    for status, verb, help_text in [
        (non_products.CONFIRMED, "confirm", "confirm codes as non-products (a code not listed yet is added)"),
        (non_products.REJECTED, "reject", "mark codes as real products: kept in, never suggested again"),
    ]:
        command = commands.add_parser(verb, help=help_text)
        add_db_argument(command)
        command.add_argument("codes", nargs="+", metavar="CODE", help="item code, exactly as in the order lines")
        command.set_defaults(handler=run_set_status, status=status)


def run_list(args: argparse.Namespace) -> int:
    con = warehouse.connect(args.db)
    try:
        table = non_products.listing(con)
    finally:
        con.close()
    write_table(table, args.out)
    return 0


def run_detect(args: argparse.Namespace) -> int:
    con = warehouse.connect(args.db)
    try:
        found = non_products.detect_all(con)
    finally:
        con.close()
    print(f"suggested {found} new non-product code(s); see `non-products list`", file=sys.stderr)
    return 0


def run_set_status(args: argparse.Namespace) -> int:
    con = warehouse.connect(args.db)
    try:
        written = non_products.save(con, dict.fromkeys(args.codes, args.status))
    finally:
        con.close()
    print(f"{written} code(s) now {args.status}", file=sys.stderr)
    return 0
