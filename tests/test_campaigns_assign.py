"""Deterministic hash assignment, stratified by risk decile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.campaigns.assign import assign_arms, assignment_keys, risk_deciles

SHARES = {"control": 0.1, "discount": 0.45, "recs": 0.45}


@pytest.fixture
def members() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"user_id": [f"u{i:05d}" for i in range(1000)], "risk": rng.random(1000)})


def test_keys_are_stable_uniform_numbers():
    # SipHash of "7:u1" and "7:u2": a change here changes every stored assignment's reproduction.
    assert assignment_keys(pd.Series(["u1", "u2"]), "7") == pytest.approx([0.56885972, 0.30812299])
    keys = assignment_keys(pd.Series([f"u{i}" for i in range(20000)]), "1")
    assert ((keys >= 0) & (keys < 1)).all()
    assert np.histogram(keys, bins=10, range=(0, 1))[0] == pytest.approx(np.full(10, 2000), abs=150)


def test_deciles_hold_a_tenth_each(members):
    deciles = risk_deciles(members["risk"].to_numpy(), np.zeros(len(members)))
    assert np.bincount(deciles)[1:].tolist() == [100] * 10
    # Decile 10 holds the riskiest hundred.
    assert members["risk"][deciles == 10].min() == pytest.approx(np.sort(members["risk"])[-100])


def test_assignment_is_reproducible_and_depends_on_the_salt(members):
    first = assign_arms(members, SHARES, salt="12")
    again = (
        assign_arms(members.sample(frac=1, random_state=0), SHARES, salt="12")
        .set_index("user_id")
        .loc[first["user_id"]]
    )
    assert (first["arm"].to_numpy() == again["arm"].to_numpy()).all()
    other = assign_arms(members, SHARES, salt="13")
    assert (first["arm"] != other["arm"]).mean() > 0.3
    assert "arm" not in members.columns  # the given frame is not mutated


def test_every_decile_holds_each_arm_in_proportion(members):
    assigned = assign_arms(members, SHARES, salt="5")
    counts = assigned.groupby(["risk_decile", "arm"]).size().unstack()
    # 100 members per decile: 10 control, 45 and 45, up to one member off.
    assert counts["control"].to_numpy() == pytest.approx(np.full(10, 10), abs=1)
    assert counts["discount"].to_numpy() == pytest.approx(np.full(10, 45), abs=1)
    assert counts["recs"].to_numpy() == pytest.approx(np.full(10, 45), abs=1)
    # Overall mean risk of the arms agrees closely because every decile is balanced.
    means = assigned.groupby("arm")["risk"].mean()
    assert means["control"] == pytest.approx(means["discount"], abs=0.03)
