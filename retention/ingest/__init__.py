"""Validated, transactional import of CSV, CSV.gz and Parquet files into the canonical tables.

A file is streamed through DuckDB (``read_csv`` with every column as text, or
``read_parquet``); mapping, typing and checks are SQL (``retention/sql/ingest_*.sql``),
never a Python loop over rows. One import is one transaction:

1. the file's columns are mapped onto the table's canonical columns
   (``mapping`` first, then columns whose name equals a canonical one, ignoring case);
   a missing required column stops the import before anything is written;
2. every row is typed and checked into a temporary stage (a TEMP table of the importing
   connection, filled in file order before the transaction starts, so that its rowid is
   the row's place in the file); a row that fails a check goes to ``import_rejects`` with
   its row number in the file, the first problem found (``missing user_id``,
   ``null-like user_id``, ``unparseable ts``, ``ts after ...``, ``non-numeric quantity``, ...: the rules
   are the macros of ``ingest_macros.sql``, the time window :mod:`retention.ingest.rules`) and the row
   itself as JSON; a file that cannot be read as a table (not UTF-8, no header, a column named twice:
   :mod:`retention.ingest.files`) is refused before that;
3. the other rows are appended (orders, events, ratings) or upserted (users,
   products: one row per id, the newest import wins for the columns the file maps; a
   column it does not map keeps the stored value, so a file of ``item_id,price`` changes
   prices and nothing else, while a mapped column's empty value clears it), the batch is logged in
   ``import_batches`` and, for orders, events and users, the activity rollup is brought
   up to date for the users whose rows were added or replaced
   (:func:`retention.rollups.refresh_changed`).

Exact duplicate rows of an appended table (every mapped column equal) are counted and,
by default, loaded once: in an order-lines export they are copies of one line (Online
Retail has 5,225 among its customers' lines), and keeping them would count that line's
revenue twice. ``duplicates="keep"`` loads them all; the batch records the count and the
choice either way.

One file, several tables: an order-lines export (Online Retail, a Shopify orders CSV)
carries the product's title and the customer's country on every line. Mapping those
columns (``title``, ``country``, ...: :func:`targets`) fills products and users from the
loaded lines in the same transaction, each as a batch of its own with the same file name
and SHA-256, so the import history shows what was written where. Each id gets the values
of its newest line (by time, then file order); a column the file does not carry keeps
what the table held. Nothing is filled by column name alone: filling is asked for.

Any error rolls the whole import back. A file whose bytes were already imported into
the same table is refused unless ``replace=True``, which first deletes what the
earlier import(s) of that file loaded.

Row numbers are 1-based and count the header: in a CSV the first data row is row 2,
as in a spreadsheet (and the file's line number unless a quoted field spans lines).
In a Parquet file the first row is row 1.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from retention import non_products, rollups, schema, sql_files, warehouse
from retention.errors import DataError
from retention.ingest.files import (
    GZIP_MAGIC,
    PARQUET_MAGIC,
    SEPARATOR_NAMES,
    file_columns,
    file_format,
    file_sha256,
    first_line,
    preview,
    reader_for,
    reading,
    separator,
)
from retention.ingest.mapping import (
    SYNONYMS,
    MappingError,
    canonical,
    guess_mapping,
    resolve_mapping,
    targets,
    unused_columns,
)
from retention.ingest.rules import TimeWindow, time_window

__all__ = [
    "GZIP_MAGIC",
    "MappingError",
    "PARQUET_MAGIC",
    "SEPARATOR_NAMES",
    "SYNONYMS",
    "file_columns",
    "file_format",
    "file_sha256",
    "guess_mapping",
    "preview",
    "resolve_mapping",
    "separator",
    "targets",
    "time_window",
    "unused_columns",
    "TimeWindow",
]

# Tables whose rows the activity rollup is computed from (see retention.rollups).
ROLLUP_SOURCES = (schema.ORDERS, schema.EVENTS, schema.USERS)

DUPLICATE_POLICIES = ("drop", "keep")


@dataclass(frozen=True)
class TableFill:
    """What an import did to another table its file also fills (users and products from order lines).

    Attributes
    ----------
    table : str
        ``users`` or ``products``.
    batch_id : int
        The ``import_batches`` row of this fill (same file name and SHA-256 as the import's own batch);
        the rows it wrote carry it in ``batch_id``.
    columns : tuple of str
        The table's columns the file carried (mapped); the others keep what they held.
    rows_loaded : int
        Ids written: one row per distinct id of the loaded lines.
    rows_new : int
        Of those, ids the table did not hold before.
    """

    table: str
    batch_id: int
    columns: tuple[str, ...]
    rows_loaded: int
    rows_new: int


@dataclass(frozen=True)
class ImportResult:
    """What one import did.

    Attributes
    ----------
    batch_id : int
        The ``import_batches`` row of this import; loaded rows carry it in ``batch_id``.
    table, source_name : str
        Canonical table written and the file name recorded for the batch.
    rows_read : int
        Data rows in the file (the header not counted).
    rows_loaded : int
        Rows written to ``table``. For users and products, one per distinct id.
    rows_rejected : int
        Rows written to ``import_rejects`` instead.
    rows_merged : int
        Valid rows folded into another row of the same id (users and products only).
    duplicates_found : int
        Valid rows of an appended table (orders, events, ratings) that are exact copies of an earlier
        row of the file: every mapped column equal. 0 for users and products, which merge them anyway.
    duplicates_policy : str
        ``"drop"`` (only the first of each set of copies was loaded) or ``"keep"``.
    duplicates_dropped : int (property)
        ``duplicates_found`` when they were dropped, else 0;
        ``rows_read == rows_loaded + rows_rejected + rows_merged + duplicates_dropped``.
    rejects_by_reason : DataFrame
        Columns ``reason`` (str) and ``rows`` (int), most frequent first; empty when nothing was rejected.
    replaced_batches : tuple of int
        Earlier batches of the same file whose rows were deleted first (``replace=True``).
    filled : tuple of TableFill
        The other tables the file filled in the same transaction (users, products), each its own batch.
    unused_columns : tuple of str
        The file's columns that the mapping took nowhere, in file order.
    non_products_suggested : int
        Item codes of an orders file newly suggested as non-products (postage, fees: see
        :mod:`retention.non_products`), kept out of recommendations until the user decides.
    seconds : float
        Wall time of the import.
    """

    batch_id: int
    table: str
    source_name: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_merged: int = 0
    duplicates_found: int = 0
    duplicates_policy: str = "keep"
    rejects_by_reason: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": [], "rows": []}))
    replaced_batches: tuple[int, ...] = ()
    filled: tuple[TableFill, ...] = ()
    unused_columns: tuple[str, ...] = ()
    non_products_suggested: int = 0
    seconds: float = 0.0

    @property
    def duplicates_dropped(self) -> int:
        return self.duplicates_found if self.duplicates_policy == "drop" else 0


FILE_ROW_ALIAS = "retention_file_row"  # the alias of a file's row in ingest_file_<table>.sql


def _stage_sql(table: str, reader: str, resolved: Mapping[str, str], columns: Sequence[str]) -> tuple[str, dict]:
    """The named stage file of ``table`` reading the file through ``reader``, and the mapping's parameters.

    ``ingest_stage_<table>.sql`` reads ``ingest_file_<table>.sql``, which takes each mapped file column
    out of the row by name: the names are bound parameters (``$source_<column>``, NULL when unmapped),
    never SQL text, so a header such as ``"; DROP TABLE orders; --`` stays a column name.

    Rows are not numbered here: a window function (``row_number() OVER ()``) would make the whole
    scan single-threaded. The stage keeps the scan's order instead, so a row's rowid there is its
    place in the file.
    """
    if FILE_ROW_ALIAS in {column.lower() for column in columns}:
        raise DataError(f"the file has a column named {FILE_ROW_ALIAS!r}; rename it and import again")
    params = {}
    for target in targets(table):
        source = resolved.get(target)
        if source is not None and source not in columns:  # resolve_mapping guarantees it
            raise DataError(f"no column {source!r} in the file")
        params[f"source_{target}"] = source
    parts = {"source": f"ingest_file_{table}", "reader": reader}
    return sql_files.statement(f"ingest_stage_{table}", parts=parts), params


def _fill_stage(con: duckdb.DuckDBPyConnection, statement: str, params: Mapping[str, object]) -> None:
    """Run the statement of :func:`_stage_sql`, binding the parameters it uses (the others are dropped)."""
    con.execute(statement, sql_files.bound(statement, params))


# --- import --------------------------------------------------------------------------------


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the import's SQL macros (``normalize_id``, ``parse_number``, ``parse_ts``) on ``con``.

    They are TEMP macros: visible to ``con`` only, until it closes.
    """
    warehouse.execute(con, "ingest_macros")


def _check_ts_format(con: duckdb.DuckDBPyConnection, ts_format: str | None) -> None:
    if ts_format is None:
        return
    try:
        warehouse.execute(con, "ingest_check_ts_format", {"ts_format": ts_format})
    except duckdb.Error as exc:
        raise DataError(f"the timestamp layout {ts_format!r} is not a strptime layout: {first_line(exc)}") from exc


def previous_batches(con: duckdb.DuckDBPyConnection, table: str, sha256: str) -> pd.DataFrame:
    """Earlier imports of a file with this SHA-256 into ``table``: batch_id, source_name, imported_at, rows_loaded."""
    return warehouse.query(con, "ingest_previous_batches", {"table_name": table, "sha256": sha256})


def _refuse_reimport(
    con: duckdb.DuckDBPyConnection, table: str, sha256: str, source_name: str, replace: bool
) -> tuple[int, ...]:
    """The earlier batches of this file in ``table`` to delete first: all of them when ``replace``, else
    those that loaded no row (an import whose every row was rejected does not block the retry); a
    DataError when one loaded rows and not ``replace``."""
    earlier = previous_batches(con, table, sha256)
    loaded = earlier[earlier["rows_loaded"] > 0]
    if len(loaded) and not replace:
        first = loaded.iloc[0]
        raise MappingError(
            f"{source_name!r} was already imported into {table} (batch {first.batch_id}, "
            f"{first.imported_at:%Y-%m-%d %H:%M}, {first.rows_loaded} rows loaded); choose to replace the earlier "
            "import to delete those rows and import it again",
            cli_hint="--replace",
        )
    return tuple(int(b) for b in earlier["batch_id"])


@contextlib.contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection, preserve: bool) -> Iterator[None]:
    """Run the block with DuckDB's ``preserve_insertion_order`` set to ``preserve``, on this connection only.

    The stage needs it on (its rowids number the file's rows); the load is better off without:
    with it on, DuckDB writes a filtered scan's rows in order and, doing so, on about one core,
    while the loaded rows need no order (queries sort; reject rows carry their row number).
    The setting is changed for this session only (``SET SESSION``: other connections and
    cursors of the database keep theirs) and put back to its previous value afterwards, also
    when the block fails. Around a transaction, put this outside it: a SET cannot run in a
    transaction aborted by a failed statement, and ROLLBACK does not undo one.
    """
    previous = bool(warehouse.execute(con, "ingest_insertion_order").fetchone()[0])
    warehouse.execute(con, "ingest_set_insertion_order", {"preserve": preserve})
    try:
        yield
    finally:
        warehouse.execute(con, "ingest_set_insertion_order", {"preserve": previous})


