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
   ``unparseable ts``, ``non-numeric quantity``, ...) and the row itself as JSON;
3. the other rows are appended (orders, events, ratings) or upserted (users,
   products: one row per id, the newest import wins), the batch is logged in
   ``import_batches`` and, for orders, events and users, the activity rollup is brought
   up to date for the users whose rows were added or replaced
   (:func:`retention.rollups.refresh_changed`).

Any error rolls the whole import back. A file whose bytes were already imported into
the same table is refused unless ``replace=True``, which first deletes what the
earlier import(s) of that file loaded.

Row numbers are 1-based and count the header: in a CSV the first data row is row 2,
as in a spreadsheet (and the file's line number unless a quoted field spans lines).
In a Parquet file the first row is row 1.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from retention import rollups, schema, warehouse
from retention.errors import DataError

SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"

# Tables whose rows the activity rollup is computed from (see retention.rollups).
ROLLUP_SOURCES = (schema.ORDERS, schema.EVENTS, schema.USERS)

# Other names under which a canonical column is commonly found, compared after lower-casing
# and dropping everything but letters and digits ("Customer ID" -> "customerid").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": (
        "customerid",
        "customer",
        "custid",
        "userid",
        "user",
        "clientid",
        "client",
        "memberid",
        "accountid",
        "visitorid",
        "buyerid",
    ),
    "order_id": (
        "invoiceno",
        "invoice",
        "invoiceid",
        "invoicenumber",
        "orderid",
        "orderno",
        "ordernumber",
        "order",
        "transactionid",
        "transaction",
    ),
    "item_id": (
        "stockcode",
        "itemid",
        "item",
        "productid",
        "product",
        "sku",
        "productcode",
        "itemcode",
        "articleid",
        "movieid",
        "asin",
    ),
    "ts": (
        "ts",
        "timestamp",
        "invoicedate",
        "orderdate",
        "eventtime",
        "datetime",
        "date",
        "time",
        "createdat",
        "eventdate",
    ),
    "quantity": ("quantity", "qty", "units", "unitssold"),
    "unit_price": ("unitprice", "price", "unitcost", "priceeach"),
    "discount": ("discount", "discountrate", "discountpct"),
    "title": ("title", "description", "name", "productname", "itemname"),
    "description": ("description", "details", "longdescription"),
    "price": ("price", "unitprice", "listprice"),
    "category": ("category", "categoryname", "department", "genre", "genres"),
    "brand": ("brand", "manufacturer", "vendor"),
    "signup_ts": ("signupts", "signupdate", "signedup", "createdat", "registered", "registrationdate", "firstseen"),
    "country": ("country", "countrycode", "region"),
    "channel": ("channel", "acquisitionchannel", "source", "utmsource"),
    "email": ("email", "emailaddress", "mail"),
    "event_type": ("eventtype", "event", "eventname", "type", "action"),
    "session_id": ("sessionid", "session"),
    "rating": ("rating", "score", "stars", "overall"),
}


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
        Valid rows folded into another row of the same id (users and products only);
        ``rows_read == rows_loaded + rows_rejected + rows_merged``.
    rejects_by_reason : DataFrame
        Columns ``reason`` (str) and ``rows`` (int), most frequent first; empty when nothing was rejected.
    replaced_batches : tuple of int
        Earlier batches of the same file whose rows were deleted first (``replace=True``).
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
    rejects_by_reason: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"reason": [], "rows": []}))
    replaced_batches: tuple[int, ...] = ()
    seconds: float = 0.0


# --- files ---------------------------------------------------------------------------------


def separator(text: str | None) -> str | None:
    """A CSV separator as typed by a user: ``tab`` or ``\\t`` for a tab, a name such as
    ``semicolon``, or the character itself; None or blank means "detect it"."""
    if text is None or text == "":
        return None
    return SEPARATOR_NAMES.get(text.strip().lower(), text)


def file_format(path: str | Path) -> str:
    """``"parquet"``, ``"csv"`` or ``"csv.gz"``, from the file's first bytes (the name is not trusted)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file {str(path)!r} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head:
        raise DataError(f"file {path.name!r} is empty")
    if head == PARQUET_MAGIC:
        return "parquet"
    if head[:2] == GZIP_MAGIC:
        return "csv.gz"
    return "csv"


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of the file's bytes, read in chunks of ``chunk_size`` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _reader(path: str | Path, sep: str | None) -> tuple[str, dict[str, object], int]:
    """How to read ``path``: the named reader part (``ingest_read_*.sql``), its parameters, and the number
    of the file's first data row (the header of a CSV is row 1, so its first data row is row 2)."""
    fmt = file_format(path)
    params: dict[str, object] = {"path": str(path)}
    if fmt == "parquet":
        return "ingest_read_parquet", params, 1
    params["compression"] = "gzip" if fmt == "csv.gz" else "none"
    if sep:
        params["sep"] = sep
        return "ingest_read_csv_sep", params, 2
    return "ingest_read_csv", params, 2


