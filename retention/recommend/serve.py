"""Recommendations for real users: a model fitted on all feedback, with a popularity fallback for unknown users."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention import schema, warehouse
from retention.errors import DataError
from retention.recommend import feedback as fb
from retention.recommend import models, topk
from retention.recommend.modes import DISCOVERY, REPEAT, checked_mode

RECOMMENDATION_COLUMNS = ("user_id", "rank", "item_id", "title", "score", "source")
BLOCK = 512  # users scored at once: bounds memory at BLOCK x catalogue floats


@dataclass(frozen=True)
class Recommender:
    """A model fitted on all feedback, ready to recommend.

    ``popularity`` holds, per catalogue item, the number of users who
    interacted with it: the list unknown users get. ``mode`` is the mode of the run it serves
    (see :mod:`retention.recommend.choice`): ``'discovery'`` lists never hold an item the customer interacted
    with, ``'repeat'`` lists may ("buy again"). Recommenders pickled before modes were kept read as discovery.
    """

    name: str
    params: dict
    model: models.FittedModel
    feedback: fb.Feedback
    products: pd.DataFrame
    popularity: np.ndarray
    mode: str = DISCOVERY

    def recommend(self, user_ids: Sequence[str], k: int = 5, exclude: pd.DataFrame | None = None) -> pd.DataFrame:
        """Top-``k`` items per user, excluding items the user already interacted with unless the recommender is
        repeat-aware (``mode`` ``'repeat'``).

        ``exclude`` (``user_id``, ``item_id``) lists further pairs never to
        recommend, e.g. purchases of unrated items when the feedback is ratings.

        Returns
        -------
        DataFrame
            ``user_id``, ``rank`` (1 = best), ``item_id``, ``title`` (None when
            the products table lacks it), ``score`` (the model's score, or the
            number of customers for popularity; higher is better) and
            ``source``: ``'model'``, or ``'popular'`` for users the model does
            not know. Users appear in the order given, each at most once; a
            user gets fewer than ``k`` rows when fewer items are left.
        """
        if k < 1:
            raise DataError(f"K must be at least 1, got {k}")
        users = pd.Index(pd.unique(pd.Series(list(user_ids), dtype="string")), name=schema.COL_USER)
        items = self.model.items
        is_known = self.model.users.get_indexer(users) >= 0
        pairs = self.feedback.frame[[schema.COL_USER, schema.COL_ITEM]]
        if self.mode == REPEAT:
            pairs = pairs.iloc[:0]
        if exclude is not None:
            pairs = pd.concat([pairs, exclude[[schema.COL_USER, schema.COL_ITEM]].astype("string")])
        pairs = pairs[pairs[schema.COL_USER].isin(users) & pairs[schema.COL_ITEM].isin(items)]
        seen = models.pair_matrix(pairs, users, items)
        list_length = min(k, len(items))
        indices = np.full((len(users), list_length), -1)
        values = np.full((len(users), list_length), np.nan)
        for start in range(0, len(users), BLOCK):
            block = slice(start, start + BLOCK)
            scores = np.tile(self.popularity, (len(users[block]), 1))
            known = is_known[block]
            if known.any():
                scores[known] = self.model.scores(list(users[block][known]))
            indices[block], values[block] = topk.top_k(scores, list_length, seen[block])
        rows, slots = np.nonzero(indices >= 0)
        titles = self.products.drop_duplicates(schema.COL_ITEM).set_index(schema.COL_ITEM)["title"]
        item_ids = items[indices[rows, slots]]
        table = pd.DataFrame(
            {
                "user_id": users[rows],
                "rank": slots + 1,
                "item_id": item_ids,
                "title": titles.reindex(item_ids).to_numpy(),
                "score": values[rows, slots],
                "source": np.where(is_known[rows], "model", "popular"),
            }
        )
        return table.astype({"title": "string", "source": "string"})


def fit_recommender(
    con: duckdb.DuckDBPyConnection,
    model: str,
    params: Mapping[str, object] | None = None,
    feedback: str | None = None,
    weights: fb.Weights | None = None,
    mode: str = DISCOVERY,
) -> Recommender:
    """Fit ``model`` with ``params`` on all feedback of source ``feedback`` (with the combined source's
    ``weights``; None: the source with the most rows) in the warehouse, to recommend in ``mode``."""
    feedback_rows = fb.load_feedback(con, kind=feedback, weights=weights)
    return fit_on(feedback_rows, fb.products(con), model, params, mode=mode)


def fit_on(
    feedback: fb.Feedback,
    products: pd.DataFrame,
    model: str,
    params: Mapping[str, object] | None = None,
    *,
    mode: str = DISCOVERY,
) -> Recommender:
    """Fit ``model`` with ``params`` on ``feedback`` (all of it, read once for several models), to recommend in
    ``mode`` (``'discovery'`` or ``'repeat'``)."""
    checked_mode(mode, "recommendation")
    fitted = models.fit_model(model, feedback, params, products)
    popularity = models.popularity_counts(feedback, fitted.items)
    return Recommender(model, models.resolve_params(model, params), fitted, feedback, products, popularity, mode)


def recommend(
    con: duckdb.DuckDBPyConnection, recommender: Recommender, user_ids: Sequence[str], k: int = 5
) -> pd.DataFrame:
    """:meth:`Recommender.recommend`, also excluding everything the users bought or rated according to the warehouse
    (unless the recommender is repeat-aware: then past items may be listed)."""
    users = [str(user) for user in user_ids]
    if recommender.mode == REPEAT:
        return recommender.recommend(users, k)
    bought = warehouse.query(con, "recommend_user_items", {"user_ids": users})
    return recommender.recommend(users, k, exclude=bought)
