"""``views list|delete``: the saved views of the app's pages (saved and opened in the app, see
:mod:`retention.saved_views`)."""

from __future__ import annotations

import argparse
import json
import sys

from retention import saved_views, warehouse
from retention.cli._common import add_db_argument, out_file, write_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "views",
        help="list or delete the saved views of the app's pages",
        description="A saved view is a page's settings under a name, saved on the page in the app and opened "
        "there by the link PAGE?view=NAME.",
    )
    commands = group.add_subparsers(dest="views_command", required=True, metavar="SUBCOMMAND")
    listing = commands.add_parser("list", help="print each view's page, name, link and settings as CSV")
    add_db_argument(listing)
    listing.add_argument("--page", default=None, help="only this page's views (its URL path, e.g. cohorts)")
    listing.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    listing.set_defaults(handler=run_list)

    delete = commands.add_parser("delete", help="delete one saved view")
    add_db_argument(delete)
    delete.add_argument("page", help="the page's URL path, e.g. cohorts")
    delete.add_argument("name", help="the view's name, as listed")
    delete.set_defaults(handler=run_delete)


def run_list(args: argparse.Namespace) -> int:
    with warehouse.session(args.db) as con:
        listed = saved_views.list_views(con, args.page)
    listed["link"] = listed["page"] + listed["link"]
    listed["params"] = [json.dumps(params, ensure_ascii=False) for params in listed["params"]]
    write_table(listed.rename(columns={"params": "settings"}), args.out)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with warehouse.session(args.db, write=True) as con:
        saved_views.delete(con, args.page, args.name)
    print(f"deleted the view {args.name!r} of the {args.page} page", file=sys.stderr)
    return 0
