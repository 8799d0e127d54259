"""Scoring every customer as a job (see :mod:`retention.jobs`): its kind, its parameters and the result it records.

The At-risk page runs it in a thread of the server, the ``at-risk`` command in
its own process; both record it in the ``jobs`` table under these names.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import threading
from collections.abc import Callable

from retention import warehouse
from retention.churn.scoring import ScoringResult, inputs_version, score_and_save

KIND = "churn_scoring"
FITTING_MODULES = ("sklearn.ensemble", "sklearn.model_selection", "shap")  # seconds to import, loaded on first use


def _import_fitting_modules() -> None:
    with contextlib.suppress(Exception):  # the fit imports them again and reports any error there
        for name in FITTING_MODULES:
            importlib.import_module(name)


def job_params(as_of: dt.date | str | None, horizon_days: int) -> dict[str, object]:
    """The job's parameters: ``as_of`` (ISO date, or None for the latest order date) and ``horizon_days``."""
    return {"as_of": None if as_of is None else str(as_of), "horizon_days": int(horizon_days)}


def job_result(result: ScoringResult) -> dict[str, object]:
    """What the job records once done: the scoring's date, horizon and model version, customers scored, and the
    held-out snapshot it was checked on. The scores themselves are in the ``scores`` table."""
    return {
        "as_of": str(result.as_of),
        "horizon_days": int(result.horizon_days),
        "model_version": result.model_version,
        "customers": int(len(result.scores)),
        "holdout_date": result.summary["holdout_date"],
    }


def score_current(
    db: str | os.PathLike, as_of: dt.date | str | None, horizon_days: int, progress: Callable[[float, str], None]
) -> tuple[ScoringResult, str | None]:
    """:func:`~retention.churn.scoring.score_and_save`, and the inputs version (:func:`inputs_version`) its scores
    are current at: None in its place when orders, users or non-product codes changed while it ran. Writes that a
    scoring does not read (recommender runs, campaigns, other scorings) leave it current."""
    # Pages that show saved scores never load scikit-learn or SHAP; the job imports them while it reads.
    importing = threading.Thread(target=_import_fitting_modules, name="churn-imports", daemon=True)
    importing.start()
    with warehouse.session(db) as con:
        before = inputs_version(con)
    try:
        result, _ = score_and_save(db, as_of=as_of, horizon_days=horizon_days, progress=progress)
    finally:
        importing.join()  # done long before (the fit needed them): it never outlives the job
    with warehouse.session(db) as con:
        after = inputs_version(con)
    return result, after if after == before else None
