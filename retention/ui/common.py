"""Widgets and cached resources shared by every page.

Cached reads open the warehouse with :func:`cursor` (a short-lived read-only
session), write actions with :func:`writer`; both close it when their block
ends, so that the CLI and a scheduled refresh can write the same file while
the app runs (see :func:`retention.warehouse.session`). Cached reads key on
``(db_path(), data_version())``, a token that changes with every import,
scoring, recommender run and campaign change, so that any write invalidates
them, in this process or another. Library errors reach the user through
:func:`attempt`, the one error guard.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from retention import bootstrap, export, sample_shop, warehouse
from retention.errors import RetentionError, WarehouseBusy, system_error_message
from retention.monitoring import freshness

T = TypeVar("T")
PAGE_ICON = str(Path(__file__).with_name("icon.png"))
"""The browser tab's icon, served by the app itself (a Material icon would make the browser fetch it from Google)."""


def db_path() -> str:
    """The warehouse file this app uses (``$RETENTION_DB`` or the default)."""
    return str(warehouse.resolve_db_path())


@st.cache_resource(show_spinner="Opening the warehouse…")
def _prepared(path: str) -> str:
    """The warehouse file, made ready once per server: built with the sample shop only at the default path when
    missing (any other new path opens as an empty warehouse, see :func:`retention.bootstrap.ensure_default_warehouse`),
    and migrated to this version's schema, so that the read-only sessions of :func:`cursor` can open it."""
    bootstrap.ensure_default_warehouse(path)
    warehouse.prepare(path, waiting=_spinner)
    return path


def _spinner(message: str) -> AbstractContextManager:
    """What the app shows while a session waits for another process's lock."""
    return st.spinner(plain(readable(message)))


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only session on the warehouse: ``with cursor() as con:``, one per cached read.

    It waits (with a spinner) while another process writes the file; see :func:`retention.warehouse.session`.
    """
    with warehouse.session(_prepared(db_path()), waiting=_spinner) as con:
        yield con


@contextmanager
def writer() -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived writable session on the warehouse, for one write action (an import, a launch, a scoring).

    Open it outside any :func:`cursor` block; long computation that only reads belongs before it, in a cursor,
    so that other processes are kept waiting only while the results are written.
    """
    with warehouse.session(_prepared(db_path()), write=True, waiting=_spinner) as con:
        yield con


_last_versions: dict[str, str] = {}


def data_version() -> str:
    """Token that changes with every write (import, scoring, model run, campaign); the key of cached reads.

    While another process is writing, this does not wait: it returns the token of the last read, so a page
    keeps showing the data as of then (from the cache) and shows the new data on the first run after the
    writer commits.
    """
    path = _prepared(db_path())
    known = _last_versions.get(path)
    try:
        with warehouse.session(path, wait=0 if known else None, waiting=_spinner) as con:
            version = warehouse.data_version(con)
    except WarehouseBusy:
        if known is None:
            raise
        return known
    _last_versions[path] = version
    return version


def readable(message: str) -> str:
    """A library message as a sentence for the app: first letter capitalised, a full stop at the end.

    The library writes messages for the CLI's ``error: ...`` line ("campaign 1 has no orders ..."); in a
    box of the app they read better as sentences.
    """
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


_MARKUP = re.compile(r"([\\`*_{}\[\]|~$&]|<(?=[A-Za-z/!?]))")  # "<" only where a tag or autolink could start
_LINE_START = re.compile(r"^([ \t]*)([#+=>-]|\d+(?=[.)]))", re.MULTILINE)
_AUTOLINK = re.compile(r"(?i)(://|@|\bwww\.)")


def plain(text: object) -> str:
    """``text`` as literal text inside Markdown: what a value from data or from a user (a file name, a CSV
    header, a campaign name, a product title) must go through before ``st.markdown``, ``st.caption``,
    ``st.subheader``, ``st.error`` and the other Markdown-rendering elements.

    Markdown and HTML punctuation is backslash-escaped (so ``![x](http://...)`` shows as typed instead of
    fetching an image, ``<img ...>`` stays text, ``**bold**`` keeps its stars), a line cannot open a heading,
    list or quote, and a URL or email address is not turned into a link (``:``, ``@`` and the dot after ``www``
    are written as character references, which show as the same characters).
    """
    escaped = _MARKUP.sub(r"\\\1", str(text))
    escaped = _LINE_START.sub(_escape_line_start, escaped)
    return _AUTOLINK.sub(
        lambda match: match.group(1).replace(":", "&#58;").replace("@", "&#64;").replace(".", "&#46;"), escaped
    )


def _escape_line_start(match: re.Match) -> str:
    indent, marker = match.groups()
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def attempt(function: Callable[..., T], /, *args: object, empty_state: bool = False, **kwargs: object) -> T | None:
    """The one error guard of the app: call ``function``; on a :class:`RetentionError` show its message and
    return None. An error of the file system or DuckDB (a damaged warehouse, a full disk) is shown the same way,
    as a sentence (see :func:`retention.errors.system_error_message`), always in an error box.

    The message goes in an error box, or with ``empty_state`` an empty state (:func:`show_empty_state`): for a
    call whose only expected error is that the warehouse does not hold the data it needs yet (nothing is wrong,
    there is just nothing to show). The caller checks for None and returns (or, at a page's top level, ``st.stop()``s), so that a
    failure in one tab never hides the others.
    """
    try:
        return function(*args, **kwargs)
    except RetentionError as exc:
        (show_empty_state if empty_state else st.error)(plain(readable(str(exc))))
    except (duckdb.Error, OSError) as exc:
        st.error(plain(readable(system_error_message(exc))))
    return None


