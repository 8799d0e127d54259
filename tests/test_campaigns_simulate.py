"""Monte Carlo of a campaign against closed-form expectations and an exact per-customer simulation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config

from retention.campaigns import simulation_job
from retention.campaigns.config import Arm, Uplift, parse_config
from retention.campaigns.simulate import break_even_uplift, risk_buckets, simulate, simulate_arm, summary_table
from retention.errors import DataError

ARM = Arm("discount", "discount_email", cost_per_contact=0.5, discount_share=0.1, uplift=Uplift(0.05, 0.15, 0.3))


@pytest.fixture
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 400
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "risk": rng.beta(2, 3, size=n),
            "expected_value": rng.lognormal(3.5, 0.6, size=n),
            "arm": "discount",
        }
    )


def exact_simulation(risk, value, arm: Arm, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Every customer's outcome drawn separately (members x draws uniforms): the reference."""
    rng = np.random.default_rng(seed)
    uplift = rng.triangular(arm.uplift.low, arm.uplift.likely, arm.uplift.high, size=draws)[:, None]
    draw = rng.random((draws, len(risk)))
    kept = draw < uplift * risk
    anyway = (draw >= uplift * risk) & (draw < uplift * risk + (1 - risk))
    revenue = kept.astype(float) @ value
    cost = len(risk) * arm.cost_per_contact + arm.discount_share * (revenue + anyway.astype(float) @ value)
    return {"kept": kept.sum(axis=1).astype(float), "net_value": revenue - cost}


def test_means_match_the_closed_form(customers):
    risk, value = customers["risk"].to_numpy(), customers["expected_value"].to_numpy()
    outcome = simulate_arm(risk, value, ARM, draws=20_000, rng=np.random.default_rng(0))
    mean_uplift = (0.05 + 0.15 + 0.3) / 3
    kept = mean_uplift * risk.sum()
    revenue = mean_uplift * (risk * value).sum()
    cost = len(risk) * 0.5 + 0.1 * ((1 - risk) * value).sum() + 0.1 * revenue
    assert outcome["kept"].mean() == pytest.approx(kept, rel=0.02)
    assert outcome["incremental_revenue"].mean() == pytest.approx(revenue, rel=0.02)
    assert outcome["cost"].mean() == pytest.approx(cost, rel=0.01)
    assert outcome["net_value"].mean() == pytest.approx(revenue - cost, abs=0.02 * abs(revenue - cost) + 5)
    # The median of a sum of many small Bernoullis sits near its mean.
    assert np.median(outcome["kept"]) == pytest.approx(kept, abs=0.05 * kept + 1)


def test_quantiles_agree_with_the_exact_per_customer_simulation(customers):
    risk, value = customers["risk"].to_numpy(), customers["expected_value"].to_numpy()
    bucketed = simulate_arm(risk, value, ARM, draws=8000, rng=np.random.default_rng(2))
    exact = exact_simulation(risk, value, ARM, draws=8000, seed=3)
    for metric in ("kept", "net_value"):
        ours = np.quantile(bucketed[metric], [0.05, 0.5, 0.95])
        theirs = np.quantile(exact[metric], [0.05, 0.5, 0.95])
        spread = theirs[2] - theirs[0]
        assert ours == pytest.approx(theirs, abs=0.06 * spread), metric


def test_a_known_uplift_gives_a_binomial_count():
    # 1,000 members at risk 0.4 with uplift exactly 0.25: kept ~ Binomial(1000, 0.1).
    arm = Arm("a", "custom", 0.0, 0.0, Uplift(0.25, 0.25, 0.25))
    outcome = simulate_arm(np.full(1000, 0.4), np.full(1000, 10.0), arm, draws=20_000, rng=np.random.default_rng(4))
    assert outcome["kept"].mean() == pytest.approx(1000 * 0.1, rel=0.01)
    assert outcome["kept"].var() == pytest.approx(1000 * 0.1 * 0.9, rel=0.05)
    assert outcome["incremental_revenue"] == pytest.approx(outcome["kept"] * 10.0)


