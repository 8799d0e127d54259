"""Reading an import file: its format from its first bytes, its columns, a preview, its SHA-256.

CSV (plain or gzip) is read with every column as text and the separator detected unless given;
Parquet as it is. Reading goes through the named reader parts ``ingest_read_*.sql``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError

SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"


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


def reader_for(path: str | Path, sep: str | None) -> tuple[str, dict[str, object], int]:
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
def reading(path: str | Path) -> Iterator[None]:
    """Run the block that reads ``path``, turning DuckDB's complaints about the file into a DataError."""
    try:
        yield
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        hint = ""
        if "sniffing" in str(exc) or "Expected Number of Columns" in str(exc):
            hint = "; check that every row has as many fields as the header and that the separator is right (--sep)"
        raise DataError(f"cannot read {Path(path).name!r}: {first_line(exc)}{hint}") from exc


def first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def file_columns(
    path: str | Path, sep: str | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> list[str]:
    """The file's column names, in file order (for CSV, its header row).

    ``con`` is any DuckDB connection to read through; without one, a scratch in-memory DuckDB is used.
    """
    reader, params, _ = reader_for(path, sep)
    own = con is None
    con = con or warehouse.scratch()
    try:
        with reading(path):
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
    reader, params, _ = reader_for(path, sep)
    con = warehouse.scratch()
    try:
        with reading(path):
            return warehouse.query(con, "ingest_preview", {**params, "rows": int(rows)}, parts={"reader": reader})
    finally:
        con.close()
