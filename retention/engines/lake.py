"""A lake: the warehouse's data tables as Parquet, one file (or folder of parts) per table, for Spark to read.

``python -m retention lake export --to DIR`` writes ``DIR/<table>.parquet`` for each table of
:data:`LAKE_TABLES` with the warehouse's column names and types, and ``DIR/lake.json``: the
schema version, and each table's rows and columns. A lake written by other tools works too:
each table is ``DIR/<table>.parquet`` or a folder ``DIR/<table>/`` of Parquet parts (what Spark
writes), holding at least the table's required columns (:data:`retention.schema.REQUIRED_COLUMNS`);
missing optional columns read as NULL.

Every file is written under a temporary name and renamed, the manifest last, so a reader never
sees a half-written table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from retention import rollups, schema, warehouse
from retention.errors import DataError
from retention.recommend import choice

MANIFEST = "lake.json"
LAKE_FORMAT = "retention-studio-lake"
CANONICAL_TABLES = (schema.USERS, schema.PRODUCTS, schema.ORDERS, schema.EVENTS, schema.RATINGS)
LAKE_TABLES = (
    *CANONICAL_TABLES,
    "non_products",  # what is postage or a fee: the churn features and recommenders leave those items out
    "suppression_list",
    "campaigns",
    "campaign_arms",
    "campaign_members",
)
"""The tables a lake holds: the canonical data, the items that are not products, and the campaigns that
``campaign measure`` reads. Derived tables (the activity rollup) are rebuilt by the engine that reads the lake."""
BATCH_ROWS = 1_000_000


@cache
def warehouse_schema() -> dict[str, dict[str, str]]:
    """Every table of the warehouse's current schema: table -> column -> DuckDB type, in column order."""
    con = warehouse.scratch()
    try:
        warehouse.migrate(con, name="the schema")
        columns = warehouse.query(con, "lake_schema")
    finally:
        con.close()
    tables: dict[str, dict[str, str]] = {}
    for table, column, kind in columns.itertuples(index=False):
        tables.setdefault(table, {})[column] = kind
    return tables


def table_path(lake_dir: Path, table: str) -> Path:
    """Where the lake keeps ``table``: ``<table>.parquet`` (a file or folder of parts), else ``<table>/``."""
    for path in (lake_dir / f"{table}.parquet", lake_dir / table):
        if path.exists():
            return path
    return lake_dir / f"{table}.parquet"


def read_manifest(lake_dir: Path) -> dict[str, list[str]]:
    """The tables of the lake at ``lake_dir``, each with its columns; checked for the required ones.

    Raises
    ------
    DataError
        No such folder, no table in it, a table that is not Parquet, or a table without a required column.
    """
    if not lake_dir.is_dir():
        raise DataError(
            f"lake folder {str(lake_dir)!r} does not exist; write one with `python -m retention lake export --to DIR`"
        )
    tables = {}
    for table in LAKE_TABLES:
        path = table_path(lake_dir, table)
        if path.exists():
            tables[table] = _columns(table, path)
    if schema.ORDERS not in tables and schema.EVENTS not in tables:
        raise DataError(f"the lake {str(lake_dir)!r} holds neither orders nor events (orders.parquet or orders/)")
    for table, columns in tables.items():
        missing = [name for name in schema.REQUIRED_COLUMNS.get(table, ()) if name not in columns]
        if missing:
            raise DataError(f"the lake's {table} table lacks the column(s) {', '.join(missing)}")
    return tables


def _columns(table: str, path: Path) -> list[str]:
    """The column names of the lake's ``table`` at ``path`` (a Parquet file, or a folder of parts)."""
    first = path if path.is_file() else next(path.rglob("*.parquet"), None)
    if first is None:
        raise DataError(f"the lake's {table} folder {str(path)!r} holds no .parquet file")
    try:
        return list(pq.read_schema(first).names)
    except pa.ArrowException as exc:
        raise DataError(f"the lake's {table} table cannot be read as Parquet ({str(first)!r}): {exc}") from exc


