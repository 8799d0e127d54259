"""Arguments and output helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
