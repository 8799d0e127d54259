"""A short soak: a served app read by two browsers while a scheduled refresh imports two inbox files.

The bounded version of ``benchmarks/soak.py`` (a real server, real Chromium contexts, real ``python -m retention
refresh`` subprocesses on one warehouse file): no page shows an error, no refresh fails, each inbox file is
loaded exactly once, and the Overview shows every refresh's new orders. Times are recorded by the benchmark,
never asserted on here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from served_app import PAGE_TITLES

sys.path.insert(0, str(ROOT / "benchmarks"))

import soak  # noqa: E402

from retention import overview, warehouse  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_two_browsers_and_a_scheduled_refresh_share_one_warehouse(sample_db, tmp_path):
    db = tmp_path / "soak.duckdb"
    shutil.copy(sample_db, db)
    with warehouse.session(db) as con:
        before = overview.kpis(con).orders

    summary = soak.soak(db, tmp_path, seconds=75, every=25, browsers=2, refreshes=2)

    assert summary["errors"] == []
    assert summary["refreshes"] == 2 and summary["refresh_failures"] == 0
    assert summary["files_loaded_once"] == 2
    assert len(summary["new_orders_seen_after_seconds"]) == 2
    with warehouse.session(db) as con:
        assert overview.kpis(con).orders == before + 2 * soak.ORDERS_PER_FILE
    visited = {(visit["session"], visit["title"]) for visit in summary["visit_log"] if visit["seconds"] is not None}
    assert {session for session, _ in visited} == {0, 1}
    assert {title for _, title in visited} == set(PAGE_TITLES)
    last = [visit for visit in summary["visit_log"] if visit["title"] == "Overview"][-2:]
    assert [visit["orders"] for visit in last] == [before + 2 * soak.ORDERS_PER_FILE] * 2
    assert Path(tmp_path / "inbox" / "done").exists() and not (tmp_path / "inbox" / "failed").exists()
