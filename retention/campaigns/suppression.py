"""The suppression list: customers who must never be contacted, by id or by email.

Customers unsubscribe, complain or ask not to be contacted in tools outside this one; their ids or emails are
imported here from a file and kept in the warehouse (table ``suppression_list``). Every campaign audience leaves
them out and no export contains them, whenever they were listed: the list is read at each audience and each
export, never copied into a campaign.

A file is a CSV or a text file of one value per line. With a header naming a ``user_id`` or an ``email`` column,
that column is read (and a ``reason`` column, when there is one); otherwise the file's first column is read, and
a value with an ``@`` is an email, any other an id. Emails are stored trimmed and lower-case, as the list matches
them against the users' emails; ids are stored trimmed, as imported.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError

USER_ID = "user_id"
EMAIL = "email"
KINDS = (USER_ID, EMAIL)
REASON = "reason"
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_VALUE_LENGTH = 320  # the longest email address the standards allow
ENTRY_COLUMNS = ["kind", "value", "reason"]
REJECT_COLUMNS = ["line", "value", "problem"]
GENERIC_HEADERS = ("id", "value", "customer", "customer_id")  # a header line of a one-column file of both kinds


@dataclass(frozen=True)
class SuppressionImport:
    """What an import did: ``rows_read == rows_added + rows_known + rows_rejected``.

    rows_known: valid rows already on the list, or repeating an earlier row of the file (the first entry stays);
    rejects: the rejected rows with ``line`` (1-based line of the file), ``value`` (as read) and ``problem``.
    """

    source: str
    rows_read: int
    rows_added: int
    rows_known: int
    rows_rejected: int
    rejects: pd.DataFrame = field(repr=False)


def read_entries(path: str | Path, *, reason: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of a suppression file, checked.

    Returns
    -------
    (entries, rejects): entries with ``kind`` ('user_id' or 'email'), ``value`` (trimmed; emails lower-case) and
    ``reason`` (the file's reason column, else ``reason``, else None), in file order, repeats included;
    rejects as :attr:`SuppressionImport.rejects`.

    Raises
    ------
    DataError
        The file cannot be read, is empty, or has a header naming both a user_id and an email column.
    """
    rows = _numbered_rows(Path(path))
    column, kind, reasons, data = _layout(rows, Path(path).name)
    entries, rejects = [], []
    for line, row in data:
        raw = row[column] if column < len(row) else ""
        value = raw.strip()
        row_kind = kind or (EMAIL if "@" in value else USER_ID)
        if row_kind == EMAIL:
            value = value.lower()
        problem = _problem(value, row_kind)
        if problem:
            rejects.append((line, raw, problem))
            continue
        given = row[reasons].strip() if reasons is not None and reasons < len(row) else ""
        entries.append((row_kind, value, given or reason))
    return pd.DataFrame(entries, columns=ENTRY_COLUMNS), pd.DataFrame(rejects, columns=REJECT_COLUMNS)


def _numbered_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The file's non-blank lines as (line number, cells), read as CSV."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, IsADirectoryError):
        raise DataError(f"no file at {path}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path.name} is not UTF-8 text: save it as a UTF-8 CSV or text file") from None
    rows = [
        (number, next(csv.reader([line]))) for number, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]
    if not rows:
        raise DataError(f"{path.name} is empty: it needs one id or email per line")
    return rows


def _layout(
    rows: list[tuple[int, list[str]]], name: str
) -> tuple[int, str | None, int | None, list[tuple[int, list[str]]]]:
    """(column to read, its kind or None to tell each value's kind by its '@', the reason column or None, the data
    rows): a header names the column, else the first column is read from the first line on."""
    header = [cell.strip().lower() for cell in rows[0][1]]
    named = [kind for kind in KINDS if kind in header]
    if len(named) > 1:
        raise DataError(
            f"{name} has both a user_id and an email column: import one kind per file "
            "(or one column mixing ids and emails, without a header)"
        )
    reasons = header.index(REASON) if REASON in header else None
    if named:
        return header.index(named[0]), named[0], reasons, rows[1:]
    if reasons is not None or header[0] in GENERIC_HEADERS:
        return 0, None, reasons, rows[1:]
    return 0, None, None, rows


def _problem(value: str, kind: str) -> str:
    """Why ``value`` cannot be listed as ``kind`` ("" when it can)."""
    if not value:
        return "empty value"
    if len(value) > MAX_VALUE_LENGTH:
        return f"longer than {MAX_VALUE_LENGTH} characters"
    if kind == EMAIL and not EMAIL_PATTERN.match(value):
        return "not an email address"
    if kind == USER_ID and any(character.isspace() for character in value):
        return "an id with a space inside"
    return ""


def import_file(
    con: duckdb.DuckDBPyConnection, path: str | Path, *, reason: str | None = None, source: str | None = None
) -> SuppressionImport:
    """Add a file's ids and emails to the suppression list, in one transaction (see :func:`read_entries`).

    ``reason`` is recorded for rows without a reason of their own; ``source`` (default: the file's name) says where
    the entries came from. Values already listed keep their first entry.
    """
    entries, rejects = read_entries(path, reason=reason)
    source = source or Path(path).name
    unique = entries.drop_duplicates(["kind", "value"], keep="first")
    con.register("suppression_new", unique)
    try:
        with warehouse.transaction(con):
            known = warehouse.query(con, "suppression_known")
            warehouse.execute(con, "suppression_insert", {"source": source})
    finally:
        con.unregister("suppression_new")
    added = len(unique) - len(known)
    return SuppressionImport(
        source=source,
        rows_read=len(entries) + len(rejects),
        rows_added=added,
        rows_known=len(entries) - added,
        rows_rejected=len(rejects),
        rejects=rejects,
    )


def list_entries(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The suppression list, newest first: ``kind`` ('user_id' or 'email'), ``value``, ``reason``, ``source``,
    ``added_at`` (timestamp). Holds emails: show or export it only when asked."""
    return warehouse.query(con, "suppression_list")


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Entries per kind: ``{'user_id': n, 'email': m}``."""
    frame = warehouse.query(con, "suppression_counts")
    return {str(kind): int(entries) for kind, entries in zip(frame["kind"], frame["entries"], strict=True)}


def remove(con: duckdb.DuckDBPyConnection, value: str) -> int:
    """Take ``value`` (an id, or an email in any case) off the suppression list; the number of entries removed.

    Raises
    ------
    DataError
        ``value`` is not on the list.
    """
    with warehouse.transaction(con):
        removed = warehouse.query(con, "suppression_delete", {"value": value})
    if removed.empty:
        raise DataError(f"{value.strip()!r} is not on the suppression list (as an id or an email)")
    return len(removed)
