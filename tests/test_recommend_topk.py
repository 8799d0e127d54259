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


def test_every_surprise_model_has_a_numpy_scorer():
    registered = {topk.algorithm_key(type(ALGORITHMS[name]())) for name in ALGORITHMS}
    assert registered == set(topk.SCORERS)
    assert topk.SCORERS[topk.algorithm_key(SVD)] is topk.SCORERS[topk.algorithm_key(NMF)]


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
    sims = rng.integers(-2, 4, size=(200, 30)).astype(float) / 3  # 200 items x the user's 30 items, many ties
    k = 8
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]  # heapq.nlargest keeps earlier entries on ties
    expected = np.zeros(sims.shape, dtype=bool)
    np.put_along_axis(expected, order, True, axis=1)
    expected &= sims > 0
    assert (topk._neighbour_mask(sims, k) == expected).all()


def test_knn_scores_in_column_blocks_equal_per_pair_predictions(trainset, monkeypatch):
    monkeypatch.setattr(topk, "KNN_BLOCK_CELLS", 300)
    monkeypatch.setattr(topk, "KNN_USER_CELLS", 300)  # a few columns at a time, as for a very heavy user
    algo = ALGORITHMS["knn_means"]().fit(trainset)
    users = np.arange(0, trainset.n_users, 10)
    assert topk.surprise_scores(algo, users) == pytest.approx(topk.pairwise_scores(algo, users), abs=1e-9)


@pytest.fixture(scope="module")
def tied_trainset():
    """Few rating values and few co-raters (similarities tie often); users 0-5 rated 1 to 3 items."""
    rng = np.random.default_rng(11)
    light = [(user, item) for user in range(6) for item in rng.choice(30, size=user % 3 + 1, replace=False)]
    heavy = [(user, item) for user in range(6, 40) for item in rng.choice(30, size=rng.integers(4, 25), replace=False)]
    pairs = pd.DataFrame(light + heavy, columns=["user", "item"])
    frame = pairs.assign(
        user="u" + pairs["user"].astype(str),
        item="i" + pairs["item"].astype(str),
        rating=rng.choice([1.0, 3.0, 5.0], size=len(pairs)),
    )
    return Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()


KNN_VARIANTS = {
    "means_msd": lambda k, min_k: KNNWithMeans(
        k=k, min_k=min_k, sim_options={"name": "msd", "user_based": False}, verbose=False
    ),
    "means_pearson": lambda k, min_k: KNNWithMeans(
        k=k, min_k=min_k, sim_options={"name": "pearson", "user_based": False}, verbose=False
    ),
    "baseline_pearson_baseline": lambda k, min_k: KNNBaseline(
        k=k, min_k=min_k, sim_options={"name": "pearson_baseline", "user_based": False, "shrinkage": 0}, verbose=False
    ),
}


@pytest.mark.parametrize("variant", sorted(KNN_VARIANTS))
@pytest.mark.parametrize(("k", "min_k"), [(1, 1), (3, 1), (3, 3), (8, 2), (40, 1)])
@pytest.mark.parametrize(
    ("block_cells", "user_cells"), [(topk.KNN_BLOCK_CELLS, topk.KNN_USER_CELLS), (200, 200), (2_000, 600), (100, 2_000)]
)
def test_knn_scores_equal_predict_with_ties_light_users_and_blocks(
    tied_trainset, monkeypatch, variant, k, min_k, block_cells, user_cells
):
    """Neighbour ties, users with fewer ratings than k, min_k, padded multi-user blocks and column chunks."""
    monkeypatch.setattr(topk, "KNN_BLOCK_CELLS", block_cells)
    monkeypatch.setattr(topk, "KNN_USER_CELLS", user_cells)
    algo = KNN_VARIANTS[variant](k, min_k).fit(tied_trainset)
    users = np.arange(tied_trainset.n_users)[::-1]  # any order in, the same order out
    fast = topk.surprise_scores(algo, users)
    slow = topk.pairwise_scores(algo, users)
    assert fast == pytest.approx(slow, abs=1e-9)
    fast_lists, _ = topk.top_k(fast, 5)
    slow_lists, _ = topk.top_k(slow, 5)
    assert (fast_lists == slow_lists).all()


def test_knn_ties_are_exercised(tied_trainset):
    """The tie fixture has ties straddling the k-th place, which only the tie-break resolves."""
    algo = KNN_VARIANTS["means_msd"](3, 1).fit(tied_trainset)
    straddling = 0
    for user in range(6, tied_trainset.n_users):
        lanes = algo.sim[:, [item for item, _ in tied_trainset.ur[user]]]  # every item x the user's rated items
        ranked = np.sort(lanes, axis=1)
        straddling += (ranked[:, -3] == ranked[:, -4]).sum()
        assert (topk._neighbour_mask(lanes, 3).sum(axis=1) == np.minimum(3, (lanes > 0).sum(axis=1))).all()
    assert straddling > 50


def test_tied_run_counts_runs_shorter_and_longer_than_its_window():
    top = np.array([[2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [3.0] * 7, [3.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0]])
    value = np.array([[2.0], [3.0], [3.0]])
    assert topk._tied_run(top, np.array([0, 1, 2]), value, window=4).tolist() == [1, 7, 4]
    assert topk._tied_run(top, np.array([2]), value[2:], window=2).tolist() == [4]
