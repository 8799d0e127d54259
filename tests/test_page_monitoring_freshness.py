"""The stale-warehouse flag in every page's sidebar, and the Monitoring page's freshness and jobs views, under
AppTest."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import app_page
from test_monitoring_freshness import AGES, FILES, failing_work, import_text, set_imported

from retention import jobs, refresh, warehouse
from retention.monitoring import freshness
from retention.ui.common import stale_badge

TIMEOUT = 180


@pytest.fixture
def stale_db(tmp_path, monkeypatch) -> str:
    """The hand-made shop of test_monitoring_freshness, its orders last imported 10 days before the real clock."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse.session(path, write=True) as con:
        for name, (table, text) in FILES.items():
            import_text(con, tmp_path, name, table, text)
        set_imported(con, AGES, now=dt.datetime.now())
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def sidebar_text(at) -> str:
    return "\n".join(element.value for element in at.sidebar.markdown)


def test_a_stale_warehouse_is_flagged_in_the_sidebar_and_on_the_monitoring_page(stale_db):
    at = app_page("monitoring.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Data may be stale" in sidebar_text(at)
    assert "No new orders imported for 10 days" in sidebar_text(at)
    headers = [h.value for h in at.header]
    assert headers.index("Data freshness") < headers.index("Jobs and refreshes")
    warnings = " ".join(w.value for w in at.warning)
    assert "freshness.days_since_orders_import" in warnings and "freshness.reject_rate" in warnings
    assert "jobs.failed_recently" not in warnings
    assert len(at.get("plotly_chart")) == 2
    downloads = {button.proto.label for button in at.get("download_button")}
    assert downloads == {"Download CSV"} and len(at.get("download_button")) == 2
    assert any("Worrying: a red point above the dashed line" in c.value for c in at.caption)


def test_a_fresh_warehouse_has_no_flag(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    with warehouse.session(sample_db) as con:
        assert freshness.days_since_orders_import(con) < 1
    at = app_page("overview.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Warehouse:" in caption.value for caption in at.sidebar.caption)
    assert "Data may be stale" not in sidebar_text(at)


def test_recent_failures_are_listed_with_a_csv_and_flagged(stale_db):
    with pytest.raises(ValueError):
        jobs.run(stale_db, "doomed", {}, failing_work)
    with warehouse.session(stale_db, write=True) as con:
        run = refresh.start_run(con, refresh.Settings())
        failed = refresh.StepResult("score", "failed", 1.0, "no saved model")
        refresh.update_run(con, run, [failed], finished=True, scored_token=None)
    at = app_page("monitoring.py", timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("jobs.failed_recently: 2 is past 0" in w.value for w in at.warning)
    failures = next(frame.value for frame in at.dataframe if {"what", "kind", "status"} <= set(frame.value.columns))
    assert failures[["what", "kind", "status"]].values.tolist() == [
        ["refresh", "refresh", "failed"],
        ["job", "doomed", "failed"],
    ]
    assert len(at.get("download_button")) >= 2 + 2  # freshness's two, the refresh runs and the failures (and others')


def test_the_badge_says_the_whole_days_past_the_gap_only():
    assert freshness.is_stale(7.5) and not freshness.is_stale(7.0)
    assert "for 7 days" in stale_badge(7.5)
    assert stale_badge(7.0) is None and stale_badge(None) is None
