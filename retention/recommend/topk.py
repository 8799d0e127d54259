"""Fast top-K: score every item for many users with numpy, then keep the K best.

Surprise's ``predict`` is one Python call per user-item pair. The scorers in
:data:`SCORERS` compute the same estimates (unclipped, as
``predict(..., clip=False)``, which is what rankings use) from a fitted
algorithm's parameters: biases and factors for SVD, SVD++, NMF and
BaselineOnly; the similarity matrix for the item-based k-NN models (the same
neighbours as Surprise's ``heapq.nlargest``, ties included, with its ``min_k``
rule and its fallback to the baseline or mean); deviations for Slope One;
cluster means for co-clustering. Estimates equal Surprise's up to float
rounding (sums are taken in another order). :func:`pairwise_scores` is the
per-pair loop they are checked against. :func:`top_k` finds each row's K-th
score with ``np.partition`` and orders the few columns at or above it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from surprise import NMF, SVD, BaselineOnly, CoClustering, KNNBaseline, KNNWithMeans, SlopeOne, SVDpp
from surprise.prediction_algorithms.algo_base import AlgoBase

from retention.registry import Registry

Scorer = Callable[[AlgoBase, np.ndarray], np.ndarray]
KNN_BLOCK_CELLS = 500_000  # similarity cells (4 MB) a k-NN scorer gathers for a block of users (cache-sized)
KNN_USER_CELLS = 2_000_000  # cells (16 MB) of one heavy user gathered whole; beyond, a few item columns at a time
PARTITION_ROWS = 64  # rows :func:`top_k` partitions at once (bigger blocks of temporaries were slower, not faster)
SCORERS: Registry[Scorer] = Registry("numpy scorer")  # keyed by :func:`algorithm_key`


def algorithm_key(algorithm_type: type) -> str:
    """The :data:`SCORERS` key of a Surprise algorithm class: its dotted path, so only that exact class matches."""
    return f"{algorithm_type.__module__}.{algorithm_type.__qualname__}"


def scorer(*algorithm_types: type) -> Callable[[Scorer], Scorer]:
    """Register the decorated function in :data:`SCORERS` as the numpy scorer of the given Surprise algorithm classes."""

    def register(function: Scorer) -> Scorer:
        for algorithm_type in algorithm_types:
            SCORERS.add(algorithm_key(algorithm_type), function)
        return function

    return register


def top_k(scores: np.ndarray, k: int, exclude: sp.spmatrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring columns of each row, best first.

    Ties are broken by the lower column index. Columns marked (non-zero) in
    ``exclude`` (same shape as ``scores``) and NaN scores are never chosen.
    Each row's k-th largest score comes from ``np.partition`` (values only);
    the columns scoring at least that much (k of them, more on ties) are
    then ordered by (-score, column).

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
    indices, values = np.full((n_rows, k), -1), np.full((n_rows, k), np.nan)
    kk = min(k, n_cols)
    if n_rows == 0 or kk == 0:
        return indices, values
    if kk < n_cols:
        kth = np.empty((n_rows, 1))
        for start in range(0, n_rows, PARTITION_ROWS):  # small temporaries, whatever block of rows the caller passes
            block = scores[start : start + PARTITION_ROWS]
            kth[start : start + PARTITION_ROWS, 0] = np.partition(block, n_cols - kk, axis=1)[:, n_cols - kk]
        candidates = (scores >= kth) & (scores > -np.inf)
    else:
        candidates = scores > -np.inf
    flat = np.flatnonzero(candidates)
    row, col = np.divmod(flat, n_cols)
    score = scores.reshape(-1)[flat]
    order = np.lexsort((col, -score, row))
    row, col, score = row[order], col[order], score[order]
    counts = np.bincount(row, minlength=n_rows)
    rank = np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = rank < kk
    indices[row[keep], rank[keep]] = col[keep]
    values[row[keep], rank[keep]] = score[keep]
    return indices, values


def surprise_scores(algo: AlgoBase, inner_users: Sequence[int]) -> np.ndarray:
    """Unclipped estimates of every trainset item for the given inner user ids.

    Returns a float array of shape ``(len(inner_users), n_items)`` whose
    column ``i`` is inner item ``i``; equal (up to float rounding) to
    ``algo.predict(uid, iid, clip=False).est``. Algorithms without a numpy
    scorer fall back to :func:`pairwise_scores`.
    """
    inner_users = np.asarray(inner_users, dtype=int)
    function = SCORERS.get(algorithm_key(type(algo)), pairwise_scores)
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


def _item_knn_scores(
    algo: KNNBaseline | KNNWithMeans,
    users: np.ndarray,
    base: Callable[[np.ndarray, slice], np.ndarray],
    deviations: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Item-based k-NN: ``base(u, i) + sum_j s_ij d_uj / sum_j s_ij`` over the k most similar items j of u (s_ij > 0).

    ``base(users, columns)`` is the estimate without neighbours (users x
    items in ``columns``); ``deviations(owners, items, ratings)`` centres the
    ratings (one entry per rating; ``owners`` is the user of each). Users are
    taken in blocks of similar rating counts (see :func:`_knn_blocks`): a
    block gathers the ``users x items x (user's rated items)`` tensor of
    similarities into buffers reused across blocks (padded with zeros, which
    are never neighbours), marks each item's neighbours with
    :func:`_neighbour_mask`, zeroes the others and sums with two batched
    matrix-vector products. As in Surprise: fewer than ``min_k`` neighbours
    adds nothing, no neighbour at all leaves the base.
    """
    if algo.sim_options["user_based"]:
        raise ValueError("the numpy scorer covers item-based k-NN only; use pairwise_scores for user-based")
    ur, n_items = algo.trainset.ur, algo.trainset.n_items
    out = np.empty((users.size, n_items))
    sizes = np.array([len(ur[user]) for user in users], dtype=np.intp)
    order = np.argsort(sizes, kind="stable")
    sorted_sizes = sizes[order]
    starts = np.concatenate([[0], np.cumsum(sorted_sizes)])
    pairs = itertools.chain.from_iterable(itertools.chain.from_iterable(ur[user] for user in users[order]))
    flat = np.fromiter(pairs, dtype=float, count=2 * int(starts[-1])).reshape(-1, 2)
    blocks = list(_knn_blocks(sorted_sizes, n_items))
    cells = max((_block_cells(sorted_sizes[rows], n_items, columns) for rows, columns in blocks), default=0)
    gathered_buffer, sims_buffer, ranked_buffer = np.empty(cells), np.empty(cells), np.empty(cells)
    neighbours_buffer = np.empty(cells, dtype=bool)
    for rows, columns in blocks:
        block, block_sizes = order[rows], sorted_sizes[rows]
        width, n_columns = int(block_sizes.max()), len(range(n_items)[columns])
        ratings = flat[starts[rows.start] : starts[rows.stop]]
        items = ratings[:, 0].astype(np.intp)
        owner = np.repeat(np.arange(block.size), block_sizes)
        slot = np.arange(items.size) - np.repeat(starts[rows] - starts[rows.start], block_sizes)
        index = np.zeros((block.size, width), dtype=np.intp)
        index[owner, slot] = items
        centred = np.zeros((block.size, width, 1))
        centred[owner, slot, 0] = deviations(users[block][owner], items, ratings[:, 1])
        shape = (block.size, width, n_columns)
        gathered = gathered_buffer[: np.prod(shape)].reshape(shape)
        np.take(algo.sim[:, columns], index, axis=0, out=gathered, mode="clip")  # the user's rows: sim is symmetric
        padding = np.ones((block.size, width), dtype=bool)
        padding[owner, slot] = False
        gathered[padding] = 0.0
        shape = (block.size, n_columns, width)
        sims, ranked = (buffer[: np.prod(shape)].reshape(shape) for buffer in (sims_buffer, ranked_buffer))
        np.copyto(sims, gathered.transpose(0, 2, 1))  # users x items x rated items
        neighbours = _neighbour_mask(sims, algo.k, ranked, neighbours_buffer[: np.prod(shape)].reshape(shape))
        np.multiply(sims, neighbours.view(np.uint8), out=sims)  # (0/1 bytes multiply faster than bools)
        # Two matrix-vector products (a product with a width-2 matrix is slower in OpenBLAS); padding adds zeros.
        sum_ratings, sum_sim = (sims @ centred)[..., 0], (sims @ np.ones((width, 1)))[..., 0]
        if algo.min_k > 1:  # with min_k = 1, no neighbour means sum_sim = 0 and the estimate is the base anyway
            sum_ratings[neighbours.sum(axis=-1) < algo.min_k] = 0.0
        # No neighbour: sum_sim = 0 and sum_ratings = (-)0, so the estimate stays the base, as in Surprise.
        out[block, columns] = base(users[block], columns) + sum_ratings / np.where(sum_sim == 0, 1.0, sum_sim)
    return out


