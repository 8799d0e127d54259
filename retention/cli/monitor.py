"""``monitor``: the Monitoring page's numbers and checks as JSON, for a scheduler that alerts on them (see
:mod:`retention.monitoring`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retention import warehouse
from retention.cli._common import add_db_argument, lazy_import, out_file
from retention.errors import DataError

monitoring = lazy_import("retention.monitoring")

CROSSED_STATUS = 1


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "monitor",
        help="data freshness, score drift, realised accuracy, recommendations and campaigns as JSON",
        description="Computes what the Monitoring page shows and writes it as JSON. Each check compares a number "
        "with a threshold; crossed checks are listed on stderr and under 'crossed'. With --fail-on the command "
        f"exits with status {CROSSED_STATUS} when a check (any, or one of those named) is crossed.",
    )
    add_db_argument(parser)
    parser.add_argument("--out", type=out_file, default=None, help="write the JSON report here (default: stdout)")
    parser.add_argument(
        "--fail-on",
        nargs="*",
        default=None,
        metavar="CHECK",
        help=f"exit with status {CROSSED_STATUS} when any check (or one of the checks named) is crossed",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a threshold, e.g. --threshold psi=0.25 (repeatable)",
    )
    parser.set_defaults(handler=run_monitor)


def run_monitor(args: argparse.Namespace) -> int:
    thresholds = monitoring.parse_thresholds(args.threshold)
    with warehouse.session(args.db) as con:
        built = monitoring.report(con, thresholds)
    text = json.dumps(built, indent=2, default=str) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    for name in built["crossed"]:
        print(f"crossed: {name}", file=sys.stderr)
    if args.fail_on is None:
        return 0
    known = {check["name"] for section in built["sections"].values() for check in section["checks"]}
    unknown = sorted(set(args.fail_on) - known)
    if unknown:
        raise DataError(f"--fail-on names unknown check(s) {unknown}; the checks are {sorted(known)}")
    watched = set(args.fail_on) or set(built["crossed"])
    return CROSSED_STATUS if watched & set(built["crossed"]) else 0
