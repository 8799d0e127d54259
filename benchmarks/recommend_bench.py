"""Fast top-K against Surprise's per-pair loop: same lists, and how much faster.

For each Surprise model, fitted once on a synthetic set of ratings (100k by
default, MovieLens-100k-sized: 1,000 users x 1,700 items), it compares

* the loop: ``algo.predict(u, i, clip=False)`` for every item the user has
  not rated, sorted by (-estimate, inner item id), first K kept;
* the fast path: :func:`retention.recommend.topk.surprise_scores` for a block
  of users at once, rated items excluded, :func:`retention.recommend.topk.top_k`.

Both break ties by the lower inner item id, so the lists must be identical.
The loop runs on ``--loop-users`` users, a sample stratified by rating count
(it is slow, so once: a few seconds);
the fast path is timed on the same users and on every user, as the mean of
repeated calls over at least ``--min-seconds``. Timings are CPU seconds of
this process (``time.process_time``; numpy runs one BLAS thread): on a shared
machine, time spent waiting for a core is not work, and it would fall
unevenly on a long loop and on short fast calls. Both sides are means, so
neither gets its luckiest call. The ratios are per user and measured in the
same run; only ratios mean anything. The matrix of rated items is built once,
outside both timings; nothing is cached between calls (each fast call starts
from the fitted algorithm, as the first one does).

The implicit-feedback factor models (``als``, ``bpr``) are fitted through the
registry (``retention.recommend.models.fit_model``) on the same pairs, and
their top-K for every user through our path (:meth:`FittedModel.scores` in
blocks, :func:`topk.top_k` with the user's items excluded) is held against
``implicit``'s own batch ``recommend(userids, user_items, N=K,
filter_already_liked_items=True)`` on the same factors (one thread each);
the lists must be identical.

    python benchmarks/recommend_bench.py [--ratings 100000] [--loop-users 40] [--models svd,knn_baseline,als] [--min-seconds 1]
"""

from __future__ import annotations

import os

# One BLAS thread: the loop is single-threaded, and on a shared 2-core machine threaded BLAS on small
# matrices mostly waits for cores (set before numpy loads; an explicit setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from surprise import NMF, SVD, BaselineOnly, CoClustering, Dataset, KNNBaseline, KNNWithMeans, Reader, SlopeOne, SVDpp  # noqa: E402
from surprise.prediction_algorithms.algo_base import AlgoBase  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from retention.errors import DataError  # noqa: E402
from retention.recommend import models, topk  # noqa: E402
from retention.recommend.feedback import Feedback  # noqa: E402
from retention.registry import Registry  # noqa: E402

ALGORITHMS: Registry[Callable[[], AlgoBase]] = Registry("benchmark model")  # name -> a fresh unfitted algorithm
ALGORITHMS.add("svd", lambda: SVD(random_state=0))
ALGORITHMS.add("nmf", lambda: NMF(random_state=0))
ALGORITHMS.add("baseline_only", lambda: BaselineOnly(verbose=False))
ALGORITHMS.add(
    "knn_baseline", lambda: KNNBaseline(sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False)
)
ALGORITHMS.add("knn_means", lambda: KNNWithMeans(sim_options={"name": "msd", "user_based": False}, verbose=False))
ALGORITHMS.add("slope_one", SlopeOne)
ALGORITHMS.add("coclustering", lambda: CoClustering(random_state=0))
ALGORITHMS.add("svdpp", lambda: SVDpp(n_factors=20, n_epochs=5, random_state=0))
IMPLICIT_MODELS = ("als", "bpr")  # registry models with a recommend call of their own library (implicit)
DEFAULT_MODELS = "svd,nmf,baseline_only,knn_baseline,knn_means,slope_one,coclustering,als,bpr"


def synthetic_ratings(n_ratings: int, n_users: int, n_items: int, seed: int = 0) -> pd.DataFrame:
    """Distinct user-item pairs (popular items and active users more often) rated 1-5 from hidden tastes."""
    rng = np.random.default_rng(seed)
    user_weight = rng.pareto(2.0, n_users) + 1
    item_weight = rng.pareto(1.5, n_items) + 1
    users = rng.choice(n_users, size=int(n_ratings * 1.3), p=user_weight / user_weight.sum())
    items = rng.choice(n_items, size=users.size, p=item_weight / item_weight.sum())
    pairs = pd.DataFrame({"user": users, "item": items}).drop_duplicates().head(n_ratings)
    taste_u, taste_i = rng.normal(size=(n_users, 5)), rng.normal(size=(n_items, 5))
    affinity = np.einsum("ij,ij->i", taste_u[pairs["user"]], taste_i[pairs["item"]])
    rating = np.clip(np.round(3 + affinity / 2 + rng.normal(0, 0.8, len(pairs))), 1, 5)
    return pd.DataFrame(
        {"user": "u" + pairs["user"].astype(str), "item": "i" + pairs["item"].astype(str), "rating": rating}
    )


