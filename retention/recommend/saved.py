"""Saved all-feedback models of recommender runs (the ``recommender_models`` table).

A run in ``model_runs`` records how a model did on a split. Recommending to
real customers (the Recommenders page's inspector, campaign exports) needs the
same model and hyperparameters fitted on all feedback: tens of seconds on a
real shop. That fit is kept with its run, together with the feedback it was
fitted on (:func:`feedback_version`), and loaded while the feedback is the same.

The feedback version is not ``data_version``: that one moves whenever scores,
runs or campaigns are written, which do not change what a recommender learns
from. It fingerprints only the imports of orders, events, ratings and products and the
non-product codes (:func:`retention.warehouse.imports_version`). A model fitted on
other feedback is stale: it is never used, and is refitted and replaced (a job
in the app, see :mod:`retention.recommend.job`).

The blob is a pickle of the :class:`~retention.recommend.serve.Recommender`, with a Surprise model's rating
lists (``trainset.ur`` and ``ir``: millions of Python tuples, most of the load time) held as arrays
(:class:`CompactRatings`): an SVD of the 20,000-customer sample shop then loads about ten times faster.
``benchmarks/recommend_model_bench.py`` measures loading against refitting.
Unpickling runs code, so a blob is only ever loaded from the user's own
warehouse, and only blobs this app wrote there: the same trust as the file
itself (``churn_models`` does the same). Never load one from elsewhere.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb
import pandas as pd
from surprise import NMF, SVD

from retention import schema, warehouse
from retention.errors import DataError
from retention.recommend import feedback as fb
from retention.recommend import runs, spark_models
from retention.recommend.choice import feedback_version, run_mode
from retention.recommend.fitting import ArrayTrainset, CompactRatings
from retention.recommend.models import SurpriseModel
from retention.recommend.serve import Recommender, fit_on, recommend


@dataclass(frozen=True)
class ModelInfo:
    """What is saved of a run's all-feedback model: the feedback version it was fitted on, when, and its size in
    bytes."""

    run_id: int
    data_version: str
    fitted_at: dt.datetime
    size_bytes: int


def compact(recommender: Recommender) -> Recommender:
    """``recommender`` as it is saved: of the feedback, only its user and item pairs (what recommending excludes),
    as categoricals; a Surprise model's rating lists (and the algorithm's references to them) as
    :class:`CompactRatings`, in copies; the fitted model itself is left as it is.

    Only the lists that predicting reads are kept: the user lists (``ur``) that SVD++, Slope One and the item
    k-NN models read, and the item lists (``ir``) only where a user-based k-NN reads them; SVD and NMF read
    neither. The others are kept empty: at a million customers each holds tens of millions of ratings.
    """
    pairs = recommender.feedback.frame[[schema.COL_USER, schema.COL_ITEM]].astype("category")
    recommender = replace(recommender, feedback=replace(recommender.feedback, frame=pairs))
    if not isinstance(recommender.model, SurpriseModel):
        return recommender
    model, algo = copy.copy(recommender.model), copy.copy(recommender.model.algo)
    trainset = copy.copy(algo.trainset)
    trainset.global_mean  # noqa: B018 - computed (from the lists) and kept before they go
    read = {id(getattr(algo, "yr", None))} | ({id(trainset.ur)} if type(algo) not in (SVD, NMF) else set())
    if not isinstance(trainset, ArrayTrainset):  # it knows users and items by its lists: keep them all
        read |= {id(trainset.ur), id(trainset.ir)}
    arrays = {
        id(lists): (lists if isinstance(lists, CompactRatings) else CompactRatings(lists))
        if id(lists) in read
        else CompactRatings({})
        for lists in (trainset.ur, trainset.ir)
    }
    trainset.ur, trainset.ir = arrays[id(trainset.ur)], arrays[id(trainset.ir)]
    for name in ("xr", "yr"):  # the k-NN models' aliases of ur and ir
        if id(getattr(algo, name, None)) in arrays:
            setattr(algo, name, arrays[id(getattr(algo, name))])
    algo.trainset, model.algo = trainset, algo
    return replace(recommender, model=model)


def model_info(con: duckdb.DuckDBPyConnection, run_id: int) -> ModelInfo | None:
    """The saved model of run ``run_id`` without its blob; None when none is saved."""
    rows = warehouse.query(con, "recommend_model_info", {"run_id": int(run_id)})
    if rows.empty:
        return None
    row = rows.iloc[0]
    return ModelInfo(
        int(row["run_id"]),
        str(row["data_version"]),
        pd.Timestamp(row["fitted_at"]).to_pydatetime(),
        int(row["size_bytes"]),
    )


def save_model(con: duckdb.DuckDBPyConnection, run_id: int, recommender: Recommender, data_version: str) -> int:
    """Keep ``recommender`` (fitted on the feedback of ``data_version``) as run ``run_id``'s model, replacing the
    one it had; nothing is kept when the run no longer exists. Returns the blob's size in bytes."""
    blob = pickle.dumps(compact(recommender), protocol=pickle.HIGHEST_PROTOCOL)
    params = {"run_id": int(run_id), "data_version": data_version, "size_bytes": len(blob), "model": blob}
    with warehouse.transaction(con):
        if not warehouse.query(con, "recommend_get_run", {"run_id": int(run_id)}).empty:
            warehouse.execute(con, "recommend_model_delete", {"run_ids": [int(run_id)]})
            warehouse.execute(con, "recommend_model_save", params)
    return len(blob)


