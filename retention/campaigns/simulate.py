"""Monte Carlo of a campaign's outcome before launch.

Model. A member with churn risk ``p`` (probability of no purchase within the
horizon) and expected order value ``v`` ends in one of three states: retained
anyway (probability ``1 - p``), kept by the treatment (``u * p``, where ``u``
is the arm's uplift), or lost (``p * (1 - u)``). Control members are never
contacted and add nothing. Per arm and draw:

- incremental customers kept = members in the "kept" state;
- incremental revenue = their expected order values;
- cost = contacts x cost per contact + discount share x value of every order
  the arm places (kept and retained-anyway members alike);
- net value = incremental revenue - cost; ROI = net value / cost.

Uncertainty has two layers: the uplift itself (one draw per arm and
simulation draw from the triangular distribution low / likely / high: the
assumption is shared by all members of the arm), and which members respond.

Method (why it stays interactive). Drawing every member's outcome would need
members x draws random numbers (10^9 for 100k x 10,000). Instead each arm's
members are sorted by risk and cut into ``buckets`` quantile buckets of nearly
equal risk. Within a bucket of ``n`` members with mean risk ``p`` the state
counts are multinomial: kept ~ Binomial(n, u p), then retained-anyway ~
Binomial(n - kept, (1 - p) / (1 - u p)); a bucket large enough that the
binomial's variance exceeds 50 in every draw is drawn from its normal
approximation instead. Counts become revenue through the
bucket's risk-weighted mean value (for kept members) and retention-weighted
mean value (for retained-anyway members), which keeps every expectation exact;
only the spread of values within a bucket is ignored. The work is draws x
arms x buckets binomials, independent of the number of members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention.campaigns.config import CONTROL, Arm, CampaignConfig
from retention.errors import DataError

METRICS = ("kept", "incremental_revenue", "cost", "net_value", "roi")
METRIC_LABELS = {
    "kept": "Incremental customers kept",
    "incremental_revenue": "Incremental revenue",
    "cost": "Cost",
    "net_value": "Net value",
    "roi": "ROI (net value / cost)",
}
INTERVAL = (0.05, 0.95)
TOTAL = "total"


@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate`.

    summary: one row per (arm, metric), arms then ``"total"``; columns ``arm``,
    ``members`` (int), ``metric`` (one of :data:`METRICS`), ``median``, ``low``
    and ``high`` (5th and 95th percentiles: a 90% interval), ``mean``. Money in
    the shop's currency, ``kept`` in customers, ``roi`` a ratio (NaN without cost).
    break_even: one row per arm; ``break_even_uplift`` is the uplift at which the
    expected net value is 0 (NaN when no uplift up to 1 breaks even).
    draws: per draw, the total of each metric (``draws`` rows).
    """

    summary: pd.DataFrame
    break_even: pd.DataFrame
    draws: pd.DataFrame


