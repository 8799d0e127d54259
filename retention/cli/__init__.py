"""The command line: ``python -m retention COMMAND ...``.

Each module of this package adds its commands through ``add_parsers(subparsers)``
and sets ``handler`` on each parser; a handler takes the parsed arguments and
returns an exit status. Errors meant for users (:class:`RetentionError`) are
printed without a traceback and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from retention.errors import RetentionError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command module's sub-commands."""
    parser = argparse.ArgumentParser(prog="python -m retention", description="Retention Studio command line")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.add_parsers(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the chosen command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except RetentionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
