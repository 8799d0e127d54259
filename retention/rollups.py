"""Derived tables kept up to date whenever canonical data changes.

:func:`refresh` is called inside the transaction of every import and sample
build, after the new rows are in, so that dashboards read small rollups
instead of order lines.
"""

from __future__ import annotations

import duckdb


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the derived tables from the canonical ones (no-op until a rollup exists)."""
