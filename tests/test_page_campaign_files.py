"""The Campaigns page after a launch: a confirmation before writing, a launched campaign's files in a later
session (the same bytes as the library writes), arm labels in the results, and the default recommender run."""

from __future__ import annotations

import pytest
from conftest import app_page
from test_campaigns_fixtures import basic_config
from test_page_campaign_audience import page_default_audience

from retention import campaigns, warehouse
from retention.campaigns import plan
from retention.campaigns.config import parse_config
from retention.campaigns.response import simulate_response
from retention.campaigns.templates import ARM_TEMPLATES

PAGE = "campaigns.py"
TIMEOUT = 180


def _count(path: str, sql: str) -> int:
    with warehouse.session(path) as con:
        return con.execute(sql).fetchone()[0]


def test_the_confirmation_shows_size_arms_and_holdout_and_cancel_writes_nothing(writable_db):
    at = app_page(PAGE, timeout=TIMEOUT).run()
    at.button(key="launch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="launch-confirm").label == "Confirm launch"
    with warehouse.session(writable_db) as con:
        audience = len(campaigns.select_audience(con, page_default_audience(0.5)))
    question = next(markdown.value for markdown in at.markdown if markdown.value.startswith("**Launch "))
    assert f"{audience:,} customers" in question and "10% held out and never contacted" in question
    shown = next(frame.value for frame in at.dataframe if frame.value.columns.tolist() == ["label", "members", "share"])
    arms = ["discount_email", "recommendations_email"]
    assert shown["label"].tolist() == ["Control (holdout)"] + [ARM_TEMPLATES[arm].label for arm in arms]
    assert shown["members"].sum() == audience
    at.button(key="launch-cancel").click().run()
    assert not [button for button in at.button if button.key == "launch-confirm"]
    assert _count(writable_db, "SELECT count(*) FROM campaigns") == 0
    # Changing the campaign after "Launch campaign…" asks again for the changed one.
    at.button(key="launch").click().run()
    at.slider(key="tgt-holdout").set_value(20).run()
    assert not [button for button in at.button if button.key == "launch-confirm"]
    at.button(key="launch").click().run()
    assert any("20% held out" in markdown.value for markdown in at.markdown if markdown.value.startswith("**Launch "))
    at.button(key="launch-confirm").click().run()
    assert _count(writable_db, "SELECT count(*) FROM campaigns") == 1
    assert _count(writable_db, "SELECT count(*) FROM campaign_members WHERE arm = 'control'") == pytest.approx(
        0.2 * audience, abs=10
    )


def test_a_new_session_offers_the_launched_campaigns_files_byte_for_byte(writable_db, downloads, tmp_path):
    with warehouse.session(writable_db, write=True) as con:
        older = campaigns.launch(con, parse_config(basic_config(name="Older", audience={"min_risk": 0.9})))
        newest = campaigns.launch(con, parse_config(basic_config(name="Newest", audience={"min_risk": 0.6})))
        written = campaigns.write_exports(con, newest.campaign_id, tmp_path / "library")
    at = app_page(PAGE, timeout=TIMEOUT).run()  # a session that launched nothing
    assert not at.exception, [e.value for e in at.exception]
    note = next(info.value for info in at.info if "Files of a launched campaign" in info.value)
    assert f"Campaign \\\\#{newest.campaign_id}" in note or f"#{newest.campaign_id}" in note
    picker = at.selectbox(key="files-campaign")
    assert picker.value == newest.campaign_id and picker.options == [
        f"#{newest.campaign_id} Newest (launched)",
        f"#{older.campaign_id} Older (launched)",
    ]
    for path in written:
        assert downloads[path.name]().encode() if isinstance(downloads[path.name](), str) else True
        served = downloads[path.name]()
        assert (served.encode() if isinstance(served, str) else served) == path.read_bytes()
    # The older campaign's files, too.
    picker.set_value(older.campaign_id).run()
    assert not at.exception, [e.value for e in at.exception]
    with warehouse.session(writable_db) as con:
        again = campaigns.write_exports(con, older.campaign_id, tmp_path / "older")
    for path in again:
        served = downloads[path.name]()
        assert (served.encode() if isinstance(served, str) else served) == path.read_bytes()


def test_results_show_arm_labels_and_keep_ids_in_the_download(writable_db):
    with warehouse.session(writable_db, write=True) as con:
        config = parse_config(
            {
                "name": "Labelled",
                "audience": {},
                "holdout_share": 0.3,
                "arms": [{"name": "discount_email", "template": "discount_email", "uplift": [0.05, 0.1, 0.2]}],
            }
        )
        campaign_id = campaigns.launch(con, config).campaign_id
        simulate_response(con, campaign_id, {"discount_email": 0.3})
    at = app_page(PAGE, timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = ["Control (holdout)", ARM_TEMPLATES["discount_email"].label]
    assert list(plan.arm_labels(config).values()) == labels
    results = next(frame for frame in at.dataframe if "retention_diff" in frame.value.columns)
    assert results.value["label"].tolist() == labels
    assert results.value["arm"].tolist() == ["control", "discount_email"]  # the download keeps the ids
    assert at.data_editor(key="wave-split").value["label"].tolist() == labels
    reasons = next(markdown.value for markdown in at.markdown if "so the next wave can be measured" in markdown.value)
    assert reasons.startswith("- **Control (holdout)**:") and "discount_email" not in reasons
