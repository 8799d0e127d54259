"""``sample`` and ``init``: the synthetic shop, generated, built from ``sample_data/`` or removed; an empty warehouse.

Only the default warehouse path gets the sample shop from ``init``; any other path becomes an empty
warehouse, and ``init --empty`` makes one at any path. ``sample --remove`` deletes the sample's rows
and everything computed from them, leaving a shop's own imports.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from retention import bootstrap, sample, sample_shop, schema, warehouse
from retention.cli._common import add_db_argument, whole_number
from retention.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="generate the synthetic shop into an empty warehouse (or export it as parquet, or --remove it)",
    )
    add_db_argument(parser)
    parser.add_argument("--users", type=whole_number(1), default=20000, help="users who sign up (default: 20000)")
    parser.add_argument("--months", type=whole_number(1), default=24, help="months of history (default: 24)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--end", default=sample.DEFAULT_END, help=f"last day of the history (default: {sample.DEFAULT_END})"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--remove",
        action="store_true",
        help="instead: delete the sample data and everything computed from it, keeping your own imports",
    )
    action.add_argument(
        "--export-dir",
        default=None,
        metavar="DIR",
        help="write <table>.parquet files to DIR instead of loading the warehouse",
    )
    action.add_argument(
        "--simulate-campaign",
        type=whole_number(1),
        default=None,
        metavar="CAMPAIGN_ID",
        help="instead: append post-launch orders of a launched campaign whose arms respond with --true-uplift",
    )
    parser.add_argument(
        "--true-uplift",
        default=None,
        metavar="ARM=U,...",
        help="with --simulate-campaign: each arm's true uplift, the share of would-be churners it keeps (default 0)",
    )
    parser.set_defaults(handler=run_sample)

    parser = subparsers.add_parser(
        "init",
        help="create the warehouse if the file does not exist yet: the sample shop at the default path, else empty",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--empty",
        action="store_true",
        help="make an empty warehouse (schema only), also at the default path; an existing file must hold no rows",
    )
    parser.set_defaults(handler=run_init)


def _print_counts(counts: dict[str, int]) -> None:
    for table, rows in counts.items():
        print(f"  {table:<10} {rows:>10,} rows")


def run_sample(args: argparse.Namespace) -> int:
    if args.remove:
        return run_remove(args)
    if args.simulate_campaign is not None:
        from retention.cli.campaign import run_simulate_response

        return run_simulate_response(args)
    params = dict(users=args.users, months=args.months, seed=args.seed, end=args.end)
    source = "sample " + " ".join(f"{key}={value}" for key, value in params.items())
    started = time.perf_counter()
    if args.export_dir:
        frames = _generate(params)
        written = bootstrap.write_parquet(frames, args.export_dir)
        print(f"wrote {len(written)} parquet files to {args.export_dir} ({source})")
        _print_counts({table: len(frame) for table, frame in frames.items()})
    else:
        path = warehouse.resolve_db_path(args.db)
        con = warehouse.connect(path)
        try:
            filled = [table for table in schema.CANONICAL_COLUMNS if warehouse.has_rows(con, table)]
            if filled:
                raise DataError(
                    f"warehouse {str(path)!r} is not empty (it holds {', '.join(filled)}); `sample` loads only "
                    "into an empty warehouse (pass a new --db file, or --export-dir to write parquet instead)"
                )
            # One table at a time: each is written and dropped before the next is simulated.
            counts = bootstrap.load_frames(con, _generate(params, lazily=True), source=source)
        finally:
            con.close()
        print(f"loaded the synthetic shop into {path} ({source})")
        _print_counts(counts)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _generate(params: dict, *, lazily: bool = False) -> dict | Iterator[tuple[str, pd.DataFrame]]:
    """The sample's frames (with ``lazily``: :func:`retention.sample.tables`, one table at a time)."""
    try:
        return sample.tables(**params) if lazily else sample.generate(**params)
    except ValueError as exc:
        raise DataError(str(exc)) from exc


def run_init(args: argparse.Namespace) -> int:
    path = warehouse.resolve_db_path(args.db)
    if args.empty:
        if bootstrap.create_empty(path):
            print(f"created an empty warehouse {path}; import your data with `python -m retention import`")
        else:
            print(f"warehouse {path} already exists and holds no rows; nothing changed")
        return 0
    if path.exists():
        print(f"warehouse {path} already exists; nothing built")
        return 0
    if not bootstrap.is_default_path(path):
        bootstrap.create_empty(path)
        print(
            f"created an empty warehouse {path} (the sample shop is built only at the default path "
            f"{warehouse.DEFAULT_DB}; `python -m retention sample --db {path}` generates one here)"
        )
        return 0
    started = time.perf_counter()
    bootstrap.build_warehouse(path)
    print(
        f"built warehouse {path} with the synthetic sample shop from {bootstrap.SAMPLE_DIR.name}/ in "
        f"{time.perf_counter() - started:.1f} s; `python -m retention sample --remove` deletes it"
    )
    return 0


def run_remove(args: argparse.Namespace) -> int:
    path = warehouse.resolve_db_path(args.db)
    if not path.exists():
        raise DataError(f"warehouse file {str(path)!r} does not exist")
    con = warehouse.connect(path)
    try:
        removed = sample_shop.remove(con)
        left = warehouse.table_summary(con)
    finally:
        con.close()
    print(f"removed the sample data from {path}: {sample_shop.describe(removed)}")
    held = [f"{int(rows):,} {table}" for table, rows in zip(left["table"], left["rows"], strict=True) if rows]
    print(f"the warehouse now holds {', '.join(held)}" if held else "the warehouse is now empty")
    return 0