@warehouse.retrying("the import")
def import_file(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: str | Path,
    *,
    mapping: Mapping[str, str | None] | None = None,
    sep: str | None = None,
    ts_format: str | None = None,
    replace: bool = False,
    source_name: str | None = None,
    duplicates: str = "drop",
    ts_window: TimeWindow | None = None,
) -> ImportResult:
    """Import one CSV, CSV.gz or Parquet file into a canonical table, in one transaction.

    Parameters
    ----------
    con
        A writable warehouse connection (or a cursor of one), not inside a transaction.
    table
        One of ``schema.IMPORTABLE_TABLES``.
    path
        The file. Its format is read from its first bytes.
    mapping
        Target column -> file column (see :func:`targets`). Unmapped canonical columns are taken
        from the file column of the same name (ignoring case) when there is one. For orders, a
        mapped products column (title, category, brand, price, description) fills products and
        a mapped users column (signup_ts, country, channel, email, first_name, phone, sms_consent) fills users,
        in the same transaction (see :func:`_fill`).
    sep
        CSV field separator; detected when None.
    ts_format
        strptime layout of the timestamps (e.g. ``"%m/%d/%Y %H:%M"``); ISO 8601 when None.
        All-digit values are read as Unix epoch seconds either way.
    replace
        Import a file that was already imported into ``table``: the rows of its earlier
        batch(es) are deleted first, in the same transaction.
    source_name
        The name to record for the batch (default: the file's name).
    duplicates
        ``"drop"`` (default) loads one of each set of exact duplicate rows of an appended table
        (every mapped column equal: in an order-lines export, copies of one line, which would
        count its revenue twice); ``"keep"`` loads them all. Counted either way; the batch records
        both. Users and products merge rows of one id anyway.
    ts_window
        The plausible window of every timestamp (:func:`retention.ingest.rules.time_window`: by default
        from 1970-01-01 to a day after now, or the environment's bounds); a row with a timestamp outside
        is rejected (``ts before 1970-01-01``, ``ts after ...``).

    Returns
    -------
    ImportResult

    Raises
    ------
    DataError
        The file is missing, empty or unreadable, a required column is not mapped, the
        ts_format is invalid, or the file was imported before (and loaded rows) and ``replace`` is False.
        Nothing is written then.
    """
    started = time.perf_counter()
    canonical(table)
    if duplicates not in DUPLICATE_POLICIES:
        raise DataError(f"duplicates must be one of {', '.join(DUPLICATE_POLICIES)}, not {duplicates!r}")
    path = Path(path)
    source_name = source_name or path.name
    reader, reader_params, first_row = reader_for(path, sep)
    columns = file_columns(path, sep, con=con)
    resolved = resolve_mapping(table, columns, mapping)
    _check_ts_format(con, ts_format)
    sha256 = file_sha256(path)
    stage_sql, source_params = _stage_sql(table, reader, resolved, columns)
    window = ts_window or time_window()
    stage_params = {**reader_params, **source_params, "ts_format": ts_format, **window.params()}
    if table == schema.ORDERS:
        defaults = schema.COLUMN_DEFAULTS[schema.ORDERS]
        stage_params.update({f"default_{name}": value for name, value in defaults.items()})
    tracked = table in ROLLUP_SOURCES
    appended = table in schema.APPENDED_TABLES
    lines = "ingest_lines_distinct" if duplicates == "drop" else "ingest_lines_all"
    fills = {
        other: tuple(column for column in names if column in resolved)
        for other, names in schema.ALSO_FILLS.get(table, {}).items()
    }
    fills = {other: names for other, names in fills.items() if names}

    _refuse_reimport(con, table, sha256, source_name, replace)  # early, before the file is read
    install_macros(con)
    warehouse.execute(con, "ingest_drop_stage")
    try:
        # The stage is a TEMP table of this connection, made outside the transaction: it changes
        # nothing in the warehouse, and rows appended outside a transaction get rowids 0, 1, ...
        # in the scan's order when insertion order is preserved, which numbers them.
        with _insertion_order(con, True), reading(path):
            _fill_stage(con, stage_sql, stage_params)
        counts = warehouse.query(con, "ingest_counts")
        rows_read = int(counts["rows"].sum())
        if rows_read == 0:
            raise DataError(f"{source_name!r} has a header but no data rows")
        # Dropping, the load's DISTINCT counts them (an appended table merges nothing else); keeping, they are counted apart.
        found = (
            int(warehouse.execute(con, "ingest_duplicates").fetchone()[0]) if appended and duplicates == "keep" else 0
        )
        with _insertion_order(con, False), warehouse.transaction(con):
            # Checked again inside the transaction, so that two imports of one file cannot both pass.
            replaced = _refuse_reimport(con, table, sha256, source_name, replace)
            noting = tracked and rollups.track_changes(con)
            if replaced:
                if noting:
                    warehouse.execute(con, "ingest_touched_rows", {"batch_ids": list(replaced)}, names={"table": table})
                warehouse.execute(con, "ingest_delete_rows", {"batch_ids": list(replaced)}, names={"table": table})
                warehouse.execute(con, "ingest_forget_rejects", {"batch_ids": list(replaced)})
                warehouse.execute(con, "ingest_forget_batches", {"batch_ids": list(replaced)})
            batch_id = warehouse.new_batch_id(con)
            # A keyed table writes only the columns the file maps (the others keep what they held).
            mapped = {f"mapped_{column}": column in resolved for column in schema.CANONICAL_COLUMNS[table]}
            loaded = warehouse.execute(
                con,
                f"ingest_load_{table}",
                {"batch_id": batch_id, **mapped},
                parts={"lines": lines} if appended else None,
            ).fetchone()[0]
            warehouse.execute(con, "ingest_rejects", {"batch_id": batch_id, "first_row": first_row})
            rejects = counts[counts["reason"].notna()].reset_index(drop=True)
            rejects["rows"] = rejects["rows"].astype("int64")
            rows_rejected = int(rejects["rows"].sum())
            valid = rows_read - rows_rejected
            if appended and duplicates == "drop":
                found = valid - int(loaded)
            warehouse.record_batch(
                con,
                batch_id=batch_id,
                table=table,
                source_name=source_name,
                sha256=sha256,
                rows_read=rows_read,
                rows_loaded=int(loaded),
                rows_rejected=rows_rejected,
                duplicates_found=found,
                duplicates_policy=duplicates if appended else "keep",
            )
            filled = tuple(
                _fill(con, other, names, source_name=source_name, sha256=sha256, lines=valid, resolved=resolved)
                for other, names in fills.items()
            )
            suggested = non_products.suggest(con, batch_id) if table == schema.ORDERS else 0
            if noting:
                warehouse.execute(con, "ingest_touched_stage")
            if tracked:
                rollups.refresh_changed(con)
    finally:
        warehouse.execute(con, "ingest_drop_stage")
    policy = duplicates if appended else "keep"
    return ImportResult(
        batch_id=int(batch_id),
        table=table,
        source_name=source_name,
        rows_read=rows_read,
        rows_loaded=int(loaded),
        rows_rejected=rows_rejected,
        rows_merged=valid - int(loaded) - (found if policy == "drop" else 0),
        duplicates_found=found,
        duplicates_policy=policy,
        rejects_by_reason=rejects,
        replaced_batches=replaced,
        filled=filled,
        unused_columns=tuple(unused_columns(columns, resolved)),
        non_products_suggested=suggested,
        seconds=time.perf_counter() - started,
    )


