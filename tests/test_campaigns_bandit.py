"""Beta posteriors, the Thompson-sampling split and the next wave's configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from test_campaigns_fixtures import basic_config

from retention.campaigns.bandit import next_wave_config, posteriors, thompson_split
from retention.campaigns.config import ConfigError, parse_config

TABLE = pd.DataFrame({"arm": ["control", "discount", "recs"], "members": [200, 400, 400], "retained": [90, 200, 190]})


def test_posteriors_by_hand():
    post = posteriors(TABLE).set_index("arm")
    assert post.loc["discount", "alpha"] == 1 + 200
    assert post.loc["discount", "beta"] == 1 + 400 - 200
    assert post.loc["control", "mean"] == pytest.approx(91 / (91 + 111))
    assert post.loc["recs", "low"] == pytest.approx(stats.beta.ppf(0.025, 191, 211))


def test_probability_of_being_best_matches_numerical_integration():
    split = thompson_split(TABLE, holdout_share=0.1, min_share=0.0, draws=40_000, seed=1).set_index("arm")
    # P(discount's rate > recs' rate) = integral of f_discount(x) * F_recs(x) dx.
    exact, _ = integrate.quad(lambda x: stats.beta.pdf(x, 201, 201) * stats.beta.cdf(x, 191, 211), 0, 1)
    assert split.loc["discount", "p_best"] == pytest.approx(exact, abs=0.01)
    assert split.loc["recs", "p_best"] == pytest.approx(1 - exact, abs=0.01)
    # Without a floor, the treated 90% is split by the probability of being best.
    assert split.loc["discount", "share"] == pytest.approx(0.9 * split.loc["discount", "p_best"])
    assert split["share"].sum() == pytest.approx(1.0)
    beats, _ = integrate.quad(lambda x: stats.beta.pdf(x, 201, 201) * stats.beta.cdf(x, 91, 111), 0, 1)
    assert split.loc["discount", "p_beats_control"] == pytest.approx(beats, abs=0.01)
    assert "best arm in" in split.loc["discount", "reasoning"]


def test_the_floor_keeps_a_losing_arm_learning():
    table = pd.DataFrame({"arm": ["control", "good", "bad"], "members": [500, 1000, 1000], "retained": [200, 600, 300]})
    split = thompson_split(table, holdout_share=0.2, min_share=0.1).set_index("arm")
    assert split.loc["bad", "p_best"] == pytest.approx(0.0, abs=1e-3)
    assert split.loc["bad", "share"] == pytest.approx(0.8 * 0.1 / 1.1, abs=1e-3)
    assert split.loc["control", "share"] == 0.2
    assert split["share"].sum() == pytest.approx(1.0)
    assert "exploration floor" in split.loc["bad", "reasoning"]


def test_next_wave_config_takes_the_split_and_leaves_out_earlier_members():
    config = parse_config(basic_config())
    wave = next_wave_config(config, 4, {"control": 0.1, "discount": 0.6, "recs": 0.3})
    assert wave.name == "Win back (wave 2)"
    assert wave.wave == 2 and wave.parent_id == 4
    assert wave.audience.exclude_campaigns == (4,)
    assert wave.shares() == pytest.approx({"control": 0.1, "discount": 0.6, "recs": 0.3})
    third = next_wave_config(wave, 9, {"control": 0.2, "discount": 0.4, "recs": 0.4})
    assert third.name == "Win back (wave 3)" and third.audience.exclude_campaigns == (4, 9)
    with pytest.raises(ConfigError, match="no arm named"):
        next_wave_config(config, 4, {"control": 0.1, "sms": 0.9})
    with pytest.raises(ConfigError, match="holdout share"):
        next_wave_config(config, 4, {"control": 0.0, "discount": 1.0})
    assert np.isclose(sum(wave.shares().values()), 1.0)
