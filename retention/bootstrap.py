"""The sample warehouse: canonical frames loaded in one transaction, and the default warehouse built on first use.

The app and the CLI open ``data/warehouse.duckdb`` (or ``$RETENTION_DB``). Only that default path
may hold the sample shop without being asked: when it does not exist yet,
:func:`ensure_default_warehouse` builds it from the committed Parquet sample in ``sample_data/``
(written by :mod:`retention.sample` for :data:`retention.sample.SAMPLE_PARAMS`). Any other new path
becomes an empty warehouse (schema only), so that a shop's own imports never mix with 5,000
synthetic customers unnoticed. This module only moves frames: it reads and writes Parquet and loads
canonical frames into a warehouse; it knows nothing of how the synthetic shop is simulated.

A loaded frame is one import batch, exactly as a file import is (``import_batches`` row with the
frame's SHA-256, :func:`table_sha256`), so the Data page and the CLI report the sample like any other data. Its source
name starts with :data:`SAMPLE_SOURCE_PREFIX`: that is how :mod:`retention.sample_shop` tells the
sample's rows from a user's own imports, to flag and remove them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retention import rollups, sample_shop, schema, warehouse
from retention.errors import DataError

SAMPLE_DIR = Path(__file__).parent.parent / "sample_data"
FRAME_VIEW = "sample_frame"  # the name sample_insert_frame.sql reads a registered frame under
SAMPLE_SOURCE_PREFIX = sample_shop.SAMPLE_SOURCE_PREFIX  # starts the source name of every batch load_frames records
# DuckDB's memory during load_frames (while the frames themselves are still held): beyond it, the rollup's
# aggregates and temp tables spill to disk. A million customers need more; 200,000 fit below it.
LOAD_MEMORY_LIMIT_BYTES = 4 * 2**30
_SIZE_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_SIZE_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def sample_source(source: str) -> str:
    """The source name :func:`load_frames` records for ``source``: marked as the sample shop's."""
    return source if source.startswith(SAMPLE_SOURCE_PREFIX) else SAMPLE_SOURCE_PREFIX + source


def is_default_path(db_path: str | os.PathLike) -> bool:
    """Whether ``db_path`` is the default warehouse file (:data:`retention.warehouse.DEFAULT_DB`, relative to
    the working directory), the only one the sample shop is built into without being asked."""
    return Path(db_path).resolve() == Path(warehouse.DEFAULT_DB).resolve()


def canonical_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the canonical columns of ``table``, in schema order.

    Strings become ``str``, timestamps ``datetime64[us]``, numbers ``float64``, yes/no columns ``boolean``. A
    missing optional column is filled with its default from ``schema.COLUMN_DEFAULTS``, else left empty. The index
    is reset.
    """
    out = {}
    for column, sql_type in schema.CANONICAL_COLUMNS[table].items():
        if column in frame.columns:
            values = frame[column]
        else:
            values = pd.Series(schema.COLUMN_DEFAULTS.get(table, {}).get(column), index=frame.index, dtype=object)
        if sql_type == "VARCHAR":
            out[column] = pd.Series(values, dtype="str").reset_index(drop=True)
        elif sql_type == "TIMESTAMP":
            out[column] = pd.Series(values).astype("datetime64[us]").reset_index(drop=True)
        elif sql_type == "BOOLEAN":
            out[column] = pd.Series(values).astype("boolean").reset_index(drop=True)
        else:
            out[column] = pd.Series(values, dtype="float64").reset_index(drop=True)
    return pd.DataFrame(out)


def write_parquet(frames: dict[str, pd.DataFrame], folder: str | os.PathLike) -> dict[str, Path]:
    """Write each frame to ``folder/<table>.parquet`` (zstd); returns table -> file written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, frame in frames.items():
        path = folder / f"{table}.parquet"
        frame.to_parquet(path, index=False, compression="zstd", compression_level=19)
        written[table] = path
    return written


