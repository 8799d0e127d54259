"""Spark MLlib's ALS as a recommender of the registry, offered while the Spark engine is in use.

``recommenders compare --engine spark --lake DIR`` reads the feedback on Spark and, within :func:`offered`,
registers ``mllib_als`` in :data:`~retention.recommend.models.MODELS`: on the DuckDB engine (the app, the
commands without ``--engine spark``) the registry never lists it, and importing the registry never imports
pyspark (this module imports it only inside a fit).

The model is ``pyspark.ml.recommendation.ALS`` with implicit preferences (Hu, Koren and Volinsky 2008, the same
model as the ``als`` of :mod:`retention.recommend.factor_models`): the feedback's rating r of a user and item is a
confidence ``1 + alpha x r`` that the user prefers it, and every pair not seen counts as a weak "no". It fits on
the Spark session (the feedback as a Spark DataFrame of integer ids: positions in :func:`known_users` and
:func:`catalogue`), seeded, with fixed blocks so that one seed gives one model whatever the cluster's
parallelism. Defaults: rank 32 (as ``als``), regParam 0.1 (MLlib scales it by each user's or item's count of
ratings), alpha 1, 10 iterations, 4 user and item blocks.

The fitted model keeps only its factors as numpy arrays (a :class:`~retention.recommend.factor_models.FactorModel`):
it scores ``user_factors @ item_factors.T`` on the driver, the dot products MLlib's ``recommendForUserSubset``
ranks by, for the evaluation's users in blocks and with the same exclusions and metrics as every model. So the
run's saved model (pickled with the run, :mod:`retention.recommend.saved`) recommends later without Spark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from surprise.trainset import Trainset

from retention import schema
from retention.recommend import factor_models, models
from retention.recommend.feedback import Feedback
from retention.recommend.models import FittedModel, ModelSpec, Param, catalogue, known_users

NAME = "mllib_als"
BLOCKS = 4
"""User and item blocks of the fit: fixed, because ALS seeds each block's starting factors from the seed and the
block's number, so that the model does not change with the cluster's default parallelism."""


def fit_mllib_als(
    train: Feedback, params: dict, products: pd.DataFrame | None = None, trainset: Trainset | None = None
) -> FittedModel:
    """``pyspark.ml.recommendation.ALS`` (implicit preferences) fitted on ``train`` on the process's Spark session,
    as a :class:`~retention.recommend.factor_models.FactorModel` (float32 factors, rows follow ``users`` and
    ``items``)."""
    from pyspark.ml.recommendation import ALS

    from retention.engines import spark

    users, items = known_users(train), catalogue(train)
    frame = train.frame
    coded = pd.DataFrame(
        {
            "user": users.get_indexer(frame[schema.COL_USER]).astype(np.int32),
            "item": items.get_indexer(frame[schema.COL_ITEM]).astype(np.int32),
            "rating": frame[schema.COL_RATING].to_numpy(dtype=np.float32)
            if params["weighting"] == "rating"
            else np.ones(len(frame), dtype=np.float32),
        }
    )
    session = spark.session()
    ratings = session.createDataFrame(coded, "user INT, item INT, rating FLOAT")
    als = ALS(
        rank=params["rank"],
        maxIter=params["max_iter"],
        regParam=params["reg_param"],
        alpha=params["alpha"],
        implicitPrefs=True,
        seed=params["seed"],
        numUserBlocks=BLOCKS,
        numItemBlocks=BLOCKS,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        coldStartStrategy="drop",
    )
    models.report_fit(f"fitting on Spark ({params['max_iter']} iterations)")
    fitted = als.fit(ratings)
    user_factors = factor_rows(fitted.userFactors.toPandas(), len(users), params["rank"])
    item_factors = factor_rows(fitted.itemFactors.toPandas(), len(items), params["rank"])
    return factor_models.FactorModel(items, users, user_factors, item_factors)


def factor_rows(factors: pd.DataFrame, count: int, rank: int) -> np.ndarray:
    """MLlib's factors (``id``, ``features``: one row per id it saw) as a ``(count, rank)`` float32 array, row ``i``
    the factors of id ``i`` (zeros for an id it did not see)."""
    rows = np.zeros((count, rank), dtype=np.float32)
    if len(factors):
        rows[factors["id"].to_numpy()] = np.stack(factors["features"].to_numpy()).astype(np.float32)
    return rows


SPEC = ModelSpec(
    NAME,
    "ALS on Spark MLlib (implicit)",
    "collaborative",
    "Spark MLlib's alternating least squares for implicit feedback, fitted on the Spark engine's session (only "
    "with --engine spark): customer and item taste vectors from what customers bought, viewed or rated.",
    (
        Param("rank", 32, "Length of the taste vectors.", 1, 500),
        Param("reg_param", 0.1, "Regularisation, scaled by each customer's and item's number of ratings.", 0.0, 100.0),
        Param(
            "alpha", 1.0, "Confidence per unit of rating: an observed pair counts 1 + alpha x its rating.", 0.0, 1000.0
        ),
        Param("weighting", "rating", "Value of each observed pair: 1, or its rating.", choices=("binary", "rating")),
        Param("max_iter", 10, "Alternating least squares sweeps.", 1, 100),
        Param("seed", 0, "Seed of the random initialisation.", 0, 2**31 - 1),
    ),
    fit_mllib_als,
    default_on=False,
)


@contextmanager
def offered() -> Iterator[None]:
    """Within the block, :data:`~retention.recommend.models.MODELS` offers ``mllib_als`` (the Spark engine is in
    use); it is taken out again after, so that nothing on DuckDB ever lists it."""
    added = NAME not in models.MODELS
    if added:
        models.MODELS.add(NAME, SPEC)
    try:
        yield
    finally:
        if added:
            models.MODELS.remove(NAME)
