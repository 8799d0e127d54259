"""Saved views: a page's settings kept in the warehouse under a name, and opened again by a link.

A page keeps every setting a user may want to share in its URL's query parameters (the widgets are bound to
them), so a view is exactly those parameters: a flat JSON object of ``str -> str | list[str]`` (a list where a
parameter repeats, as the picks of a multi-select do), stored in the ``saved_views`` table under the page's URL
path (``cohorts``) and a name unique on that page. The link ``?view=NAME`` on the page opens it: the page loads
the parameters into its URL in place of the ones it was given, and renders with them. Settings that are not in
the URL (ticking "Include emails", which lets personal data out) are never part of a view.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError

VIEW_PARAM = "view"
"""The query parameter that names the view to open (``?view=NAME``); never part of a view itself."""
MAX_NAME_CHARS = 60
MAX_PARAMS = 100
MAX_VALUE_CHARS = 2_000
PAGE_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")
NAME_PATTERN = re.compile(rf"\w[\w .,:()'+&-]{{0,{MAX_NAME_CHARS - 1}}}")
NAME_RULE = (
    f"1 to {MAX_NAME_CHARS} characters: letters, digits, spaces and . , : ( ) ' + & - _, starting with a letter "
    "or digit"
)
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")

Params = dict[str, str | list[str]]


def check_page(page: object) -> str:
    """``page`` when it is a page's URL path (``cohorts``, ``at_risk``); else a :class:`DataError`."""
    if not isinstance(page, str) or not PAGE_PATTERN.fullmatch(page):
        raise DataError(f"{page!r} is not a page's URL path, such as 'cohorts'")
    return page


def check_name(name: object) -> str:
    """The view name ``name`` stripped of surrounding spaces; a :class:`DataError` saying the rule when it breaks
    it."""
    stripped = name.strip() if isinstance(name, str) else ""
    if not stripped:
        raise DataError("give the view a name, e.g. 'UK, weekly'")
    if not NAME_PATTERN.fullmatch(stripped):
        raise DataError(f"the view name {stripped[:80]!r} is not allowed; use {NAME_RULE}")
    return stripped


def check_params(params: object) -> Params:
    """``params`` as a view's settings: a flat mapping of parameter names (letters, digits, ``_ . -``) to a string
    or a list of strings, at most :data:`MAX_PARAMS` of them, each value at most :data:`MAX_VALUE_CHARS`
    characters, without :data:`VIEW_PARAM`. Returns a copy with lists as lists; a :class:`DataError` names the
    first thing that breaks the rules."""
    if not isinstance(params, dict):
        raise DataError(f"a view's settings are a mapping of parameter names to values, not {type(params).__name__}")
    if len(params) > MAX_PARAMS:
        raise DataError(f"a view keeps at most {MAX_PARAMS} settings ({len(params):,} given)")
    checked: Params = {}
    for key, value in params.items():
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise DataError(f"{key!r} is not a setting's name: use 1 to 64 letters, digits, '_', '.' or '-'")
        if key == VIEW_PARAM:
            raise DataError(f"'{VIEW_PARAM}' opens a saved view and cannot be one of its settings")
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(item, str) for item in values):
            raise DataError(f"setting {key!r} must be text or a list of texts, not {value!r:.80}")
        if any(len(item) > MAX_VALUE_CHARS for item in values):
            raise DataError(f"setting {key!r} is longer than {MAX_VALUE_CHARS:,} characters")
        checked[key] = list(values) if isinstance(value, list | tuple) else value
    return checked


def link(name: str) -> str:
    """The relative link that opens the view ``name`` on its page: ``?view=`` and the name, URL-quoted."""
    return f"?{VIEW_PARAM}={quote(name, safe='')}"


def save(con: duckdb.DuckDBPyConnection, page: str, name: str, params: object) -> str:
    """Save ``params`` (see :func:`check_params`) as the view ``name`` of ``page``; returns the name as saved
    (stripped). A page's view names are unique: saving over one is refused, so that a view shared by link never
    changes under its readers; delete it first."""
    page, name, checked = check_page(page), check_name(name), check_params(params)
    text = json.dumps(checked, ensure_ascii=False)
    with warehouse.transaction(con):
        saved = warehouse.execute(con, "saved_views_insert", {"page": page, "name": name, "params": text}).fetchone()
    if saved is None:
        raise DataError(f"the {page} page already has a view named {name!r}; choose another name or delete that one")
    return name


def list_views(con: duckdb.DuckDBPyConnection, page: str | None = None) -> pd.DataFrame:
    """The saved views of ``page`` (of every page when None), by page and name (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        ``page`` (str), ``name`` (str), ``params`` (dict, see :func:`check_params`), ``link`` (str, see
        :func:`link`) and ``created_at`` (datetime64, when it was saved).
    """
    frame = warehouse.query(con, "saved_views_list", {"page": None if page is None else check_page(page)})
    frame["params"] = [json.loads(text) for text in frame["params"]]
    frame["link"] = [link(name) for name in frame["name"]]
    return frame[["page", "name", "params", "link", "created_at"]]


def get(con: duckdb.DuckDBPyConnection, page: str, name: str) -> Params:
    """The settings of the view ``name`` of ``page``; a :class:`DataError` when the page has no such view."""
    row = warehouse.execute(con, "saved_views_get", {"page": check_page(page), "name": str(name).strip()}).fetchone()
    if row is None:
        raise DataError(f"the {page} page has no saved view named {str(name)[:80]!r}; it may have been deleted")
    try:
        return check_params(json.loads(row[0]))
    except (ValueError, DataError) as exc:
        raise DataError(f"the saved view {name!r} of the {page} page is damaged ({exc}); delete it") from None


def delete(con: duckdb.DuckDBPyConnection, page: str, name: str) -> None:
    """Delete the view ``name`` of ``page``; a :class:`DataError` when there is none."""
    page = check_page(page)
    with warehouse.transaction(con):
        deleted = warehouse.execute(con, "saved_views_delete", {"page": page, "name": str(name).strip()}).fetchone()
    if deleted is None:
        raise DataError(f"the {page} page has no saved view named {str(name)[:80]!r}")
