"""Jobs in the app: the once-per-server check for jobs a dead process left running, a running job's progress,
and the list of recent jobs.

A job runs in a thread of the server (see :mod:`retention.jobs`), so it goes on
when the browser navigates away or reloads; a page that shows one re-reads its
row every second in a fragment, and reruns as a whole once the job has ended.
Job rows are read fresh, never cached: they change without the data version
changing.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention import jobs
from retention.ui.common import cursor, db_path, plain, readable

POLL_SECONDS = 1.0
RECENT_COLUMNS = {
    "job_id": st.column_config.NumberColumn("Job", format="%d"),
    "kind": st.column_config.TextColumn("Work"),
    "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
    "started_by": st.column_config.TextColumn("By", help="app, cli or refresh; the machine and process id"),
    "status": st.column_config.TextColumn("Status"),
    "progress": st.column_config.ProgressColumn("Progress", min_value=0.0, max_value=1.0, format="percent"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f", help="From its start to its end or last word"),
    "message": st.column_config.TextColumn("Message or error", width="large"),
}


@st.cache_resource(show_spinner=False)
def _checked(path: str) -> tuple[int, ...]:
    return tuple(jobs.mark_interrupted(path))


def server_started() -> None:
    """Once per server and warehouse: mark interrupted the jobs that a stopped server or command left running."""
    _checked(db_path())


def job(job_id: int) -> jobs.Job | None:
    """The job's row as it is now (not cached)."""
    with cursor() as con:
        return jobs.get(con, job_id)


def recent(limit: int = jobs.RECENT_LIMIT) -> pd.DataFrame:
    """The latest jobs for people (see :func:`retention.jobs.listing`; the columns of :data:`RECENT_COLUMNS`)."""
    server_started()
    with cursor() as con:
        return jobs.listing(con, limit)


@st.fragment(run_every=POLL_SECONDS)
def progress(job_id: int) -> None:
    """The job's progress bar and message, re-read every second; once the job has ended, the page reruns whole
    and shows what it left (a result or an error)."""
    found = job(job_id)
    if found is None or not found.running:
        st.rerun()
    st.progress(found.progress, text=f"{plain(found.message or 'Starting')}…")
    st.caption(
        f"Job {found.job_id}, started by {plain(found.who)} at {found.started_at:%H:%M:%S}. It runs in the server: "
        "leave this page, reload it or open it in another browser, and it goes on."
    )


def done_or_shown(job: jobs.Job, *, again: str, key: str, restart: Callable[[], object]) -> bool:
    """True when ``job`` is done: its result is the page's to show. Else shows its progress (running) or its
    error with a button labelled ``again`` that calls ``restart`` and reruns the page, and returns False."""
    if job.running:
        progress(job.job_id)
        return False
    if job.status == "done":
        return True
    st.error(plain(readable(job.error or f"job {job.job_id} ended without a result")))
    if st.button(again, icon=":material/refresh:", key=key):
        restart()
        st.rerun()
    return False
