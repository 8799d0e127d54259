"""API keys of the HTTP API: created once and shown once, kept only as a salted SHA-256, listed, revoked.

The warehouse's ``api_keys`` table is the record; the serving folder's ``keys.json`` is the copy the service reads
(it never opens the warehouse), rewritten whole after each change. A key is ``secrets.token_urlsafe(32)`` (256 bits
of randomness), so one SHA-256 round with a per-key salt is enough: a slow password hash guards guessable secrets,
and there is nothing to guess here. Keys are compared with :func:`hmac.compare_digest` and never written to a log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.serve import KEYS, serving_folder, write_atomically

PREFIX_LENGTH = 8
MAX_NAME_LENGTH = 100
LISTED_COLUMNS = ["key_id", "name", "prefix", "created_at", "revoked_at"]


@dataclass(frozen=True)
class KeyRecord:
    """One key as the service knows it: no key, only its salted hash."""

    key_id: int
    name: str
    prefix: str
    key_hash: str
    salt: str
    revoked: bool


def hash_key(key: str, salt: str) -> str:
    """Hex SHA-256 of ``salt || key`` (both UTF-8)."""
    return hashlib.sha256((salt + key).encode()).hexdigest()


def create(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike, name: str) -> tuple[int, str]:
    """Create a key named ``name`` (who uses it); returns ``(key_id, key)``. The key is not kept anywhere: show it
    once. ``keys.json`` in the serving folder of ``db_path`` is rewritten.

    Raises
    ------
    DataError
        The name is empty or longer than 100 characters.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise DataError(f"a key's name must have 1 to {MAX_NAME_LENGTH} characters, got {len(name)}")
    key = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    params = {"name": name, "prefix": key[:PREFIX_LENGTH], "key_hash": hash_key(key, salt), "salt": salt}
    with warehouse.transaction(con):
        key_id = int(warehouse.execute(con, "serve_key_insert", params).fetchone()[0])
    write_keys_file(con, db_path)
    return key_id, key


def listed(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every key, oldest first. Columns: key_id (int), name, prefix (the key's first 8 characters), created_at,
    revoked_at (NaT while the key is valid). No hash, no salt."""
    return warehouse.query(con, "serve_key_list")[LISTED_COLUMNS]


def revoke(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike, key_id: int) -> str:
    """Revoke the key ``key_id``; returns its name. ``keys.json`` is rewritten, so the service refuses it at once.

    Raises
    ------
    DataError
        No valid key has that id.
    """
    with warehouse.transaction(con):
        row = warehouse.execute(con, "serve_key_revoke", {"key_id": int(key_id)}).fetchone()
    if row is None:
        raise DataError(f"no valid key has the id {key_id}: see `python -m retention api-key list`")
    write_keys_file(con, db_path)
    return str(row[1])


def records(con: duckdb.DuckDBPyConnection) -> list[KeyRecord]:
    """Every key record of the warehouse, revoked ones included."""
    table = warehouse.query(con, "serve_key_list")
    return [
        KeyRecord(int(row.key_id), row.name, row.prefix, row.key_hash, row.salt, not pd.isna(row.revoked_at))
        for row in table.itertuples()
    ]


def write_keys_file(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike) -> Path:
    """Write ``keys.json`` (a list of :class:`KeyRecord` fields) into the serving folder, atomically."""
    folder = serving_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomically(folder / KEYS, json.dumps([record.__dict__ for record in records(con)], indent=1))


def read_keys_file(path: str | os.PathLike) -> list[KeyRecord]:
    """The key records of a ``keys.json``; none when the file is missing."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [KeyRecord(**entry) for entry in json.loads(text)]


def verify(key: str, known: list[KeyRecord]) -> KeyRecord | None:
    """The valid (unrevoked) record whose hash matches ``key``, else None; hashes compared in constant time."""
    found = None
    for record in known:
        if hmac.compare_digest(hash_key(key, record.salt), record.key_hash) and not record.revoked:
            found = record
    return found


class KeyRing:
    """The keys of a serving folder's ``keys.json``, read again whenever the file changes (its mtime and size)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.path = Path(folder) / KEYS
        self._stamp: tuple[int, int] | None = None
        self._records: list[KeyRecord] = []
        self._verified: dict[str, KeyRecord | None] = {}

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def records(self) -> list[KeyRecord]:
        stamp = self._current_stamp()
        if stamp != self._stamp:
            self._records = read_keys_file(self.path)
            self._verified = {}
            self._stamp = stamp
        return self._records

    def verify(self, key: str) -> KeyRecord | None:
        """The valid record of ``key`` (see :func:`verify`); answers are remembered until ``keys.json`` changes."""
        known = self.records()
        if key not in self._verified:
            if len(self._verified) > 1000:
                self._verified.clear()  # bounded: random wrong keys must not grow it without end
            self._verified[key] = verify(key, known)
        return self._verified[key]
