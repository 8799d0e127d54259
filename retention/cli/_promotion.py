"""``recommenders promote|demote|promotions``: what the HTTP service serves (see :mod:`retention.serve`)."""

from __future__ import annotations

import argparse

from retention import warehouse
from retention.cli._common import add_db_argument, out_file, whole_number, write_table

MAX_K = 100  # retention.serve.publish.MAX_K (the parser imports no pandas-heavy module)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``promote``, ``demote`` and ``promotions`` to the ``recommenders`` subcommands."""
    promote = commands.add_parser(
        "promote",
        help="serve a saved run: precompute its top-K for every customer it knows into a new serving snapshot",
        description="Precomputes the run's top-K of every customer its model knows (its saved all-feedback model "
        "when fresh, else fitted now), with its most popular items for customers it does not know, the latest "
        "churn scores and the open campaigns' arms, into a snapshot beside the warehouse that "
        "`python -m retention serve` picks up without a restart. The run serving before is demoted.",
    )
    add_db_argument(promote)
    promote.add_argument(
        "run_id", type=whole_number(1), metavar="RUN_ID", help="the saved run (see `recommenders runs`)"
    )
    promote.add_argument(
        "--k", type=whole_number(1, MAX_K), default=10, help="list length precomputed per customer (default: 10)"
    )
    promote.set_defaults(handler=run_promote)
    demote = commands.add_parser(
        "demote",
        help="stop serving the promoted run: every customer then gets the most popular items",
    )
    add_db_argument(demote)
    demote.set_defaults(handler=run_demote)
    history = commands.add_parser("promotions", help="print the promotion history as CSV, newest first")
    add_db_argument(history)
    history.add_argument("--out", type=out_file, default=None, help="write CSV to this file instead of stdout")
    history.set_defaults(handler=run_promotions)


def run_promote(args: argparse.Namespace) -> int:
    from retention.serve import publish

    path = warehouse.resolve_db_path(args.db)
    folder = publish.promote(path, args.run_id, args.k)
    with warehouse.session(path) as con:
        serving = publish.serving_promotion(con)
    print(
        f"promoted run {args.run_id}: top-{args.k} of {serving['customers']:,} customers, "
        f"serving from {folder.parent} ({folder.name})"
    )
    return 0


def run_demote(args: argparse.Namespace) -> int:
    from retention.serve import publish

    path = warehouse.resolve_db_path(args.db)
    with warehouse.session(path, write=True) as con:
        serving = publish.serving_promotion(con)
        folder = publish.demote(con, path)
    run_id = None if serving is None else serving["run_id"]
    print(f"demoted run {run_id}: every customer now gets the most popular items ({folder.name})")
    return 0


def run_promotions(args: argparse.Namespace) -> int:
    from retention.serve import publish

    with warehouse.session(warehouse.resolve_db_path(args.db)) as con:
        history = publish.promotions(con)
    write_table(history, args.out)
    return 0
