"""``import``: load a CSV, CSV.gz or Parquet file into a canonical table."""

from __future__ import annotations

import argparse
import sys

from retention import ingest, schema, warehouse
from retention.cli._common import add_db_argument
from retention.errors import DataError


def _mapping_pair(text: str) -> tuple[str, str]:
    canonical, equals, source = text.partition("=")
    if not equals or not canonical.strip() or not source:
        raise argparse.ArgumentTypeError(f"expected CANONICAL=SOURCE, got {text!r}")
    return canonical.strip(), source


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a CSV, CSV.gz or Parquet file into a table",
        description=(
            "Import a file into a canonical table in one transaction. Rows that fail a check go to "
            "import_rejects with their row number and reason; a file already imported into the table "
            "is refused unless --replace. An orders file can fill products and users in the same "
            "transaction: --map title=Description --map country=Country."
        ),
    )
    parser.add_argument("table", choices=schema.IMPORTABLE_TABLES, help="the table to load")
    parser.add_argument("file", help="CSV, CSV.gz or Parquet file")
    add_db_argument(parser)
    parser.add_argument(
        "--map",
        dest="mapping",
        action="append",
        type=_mapping_pair,
        default=[],
        metavar="CANONICAL=SOURCE",
        help="take a column from a file column (repeatable), e.g. --map user_id=CustomerID; for orders also "
        + " and ".join(
            f"{other} columns ({', '.join(names)})" for other, names in schema.ALSO_FILLS[schema.ORDERS].items()
        )
        + ", which fill those tables from the same lines, e.g. --map title=Description --map country=Country",
    )
    parser.add_argument("--sep", default=None, help="CSV field separator (default: detected); 'tab' or '\\t' for tab")
    parser.add_argument(
        "--ts-format",
        default=None,
        metavar="FMT",
        help="strptime layout of the timestamps, e.g. '%%m/%%d/%%Y %%H:%%M' (default: ISO 8601); "
        "all-digit values are Unix epoch seconds either way",
    )
    for bound, env, default in (
        ("earliest", ingest.rules.EARLIEST_ENV, "1970-01-01"),
        ("latest", ingest.rules.LATEST_ENV, "a day after the import starts"),
    ):
        parser.add_argument(
            f"--ts-{bound}",
            default=None,
            metavar="DATE",
            help=f"{bound} plausible timestamp, an ISO date or timestamp in UTC (default: ${env}, else {default}); "
            "a row whose ts or signup_ts falls outside is rejected",
        )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="import a file that was imported before: delete the rows of its earlier import(s) first",
    )
    parser.add_argument(
        "--duplicates",
        choices=ingest.DUPLICATE_POLICIES,
        default="drop",
        help="exact duplicate lines of an orders, events or ratings file (every mapped column equal): load one "
        "of each set (drop, the default: copies of one order line would count its revenue twice) or all (keep); "
        "counted either way",
    )
    parser.add_argument("--source-name", default=None, help="name to record for the batch (default: the file's name)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sep = ingest.separator(args.sep)
    con = warehouse.connect(args.db)
    try:
        result = ingest.import_file(
            con,
            args.table,
            args.file,
            mapping=dict(args.mapping),
            sep=sep,
            ts_format=args.ts_format,
            replace=args.replace,
            source_name=args.source_name,
            duplicates=args.duplicates,
            ts_window=ingest.time_window(args.ts_earliest, args.ts_latest),
        )
    except ingest.MappingError as exc:
        raise DataError(f"{exc} ({exc.cli_hint})") from exc
    finally:
        con.close()
    print(format_result(result))
    if result.rows_loaded == 0:
        print(f"error: no row of {result.source_name!r} could be loaded; see the reasons above", file=sys.stderr)
        return 1
    return 0


def format_result(result: ingest.ImportResult) -> str:
    """A short report: rows read, loaded, merged, duplicates and rejected by reason; tables also filled; columns left out."""
    replaced = f" (replacing batch {', '.join(map(str, result.replaced_batches))})" if result.replaced_batches else ""
    lines = [
        f"imported {result.source_name} into {result.table} as batch {result.batch_id}{replaced} "
        f"in {result.seconds:.1f} s",
        f"  rows read      {result.rows_read:>12,}",
        f"  rows loaded    {result.rows_loaded:>12,}",
    ]
    if result.rows_merged:
        lines.append(
            f"  rows merged    {result.rows_merged:>12,}  (further rows of an id in the file, folded into one)"
        )
    if result.table in schema.APPENDED_TABLES:
        done = "dropped" if result.duplicates_policy == "drop" else "kept"
        lines.append(f"  duplicates     {result.duplicates_found:>12,}  (exact copies of an earlier line, {done})")
    lines.append(f"  rows rejected  {result.rows_rejected:>12,}")
    for reason, rows in result.rejects_by_reason.itertuples(index=False):
        lines.append(f"    {reason:<24} {rows:>10,}")
    for fill in result.filled:
        lines.append(
            f"also filled {fill.table} as batch {fill.batch_id}: {fill.rows_loaded:,} rows ({fill.rows_new:,} new); "
            f"columns {', '.join(fill.columns)}"
        )
    if result.unused_columns:
        lines.append(f"not imported: {', '.join(result.unused_columns)}")
    if result.non_products_suggested:
        lines.append(
            f"{result.non_products_suggested} item codes look like postage or fees, not products: kept out of "
            "recommendations until you decide (python -m retention non-products list)"
        )
    return "\n".join(lines)