def read_parquet(folder: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read ``folder/<table>.parquet`` for every canonical table, with the canonical columns and dtypes.

    Raises
    ------
    DataError
        A table's file is missing or lacks a canonical column.
    """
    folder = Path(folder)
    frames = {}
    for table, columns in schema.CANONICAL_COLUMNS.items():
        path = folder / f"{table}.parquet"
        if not path.is_file():
            raise DataError(f"sample file {str(path)!r} does not exist")
        frame = pd.read_parquet(path)
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise DataError(f"{str(path)!r} lacks the column(s) {', '.join(missing)}")
        frames[table] = canonical_frame(table, frame)
    return frames


def frame_sha256(frame: pd.DataFrame) -> str:
    """A SHA-256 of a frame's column names and values (row order matters, the index does not), from pandas' row
    hashes: the identity of the committed sample's tables (``tests/test_sample.py`` pins it). Loading records the
    faster :func:`table_sha256` instead."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table, its string columns shared rather than copied (no pandas metadata, no index)."""
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def table_sha256(table: pa.Table) -> str:
    """A SHA-256 of an Arrow table's column names and values, read from its buffers (row order and
    values matter; chunking and buffer offsets do not).

    The digest is fed the column names joined by commas, then each column in turn: a string column
    as the UTF-8 byte length of every value (little-endian int64, -1 for a null) followed by all the
    values' bytes; a yes/no column as int8 (1, 0, -1 for a null); any other column as its values converted to
    numpy (float64 with NaN for a null, timestamps as int64 counts with NaT for a null), their bytes in machine
    order.
    This is the checksum :func:`load_frames` records for a loaded frame; it never reads a Python object per value.
    """
    digest = hashlib.sha256(",".join(table.column_names).encode())
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            chunks = [_large_strings(chunk) for chunk in column.chunks]
            for lengths, _ in chunks:
                digest.update(lengths.tobytes())
            for _, data in chunks:
                digest.update(data)
        elif pa.types.is_boolean(column.type):
            digest.update(pc.fill_null(pc.cast(column, pa.int8()), -1).to_numpy())
        else:
            values = column.to_numpy()
            digest.update(values.view(np.int64) if values.dtype.kind == "M" else values)
    return digest.hexdigest()


def _large_strings(chunk: pa.Array) -> tuple[np.ndarray, memoryview]:
    """The byte length of each string of ``chunk`` (-1 for a null) and the bytes of its values, in order."""
    nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else None
    if nulls is not None:
        chunk = pc.fill_null(chunk, "")
    chunk = chunk.cast(pa.large_string())
    _, offset_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
    lengths = np.diff(offsets)
    if nulls is not None:
        lengths[nulls] = -1
    data = memoryview(data_buffer)[offsets[0] : offsets[-1]] if len(chunk) else memoryview(b"")
    return lengths, data


def load_frames(
    con: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]],
    source: str,
    *,
    release: bool = False,
) -> dict[str, int]:
    """Insert the canonical frames into an empty warehouse in one transaction.

    ``frames`` maps canonical table names to frames; tables may be left out, and so may optional
    columns (they get their default or NULL). Each frame becomes one import batch
    (``import_batches`` row with :func:`table_sha256` of the frame and ``sample_source(source)`` as source name,
    which marks it as sample data); its rows carry that ``batch_id``. The rollups are refreshed inside the
    same transaction, so either everything is loaded or nothing is. DuckDB's memory limit is lowered to
    :data:`LOAD_MEMORY_LIMIT_BYTES` meanwhile (the frames are held in memory too) and restored afterwards.
    With ``release`` each frame is removed from ``frames`` once its rows are in (after a load the dict is
    empty), so that a large sample's memory goes back before the next table and the rollups.
    ``frames`` may also be an iterable of ``(table, frame)`` pairs, such as :func:`retention.sample.tables`:
    each frame is checked, inserted and dropped before the next pair is asked for, so only one table
    is held at a time (each table at most once; the batches are numbered in the order the pairs come).

    Returns
    -------
    dict
        Table name -> rows inserted, for each table loaded.

    Raises
    ------
    DataError
        The warehouse already holds orders or any other canonical rows (the sample loads only
        into an empty warehouse), or a frame is not a canonical table or lacks a required column.
    """
    if isinstance(frames, Mapping):
        for table, frame in frames.items():
            _check_frame(table, frame)
    previous_limit = warehouse.execute(con, "sample_memory_limit").fetchone()[0]
    lowered = _size_bytes(previous_limit) > LOAD_MEMORY_LIMIT_BYTES
    if lowered:
        warehouse.execute(con, "sample_set_memory_limit", {"memory_limit": f"{LOAD_MEMORY_LIMIT_BYTES // 2**20}MiB"})
    try:
        with warehouse.transaction(con):
            filled = {table: warehouse.row_count(con, table) for table in schema.CANONICAL_COLUMNS}
            filled = {table: rows for table, rows in filled.items() if rows}
            if filled:
                held = ", ".join(f"{rows} {table}" for table, rows in filled.items())
                raise DataError(
                    f"the warehouse already holds {held}; sample data loads only into an empty "
                    "warehouse (choose a new --db file)"
                )
            loaded: dict[str, int] = {}
            for table, frame in _pairs(frames, release):
                _check_frame(table, frame)
                if table in loaded:
                    raise DataError(f"frame {table!r} was given twice")
                data = arrow_table(canonical_frame(table, frame))
                del frame
                loaded[table] = len(data)
                batch_id = warehouse.new_batch_id(con)
                warehouse.record_batch(
                    con,
                    batch_id=batch_id,
                    table=table,
                    source_name=sample_source(source),
                    sha256=table_sha256(data),
                    rows_read=len(data),
                    rows_loaded=len(data),
                    rows_rejected=0,
                )
                con.register(FRAME_VIEW, data)
                warehouse.execute(con, "sample_insert_frame", {"batch_id": batch_id}, names={"table": table})
                con.unregister(FRAME_VIEW)
                del data  # shares the frame's buffers: with release, nothing of this table is left outside DuckDB
                pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed memory unless asked
            rollups.refresh(con)
        return loaded
    finally:
        # After the commit or the rollback: inside an aborted transaction this would raise.
        with contextlib.suppress(duckdb.Error):
            con.unregister(FRAME_VIEW)
        if lowered:
            warehouse.execute(con, "sample_set_memory_limit", {"memory_limit": previous_limit})


