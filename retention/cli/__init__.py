"""The command line: ``python -m retention COMMAND ...``.

Each module of this package (but those starting with ``_``) is a command
group: its ``add_parsers(subparsers)`` adds its commands and sets ``handler``
on each parser; a handler takes the parsed arguments and returns an exit
status. :func:`command_groups` finds the modules and registers them, so a new
group needs only its module. Command modules import heavy libraries (Surprise,
scikit-learn, SHAP, Prophet) through :func:`retention.cli._common.lazy_import`,
so that building the parser, and ``--help``, stays fast. Errors meant for users
(:class:`RetentionError`), and errors of the file system or DuckDB (a full disk, a
path without permission, a damaged warehouse: see
:func:`retention.errors.system_error_message`), are printed as one ``error: ...``
line without a traceback and exit with status 2, as argparse does for bad
arguments; so are the Spark engine's failures (:func:`engine_error_message`).
Output piped into a reader that leaves early (``| head``) ends quietly with
status 141, as a tool stopped by SIGPIPE.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from functools import cache

import duckdb

from retention.errors import RetentionError, system_error_message
from retention.registry import Registry

ERROR_STATUS = 2
BROKEN_PIPE_STATUS = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader left

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
    args = build_parser().parse_args(argv)  # bad arguments: argparse says why and exits with status 2
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader that left early is found here, not in Python's exit
        return status
    except BrokenPipeError:
        _drop_stdout()
        return BROKEN_PIPE_STATUS
    except RetentionError as exc:
        message = str(exc)
    except (OSError, duckdb.Error) as exc:
        message = system_error_message(exc)
    except Exception as exc:
        message = engine_error_message(exc)
        if message is None:
            raise
    print(f"error: {message}", file=sys.stderr)
    return ERROR_STATUS


# Spark's JVM did not start: the usual cause is a missing or misconfigured Java runtime.
_NO_JAVA = ("JAVA_GATEWAY_EXITED", "Java gateway process exited")


def engine_error_message(exc: BaseException) -> str | None:
    """One line for a failure of the Spark engine (PySpark, its Java bridge, or SQL it cannot translate); None
    for any other error.

    Looked up in ``sys.modules`` rather than imported: a process that never started Spark raised none of these,
    and the parser stays free of PySpark.
    """
    kinds = tuple(
        getattr(sys.modules[module], name)
        for module, name in (
            ("pyspark.errors", "PySparkException"),
            ("py4j.protocol", "Py4JError"),
            ("retention.engines.dialect", "UntranslatableSQL"),
        )
        if module in sys.modules
    )
    if not kinds or not isinstance(exc, kinds):
        return None
    text = str(exc).strip()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    if any(mark in text for mark in _NO_JAVA):
        return f"Spark could not start its Java runtime ({first_line}); install Java 17 or later, or set JAVA_HOME"
    if type(exc).__module__.startswith("retention."):
        return f"this query cannot run on Spark: {first_line}"
    return f"Spark failed: {first_line}"


def _drop_stdout() -> None:
    """Point stdout at the null device, so that flushing what is left at exit raises no second BrokenPipeError."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
