"""Churn scoring for the At-risk users page: scoring runs as a job of the server, and reads that never write.

Scoring trains two models and explains every customer (10-25 s on a real shop),
and its scores are saved for campaigns to target. It runs as a job (see
:mod:`retention.jobs`) in a thread of the server: the page that starts it shows
its progress and stays usable, and any session that opens the page while it
runs (another browser, the same one after a reload) finds the same job rather
than starting a second. What it produced, with what the page shows of it (the
feature importance and the beeswarm's points, computed once in the job), is
kept in memory for every session under the *inputs version* it scored
(:func:`retention.churn.inputs_version`: imports of orders and users,
non-product codes), so a visit of any session reads it and computes nothing
until those change: saving recommender runs, campaigns or other scorings leaves
it current. Every run is also saved in the warehouse with its scores
(:func:`retention.churn.saved_run`): after a restart, or when the CLI or a
refresh scored in another process, the first visit loads it instead of training. A job that failed is shown with its error, not restarted, until the
data change or the user asks again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from retention import churn, jobs, reorder
from retention.churn import job as scoring_job
from retention.ui import jobs as ui_jobs
from retention.ui.common import cursor

RunKey = tuple[str, str, dt.date, int]  # (warehouse path, inputs version it scored, as_of, horizon_days)
KEPT_RUNS = 8


@dataclass(frozen=True)
class ScoringView:
    """One scoring run and the parts of the page every session shows alike, computed once when the job ends.

    result: the run (shared between sessions: read-only). importance: :func:`retention.explain.global_importance`
    of its explanation. beeswarm: :func:`retention.explain.beeswarm_points` of it.
    """

    result: churn.ScoringResult
    importance: pd.DataFrame
    beeswarm: pd.DataFrame


def scoring_view(result: churn.ScoringResult) -> ScoringView:
    """What the page shows of ``result`` for every session alike."""
    shown = churn.with_shown_parts(result)
    return ScoringView(result=shown, importance=shown.importance, beeswarm=shown.beeswarm)


class ScoringRuns:
    """The newest :data:`KEPT_RUNS` scoring results of this server, by :data:`RunKey`, and the scoring job
    started at each inputs version; thread-safe."""

    def __init__(self, size: int = KEPT_RUNS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._results: OrderedDict[RunKey, ScoringView] = OrderedDict()
        self._started: OrderedDict[RunKey, int] = OrderedDict()

    def get(self, key: RunKey) -> ScoringView | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: RunKey, result: ScoringView) -> None:
        self._keep(self._results, key, result)

    def started(self, key: RunKey) -> int | None:
        """The id of the job started for ``key``; None when none was."""
        with self._lock:
            return self._started.get(key)

    def put_started(self, key: RunKey, job_id: int) -> None:
        self._keep(self._started, key, job_id)

    def _keep(self, kept: OrderedDict, key: RunKey, value: object) -> None:
        """Store ``value`` as the newest entry of ``kept``, dropping the oldest beyond the size."""
        with self._lock:
            kept[key] = value
            kept.move_to_end(key)
            while len(kept) > self._size:
                kept.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _runs() -> ScoringRuns:
    return ScoringRuns()


@st.cache_data(show_spinner=False)
def order_days(path: str, version: str) -> tuple[dt.date, dt.date]:
    """First and last day with an order (raises ``DataError`` when there are none)."""
    with cursor() as con:
        return churn.order_days(con)


@st.cache_data(show_spinner=False)
def reorders(path: str, version: str) -> reorder.Reorders:
    """How often the warehouse's customers reorder (:func:`retention.reorder.reorders`)."""
    with cursor() as con:
        return reorder.reorders(con)


