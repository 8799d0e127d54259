"""The array trainset and the compiled fits equal Surprise's own trainset, fits and predictions."""

import numpy as np
import pandas as pd
import pytest
from surprise import SVD, BaselineOnly, Dataset, KNNBaseline, Reader

from retention.recommend import feedback, fitting, models


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    n = 3000
    return (
        pd.DataFrame(
            {
                "user_id": rng.integers(0, 150, n).astype(str),
                "item_id": rng.integers(0, 80, n).astype(str),
                "rating": rng.integers(1, 6, n).astype(float),
            }
        )
        .drop_duplicates(["user_id", "item_id"])
        .reset_index(drop=True)
    )


def surprise_trainset(frame, scale=(1.0, 5.0)):
    return Dataset.load_from_df(
        frame[["user_id", "item_id", "rating"]], Reader(rating_scale=scale)
    ).build_full_trainset()


def as_dict(lists):
    return {key: list(lists[key]) for key in lists}


def assert_same_trainset(ours, theirs):
    assert as_dict(ours.ur) == as_dict(theirs.ur)
    assert as_dict(ours.ir) == as_dict(theirs.ir)
    assert ours._raw2inner_id_users == theirs._raw2inner_id_users
    assert ours._raw2inner_id_items == theirs._raw2inner_id_items
    assert (ours.n_users, ours.n_items, ours.n_ratings) == (theirs.n_users, theirs.n_items, theirs.n_ratings)
    assert ours.global_mean == theirs.global_mean
    assert list(ours.all_ratings()) == list(theirs.all_ratings())


def test_the_array_trainset_is_surprises(frame):
    ours = fitting.trainset(frame["user_id"], frame["item_id"], frame["rating"].to_numpy(), (1.0, 5.0))
    assert_same_trainset(ours, surprise_trainset(frame))


def test_the_negatives_trainset_is_surprises_of_the_feedback_with_negatives(frame):
    train = feedback.Feedback(
        frame.assign(first_ts=pd.NaT, ts=pd.NaT).astype({"user_id": "string"}), "ratings", (1.0, 5.0)
    )
    augmented = models.with_negatives(train, 4, seed=2)
    assert len(augmented.frame) > len(frame)
    assert_same_trainset(models.negatives_trainset(train, 4, seed=2), surprise_trainset(augmented.frame, (0.0, 5.0)))


ALGORITHMS = {
    "svd": lambda: SVD(n_factors=6, n_epochs=7, random_state=3),
    "svd_unbiased": lambda: SVD(n_factors=6, n_epochs=7, biased=False, random_state=3),
    "knn_baseline": lambda: KNNBaseline(
        k=10, sim_options={"name": "pearson_baseline", "user_based": False, "shrinkage": 50}, verbose=False
    ),
    "knn_user_based": lambda: KNNBaseline(k=10, sim_options={"name": "pearson_baseline"}, verbose=False),
    "baseline_only": lambda: BaselineOnly(verbose=False),
}
FITTED = ("bu", "bi", "pu", "qi", "sim", "bx", "by")


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_compiled_fits_equal_surprises_fit_and_predictions(frame, name):
    ours = fitting.fit(
        ALGORITHMS[name](), fitting.trainset(frame["user_id"], frame["item_id"], frame["rating"].to_numpy(), (1, 5))
    )
    theirs = ALGORITHMS[name]().fit(surprise_trainset(frame))
    for attribute in FITTED:
        if hasattr(theirs, attribute):
            np.testing.assert_allclose(getattr(ours, attribute), getattr(theirs, attribute), rtol=0, atol=1e-12)
    users, items = [*frame["user_id"].unique()[:30], "nobody"], [*frame["item_id"].unique()[:30], "nothing"]
    pairs = [(user, item, 0.0) for user in users for item in items]
    np.testing.assert_allclose(
        [prediction.est for prediction in ours.test(pairs)],
        [prediction.est for prediction in theirs.test(pairs)],
        atol=1e-12,
    )