def _fill(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    *,
    source_name: str,
    sha256: str,
    lines: int,
    resolved: Mapping[str, str],
) -> TableFill:
    """Upsert ``table`` (users or products) from the loadable lines of the stage, as its own batch.

    One row per id, each column from the id's newest line that has a value (products: the price
    is the mapped price, else the unit price of the item's newest purchase line); a column the
    file does not carry, or carries empty for an id, keeps what the table held
    (``ingest_fill_<table>.sql``). The batch logs the file's name and SHA-256, ``lines`` (the
    loadable lines) as rows read and the ids written as rows loaded; the import's rejects stay
    with the import's own batch. Earlier batches of the same file into ``table`` that no row
    carries any more (a replaced import whose rows this one took over) leave the log.
    """
    price_from_unit_price = table == schema.PRODUCTS and "price" not in resolved and "unit_price" in resolved
    if price_from_unit_price:
        columns = (*columns, "price")
    before = warehouse.row_count(con, table)
    batch_id = warehouse.new_batch_id(con)
    written = warehouse.execute(
        con, f"ingest_fill_{table}", {"batch_id": batch_id, "price_from_unit_price": price_from_unit_price}
    ).fetchone()[0]
    warehouse.record_batch(
        con,
        batch_id=batch_id,
        table=table,
        source_name=source_name,
        sha256=sha256,
        rows_read=lines,
        rows_loaded=int(written),
        rows_rejected=0,
    )
    warehouse.execute(
        con,
        "ingest_forget_taken_over",
        {"table_name": table, "sha256": sha256, "batch_id": batch_id},
        names={"table": table},
    )
    return TableFill(
        table=table,
        batch_id=int(batch_id),
        columns=columns,
        rows_loaded=int(written),
        rows_new=warehouse.row_count(con, table) - before,
    )


def recent_batches(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest import batches, newest first.

    Returns columns batch_id, table_name, source_name, rows_read, rows_loaded, rows_rejected, imported_at.
    """
    return warehouse.query(con, "ingest_recent_batches", {"limit": int(limit)})


def rejects(
    con: duckdb.DuckDBPyConnection, batch_id: int, limit: int | None = None, *, include_email: bool = True
) -> pd.DataFrame:
    """The rejected rows of one batch in file order: row_number, reason, raw (the row as JSON).

    With ``include_email=False`` (a download the user did not ask e-mails for) every e-mail address in
    ``raw`` reads ``(email hidden)``.
    """
    params = {"batch_id": int(batch_id), "limit": limit, "include_email": include_email}
    return warehouse.query(con, "ingest_batch_rejects", params)