def _knn_blocks(sizes: np.ndarray, n_items: int) -> Iterator[tuple[slice, slice]]:
    """Blocks ``(users, item columns)`` over users sorted by rating count.

    Users are grouped while the block (users x heaviest user's ratings x
    items, padded) stays within :data:`KNN_BLOCK_CELLS` cells; a heavier user
    forms a block alone, with every item column up to
    :data:`KNN_USER_CELLS` cells and a few item columns at a time beyond
    (bounded memory for any user).
    """
    start = 0
    while start < sizes.size:
        heaviest = max(int(sizes[start]), 1)
        if heaviest * n_items > KNN_USER_CELLS:
            step = max(1, KNN_USER_CELLS // heaviest)
            for column in range(0, n_items, step):
                yield slice(start, start + 1), slice(column, column + step)
            start += 1
            continue
        stop = start + 1
        while stop < sizes.size and (stop + 1 - start) * int(sizes[stop]) * n_items <= KNN_BLOCK_CELLS:
            stop += 1
        yield slice(start, stop), slice(None)
        start = stop


def _block_cells(sizes: np.ndarray, n_items: int, columns: slice) -> int:
    """Cells of a block's similarity tensor: users x heaviest user's ratings x item columns."""
    return sizes.size * int(sizes.max()) * len(range(n_items)[columns])


def _neighbour_mask(
    sims: np.ndarray, k: int, ranked: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Mask of the entries of each row (last axis) that are among its ``k`` largest and positive.

    The neighbour set of Surprise's stable ``heapq.nlargest`` (ties at the
    boundary go to the earlier entries, i.e. the user's earlier ratings),
    restricted to positive similarities. The threshold is each row's k-th
    largest value, from a copy sorted in ``ranked`` (a work buffer shaped
    like ``sims``) as int64: the bits of non-negative floats sort like their
    values, and negative floats sort below them. A threshold that is not
    positive becomes the smallest positive float (every positive entry is
    then a neighbour). In rows with more entries tied at a positive
    threshold than places left, the tied entries after the first ``room``
    are unmarked. ``sims``, ``ranked`` and ``out`` are C-contiguous; Surprise's
    similarity matrices hold no NaN.
    """
    length = sims.shape[-1]
    if out is None:
        out = np.empty(sims.shape, dtype=bool)
    if k < 1:
        out[...] = False
        return out
    if length <= k:
        return np.greater(sims, 0.0, out=out)
    if ranked is None:
        ranked = np.empty(sims.shape)
    np.copyto(ranked, sims)
    keys = ranked.view(np.int64)
    keys.sort(axis=-1)
    kth = ranked[..., length - k]
    np.greater_equal(sims, np.maximum(kth, np.nextafter(0.0, 1.0))[..., None], out=out)
    surplus = np.flatnonzero((kth > 0) & (keys[..., length - k - 1] == keys[..., length - k]))
    if surplus.size:
        rows, row_kth = sims.reshape(-1, length)[surplus], kth.reshape(-1)[surplus, None]
        room = _tied_run(ranked.reshape(-1, length)[:, length - k :], surplus, row_kth)
        tied = np.flatnonzero(rows == row_kth)  # in rating order within each row
        row = tied // length
        counts = np.bincount(row, minlength=surplus.size)
        drop = np.arange(tied.size) >= (np.cumsum(counts) - counts + room)[row]  # past the first ``room`` of its row
        out.reshape(-1)[(surplus - np.arange(surplus.size))[row[drop]] * length + tied[drop]] = False
    return out


def _tied_run(top: np.ndarray, rows: np.ndarray, value: np.ndarray, window: int = 4) -> np.ndarray:
    """How many of ``top[rows]`` (sorted rows, starting at ``value``) equal ``value``: the length of the leading run.

    Runs are short, so a few leading columns are read first; rows whose run
    fills them are counted over the whole row.
    """
    run = (top[rows, :window] == value).sum(axis=-1)
    long = np.flatnonzero(run == min(window, top.shape[1]))
    if long.size:
        run[long] = (top[rows[long]] == value[long]).sum(axis=-1)
    return run


@scorer(KNNBaseline)
def _knn_baseline_scores(algo: KNNBaseline, users: np.ndarray) -> np.ndarray:
    """Item-based KNNBaseline: centred ratings ``r_uj - (mu + b_j + b_u)`` around ``mu + b_u + b_i``."""
    mu = algo.trainset.global_mean

    def base(block_users: np.ndarray, columns: slice) -> np.ndarray:
        return (mu + algo.bu[block_users])[:, None] + algo.bi[None, columns]

    def deviations(owners: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        return ratings - (mu + algo.bi[items] + algo.bu[owners])

    return _item_knn_scores(algo, users, base, deviations)


@scorer(KNNWithMeans)
def _knn_means_scores(algo: KNNWithMeans, users: np.ndarray) -> np.ndarray:
    """Item-based KNNWithMeans: centred ratings ``r_uj - mean_j`` around ``mean_i``."""

    def base(block_users: np.ndarray, columns: slice) -> np.ndarray:
        return algo.means[None, columns]

    def deviations(owners: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        return ratings - algo.means[items]

    return _item_knn_scores(algo, users, base, deviations)
