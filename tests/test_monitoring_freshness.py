"""Monitoring sections "freshness" and "jobs" on a hand-made warehouse whose imports have known times and rejects."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from retention import ingest, jobs, monitoring, refresh, warehouse
from retention.charts import freshness as charts
from retention.cli import main
from retention.monitoring import freshness
from retention.refresh import run as refresh_run

NOW = dt.datetime(2026, 6, 1, 12, 0)

FILES = {  # name: (table, text), imported in this order as batches 1, 2, 3 (and 4: its users), 5
    "a.csv": ("orders", "order_id,user_id,ts\no1,u1,2024-01-01 09:00\no2,u2,2024-01-05 10:00\n"),
    "b.csv": ("events", "user_id,ts,event_type\nu1,2024-01-06 08:00,view\nu2,2024-01-07 08:00,view\n"),
    "c.csv": (
        "orders",
        "order_id,user_id,ts,country\no3,u1,2024-02-01 10:00,FR\no4,u3,2024-02-03 08:00,DE\no5,u3,not a time,DE\n"
        "o6,u2,2024-02-02,FR\n",
    ),
    "d.csv": ("ratings", "user_id,item_id,rating,ts\nu1,i1,4,2024-02-04 12:00\nu2,i1,9,2024-02-04 13:00\n"),
}
AGES = {1: 20, 2: 12, 3: 10, 4: 10, 5: 2}  # batch id -> days before NOW it was imported
MAPPINGS = {"c.csv": {"country": "country"}}  # c.csv also fills users, as a batch of its own


def days_ago(days: float, now: dt.datetime = NOW) -> dt.datetime:
    return now - dt.timedelta(days=days)


def set_imported(con, ages: dict[int, float], now: dt.datetime = NOW) -> None:
    """Move each batch's import time to ``now - age`` days (imports record the real clock)."""
    with warehouse.transaction(con):
        for batch_id, age in ages.items():
            con.execute("UPDATE import_batches SET imported_at = ? WHERE batch_id = ?", [days_ago(age, now), batch_id])


def import_text(con, folder: Path, name: str, table: str, text: str) -> ingest.ImportResult:
    path = folder / name
    path.write_text(text)
    return ingest.import_file(con, table, path, mapping=MAPPINGS.get(name))


