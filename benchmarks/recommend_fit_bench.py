"""Surprise fits on array trainsets with compiled loops, against Surprise's own trainset and fit.

Run: ``python benchmarks/recommend_fit_bench.py --db WAREHOUSE [--models svd,knn_baseline]`` (read only).
Per model, on all feedback with the model's default negatives: Surprise's ``Dataset.load_from_df(...)
.build_full_trainset()`` and ``algo.fit``, then :func:`retention.recommend.models.negatives_trainset` and
:func:`retention.recommend.fitting.fit` (numba compiled in a warm-up fit first) in the same process; seconds
each, the ratio, and the largest difference of the fitted parameters (0: the same fit).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surprise import SVD, Dataset, KNNBaseline, Reader  # noqa: E402

from retention import schema, warehouse  # noqa: E402
from retention.recommend import feedback, fitting, models  # noqa: E402

ATTRIBUTES = ("bu", "bi", "pu", "qi", "sim")


def build(name: str) -> object:
    """Model ``name``'s Surprise algorithm with its default hyperparameters, as the registry builds it."""
    params = models.resolve_params(name)
    if name == "svd":
        return SVD(**{key: value for key, value in params.items() if key != "negatives"})
    if name == "knn_baseline":
        similarity = {"name": "pearson_baseline", "user_based": False, "shrinkage": params["shrinkage"]}
        return KNNBaseline(k=params["k"], min_k=params["min_k"], sim_options=similarity, verbose=False)
    raise SystemExit(f"no compiled fit for {name!r}: use svd or knn_baseline")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a warehouse with feedback (read only)")
    parser.add_argument("--models", default="svd,knn_baseline")
    args = parser.parse_args()
    with warehouse.session(args.db) as con:
        train = feedback.load_feedback(con)
    tiny = train.subset(train.frame[schema.COL_USER].isin(train.frame[schema.COL_USER].unique()[:50]))
    for name in args.models.split(","):
        negatives = models.resolve_params(name)["negatives"]
        fitting.fit(build(name), models.negatives_trainset(tiny, negatives))  # compile
        started = time.perf_counter()
        augmented = models.with_negatives(train, negatives)
        columns = [schema.COL_USER, schema.COL_ITEM, schema.COL_RATING]
        reader = Reader(rating_scale=augmented.rating_scale)
        theirs = build(name).fit(Dataset.load_from_df(augmented.frame[columns], reader).build_full_trainset())
        before = time.perf_counter() - started
        started = time.perf_counter()
        ours = fitting.fit(build(name), models.negatives_trainset(train, negatives))
        after = time.perf_counter() - started
        difference = max(
            float(np.max(np.abs(getattr(ours, attribute) - getattr(theirs, attribute))))
            for attribute in ATTRIBUTES
            if hasattr(theirs, attribute)
        )
        print(
            f"{name:14s} Surprise {before:7.2f} s   arrays+compiled {after:7.2f} s   "
            f"ratio {before / after:5.1f}x   largest parameter difference {difference:.1e}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
