"""A launched campaign's files on the Campaigns page: the layout picker, remembered, and the contact box."""

from __future__ import annotations

import shutil

import pytest
from conftest import app_page
from test_campaigns_fixtures import basic_config, scored_copy

from retention import campaigns, warehouse
from retention.campaigns.config import parse_config

PAGE = "campaigns.py"


@pytest.fixture
def launched_db(sample_db, tmp_path, monkeypatch) -> tuple[str, int]:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_copy(sample_db, tmp_path), path)
    config = basic_config(
        arms=[
            {"name": "mail", "template": "discount_email", "uplift": [0.02, 0.05, 0.1]},
            {"name": "site", "template": "onsite_offer", "uplift": [0.0, 0.02, 0.05]},
        ]
    )
    con = warehouse.connect(path)
    try:
        campaign_id = campaigns.launch(con, parse_config(config)).campaign_id
        sizes = {arm: len(frame) for arm, frame in campaigns.arm_exports(con, campaign_id).items()}
    finally:
        con.close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    return campaign_id, sizes


def _buttons(at) -> dict[str, str]:
    return {
        button.proto.label: button.proto.url
        for button in at.get("download_button")
        if "Download arm" in button.proto.label
    }


def test_files_come_in_the_chosen_layout_which_the_session_remembers(launched_db):
    campaign_id, sizes = launched_db
    at = app_page(PAGE).run()
    at.session_state["launched"] = (campaign_id, True)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="files-preset")
    assert picker.value == "plain" and picker.options == ["Plain (all columns)", "Klaviyo", "Mailchimp", "Braze"]
    assert set(_buttons(at)) == {f"Download arm {arm} ({count:,} contacts)" for arm, count in sizes.items()}
    captions = [caption.value for caption in at.caption]
    assert any(text.startswith("Arm mail: email") for text in captions)
    assert any(text.startswith("Arm site: on-site: ids only") for text in captions)
    picker.select("klaviyo").run()
    assert any("Klaviyo imports a list by email address or phone number" in info.value for info in at.info)
    at.checkbox(key="files-email").check().run()
    assert not any("imports a list" in info.value for info in at.info)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["campaign-export-preset"] == "klaviyo"
    assert set(_buttons(at)) == {f"Download arm {arm} ({count:,} contacts)" for arm, count in sizes.items()}
    # The choice outlives the widget: away to another page and back, the files come in the same layout.
    at.switch_page("pages/data.py").run()
    at.switch_page(f"pages/{PAGE}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="files-preset").value == "klaviyo"
