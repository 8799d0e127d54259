"""Fast top-K: score every item for many users with numpy, then keep the K best with ``argpartition``.

Surprise's ``predict`` is one Python call per user-item pair. The scorers in
:data:`SCORERS` compute the same estimates (unclipped, as
``predict(..., clip=False)``) from a fitted algorithm's parameters: biases and
factors for SVD, SVD++, NMF and BaselineOnly; the similarity matrix for the
item-based k-NN models; deviations for Slope One; cluster means for
co-clustering. :func:`pairwise_scores` is the per-pair loop they are checked
against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from surprise import NMF, SVD, BaselineOnly, CoClustering, KNNBaseline, KNNWithMeans, SlopeOne, SVDpp
from surprise.prediction_algorithms.algo_base import AlgoBase

Scorer = Callable[[AlgoBase, np.ndarray], np.ndarray]
KNN_BLOCK_CELLS = 4_000_000  # similarity cells (32 MB) a k-NN scorer gathers at once
SCORERS: dict[type, Scorer] = {}


def scorer(*algorithm_types: type) -> Callable[[Scorer], Scorer]:
    """Register the decorated function as the numpy scorer of the given Surprise algorithm classes."""

    def register(function: Scorer) -> Scorer:
        for algorithm_type in algorithm_types:
            SCORERS[algorithm_type] = function
        return function

    return register


def top_k(scores: np.ndarray, k: int, exclude: sp.spmatrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring columns of each row, best first.

    Ties are broken by the lower column index. Columns marked (non-zero) in
    ``exclude`` (same shape as ``scores``) and NaN scores are never chosen.

    Returns
    -------
    (indices, values)
        Both of shape ``(rows, k)``: column indices (int, ``-1`` in slots
        left empty because fewer than ``k`` columns are eligible) and their
        scores (NaN in empty slots).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    scores = np.array(scores, dtype=float)
    scores[np.isnan(scores)] = -np.inf
    if exclude is not None:
        rows, cols = sp.coo_matrix(exclude).nonzero()
        scores[rows, cols] = -np.inf
    n_rows, n_cols = scores.shape
    kk = min(k, n_cols)
    if n_rows == 0 or kk == 0:
        return np.full((n_rows, k), -1), np.full((n_rows, k), np.nan)
    if kk < n_cols:
        chosen = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        chosen = _resolve_boundary_ties(scores, chosen)
    else:
        chosen = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    values = np.take_along_axis(scores, chosen, axis=1)
    order = np.lexsort((chosen, -values), axis=1)
    indices = np.take_along_axis(chosen, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    empty = np.isneginf(values)
    indices = np.where(empty, -1, indices)
    values = np.where(empty, np.nan, values)
    if kk < k:
        pad = ((0, 0), (0, k - kk))
        indices = np.pad(indices, pad, constant_values=-1)
        values = np.pad(values, pad, constant_values=np.nan)
    return indices, values


def _resolve_boundary_ties(scores: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Make ``argpartition``'s pick deterministic: among columns tied with the K-th score, keep the lowest indices."""
    kk = chosen.shape[1]
    picked = np.take_along_axis(scores, chosen, axis=1)
    kth = picked.min(axis=1, keepdims=True)
    tied_picked = (picked == kth).sum(axis=1)
    tied_all = (scores == kth).sum(axis=1)
    fix = np.nonzero(tied_all > tied_picked)[0]
    if fix.size == 0:
        return chosen
    block, block_kth = scores[fix], kth[fix]
    tied = block == block_kth
    keep_tied = tied & (np.cumsum(tied, axis=1) <= tied_picked[fix, None])
    selected = (block > block_kth) | keep_tied
    chosen = chosen.copy()
    chosen[fix] = np.nonzero(selected)[1].reshape(fix.size, kk)
    return chosen


def surprise_scores(algo: AlgoBase, inner_users: Sequence[int]) -> np.ndarray:
    """Unclipped estimates of every trainset item for the given inner user ids.

    Returns a float array of shape ``(len(inner_users), n_items)`` whose
    column ``i`` is inner item ``i``; equal (up to float rounding) to
    ``algo.predict(uid, iid, clip=False).est``. Algorithms without a numpy
    scorer fall back to :func:`pairwise_scores`.
    """
    inner_users = np.asarray(inner_users, dtype=int)
    function = SCORERS.get(type(algo), pairwise_scores)
    return function(algo, inner_users)


