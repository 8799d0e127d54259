""" "Send to campaign" under AppTest: the Segments page's segment, the Cohorts page's cell and the At-risk page's
flagged list each open the Campaigns page, whose builder targets what the page listed; and the At-risk page's
settings travel in its URL.

What the builder targets is read from what it produced: the audience tile, and the audience of the config its
simulation job was started with (the job records it as JSON); both are checked against the page's own list.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest
from test_campaigns_fixtures import scored_copy
from test_page_at_risk import settled as scored
from test_page_campaign_audience import page_default_audience

from retention import churn, jobs, warehouse
from retention.campaigns import Audience, CampaignConfig, config_to_dict, parse_config, select_audience
from retention.campaigns.handoff import HANDED_FIELDS
from retention.ui.campaign_handoff import ACTIVE

TIMEOUT = 240


@pytest.fixture
def scored_db(sample_db, tmp_path, monkeypatch) -> str:
    path = scored_copy(sample_db, tmp_path)
    monkeypatch.setenv("RETENTION_DB", path)
    return path


def _send(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [element.value for element in at.exception]
    assert at.title[0].value == "Campaigns"
    return at.switch_page("pages/campaigns.py")  # where the browser now is: later runs stay on the Campaigns page


def _builder_config(path: str) -> dict:
    """The config (JSON form) the builder's simulation was started with (the newest simulation job)."""
    started = jobs.recent(path).query("kind == 'campaign_simulation'")
    return jobs.get(path, int(started["job_id"].iloc[0])).params["config"]


def _builder_audience(path: str) -> dict:
    """The audience of the config the builder's simulation was started with."""
    return _builder_config(path)["audience"]


def _handed(audience: Audience) -> dict:
    """The handed fields of ``audience`` in the JSON form a config is stored in."""
    as_json = config_to_dict(CampaignConfig(name="handed", arms=(), audience=audience))["audience"]
    return {field: as_json[field] for field in HANDED_FIELDS}


def _check_builder(at: AppTest, path: str, listed: set[str]) -> None:
    """The builder names the hand-over and targets its audience: the scored customers of ``listed``."""
    handover = at.session_state[ACTIVE]
    assert handover.customers == len(listed)
    assert any(box.value.startswith(f"Audience from {handover.source[:6]}") for box in at.info)
    with warehouse.connect(path) as con:
        scored = set(churn.latest_scores(con)["user_id"])
        targeted = set(select_audience(con, handover.audience)["user_id"])
    assert targeted == listed & scored
    built = _builder_audience(path)
    with warehouse.connect(path) as con:  # the builder's own exclusions apply on top of the hand-over
        kept = set(select_audience(con, parse_config(_builder_config(path)).audience)["user_id"])
    assert kept and kept <= targeted
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Customers in audience"] == f"{len(kept):,}"
    assert {field: built[field] for field in HANDED_FIELDS} == _handed(handover.audience)


def test_a_segment_goes_to_the_builder(scored_db):
    at = app_page("segments.py", timeout=TIMEOUT)
    at.query_params["segment"] = "Hibernating"  # a bound setting in the URL, as a browser that chose it has it
    at.run()
    assert at.selectbox(key="segment").value == "Hibernating"
    listed = set(at.dataframe[1].value["user_id"])
    at = _send(at, "segment-send")
    _check_builder(at, scored_db, listed)
    assert f"{len(listed):,} customers" in next(box.value for box in at.info if box.value.startswith("Audience from"))
    assert at.slider(key="aud-min-risk").value == 0  # a list of customers: every risk

    at.button(key="handover-clear").click().run()  # clearing the hand-over targets the filters again
    assert ACTIVE not in at.session_state
    with warehouse.connect(scored_db) as con:
        everyone = len(select_audience(con, page_default_audience(0.0)))
    assert {metric.label: metric.value for metric in at.metric}["Customers in audience"] == f"{everyone:,}"