def draw_uplift(arm: Arm, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` uplifts from the triangular distribution (low, likely, high); constant when low == high."""
    low, likely, high = arm.uplift.low, arm.uplift.likely, arm.uplift.high
    if high <= low:
        return np.full(draws, low)
    return rng.triangular(low, likely, high, size=draws)


def risk_buckets(risk: np.ndarray, value: np.ndarray, buckets: int) -> pd.DataFrame:
    """Quantile buckets of near-equal risk.

    Returns columns ``n`` (members), ``risk`` (mean risk in [0, 1]),
    ``value_kept`` (risk-weighted mean value: the value of a member the
    treatment keeps) and ``value_retained`` ((1 - risk)-weighted mean value).
    """
    risk = np.asarray(risk, dtype=float)
    value = np.asarray(value, dtype=float)
    order = np.argsort(risk, kind="stable")
    count = min(buckets, len(risk))
    bucket = np.empty(len(risk), dtype=np.int64)
    bucket[order] = np.arange(len(risk)) * count // max(len(risk), 1)
    n = np.bincount(bucket, minlength=count)
    risk_sum = np.bincount(bucket, weights=risk, minlength=count)
    stay_sum = n - risk_sum
    value_mean = np.bincount(bucket, weights=value, minlength=count) / n
    kept_value = np.bincount(bucket, weights=risk * value, minlength=count)
    retained_value = np.bincount(bucket, weights=(1.0 - risk) * value, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept_value = np.where(risk_sum > 0, kept_value / risk_sum, value_mean)
        retained_value = np.where(stay_sum > 0, retained_value / stay_sum, value_mean)
    return pd.DataFrame({"n": n, "risk": risk_sum / n, "value_kept": kept_value, "value_retained": retained_value})


def binomial_counts(
    rng: np.random.Generator, n: np.ndarray, p: np.ndarray, *, normal_above: float = 50.0
) -> np.ndarray:
    """Binomial(n, p) counts, elementwise over a (draws, buckets) grid.

    Buckets whose variance ``n p (1 - p)`` exceeds ``normal_above`` in every
    draw use the normal approximation (rounded and clipped to [0, n]), which
    is several times cheaper to draw and indistinguishable at that size; the
    others draw exact binomials.
    """
    n = np.broadcast_to(n, p.shape)
    variance = n * p * (1.0 - p)
    normal = variance.min(axis=0) > normal_above
    counts = np.empty(p.shape, dtype=np.int64)
    if normal.any():
        mean, sd = n[:, normal] * p[:, normal], np.sqrt(variance[:, normal])
        counts[:, normal] = np.clip(np.rint(mean + sd * rng.standard_normal(mean.shape)), 0, n[:, normal])
    if (~normal).any():
        counts[:, ~normal] = rng.binomial(n[:, ~normal], p[:, ~normal])
    return counts


def simulate_arm(
    risk: np.ndarray, value: np.ndarray, arm: Arm, *, draws: int, rng: np.random.Generator, buckets: int = 50
) -> dict[str, np.ndarray]:
    """Per-draw outcome of one arm: arrays of length ``draws`` for each of :data:`METRICS`."""
    n_members = len(risk)
    uplift = draw_uplift(arm, draws, rng)
    if n_members == 0:
        zeros = np.zeros(draws)
        return {
            "kept": zeros,
            "incremental_revenue": zeros,
            "cost": zeros,
            "net_value": zeros,
            "roi": np.full(draws, np.nan),
        }
    table = risk_buckets(risk, value, buckets)
    n = table["n"].to_numpy()[None, :]
    p = table["risk"].to_numpy()[None, :]
    p_kept = np.clip(uplift[:, None] * p, 0.0, 1.0)
    kept = binomial_counts(rng, n, p_kept)
    rest = np.maximum(1.0 - p_kept, 1e-12)
    p_anyway = np.clip((1.0 - p) / rest, 0.0, 1.0)
    anyway = binomial_counts(rng, n - kept, p_anyway)
    revenue = kept @ table["value_kept"].to_numpy()
    ordered_value = revenue + anyway @ table["value_retained"].to_numpy()
    cost = n_members * arm.cost_per_contact + arm.discount_share * ordered_value
    net = revenue - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost > 0, net / np.where(cost > 0, cost, 1.0), np.nan)
    return {
        "kept": kept.sum(axis=1).astype(float),
        "incremental_revenue": revenue,
        "cost": cost,
        "net_value": net,
        "roi": roi,
    }


def break_even_uplift(risk: np.ndarray, value: np.ndarray, arm: Arm) -> float:
    """Uplift at which the arm's expected net value is 0, in [0, 1]; NaN when even uplift 1 loses money
    or the arm has no members.

    Expected net value at uplift ``u`` is ``u (1 - d) S_pv - n c - d S_qv`` with
    ``S_pv = sum(risk * value)`` and ``S_qv = sum((1 - risk) * value)``.
    """
    risk = np.asarray(risk, dtype=float)
    value = np.asarray(value, dtype=float)
    if risk.size == 0:
        return float("nan")
    gain = (1.0 - arm.discount_share) * float((risk * value).sum())
    fixed = len(risk) * arm.cost_per_contact + arm.discount_share * float(((1.0 - risk) * value).sum())
    if gain <= 0:
        return 0.0 if fixed <= 0 else float("nan")
    uplift = fixed / gain
    return uplift if uplift <= 1.0 else float("nan")


def _summarise(outcomes: dict[str, np.ndarray], arm: str, members: int) -> list[dict]:
    rows = []
    for metric in METRICS:
        values = outcomes[metric]
        finite = values[np.isfinite(values)]
        if finite.size:
            low, median, high = np.quantile(finite, [INTERVAL[0], 0.5, INTERVAL[1]])
            mean = float(finite.mean())
        else:
            low = median = high = mean = float("nan")
        rows.append(
            {
                "arm": arm,
                "members": members,
                "metric": metric,
                "median": float(median),
                "low": float(low),
                "high": float(high),
                "mean": mean,
            }
        )
    return rows


def simulate(
    members: pd.DataFrame,
    config: CampaignConfig,
    *,
    draws: int | None = None,
    seed: int | None = None,
    buckets: int = 50,
    col_arm: str = "arm",
    col_risk: str = "risk",
    col_value: str = "expected_value",
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Simulate the campaign's outcome per arm and in total.

    Parameters
    ----------
    members
        One row per campaign member with its arm (or ``"control"``), churn
        risk in [0, 1] and expected order value (currency).
    config
        The arms' costs and uplift ranges; ``draws`` and ``seed`` default to
        the config's.
    buckets
        Risk buckets per arm (see the module docstring).
    progress
        Called as ``progress(done, total)`` after each arm.
    """
    if members.empty:
        raise DataError("the campaign has no members to simulate: the audience or the targeting left nobody")
    draws = config.draws if draws is None else draws
    rng = np.random.default_rng(config.seed if seed is None else seed)
    arms = members[col_arm].to_numpy(dtype=object)
    risk = members[col_risk].to_numpy(dtype=float)
    value = members[col_value].to_numpy(dtype=float)
    rows: list[dict] = []
    breakeven: list[dict] = []
    totals = {metric: np.zeros(draws) for metric in METRICS if metric != "roi"}
    for done, arm in enumerate(config.arms, start=1):
        mask = arms == arm.name
        outcome = simulate_arm(risk[mask], value[mask], arm, draws=draws, rng=rng, buckets=buckets)
        rows += _summarise(outcome, arm.name, int(mask.sum()))
        for metric in totals:
            totals[metric] += outcome[metric]
        breakeven.append(
            {
                "arm": arm.name,
                "members": int(mask.sum()),
                "uplift_low": arm.uplift.low,
                "uplift_likely": arm.uplift.likely,
                "uplift_high": arm.uplift.high,
                "break_even_uplift": break_even_uplift(risk[mask], value[mask], arm),
            }
        )
        if progress:
            progress(done, len(config.arms))
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["roi"] = np.where(
            totals["cost"] > 0, totals["net_value"] / np.where(totals["cost"] > 0, totals["cost"], 1.0), np.nan
        )
    treated = int((arms != CONTROL).sum())
    rows += _summarise(totals, TOTAL, treated)
    return Simulation(summary=pd.DataFrame(rows), break_even=pd.DataFrame(breakeven), draws=pd.DataFrame(totals))


def summary_table(simulation: Simulation) -> pd.DataFrame:
    """The summary in wide form for display and download: one row per arm, ``<metric>_median/low/high`` columns."""
    wide = simulation.summary.pivot_table(
        index=["arm", "members"], columns="metric", values=["median", "low", "high"], sort=False
    )
    wide.columns = [f"{metric}_{stat}" for stat, metric in wide.columns]
    ordered = [f"{metric}_{stat}" for metric in METRICS for stat in ("median", "low", "high")]
    wide = wide[ordered].reset_index()
    return wide.merge(simulation.break_even[["arm", "break_even_uplift"]], on="arm", how="left")
