"""``info``: what the warehouse holds."""

from __future__ import annotations

import argparse

from retention import sample_shop, schema, warehouse
from retention.cli._common import add_db_argument
from retention.errors import DataError


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show the warehouse's tables, row counts and date ranges")
    add_db_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = warehouse.resolve_db_path(args.db)
    if not path.exists():  # info reads: a mistyped path must not create a new, empty warehouse
        raise DataError(f"warehouse file {str(path)!r} does not exist")
    con = warehouse.connect(path)
    try:
        print(f"warehouse: {path} (schema version {warehouse.schema_version(con)})")
        print(warehouse.table_summary(con).to_string(index=False))
        if sample_shop.holds_sample(con):
            print(
                "this warehouse holds the synthetic sample shop: "
                f"{sample_shop.describe(sample_shop.contents(con), tables=schema.CANONICAL_COLUMNS)}; "
                "`python -m retention sample --remove` deletes it"
            )
    finally:
        con.close()
    return 0
