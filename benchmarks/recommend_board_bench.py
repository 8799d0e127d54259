"""The leaderboard's statistics at scale: 95% bootstrap intervals of five ranking metrics and one paired comparison,
against the plain loop over resamples (the definition), on synthetic per-customer metrics.

Run: ``python benchmarks/recommend_board_bench.py [--customers 100000] [--resamples 1000]``. Prints each step's
seconds and the loop / vectorised ratio, and checks that both give the same bounds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.recommend import board  # noqa: E402
from retention.recommend.metrics import RANKING_METRICS  # noqa: E402


def loop_bounds(values: np.ndarray, resamples: int) -> np.ndarray:
    """The percentile bootstrap one resample at a time (the same draws as :func:`board.bootstrap_means`)."""
    rng = np.random.default_rng(board.SEED)
    means = [
        values[rng.integers(0, len(values), size=len(values), dtype=np.int32)].mean(axis=0) for _ in range(resamples)
    ]
    return np.quantile(np.array(means), [0.025, 0.975], axis=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=board.RESAMPLES)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    users = [f"u{i}" for i in range(args.customers)]
    frame = pd.DataFrame({"user_id": users, **{metric: rng.beta(1, 4, args.customers) for metric in RANKING_METRICS}})
    values = frame[list(RANKING_METRICS)].to_numpy()

    started = time.perf_counter()
    means = board.bootstrap_means(values, resamples=args.resamples)
    vectorised = time.perf_counter() - started
    started = time.perf_counter()
    expected = loop_bounds(values, args.resamples)
    loop = time.perf_counter() - started
    assert np.allclose(np.quantile(means, [0.025, 0.975], axis=0), expected, rtol=1e-9)
    print(
        f"intervals of {len(RANKING_METRICS)} metrics, {args.customers:,} customers, {args.resamples:,} resamples: "
        f"vectorised {vectorised:6.2f} s   loop {loop:6.2f} s   loop/vectorised {loop / vectorised:5.1f}x"
    )

    other = pd.Series(values[:, 2] + rng.normal(0, 0.05, args.customers), index=users)
    started = time.perf_counter()
    result = board.paired(other, pd.Series(values[:, 2], index=users))
    print(f"paired comparison of one metric: {time.perf_counter() - started:6.2f} s   ({result})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
