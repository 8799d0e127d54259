"""Churn model at 100k customers: fit, scoring and SHAP time, and the AUC cost of shallow trees.

Generates the churn features of ``--customers`` customers twice (a training and a
scoring set) with numpy, shaped like the warehouse's features, with a churn
hazard in the spirit of the sample shop's (recency, orders, low ratings,
returns, discount buying, channel, browsing without buying, and one
interaction). Then, for the shipped shallow trees (``churn.MODEL_PARAMS``) and
for unconstrained ones (no depth limit, 31 leaves, scikit-learn's default):

* fit: :func:`retention.churn.fit_churn_model` (one fit stopped early and calibrated on held-out customers);
* scoring: :meth:`ChurnModel.predict_risk` on the scoring set;
* SHAP: :func:`retention.explain.explain` on the scoring set (scoring and SHAP
  interleaved ``--repeat`` times, best of each);
* reasons: :func:`retention.explain.reasons` (plain words for every customer);
* ROC AUC on the scoring set.

Prints the SHAP-to-scoring ratio (target: at most 20) and the AUC difference
to the unconstrained trees (target: within 0.005). Times are measured in the
same run, so the ratios hold on a busy machine; the absolute seconds do not.

Run: ``python benchmarks/churn_bench.py [--customers 100000] [--repeat 3] [--seed 0]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention import churn, explain  # noqa: E402

UNCONSTRAINED = {"max_depth": None, "max_leaf_nodes": 31, "min_samples_leaf": 20}
CHANNEL_EFFECT = {"organic": -0.15, "paid_search": 0.6, "social": 0.55, "email": -0.5, "referral": -0.05}
COUNTRIES = ("UK", "DE", "FR", "NL", "IE", "ES", "US", "IT", "BE", "SE")


def synthetic_features(n: int, seed: int) -> pd.DataFrame:
    """``n`` customers' features (one column per entry of ``churn.FEATURE_REGISTRY``) and a ``churned`` label."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 700, size=n).round()
    rate = np.exp(rng.normal(np.log(0.16 / 7), 0.8, size=n))  # orders per day
    frequency = 1 + rng.poisson(rate * tenure)
    drifting = rng.random(n) < 0.35
    recency = np.minimum(tenure, rng.exponential(np.where(drifting, 4.0, 1.0) / rate)).round()
    aov = np.exp(rng.normal(np.log(55), 0.5, size=n))
    one = frequency == 1
    mean_gap = np.where(one, np.nan, np.maximum(tenure - recency, 1) / np.maximum(frequency - 1, 1))
    last_gap = np.where(one, np.nan, mean_gap * rng.gamma(2.0, 0.5, size=n))
    orders_90d = rng.poisson(rate * np.minimum(90, tenure) * np.where(drifting, 0.25, 1.0))
    orders_30d = rng.binomial(orders_90d, 1 / 3)
    orders_prior_90d = rng.poisson(rate * np.clip(tenure - 90, 0, 90))
    lines = frequency * (1 + rng.poisson(0.8, size=n))
    returned = rng.binomial(lines, 0.02 + 0.03 * rng.random(n))
    rated = rng.random(n) < 0.7
    rating_min = np.where(rated, rng.choice([1, 2, 3, 4, 5], p=[0.05, 0.08, 0.27, 0.35, 0.25], size=n), np.nan)
    rating_mean = np.where(rated, np.minimum(5, rating_min + rng.gamma(1.5, 0.5, size=n)), np.nan)
    deal_seeker = rng.random(n) < 0.2
    discount_share = np.where(deal_seeker, rng.beta(5, 2, size=n), rng.beta(1, 8, size=n))
    views = rng.poisson(np.where(drifting, 0.8, 0.1) * recency / 7 * 2.5)
    carts = rng.binomial(views, 0.08)
    channel = rng.choice(list(CHANNEL_EFFECT), p=[0.36, 0.22, 0.17, 0.12, 0.13], size=n)
    country = rng.choice(COUNTRIES, size=n)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i:07d}" for i in range(n)],
            "recency_days": recency,
            "frequency": frequency.astype(float),
            "monetary": (frequency * aov - returned * aov / 2).round(2),
            "revenue_365d": ((frequency * aov - returned * aov / 2) * np.minimum(1, 365 / np.maximum(tenure, 1))).round(
                2
            ),
            "tenure_days": tenure,
            "avg_order_value": aov.round(2),
            "mean_gap_days": mean_gap,
            "last_gap_days": last_gap,
            "orders_30d": orders_30d.astype(float),
            "orders_90d": orders_90d.astype(float),
            "orders_prior_90d": orders_prior_90d.astype(float),
            "returns_share": np.minimum(returned / lines, 1.0),
            "rating_mean": rating_mean,
            "rating_min": rating_min,
            "discount_share": discount_share,
            "categories": np.minimum(12, 1 + rng.poisson(np.log1p(frequency))).astype(float),
            "products": (1 + rng.poisson(2 * frequency)).astype(float),
            "views_since_order": views.astype(float),
            "carts_since_order": carts.astype(float),
            "channel": channel,
            "country": country,
        }
    )
    hazard = (
        -2.2
        + 1.1 * np.log1p(recency / 14)
        - 0.45 * np.log1p(frequency)
        + 1.1 * np.nan_to_num(rating_min <= 2)
        + 1.0 * np.minimum(returned, 3)
        + 1.1 * discount_share
        + pd.Series(channel).map(CHANNEL_EFFECT).to_numpy()
        + 0.15 * np.minimum(views, 10) * (recency > 30)  # browsing without buying matters once purchases stop
        + 1.5 * drifting
    )
    frame["churned"] = rng.random(n) < expit(hazard)
    assert set(frame.columns) - {"user_id", "churned"} == set(churn.FEATURE_REGISTRY)
    return frame


