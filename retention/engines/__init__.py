"""Where the set work runs: DuckDB on the warehouse file (the default), or Spark over a Parquet lake.

The set work (cohort tables and the activity rollup, lifecycle, churn snapshots and features,
recommender feedback, campaign measurement joins) is written once, as the named DuckDB SQL of
``retention/sql/``. :func:`source` gives the connection it runs on:

* ``duckdb`` without a lake: the warehouse file, as every command reads it;
* ``duckdb`` with a lake: an in-memory DuckDB warehouse loaded from the lake's Parquet, its
  rollup built here (:func:`retention.engines.lake.duckdb_warehouse`);
* ``spark`` (a lake is required): a :class:`~retention.engines.spark.SparkWarehouse`, which runs
  the same files translated by SQLGlot (:mod:`retention.engines.dialect`) on a Spark session:
  ``local[*]``, a cluster master or a Spark Connect endpoint.

Model steps pull only what they need to the driver (a feature table, a feedback matrix); results
(scores, runs, measurements) are written to the DuckDB warehouse, where the app reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from retention import warehouse
from retention.errors import DataError

DUCKDB = "duckdb"
SPARK = "spark"
ENGINES = (DUCKDB, SPARK)


@contextmanager
def source(
    engine: str = DUCKDB,
    *,
    db: str | os.PathLike | None = None,
    lake_dir: str | os.PathLike | None = None,
    master: str | None = None,
    rollup: bool = False,
) -> Iterator:
    """The connection the set work runs on (see the module docstring); closed or released when the block ends.

    Parameters
    ----------
    engine
        ``"duckdb"`` or ``"spark"``.
    db
        The warehouse file, read when no lake is given.
    lake_dir
        A lake folder (``python -m retention lake export --to DIR``); required by Spark.
    master
        Spark's master URL or Spark Connect endpoint (default ``$RETENTION_SPARK_MASTER`` or ``local[*]``).
    rollup
        Build the activity rollup on the lake first (the cohort tables and lifecycle read it).
    """
    if engine not in ENGINES:
        raise DataError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine == SPARK and lake_dir is None:
        raise DataError(
            "the Spark engine reads a lake: give --lake DIR (write one with `python -m retention lake export`)"
        )
    if lake_dir is None:
        # As every command on a new path: the file is made, empty, with the current schema.
        with warehouse.session(warehouse.prepare(db)) as con:
            yield con
        return
    if engine == DUCKDB:
        from retention.engines import lake

        con = lake.duckdb_warehouse(lake_dir, rollup=rollup)
        try:
            yield con
        finally:
            con.close()
        return
    from retention import rollups
    from retention.engines import spark

    lake_warehouse = spark.SparkWarehouse(lake_dir, spark.session(master))
    try:
        if rollup:
            rollups.refresh(lake_warehouse)
        yield lake_warehouse
    finally:
        lake_warehouse.close()
