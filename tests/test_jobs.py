"""Jobs on a real warehouse file with real threads and processes: progress, results, errors, one job per setting,
jobs a killed process left running, the CLI's progress on stderr, and the Data page's list of recent jobs."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, app_page

from retention import jobs, warehouse
from retention.errors import DataError

WAIT = 30.0


@pytest.fixture
def db(tmp_path) -> str:
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    return str(path)


def _held(progress_calls: list[tuple[float, str]], release: threading.Event, reached: threading.Event, value=None):
    """A job function that reports ``progress_calls``, says it got there, and waits for ``release``."""

    def function(progress: jobs.Progress):
        for fraction, message in progress_calls:
            progress(fraction, message)
        reached.set()
        assert release.wait(WAIT), "the test never released the job"
        return value

    return function


def _count(path: str) -> int:
    return len(jobs.recent(path))


def test_a_job_reports_progress_then_its_result(db):
    release, reached = threading.Event(), threading.Event()
    function = _held([(0.25, "Reading"), (0.5, "Halfway")], release, reached, value={"customers": 3})
    job = jobs.start(db, "demo", {"size": 3}, function)
    assert job.status == "running" and job.started_by == "app" and job.pid == os.getpid()
    assert reached.wait(WAIT)

    seen = jobs.get(db, job.job_id)
    # The first call is written at once; the second came within WRITE_EVERY of it and waits for a later one.
    assert (seen.status, seen.progress, seen.message) == ("running", 0.25, "Reading")
    assert seen.params == {"size": 3} and seen.result is None

    release.set()
    done = jobs.wait(db, job.job_id, timeout=WAIT)
    assert (done.status, done.progress, done.message, done.error) == ("done", 1.0, "Done", None)
    assert done.result == {"customers": 3}
    assert done.updated_at >= done.started_at


def test_progress_is_kept_in_zero_to_one(db):
    def function(progress):
        progress(7.0, "too far")
        return None

    job = jobs.wait(db, jobs.start(db, "demo", {}, function).job_id, timeout=WAIT)
    assert job.status == "done" and job.progress == 1.0


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (DataError("the shop has no orders yet"), "the shop has no orders yet"),
        (ValueError("boom"), "ValueError: boom"),
    ],
    ids=["user-error", "bug"],
)
def test_a_failing_job_records_its_error(db, error, recorded):
    def function(progress):
        progress(0.4, "Working")
        raise error

    job = jobs.wait(db, jobs.start(db, "demo", {}, function).job_id, timeout=WAIT)
    assert (job.status, job.error, job.progress, job.result) == ("failed", recorded, 0.4, None)


def test_a_running_job_is_found_instead_of_a_second(db):
    release, reached = threading.Event(), threading.Event()
    first = jobs.start(db, "demo", {"as_of": "2026-01-31", "horizon_days": 90}, _held([], release, reached))
    assert reached.wait(WAIT)
    try:
        # The same kind and parameters (in any key order): the running job, nothing new.
        again = jobs.start(db, "demo", {"horizon_days": 90, "as_of": "2026-01-31"}, _held([], release, reached))
        assert again.job_id == first.job_id
        assert jobs.running(db, "demo", {"as_of": "2026-01-31", "horizon_days": 90}).job_id == first.job_id
        assert jobs.running(db, "demo", {"as_of": "2026-01-31", "horizon_days": 60}) is None
        assert jobs.running(db, "other", {"as_of": "2026-01-31", "horizon_days": 90}) is None
        assert _count(db) == 1
        other = jobs.start(db, "demo", {"as_of": "2026-01-31", "horizon_days": 60}, _held([], release, reached))
        assert other.job_id != first.job_id and _count(db) == 2
    finally:
        release.set()
    assert jobs.wait(db, first.job_id, timeout=WAIT).status == "done"
    assert jobs.running(db, "demo", {"as_of": "2026-01-31", "horizon_days": 90}) is None


def test_run_records_a_job_in_the_calling_thread_and_echoes_progress(db):
    heard: list[tuple[float, str]] = []

    def function(progress):
        for step in range(4):
            progress(step / 4, f"step {step}")
        return {"ok": True}

    def echo(fraction, message):
        heard.append((fraction, message))

    assert jobs.run(db, "demo", {"n": 4}, function, echo=echo) == {"ok": True}
    assert heard == [(step / 4, f"step {step}") for step in range(4)]  # every call, not throttled
    job = jobs.get(db, int(jobs.recent(db)["job_id"].iloc[0]))
    assert (job.status, job.started_by, job.result) == ("done", "cli", {"ok": True})

    with pytest.raises(DataError, match="nothing to score"):
        jobs.run(db, "demo", {"n": 0}, lambda progress: (_ for _ in ()).throw(DataError("nothing to score")))
    assert jobs.recent(db)[["status", "error"]].iloc[0].tolist() == ["failed", "nothing to score"]


def test_printer_writes_a_line_per_message():
    stream = io.StringIO()
    echo = jobs.printer(stream)
    for fraction, message in [(0.0, "Reading"), (0.01, "Reading"), (0.05, "Training"), (0.97, "Saving")]:
        echo(fraction, message)
    assert stream.getvalue().splitlines() == ["[  0%] Reading", "[  5%] Training", "[ 97%] Saving"]


def _open_with_retry(function, *args):
    """Call a jobs read while another process may hold the file for a moment (it opens it per write)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return function(*args)
        except DataError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_job_whose_process_was_killed_is_marked_interrupted(db):
    """A command running a job is SIGKILLed: its row stays 'running' until the next start marks it interrupted."""
    code = textwrap.dedent(
        f"""
        import time
        from retention import jobs

        def work(progress):
            print("started", flush=True)
            for _ in range(1200):  # written every WRITE_EVERY: a write that meets the test's read is retried
                progress(0.3, "Sleeping")
                time.sleep(0.1)

        jobs.run({db!r}, "sleep", {{}}, work, started_by="cli")
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"  # its row is in; reads may now meet its writes
        deadline = time.monotonic() + WAIT
        while True:
            found = _open_with_retry(jobs.recent, db)
            if len(found) and found["message"].iloc[0] == "Sleeping":
                break
            assert time.monotonic() < deadline and child.poll() is None, "the child never reported progress"
            time.sleep(0.1)
        job_id = int(found["job_id"].iloc[0])
        assert _open_with_retry(jobs.mark_interrupted, db) == []  # alive: left alone
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert jobs.get(db, job_id).status == "running"  # nobody wrote its end

    assert jobs.mark_interrupted(db) == [job_id]
    job = jobs.get(db, job_id)
    assert job.status == "interrupted" and job.progress == 0.3
    assert f"pid {child.pid}" in job.error and "stopped before it finished" in job.error
    assert jobs.mark_interrupted(db) == []  # once


def test_quiet_jobs_elsewhere_are_interrupted_but_never_this_process(db):
    release, reached = threading.Event(), threading.Event()
    mine = jobs.start(db, "demo", {}, _held([(0.1, "Working")], release, reached))
    assert reached.wait(WAIT)
    with warehouse.connect(db) as con:
        con.execute(
            "INSERT INTO jobs VALUES (nextval('job_seq'), 'demo', '{}', 'refresh', 'another-host', 1, "
            "'another-host:1:5', now()::TIMESTAMP - INTERVAL 2 HOUR, now()::TIMESTAMP - INTERVAL 2 HOUR, 0.5, "
            "'Importing', 'running', NULL, NULL)"
        )
        other = con.execute("SELECT max(job_id) FROM jobs").fetchone()[0]
    try:
        assert jobs.mark_interrupted(db, quiet_limit=3600) == [other]
        assert "said nothing for 60 minutes" in jobs.get(db, other).error
        assert jobs.mark_interrupted(db, quiet_limit=0) == []  # this process's job is running: never marked
    finally:
        release.set()
    assert jobs.wait(db, mine.job_id, timeout=WAIT).status == "done"


def test_listing_reads_for_people(db):
    jobs.wait(db, jobs.start(db, "churn_scoring", {"as_of": None}, lambda progress: {"customers": 1}).job_id)
    failed = jobs.start(db, "churn_scoring", {"as_of": "x"}, lambda progress: (_ for _ in ()).throw(DataError("no")))
    jobs.wait(db, failed.job_id)
    listed = jobs.listing(db)
    assert list(listed.columns) == [
        "job_id",
        "kind",
        "started_at",
        "started_by",
        "status",
        "progress",
        "seconds",
        "message",
    ]
    assert listed["kind"].tolist() == ["churn scoring", "churn scoring"]
    assert listed["status"].tolist() == ["failed", "done"]
    assert listed["message"].tolist() == ["no", "Done"]
    assert listed["started_by"].iloc[0].startswith("app on ") and listed["started_by"].iloc[0].endswith(
        f", pid {os.getpid()}"
    )
    assert (listed["seconds"] >= 0).all()


def test_data_page_lists_recent_jobs_with_a_download(db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", db)
    at = app_page("data.py", timeout=60).run()
    assert not at.exception, [element.value for element in at.exception]
    assert "Recent jobs" in [header.value for header in at.subheader]
    assert any(caption.value.startswith("No job has run yet") for caption in at.caption)

    jobs.wait(db, jobs.start(db, "churn_scoring", {"as_of": None}, lambda progress: {"customers": 1}).job_id)
    broken = jobs.start(db, "demo", {}, lambda progress: (_ for _ in ()).throw(DataError("the inbox is missing")))
    jobs.wait(db, broken.job_id)
    at.run()
    assert not at.exception, [element.value for element in at.exception]
    shown = at.dataframe[-1].value
    assert shown["kind"].tolist() == ["demo", "churn scoring"]
    assert shown["status"].tolist() == ["failed", "done"]
    assert shown["message"].tolist() == ["the inbox is missing", "Done"]
    assert "Download the jobs" in [button.label for button in at.get("download_button")]


def test_jobs_table_is_an_app_table():
    from retention import schema

    assert "jobs" in schema.APP_TABLES
    assert Path(warehouse.MIGRATIONS_DIR / "009_jobs.sql").is_file()


def test_cli_at_risk_is_a_job_with_its_progress_on_stderr(sample_db, tmp_path, capsys):
    from retention import cli

    db = tmp_path / "w.duckdb"
    shutil.copy(sample_db, db)
    assert cli.main(["at-risk", "--db", str(db), "--top", "3", "--out", str(tmp_path / "flagged.csv")]) == 0
    err = capsys.readouterr().err.splitlines()
    steps = [line for line in err if line.startswith("[")]
    assert steps[0].startswith("[  0%] Reading ") and steps[-1] == "[ 97%] Saving the scores"
    assert any("Training the model on every labelled snapshot" in line for line in steps)
    assert any(line.startswith("as of ") for line in err)  # the summary still follows
    job = jobs.get(str(db), int(jobs.recent(str(db))["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status, job.params) == (
        "churn_scoring",
        "cli",
        "done",
        {"as_of": None, "horizon_days": 90},
    )
    with warehouse.connect(db) as con:
        assert job.result["customers"] == con.execute("SELECT count(*) FROM scores").fetchone()[0]