def scoring(path: str, inputs: str, as_of: dt.date, horizon_days: int) -> ScoringView | None:
    """The scoring run of (as_of, horizon_days) whose saved scores are current at the inputs version ``inputs``:
    this server's, else the one saved in the warehouse (by an earlier server, the CLI or a refresh); None when
    there is none yet (see :func:`scoring_or_progress`). Reads only.

    The view is shared between sessions: treat it as read-only.
    """
    key = (path, inputs, as_of, int(horizon_days))
    view = _runs().get(key)
    if view is None:
        with cursor() as con:
            saved = churn.saved_run(con, inputs, as_of, int(horizon_days))
        if saved is not None:
            view = scoring_view(saved)
            _runs().put(key, view)
    return view


def start_scoring(path: str, inputs: str, as_of: dt.date, horizon_days: int) -> jobs.Job:
    """Start the job that trains, scores, explains and saves the churn risk of every customer at ``as_of``, or
    find the one already running for these settings. Returns its row."""
    runs, horizon = _runs(), int(horizon_days)

    def work(progress: jobs.Progress) -> churn.ScoringResult:
        # Its own sessions (a thread never shares a connection), the write lock held only for the save.
        result, current = scoring_job.score_current(path, as_of, horizon, progress)
        if current is not None:  # else orders or users changed while it trained: the page scores them afresh
            runs.put((path, current, as_of, horizon), scoring_view(result))
        return result

    params = scoring_job.job_params(as_of, horizon)
    job = jobs.start(path, scoring_job.KIND, params, work, started_by="app", describe=scoring_job.job_result)
    runs.put_started((path, inputs, as_of, horizon), job.job_id)
    return job


def _inputs() -> str:
    with cursor() as con:
        return churn.inputs_version(con)


def scoring_or_progress(path: str, as_of: dt.date, horizon_days: int) -> ScoringView | None:
    """The scoring of (as_of, horizon_days) at the warehouse's current orders and users, when there is one; else
    None, having shown the job that computes it (started here when none runs) or the error of the one that failed.

    Raises ``RetentionError`` when the job cannot be started or read.
    """
    ui_jobs.server_started()
    horizon = int(horizon_days)
    with cursor() as con:  # a running job is looked for first: once it is not running, its result is in place
        job = jobs.running(con, scoring_job.KIND, scoring_job.job_params(as_of, horizon))
        inputs = churn.inputs_version(con)
    if job is None:
        view = scoring(path, inputs, as_of, horizon)
        if view is not None:
            return view
        started = _runs().started((path, inputs, as_of, horizon))
        job = None if started is None else ui_jobs.job(started)
        if job is None or job.status not in ("running", "failed"):
            job = start_scoring(path, inputs, as_of, horizon)
    ui_jobs.done_or_shown(
        job,
        again="Score again",
        key="at-risk-score-again",
        restart=lambda: start_scoring(path, _inputs(), as_of, horizon),
    )
    return None


def export_table(flagged: pd.DataFrame, include_emails: bool) -> pd.DataFrame:
    """The flagged list to download; e-mail addresses are looked up only when the user ticked the box."""
    if not include_emails:
        return churn.export_table(flagged)
    with cursor() as con:
        return churn.export_table(flagged, churn.customer_emails(con, flagged["user_id"].tolist()))


def customer_waterfall(result: churn.ScoringResult, user_id: str) -> pd.DataFrame:
    """One customer's explanation: from memory for a run scored by this server, else read from the warehouse
    (a saved run keeps no customer's explanation in memory)."""
    if not result.details_saved:
        return churn.customer_waterfall(result, user_id)
    with cursor() as con:
        return churn.saved_waterfall(con, result, user_id)


def show_verdict(result: churn.ScoringResult) -> None:
    """The held-out verdict (green when the model beats recency on ranking and on the top 10%, yellow when recency
    does as well, blue when mixed) and, when a risk band is far off, the calibration warning."""
    said = churn.verdict(result.metrics, result.summary["holdout_date"])
    if said.outcome == "model":
        st.success(said.text, icon=":material/check_circle:")
    elif said.outcome == "baseline":
        st.warning(said.text, icon=":material/warning:")
    else:
        st.info(said.text)
    warning = churn.calibration_warning(result.calibration)
    if warning:
        st.warning(warning, icon=":material/tune:")
