"""The content-based recommender: TF-IDF vectors of product text against each customer's recent profile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from surprise.trainset import Trainset

from retention import schema
from retention.errors import DataError
from retention.recommend.feedback import Feedback
from retention.recommend.models import (
    FittedModel,
    Param,
    catalogue,
    known_users,
    pair_matrix,
    popularity_counts,
    register,
)

TEXT_COLUMNS = ("title", "category", "brand", "description")
NO_TEXT = (
    "the content model needs product text: none of the trained items has a title, category, brand "
    "or description in the products table; import products (or orders with a title column) to use it"
)


def needs_product_text(train: Feedback, products: pd.DataFrame | None) -> str | None:
    """The content model's need: some trained item has a title, category, brand or description."""
    texts = item_texts(products, catalogue(train))
    return None if texts.str.contains(r"\w", regex=True).any() else NO_TEXT


class ContentModel(FittedModel):
    """Cosine similarity between TF-IDF item vectors and each user's recency-weighted profile.

    Items outside the candidate pool score their cosine minus 2, so they rank
    after every candidate (cosines of TF-IDF vectors lie in [0, 1]).
    """

    def __init__(
        self,
        items: pd.Index,
        users: pd.Index,
        item_vectors: sp.csr_matrix,
        profiles: sp.csr_matrix,
        candidate: np.ndarray,
    ) -> None:
        self.items, self.users = items, users
        self.item_vectors, self.profiles, self.candidate = item_vectors, profiles, candidate

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        rows = self.users.get_indexer(user_ids)
        cosine = np.asarray((self.profiles[rows] @ self.item_vectors.T).todense())
        return np.where(self.candidate, cosine, cosine - 2.0)


def candidate_pool(popularity: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` most popular items (ties at the boundary all included); share 1: all."""
    if share >= 1.0 or popularity.size == 0:
        return np.ones(popularity.size, dtype=bool)
    n_pool = max(1, int(np.ceil(share * popularity.size)))
    threshold = np.sort(popularity)[::-1][n_pool - 1]
    return popularity >= threshold


def item_texts(products: pd.DataFrame | None, items: pd.Index) -> pd.Series:
    """Title, category, brand and description of each catalogue item joined into one text ('' when unknown)."""
    if products is None or products.empty:
        return pd.Series("", index=items)
    table = products.drop_duplicates(schema.COL_ITEM).set_index(schema.COL_ITEM).reindex(items)
    parts = [table[column].fillna("").astype(str) for column in TEXT_COLUMNS if column in table]
    return pd.concat(parts, axis=1).agg(" ".join, axis=1).str.strip()


def item_vectors(texts: pd.Series, max_features: int = 5000, ngram_max: int = 1) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows, one per text (an all-zero row for an empty text).

    Raises
    ------
    DataError
        No text has a word in it.
    """
    if not texts.str.contains(r"\w", regex=True).any():
        raise DataError(NO_TEXT)
    from sklearn.feature_extraction.text import TfidfVectorizer  # seconds to import: only where it runs

    vectorizer = TfidfVectorizer(max_features=max_features, ngram_range=(1, ngram_max), sublinear_tf=True)
    return vectorizer.fit_transform(texts.tolist()).tocsr()


def recency_weights(train: Feedback, half_life_days: float, min_rating: float) -> np.ndarray:
    """Weight of each feedback row in its user's profile.

    ``w = 0.5 ** (age_days / half_life_days)`` for rows rated at least
    ``min_rating``, else 0; ``age_days`` is the time from the row's last
    interaction to the latest interaction in ``train`` (0 when unknown).
    """
    frame = train.frame
    latest = frame[schema.COL_TS].max()
    age = ((latest - frame[schema.COL_TS]).dt.total_seconds() / 86_400).fillna(0.0).to_numpy(dtype=float)
    liked = frame[schema.COL_RATING].to_numpy(dtype=float) >= min_rating
    return np.where(liked, 0.5 ** (age / half_life_days), 0.0)


@register(
    "content",
    "Content-based (TF-IDF)",
    "content",
    "Recommends items whose title, category, brand and description resemble what the customer bought or rated well "
    "recently.",
    (
        Param("half_life_days", 90.0, "An interaction this many days old counts half in the profile.", 1.0, 3650.0),
        Param(
            "min_rating",
            2.0,
            "Only items rated at least this enter the profile (implicit: 2 = bought and kept).",
            0.0,
            10.0,
        ),
        Param("max_features", 5000, "Vocabulary size of the TF-IDF vectors.", 10, 100_000),
        Param("ngram_max", 1, "Longest word sequence used as a term (1 = single words, 2 = also pairs).", 1, 3),
        Param(
            "candidate_share",
            0.25,
            "Candidate filtering: rank the most popular share of the catalogue first (1 = no filtering). "
            "Text alone ignores what sells; this keeps lists to items customers actually buy.",
            0.01,
            1.0,
        ),
    ),
    needs=(needs_product_text,),
)
def _fit_content(
    train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None
) -> FittedModel:
    items, users = catalogue(train), known_users(train)
    vectors = item_vectors(item_texts(products, items), params["max_features"], params["ngram_max"])
    weights = pair_matrix(
        train.frame, users, items, recency_weights(train, params["half_life_days"], params["min_rating"])
    )
    from sklearn.preprocessing import normalize  # seconds to import: only where it runs

    profiles = normalize(weights @ vectors)
    candidate = candidate_pool(popularity_counts(train, items), params["candidate_share"])
    return ContentModel(items, users, vectors, sp.csr_matrix(profiles), candidate)
