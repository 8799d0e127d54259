"""Campaign configuration: parsing, defaults from templates, shares, and errors that name the field."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from test_campaigns_fixtures import basic_config

from retention.campaigns.config import (
    Arm,
    CampaignConfig,
    ConfigError,
    Targeting,
    Uplift,
    check_config,
    config_to_dict,
    load_config,
    parse_config,
    with_shares,
)
from retention.campaigns.templates import ARM_TEMPLATES


def test_parse_fills_costs_from_the_template_and_round_trips():
    config = parse_config(basic_config())
    discount = config.arm("discount")
    assert discount.cost_per_contact == ARM_TEMPLATES["discount_email"].cost_per_contact
    assert discount.discount_share == ARM_TEMPLATES["discount_email"].discount_share
    assert config.arm("recs").uplift.likely == 0.03
    assert config.arm("recs").needs_recommendations
    assert parse_config(config_to_dict(config)) == config
    assert parse_config(json.loads(json.dumps(config_to_dict(config)))) == config


def test_shares_split_the_treated_traffic_by_weight():
    data = basic_config(holdout_share=0.1)
    data["arms"][0]["share"] = 3
    data["arms"][1]["share"] = 1
    shares = parse_config(data).shares()
    assert shares == pytest.approx({"control": 0.1, "discount": 0.9 * 3 / 4, "recs": 0.9 * 1 / 4})
    assert sum(shares.values()) == pytest.approx(1.0)
    edited = with_shares(parse_config(data), {"recs": 3})
    assert edited.shares()["recs"] == pytest.approx(0.9 * 3 / 6)


def test_uplift_mean_is_the_triangular_mean():
    assert parse_config(basic_config()).arm("discount").uplift.mean == pytest.approx((0.02 + 0.05 + 0.1) / 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["arms"][0].pop("uplift"), "arm 'discount' uplift is missing"),
        (lambda c: c["arms"][0].update(uplift=0.05), "single number"),
        (lambda c: c["arms"][0].update(uplift={"low": 0.1, "likely": 0.05, "high": 0.2}), "low <= likely <= high"),
        (lambda c: c["arms"][0].update(uplift=[0.1, 0.2]), "three numbers"),
        (
            lambda c: c["arms"][0].update(template="carrier_pigeon"),
            "arm 'discount': arm template 'carrier_pigeon' is not one of discount_email,",
        ),
        (lambda c: c["arms"][1].update(name="discount"), "repeated: ['discount']"),
        (lambda c: c["arms"][0].update(name="control"), "may not be 'control'"),
        (lambda c: c["arms"][0].update(name="a/b"), "arms[0].name"),
        (lambda c: c.update(arms=[]), "at least one arm"),
        (lambda c: c.update(targeting={"strategy": "everyone", "budget": 0.01}), "below the cost of one contact"),
        (lambda c: c.update(targeting={"strategy": "top_n_risk"}), "needs targeting.top_n"),
        (
            lambda c: c.update(targeting={"strategy": "loudest"}),
            "targeting strategy 'loudest' is not one of everyone, top_n_risk",
        ),
        (lambda c: c["audience"].update(cohort="2024-13"), "audience.cohort"),
        (lambda c: c["audience"].update(min_risk=1.5), "audience.min_risk must be at most 1.0"),
        (lambda c: c["audience"].update(countires=["UK"]), "unknown field(s) ['countires']"),
        (lambda c: c.update(holdout_share=0), "holdout_share must be at least 0.01"),
        (lambda c: c.update(horizon_days="30"), "horizon_days must be a whole number"),
        (lambda c: c.update(name="  "), "needs a name"),
    ],
)
def test_bad_config_names_what_is_wrong(change, message):
    data = basic_config()
    change(data)
    with pytest.raises(ConfigError, match=None) as caught:
        parse_config(data)
    assert message in str(caught.value)


def test_a_config_is_hashable_and_equal_configs_hash_alike():
    config = parse_config(basic_config())
    again = parse_config(basic_config())
    assert config is not again
    assert hash(config) == hash(again)
    assert {config: 1}[again] == 1
    assert hash(config) != hash(with_shares(config, {"recs": 3}))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda arm: replace(arm, uplift=Uplift(0.1, 0.05, 0.2)), "low <= likely <= high"),
        (lambda arm: replace(arm, template="carrier_pigeon"), "arm template 'carrier_pigeon' is not one of"),
        (lambda arm: replace(arm, name="control"), "may not be 'control'"),
        (lambda arm: replace(arm, discount_share=0.99), "arm 'discount' discount_share must be at most 0.95"),
    ],
)
def test_configs_built_as_dataclasses_keep_the_same_rules(change, message):
    arm = Arm("discount", "discount_email", 0.05, 0.1, Uplift(0.02, 0.05, 0.1))
    assert check_config(CampaignConfig("Built", (arm,))) == CampaignConfig("Built", (arm,))
    with pytest.raises(ConfigError) as caught:
        check_config(CampaignConfig("Built", (change(arm),)))
    assert message in str(caught.value)
    with pytest.raises(ConfigError, match="needs targeting.top_n"):
        check_config(CampaignConfig("Built", (arm,), targeting=Targeting("top_n_risk")))


def test_load_config_reports_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(broken)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(basic_config()))
    assert load_config(good).name == "Win back"
