"""Arguments and output helpers shared by the command modules."""

from __future__ import annotations

import argparse
import importlib.util
import sys
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
