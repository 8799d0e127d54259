"""Arguments and output helpers shared by the command modules."""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd

from retention import export, warehouse


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--db PATH`` (default: ``$RETENTION_DB`` or ``data/warehouse.duckdb``)."""
    parser.add_argument(
        "--db",
        default=None,
        help=f"warehouse file (default: ${warehouse.DB_ENV_VAR} or {warehouse.DEFAULT_DB})",
    )


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine duckdb|spark``, ``--lake DIR`` and ``--spark-master URL`` (see :mod:`retention.engines`)."""
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where the set work runs: duckdb (the default, on --db or on --lake) or spark (on --lake)",
    )
    parser.add_argument(
        "--lake", default=None, metavar="DIR", help="read this Parquet lake (from `lake export`) instead of --db"
    )
    parser.add_argument(
        "--spark-master",
        default=None,
        metavar="URL",
        help="Spark master (local[*], spark://host:7077, yarn) or Spark Connect endpoint (sc://host:15002); "
        "default $RETENTION_SPARK_MASTER or local[*]",
    )


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``minimum`` (to ``maximum``), checked before any work starts."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
            raise argparse.ArgumentTypeError(f"expected a number {bounds}, got {value}")
        return value

    return parse


def real_number(low: float, high: float = math.inf, *, above_low: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number from ``low`` to ``high`` (above ``low`` when ``above_low``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(value) and (value > low if above_low else value >= low) and value <= high):
            above = "above" if above_low else "at least"
            bounds = f"{above} {low:g}" + (f" and at most {high:g}" if math.isfinite(high) else "")
            raise argparse.ArgumentTypeError(f"expected a number {bounds}, got {text}")
        return value

    return parse


def date_text(text: str) -> str:
    """An argparse ``type``: text that reads as a date or timestamp (YYYY-MM-DD[ HH:MM]), kept as given."""
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise argparse.ArgumentTypeError(f"expected a date such as 2024-03-31, got {text!r}")
    return text


def out_file(text: str) -> str:
    """An argparse ``type`` for ``--out``: a path that is not a folder, under folders (where they exist) that are
    folders; checked before any work, so that a long computation does not end in a path that cannot be written."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give the path of a file")
    _check_parents(path)
    return text


def out_dir(text: str) -> str:
    """An argparse ``type`` for ``--out-dir``: a folder, or a path where one can be made (checked before any work)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; give a folder for the files")
    _check_parents(path)
    return text


def _check_parents(path: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{str(parent)!r} is a file, not a folder")
            return


def write_table(frame: pd.DataFrame, out: str | None) -> None:
    """Write ``frame`` as formula-safe CSV to the file ``out``, or to stdout when ``out`` is None."""
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        export.write_csv(frame, out)
        print(f"wrote {len(frame)} rows to {out}", file=sys.stderr)
    else:
        sys.stdout.write(export.to_csv_bytes(frame).decode("utf-8"))


def lazy_import(name: str) -> ModuleType:
    """The module ``name``, executed only when one of its attributes is first used.

    Every command module is imported to build the parser, and some library
    modules pull in scikit-learn, SHAP or Surprise, which take seconds to
    import: loading them lazily keeps ``--help`` and the light commands fast.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