def rated_matrix(trainset) -> sp.csr_matrix:
    """users x items 0/1 matrix of the trainset's ratings (inner ids): what each user must not be offered."""
    users, items, _ = (np.asarray(column) for column in zip(*trainset.all_ratings(), strict=True))
    return sp.csr_matrix((np.ones(users.size), (users, items)), shape=(trainset.n_users, trainset.n_items))


def loop_sample(trainset, size: int) -> np.ndarray:
    """Inner ids of ``size`` users at evenly spaced ranks of rating count (sorted ids).

    A stratified sample: its mix of light and heavy users matches everyone's,
    which matters because a k-NN prediction costs in proportion to the
    user's ratings on both sides, and the "all users" ratio sets the loop's
    cost on these users against the fast path's on everyone.
    """
    counts = np.array([len(trainset.ur[user]) for user in trainset.all_users()])
    size = min(size, counts.size)
    ranks = ((np.arange(size) + 0.5) * counts.size / size).astype(int)
    return np.sort(np.argsort(counts, kind="stable")[ranks])


def loop_top_k(algo, users: np.ndarray, k: int, rated: sp.csr_matrix) -> np.ndarray:
    """The reference: one predict call per unrated item, then a Python sort by (-estimate, inner item id)."""
    trainset = algo.trainset
    raw_items = [trainset.to_raw_iid(i) for i in trainset.all_items()]
    lists = np.full((users.size, k), -1)
    for row, user in enumerate(users):
        uid = trainset.to_raw_uid(int(user))
        rated_items = set(rated[user].indices)
        estimates = [
            (algo.predict(uid, raw_items[i], clip=False).est, i) for i in range(len(raw_items)) if i not in rated_items
        ]
        best = sorted(estimates, key=lambda pair: (-pair[0], pair[1]))[:k]
        lists[row, : len(best)] = [item for _, item in best]
    return lists


def fast_top_k(algo, users: np.ndarray, k: int, rated: sp.csr_matrix, block: int = 256) -> np.ndarray:
    """Numpy scores for blocks of users, rated items excluded, then :func:`topk.top_k`."""
    out = []
    for start in range(0, users.size, block):
        chunk = users[start : start + block]
        indices, _ = topk.top_k(topk.surprise_scores(algo, chunk), k, rated[chunk])
        out.append(indices)
    return np.vstack(out)


def as_feedback(ratings: pd.DataFrame) -> Feedback:
    """The synthetic ratings as registry feedback (one timestamp for all: the factor models ignore time)."""
    frame = ratings.rename(columns={"user": "user_id", "item": "item_id"}).assign(
        first_ts=pd.Timestamp("2025-01-01"), ts=pd.Timestamp("2025-01-01")
    )
    frame = frame.astype({"user_id": "string", "item_id": "string", "rating": "float64"})
    return Feedback(frame.sort_values(["user_id", "item_id"], ignore_index=True), "ratings", (1.0, 5.0))


def our_top_k(fitted: models.FittedModel, k: int, rated: sp.csr_matrix, block: int = 256) -> np.ndarray:
    """The evaluation's path: scores for blocks of users, the user's items excluded, :func:`topk.top_k`."""
    users, out = list(fitted.users), []
    for start in range(0, len(users), block):
        scores = fitted.scores(users[start : start + block])
        out.append(topk.top_k(scores, k, rated[start : start + block])[0])
    return np.vstack(out)


