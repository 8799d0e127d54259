"""Marks on time axes for the pages (cached), and the "Notes on the timeline" section where users add their own.

Notes are kept in the warehouse (:mod:`retention.annotations`); adding or deleting one changes the data version,
so every cached chart redraws with its marks.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from retention import annotations
from retention.ui.common import attempt, cursor, data_version, db_path, plain, writer

TEXT_KEY = "note-text"
DAY_KEY = "note-day"
REQUEST_KEY = "note-request"


@st.cache_data(show_spinner=False)
def marks(path: str, version: str, start: object = None, end: object = None) -> pd.DataFrame:
    """The marks from ``start`` to ``end`` (see :func:`retention.annotations.marks` for the columns)."""
    with cursor() as con:
        return annotations.marks(con, start, end)


@st.cache_data(show_spinner=False)
def notes(path: str, version: str) -> pd.DataFrame:
    """The user's notes, newest date first (see :func:`retention.annotations.notes` for the columns)."""
    with cursor() as con:
        return annotations.notes(con)


def _request(note_id: int | None = None) -> None:
    """A button's callback: note what to do (add the note typed; delete ``note_id``) for :func:`_carry_out`, which
    runs in the page's flow, so that a refusal shows beside the notes and not above the page's title."""
    if note_id is None:
        st.session_state[REQUEST_KEY] = ("add", (st.session_state.get(DAY_KEY), st.session_state.get(TEXT_KEY, "")))
    else:
        st.session_state[REQUEST_KEY] = ("delete", note_id)


def _carry_out() -> None:
    """Add or delete a note as the last click asked (see :func:`_request`), saying how it went."""
    request = st.session_state.pop(REQUEST_KEY, None)
    if request is None:
        return
    action, what = request

    def write() -> str:
        with writer() as con:
            if action == "delete":
                annotations.delete_note(con, what)
                return "Note deleted."
            annotations.add_note(con, *what)
            return "Note added: it is marked on the time axes."

    said = attempt(write)
    if said is not None:
        st.toast(said, icon=":material/sticky_note_2:")


def notes_section(default_day: dt.date) -> None:
    """The "Notes on the timeline" section: a form to add a note (a date, ``default_day`` at first, and a text)
    and the notes, newest date first, each with a delete button."""
    st.subheader("Notes on the timeline")
    _carry_out()
    st.caption(
        "A note marks its date on the time axes of Overview, Forecast and Cohorts, beside campaign launches; "
        "hover its triangle to read it."
    )
    with st.form("add-note", clear_on_submit=True, border=False):
        row = st.columns([1, 4, 1], vertical_alignment="bottom")
        row[0].date_input("Date", value=default_day, key=DAY_KEY, min_value=dt.date(1990, 1, 1))
        row[1].text_input("Note", key=TEXT_KEY, max_chars=annotations.MAX_NOTE_CHARS, placeholder="e.g. site redesign")
        row[2].form_submit_button("Add note", icon=":material/add_comment:", on_click=_request)
    version = attempt(data_version)
    listed = None if version is None else attempt(notes, db_path(), version)
    if listed is None:
        return
    if listed.empty:
        st.caption("No notes yet.")
        return
    for note in listed.itertuples(index=False):
        line = st.columns([1, 4, 1], vertical_alignment="center")
        line[0].markdown(f"{pd.Timestamp(note.day):%Y-%m-%d}")
        line[1].markdown(plain(note.text))
        line[2].button(
            "Delete",
            key=f"note-delete-{note.note_id}",
            icon=":material/delete:",
            on_click=_request,
            args=(int(note.note_id),),
        )