def pairwise_scores(algo: AlgoBase, inner_users: np.ndarray) -> np.ndarray:
    """The reference: one ``algo.predict(..., clip=False)`` call per user and item (slow)."""
    trainset = algo.trainset
    raw_items = [trainset.to_raw_iid(i) for i in trainset.all_items()]
    out = np.empty((len(inner_users), len(raw_items)))
    for row, inner in enumerate(inner_users):
        uid = trainset.to_raw_uid(int(inner))
        out[row] = [algo.predict(uid, iid, clip=False).est for iid in raw_items]
    return out


def _user_ratings(algo: AlgoBase, user: int) -> tuple[np.ndarray, np.ndarray]:
    """Inner item ids and ratings of one user, in the trainset's order (the order Surprise's k-NN ties follow)."""
    pairs = np.array(algo.trainset.ur[user], dtype=float).reshape(-1, 2)
    return pairs[:, 0].astype(int), pairs[:, 1]


@scorer(SVD, NMF)
def _factor_scores(algo: SVD | NMF, users: np.ndarray) -> np.ndarray:
    """``mu + b_u + b_i + q_i . p_u`` (biased) or ``q_i . p_u`` (unbiased)."""
    dots = algo.pu[users] @ algo.qi.T
    if not algo.biased:
        return dots
    return (algo.trainset.global_mean + algo.bu[users])[:, None] + algo.bi[None, :] + dots


@scorer(SVDpp)
def _svdpp_scores(algo: SVDpp, users: np.ndarray) -> np.ndarray:
    """``mu + b_u + b_i + q_i . (p_u + |I_u|^-1/2 sum_{j in I_u} y_j)``."""
    implicit = np.empty((users.size, algo.qi.shape[1]))
    for row, user in enumerate(users):
        items, _ = _user_ratings(algo, user)
        implicit[row] = algo.yj[items].sum(axis=0) / np.sqrt(items.size)
    return (
        (algo.trainset.global_mean + algo.bu[users])[:, None]
        + algo.bi[None, :]
        + (algo.pu[users] + implicit) @ algo.qi.T
    )


@scorer(BaselineOnly)
def _baseline_scores(algo: BaselineOnly, users: np.ndarray) -> np.ndarray:
    """``mu + b_u + b_i``."""
    return (algo.trainset.global_mean + algo.bu[users])[:, None] + algo.bi[None, :]


@scorer(CoClustering)
def _coclustering_scores(algo: CoClustering, users: np.ndarray) -> np.ndarray:
    """``avg(C_u, C_i) + mean_u - avg(C_u) + mean_i - avg(C_i)`` over user cluster C_u and item cluster C_i."""
    user_clusters = np.asarray(algo.cltr_u)[users]
    item_clusters = np.asarray(algo.cltr_i)
    cocluster = np.asarray(algo.avg_cocltr)[user_clusters][:, item_clusters]
    user_part = np.asarray(algo.user_mean)[users] - np.asarray(algo.avg_cltr_u)[user_clusters]
    item_part = np.asarray(algo.item_mean) - np.asarray(algo.avg_cltr_i)[item_clusters]
    return cocluster + user_part[:, None] + item_part[None, :]


@scorer(SlopeOne)
def _slope_one_scores(algo: SlopeOne, users: np.ndarray) -> np.ndarray:
    """``mean_u + mean_{j in R_i(u)} dev(i, j)``, R_i(u): items of u rated together with i by someone."""
    out = np.empty((users.size, algo.trainset.n_items))
    user_mean = np.asarray(algo.user_mean)
    for row, user in enumerate(users):
        items, _ = _user_ratings(algo, user)
        # Rows instead of columns (faster to gather): freq is symmetric and dev antisymmetric, exactly.
        related = algo.freq[items] > 0
        count = related.sum(axis=0)
        total = -np.where(related, algo.dev[items], 0.0).sum(axis=0)  # dev is NaN where freq is 0
        out[row] = user_mean[user] + np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return out


