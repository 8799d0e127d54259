"""Surprise fits at a million customers: a trainset held as arrays, and compiled copies of Surprise's own loops.

Surprise builds its trainset row by row into dicts of Python lists (``ur``, ``ir``: a tuple per rating, both
ways) and its SGD reads the ratings through a Python generator. With sampled negatives a million customers make
tens of millions of ratings: gigabytes of tuples and minutes per pass. :func:`trainset` builds the same
:class:`~surprise.Trainset` (the same inner ids, in order of first appearance; the same rating lists in the same
order) from arrays, its lists held as :class:`CompactRatings`. :func:`fit` then fits SVD (SGD), and KNNBaseline's
ALS baselines and item-item ``pearson_baseline`` similarities, with numba copies of Surprise's Cython loops: the
same updates in the same order, so the fitted parameters equal Surprise's (``tests/test_recommend_fitting.py``
checks them and the predictions against ``algo.fit`` on Surprise's own trainset). Other algorithms and options
use Surprise's ``fit`` on the same trainset. Compiled on first use (cached on disk).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

import numba
import numpy as np
import pandas as pd
from surprise import SVD, KNNBaseline, Trainset
from surprise.prediction_algorithms.algo_base import AlgoBase
from surprise.prediction_algorithms.knns import SymmetricAlgo
from surprise.utils import get_rng

RATINGS_CHUNK = 1 << 16  # ratings turned into Python tuples at a time by :meth:`ArrayTrainset.all_ratings`


class CompactRatings(Mapping):
    """A Surprise trainset's ``ur`` or ``ir`` (inner id -> list of (inner id, rating)) held as arrays.

    Reads as the ``defaultdict`` it replaces: the same keys in the same order, each list with its pairs in
    the same order (k-NN ties follow it) as Python ints and floats, ``[]`` for a missing key. Read-only.
    """

    def __init__(self, lists: Mapping[int, list[tuple[int, float]]]) -> None:
        sizes = np.fromiter(map(len, lists.values()), dtype=np.int64, count=len(lists))
        values = itertools.chain.from_iterable(itertools.chain.from_iterable(lists.values()))  # C loops, not Python
        flat = np.fromiter(values, dtype=float, count=2 * int(sizes.sum())).reshape(-1, 2)
        keys, offsets = np.fromiter(lists.keys(), dtype=np.int64), np.concatenate([[0], np.cumsum(sizes)])
        self.__setstate__((keys, offsets, flat[:, 0].astype(np.int32), np.ascontiguousarray(flat[:, 1])))

    @classmethod
    def from_arrays(cls, owners: np.ndarray, others: np.ndarray, ratings: np.ndarray, n_keys: int) -> CompactRatings:
        """The lists of keys ``0 .. n_keys - 1``: key ``owners[j]`` holds ``(others[j], ratings[j])``, in row order."""
        order = np.argsort(owners, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=n_keys))]).astype(np.int64)
        compact = cls.__new__(cls)
        state = (np.arange(n_keys, dtype=np.int64), offsets, others[order].astype(np.int32), ratings[order])
        compact.__setstate__(state)
        return compact

    def __getstate__(self) -> tuple[np.ndarray, ...]:
        return self._keys, self._offsets, self._ids, self._ratings

    def __setstate__(self, state: tuple[np.ndarray, ...]) -> None:
        self._keys, self._offsets, self._ids, self._ratings = state
        self._positions = dict(zip(self._keys.tolist(), range(len(self._keys)), strict=True))

    def __getitem__(self, key: int) -> list[tuple[int, float]]:
        at = self._positions.get(key)
        if at is None:
            return []
        start, end = self._offsets[at], self._offsets[at + 1]
        return list(zip(self._ids[start:end].tolist(), self._ratings[start:end].tolist(), strict=True))

    def __contains__(self, key: object) -> bool:
        return key in self._positions

    def __iter__(self) -> Iterator[int]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(offsets, ids, ratings)``: key ``keys[k]``'s pairs are ``ids[offsets[k]:offsets[k + 1]]`` and the
        same slice of ``ratings`` (keys are ``0 .. n - 1`` in order for a trainset built by :func:`trainset`)."""
        return self._offsets, self._ids, self._ratings


