"""The warehouse's tables as a Spark SQL session over a Parquet lake, run with the same named SQL files.

:class:`SparkWarehouse` stands where a DuckDB connection stands: :func:`retention.warehouse.execute`
and :func:`retention.warehouse.query` hand it a named file's text and parameters, and it runs them
on Spark (translated by :mod:`retention.engines.dialect`), returning a result read the DuckDB way
(``fetchone``, ``fetchall``, ``df``). So ``cohort_table(spark_warehouse, query)`` and the churn
features run the very definitions they run on DuckDB.

The lake's tables (:mod:`retention.engines.lake`) are temporary views; every other table of the
warehouse's schema starts empty, with its columns and types. The derived tables are built the
DuckDB way too: the rollup's SQL scripts (``CREATE TEMP TABLE``, ``DELETE``, ``INSERT``) run as
Spark DataFrame steps, each result materialised (``localCheckpoint``) and registered under the
table's name. Nothing is written back to the lake: results reach the warehouse through the
commands that asked for them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from sqlglot import exp

from retention.engines import dialect, lake

MASTER_ENV_VAR = "RETENTION_SPARK_MASTER"
DRIVER_MEMORY_ENV_VAR = "RETENTION_SPARK_DRIVER_MEMORY"
SMALL_DATA_CONFIG = {"spark.sql.codegen.wholeStage": "false", "spark.sql.shuffle.partitions": "2"}
"""Settings for data of a few thousand rows (the tests): compiling each stage and eight shuffle partitions cost
more than the work, halving the rollup's time there; they would slow a real lake."""
DEFAULT_MASTER = "local[*]"
# Spark's defaults made to agree with DuckDB's: timestamps read as written (UTC), NULL rather than an error on
# a division by zero, and a shuffle sized for one machine (adaptive execution resizes it on a cluster).
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

_session = None