def implicit_algorithm(name: str, fitted: models.FittedModel):
    """An ``implicit`` model of the same kind holding ``fitted``'s factors, one thread."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    algo = (AlternatingLeastSquares if name == "als" else BayesianPersonalizedRanking)(
        factors=fitted.user_factors.shape[1], num_threads=1
    )
    algo.user_factors, algo.item_factors = fitted.user_factors, fitted.item_factors
    return algo


def implicit_top_k(algo, rated: sp.csr_matrix, k: int) -> np.ndarray:
    """``implicit``'s own batch recommend for every user, the user's items filtered."""
    return algo.recommend(np.arange(rated.shape[0]), rated, N=k, filter_already_liked_items=True)[0]


def implicit_rows(feedback: Feedback, names: list[str], k: int, min_seconds: float) -> None:
    """Fit ALS and BPR through the registry; time top-K for all users, ours against implicit's, lists compared."""
    print(
        f"\n{'model':<14} {'fit s':>7} {'implicit ms/user':>17} {'ours ms/user':>13} {'ratio':>7} {'lists equal':>12}"
    )
    for name in IMPLICIT_MODELS:
        if name not in names:
            continue
        started = time.perf_counter()
        fitted = models.fit_model(name, feedback, {"num_threads": 1})
        fit_seconds = time.perf_counter() - started
        rated = models.pair_matrix(feedback.frame, fitted.users, fitted.items).astype(np.float32)
        theirs_seconds, theirs = mean_time(min_seconds, implicit_top_k, implicit_algorithm(name, fitted), rated, k)
        users = np.arange(rated.shape[0])
        ours_seconds, ours = mean_time(min_seconds, our_top_k, fitted, k, rated)
        equal = (ours == theirs).all(axis=1).mean()
        assert equal == 1.0, f"{name}: {equal:.1%} of the lists equal implicit's"
        print(
            f"{name:<14} {fit_seconds:>7.2f} {theirs_seconds / users.size * 1e3:>17.3f} "
            f"{ours_seconds / users.size * 1e3:>13.3f} {theirs_seconds / ours_seconds:>6.2f}x {equal:>12.1%}"
        )


MIN_CALLS = 3


def mean_time(min_seconds: float, function, *args):
    """Mean CPU seconds per call over at least ``MIN_CALLS`` calls and ``min_seconds`` in all, and the last result."""
    calls, started = 0, time.process_time()
    while calls < MIN_CALLS or time.process_time() - started < min_seconds:
        result = function(*args)
        calls += 1
    return (time.process_time() - started) / calls, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=1_700)
    parser.add_argument("--loop-users", type=int, default=40)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--models", default=DEFAULT_MODELS, help=f"comma-separated, from {', '.join([*ALGORITHMS, *IMPLICIT_MODELS])}"
    )
    parser.add_argument("--min-seconds", type=float, default=1.0, help="least CPU time each fast-path timing spans")
    args = parser.parse_args()
    names = args.models.split(",")
    try:
        for name in names:
            if name not in IMPLICIT_MODELS:
                ALGORITHMS.check(name)
    except DataError as exc:
        parser.error(str(exc))

    ratings = synthetic_ratings(args.ratings, args.users, args.items)
    trainset = Dataset.load_from_df(ratings, Reader(rating_scale=(1, 5))).build_full_trainset()
    print(f"{trainset.n_ratings:,} ratings, {trainset.n_users:,} users, {trainset.n_items:,} items, K = {args.k}")
    print(
        f"{'model':<14} {'fit s':>7} {'loop ms/user':>13} {'fast ms/user':>13} {'same users':>11} {'all users':>10} {'lists equal':>12}"
    )
    sampled = loop_sample(trainset, args.loop_users)
    everyone = np.arange(trainset.n_users)
    rated = rated_matrix(trainset)  # set-up shared by both paths, outside the timings
    for name in (name for name in names if name not in IMPLICIT_MODELS):
        started = time.perf_counter()
        algo = ALGORITHMS[name]().fit(trainset)
        fit_seconds = time.perf_counter() - started

        started = time.process_time()
        slow = loop_top_k(algo, sampled, args.k, rated)
        loop_per_user = (time.process_time() - started) / sampled.size

        fast_seconds, fast = mean_time(args.min_seconds, fast_top_k, algo, sampled, args.k, rated)
        fast_per_user_sampled = fast_seconds / sampled.size
        fast_all_seconds, fast_all = mean_time(args.min_seconds, fast_top_k, algo, everyone, args.k, rated)
        fast_per_user_all = fast_all_seconds / everyone.size

        equal = (slow == fast).all(axis=1).mean()
        assert (fast_all[sampled] == fast).all(), f"{name}: batch size changed the lists"
        print(
            f"{name:<14} {fit_seconds:>7.2f} {loop_per_user * 1e3:>13.2f} {fast_per_user_all * 1e3:>13.3f} "
            f"{loop_per_user / fast_per_user_sampled:>10.0f}x {loop_per_user / fast_per_user_all:>9.0f}x {equal:>12.1%}"
        )
    implicit_rows(as_feedback(ratings), names, args.k, args.min_seconds)


if __name__ == "__main__":
    main()
