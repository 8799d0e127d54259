"""Campaign Monte Carlo: 100k customers x 10,000 draws, against a single numpy pass over the same customers.

Run: ``python benchmarks/campaign_bench.py [--customers N] [--draws D]``. Prints
the simulation time, the time of one vectorised pass over the customer arrays
(one Bernoulli draw per customer and the kept customers' value: what a single
Monte Carlo draw costs when done member by member), their ratio, and the
extrapolated cost of the member-by-member method for all draws.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.campaigns import assign_arms, parse_config, simulate  # noqa: E402

CONFIG = {
    "name": "Benchmark",
    "holdout_share": 0.1,
    "arms": [
        {"name": "discount", "template": "discount_email", "uplift": [0.02, 0.06, 0.12]},
        {"name": "shipping", "template": "free_shipping", "uplift": [0.01, 0.04, 0.08]},
    ],
}


def best_of(function, repeats: int) -> float:
    """Fastest wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    members = pd.DataFrame(
        {
            "user_id": [f"u{i:07d}" for i in range(args.customers)],
            "risk": rng.beta(2, 3, size=args.customers),
            "expected_value": rng.lognormal(3.5, 0.6, size=args.customers),
        }
    )
    config = parse_config(CONFIG | {"simulation": {"draws": args.draws, "seed": 0}})
    members = assign_arms(members, config.shares(), salt="bench")
    risk = members["risk"].to_numpy()
    value = members["expected_value"].to_numpy()

    def single_pass() -> float:
        kept = rng.random(len(risk)) < 0.06 * risk
        return float(value[kept].sum())

    baseline = best_of(single_pass, 20)
    simulation = best_of(lambda: simulate(members, config), 3)
    per_member_draws = 50
    chunk = best_of(lambda: [single_pass() for _ in range(per_member_draws)], 1) / per_member_draws * args.draws

    print(f"customers: {args.customers:,}, draws: {args.draws:,}, arms: {len(config.arms)} + control")
    print(f"single numpy pass over the customers:         {baseline * 1e3:9.2f} ms")
    print(f"bucketed Monte Carlo (all draws, all arms):   {simulation * 1e3:9.2f} ms")
    print(f"ratio simulation / single pass:               {simulation / baseline:9.1f}x")
    print(f"member-by-member draws, extrapolated:         {chunk:9.2f} s ({chunk / simulation:,.0f}x slower)")
    print(
        f"a dense customers x draws float64 matrix:     {args.customers * args.draws * 8 / 2**30:9.1f} GiB (never built)"
    )


if __name__ == "__main__":
    main()