def _check_frame(table: str, frame: pd.DataFrame) -> None:
    """Raise DataError unless ``table`` is a canonical table and ``frame`` has its required columns."""
    if table not in schema.CANONICAL_COLUMNS:
        raise DataError(f"{table!r} is not a canonical table")
    missing = [column for column in schema.REQUIRED_COLUMNS[table] if column not in frame.columns]
    if missing:
        raise DataError(f"frame {table!r} lacks the required column(s) {', '.join(missing)}")


def _pairs(
    frames: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]], release: bool
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The ``(table, frame)`` pairs to load: a mapping's in schema order (popped with ``release``), else as given."""
    if not isinstance(frames, Mapping):
        yield from frames
        return
    for table in [table for table in schema.CANONICAL_COLUMNS if table in frames]:
        yield table, frames.pop(table) if release else frames[table]


def _size_bytes(size: str) -> float:
    """Bytes of a DuckDB size setting such as ``'18.8 GiB'`` or ``'4GB'`` (infinite when it is not a size)."""
    number = size.strip().rstrip("BbIiKkMmGgTt ")
    unit = size.strip()[len(number) :].strip().upper() or "B"
    try:
        return float(number) * _SIZE_UNITS[unit]
    except (KeyError, ValueError):
        return float("inf")


def build_warehouse(db_path: str | os.PathLike, folder: str | os.PathLike = SAMPLE_DIR) -> Path:
    """Create the warehouse file ``db_path`` from the parquet sample in ``folder``.

    The file is built under a temporary name and linked into place when complete, so a
    half-built warehouse is never seen and a file built meanwhile by someone else is never
    overwritten.

    Raises
    ------
    DataError
        ``db_path`` already exists (or appeared while building), or the sample files are missing.
    """
    path = Path(db_path)
    if path.exists():
        raise DataError(f"warehouse file {str(path)!r} already exists; the sample builds only a new file")
    frames = read_parquet(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.building-{os.getpid()}-{threading.get_ident()}")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = warehouse.connect(partial)
        try:
            load_frames(con, frames, source=f"parquet sample {Path(folder).name}/")
        finally:
            con.close()
        try:
            os.link(partial, path)  # fails if the file exists, unlike a rename
        except FileExistsError:
            raise DataError(f"warehouse file {str(path)!r} appeared while the sample was being built") from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise DataError(f"warehouse file {str(path)!r} appeared while the sample was being built") from None
            os.replace(partial, path)
    finally:
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return path


def ensure_default_warehouse(db_path: str | os.PathLike | None = None) -> Path:
    """The warehouse path (see :func:`retention.warehouse.resolve_db_path`); when it is the default path
    (:func:`is_default_path`) and the file does not exist yet, it is built from ``sample_data/`` first.

    Any other path is left as it is: :func:`retention.warehouse.connect` makes a new file an empty warehouse.
    """
    path = warehouse.resolve_db_path(db_path)
    if is_default_path(path) and not path.exists():
        try:
            build_warehouse(path)
        except DataError:
            if not path.exists():
                raise
            # Another process or thread built it first.
    return path


def create_empty(db_path: str | os.PathLike | None = None) -> bool:
    """Make ``db_path`` an empty warehouse (schema only), whatever the path.

    Returns True when the file was created, False when it already existed and holds no rows.

    Raises
    ------
    DataError
        The file exists and holds rows in a canonical table: it is never emptied here.
    """
    path = warehouse.resolve_db_path(db_path)
    existed = path.exists()
    con = warehouse.connect(path)
    try:
        filled = {table: warehouse.row_count(con, table) for table in schema.CANONICAL_COLUMNS}
        sample = sample_shop.holds_sample(con)
    finally:
        con.close()
    held = ", ".join(f"{rows:,} {table}" for table, rows in filled.items() if rows)
    if held:
        hint = "; `python -m retention sample --remove` deletes the sample shop it holds" if sample else ""
        raise DataError(
            f"warehouse {str(path)!r} already holds {held}; an empty warehouse is made only from a new or empty "
            f"file (choose a new --db file{hint})"
        )
    return not existed
