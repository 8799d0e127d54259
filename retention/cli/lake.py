"""``lake export``: the warehouse's data tables as a Parquet lake, for ``--engine spark --lake DIR``.

The lake holds one ``<table>.parquet`` per table of :data:`retention.engines.lake.LAKE_TABLES`, with
the warehouse's column names and types, and ``lake.json`` (schema version, rows and columns per table).
"""

from __future__ import annotations

import argparse
import sys

from retention.cli._common import add_db_argument, out_dir


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lake", help="the warehouse as a Parquet lake that the Spark engine reads")
    commands = parser.add_subparsers(dest="lake_command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="write each data table as DIR/<table>.parquet and the manifest DIR/lake.json",
    )
    add_db_argument(export)
    export.add_argument(
        "--to", required=True, type=out_dir, metavar="DIR", help="the lake folder (made if missing; tables replaced)"
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from retention.engines import lake

    def report(table: str, rows: int) -> None:
        print(f"{table}: {rows:,} rows", file=sys.stderr)

    counts = lake.export(args.db, args.to, progress=report)
    print(f"wrote {len(counts)} tables ({sum(counts.values()):,} rows) to {args.to}", file=sys.stderr)
    return 0
