"""The named SQL files of ``retention/sql/``: their text, their slots filled, and the parameters they bind.

:mod:`retention.warehouse` runs them (``query``, ``execute``); no other module joins SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from retention import schema
from retention.errors import DataError

SQL_DIR = Path(__file__).parent / "sql"
Params = Mapping[str, object] | Sequence[object] | None


@cache
def sql_text(name: str) -> str:
    """The text of ``retention/sql/<name>.sql``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no SQL file named {name!r} in {SQL_DIR}")
    return path.read_text()


_PART_SLOT = re.compile(r"^[ \t]*-- @part (\w+)[ \t]*$", re.MULTILINE)
_NAME_SLOT = re.compile(r"\{(\w+)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def statement(name: str, *, parts: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None) -> str:
    """The SQL of ``retention/sql/<name>.sql`` with its slots filled; only this package's SQL text is joined.

    ``parts`` fills each ``-- @part SLOT`` line with the text of another named SQL file (whose own
    slots are filled the same way); ``names`` fills each ``{SLOT}`` with an identifier (a table or
    column name), which must be a plain name known to :mod:`retention.schema` and is double-quoted.
    Values never go here: they are bound as parameters by :func:`query` and :func:`execute`.
    """
    parts = parts or {}

    def part(match: re.Match) -> str:
        slot = match.group(1)
        if slot not in parts:
            raise KeyError(f"{name}.sql has a part slot {slot!r} that was not filled")
        return _PART_SLOT.sub(part, sql_text(parts[slot]))

    text = _PART_SLOT.sub(part, sql_text(name))
    if names:
        for identifier in names.values():
            names_checked = identifier in schema.IDENTIFIERS and _IDENTIFIER.match(identifier)
            if not names_checked:
                raise DataError(f"{identifier!r} is not a table or column of the warehouse")
        text = _NAME_SLOT.sub(lambda match: f'"{names[match.group(1)]}"', text)
    return text


def bound(sql: str, params: Params) -> Params:
    """The named parameters that ``sql`` uses outside its comments (DuckDB refuses unused ones).

    Positional parameters (a sequence) are passed through unchanged.
    """
    if not isinstance(params, Mapping):
        return params
    used = set(_PARAMETER.findall(_COMMENT.sub("", sql)))
    return {key: value for key, value in params.items() if key in used}
