"""Annotations: what happened on a date, marked on the time axes of Overview, Forecast and Cohorts.

Three kinds of mark (:data:`KINDS`):

``campaign``
    A launched campaign, at its ``start_ts``: the latest order in the warehouse when it launched, so the mark
    sits where the campaign's window starts on the data's own time axis.
``import``
    An import batch, at the moment it ran (wall-clock time; on a warehouse refreshed as the shop trades this
    is where the new data begins, on a historical file it lies after the data and is not drawn).
``note``
    The user's own note with a date ("site redesign"), kept in the ``notes`` table.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError

KINDS = ("campaign", "import", "note")
KIND_LABELS = {"campaign": "Campaign launch", "import": "Import", "note": "Note"}
MAX_NOTE_CHARS = 200


def marks(con: duckdb.DuckDBPyConnection, start: object = None, end: object = None) -> pd.DataFrame:
    """The marks from ``start`` to ``end`` (timestamps or dates, both included; None leaves that side open).

    Returns
    -------
    pandas.DataFrame
        ``ts`` (datetime64, where the mark is drawn), ``kind`` (one of :data:`KINDS`), ``note_id`` (int, notes
        only, else NA) and ``label`` (str, what the hover says), oldest first.
    """
    frame = warehouse.query(con, "annotations_marks")
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["note_id"] = frame["note_id"].astype("Int64")
    if start is not None:
        frame = frame[frame["ts"] >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame["ts"] <= pd.Timestamp(end) + _rest_of_day(end)]
    return frame.reset_index(drop=True)


def _rest_of_day(end: object) -> pd.Timedelta:
    """An end given as a date covers that whole day."""
    if isinstance(end, dt.date) and not isinstance(end, dt.datetime):
        return pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return pd.Timedelta(0)


def notes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The user's notes, newest date first: ``note_id`` (int), ``day`` (date), ``text`` (str), ``created_at``."""
    return warehouse.query(con, "notes_list")


def add_note(con: duckdb.DuckDBPyConnection, day: object, text: str) -> int:
    """Save a note on ``day``; returns its id. The text is stripped and must hold 1 to
    :data:`MAX_NOTE_CHARS` characters."""
    text = (text or "").strip()
    if not text:
        raise DataError("write what happened, e.g. 'site redesign'")
    if len(text) > MAX_NOTE_CHARS:
        raise DataError(f"keep a note to {MAX_NOTE_CHARS} characters ({len(text):,} given)")
    try:
        day = pd.Timestamp(day).date()
    except (TypeError, ValueError):
        raise DataError(f"{day!r} is not a date; write it as YYYY-MM-DD") from None
    with warehouse.transaction(con):
        return int(warehouse.execute(con, "notes_insert", {"day": day, "text": text}).fetchone()[0])


def delete_note(con: duckdb.DuckDBPyConnection, note_id: int) -> None:
    """Delete one note; a :class:`DataError` when there is no note ``note_id``."""
    with warehouse.transaction(con):
        if warehouse.execute(con, "notes_delete", {"note_id": int(note_id)}).fetchone() is None:
            raise DataError(f"there is no note {note_id}")
