"""Offline metrics of recommendations: pure functions of arrays, each with its formula.

Ranking metrics take a hit matrix: ``hits[u, r]`` is true when the item at
rank ``r`` (0-based) of user ``u``'s top-K list is relevant, i.e. the user
interacted with it in the test data and not in training. ``n_relevant[u]`` is
the number of relevant items of user ``u`` (at least 1 for every user scored).
Each metric is the mean over users of a per-user value.

:data:`METRICS` describes every metric (label, direction, plain-language
meaning) for the leaderboard; :func:`metric` registers one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from retention.registry import Registry


@dataclass(frozen=True)
class MetricInfo:
    """A leaderboard column: ``higher_is_better`` decides which value is highlighted as best."""

    name: str
    label: str
    higher_is_better: bool
    explanation: str


METRICS: Registry[MetricInfo] = Registry("metric")


def metric(name: str, label: str, higher_is_better: bool, explanation: str) -> Callable[[Callable], Callable]:
    """Register the decorated metric function's description under ``name`` in :data:`METRICS`."""
    return METRICS.register(name, make=lambda function: MetricInfo(name, label, higher_is_better, explanation))


def _discounts(k: int) -> np.ndarray:
    """``1 / log2(r + 2)`` for ranks ``r = 0 .. k-1``."""
    return 1.0 / np.log2(np.arange(k) + 2.0)


@metric("rmse", "RMSE", False, "Typical error of a predicted rating, in rating points; big misses count extra.")
def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error: ``sqrt(mean((actual - predicted)^2))``, in rating units, >= 0."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


@metric("mae", "MAE", False, "Average distance between the predicted and the actual rating, in rating points.")
def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error: ``mean(|actual - predicted|)``, in rating units, >= 0."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return float(np.mean(np.abs(actual - predicted)))


def precision_per_user(hits: np.ndarray) -> np.ndarray:
    """Per-user precision at K: ``(sum_r hits[u, r]) / K``, in [0, 1]."""
    hits = np.asarray(hits, dtype=bool)
    return hits.sum(axis=1) / hits.shape[1]


