"""Fast top-K: argpartition selection and numpy scorers agree with Surprise's per-pair predict."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from surprise import (
    NMF,
    SVD,
    BaselineOnly,
    CoClustering,
    Dataset,
    KNNBaseline,
    KNNWithMeans,
    Reader,
    SlopeOne,
    SVDpp,
)

from retention.recommend import topk


def test_top_k_orders_by_score_and_breaks_ties_by_lower_index():
    scores = np.array([[1.0, 3.0, 3.0, 3.0, 0.0], [5.0, 5.0, 5.0, 5.0, 5.0], [np.nan, 1.0, 2.0, np.nan, 0.0]])
    indices, values = topk.top_k(scores, 2)
    assert indices.tolist() == [[1, 2], [0, 1], [2, 1]]
    assert values.tolist() == [[3.0, 3.0], [5.0, 5.0], [2.0, 1.0]]


def test_top_k_excludes_and_pads_when_k_exceeds_the_catalogue():
    scores = np.array([[1.0, 3.0, 2.0], [0.5, 0.2, 0.1]])
    exclude = sp.csr_matrix(np.array([[0, 1, 0], [1, 1, 1]]))
    indices, values = topk.top_k(scores, 4, exclude)
    assert indices.tolist() == [[2, 0, -1, -1], [-1, -1, -1, -1]]
    assert values[0, :2].tolist() == [2.0, 1.0]
    assert np.isnan(values[1]).all()


def test_top_k_matches_a_full_stable_sort():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, size=(50, 40)).astype(float)  # many ties
    indices, _ = topk.top_k(scores, 7)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    assert (indices == expected).all()


def test_top_k_rejects_k_below_one():
    with pytest.raises(ValueError, match="k must be at least 1"):
        topk.top_k(np.zeros((1, 3)), 0)


@pytest.fixture(scope="module")
def trainset():
    rng = np.random.default_rng(0)
    n = 2500
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, 120, n).astype(str),
            "item": rng.integers(0, 90, n).astype(str),
            "rating": rng.integers(1, 6, n).astype(float),
        }
    ).drop_duplicates(["user", "item"])
    return Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()


ALGORITHMS = {
    "svd": lambda: SVD(n_factors=8, n_epochs=5, random_state=0),
    "svd_unbiased": lambda: SVD(n_factors=8, n_epochs=5, biased=False, random_state=0),
    "svdpp": lambda: SVDpp(n_factors=4, n_epochs=2, random_state=0),
    "nmf": lambda: NMF(n_factors=4, n_epochs=10, random_state=0),
    "nmf_biased": lambda: NMF(n_factors=4, n_epochs=10, biased=True, random_state=0),
    "baseline_only": lambda: BaselineOnly(verbose=False),
    "knn_baseline": lambda: KNNBaseline(
        k=10, sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False
    ),
    "knn_means": lambda: KNNWithMeans(k=10, min_k=3, sim_options={"name": "msd", "user_based": False}, verbose=False),
    "slope_one": SlopeOne,
    "coclustering": lambda: CoClustering(n_cltr_u=3, n_cltr_i=3, n_epochs=5, random_state=0),
}


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_numpy_scores_equal_per_pair_predictions(trainset, name):
    algo = ALGORITHMS[name]().fit(trainset)
    users = np.arange(0, trainset.n_users, 4)
    fast = topk.surprise_scores(algo, users)
    slow = topk.pairwise_scores(algo, users)
    assert fast == pytest.approx(slow, abs=1e-9)
    seen = sp.csr_matrix(
        (np.ones(sum(len(trainset.ur[u]) for u in users)), _seen_coordinates(trainset, users)),
        shape=fast.shape,
    )
    fast_lists, _ = topk.top_k(fast, 10, seen)
    slow_lists, _ = topk.top_k(slow, 10, seen)
    assert (fast_lists == slow_lists).all()


def _seen_coordinates(trainset, users):
    rows = [row for row, user in enumerate(users) for _ in trainset.ur[user]]
    cols = [item for user in users for item, _ in trainset.ur[user]]
    return rows, cols


def test_user_based_knn_is_refused_by_the_numpy_scorer(trainset):
    algo = KNNWithMeans(sim_options={"name": "msd", "user_based": True}, verbose=False).fit(trainset)
    with pytest.raises(ValueError, match="item-based"):
        topk.surprise_scores(algo, [0])


def test_knn_neighbours_match_a_stable_sort_with_many_ties():
    rng = np.random.default_rng(7)
    sims = rng.integers(-2, 4, size=(30, 200)).astype(float) / 3  # the user's 30 items x 200 items, many ties
    k = 8
    order = np.argsort(-sims, axis=0, kind="stable")[:k]  # heapq.nlargest keeps earlier rows on ties
    expected = np.zeros(sims.shape, dtype=bool)
    np.put_along_axis(expected, order, True, axis=0)
    expected &= sims > 0
    assert (topk._positive_nearest(sims, k) == expected).all()


def test_knn_scores_in_column_blocks_equal_per_pair_predictions(trainset, monkeypatch):
    monkeypatch.setattr(topk, "KNN_BLOCK_CELLS", 300)  # a few columns at a time, as for a very heavy user
    algo = ALGORITHMS["knn_means"]().fit(trainset)
    users = np.arange(0, trainset.n_users, 10)
    assert topk.surprise_scores(algo, users) == pytest.approx(topk.pairwise_scores(algo, users), abs=1e-9)
