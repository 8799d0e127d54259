"""The Data page's suppression list under AppTest: upload, counts by kind, remove, and the list's CSV."""

from __future__ import annotations

import pytest
from conftest import app_page

from retention import warehouse
from retention.campaigns import suppression


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def _metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_upload_count_remove_and_download(db):
    at = app_page("data.py", timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["Customer ids"] == "0" and _metrics(at)["Emails"] == "0"
    assert at.button(key="suppression_import").disabled
    content = b"value\nu1\nAnn@Example.com\n\nu 3\nbob@shop.com\n"
    at.file_uploader(key="suppression_file").upload("stop.csv", content, "text/csv").run()
    at.text_input(key="suppression_reason").input("unsubscribed").run()
    at.button(key="suppression_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("added 3, 0 already listed, 1 rejected" in message.value for message in at.success)
    rejects = [frame.value for frame in at.dataframe if "problem" in frame.value.columns]
    assert rejects[0].values.tolist() == [[5, "u 3", "an id with a space inside"]]
    assert _metrics(at)["Customer ids"] == "1" and _metrics(at)["Emails"] == "2"
    with warehouse.session(db) as con:
        listed = suppression.list_entries(con)
    assert sorted(listed["value"]) == ["ann@example.com", "bob@shop.com", "u1"]
    assert set(listed["reason"]) == {"unsubscribed"}

    assert "Download the list" in [button.label for button in at.get("download_button")]
    at.text_input(key="suppression_remove_value").input("ANN@example.com").run()
    at.button(key="suppression_remove").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["Emails"] == "1"
    at.text_input(key="suppression_remove_value").input("nobody").run()
    at.button(key="suppression_remove").click().run()
    assert any("is not on the suppression list" in error.value for error in at.error)