def recall_per_user(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per-user recall at K: ``(sum_r hits[u, r]) / n_relevant[u]``, in [0, 1]."""
    return np.asarray(hits, dtype=bool).sum(axis=1) / np.asarray(n_relevant, dtype=float)


def ndcg_per_user(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per-user NDCG at K: ``DCG_u / IDCG_u`` (see :func:`ndcg_at_k`), in [0, 1]."""
    hits = np.asarray(hits, dtype=bool)
    discounts = _discounts(hits.shape[1])
    ideal_length = np.minimum(np.asarray(n_relevant), hits.shape[1]).astype(int)
    idcg = np.concatenate([[0.0], np.cumsum(discounts)])[ideal_length]
    return (hits @ discounts) / idcg


def ap_per_user(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per-user average precision at K: ``AP_u`` (see :func:`map_at_k`), in [0, 1]."""
    hits = np.asarray(hits, dtype=bool)
    precision_at_rank = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    return (precision_at_rank * hits).sum(axis=1) / np.minimum(np.asarray(n_relevant), hits.shape[1])


def hit_per_user(hits: np.ndarray) -> np.ndarray:
    """Per-user hit at K: 1.0 when any of the K items is relevant, else 0.0."""
    return np.asarray(hits, dtype=bool).any(axis=1).astype(float)


@metric("precision_at_k", "Precision@K", True, "Share of the K recommended items the customer went on to buy.")
def precision_at_k(hits: np.ndarray) -> float:
    """Precision at K: ``mean_u (sum_r hits[u, r]) / K``, in [0, 1]; K is the list length (hits.shape[1])."""
    return float(np.mean(precision_per_user(hits)))


@metric("recall_at_k", "Recall@K", True, "Share of what the customer went on to buy that the K items caught.")
def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> float:
    """Recall at K: ``mean_u (sum_r hits[u, r]) / n_relevant[u]``, in [0, 1]."""
    return float(np.mean(recall_per_user(hits, n_relevant)))


@metric("ndcg_at_k", "NDCG@K", True, "Like recall, but a hit near the top of the list counts more (1 = perfect order).")
def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> float:
    """Normalised discounted cumulative gain at K, in [0, 1].

    ``DCG_u = sum_r hits[u, r] / log2(r + 2)`` (r 0-based),
    ``IDCG_u = sum_{r < min(n_relevant[u], K)} 1 / log2(r + 2)``,
    ``NDCG = mean_u DCG_u / IDCG_u``.
    """
    return float(np.mean(ndcg_per_user(hits, n_relevant)))


@metric("map_at_k", "MAP@K", True, "Average precision at each hit: rewards lists that put the hits first.")
def map_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> float:
    """Mean average precision at K, in [0, 1].

    ``AP_u = (sum_r hits[u, r] * P_u@(r+1)) / min(n_relevant[u], K)`` where
    ``P_u@n = (sum_{s < n} hits[u, s]) / n``; ``MAP = mean_u AP_u``.
    """
    return float(np.mean(ap_per_user(hits, n_relevant)))


@metric("hit_rate", "Hit rate", True, "Share of customers with at least one recommended item among their purchases.")
def hit_rate(hits: np.ndarray) -> float:
    """Hit rate at K: ``mean_u [sum_r hits[u, r] > 0]``, in [0, 1]."""
    return float(np.mean(hit_per_user(hits)))


def per_user(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Every ranking metric of :data:`RANKING_METRICS`, one value per user (row of ``hits``); each metric is the mean
    of its array."""
    return {
        "precision_at_k": precision_per_user(hits),
        "recall_at_k": recall_per_user(hits, n_relevant),
        "ndcg_at_k": ndcg_per_user(hits, n_relevant),
        "map_at_k": ap_per_user(hits, n_relevant),
        "hit_rate": hit_per_user(hits),
    }


@metric("coverage", "Coverage", True, "Share of the catalogue that appears in at least one customer's list.")
def coverage(recommended: np.ndarray, n_items: int) -> float:
    """Catalogue coverage: ``|distinct recommended items| / n_items``, in [0, 1]; ``-1`` marks an empty slot."""
    recommended = np.asarray(recommended)
    return float(np.unique(recommended[recommended >= 0]).size / n_items)


@metric("novelty", "Novelty", True, "How unfamiliar the recommended items are (bits; popular items score low).")
def novelty(recommended: np.ndarray, popularity: np.ndarray) -> float:
    """Mean self-information of the recommended items, in bits, >= 0.

    ``novelty = mean over filled slots of -log2(p_i)``, where ``p_i`` is the
    share of training users who interacted with item ``i`` (``popularity``,
    indexed by item, every entry > 0). ``-1`` marks an empty slot and is skipped.
    """
    recommended = np.asarray(recommended)
    filled = recommended[recommended >= 0]
    return float(np.mean(-np.log2(np.asarray(popularity, dtype=float)[filled]))) if filled.size else float("nan")


@metric(
    "diversity",
    "Diversity",
    True,
    "How different the items in one list are from each other (0 = all alike, 1 = unrelated).",
)
def diversity(recommended: np.ndarray, item_vectors) -> float:
    """Intra-list diversity, in [0, 1] for non-negative vectors.

    ``ILD_u = 1 - (sum_{i != j in L_u} cos(v_i, v_j)) / (n_u (n_u - 1))`` over
    the filled slots ``L_u`` of each list (``n_u >= 2``), averaged over users.
    ``item_vectors`` (rows L2-normalised, dense or sparse) describe items;
    with ``s_u = sum_{i in L_u} v_i`` the pair sum is ``|s_u|^2 - sum_i |v_i|^2``.
    """
    recommended = np.asarray(recommended)
    rows, slots = np.nonzero(recommended >= 0)
    items = recommended[rows, slots]
    n_users = recommended.shape[0]
    membership = sp.csr_matrix((np.ones(items.size), (rows, items)), shape=(n_users, item_vectors.shape[0]))
    sums = membership @ item_vectors
    squared_sum = np.asarray(sums.multiply(sums).sum(axis=1) if sp.issparse(sums) else (sums**2).sum(axis=1)).ravel()
    vectors = item_vectors[items]
    norms = np.asarray(vectors.multiply(vectors).sum(axis=1) if sp.issparse(vectors) else (vectors**2).sum(axis=1))
    own = np.bincount(rows, weights=norms.ravel(), minlength=n_users)
    counts = np.bincount(rows, minlength=n_users)
    usable = counts >= 2
    if not usable.any():
        return float("nan")
    mean_similarity = (squared_sum[usable] - own[usable]) / (counts[usable] * (counts[usable] - 1))
    return float(np.mean(1.0 - mean_similarity))


@metric("popular_share", "Top-10% share", False, "Share of recommendations drawn from the 10% most popular items.")
def popular_share(recommended: np.ndarray, popularity: np.ndarray, top_share: float = 0.1) -> float:
    """Share of filled slots whose item is among the ``ceil(top_share * n_items)`` most popular, in [0, 1].

    Popularity ties at the boundary are broken by the lower item index.
    """
    popularity = np.asarray(popularity, dtype=float)
    n_top = int(np.ceil(top_share * popularity.size))
    order = np.lexsort((np.arange(popularity.size), -popularity))
    is_top = np.zeros(popularity.size, dtype=bool)
    is_top[order[:n_top]] = True
    recommended = np.asarray(recommended)
    filled = recommended[recommended >= 0]
    return float(is_top[filled].mean()) if filled.size else float("nan")


def hit_matrix(recommended: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """``hits[u, r] = relevant[u, recommended[u, r]]`` as bool; slots holding ``-1`` are never hits.

    ``relevant`` is a users x items sparse matrix whose non-zeros mark relevant items.
    """
    recommended = np.asarray(recommended)
    safe = np.where(recommended >= 0, recommended, 0)
    rows = np.repeat(np.arange(recommended.shape[0]), recommended.shape[1])
    found = np.asarray(relevant[rows, safe.ravel()]).reshape(recommended.shape) != 0
    return found & (recommended >= 0)


# Which metrics the leaderboard shows, in order, and the run timings next to them.
RATING_METRICS = ("rmse", "mae")
RANKING_METRICS = ("precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "hit_rate")
BEYOND_ACCURACY = ("coverage", "novelty", "diversity", "popular_share")
METRIC_NAMES = RATING_METRICS + RANKING_METRICS + BEYOND_ACCURACY
TIMINGS = {
    "fit_seconds": MetricInfo("fit_seconds", "Fit time (s)", False, "Seconds to train the model on the training data."),
    "score_seconds": MetricInfo(
        "score_seconds", "Scoring time (s)", False, "Seconds to score every catalogue item for every test customer."
    ),
}
