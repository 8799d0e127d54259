"""One warehouse, many processes: the app's server, CLI commands and killed writers on one file at once.

Everything here is real: a ``streamlit run app.py`` server read through headless Chromium, ``python -m retention
import`` subprocesses, and writer processes that hold the file's lock or are killed with SIGKILL mid-transaction.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, app_page
from served_app import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, serve, wait_until_idle

from retention import overview, warehouse
from retention.errors import DataError, WarehouseBusy

pytestmark = pytest.mark.xdist_group("concurrency")

HEADER = "order_id,user_id,item_id,ts,quantity,unit_price\n"


@pytest.fixture
def db(sample_db, tmp_path) -> Path:
    """A copy of the test warehouse for one test."""
    path = tmp_path / "shared.duckdb"
    path.write_bytes(Path(sample_db).read_bytes())
    return path


def _orders_file(folder: Path, name: str, customers: int) -> Path:
    """An orders CSV with one order for each of ``customers`` new customers."""
    lines = [f"{name}-o{i},{name}-u{i},{name}-i{i},2026-01-{1 + i % 28:02d} 10:00:00,1,9.5\n" for i in range(customers)]
    path = folder / f"{name}.csv"
    path.write_text(HEADER + "".join(lines))
    return path


def _customers(db: Path) -> int:
    with warehouse.session(db) as con:
        return overview.kpis(con).customers


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _cli(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "retention", *args],
        cwd=ROOT,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@contextmanager
def _writer(db: Path, *, seconds: float = 30, delete_orders: bool = False) -> Iterator[subprocess.Popen]:
    """A process that opens a write session on ``db`` (with ``delete_orders``: deletes every order inside a
    transaction it never commits) and holds it for ``seconds``; killed with SIGKILL when the block ends."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from retention import warehouse
        with warehouse.session({str(db)!r}, write=True) as con:
            if {delete_orders!r}:
                con.execute("BEGIN TRANSACTION")
                con.execute("DELETE FROM orders")
            print("holding", flush=True)
            time.sleep({seconds!r})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_cli_import_lands_while_the_app_serves_the_file_and_the_page_shows_it(db, tmp_path):
    """Before the app used short sessions, its server held the write lock for its whole life and every CLI
    command on the same file failed with "Could not set lock"."""
    from playwright.sync_api import expect, sync_playwright

    before = _customers(db)
    new_orders = _orders_file(tmp_path, "nightly", 7)
    with serve(db, tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        customers_tile = page.get_by_test_id("stMetric").filter(has_text="Customers").first
        page.goto(url)
        expect(customers_tile).to_contain_text(f"{before:,}", timeout=120_000)
        # The import starts while a second tab runs the page: the two overlap on the file.
        other = browser.new_page(viewport=VIEWPORT)
        other.goto(url)
        importing = _cli("import", "orders", str(new_orders), "--db", str(db))
        status, out, err = _finish(importing)
        assert status == 0, err
        assert "imported nightly.csv" in out
        wait_until_idle(other)
        page.reload()
        expect(customers_tile).to_contain_text(f"{before + 7:,}", timeout=120_000)
        wait_until_idle(page)
        for tab in (page, other):
            assert tab.get_by_test_id("stException").count() == 0
            assert tab.get_by_test_id("stAlertContentError").count() == 0
        browser.close()
    assert _customers(db) == before + 7


def test_two_cli_imports_at_once_both_land(db, tmp_path):
    before = _customers(db)
    files = [_orders_file(tmp_path, name, 3) for name in ("first", "second")]
    with _writer(db) as holder:  # both imports find the file taken and wait; then one waits for the other
        imports = [_cli("import", "orders", str(path), "--db", str(db)) for path in files]
        waits = [_first_line(process.stderr) for process in imports]
    assert waits == [f"waiting for another process (PID {holder.pid}) that is writing to {db} ...\n"] * 2
    for status, out, err in (_finish(process) for process in imports):
        assert status == 0, err
        assert out.startswith("imported ")
    assert _customers(db) == before + 6


def _first_line(stream, timeout: float = 60) -> str:
    """The first line of ``stream``, or "" when none came within ``timeout`` seconds."""
    lines = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def test_a_writer_killed_mid_transaction_leaves_the_data_and_the_next_writer_proceeds(db, tmp_path):
    before = _customers(db)
    with _writer(db, delete_orders=True) as killed:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert _customers(db) == before
    status, _, err = _finish(_cli("import", "orders", str(_orders_file(tmp_path, "after", 2)), "--db", str(db)))
    assert status == 0, err
    assert _customers(db) == before + 2


def test_the_wait_is_bounded_and_says_what_it_waited_for(db, monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV_VAR, "0.4")
    with _writer(db) as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as raised, warehouse.session(db):
            pass
        assert 0.4 <= time.monotonic() - started < 5
        assert str(raised.value) == (
            f"another process (probably an import or a refresh) has been writing to {db} for 0.4 s; try again "
            f"when it finishes (or set RETENTION_LOCK_WAIT to wait longer than 0.4 s)"
        )
        status, _, err = _finish(_cli("info", "--db", str(db), RETENTION_LOCK_WAIT="0.4"))
    assert status == 2
    assert err.splitlines() == [
        f"waiting for another process (PID {holder.pid}) that is writing to {db} ...",
        f"error: {raised.value}",
    ]


def test_a_bad_lock_wait_setting_is_named(db, monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV_VAR, "soon")
    with pytest.raises(DataError, match="RETENTION_LOCK_WAIT must be a number of seconds"):
        warehouse.lock_wait()


def test_readers_share_the_file_and_a_writer_waits_for_them(db):
    """Read-only sessions of two processes at once; a writer of a third waits until they are done."""
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time\nfrom retention import warehouse\nwith warehouse.session({str(db)!r}):\n"
            "    print('reading', flush=True)\n    time.sleep(1.5)\n",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        with warehouse.session(db) as con:  # a second reader: no wait
            assert warehouse.data_version(con)
        messages = []
        started = time.monotonic()
        with warehouse.session(db, write=True, waiting=_noting(messages)):
            waited = time.monotonic() - started
        assert waited > 0.3
        assert messages == [f"waiting for another process (PID {reader.pid}) that is reading {db} ..."]
    finally:
        reader.kill()
        reader.wait()


def test_in_one_process_reads_join_a_writer_and_a_writer_waits_for_readers(db):
    # A read while this process writes shares the writer's database.
    with warehouse.session(db, write=True) as writing, warehouse.session(db) as reading:
        assert warehouse.data_version(reading) == warehouse.data_version(writing)
    released = threading.Event()

    def read_briefly():
        with warehouse.session(db):
            released.wait(5)

    thread = threading.Thread(target=read_briefly)
    thread.start()
    time.sleep(0.2)
    threading.Timer(0.5, released.set).start()
    messages = []
    started = time.monotonic()
    with warehouse.session(db, write=True, waiting=_noting(messages)):
        assert time.monotonic() - started >= 0.3
    thread.join()
    assert messages == [f"waiting for the reads of {db} in this process to finish ..."]
    with (
        warehouse.session(db),
        pytest.raises(RuntimeError, match="inside a read session of the same thread"),
        warehouse.session(db, write=True),
    ):
        pass


def _noting(messages: list[str]):
    """A ``waiting`` that notes each message."""

    @contextmanager
    def noted(message: str) -> Iterator[None]:
        messages.append(message)
        yield

    return noted


def test_the_page_keeps_the_data_of_its_last_read_while_another_process_writes(db, monkeypatch):
    """A rerun while a writer holds the file shows the cached page at once, not a wait or an error."""
    monkeypatch.setenv("RETENTION_DB", str(db))
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV_VAR, "20")
    at = app_page("overview.py").run()
    assert not at.exception and not at.error
    shown = at.metric[0].value
    with _writer(db):
        started = time.monotonic()
        at.run()
        assert time.monotonic() - started < 10
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].value == shown
