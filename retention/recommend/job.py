"""Recommender work as jobs (see :mod:`retention.jobs`): training and comparing models, and refitting a run's
model on all feedback.

The Recommenders page runs them in a thread of the server, ``recommenders compare`` in its own process; both
record them in the ``jobs`` table under these kinds. A training reads its feedback where a :class:`Reading` says:
the warehouse by default, or a lake on DuckDB or Spark (``--engine``, :mod:`retention.engines`); its runs and
models are always saved to the warehouse. A training evaluates every chosen model on one split,
saves one run per model, then fits each run's model on all feedback and saves it with the run
(:mod:`retention.recommend.saved`), so that recommending to customers later only loads it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pandas as pd

from retention import warehouse
from retention.recommend import evaluate, models, saved
from retention.recommend import feedback as fb
from retention.recommend.modes import run_mode
from retention.recommend.runs import run_name, save_run
from retention.recommend.serve import fit_on

KIND = "recommenders"
REFIT_KIND = "recommender_fit"
Progress = evaluate.Progress


@dataclass(frozen=True)
class Reading:
    """Where a training reads its feedback: ``open()`` gives the connection the set work (the feedback, the split,
    the products) runs on, and ``version(con)`` the feedback version its runs and models record (see
    :mod:`retention.recommend.saved`)."""

    open: Callable[[], AbstractContextManager]
    version: Callable[[object], str] = saved.feedback_version


def warehouse_reading(path: str | os.PathLike) -> Reading:
    """The warehouse at ``path``, read in a session of its own, at its feedback version."""
    return Reading(lambda: warehouse.session(path))


@dataclass(frozen=True)
class Training:
    """What a training did: the comparison, the ids of the runs it saved (one per result, in the same order;
    empty when told not to save), and when it saved runs on the default split, that split's
    :class:`~retention.recommend.evaluate.FeedbackSummary` fields with the ``data_version`` (feedback version) it
    describes, so that the Recommenders page reads them instead of splitting the feedback again."""

    comparison: evaluate.Comparison
    run_ids: list[int]
    summary: dict | None = None


def job_params(selections: Mapping[str, Mapping[str, object] | None], query: evaluate.SplitQuery, k: int) -> dict:
    """The training job's parameters: ``models`` (name -> hyperparameters asked for), ``split`` (the query's
    fields, the cutoff as text, ``feedback`` None for the default source, ``weights`` key -> weight or None) and
    ``k``."""
    split = {
        "kind": query.kind,
        "cutoff": None if query.cutoff is None else str(query.cutoff),
        "test_share": float(query.test_share),
        "folds": int(query.folds),
        "seed": int(query.seed),
        "mode": query.mode,
        "feedback": query.feedback,
        "weights": None if query.weights is None else dict(query.weights),
    }
    return {"models": {name: dict(params or {}) for name, params in selections.items()}, "split": split, "k": int(k)}


def train(
    path: str | os.PathLike,
    selections: Mapping[str, Mapping[str, object] | None],
    query: evaluate.SplitQuery,
    k: int,
    progress: Progress,
    *,
    save: bool = True,
    reading: Reading | None = None,
) -> Training:
    """Evaluate the selected models (name -> hyperparameters) on the split ``query`` describes; when ``save``,
    fit each model on all feedback of the split's source (as the split read it: not read again) and save its run
    together with that model (a run never shows without it) in the warehouse at ``path``.

    ``reading``: where the feedback is read (by default the warehouse at ``path``: :func:`warehouse_reading`).
    ``progress(fraction, message)`` goes model by model and fold by fold, then model by model through the fits
    on all feedback. Opens its own short sessions (a job's thread shares none); none is held while fitting.
    """
    reading = reading or warehouse_reading(path)
    with reading.open() as con:  # the feedback version of the feedback the split read
        split, version = evaluate.make_split(con, query), reading.version(con)
        default = fb.default_source(fb.source_rows(con))
    folds = len(split.folds)
    share = folds / (folds + 1) if save else 1.0  # each model: one fit per fold, then one on all feedback

    def evaluating(done: float, said: str) -> None:
        if done < 1 or not save:  # the comparison's "Done" is not the training's
            progress(done * share, said)

    comparison = evaluate.compare(split, selections, k=k, progress=evaluating)
    if not save:
        return Training(comparison, [])
    kind, feedback = split.full.kind, split.full
    summary = None
    if dataclasses.replace(query, feedback=None, weights=None) == evaluate.SplitQuery() and kind == default:
        summary = {**dataclasses.asdict(evaluate.split_summary(feedback, split.description)), "data_version": version}
    run_ids = save_fitted(path, comparison.results, fit_inputs(split, version), progress, start=share)
    progress(1.0, "Done")
    return Training(comparison, run_ids, summary)


def fit_inputs(split: evaluate.Split, version: str) -> tuple[str, fb.Feedback, pd.DataFrame]:
    """What runs evaluated on ``split`` have their models fitted on: the feedback ``version`` the split was read
    at, all the feedback of its source as it read it, and its products (see :func:`save_fitted`)."""
    return version, split.full, split.products


def save_fitted(
    path: str | os.PathLike,
    results: Sequence[evaluate.Evaluation],
    fitted_on: tuple[str, fb.Feedback, pd.DataFrame],
    progress: Progress,
    *,
    start: float = 0.0,
    names: Sequence[str] | None = None,
) -> list[int]:
    """Fit each result's model on all feedback (``fitted_on``: see :func:`fit_inputs`) and save its run under
    its name (by default :func:`~retention.recommend.runs.run_name`) together with that model, in the mode of the
    result's split; returns the run ids, in order. ``progress`` goes from ``start`` to 1 model by model."""
    version, feedback, products = fitted_on
    run_ids, count = [], len(results)
    for position, result in enumerate(results):
        spec = models.MODELS[result.model]
        done = start + (1 - start) * position / count
        said = f"Model {position + 1} of {count}: {spec.label} on all feedback"
        progress(done, said)
        with models.reporting_fits(lambda message, done=done, said=said: progress(done, f"{said}: {message}")):
            recommender = fit_on(feedback, products, result.model, result.params, mode=run_mode(result.split))
        if names is None:
            defaults = {param.name: param.default for param in spec.params}
            name = run_name(spec.label, result.params, defaults, run_mode(result.split))
        else:
            name = names[position]
        with warehouse.session(path, write=True) as con:  # the run, then at once its model
            run_ids.append(save_run(con, result, name, version))
            saved.save_model(con, run_ids[-1], recommender, version)
    return run_ids


def job_result(training: Training) -> dict[str, object]:
    """What the training job records once done: ``run_ids`` and ``models`` of the runs saved (same order),
    ``skipped`` (model name -> why it could not run on this data), ``feedback`` (the source the runs used) and
    ``summary`` (see :class:`Training`)."""
    return {
        "run_ids": list(training.run_ids),
        "feedback": training.comparison.results[0].split["feedback"],
        "models": [result.model for result in training.comparison.results],
        "skipped": dict(training.comparison.skipped),
        "summary": training.summary,
    }


def refit_params(run_id: int, data_version: str) -> dict[str, object]:
    """The refit job's parameters: the run, and the feedback version it was started at (so that a job that
    failed at this version is recognised, and a data change asks anew)."""
    return {"run_id": int(run_id), "data_version": data_version}


def refit(path: str | os.PathLike, run_id: int, progress: Progress) -> dict[str, object]:
    """Fit run ``run_id``'s model on all feedback and save it (see :func:`retention.recommend.saved.refit`);
    returns the job's result: ``run_id``, ``data_version``, ``size_bytes`` (None when the run was deleted)."""
    progress(0.0, f"Fitting run #{run_id}'s model on all feedback")
    info = saved.refit(path, run_id)
    size = None if info is None else info.size_bytes
    return {"run_id": int(run_id), "data_version": None if info is None else info.data_version, "size_bytes": size}
