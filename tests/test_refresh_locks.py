"""A commit refused because another process holds the write-ahead log's lock is rerun, for a bounded time.

The soak saw it once in ten minutes (a refresh's first commit, while the app's pages opened the file read-only
in a loop); two processes doing just that (a reader opening and closing the file, a writer committing) did not
reproduce it in seconds, so these tests give :func:`warehouse.retrying` DuckDB's own exception with the text
the soak recorded.
"""

from __future__ import annotations

from contextlib import contextmanager

import duckdb
import pytest

from retention import warehouse
from retention.errors import WarehouseBusy

WAL = "/data/shop.duckdb.wal"
SEEN = (
    f'Could not set lock on file "{WAL}": Conflicting lock is held in /usr/bin/python3.11 (PID 4242). '
    "See also https://duckdb.org/docs/current/connect/concurrency"
)


def wal_refusal(prefix: str = "") -> duckdb.TransactionException:
    return duckdb.TransactionException(prefix + SEEN)


@pytest.mark.parametrize("prefix", ["", "TransactionContext Error: Failed to commit: "])
def test_the_write_ahead_logs_lock_is_recognised_with_its_file(prefix):
    assert warehouse.wal_lock_holder(wal_refusal(prefix)) == WAL


@pytest.mark.parametrize(
    "exc",
    [
        # The database file's own lock is the session's to wait for (when it opens), not a rerun's.
        duckdb.IOException(SEEN.replace(".wal", "")),
        duckdb.TransactionException(SEEN.replace(".wal", "")),
        duckdb.IOException(SEEN),  # not at a commit
        duckdb.TransactionException("Conflict on tuple deletion!"),
    ],
)
def test_other_errors_are_not_the_write_ahead_logs_lock(exc):
    assert warehouse.wal_lock_holder(exc) is None


def _refused(times: int, exc: BaseException):
    calls = []

    def commit(value: int) -> int:
        calls.append(value)
        if len(calls) <= times:
            raise exc
        return value * 2

    return commit, calls


def test_a_commit_refused_by_the_logs_lock_is_rerun_and_the_wait_is_said_once():
    said = []

    @contextmanager
    def waiting(message):
        said.append(message)
        yield

    commit, calls = _refused(3, wal_refusal())
    assert warehouse.retrying("the test write", waiting=waiting)(commit)(21) == 42
    assert calls == [21] * 4
    assert said == [f"waiting for another process (PID 4242) that holds the lock on {WAL} ..."]


def test_the_wait_for_the_logs_lock_is_bounded_by_the_lock_wait(monkeypatch):
    monkeypatch.setenv("RETENTION_LOCK_WAIT", "0.3")
    commit, calls = _refused(10**6, wal_refusal())
    with pytest.raises(WarehouseBusy, match=r"the test write could not commit: another process kept .*\.wal locked"):
        warehouse.retrying("the test write", waiting=lambda message: contextmanager(lambda: (yield))())(commit)(1)
    assert len(calls) > 1


def test_another_transaction_error_is_not_rerun():
    commit, calls = _refused(1, duckdb.TransactionException("Cannot commit: the transaction is aborted"))
    with pytest.raises(duckdb.TransactionException, match="aborted"):
        warehouse.retrying("the test write")(commit)(1)
    assert calls == [1]
