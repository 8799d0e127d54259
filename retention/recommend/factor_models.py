"""Matrix factorisation for implicit feedback with the ``implicit`` library: ALS and BPR.

Both learn a taste vector per customer and per item from which items customers had (no sampled negatives: ALS
treats every unobserved pair as a weak "no", BPR ranks each observed item above a sampled unobserved one). The
fitted model keeps only the two factor matrices as numpy arrays: scoring is ``user_factors @ item_factors.T``
(what ``implicit``'s own ``recommend`` computes), the pickle is small, and loading never imports ``implicit``.

``implicit`` runs its own threads (``num_threads``); BLAS is held to one thread during the fit, as the library
asks, because its threads would compete with the fit's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from surprise.trainset import Trainset

from retention.recommend import item_models  # a module reference: item_models may be loading (see models.py)
from retention.recommend.feedback import Feedback
from retention.recommend.models import FittedModel, Param, catalogue, known_users, register, report_fit

if TYPE_CHECKING:
    from implicit.cpu.matrix_factorization_base import MatrixFactorizationBase


class FactorModel(FittedModel):
    """``scores = user_factors[user] @ item_factors.T`` (float32 factors; rows follow ``users`` and ``items``)."""

    def __init__(self, items: pd.Index, users: pd.Index, user_factors: np.ndarray, item_factors: np.ndarray) -> None:
        self.items, self.users = items, users
        self.user_factors, self.item_factors = user_factors, item_factors

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        return np.asarray(self.user_factors[self.users.get_indexer(user_ids)] @ self.item_factors.T, dtype=float)


def fit_factors(
    model_class: type[MatrixFactorizationBase], settings: dict, train: Feedback, user_items: sp.csr_matrix
) -> FactorModel:
    """``model_class(**settings)`` (an ``implicit`` model) fitted on ``user_items`` (rows: :func:`known_users`,
    columns: :func:`catalogue`), as a :class:`FactorModel`. BLAS is held to one thread while the model is made
    (``implicit`` checks it then) and fitted; each iteration is reported (:func:`report_fit`)."""
    from threadpoolctl import threadpool_limits

    def on_iteration(iteration: int, *_ignored) -> None:
        report_fit(f"iteration {iteration + 1} of {settings['iterations']}")

    with threadpool_limits(1, "blas"):
        algo = model_class(**settings)
        algo.fit(user_items, show_progress=False, callback=on_iteration)
    return FactorModel(catalogue(train), known_users(train), as_numpy(algo.user_factors), as_numpy(algo.item_factors))


def as_numpy(factors) -> np.ndarray:
    """Factors as a float32 numpy array (``implicit`` may hand back its own matrix type)."""
    return np.ascontiguousarray(factors.to_numpy() if hasattr(factors, "to_numpy") else factors, dtype=np.float32)


def factors_param(default: int) -> Param:
    """The ``factors`` hyperparameter with a model-specific default."""
    return Param("factors", default, "Length of the taste vectors.", 1, 1000)


THREADS = Param("num_threads", 0, "Threads the fit uses (0 = one per core).", 0, 256)
SEED = Param("random_state", 0, "Seed of the random initialisation.", 0, 2**31 - 1)


@register(
    "als",
    "ALS (implicit matrix factorisation)",
    "collaborative",
    "Learns customer and item taste vectors from what customers bought, weighting repeat and recent purchases "
    "more (Hu, Koren and Volinsky 2008).",
    (
        factors_param(32),
        Param("regularization", 1.0, "Regularisation: larger values keep vectors small.", 0.0, 1000.0),
        Param("alpha", 1.0, "Confidence per unit of weight: an observed pair counts alpha x its weight.", 0.01, 1000.0),
        Param("weighting", "rating", "Weight of each observed pair: 1, or its rating.", choices=("binary", "rating")),
        Param("iterations", 15, "Alternating least squares sweeps.", 1, 200),
        THREADS,
        SEED,
    ),
)
def _fit_als(train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
    from implicit.cpu.als import AlternatingLeastSquares

    settings = {key: value for key, value in params.items() if key != "weighting"}
    return fit_factors(AlternatingLeastSquares, settings, train, item_models.user_rows(train, params["weighting"]))


@register(
    "bpr",
    "BPR (pairwise ranking)",
    "collaborative",
    "Learns taste vectors so that each customer's items rank above items they did not buy (Rendle et al. 2009).",
    (
        factors_param(64),
        Param("learning_rate", 0.05, "Step size of stochastic gradient descent.", 1e-5, 1.0),
        Param("regularization", 0.01, "Regularisation: larger values keep vectors small.", 0.0, 100.0),
        Param("iterations", 100, "Passes over the observed pairs.", 1, 2000),
        Param(
            "num_threads",
            1,
            "Threads the fit uses (0 = one per core). More than one is faster, but the threads' updates race, so "
            "two fits with one seed differ.",
            0,
            256,
        ),
        SEED,
    ),
    default_on=False,
)
def _fit_bpr(train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    return fit_factors(BayesianPersonalizedRanking, params, train, item_models.user_rows(train, item_models.BINARY))