def test_a_cohort_cell_goes_to_the_builder(scored_db):
    at = app_page("cohorts.py", timeout=TIMEOUT).run()
    assert not at.exception, [element.value for element in at.exception]
    at.segmented_control(key="cell_show").set_value("all").run()
    listed = set(next(table.value for table in at.dataframe if "user_id" in table.value.columns)["user_id"])
    assert listed
    at = _send(at, "cohort-send")
    _check_builder(at, scored_db, listed)
    assert at.session_state[ACTIVE].source.endswith(", all users")


@pytest.fixture
def at_risk_db(sample_copy, monkeypatch) -> str:
    """A private copy of the sample shop, scored by the At-risk page itself."""
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    return sample_copy


def _at_risk(params: dict[str, str] | None = None) -> AppTest:
    at = app_page("at_risk.py", timeout=TIMEOUT)
    at.query_params.update(params or {})
    at = scored(at.run())
    assert not at.exception, [element.value for element in at.exception]
    return at


def test_the_at_risk_list_goes_to_the_builder_as_its_filters(at_risk_db):
    country = _at_risk().multiselect(key="country").options[0]
    at = _at_risk({"threshold": "60", "country": country})  # settings in the URL: bound there as a browser has them
    flagged = at.dataframe[1].value
    assert len(flagged) and (flagged["risk"] >= 0.6).all() and (flagged["country"] == country).all()
    as_of = at.date_input(key="as_of").value

    at = _send(at, "at-risk-send")
    assert at.session_state[ACTIVE].audience == Audience(min_risk=0.6, countries=(country,), scores_as_of=as_of)
    assert at.slider(key="aud-min-risk").value == 60
    assert at.multiselect(key="aud-countries").value == [country]
    assert at.selectbox(key="aud-as-of").value == f"{as_of:%Y-%m-%d}"
    _check_builder(at, at_risk_db, set(flagged["user_id"]))


def test_a_shared_at_risk_url_reopens_its_settings(at_risk_db):
    """The URL a browser writes for settings made by hand (the browser test sees it written) reopens them: the same
    widgets, the same flagged list."""
    at = _at_risk()
    at.radio(key="flag_by").set_value("Top N").run()
    at.number_input(key="top").set_value(12).run()
    channel = at.multiselect(key="channel").options[-1]
    at.multiselect(key="channel").select(channel).run()
    flagged = at.dataframe[1].value
    assert len(flagged) == 12 and (flagged["channel"] == channel).all()

    shared = _at_risk({"flag_by": "Top N", "top": "12", "channel": channel})
    assert shared.radio(key="flag_by").value == "Top N"
    assert shared.number_input(key="top").value == 12
    assert shared.multiselect(key="channel").value == [channel]
    pd.testing.assert_frame_equal(shared.dataframe[1].value, flagged)

    threshold = _at_risk({"threshold": "70"})
    assert threshold.slider(key="threshold").value == 70
    listed = threshold.dataframe[1].value
    with warehouse.connect(at_risk_db) as con:
        saved = churn.latest_scores(con)
    assert sorted(listed["user_id"]) == sorted(saved.loc[saved["risk"] >= 0.7, "user_id"])


def test_a_shared_at_risk_url_reopens_its_date_and_horizon(at_risk_db):
    last = _at_risk().date_input(key="as_of").value
    day = last - pd.Timedelta(days=61)
    at = _at_risk({"as_of": f"{day:%Y-%m-%d}", "horizon": "60"})
    assert at.date_input(key="as_of").value == day and at.slider(key="horizon").value == 60
    assert any(f"no purchase in the 60 days after {day:%Y-%m-%d}" in caption.value for caption in at.caption)
    with warehouse.connect(at_risk_db) as con:
        saved = churn.latest_scores(con, as_of=day)
    assert saved["horizon_days"].iloc[0] == 60  # the page scored what its URL asked for
    flagged = at.dataframe[1].value
    assert sorted(flagged["user_id"]) == sorted(saved.loc[saved["risk"] >= 0.5, "user_id"])
