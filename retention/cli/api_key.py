"""``api-key create|list|revoke``: the keys of the HTTP API (see :mod:`retention.serve.keys`)."""

from __future__ import annotations

import argparse
import sys

from retention import warehouse
from retention.cli._common import add_db_argument, lazy_import, out_file, whole_number, write_table

keys = lazy_import("retention.serve.keys")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "api-key",
        help="create, list or revoke the keys of the HTTP API",
        description="The warehouse keeps only a salted hash of each key; the key itself is printed once, at "
        "creation. The service (python -m retention serve) reads the keys again when they change.",
    )
    commands = group.add_subparsers(dest="api_key_command", required=True, metavar="SUBCOMMAND")
    created = commands.add_parser("create", help="create a key and print it once")
    add_db_argument(created)
    created.add_argument("--name", required=True, help="who uses the key, e.g. storefront")
    created.set_defaults(handler=run_create)

    listing = commands.add_parser("list", help="print the keys (key_id, name, prefix, created_at, revoked_at)")
    add_db_argument(listing)
    listing.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    listing.set_defaults(handler=run_list)

    revoked = commands.add_parser("revoke", help="revoke a key: requests with it get 401 from then on")
    add_db_argument(revoked)
    revoked.add_argument("key_id", type=whole_number(1), help="the key's id, as api-key list shows it")
    revoked.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    db = warehouse.resolve_db_path(args.db)
    with warehouse.session(db, write=True) as con:
        key_id, key = keys.create(con, db, args.name)
    print(f"created key {key_id} ({args.name.strip()}); it is shown only this once, store it now:", file=sys.stderr)
    print(key)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with warehouse.session(args.db) as con:
        write_table(keys.listed(con), args.out)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    db = warehouse.resolve_db_path(args.db)
    with warehouse.session(db, write=True) as con:
        name = keys.revoke(con, db, args.key_id)
    print(f"revoked key {args.key_id} ({name})", file=sys.stderr)
    return 0