def test_buckets_keep_the_weighted_sums():
    risk = np.array([0.1, 0.2, 0.5, 0.9])
    value = np.array([10.0, 20.0, 30.0, 40.0])
    table = risk_buckets(risk, value, buckets=2)
    assert table["n"].tolist() == [2, 2]
    assert (table["n"] * table["risk"] * table["value_kept"]).sum() == pytest.approx((risk * value).sum())
    assert (table["n"] * (1 - table["risk"]) * table["value_retained"]).sum() == pytest.approx(
        ((1 - risk) * value).sum()
    )
    assert table["value_kept"][0] == pytest.approx((0.1 * 10 + 0.2 * 20) / (0.1 + 0.2))


def test_break_even_uplift_by_hand():
    arm = Arm("a", "custom", cost_per_contact=1.0, discount_share=0.1, uplift=Uplift(0.0, 0.1, 0.2))
    risk, value = np.array([0.5, 0.5]), np.array([100.0, 100.0])
    uplift = break_even_uplift(risk, value, arm)
    assert uplift == pytest.approx((2 * 1.0 + 0.1 * 100) / (0.9 * 100))
    # At the break-even uplift the expected net value is zero.
    gain = uplift * (risk * value).sum()
    cost = 2 * 1.0 + 0.1 * (((1 - risk) * value).sum() + gain)
    assert gain - cost == pytest.approx(0.0, abs=1e-9)
    expensive = Arm("b", "custom", cost_per_contact=1000.0, discount_share=0.0, uplift=Uplift(0.0, 0.1, 0.2))
    assert np.isnan(break_even_uplift(risk, value, expensive))
    assert np.isnan(break_even_uplift(np.array([]), np.array([]), arm))


def test_simulate_sums_arms_into_the_total(customers):
    config = parse_config(basic_config())
    members = customers.copy()
    members["arm"] = np.where(
        np.arange(len(members)) % 5 == 0, "control", np.where(np.arange(len(members)) % 2, "discount", "recs")
    )
    result = simulate(members, config, draws=3000)
    means = result.summary.pivot(index="arm", columns="metric", values="mean")
    assert means.loc["total", "kept"] == pytest.approx(means.loc["discount", "kept"] + means.loc["recs", "kept"])
    assert means.loc["total", "cost"] == pytest.approx(means.loc["discount", "cost"] + means.loc["recs", "cost"])
    assert result.summary.query("arm == 'total'")["members"].iloc[0] == (members["arm"] != "control").sum()
    assert len(result.draws) == 3000
    table = summary_table(result)
    assert table["arm"].tolist() == ["discount", "recs", "total"]
    assert (table["net_value_low"] <= table["net_value_median"]).all()
    assert (table["net_value_median"] <= table["net_value_high"]).all()
    heard: list[tuple[int, int]] = []
    again = simulate(members, config, draws=3000, progress=lambda *done: heard.append(done))
    pd.testing.assert_frame_equal(result.summary, again.summary)  # the seed makes it reproducible
    assert heard == [(1, 2), (2, 2)]  # one call per arm

    # What a simulation job records reads back as the same simulation (net value draws to the cent).
    run = simulation_job.SimulationRun(500, len(members), "Churn scores as of ...", result, pd.DataFrame({"a": [1.5]}))
    saved = simulation_job.from_result(json.loads(json.dumps(simulation_job.job_result(run))))
    assert (saved.audience, saved.members, saved.scoring) == (500, len(members), "Churn scores as of ...")
    pd.testing.assert_frame_equal(saved.simulation.summary, result.summary, check_dtype=False)
    pd.testing.assert_frame_equal(saved.simulation.break_even, result.break_even, check_dtype=False)
    pd.testing.assert_frame_equal(saved.comparison, run.comparison, check_dtype=False)
    assert saved.simulation.draws.columns.tolist() == ["net_value"]
    assert saved.simulation.draws["net_value"].to_numpy() == pytest.approx(result.draws["net_value"], abs=0.005)
    pd.testing.assert_frame_equal(summary_table(saved.simulation), table, check_dtype=False)


def test_simulating_nobody_is_an_error():
    with pytest.raises(DataError, match="no members"):
        simulate(pd.DataFrame({"arm": [], "risk": [], "expected_value": []}), parse_config(basic_config()))
