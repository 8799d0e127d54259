"""The inbox of a scheduled refresh: which files are waiting, which table each goes to, and importing them."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from retention import ingest, schema, warehouse
from retention.errors import DataError, RetentionError, WarehouseBusy
from retention.refresh import DONE_DIR, FAILED_DIR

_TABLE_PREFIX = re.compile(r"^([A-Za-z]+)[-_.]")
_IGNORED_SUFFIXES = (".tmp", ".part", ".reason.txt")


@dataclass(frozen=True)
class InboxFile:
    """What happened to one inbox file: ``outcome`` is ``loaded``, ``already loaded`` or ``failed``; ``moved_to``
    the path it was moved to; ``reason`` why it failed (else None); ``rows_loaded`` (0 unless loaded)."""

    name: str
    table: str | None
    outcome: str
    moved_to: str
    rows_loaded: int = 0
    reason: str | None = None


def table_for(name: str) -> str:
    """The table a file name says it holds: the part before the first ``-``, ``_`` or ``.``.

    Raises
    ------
    DataError
        That part is not an importable table.
    """
    match = _TABLE_PREFIX.match(name)
    table = match.group(1).lower() if match else None
    if table not in schema.IMPORTABLE_TABLES:
        raise DataError(
            f"the name {name!r} does not say which table it holds: start it with one of "
            f"{', '.join(schema.IMPORTABLE_TABLES)} and a '-', '_' or '.' (e.g. orders-2026-11-29.csv)"
        )
    return table


def waiting(inbox: str | Path) -> list[Path]:
    """The files waiting in the inbox, by name: plain files, not hidden, not ``*.tmp`` or ``*.part`` (being written).

    Raises
    ------
    DataError
        The inbox is not a folder.
    """
    folder = Path(inbox)
    if not folder.is_dir():
        raise DataError(f"the inbox {str(folder)!r} is not a folder")
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(_IGNORED_SUFFIXES)
    )


def mapping_for(table: str, columns: list[str]) -> dict[str, str]:
    """Target column -> file column for an inbox file: the table's own columns and, for orders, the users and
    products columns whose key is mapped too, each by name or known synonym (:func:`ingest.guess_mapping`)."""
    guess = {target: source for target, source in ingest.guess_mapping(table, columns).items() if source}
    own = set(schema.CANONICAL_COLUMNS[table])
    keep = {target: source for target, source in guess.items() if target in own}
    for other, names in schema.ALSO_FILLS.get(table, {}).items():
        if schema.KEYED_TABLES[other] in keep:
            keep.update({name: guess[name] for name in names if name in guess})
    return keep


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/STEM.N.SUFFIXES`` with the first N not taken."""
    target = folder / name
    stem, dot, suffixes = name.partition(".")
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}.{n}{dot}{suffixes}"
    return target


def move_aside(path: Path, folder_name: str, reason: str | None = None) -> Path:
    """Move ``path`` into ``INBOX/folder_name/`` (never over another file); with ``reason``, write it beside."""
    folder = path.parent / folder_name
    folder.mkdir(exist_ok=True)
    target = _free_path(folder, path.name)
    shutil.move(str(path), str(target))
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason.rstrip() + "\n")
    return target


def import_one(db: str | os.PathLike, path: Path) -> InboxFile:
    """Import one inbox file and move it to ``done/`` (loaded, or its bytes loaded rows before) or ``failed/``
    (refused, or no row loaded). It is read in a read session and imported in a write session of its own (one
    transaction), so that the app's pages read between two files. When the warehouse stays busy past the lock
    wait, the file stays in the inbox for the next run."""
    table = None
    try:
        table = table_for(path.name)
        with warehouse.session(db) as con:
            earlier = ingest.previous_batches(con, table, ingest.file_sha256(path))
        if (earlier["rows_loaded"] > 0).any():
            return InboxFile(path.name, table, "already loaded", str(move_aside(path, DONE_DIR)))
        mapping = mapping_for(table, ingest.file_columns(path))
        with warehouse.session(db, write=True) as con:
            result = ingest.import_file(con, table, path, mapping=mapping)
        if result.rows_loaded == 0:
            # Every row was rejected: the file failed. The batch and its rejects stay, to read the reasons; the same
            # bytes dropped again are imported again (an import that loaded no row does not block its retry).
            reasons = "; ".join(f"{reason}: {rows} rows" for reason, rows in result.rejects_by_reason.itertuples(False))
            raise DataError(f"no row of {path.name!r} could be loaded (batch {result.batch_id}: {reasons})")
    except WarehouseBusy as exc:
        reason = f"{exc} (left in the inbox for the next run)"
        return InboxFile(path.name, table, "failed", str(path), reason=reason)
    except (RetentionError, duckdb.Error) as exc:
        return InboxFile(path.name, table, "failed", str(move_aside(path, FAILED_DIR, str(exc))), reason=str(exc))
    return InboxFile(path.name, table, "loaded", str(move_aside(path, DONE_DIR)), rows_loaded=result.rows_loaded)


def import_inbox(db: str | os.PathLike, inbox: str | Path) -> list[InboxFile]:
    """Import every waiting file of the inbox, in name order, each in its own write session (see
    :mod:`retention.refresh`)."""
    return [import_one(db, path) for path in waiting(inbox)]