def load_model(con: duckdb.DuckDBPyConnection, run_id: int, data_version: str | None = None) -> Recommender | None:
    """Run ``run_id``'s saved model when it was fitted on the feedback of ``data_version`` (by default the
    warehouse's now); None when none is saved or it is stale."""
    version = feedback_version(con) if data_version is None else data_version
    row = warehouse.execute(con, "recommend_model_blob", {"run_id": int(run_id), "data_version": version}).fetchone()
    return None if row is None else pickle.loads(row[0])  # trusted: this app wrote it here


def fit_for_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Recommender:
    """Run ``run_id``'s model and hyperparameters fitted on all feedback of the source it was evaluated on (its
    split's ``feedback`` and ``weights``; runs saved before sources were recorded: the default source) now (not
    saved)."""
    run = runs.get_run(con, run_id)
    if run.model == spark_models.NAME:
        raise DataError(
            f"run #{run_id} is Spark MLlib's ALS, which fits only on the Spark engine, and its saved model is missing "
            "or was fitted on other feedback (a lake); train it again with `python -m retention recommenders "
            "compare --engine spark --lake DIR --models mllib_als`"
        )
    kind, weights = fb.described_choice(run.split)
    feedback = fb.load_feedback(con, kind=kind, weights=weights)
    return fit_on(feedback, fb.products(con), run.model, run.params, mode=run_mode(run.split))


def recommender_for_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Recommender:
    """Run ``run_id``'s model on all feedback: the saved one when it is fresh, else fitted now (and not saved:
    ``con`` may be read-only; :func:`refit` saves).

    Raises
    ------
    DataError
        No run has that id.
    """
    runs.get_run(con, run_id)
    return load_model(con, run_id) or fit_for_run(con, run_id)


def refit(path: str | os.PathLike, run_id: int) -> ModelInfo | None:
    """Fit run ``run_id``'s model on all feedback and save it, replacing a stale one; returns what was saved (None
    when the run was deleted meanwhile). Opens its own sessions (a job's thread shares none): reads, fits with no
    connection held, then writes."""
    with warehouse.session(path) as con:
        version = feedback_version(con)
        recommender = fit_for_run(con, run_id)
    with warehouse.session(path, write=True) as con:
        save_model(con, run_id, recommender, version)
        return model_info(con, run_id)


def recommend_for_users(
    con: duckdb.DuckDBPyConnection, run_id: int, user_ids: Sequence[str], k: int = 5
) -> pd.DataFrame:
    """Top-``k`` recommendations from the saved run ``run_id``'s model fitted on all feedback (the saved fit when
    fresh, see :func:`recommender_for_run`).

    Returns the columns of :meth:`Recommender.recommend`: ``user_id``,
    ``rank``, ``item_id``, ``title``, ``score``, ``source`` ('model' or
    'popular' for users unknown to the model).
    """
    return recommend(con, recommender_for_run(con, run_id), user_ids, k)