def timed(function) -> tuple[float, object]:
    """Wall time of one call (seconds) and its result."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(name: str, params: dict, train: pd.DataFrame, score: pd.DataFrame, repeat: int, seed: int) -> dict:
    """Fit once; then scoring and SHAP interleaved ``repeat`` times (best of each), so both see the same load."""
    fit, model = timed(lambda: churn.fit_churn_model(train, seed=seed, params=params))
    scoring = shap_time = float("inf")
    for _ in range(repeat):
        seconds, risk = timed(lambda: model.predict_risk(score))
        scoring = min(scoring, seconds)
        seconds, explanation = timed(lambda: explain.explain(model, score, churn.FEATURE_REGISTRY))
        shap_time = min(shap_time, seconds)
    reasons_time, _ = timed(lambda: explain.reasons(explanation, score))
    return {
        "trees": name,
        "iterations": int(model.trees.n_iter_),
        "leaves": int(sum(predictor[0].get_n_leaf_nodes() for predictor in model.trees._predictors)),
        "fit_s": fit,
        "scoring_s": scoring,
        "shap_s": shap_time,
        "reasons_s": reasons_time,
        "shap_over_scoring": shap_time / scoring,
        "roc_auc": roc_auc_score(score["churned"].astype(int), risk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train = synthetic_features(args.customers, args.seed)
    score = synthetic_features(args.customers, args.seed + 1)
    print(
        f"{args.customers:,} customers to train on and {args.customers:,} to score; churn rate {train.churned.mean():.1%}"
    )
    rows = [
        measure("shallow (shipped)", churn.MODEL_PARAMS, train, score, args.repeat, args.seed),
        measure("unconstrained", UNCONSTRAINED, train, score, args.repeat, args.seed),
    ]
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
        print(table.to_string(index=False))
    shallow, free = rows
    print(f"SHAP / scoring, shallow trees: {shallow['shap_over_scoring']:.1f}x (target <= 20x)")
    print(f"SHAP / scoring, unconstrained: {free['shap_over_scoring']:.1f}x")
    print(f"SHAP time, unconstrained / shallow: {free['shap_s'] / shallow['shap_s']:.1f}x")
    print(f"ROC AUC shallow - unconstrained: {shallow['roc_auc'] - free['roc_auc']:+.4f} (target >= -0.005)")


if __name__ == "__main__":
    main()