def export(
    db: str | os.PathLike | None, to: str | os.PathLike, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Write the warehouse's :data:`LAKE_TABLES` to the folder ``to`` as Parquet, and its manifest.

    Reads one consistent snapshot of the warehouse (one read-only session), streaming each table in
    batches of :data:`BATCH_ROWS` rows, so memory stays flat whatever the table's size. ``progress`` is
    told each table and its rows once written.

    Returns
    -------
    dict
        Table -> rows written.
    """
    lake_dir = Path(to)
    if lake_dir.exists() and not lake_dir.is_dir():
        raise DataError(f"{str(lake_dir)!r} is a file, not a folder; give a folder for the lake")
    counts: dict[str, int] = {}
    with warehouse.session(db) as con:
        lake_dir.mkdir(parents=True, exist_ok=True)  # once the warehouse opened: a mistyped --db makes no folder
        version = warehouse.schema_version(con)
        feedback_version = choice.feedback_version(con)
        for table in LAKE_TABLES:
            counts[table] = _write_table(con, table, lake_dir / f"{table}.parquet")
            if progress:
                progress(table, counts[table])
    manifest = {
        "format": LAKE_FORMAT,
        "schema_version": version,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": {table: {"rows": counts[table], "columns": warehouse_schema()[table]} for table in LAKE_TABLES},
        # Recommender runs trained on this lake count as trained on the warehouse's feedback while these files are
        # unchanged (retention.recommend.choice.lake_feedback_version).
        "exported_from": {
            "feedback_version": feedback_version,
            "feedback_fingerprint": files_fingerprint(lake_dir, choice.LAKE_FEEDBACK_TABLES),
        },
    }
    temporary = lake_dir / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(temporary, lake_dir / MANIFEST)
    return counts


def files_fingerprint(lake_dir: Path, tables: Sequence[str]) -> str:
    """A fingerprint (16 hex digits) of the Parquet files of ``tables`` in the lake: their names, sizes and
    modification times. Rewriting, adding or removing a file changes it."""
    digest = hashlib.sha256()
    for table in tables:
        path = table_path(lake_dir, table)
        files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path] if path.exists() else []
        for file in files:
            stat = file.stat()
            digest.update(f"{table}:{file.relative_to(lake_dir)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def exported_from(lake_dir: Path) -> dict[str, str]:
    """What ``lake.json`` says of the warehouse the lake was exported from (empty for a lake written elsewhere)."""
    manifest = lake_dir / MANIFEST
    if not manifest.is_file():
        return {}
    try:
        return dict(json.loads(manifest.read_text()).get("exported_from") or {})
    except (ValueError, AttributeError):
        return {}


def _write_table(con, table: str, path: Path) -> int:
    temporary = path.with_name(f".{path.name}.tmp")
    with warnings.catch_warnings():  # as warehouse.query: a relation would be blocked by another unread result
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        reader = warehouse.execute(con, "lake_table", names={"table": table}).to_arrow_reader(BATCH_ROWS)
    rows = 0
    try:
        with pq.ParquetWriter(temporary, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return rows


def duckdb_warehouse(lake_dir: str | os.PathLike, *, rollup: bool = True):
    """An in-memory DuckDB warehouse holding the lake's tables and, with ``rollup``, the activity rollup built
    from them; the caller closes it. The DuckDB side of an engine comparison on a lake, and ``--engine duckdb
    --lake DIR``."""
    lake_dir = Path(lake_dir)
    tables = read_manifest(lake_dir)
    con = warehouse.scratch()
    try:
        warehouse.migrate(con, name=str(lake_dir))
        with warehouse.transaction(con):
            for table, present in tables.items():
                columns = [name for name in warehouse_schema()[table] if name in present]
                path = table_path(lake_dir, table)
                pattern = str(path if path.is_file() else path / "**" / "*.parquet")
                _load(con, table, columns, pattern)
            if rollup:
                rollups.refresh(con)
    except BaseException:
        con.close()
        raise
    return con


def _load(con, table: str, columns: list[str], pattern: str) -> None:
    """Insert the lake file's ``columns`` of ``table`` (the others stay NULL) into the in-memory warehouse."""
    frame = con.read_parquet(pattern).select(*[f'"{name}"' for name in columns])
    con.register("lake_rows", frame)
    try:
        warehouse.execute(con, "lake_insert_table", names={"table": table})
    finally:
        con.unregister("lake_rows")
