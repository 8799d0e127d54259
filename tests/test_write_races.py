"""Writers that race inside one process (two browser sessions, a double submit) and across processes.

Writers of one process share the database, so DuckDB lets their transactions overlap and refuses the one that
changes rows the other changed first. :func:`retention.warehouse.retrying` reruns the loser from the start.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT
from test_campaigns_fixtures import basic_config, scored_copy

from retention import campaigns, ingest, warehouse
from retention.campaigns.config import parse_config
from retention.errors import DataError, WarehouseBusy

HEADER = "order_id,user_id,item_id,ts,quantity,unit_price\n"


def _orders_file(folder: Path, name: str, customers: int) -> Path:
    lines = [f"{name}-o{i},{name}-u{i},{name}-i{i},2026-01-{1 + i % 28:02d} 10:00:00,1,9.5\n" for i in range(customers)]
    path = folder / f"{name}.csv"
    path.write_text(HEADER + "".join(lines))
    return path


def _at_once(db: Path, work: Callable[[duckdb.DuckDBPyConnection, int], object], threads: int) -> list[object]:
    """Run ``work(con, i)`` in ``threads`` threads, each in its own write session, released together; returns
    each thread's result or the exception it raised."""
    results: list[object] = [None] * threads
    start = threading.Barrier(threads)

    def run(i: int) -> None:
        try:
            with warehouse.session(db, write=True) as con:
                start.wait()
                results[i] = work(con, i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


@pytest.fixture
def db(sample_db, tmp_path) -> Path:
    path = tmp_path / "races.duckdb"
    shutil.copy(sample_db, path)
    return path


def _count(db: Path, sql: str) -> int:
    with warehouse.session(db) as con:
        return con.execute(sql).fetchone()[0]


def test_a_conflicting_transaction_is_rerun_after_the_winner_commits(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.session(db, write=True) as first:
        first.execute("CREATE TABLE counter (n INTEGER)")
        first.execute("INSERT INTO counter VALUES (0)")
        second = first.cursor()  # its own transactions, on the same database: as a second app session
        calls = []

        @warehouse.retrying("the test write")
        def add_one() -> int:
            calls.append(len(calls))
            try:
                with warehouse.transaction(second):
                    second.execute("UPDATE counter SET n = n + 1")
                    return second.execute("SELECT n FROM counter").fetchone()[0]
            finally:
                if len(calls) == 1:
                    first.execute("COMMIT")  # the winner commits only after the loser's first try

        first.execute("BEGIN TRANSACTION")
        first.execute("UPDATE counter SET n = n + 10")
        # The loser's first try conflicts with the open update; its rerun sees the committed 10 and adds to it.
        assert add_one() == 11
        assert calls == [0, 1]
        assert first.execute("SELECT n FROM counter").fetchone()[0] == 11


def test_a_writer_that_keeps_losing_gives_up_with_a_sentence(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.session(db, write=True) as first:
        first.execute("CREATE TABLE counter (n INTEGER)")
        first.execute("INSERT INTO counter VALUES (0)")
        second = first.cursor()
        calls = []

        @warehouse.retrying("the test write", attempts=3)
        def add_one() -> None:
            calls.append(1)
            with warehouse.transaction(second):
                second.execute("UPDATE counter SET n = n + 1")

        first.execute("BEGIN TRANSACTION")
        first.execute("UPDATE counter SET n = n + 10")
        with pytest.raises(WarehouseBusy, match="the test write collided 3 times .* try again when they finish"):
            add_one()
        first.execute("ROLLBACK")
        assert len(calls) == 3
        assert first.execute("SELECT n FROM counter").fetchone()[0] == 0


def test_an_error_that_is_not_a_conflict_is_not_retried(tmp_path):
    calls = []

    @warehouse.retrying("the test write")
    def fails() -> None:
        calls.append(1)
        raise duckdb.TransactionException("cannot start a transaction within a transaction")

    with pytest.raises(duckdb.TransactionException):
        fails()
    assert calls == [1]


def test_a_key_taken_by_another_writer_mid_way_is_rerun_once_and_a_key_broken_again_goes_up(tmp_path):
    path = tmp_path / "keys.duckdb"
    with warehouse.session(path, write=True) as con:
        con.execute("CREATE TABLE items (item_id VARCHAR PRIMARY KEY)")

    @warehouse.retrying("the test write")
    def insert(item_id: str, calls: list[int]) -> int:
        calls.append(1)
        with warehouse.session(path, write=True) as con, warehouse.transaction(con):
            con.execute(
                "INSERT INTO items SELECT ? WHERE NOT EXISTS (SELECT 1 FROM items WHERE item_id = ?)",
                [item_id, item_id],
            )
            if len(calls) == 1:  # as if another writer committed the same new key while this one ran
                con.execute("INSERT INTO items VALUES (?)", [item_id])
        return len(calls)

    assert insert("a", []) == 2  # the first try broke the key and was rolled back; the rerun lands once

    @warehouse.retrying("the test write")
    def always_breaks(calls: list[int]) -> None:
        calls.append(1)
        with warehouse.session(path, write=True) as con, warehouse.transaction(con):
            con.execute("INSERT INTO items VALUES ('b'), ('b')")

    calls: list[int] = []
    with pytest.raises(duckdb.ConstraintException):
        always_breaks(calls)
    assert calls == [1, 1]
    with warehouse.session(path) as con:
        assert con.execute("SELECT list(item_id ORDER BY item_id) FROM items").fetchone()[0] == ["a"]


def test_imports_from_several_sessions_at_once_all_land(db, tmp_path):
    before = _count(db, "SELECT count(*) FROM orders")
    users_before = _count(db, "SELECT count(DISTINCT user_id) FROM orders")
    sizes = [40, 25, 60]
    files = [_orders_file(tmp_path, f"session{i}", n) for i, n in enumerate(sizes)]
    results = _at_once(db, lambda con, i: ingest.import_file(con, "orders", files[i]), len(files))
    assert all(isinstance(result, ingest.ImportResult) for result in results), results
    assert [result.rows_loaded for result in results] == sizes
    assert _count(db, "SELECT count(*) FROM orders") == before + sum(sizes)
    assert _count(db, "SELECT count(DISTINCT user_id) FROM orders") == users_before + sum(sizes)
    with warehouse.session(db) as con:
        batches = ingest.recent_batches(con)
    assert {f"session{i}.csv" for i in range(len(sizes))} <= set(batches["source_name"])


def test_one_file_imported_from_two_sessions_at_once_lands_once(db, tmp_path):
    before = _count(db, "SELECT count(*) FROM orders")
    file = _orders_file(tmp_path, "twice", 30)
    results = _at_once(db, lambda con, i: ingest.import_file(con, "orders", file), 2)
    landed = [result for result in results if isinstance(result, ingest.ImportResult)]
    refused = [result for result in results if isinstance(result, DataError)]
    assert len(landed) == 1 and len(refused) == 1, results
    assert "already imported" in str(refused[0])
    assert _count(db, "SELECT count(*) FROM orders") == before + 30


@pytest.fixture
def scored_db(sample_db, tmp_path) -> Path:
    return Path(scored_copy(sample_db, tmp_path))


def test_a_double_submitted_launch_writes_one_campaign_and_both_get_it(scored_db):
    config = parse_config(basic_config())
    with warehouse.session(scored_db) as con:
        audience = campaigns.select_audience(con, config.audience)
    results = _at_once(scored_db, lambda con, i: campaigns.launch(con, config), 3)
    assert all(isinstance(result, campaigns.LaunchResult) for result in results), results
    assert len({result.campaign_id for result in results}) == 1
    assert sorted(result.created for result in results) == [False, False, True]
    assert _count(scored_db, "SELECT count(*) FROM campaigns") == 1
    assert _count(scored_db, "SELECT count(*) FROM campaign_members") == len(audience)
    counts = [result.arm_counts.set_index("arm")["members"].to_dict() for result in results]
    assert counts[0] == counts[1] == counts[2]


def test_two_different_launches_at_once_both_land(scored_db):
    configs = [parse_config(basic_config(name=f"Wave {i}", audience={"min_risk": 0.1 * (i + 1)})) for i in range(2)]
    results = _at_once(scored_db, lambda con, i: campaigns.launch(con, configs[i]), 2)
    assert all(isinstance(result, campaigns.LaunchResult) and result.created for result in results), results
    assert len({result.campaign_id for result in results}) == 2
    assert _count(scored_db, "SELECT count(*) FROM campaigns") == 2


def test_two_cli_launches_at_once_write_one_campaign(scored_db, tmp_path):
    config = tmp_path / "campaign.json"
    config.write_text(json.dumps(basic_config()))
    command = [sys.executable, "-m", "retention", "campaign", "launch", "--config", str(config), "--db", str(scored_db)]
    processes = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    firsts = sorted(out.splitlines()[0].split(" campaign ")[0] for out, _ in outputs)
    assert firsts == ["already launched with this idempotency key:", "launched"]
    assert _count(scored_db, "SELECT count(*) FROM campaigns") == 1
