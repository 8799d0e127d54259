"""Churn scoring for the At-risk users page: one action that scores and saves, and reads that never write.

Scoring trains two models and explains every customer (seconds), and its scores
are saved for campaigns to target. :func:`score_and_save` is that action, never
cached. What it produced is kept in memory under the data version its own save
left behind, so :func:`scoring` (keyed like every cached read, on the path and
the data version) finds it on every rerun until the data changes again: any
later write (an import, a campaign, another scoring) moves the version and the
page scores afresh, as it did when scoring was itself the cached function.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

import pandas as pd
import streamlit as st

from retention import churn, explain, warehouse
from retention.ui.common import cursor, writer

RunKey = tuple[str, str, dt.date, int]  # (warehouse path, data version after the save, as_of, horizon_days)
KEPT_RUNS = 8


class ScoringRuns:
    """The newest :data:`KEPT_RUNS` scoring results of this server, by :data:`RunKey`; thread-safe.

    ``scoring_lock`` lets one session score at a time, so that two sessions opening the page together train once.
    """

    def __init__(self, size: int = KEPT_RUNS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self.scoring_lock = threading.Lock()
        self._results: OrderedDict[RunKey, churn.ScoringResult] = OrderedDict()

    def get(self, key: RunKey) -> churn.ScoringResult | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: RunKey, result: churn.ScoringResult) -> None:
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self._size:
                self._results.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _runs() -> ScoringRuns:
    return ScoringRuns()


@st.cache_data(show_spinner=False)
def order_days(path: str, version: str) -> tuple[dt.date, dt.date]:
    """First and last day with an order (raises ``DataError`` when there are none)."""
    with cursor() as con:
        return churn.order_days(con)


def scoring(path: str, version: str, as_of: dt.date, horizon_days: int) -> churn.ScoringResult | None:
    """The scoring run of (as_of, horizon_days) whose saved scores are the warehouse's state at ``version``;
    None when there is none yet (call :func:`score_and_save`). Reads only.

    The result is shared between sessions: treat it as read-only.
    """
    return _runs().get((path, version, as_of, int(horizon_days)))


def score_and_save(path: str, as_of: dt.date, horizon_days: int) -> churn.ScoringResult:
    """Train, score, explain and save the churn risk of every customer at ``as_of`` (not cached: it writes).

    Raises ``DataError`` when the warehouse cannot support the model (see :func:`retention.churn.score_customers`).
    """
    runs = _runs()
    with runs.scoring_lock, st.spinner("Training the churn model and explaining every score…"), writer() as con:
        done = runs.get((path, warehouse.data_version(con), as_of, int(horizon_days)))
        if done is not None:  # another session scored it while this one waited
            return done
        result = churn.score_customers(con, as_of=as_of, horizon_days=int(horizon_days), save=True)
        runs.put((path, warehouse.data_version(con), as_of, int(horizon_days)), result)
    return result


def importance(result: churn.ScoringResult) -> pd.DataFrame:
    """Global feature importance of the run (see :func:`retention.explain.global_importance`)."""
    return explain.global_importance(result.explanation)


def beeswarm_points(result: churn.ScoringResult) -> pd.DataFrame:
    """Points of the beeswarm chart (see :func:`retention.explain.beeswarm_points`)."""
    return explain.beeswarm_points(result.explanation, result.features)


def export_table(flagged: pd.DataFrame, include_emails: bool) -> pd.DataFrame:
    """The flagged list to download; e-mail addresses are looked up only when the user ticked the box."""
    if not include_emails:
        return churn.export_table(flagged)
    with cursor() as con:
        return churn.export_table(flagged, churn.customer_emails(con, flagged["user_id"].tolist()))


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
