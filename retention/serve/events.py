"""Behaviour events posted to the service: validated all or nothing, then written whole into the refresh inbox.

A batch is JSON lines, one event a line: ``{"user_id": "u1", "ts": "2026-11-30T10:00:00", "event_type": "view",
"item_id": "A1", "session_id": "s9"}`` (``item_id`` and ``session_id`` optional). One invalid line refuses the batch
and nothing is written, so a client can fix and resend it whole. A valid batch becomes one CSV file
``events-api-<UTC time>-<random>.csv`` in the inbox, written under a hidden ``.tmp`` name and renamed, which the next
``python -m retention refresh --inbox DIR`` imports into ``events`` (the name's prefix says the table). A ``ts`` with a
UTC offset is stored as UTC; one without is taken as written, as the warehouse's timestamps carry no zone.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retention.serve import write_atomically

MAX_TEXT = 200
EVENT_COLUMNS = ("user_id", "ts", "event_type", "item_id", "session_id")


class Event(BaseModel):
    """One behaviour event; unknown fields are refused, so that a misspelt one is not dropped quietly."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str = Field(min_length=1, max_length=MAX_TEXT)
    ts: datetime
    event_type: str = Field(min_length=1, max_length=MAX_TEXT)
    item_id: str | None = Field(default=None, max_length=MAX_TEXT)
    session_id: str | None = Field(default=None, max_length=MAX_TEXT)


@dataclass(frozen=True)
class LineError:
    """Why line ``line`` (1-based, blank lines counted) of a batch was refused."""

    line: int
    error: str


def parse_batch(body: bytes) -> tuple[list[Event], list[LineError]]:
    """The events of a JSON-lines body and the errors of its invalid lines (blank lines are skipped)."""
    events: list[Event] = []
    errors: list[LineError] = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [LineError(0, f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}")]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(Event.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not JSON: {exc.msg} at column {exc.colno}"))
        except ValidationError as exc:
            errors.append(LineError(number, _described(exc)))
    return events, errors


def _described(exc: ValidationError) -> str:
    """A validation error in one line of words: ``field: message; ...``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'line'}: {error['msg']}" for error in exc.errors()
    )


def _timestamp(value: datetime) -> str:
    """Naive UTC text: the warehouse's timestamps carry no zone."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def write_batch(inbox: str | os.PathLike, events: list[Event]) -> Path:
    """Write ``events`` as one CSV file into ``inbox`` (created if missing), atomically; returns its path."""
    folder = Path(inbox)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"events-api-{stamp}-{secrets.token_hex(4)}.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    for event in events:
        writer.writerow([event.user_id, _timestamp(event.ts), event.event_type, event.item_id, event.session_id])
    return write_atomically(target, buffer.getvalue())