def run_page(navigation: StreamlitPage) -> None:
    """Run the page ``navigation`` chose, behind the app's last guard: an error meant for the user, or of the file
    system or DuckDB, that no :func:`attempt` caught (a warehouse that cannot be opened, or is damaged where a page
    reads it directly) ends the page with a sentence instead of an exception box."""
    attempt(navigation.run)


def _route_through_app() -> None:
    """Make a deep link (``/cohorts?...``) run through ``app.py``'s navigation.

    Streamlit decides once per server, from the existence of ``pages/`` beside
    the main script, whether the app uses the legacy pages-folder mode; only a
    call to ``st.navigation`` switches that off. When the very first request
    of a server is a deep link, the page file would run on its own, with the
    legacy sidebar and without ``app.py``'s layout. Switching the flag off and
    rerunning sends that request through the router, on the same page.
    """
    # A private Streamlit flag, checked against Streamlit 1.67.0 (pinned in requirements.txt): the class
    # attribute PagesManager.uses_pages_directory that st.navigation itself sets to False. No public API
    # makes a first deep link go through the router. tests/test_browser.py opens a deep link as the first
    # request of a fresh server and fails when an upgrade breaks this.
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_header(title: str, caption: str) -> None:
    """The page title and one line saying what the page answers."""
    _route_through_app()
    st.title(title)
    st.caption(caption)


def download_csv(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    filename: str,
    label: str = "Download CSV",
    key: str | None = None,
) -> None:
    """A download button for ``frame`` as a formula-safe CSV. Given a function that returns the frame, the CSV is
    built only when the user clicks (a list of hundreds of thousands of rows is not rebuilt on every rerun)."""
    st.download_button(
        label,
        data=(lambda: export.to_csv_bytes(frame())) if callable(frame) else export.to_csv_bytes(frame),
        file_name=filename,
        mime="text/csv",
        key=key or f"download-{filename}",
        icon=":material/download:",
    )


DATA_PAGE = "pages/data.py"


def show_empty_state(message: str) -> None:
    """The one empty state of the app: ``message`` (what is missing, as Markdown) in an info box, and a link to
    the Data page, where data is imported."""
    st.info(message, icon=":material/info:")
    st.page_link(DATA_PAGE, label="Import data on the Data page", icon=":material/database:")


def require_rows(table: str, message: str) -> bool:
    """Whether ``table`` holds rows; when it does not, ``message`` is shown as the empty state
    (e.g. "No orders in the warehouse yet", see :func:`show_empty_state`)."""
    with cursor() as con:
        if warehouse.has_rows(con, table):
            return True
    show_empty_state(message)
    return False


@st.cache_data(show_spinner=False)
def _date_range(path: str, version: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    with cursor() as con:
        return warehouse.data_range(con)


@st.cache_data(show_spinner=False)
def holds_sample(path: str, version: str) -> bool:
    """Whether the warehouse holds the synthetic sample shop (see :mod:`retention.sample_shop`)."""
    with cursor() as con:
        return sample_shop.holds_sample(con)


SAMPLE_BADGE_LABEL = ":orange-badge[Sample data]"
SAMPLE_BADGE = f"{SAMPLE_BADGE_LABEL} This warehouse holds the synthetic sample shop. Remove it on the Data page."


@st.cache_data(show_spinner=False)
def _days_since_orders_import(path: str, version: str, today: str) -> float | None:
    """Days since an import last loaded orders (:func:`retention.monitoring.freshness.days_since_orders_import`),
    read again when the data changes or the day does (the gap grows with the wall clock alone)."""
    with cursor() as con:
        return freshness.days_since_orders_import(con)


STALE_BADGE_LABEL = ":orange-badge[:material/schedule: Data may be stale]"


def stale_badge(days: float | None) -> str | None:
    """The sidebar's warning when no orders were imported for longer than the stale gap; None otherwise."""
    if not freshness.is_stale(days):
        return None
    return f"{STALE_BADGE_LABEL} No new orders imported for {int(days)} days: see the Monitoring page."


def sidebar() -> None:
    """Sidebar: the warehouse file in use, the date range of its orders, a badge while it holds the sample
    shop, and a warning when no orders were imported for longer than the stale gap."""
    with st.sidebar:
        version = attempt(data_version)
        dates = None if version is None else attempt(_date_range, db_path(), version)
        if dates is None:
            return
        first, last = dates
        if attempt(holds_sample, db_path(), version):
            st.markdown(SAMPLE_BADGE)
        stale = stale_badge(attempt(_days_since_orders_import, db_path(), version, dt.date.today().isoformat()))
        if stale:
            st.markdown(stale)
        st.caption(f"Warehouse: `{db_path()}`")
        if first is None:
            st.caption("No orders yet: import some on the Data page.")
        else:
            st.caption(f"Orders from {first:%Y-%m-%d} to {last:%Y-%m-%d}")