class ArrayTrainset(Trainset):
    """A :class:`~surprise.Trainset` whose ``ur`` and ``ir`` are :class:`CompactRatings` (see :func:`trainset`).

    It knows its users and items by their inner ids (``0 .. n - 1``), not by the lists, so a saved model may
    drop lists it never reads (see :func:`retention.recommend.saved.compact`).
    """

    def knows_user(self, uid: object) -> bool:
        return isinstance(uid, int | np.integer) and 0 <= uid < self.n_users

    def knows_item(self, iid: object) -> bool:
        return isinstance(iid, int | np.integer) and 0 <= iid < self.n_items

    def all_ratings(self) -> Iterator[tuple[int, int, float]]:
        offsets, items, ratings = self.ur.arrays()
        users = np.repeat(np.arange(self.n_users), np.diff(offsets))
        return itertools.chain.from_iterable(
            zip(
                users[start : start + RATINGS_CHUNK].tolist(),
                items[start : start + RATINGS_CHUNK].tolist(),
                ratings[start : start + RATINGS_CHUNK].tolist(),
                strict=True,
            )
            for start in range(0, users.size, RATINGS_CHUNK)
        )

    @property
    def global_mean(self) -> float:
        if self._global_mean is None:
            self._global_mean = np.mean(self.ur.arrays()[2])  # the ratings in all_ratings order, as Surprise
        return self._global_mean


def trainset(users: Sequence[str], items: Sequence[str], ratings: np.ndarray, rating_scale: tuple) -> ArrayTrainset:
    """The trainset ``Dataset.load_from_df(...).build_full_trainset()`` builds from these rows (raw user id, raw
    item id, rating), as arrays: inner ids in order of first appearance, each list in row order."""
    user_codes, user_ids = pd.factorize(pd.Series(users), sort=False)
    item_codes, item_ids = pd.factorize(pd.Series(items), sort=False)
    return coded_trainset(user_codes, user_ids, item_codes, item_ids, ratings, rating_scale)


def coded_trainset(
    user_codes: np.ndarray,
    user_ids: Sequence[str],
    item_codes: np.ndarray,
    item_ids: Sequence[str],
    ratings: np.ndarray,
    rating_scale: tuple,
) -> ArrayTrainset:
    """:func:`trainset` of rows given as codes into ``user_ids`` and ``item_ids``; each code must first appear
    in the order of the ids (code 0 first, then 1, ...), as ``pd.factorize`` numbers them."""
    ratings = np.ascontiguousarray(ratings, dtype=float)
    n_users, n_items = len(user_ids), len(item_ids)
    ur = CompactRatings.from_arrays(user_codes, item_codes, ratings, n_users)
    ir = CompactRatings.from_arrays(item_codes, user_codes, ratings, n_items)
    raw_users = dict(zip(map(str, user_ids), range(n_users), strict=True))
    raw_items = dict(zip(map(str, item_ids), range(n_items), strict=True))
    return ArrayTrainset(ur, ir, n_users, n_items, len(ratings), rating_scale, raw_users, raw_items)


def fit(algo: AlgoBase, data: Trainset) -> AlgoBase:
    """``algo.fit(data)``, compiled for SVD and for item-based KNNBaseline with ALS baselines and
    ``pearson_baseline`` similarities when ``data`` is an :class:`ArrayTrainset`; Surprise's own fit otherwise."""
    if not isinstance(data, ArrayTrainset):
        return algo.fit(data)
    if type(algo) is SVD:
        return _fit_svd(algo, data)
    if type(algo) is KNNBaseline and _compiled_knn(algo):
        return _fit_knn_baseline(algo, data)
    return algo.fit(data)


def _compiled_knn(algo: KNNBaseline) -> bool:
    options, baseline = algo.sim_options, algo.bsl_options
    return (
        not options.get("user_based", True)
        and options.get("name", "msd").lower() == "pearson_baseline"
        and baseline.get("method", "als") == "als"
    )


def _fit_svd(algo: SVD, data: ArrayTrainset) -> SVD:
    """SVD.fit: ``SVD.sgd`` with the same initial factors (drawn from ``random_state`` in the same order)."""
    AlgoBase.fit(algo, data)
    rng = get_rng(algo.random_state)
    pu = rng.normal(algo.init_mean, algo.init_std_dev, size=(data.n_users, algo.n_factors))
    qi = rng.normal(algo.init_mean, algo.init_std_dev, size=(data.n_items, algo.n_factors))
    bu, bi = np.zeros(data.n_users), np.zeros(data.n_items)
    offsets, items, ratings = data.ur.arrays()
    rates = np.array(
        [algo.lr_bu, algo.lr_bi, algo.lr_pu, algo.lr_qi, algo.reg_bu, algo.reg_bi, algo.reg_pu, algo.reg_qi]
    )
    global_mean = data.global_mean if algo.biased else 0.0
    _sgd(offsets, items, ratings, bu, bi, pu, qi, global_mean, rates, int(algo.n_epochs), bool(algo.biased))
    algo.bu, algo.bi, algo.pu, algo.qi = bu, bi, pu, qi
    return algo


