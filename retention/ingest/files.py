"""Reading an import file: its format from its first bytes, its columns, a preview, its SHA-256.

CSV (plain or gzip) is read with every column as text and the separator detected unless given;
Parquet as it is. Reading goes through the named reader parts ``ingest_read_*.sql``.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import re
import stat
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
    """``"parquet"``, ``"csv"`` or ``"csv.gz"``, from the file's first bytes (the name is not trusted).

    A CSV's text is checked too (:func:`check_text`). DataError when the path is missing or is not a
    regular file (a folder, a named pipe, a device: named as such, and never opened), or is empty.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket")]
        kinds += [(stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")]
        kind = next((name for test, name in kinds if test(mode)), "not a regular file")
        raise DataError(f"{str(path)!r} is {kind}, not a file: give the path of a CSV, CSV.gz or Parquet file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if not head:
        raise DataError(f"file {path.name!r} is empty")
    if head == PARQUET_MAGIC:
        return "parquet"
    fmt = "csv.gz" if head[:2] == GZIP_MAGIC else "csv"
    check_text(path, fmt)
    return fmt


def check_text(path: Path, fmt: str, size: int = 1 << 16) -> None:
    """Refuse a CSV whose first ``size`` bytes (uncompressed) show it cannot be read as a table: nothing
    inside a gzip file, UTF-16 or other non-UTF-8 text (the encoding to use is named), or a first line
    that is blank or only separators (no header)."""
    try:
        with gzip.open(path, "rb") if fmt == "csv.gz" else open(path, "rb") as handle:
            head = handle.read(size)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path.name!r}: {exc}") from None
    if not head:
        raise DataError(f"file {path.name!r} is empty: the gzip file holds no text")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:200].count(0) > len(head[:200]) // 4:
        raise DataError(f"{path.name!r} is UTF-16 text: save it as UTF-8 (in Excel: 'CSV UTF-8') and import it again")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < size)
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(path, head[: exc.start].count(b"\n") + 1, head[exc.start])) from None
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.strip(" \t\r\ufeff,;|"):
        raise DataError(f"{path.name!r} has no header: its first line is blank; the first line must name the columns")


def _not_utf8(path: Path, line: int | str, byte: int | None = None) -> str:
    found = f" (byte 0x{byte:02X})" if byte is not None else ""
    return (
        f"{path.name!r} is not UTF-8 text: line {line} has a character that UTF-8 does not allow{found}. It is "
        "probably Latin-1 or Windows-1252 (Excel's plain 'CSV'); save it as UTF-8 (in Excel: 'CSV UTF-8') and "
        "import it again"
    )


def header_line(path: str | Path, size: int = 1 << 20) -> str:
    """The first line of a CSV or CSV.gz file as text (at most ``size`` bytes of it), line break removed."""
    path = Path(path)
    with gzip.open(path, "rb") if file_format(path) == "csv.gz" else open(path, "rb") as handle:
        return handle.readline(size).decode("utf-8", "replace").rstrip("\r\n")


def check_header(path: str | Path, names: list[str]) -> None:
    """Refuse a CSV whose header names one column twice (DuckDB renames the second ``name_1``: a name
    of that form whose base is an earlier column's, that the header does not spell, was a duplicate)."""
    seen: dict[str, str] = {}
    for name in names:
        base, sep, number = name.rpartition("_")
        renamed = sep and number.isdigit() and base.lower() in seen
        if renamed and not re.search(rf"(^|[^\w]){re.escape(name)}($|[^\w])", header_line(path)):
            raise DataError(
                f"the header of {Path(path).name!r} names the column {seen[base.lower()]!r} twice: rename or "
                "remove one of them and import the file again"
            )
        seen.setdefault(name.lower(), name)


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
    """Run the block that reads ``path``, turning DuckDB's complaints about the file into a DataError that
    gives DuckDB's reason (not only its "CSV Error on Line: N") and what to do."""
    try:
        yield
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        raise DataError(read_error(Path(path), exc)) from exc


def read_error(path: Path, exc: BaseException) -> str:
    """A sentence for DuckDB's complaint ``exc`` about reading ``path``."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if "Invalid unicode" in text:
        return _not_utf8(path, line.group(1) if line else "?")
    reason = first_line(exc)
    detail = [
        row.strip()
        for row in text.splitlines()[1:6]
        if row.strip() and not row.startswith(("Original Line", "Possible Solution", "  file ="))
    ]
    if detail:
        reason = f"{reason}: {detail[0]}"
    hint = ""
    if "Maximum line size" in text:
        hint = (
            "; a value that long is not a value of a table: look for an unclosed quote (it runs on to the end "
            "of the file) or a field holding a whole document"
        )
    elif "sniffing" in text or "Expected Number of Columns" in text:
        hint = "; check that every row has as many fields as the header and that the separator is right"
    return f"cannot read {path.name!r}: {reason}{hint}"


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
            "more or fewer fields than the header; fix them or give the separator"
        )
    if file_format(path) != "parquet":
        check_header(path, names)
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