def session(master: str | None = None, config: Mapping[str, str] | None = None):
    """The process's Spark session, started on first use: ``master`` (or ``$RETENTION_SPARK_MASTER``, else
    ``local[*]``) is a Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``) or a Spark Connect
    endpoint (``sc://host:15002``). ``config`` adds Spark settings to :data:`SESSION_CONFIG`; the driver's memory
    is ``$RETENTION_SPARK_DRIVER_MEMORY`` (default 4g). A session already started is returned as it is."""
    global _session
    if _session is not None:
        return _session
    from pyspark.sql import SparkSession

    master = master or os.environ.get(MASTER_ENV_VAR) or DEFAULT_MASTER
    builder = SparkSession.builder.appName("retention-studio")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    settings = {
        **SESSION_CONFIG,
        "spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV_VAR, "4g"),
        **(config or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    _session = builder.getOrCreate()
    if not master.startswith("sc://"):
        _session.sparkContext.setLogLevel("OFF")  # Spark's own log would bury the command's output
    return _session


_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "TEXT": "STRING",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DATE": "DATE",
    "DOUBLE": "DOUBLE",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "BOOLEAN": "BOOLEAN",
    "BLOB": "BINARY",
    "VARCHAR[]": "ARRAY<STRING>",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a DuckDB column type of the warehouse's schema."""
    if duckdb_type in _SPARK_TYPES:
        return _SPARK_TYPES[duckdb_type]
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type
    raise ValueError(f"no Spark type for the warehouse column type {duckdb_type}")


def _table_name(target: exp.Expression) -> str:
    """The table a CREATE or INSERT writes: ``t`` of ``t`` or of ``t (column, ...)``."""
    return target.this.name if isinstance(target, exp.Schema) else target.name


class SparkResult:
    """The rows of one statement, read as a DuckDB result is: ``fetchone``, ``fetchall``, ``df``."""

    def __init__(self, frame) -> None:
        self._frame = frame
        self._rows: list[tuple] | None = None

    def _all(self) -> list[tuple]:
        if self._rows is None:
            self._rows = [] if self._frame is None else [tuple(row) for row in self._frame.collect()]
        return self._rows

    def fetchone(self) -> tuple | None:
        rows = self._all()
        return rows[0] if rows else None

    def fetchall(self) -> list[tuple]:
        return list(self._all())

    def df(self) -> pd.DataFrame:
        """The rows as pandas, DATE columns as ``datetime64[us]`` (as DuckDB gives them)."""
        if self._frame is None:
            return pd.DataFrame()
        frame = self._frame.toPandas()
        for field in self._frame.schema.fields:
            if field.dataType.typeName() == "date":
                frame[field.name] = pd.to_datetime(frame[field.name]).astype("datetime64[us]")
        return frame

    fetchdf = df

    def to_arrow_table(self):
        return self._frame.toArrow()


class SparkWarehouse:
    """A lake's tables on Spark, run with the warehouse's named SQL (see the module docstring).

    Parameters
    ----------
    lake_dir
        A folder written by ``python -m retention lake export`` (or any folder with one Parquet file or folder
        per table, named after it: ``orders.parquet`` or ``orders/``).
    spark
        A Spark session; the process's own (:func:`session`) by default.
    """

    def __init__(self, lake_dir: str | os.PathLike, spark=None) -> None:
        self.lake_dir = Path(lake_dir)
        # A session of its own shares the Spark context but keeps its temporary views apart from other lakes'.
        self.spark = (spark or session()).newSession()
        self.tables = lake.read_manifest(self.lake_dir)
        for table, columns in lake.warehouse_schema().items():
            if table in self.tables:
                frame = self.spark.read.parquet(str(lake.table_path(self.lake_dir, table)))
                frame = frame.selectExpr(
                    *[f"CAST(`{name}` AS {spark_type(kind)}) AS `{name}`" for name, kind in columns.items()]
                )
            else:
                frame = self._empty(columns)
            frame.createOrReplaceTempView(table)

    def _empty(self, columns: Mapping[str, str]):
        schema = ", ".join(f"`{name}` {spark_type(kind)}" for name, kind in columns.items())
        return self.spark.createDataFrame([], schema)

    def close(self) -> None:
        """Drop this lake's views and materialised tables (the Spark context stays up for the next one)."""
        for table in self.spark.catalog.listTables():
            if table.isTemporary:
                self.spark.catalog.dropTempView(table.name)

    def table_columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type, as :func:`retention.warehouse.table_columns` gives them (empty when unknown)."""
        return dict(lake.warehouse_schema().get(table, {}))

    # The DuckDB connection's methods that the library uses.
    def cursor(self) -> SparkWarehouse:
        return self

    def execute(self, sql: str, params: Mapping[str, object] | Sequence[object] | None = None) -> SparkResult:
        """Run ``sql`` (DuckDB dialect, one or more statements); the result of the last one."""
        result = SparkResult(None)
        for tree in dialect.spark_statements(sql, params):
            result = SparkResult(self._run(tree))
        return result

    def _run(self, tree: exp.Expression):
        if isinstance(tree, (exp.Select, exp.SetOperation)):
            return self.spark.sql(dialect.to_spark_sql(tree))
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Insert):
            return self._insert(tree)
        if isinstance(tree, exp.Delete):
            return self._delete(tree)
        if isinstance(tree, exp.Drop):
            for table in tree.args.get("tables") or [tree.this]:
                self.spark.catalog.dropTempView(table.name)
            return None
        raise dialect.UntranslatableSQL(f"the Spark engine runs no {tree.key.upper()} statement")

    def _register(self, name: str, frame) -> None:
        # Materialise once: a table read by later steps must not recompute its whole lineage each time.
        frame.localCheckpoint().createOrReplaceTempView(name)

    def _create(self, tree: exp.Create) -> None:
        target = tree.this
        name = _table_name(target)
        if tree.args.get("kind", "").upper() == "VIEW":
            self.spark.sql(dialect.to_spark_sql(tree))
            return None
        if tree.expression is not None:
            self._register(name, self.spark.sql(dialect.to_spark_sql(tree.expression)))
            return None
        columns = {column.name: column.args["kind"].sql(dialect="duckdb") for column in target.expressions}
        self._empty(columns).createOrReplaceTempView(name)
        return None

    def _insert(self, tree: exp.Insert) -> None:
        target = tree.this
        name = _table_name(target)
        current = self.spark.table(name)
        added = self.spark.sql(dialect.to_spark_sql(tree.expression))
        given = [column.name for column in target.expressions] if isinstance(target, exp.Schema) else current.columns
        added = added.toDF(*given)
        added = added.selectExpr(
            *[
                f"CAST(`{field.name}` AS {field.dataType.simpleString()}) AS `{field.name}`"
                if field.name in given
                else f"CAST(NULL AS {field.dataType.simpleString()}) AS `{field.name}`"
                for field in current.schema.fields
            ]
        )
        self._register(name, current.unionByName(added))
        return None

    def _delete(self, tree: exp.Delete) -> None:
        name = tree.this.name
        where = tree.args.get("where")
        if where is None:
            self.spark.createDataFrame([], self.spark.table(name).schema).createOrReplaceTempView(name)
            return None
        kept = exp.select("*").from_(name).where(exp.not_(exp.func("COALESCE", where.this.copy(), exp.false())))
        self._register(name, self.spark.sql(dialect.to_spark_sql(kept)))
        return None