def _item_knn_scores(algo: KNNBaseline | KNNWithMeans, users: np.ndarray, centred: Callable) -> np.ndarray:
    """Item-based k-NN: ``base(u, i) + sum_j s_ij d_uj / sum_j s_ij`` over the k most similar items j of u (s_ij > 0).

    ``centred(user, items, ratings)`` returns ``(base, d)``: the estimate
    without neighbours for every item and the centred ratings of the user's
    items. Works on the ``(user's items) x (all items)`` block of the
    similarity matrix (rows gathered, as the matrix is symmetric).
    """
    if algo.sim_options["user_based"]:
        raise ValueError("the numpy scorer covers item-based k-NN only; use pairwise_scores for user-based")
    n_items = algo.trainset.n_items
    out = np.empty((users.size, n_items))
    for row, user in enumerate(users):
        items, ratings = _user_ratings(algo, user)
        base, deviations = centred(user, items, ratings)
        stacked = np.vstack([deviations, np.ones(items.size)])
        width = max(1, KNN_BLOCK_CELLS // items.size)  # heavy users: a few item columns at a time, bounded memory
        for start in range(0, n_items, width):
            columns = slice(start, start + width)
            sims = algo.sim[items] if width >= n_items else algo.sim[items, columns]
            neighbours = _positive_nearest(sims, algo.k)
            weights = np.where(neighbours, sims, 0.0)
            sum_ratings, sum_sim = stacked @ weights
            if algo.min_k > 1:  # with min_k = 1, no neighbour means sum_sim = 0 and the estimate is the base anyway
                sum_ratings[neighbours.sum(axis=0) < algo.min_k] = 0.0
            divided = np.divide(sum_ratings, sum_sim, out=np.zeros_like(sum_sim), where=sum_sim != 0)
            out[row, columns] = base[columns] + divided
    return out


def _positive_nearest(sims: np.ndarray, k: int) -> np.ndarray:
    """Mask of the entries of each column that are among its ``k`` largest and positive.

    The neighbour set of Surprise's stable ``heapq.nlargest`` (ties at the
    boundary go to the earlier rows, i.e. the user's earlier ratings),
    restricted to positive similarities. A column with at most ``k`` positive
    entries keeps them all (threshold: the smallest positive float); the
    others need ``np.partition`` for their k-th largest value as threshold,
    and only those with surplus ties at it a tie-break.
    """
    positive = sims > 0
    n_rows = sims.shape[0]
    if n_rows <= k:
        return positive
    crowded = np.nonzero(positive.sum(axis=0) > k)[0]
    if crowded.size == 0:
        return positive
    threshold = np.full(sims.shape[1], np.nextafter(0.0, 1.0))
    threshold[crowded] = np.partition(sims[:, crowded], n_rows - k, axis=0)[n_rows - k]
    keep = sims >= threshold
    surplus = crowded[keep[:, crowded].sum(axis=0) > k]
    if surplus.size:
        columns, column_kth = sims[:, surplus], threshold[surplus]
        greater = columns > column_kth
        tied = columns == column_kth
        room = k - greater.sum(axis=0)
        keep[:, surplus] = greater | (tied & (np.cumsum(tied, axis=0) <= room))
    return keep


@scorer(KNNBaseline)
def _knn_baseline_scores(algo: KNNBaseline, users: np.ndarray) -> np.ndarray:
    """Item-based KNNBaseline: centred ratings ``r_uj - (mu + b_j + b_u)`` around ``mu + b_u + b_i``."""
    mu = algo.trainset.global_mean

    def centred(user, items, ratings):
        return mu + algo.bu[user] + algo.bi, ratings - (mu + algo.bi[items] + algo.bu[user])

    return _item_knn_scores(algo, users, centred)


@scorer(KNNWithMeans)
def _knn_means_scores(algo: KNNWithMeans, users: np.ndarray) -> np.ndarray:
    """Item-based KNNWithMeans: centred ratings ``r_uj - mean_j`` around ``mean_i``."""

    def centred(user, items, ratings):
        return algo.means, ratings - algo.means[items]

    return _item_knn_scores(algo, users, centred)
