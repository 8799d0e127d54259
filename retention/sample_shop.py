"""The synthetic sample shop inside a warehouse: whether it is there, and removing it.

The sample's rows are told apart from a shop's own imports by their import batch: every batch that
:func:`retention.bootstrap.load_frames` records (the default warehouse's build, the ``sample``
command) has a source name starting with :data:`SAMPLE_SOURCE_PREFIX`; batches of
older warehouses are matched by the names sample loads gave them then, and the simulated responses to
campaigns (``sample --simulate-campaign``) count as sample data too (see ``sql/sample_batch_filter.sql``).

Removing the sample deletes, in one transaction, the rows of those batches from every canonical table,
the batches and their rejected rows, and what was computed from them: the activity rollup of the users
they touched is computed again from what is left, and every churn score, recommender run and campaign
is deleted. The sample loads only into an empty warehouse, so each of those was computed with its
customers in the training data or the audience; a shop's own imports are left exactly as they were.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from retention import rollups, schema, warehouse
from retention.errors import DataError

SAMPLE_SOURCE_PREFIX = "sample shop: "  # starts the source name of every batch a sample load records
FILTER = {"filter": "sample_batch_filter"}
# Deleted in this order, import_batches last: the other deletes find the sample's rows through it.
ROW_TABLES = (*schema.CANONICAL_COLUMNS, schema.IMPORT_REJECTS, schema.IMPORT_BATCHES)


def _params() -> dict[str, str]:
    return {"prefix": SAMPLE_SOURCE_PREFIX}


def holds_sample(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any import batch of the warehouse holds synthetic sample data."""
    return bool(warehouse.execute(con, "sample_present", _params(), parts=FILTER).fetchone()[0])


def contents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What :func:`remove` would delete now.

    Returns
    -------
    pandas.DataFrame
        One row per table, in deletion order of the canonical tables first: ``table_name`` (users,
        products, orders, events, ratings, import_batches, import_rejects, scores, model_runs,
        campaigns) and ``rows`` (int, >= 0). All zeros when the warehouse holds no sample data.
    """
    frame = warehouse.query(con, "sample_contents", _params(), parts=FILTER)
    return frame.astype({"rows": "int64"})


def leaves_empty(con: duckdb.DuckDBPyConnection, sample_rows: pd.DataFrame | None = None) -> bool:
    """Whether every row of the canonical tables belongs to the sample data, so that :func:`remove` would
    leave an empty warehouse (also True for an empty warehouse). ``sample_rows``: what :func:`contents`
    returned just before in the same read, so that the sample's rows are not counted twice."""
    sample = (contents(con) if sample_rows is None else sample_rows).set_index("table_name")["rows"]
    return all(warehouse.row_count(con, table) == sample[table] for table in schema.CANONICAL_COLUMNS)


def remove(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Delete the sample data and everything computed from it, in one transaction.

    Deleted: the rows of the sample's import batches from users, products, orders, events and ratings,
    those batches and their rejected rows; every churn score, recommender run and campaign (arms,
    members, results); non-product codes still only suggested whose item no longer appears anywhere.
    The activity rollup is computed again for the users whose rows were deleted. A shop's own imports
    stay as they were; when the warehouse held only the sample, it is empty afterwards.

    Returns
    -------
    pandas.DataFrame
        What was deleted, as :func:`contents` returned it just before.

    Raises
    ------
    DataError
        The warehouse holds no sample data (nothing is changed).
    """
    with warehouse.transaction(con):
        removed = contents(con)
        if not holds_sample(con):
            raise DataError("the warehouse holds no sample data; nothing was removed")
        tracking = rollups.track_changes(con)
        if tracking:
            warehouse.execute(con, "sample_touched_users", _params(), parts=FILTER)
        for table in ROW_TABLES:
            warehouse.execute(con, "sample_delete_rows", _params(), parts=FILTER, names={"table": table})
        warehouse.execute(con, "sample_delete_derived")
        rollups.refresh_changed(con)
    return removed


def describe(counts: pd.DataFrame, *, tables: Sequence[str] | None = None) -> str:
    """What :func:`contents` or :func:`remove` counted, in words: "5,000 users, 250 products, ..."

    Only ``tables`` (default: all) are named, and only those with rows; "nothing" when none has any.
    """
    labels = {
        "import_batches": "import batches",
        "import_rejects": "rejected rows",
        "scores": "churn scores",
        "model_runs": "recommender runs",
    }
    words = [
        f"{int(rows):,} {labels.get(table, table)}"
        for table, rows in zip(counts["table_name"], counts["rows"], strict=True)
        if rows and (tables is None or table in tables)
    ]
    return ", ".join(words) or "nothing"