@contextlib.contextmanager
def _reading(path: str | Path) -> Iterator[None]:
    """Run the block that reads ``path``, turning DuckDB's complaints about the file into a DataError."""
    try:
        yield
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        hint = ""
        if "sniffing" in str(exc) or "Expected Number of Columns" in str(exc):
            hint = "; check that every row has as many fields as the header and that the separator is right (--sep)"
        raise DataError(f"cannot read {Path(path).name!r}: {_first_line(exc)}{hint}") from exc


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def file_columns(
    path: str | Path, sep: str | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> list[str]:
    """The file's column names, in file order (for CSV, its header row).

    ``con`` is any DuckDB connection to read through; without one, a scratch in-memory DuckDB is used.
    """
    reader, params, _ = _reader(path, sep)
    own = con is None
    con = con or warehouse.scratch()
    try:
        with _reading(path):
            rows = warehouse.execute(con, "ingest_file_columns", params, parts={"reader": reader}).fetchall()
    finally:
        if own:
            con.close()
    names = [row[0] for row in rows]
    if sep is None and len(names) == 1 and any(mark in names[0] for mark in ",;\t|"):
        raise DataError(
            f"cannot split the rows of {Path(path).name!r} into columns (header {names[0]!r}): some rows may have "
            "more or fewer fields than the header; fix them or give the separator (--sep)"
        )
    return names


def preview(path: str | Path, sep: str | None = None, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` data rows of the file, CSV values as text (nothing is typed or checked)."""
    reader, params, _ = _reader(path, sep)
    con = warehouse.scratch()
    try:
        with _reading(path):
            return warehouse.query(con, "ingest_preview", {**params, "rows": int(rows)}, parts={"reader": reader})
    finally:
        con.close()


# --- mapping -------------------------------------------------------------------------------


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_mapping(table: str, columns: Sequence[str]) -> dict[str, str | None]:
    """Guess which file column holds each canonical column of ``table``, by name.

    A canonical column is matched, in this order, by a column of the same name ignoring
    case and punctuation (``User ID`` -> ``user_id``), by a known synonym in
    :data:`SYNONYMS` (``CustomerID`` -> ``user_id``, ``InvoiceNo`` -> ``order_id``,
    ``StockCode`` -> ``item_id``, ``InvoiceDate`` -> ``ts``, ``UnitPrice`` ->
    ``unit_price``), then by close spelling. A file column is used for one canonical column
    at most. For products, a file with a description column but no title column gives the
    description as the title (``Description`` -> ``title``).

    Returns
    -------
    dict
        Every canonical column of ``table`` (in table order) -> file column name, or None.
    """
    canonical = list(_canonical(table))
    squashed = {column: _squash(column) for column in columns}
    guess: dict[str, str | None] = dict.fromkeys(canonical)
    used: set[str] = set()

    def take(target: str, source: str) -> None:
        guess[target] = source
        used.add(source)

    for target in canonical:  # exact names first, so a real "description" column is not taken as a title
        for column in columns:
            if column not in used and squashed[column] == _squash(target):
                take(target, column)
                break
    for target in canonical:
        if guess[target] is not None:
            continue
        for synonym in SYNONYMS.get(target, ()):
            match = next((c for c in columns if c not in used and squashed[c] == synonym), None)
            if match is not None:
                take(target, match)
                break
    for target in canonical:
        if guess[target] is not None:
            continue
        free = {squashed[c]: c for c in columns if c not in used and squashed[c]}
        names = (_squash(target), *SYNONYMS.get(target, ()))
        for name in names:
            close = difflib.get_close_matches(name, list(free), n=1, cutoff=0.85)
            if close:
                take(target, free[close[0]])
                break
    if "title" in guess and guess["title"] is None and guess.get("description") is not None:
        # A product is shown by its title: a file with only a description gives it as the title.
        guess["title"], guess["description"] = guess["description"], None
    return guess


def _canonical(table: str) -> dict[str, str]:
    if table not in schema.CANONICAL_COLUMNS:
        raise DataError(f"cannot import into {table!r}: choose one of {', '.join(schema.IMPORTABLE_TABLES)}")
    return schema.CANONICAL_COLUMNS[table]


def resolve_mapping(
    table: str, columns: Sequence[str], mapping: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """Canonical column -> file column for one import; canonical columns without a source are left out.

    ``mapping`` wins; a canonical column it does not mention is taken from the file column
    of the same name, ignoring case, unless ``mapping`` already uses that file column. A
    mapping value of None or ``""`` leaves the column unmapped.

    Raises
    ------
    DataError
        ``mapping`` names a column the table does not have or the file does not have, or a
        required column of the table (``schema.REQUIRED_COLUMNS``) has no source.
    """
    canonical = _canonical(table)
    mapping = dict(mapping or {})
    listing = ", ".join(repr(c) for c in columns)
    resolved: dict[str, str] = {}
    for target, source in mapping.items():
        if target not in canonical:
            raise DataError(f"{table} has no column {target!r}; its columns are {', '.join(canonical)}")
        if source in (None, ""):
            continue
        if source not in columns:
            raise DataError(f"the mapping {target}={source} names no column of the file; its columns are {listing}")
        resolved[target] = source
    # A file column that the mapping already uses is not taken a second time by name: with
    # title=Description, the file's "Description" does not also become the description.
    by_lower: dict[str, str] = {}
    for column in columns:
        if column not in resolved.values():
            by_lower.setdefault(column.strip().lower(), column)
    for target in canonical:
        if target not in mapping and target in by_lower:
            resolved[target] = by_lower[target]
    for target in schema.REQUIRED_COLUMNS[table]:
        if target not in resolved:
            raise DataError(
                f"{table} needs a column {target!r} and the file has none: map one with "
                f"--map {target}=COLUMN (or pick it in the Data page); the file's columns are {listing}"
            )
    return {target: resolved[target] for target in canonical if target in resolved}


def _quote(identifier: str) -> str:
    """``identifier`` as a DuckDB quoted identifier: in double quotes, a double quote in it doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def _stage_statement(table: str, reader: str, resolved: Mapping[str, str], columns: Sequence[str]) -> str:
    """The statement that fills the stage: ``ingest_stage_<table>.sql`` reading the file through ``reader``.

    Its ``{source}`` is the select that renames the file's mapped columns to canonical ones, as
    text. This is the one statement that is not a named file alone, because it names the file's
    own columns: they are known only once the file's header is read, and they are any text a
    user wrote ("Customer ID", "Invoice Date"), so they cannot be runner ``names=`` slots, which
    take only the warehouse's own identifiers. Every file column name put here is one that
    :func:`resolve_mapping` found in the file's header, and it is quoted (:func:`_quote`); the
    canonical names come from the schema; every value (the path, the separator, the timestamp
    layout, the defaults) stays a bound parameter of the reader part and the stage file.

    Rows are not numbered here: a window function (``row_number() OVER ()``) would make the whole
    scan single-threaded. The stage keeps the scan's order instead, so a row's rowid there is its
    place in the file.
    """
    alias = "ingest_file"
    while alias in {column.lower() for column in columns}:
        alias += "_"
    select = []
    for target in _canonical(table):
        source = resolved.get(target)
        if source is None:
            select.append(f"CAST(NULL AS VARCHAR) AS {target}")
        else:
            if source not in columns:  # resolve_mapping guarantees it; never quote an unchecked name
                raise DataError(f"no column {source!r} in the file")
            select.append(f"CAST({alias}.{_quote(source)} AS VARCHAR) AS {target}")
    select.append(f"{alias} AS source_row")
    file_rows = f"SELECT {', '.join(select)} FROM\n{warehouse.statement(reader)}\nAS {alias}"
    slot = "FROM ({source})"  # once in every ingest_stage_<table>.sql
    return warehouse.statement(f"ingest_stage_{table}").replace(slot, f"FROM ({file_rows})")


def _fill_stage(con: duckdb.DuckDBPyConnection, statement: str, params: Mapping[str, object]) -> None:
    """Run the statement of :func:`_stage_statement`, binding the parameters it uses (the others are dropped)."""
    con.execute(statement, warehouse.bound(statement, params))


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
        raise DataError(f"--ts-format {ts_format!r} is not a strptime layout: {_first_line(exc)}") from exc


def previous_batches(con: duckdb.DuckDBPyConnection, table: str, sha256: str) -> pd.DataFrame:
    """Earlier imports of a file with this SHA-256 into ``table``: batch_id, source_name, imported_at, rows_loaded."""
    return warehouse.query(con, "ingest_previous_batches", {"table_name": table, "sha256": sha256})


def _refuse_reimport(
    con: duckdb.DuckDBPyConnection, table: str, sha256: str, source_name: str, replace: bool
) -> tuple[int, ...]:
    """The earlier batches of this file in ``table`` (to delete when ``replace``); a DataError if not ``replace``."""
    earlier = previous_batches(con, table, sha256)
    if len(earlier) and not replace:
        first = earlier.iloc[0]
        raise DataError(
            f"{source_name!r} was already imported into {table} (batch {first.batch_id}, "
            f"{first.imported_at:%Y-%m-%d %H:%M}, {first.rows_loaded} rows loaded); use --replace "
            "(or 'Replace the earlier import' in the Data page) to delete those rows and import it again"
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
        Canonical column -> file column. Unmapped canonical columns are taken from the file
        column of the same name (ignoring case) when there is one.
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

    Returns
    -------
    ImportResult

    Raises
    ------
    DataError
        The file is missing, empty or unreadable, a required column is not mapped, the
        ts_format is invalid, or the file was imported before and ``replace`` is False.
        Nothing is written then.
    """
    started = time.perf_counter()
    _canonical(table)
    path = Path(path)
    source_name = source_name or path.name
    reader, reader_params, first_row = _reader(path, sep)
    columns = file_columns(path, sep, con=con)
    resolved = resolve_mapping(table, columns, mapping)
    _check_ts_format(con, ts_format)
    sha256 = file_sha256(path)
    stage_sql = _stage_statement(table, reader, resolved, columns)
    stage_params = {**reader_params, "ts_format": ts_format}
    if table == schema.ORDERS:
        defaults = schema.COLUMN_DEFAULTS[schema.ORDERS]
        stage_params.update({f"default_{name}": value for name, value in defaults.items()})
    tracked = table in ROLLUP_SOURCES

    _refuse_reimport(con, table, sha256, source_name, replace)  # early, before the file is read
    install_macros(con)
    warehouse.execute(con, "ingest_drop_stage")
    try:
        # The stage is a TEMP table of this connection, made outside the transaction: it changes
        # nothing in the warehouse, and rows appended outside a transaction get rowids 0, 1, ...
        # in the scan's order when insertion order is preserved, which numbers them.
        with _insertion_order(con, True), _reading(path):
            _fill_stage(con, stage_sql, stage_params)
        counts = warehouse.query(con, "ingest_counts")
        rows_read = int(counts["rows"].sum())
        if rows_read == 0:
            raise DataError(f"{source_name!r} has a header but no data rows")
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
            loaded = warehouse.execute(con, f"ingest_load_{table}", {"batch_id": batch_id}).fetchone()[0]
            warehouse.execute(con, "ingest_rejects", {"batch_id": batch_id, "first_row": first_row})
            rejects = counts[counts["reason"].notna()].reset_index(drop=True)
            rejects["rows"] = rejects["rows"].astype("int64")
            rows_rejected = int(rejects["rows"].sum())
            valid = rows_read - rows_rejected
            warehouse.record_batch(
                con,
                batch_id=batch_id,
                table=table,
                source_name=source_name,
                sha256=sha256,
                rows_read=rows_read,
                rows_loaded=int(loaded),
                rows_rejected=rows_rejected,
            )
            if noting:
                warehouse.execute(con, "ingest_touched_stage")
            if tracked:
                rollups.refresh_changed(con)
    finally:
        warehouse.execute(con, "ingest_drop_stage")
    return ImportResult(
        batch_id=int(batch_id),
        table=table,
        source_name=source_name,
        rows_read=rows_read,
        rows_loaded=int(loaded),
        rows_rejected=rows_rejected,
        rows_merged=valid - int(loaded),
        rejects_by_reason=rejects,
        replaced_batches=replaced,
        seconds=time.perf_counter() - started,
    )


def recent_batches(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest import batches, newest first.

    Returns columns batch_id, table_name, source_name, rows_read, rows_loaded, rows_rejected, imported_at.
    """
    return warehouse.query(con, "ingest_recent_batches", {"limit": int(limit)})


def rejects(con: duckdb.DuckDBPyConnection, batch_id: int, limit: int | None = None) -> pd.DataFrame:
    """The rejected rows of one batch in file order: row_number, reason, raw (the row as JSON)."""
    return warehouse.query(con, "ingest_batch_rejects", {"batch_id": int(batch_id), "limit": limit})
