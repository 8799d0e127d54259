"""Errors whose message is meant for the user: the app shows them, the CLI prints them."""

from __future__ import annotations

import errno
import os

import duckdb


class RetentionError(Exception):
    """Base class: the message says what is wrong and what to do about it."""


class SchemaError(RetentionError):
    """The warehouse file has a schema this version cannot use."""


class DataError(RetentionError):
    """Input data is missing, malformed or too small for the requested analysis."""


class WarehouseBusy(RetentionError):
    """Another process held the warehouse file's lock for longer than the wait allowed (``RETENTION_LOCK_WAIT``)."""


_DAMAGED = ("corrupt database", "could not read enough bytes", "not a valid duckdb database", "checksum")
_NOT_ALLOWED = ("permission denied", "operation not permitted", "read-only file system")


def system_error_message(exc: BaseException) -> str | None:
    """A sentence for an error of the file system or of DuckDB (what failed, what to do); None for any other.

    The CLI and the app turn such errors into this message at their boundary, so that a full disk, a file
    without permission or a damaged warehouse reads as a sentence instead of a traceback.
    """
    if isinstance(exc, OSError):
        return _os_message(exc)
    if isinstance(exc, duckdb.Error):
        return _duckdb_message(exc)
    return None


def _os_message(exc: OSError) -> str:
    name = repr(os.fsdecode(exc.filename)) if exc.filename is not None else None
    if exc.errno == errno.ENOSPC:
        where = f" writing {name}" if name else ""
        return f"no space left on the device{where}; free some space and try again"
    if name is None:
        return f"{exc.strerror or exc}; check the files and folders the command reads and writes"
    sentences = {
        errno.EACCES: f"permission denied for {name}; choose a place you may use, or change its permissions",
        errno.EPERM: f"the operation is not permitted on {name}; choose a place you may use, or change its permissions",
        errno.EROFS: f"{name} is on a read-only file system; choose a place you may write to",
        errno.EISDIR: f"{name} is a folder; give the path of a file",
        errno.ENOTDIR: f"a part of the path {name} is a file, not a folder",
        errno.ENOENT: f"{name} does not exist",
        errno.EEXIST: f"{name} already exists",
    }
    return sentences.get(exc.errno, f"{exc.strerror or exc}: {name}")


def _duckdb_message(exc: duckdb.Error) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    lowered = text.lower()
    if any(marker in lowered for marker in _DAMAGED):
        return (
            f"the warehouse file is damaged ({text}); restore it from a backup, or start a new warehouse and "
            "import the data again"
        )
    if any(marker in lowered for marker in _NOT_ALLOWED):
        return (
            f"DuckDB may not read or write a file ({text}); the warehouse's folder must be writable (DuckDB keeps "
            "a log next to the warehouse file) and input files readable"
        )
    if "no space left" in lowered:
        return f"no space left on the device ({text}); free some space and try again"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"DuckDB ran out of memory ({text}); close other programs or work on less data at once"
    return f"DuckDB could not complete the command ({text})"
