"""``suppression import|list|remove``: the customers no campaign may contact (see
:mod:`retention.campaigns.suppression`)."""

from __future__ import annotations

import argparse
import sys

from retention import warehouse
from retention.cli._common import add_db_argument, lazy_import, out_file, write_table

suppression = lazy_import("retention.campaigns.suppression")
REJECTS_SHOWN = 10


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "suppression",
        help="import, list or remove the ids and emails no campaign may contact",
        description="Customers on the suppression list are left out of every campaign audience and every export, "
        "whenever they were listed.",
    )
    commands = group.add_subparsers(dest="suppression_command", required=True, metavar="SUBCOMMAND")
    imported = commands.add_parser(
        "import",
        help="add a CSV or text file's ids or emails to the list",
        description="One value per line, or a CSV with a user_id or an email column (and optionally a reason "
        "column). Without such a header, a value with an @ is an email, any other an id.",
    )
    add_db_argument(imported)
    imported.add_argument("file", help="CSV or text file of ids or emails")
    imported.add_argument("--reason", default=None, help="reason recorded for rows without one, e.g. unsubscribed")
    imported.set_defaults(handler=run_import)

    listing = commands.add_parser("list", help="print the list (kind, value, reason, source, added_at) as CSV")
    add_db_argument(listing)
    listing.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    listing.set_defaults(handler=run_list)

    removed = commands.add_parser("remove", help="take an id or an email off the list")
    add_db_argument(removed)
    removed.add_argument("value", help="the id, or the email (any case)")
    removed.set_defaults(handler=run_remove)


def run_import(args: argparse.Namespace) -> int:
    with warehouse.session(args.db, write=True) as con:
        result = suppression.import_file(con, args.file, reason=args.reason)
    print(
        f"read {result.rows_read} row(s) of {result.source}: added {result.rows_added}, "
        f"{result.rows_known} already listed, {result.rows_rejected} rejected",
        file=sys.stderr,
    )
    for reject in result.rejects.head(REJECTS_SHOWN).itertuples():
        print(f"  line {reject.line}: {reject.problem}: {reject.value!r}", file=sys.stderr)
    if result.rows_rejected > REJECTS_SHOWN:
        print(f"  and {result.rows_rejected - REJECTS_SHOWN} more", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with warehouse.session(args.db) as con:
        listed = suppression.list_entries(con)
    write_table(listed, args.out)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with warehouse.session(args.db, write=True) as con:
        removed = suppression.remove(con, args.value)
    print(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from the suppression list", file=sys.stderr)
    return 0
