"""The "Saved views" row of a page: keep the page's settings under a name, open a view by its link, delete one.

A page's shareable settings live in its URL (widgets bound with ``bind="query-params"``), so saving a view
saves the URL's parameters (:mod:`retention.saved_views`). Opening one is a link, ``?view=NAME``: on that
first run :func:`views_row` swaps the URL's parameters for the view's and reruns, and the widgets, not yet
drawn in this session, take their values from the URL. That is why :func:`views_row` must come before the
page's widgets, and why a view opens in a fresh page (a link opens a new tab): Streamlit seeds a bound widget
from the URL only where the session has not drawn it yet.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from retention import saved_views
from retention.ui.common import attempt, cursor, data_version, db_path, plain, writer

NAME_KEY = "saved-views-name"
REQUEST_KEY = "saved-views-request"
MAX_SUMMARY_CHARS = 160
VIEWS_TTL_SECONDS = 60


@st.cache_data(show_spinner=False, ttl=VIEWS_TTL_SECONDS)
def views(path: str, version: str, page: str) -> pd.DataFrame:
    """The saved views of ``page`` (see :func:`retention.saved_views.list_views` for the columns).

    Saved views are not part of the data version (saving one must not recount every cached table): this app's
    saves and deletes clear this cache, and a view saved or deleted by another process shows within
    :data:`VIEWS_TTL_SECONDS`. Cached, so that a rerun while another process writes does not wait for it."""
    with cursor() as con:
        return saved_views.list_views(con, page)


def current_params() -> saved_views.Params:
    """The page's URL parameters now: a list where a parameter repeats; without ``view``."""
    return {
        key: values if len(values) > 1 else values[0]
        for key in st.query_params
        if key != saved_views.VIEW_PARAM and (values := st.query_params.get_all(key))
    }


def summary(params: saved_views.Params) -> str:
    """A view's settings in one line for its caption: ``period: week · by: country``; "the page's defaults"
    when it has none."""
    if not params:
        return "the page's defaults"
    text = " · ".join(
        f"{key}: {', '.join(value) if isinstance(value, list) else value}" for key, value in params.items()
    )
    return text if len(text) <= MAX_SUMMARY_CHARS else f"{text[: MAX_SUMMARY_CHARS - 1]}…"


def _read(page: str, name: str) -> saved_views.Params:
    with cursor() as con:
        return saved_views.get(con, page, name)


def open_requested(page: str) -> None:
    """When the URL names a view (``?view=NAME``), put its settings in the URL in place of the others and rerun;
    when there is no such view, say so and go on with the page's defaults."""
    name = st.query_params.get(saved_views.VIEW_PARAM)
    if name is None:
        return
    params = attempt(_read, page, name)
    if params is None:
        del st.query_params[saved_views.VIEW_PARAM]
        return
    try:
        st.query_params.from_dict(params)
    except StreamlitAPIException:  # the page's widgets are drawn already in this session: they keep their values
        del st.query_params[saved_views.VIEW_PARAM]
        st.warning(f"Open the view {plain(name)!r} from its link in a new tab to see its settings.")
        return
    st.rerun()


def _request(action: str, name: str | None = None) -> None:
    """A button's callback: note what to do (``save`` the name typed, ``delete`` ``name``) for :func:`_carry_out`,
    which runs in the page's flow, so that a refusal shows beside the views and not above the page's title."""
    st.session_state[REQUEST_KEY] = (action, st.session_state.get(NAME_KEY, "") if name is None else name)


def _carry_out(page: str) -> None:
    """Save or delete as the last click asked (see :func:`_request`), saying how it went."""
    request = st.session_state.pop(REQUEST_KEY, None)
    if request is None:
        return
    action, name = request

    def write() -> str:
        with writer() as con:
            if action == "delete":
                saved_views.delete(con, page, name)
                return name
            return saved_views.save(con, page, name, current_params())

    done = attempt(write)
    views.clear()
    if done is not None:
        verb, icon = ("Deleted", ":material/delete:") if action == "delete" else ("Saved", ":material/bookmark_added:")
        st.toast(f"{verb} the view {plain(done)!r}.", icon=icon)


def views_row(page: str) -> None:
    """The saved views of ``page`` (its URL path, e.g. ``"cohorts"``) in an expander: a form to save the settings
    now in the URL under a name, and each view as a link that opens it, with its settings and a delete button.
    Call it after the page header and before the page's widgets (see the module's docstring)."""
    open_requested(page)
    _carry_out(page)
    version = attempt(data_version)
    listed = None if version is None else attempt(views, db_path(), version, page)
    if listed is None:
        return
    with st.expander(f"Saved views ({len(listed)})", key=f"saved-views-{page}", icon=":material/bookmarks:"):
        with st.form(f"save-view-{page}", clear_on_submit=True, border=False):
            row = st.columns([3, 1], vertical_alignment="bottom")
            row[0].text_input(
                "Save these settings as",
                key=NAME_KEY,
                max_chars=saved_views.MAX_NAME_CHARS,
                placeholder="e.g. UK, weekly",
                help=f"A name of {saved_views.NAME_RULE}. Settings that are not in the page's address (ticking "
                "'Include emails') are not saved.",
            )
            row[1].form_submit_button("Save view", icon=":material/bookmark_add:", on_click=_request, args=("save",))
        if listed.empty:
            st.caption("No saved views yet.")
            return
        st.caption("A view's link opens it in a new tab; copy the link to share it.")
        for view in listed.itertuples(index=False):
            line = st.columns([5, 1], vertical_alignment="center")
            line[0].markdown(f"[{plain(view.name)}]({view.link})  \n:gray[{plain(summary(view.params))}]")
            line[1].button(
                "Delete",
                key=f"saved-views-delete-{view.name}",
                icon=":material/delete:",
                on_click=_request,
                args=("delete", view.name),
            )