@pytest.fixture
def shop(tmp_path) -> str:
    """A warehouse with the four FILES imported, batch times set to AGES."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse.session(path, write=True) as con:
        for name, (table, text) in FILES.items():
            import_text(con, tmp_path, name, table, text)
        set_imported(con, AGES)
    return str(path)


def test_the_import_log_is_what_the_files_held(shop):
    with warehouse.session(shop) as con:
        batches = freshness.import_batches(con)
    assert batches["batch_id"].tolist() == [1, 2, 3, 4, 5]
    assert batches["table_name"].tolist() == ["orders", "events", "orders", "users", "ratings"]
    assert batches["source_name"].tolist() == ["a.csv", "b.csv", "c.csv", "c.csv", "d.csv"]
    assert batches["rows_loaded"].tolist() == [2, 2, 3, 3, 1]
    assert batches["rows_rejected"].tolist() == [0, 0, 1, 0, 1]
    assert batches["reject_rate"].tolist() == pytest.approx([0 / 2, 0 / 2, 1 / 4, 0 / 3, 1 / 2])
    assert batches["top_reason"].tolist()[4] == "rating outside 1-5"
    assert batches["top_reason"].tolist()[2] == "unparseable ts"
    assert batches["top_reason"].isna().tolist() == [True, True, False, True, False]
    assert batches["imported_at"].tolist() == [pd.Timestamp(days_ago(AGES[b])) for b in (1, 2, 3, 4, 5)]


def test_newest_data_per_table_matches_the_tables_themselves(shop):
    with warehouse.session(shop) as con:
        tables = freshness.table_freshness(con).set_index("table_name")
        logged = con.execute("SELECT batch_id, imported_at FROM import_batches").df().set_index("batch_id")
        for table in ("orders", "events", "ratings", "users", "products"):
            rows = con.execute(f"SELECT * FROM {table}").df()
            assert tables.loc[table, "rows"] == len(rows)
            if len(rows):
                newest_batch = rows["batch_id"].max()
                assert tables.loc[table, "newest_batch"] == newest_batch
                assert tables.loc[table, "newest_import"] == logged.loc[newest_batch, "imported_at"]
    assert list(tables.index) == ["orders", "events", "ratings", "users", "products"]
    assert tables.loc["orders", "newest_ts"] == pd.Timestamp("2024-02-03 08:00")
    assert tables.loc["events", "newest_ts"] == pd.Timestamp("2024-01-07 08:00")
    assert tables.loc["ratings", "newest_ts"] == pd.Timestamp("2024-02-04 12:00")
    assert tables.loc["orders", "newest_import"] == pd.Timestamp(days_ago(10))
    assert pd.isna(tables.loc["users", "newest_ts"])
    assert tables.loc["users", "rows"] == 3 and tables.loc["users", "newest_batch"] == 4
    assert tables.loc["products", "rows"] == 0 and pd.isna(tables.loc["products", "newest_import"])


def test_clocks_measure_imports_on_the_wall_clock(shop):
    with warehouse.session(shop) as con:
        times = freshness.clocks(con, NOW)
        assert freshness.days_since_orders_import(con, NOW) == pytest.approx(10)
    assert times["newest_order"] == "2024-02-03T08:00:00"  # the data clock, two years before NOW: not stale
    assert times["days_since_last_import"] == pytest.approx(2)
    assert times["days_since_orders_import"] == pytest.approx(10)
    assert times["days_without_new_orders"] == pytest.approx(10)


def test_stale_check_is_crossed_past_the_gap_only(shop):
    with warehouse.session(shop) as con:
        default = freshness.freshness_section(con, {}, NOW)
        wider = freshness.freshness_section(con, {"stale_days": 14}, NOW)
    stale = {c.name: c for c in default.checks}["freshness.days_since_orders_import"]
    assert (stale.value, stale.threshold, stale.crossed) == (pytest.approx(10), 7.0, True)
    assert not {c.name: c for c in wider.checks}["freshness.days_since_orders_import"].crossed
    assert freshness.is_stale(10.0) and not freshness.is_stale(10.0, 14) and not freshness.is_stale(None)


def test_only_an_import_that_loads_orders_resets_the_stale_clock(shop, tmp_path):
    with warehouse.session(shop, write=True) as con:
        rejected = import_text(con, tmp_path, "bad.csv", "orders", "order_id,user_id,ts\nx1,u9,never\n")
        assert (rejected.rows_loaded, rejected.rows_rejected) == (0, 1)
        events = import_text(con, tmp_path, "e2.csv", "events", "user_id,ts,event_type\nu1,2024-03-01,view\n")
        set_imported(con, {rejected.batch_id: 1, events.batch_id: 1})
        assert freshness.days_since_orders_import(con, NOW) == pytest.approx(10)
        old = import_text(con, tmp_path, "old.csv", "orders", "order_id,user_id,ts\no9,u1,2024-01-02\n")
        set_imported(con, {old.batch_id: 3})
        times = freshness.clocks(con, NOW)
    # Old orders sent again: an orders import three days ago, but the newest order arrived ten days ago.
    assert times["days_since_orders_import"] == pytest.approx(3)
    assert times["days_without_new_orders"] == pytest.approx(10)
    assert times["days_since_last_import"] == pytest.approx(1)


def test_reject_check_reads_the_newest_batch(shop):
    with warehouse.session(shop) as con:
        default = {c.name: c for c in freshness.freshness_section(con, {}, NOW).checks}
        lenient = {c.name: c for c in freshness.freshness_section(con, {"reject_rate": 0.6}, NOW).checks}
    assert default["freshness.reject_rate"].value == pytest.approx(1 / 2)
    assert default["freshness.reject_rate"].crossed
    assert not lenient["freshness.reject_rate"].crossed


def test_the_reject_check_reads_an_orders_file_not_the_users_it_filled(shop, tmp_path):
    path = tmp_path / "filling.csv"
    path.write_text("order_id,user_id,ts,country\nf1,u7,2024-03-01,IT\nf2,u8,later,IT\nf3,u8,2024-03-02,IT\n")
    with warehouse.session(shop, write=True) as con:
        result = ingest.import_file(con, "orders", path, mapping={"country": "country"})
        batches = freshness.import_batches(con)
        section = freshness.freshness_section(con, {}, NOW)
    assert batches["table_name"].tolist()[-2:] == ["orders", "users"]
    assert batches["reject_rate"].tolist()[-2:] == pytest.approx([1 / 3, 0 / 2])
    assert result.rows_rejected == 1
    assert section.numbers["last_import_reject_rate"] == pytest.approx(1 / 3)
    assert {c.name: c.value for c in section.checks}["freshness.reject_rate"] == pytest.approx(1 / 3)


def test_an_empty_warehouse_is_not_yet_known_never_stale(tmp_path):
    with warehouse.session(tmp_path / "empty.duckdb", write=True) as con:
        section = freshness.freshness_section(con, {}, NOW)
        assert freshness.days_since_orders_import(con) is None
    assert [(c.value, c.crossed) for c in section.checks] == [(None, False), (None, False)]
    assert section.numbers["batches"] == [] and section.numbers["newest_order"] is None


def failing_work(progress):
    raise ValueError("the model could not be fitted: no customers")


def _fail_job(path: str, kind: str) -> None:
    with pytest.raises(ValueError):
        jobs.run(path, kind, {"n": kind}, failing_work)


@pytest.fixture
def worked(shop) -> str:
    """``shop`` with two failed jobs (one 2 days old, one 10 days old), a finished job, one interrupted job, a
    failed refresh run 1 day old with its failed job, and an ok run 30 days old."""
    _fail_job(shop, "recent_failure")
    _fail_job(shop, "old_failure")
    _fail_job(shop, refresh_run.KIND)  # the failed run's own job: the command line records a refresh as both
    jobs.run(shop, "fine", {}, lambda progress: 1)
    with warehouse.session(shop, write=True) as con:
        step = refresh.StepResult
        failed = refresh.start_run(con, refresh.Settings())
        broken = [step("import", "ok", 0.5, "1 file imported"), step("model", "failed", 2.0, "too few customers")]
        refresh.update_run(con, failed, broken, finished=True, scored_token=None)
        ok = refresh.start_run(con, refresh.Settings())
        refresh.update_run(con, ok, [step("import", "ok", 0.1, "nothing to import")], finished=True, scored_token=None)
        with warehouse.transaction(con):
            con.execute(
                "INSERT INTO jobs SELECT * REPLACE (job_id + 100 AS job_id, 'interrupted' AS status, "
                "'the server stopped' AS error, 'lost' AS kind) FROM jobs WHERE kind = 'fine'"
            )
            for kind, age in (("recent_failure", 2), ("old_failure", 10), ("fine", 1), ("lost", 3), ("refresh", 1)):
                con.execute(
                    "UPDATE jobs SET updated_at = ?, started_at = ? WHERE kind = ?", [days_ago(age)] * 2 + [kind]
                )
            con.execute(
                "UPDATE refresh_runs SET started_at = ?, finished_at = ? WHERE run_id = ?", [days_ago(1)] * 2 + [failed]
            )
            con.execute(
                "UPDATE refresh_runs SET started_at = ?, finished_at = ? WHERE run_id = ?", [days_ago(30)] * 2 + [ok]
            )
    return shop


def test_jobs_section_counts_failures_in_the_window(worked):
    with warehouse.session(worked) as con:
        section = freshness.jobs_section(con, {}, NOW)
        wider = freshness.jobs_section(con, {"failure_window_days": 14}, NOW)
        lenient = freshness.jobs_section(con, {"failed_jobs": 5}, NOW)
    numbers = section.numbers
    assert (numbers["failed_jobs"], numbers["interrupted_jobs"], numbers["failed_refreshes"]) == (1, 1, 1)
    assert [(f["what"], f["kind"], f["status"]) for f in numbers["failures"]] == [
        ("refresh", "refresh", "failed"),
        ("job", "recent_failure", "failed"),
        ("job", "lost", "interrupted"),
    ]
    assert numbers["failures"][0]["error"] == "model: too few customers"
    assert "no customers" in numbers["failures"][1]["error"]
    (failed,) = section.checks
    assert (failed.name, failed.value, failed.crossed) == ("jobs.failed_recently", 1 + 1, True)
    assert wider.numbers["failed_jobs"] == 2 and wider.checks[0].value == 2 + 1
    assert not lenient.checks[0].crossed
    runs = numbers["refresh_runs"]
    assert [r["status"] for r in runs] == ["ok", "failed"]  # newest run id first
    assert runs[1]["steps"] == "import ok: 1 file imported; model failed: too few customers"
    json.dumps(numbers)


def test_a_quiet_warehouse_has_no_failures(shop):
    with warehouse.session(shop) as con:
        section = freshness.jobs_section(con, {})
    assert section.numbers["failures"] == [] and section.numbers["refresh_runs"] == []
    assert (section.checks[0].value, section.checks[0].crossed) == (0, False)


def test_the_monitor_report_carries_both_sections_and_fails_on_staleness(shop, tmp_path):
    with warehouse.session(shop, write=True) as con:
        set_imported(con, AGES, now=dt.datetime.now())
        report = monitoring.report(con, {})
    freshness_part = report["sections"]["freshness"]
    assert freshness_part["title"] == "Data freshness" and report["sections"]["jobs"]["title"] == "Jobs and refreshes"
    assert freshness_part["numbers"]["days_since_orders_import"] == pytest.approx(10, abs=0.01)
    assert "freshness.days_since_orders_import" in report["crossed"]
    assert "jobs.failed_recently" not in report["crossed"]
    json.dumps(report)
    out = tmp_path / "report.json"
    fail_on = ["--fail-on", "freshness.days_since_orders_import"]
    assert main(["monitor", "--db", shop, "--out", str(out), *fail_on]) == 1
    assert main(["monitor", "--db", shop, "--out", str(out), "--threshold", "stale_days=11", *fail_on]) == 0
    written = json.loads(out.read_text())
    assert written["sections"]["freshness"]["checks"][0]["threshold"] == 11


def test_charts_draw_the_thresholds_and_flag_the_stale_orders_bar(shop):
    with warehouse.session(shop) as con:
        batches = freshness.import_batches(con)
        tables = freshness.table_freshness(con)
    figure = charts.import_batches(batches, 0.05)
    (threshold,) = figure.layout.shapes
    assert (threshold.y0, threshold.y1, threshold.yref) == (0.05, 0.05, "y2")
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces["Reject rate"].y) == pytest.approx([0, 0, 1 / 4, 0, 1 / 2])
    assert list(traces["orders rows loaded"].y) == [2, 3] and list(traces["users rows loaded"].y) == [3]
    assert figure.layout.yaxis2.range[1] >= 1 / 2
    empty_file = batches.assign(reject_rate=float("nan"))
    assert charts.import_batches(empty_file, 0.05).layout.yaxis2.range[1] == pytest.approx(0.075)
    days = charts.days_since_import(tables, pd.Timestamp(NOW), 7)
    bars = dict(zip(days.data[0].y, days.data[0].x, strict=True))
    assert bars["orders"] == pytest.approx(10) and bars["ratings"] == pytest.approx(2)
    assert bars["users"] == pytest.approx(10)  # filled by the second orders file
    assert "products" not in bars  # never imported
    colours = dict(zip(days.data[0].y, days.data[0].marker.color, strict=True))
    assert colours["orders"] == charts.THRESHOLD_COLOUR and colours["ratings"] == charts.LOADED_COLOUR
    assert days.layout.shapes[0].x0 == 7


def test_the_refresh_job_kind_is_the_refresh_commands():
    assert freshness.REFRESH_JOB_KIND == refresh_run.KIND