def _fit_knn_baseline(algo: KNNBaseline, data: ArrayTrainset) -> KNNBaseline:
    """KNNBaseline.fit for items: ALS baselines (``baseline_als``), then ``pearson_baseline`` over users' lists."""
    SymmetricAlgo.fit(algo, data)
    options = algo.bsl_options
    bu, bi = np.zeros(data.n_users), np.zeros(data.n_items)
    by_user, by_item = data.ur.arrays(), data.ir.arrays()
    mean = data.global_mean
    epochs = int(options.get("n_epochs", 10))
    _baseline_als(
        *by_user, *by_item, bu, bi, mean, epochs, float(options.get("reg_u", 15)), float(options.get("reg_i", 10))
    )
    algo.bu, algo.bi = bu, bi
    algo.bx, algo.by = algo.switch(bu, bi)
    min_support = max(2, int(algo.sim_options.get("min_support", 1)))
    shrinkage = float(algo.sim_options.get("shrinkage", 100))
    algo.sim = _pearson_baseline(*by_user, data.n_items, mean, bi, bu, min_support, shrinkage)
    return algo


@numba.njit(nogil=True, cache=True)
def _sgd(offsets, items, ratings, bu, bi, pu, qi, global_mean, rates, n_epochs, biased):  # pragma: no cover - compiled
    """Surprise's ``SVD.sgd`` over the ratings in ``all_ratings`` order (users in order, each list in order)."""
    lr_bu, lr_bi, lr_pu, lr_qi = rates[0], rates[1], rates[2], rates[3]
    reg_bu, reg_bi, reg_pu, reg_qi = rates[4], rates[5], rates[6], rates[7]
    n_factors = pu.shape[1]
    for _ in range(n_epochs):
        for u in range(offsets.size - 1):
            for at in range(offsets[u], offsets[u + 1]):
                i = items[at]
                dot = 0.0
                for f in range(n_factors):
                    dot += qi[i, f] * pu[u, f]
                err = ratings[at] - (global_mean + bu[u] + bi[i] + dot)
                if biased:
                    bu[u] += lr_bu * (err - reg_bu * bu[u])
                    bi[i] += lr_bi * (err - reg_bi * bi[i])
                for f in range(n_factors):
                    puf = pu[u, f]
                    qif = qi[i, f]
                    pu[u, f] += lr_pu * (err * qif - reg_pu * puf)
                    qi[i, f] += lr_qi * (err * puf - reg_qi * qif)


@numba.njit(nogil=True, cache=True)
def _baseline_als(
    user_offsets, user_items, user_ratings, item_offsets, item_users, item_ratings, bu, bi, mean, epochs, reg_u, reg_i
):  # pragma: no cover - compiled
    """Surprise's ``baseline_als``: items then users, ``epochs`` times."""
    for _ in range(epochs):
        for i in range(item_offsets.size - 1):
            dev = 0.0
            for at in range(item_offsets[i], item_offsets[i + 1]):
                dev += item_ratings[at] - mean - bu[item_users[at]]
            bi[i] = dev / (reg_i + (item_offsets[i + 1] - item_offsets[i]))
        for u in range(user_offsets.size - 1):
            dev = 0.0
            for at in range(user_offsets[u], user_offsets[u + 1]):
                dev += user_ratings[at] - mean - bi[user_items[at]]
            bu[u] = dev / (reg_u + (user_offsets[u + 1] - user_offsets[u]))


@numba.njit(nogil=True, cache=True)
def _pearson_baseline(
    offsets, items, ratings, n_items, mean, item_bias, user_bias, min_support, shrinkage
):  # pragma: no cover - compiled
    """Surprise's item-item ``pearson_baseline`` over each user's list (every ordered pair, the user's order)."""
    freq = np.zeros((n_items, n_items), np.intp)
    prods = np.zeros((n_items, n_items))
    sq_i = np.zeros((n_items, n_items))
    sq_j = np.zeros((n_items, n_items))
    sim = np.zeros((n_items, n_items))
    for u in range(offsets.size - 1):
        partial = mean + user_bias[u]
        for a in range(offsets[u], offsets[u + 1]):
            xi = items[a]
            diff_i = ratings[a] - (partial + item_bias[xi])
            for b in range(offsets[u], offsets[u + 1]):
                xj = items[b]
                diff_j = ratings[b] - (partial + item_bias[xj])
                freq[xi, xj] += 1
                prods[xi, xj] += diff_i * diff_j
                sq_i[xi, xj] += diff_i**2
                sq_j[xi, xj] += diff_j**2
    for xi in range(n_items):
        sim[xi, xi] = 1
        for xj in range(xi + 1, n_items):
            if freq[xi, xj] < min_support:
                sim[xi, xj] = 0
            else:
                sim[xi, xj] = prods[xi, xj] / np.sqrt(sq_i[xi, xj] * sq_j[xi, xj])
                sim[xi, xj] *= (freq[xi, xj] - 1) / (freq[xi, xj] - 1 + shrinkage)
            sim[xj, xi] = sim[xi, xj]
    return sim
