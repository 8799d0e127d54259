"""The command line: ``python -m retention COMMAND ...``.

Each module of this package (but those starting with ``_``) is a command
group: its ``add_parsers(subparsers)`` adds its commands and sets ``handler``
on each parser; a handler takes the parsed arguments and returns an exit
status. :func:`command_groups` finds the modules and registers them, so a new
group needs only its module. Command modules import heavy libraries (Surprise,
scikit-learn, SHAP, Prophet) through :func:`retention.cli._common.lazy_import`,
so that building the parser, and ``--help``, stays fast. Errors meant for users
(:class:`RetentionError`) are printed without a traceback and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from functools import cache

from retention.errors import RetentionError
from retention.registry import Registry

AddParsers = Callable[[argparse._SubParsersAction], None]


@cache
def command_groups() -> Registry[AddParsers]:
    """Every command group: module name -> its ``add_parsers``, in alphabetical order of the modules."""
    groups: Registry[AddParsers] = Registry("command group")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not module_info.name.startswith("_"):
            groups.add(module_info.name, importlib.import_module(f"{__name__}.{module_info.name}").add_parsers)
    return groups


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command group's sub-commands."""
    parser = argparse.ArgumentParser(prog="python -m retention", description="Retention Studio command line")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_parsers in command_groups().values():
        add_parsers(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the chosen command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except RetentionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
