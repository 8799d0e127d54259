"""Metric functions on hand-computed examples."""

import numpy as np
import pytest
import scipy.sparse as sp

from retention.errors import DataError
from retention.recommend import metrics

PERFECT = np.array([[True, True, False], [True, False, False]])
NONE = np.zeros((2, 3), dtype=bool)


def test_rating_errors_by_hand():
    actual, predicted = np.array([4.0, 2.0, 5.0]), np.array([3.0, 2.0, 3.0])
    assert metrics.rmse(actual, predicted) == pytest.approx(((1 + 0 + 4) / 3) ** 0.5)
    assert metrics.mae(actual, predicted) == pytest.approx((1 + 0 + 2) / 3)
    assert metrics.rmse(actual, actual) == 0.0


def test_perfect_lists_score_one_and_empty_lists_zero():
    n_relevant = np.array([2, 1])
    for function in (metrics.recall_at_k, metrics.ndcg_at_k, metrics.map_at_k):
        assert function(PERFECT, n_relevant) == pytest.approx(1.0)
        assert function(NONE, n_relevant) == 0.0
    assert metrics.hit_rate(PERFECT) == 1.0
    assert metrics.hit_rate(NONE) == 0.0
    assert metrics.precision_at_k(NONE) == 0.0


def test_ranking_metrics_by_hand():
    # user 0: hits at ranks 2 and 3 of 3, 4 relevant items; user 1: hit at rank 1, 1 relevant item.
    hits = np.array([[False, True, True], [True, False, False]])
    n_relevant = np.array([4, 1])
    assert metrics.precision_at_k(hits) == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert metrics.recall_at_k(hits, n_relevant) == pytest.approx((2 / 4 + 1 / 1) / 2)
    dcg0 = 1 / np.log2(3) + 1 / np.log2(4)
    idcg0 = 1 / np.log2(2) + 1 / np.log2(3) + 1 / np.log2(4)
    assert metrics.ndcg_at_k(hits, n_relevant) == pytest.approx((dcg0 / idcg0 + 1.0) / 2)
    ap0 = (1 / 2 + 2 / 3) / min(4, 3)
    assert metrics.map_at_k(hits, n_relevant) == pytest.approx((ap0 + 1.0) / 2)
    assert metrics.hit_rate(hits) == 1.0


def test_beyond_accuracy_by_hand():
    recommended = np.array([[0, 1, -1], [1, 2, 3]])
    assert metrics.coverage(recommended, n_items=5) == pytest.approx(4 / 5)
    popularity = np.array([0.5, 0.25, 0.125, 0.5, 0.01])
    assert metrics.novelty(recommended, popularity) == pytest.approx((1 + 2 + 2 + 3 + 1) / 5)
    # top 10% of 5 items = 1 item; items 0 and 3 tie at 0.5, the lower index (0) wins.
    assert metrics.popular_share(recommended, popularity) == pytest.approx(1 / 5)


def test_diversity_by_hand():
    vectors = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]]))
    # list 0: items 0 and 1 are orthogonal (similarity 0); list 1: items 0, 2 identical, 3 at cosine 0.6 to both.
    recommended = np.array([[0, 1, -1], [0, 2, 3]])
    mean_similarity_1 = (1.0 + 0.6 + 0.6) / 3
    assert metrics.diversity(recommended, vectors) == pytest.approx(((1 - 0) + (1 - mean_similarity_1)) / 2)
    assert metrics.diversity(recommended, vectors.toarray()) == pytest.approx(((1 - 0) + (1 - mean_similarity_1)) / 2)


def test_hit_matrix_ignores_empty_slots():
    relevant = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, 1]]))
    hits = metrics.hit_matrix(np.array([[0, 2, -1], [1, 2, -1]]), relevant)
    assert hits.tolist() == [[True, False, False], [False, True, False]]


def test_every_leaderboard_metric_is_registered():
    assert set(metrics.METRIC_NAMES) <= set(metrics.METRICS)
    assert not metrics.METRICS["rmse"].higher_is_better
    assert metrics.METRICS["ndcg_at_k"].higher_is_better


def test_the_decorator_registers_a_description_and_returns_the_function_itself():
    assert metrics.METRICS["recall_at_k"] == metrics.MetricInfo(
        "recall_at_k", "Recall@K", True, "Share of what the customer went on to buy that the K items caught."
    )
    assert metrics.recall_at_k(PERFECT, np.array([2, 1])) == 1.0
    assert list(metrics.METRICS) == list(metrics.METRIC_NAMES)  # the leaderboard's order is the registry's


def test_unknown_and_twice_registered_metrics_are_refused():
    with pytest.raises(DataError, match=f"metric 'auc' is not one of {', '.join(metrics.METRIC_NAMES)}$"):
        metrics.METRICS.get_or_raise("auc")
    with pytest.raises(ValueError, match="metric 'rmse' is registered twice"):
        metrics.metric("rmse", "RMSE", False, "again")(metrics.rmse)
