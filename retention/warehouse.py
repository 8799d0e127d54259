"""The DuckDB warehouse: opening it, versioning its schema, and running named SQL.

This is the only module that opens DuckDB. Everything else receives a
connection (or a cursor of one) and runs the named SQL files of
``retention/sql/`` through :func:`query` and :func:`execute`.

One file, many processes: DuckDB lets one process write a file, or several
read it, never both at once. So nobody holds the file for long: every unit of
work (one cached read of the app, one write action) opens it with
:func:`session`, works and closes it; a CLI command holds it, through
:func:`connect`, for the length of the command. Reads open it read-only, so the app,
a second browser and ``python -m retention info`` read side by side; a writer
waits until the readers are done, and readers wait while a writer works. A
wait is bounded (``$RETENTION_LOCK_WAIT`` seconds, 30 by default), says what
it waits for, and ends in :class:`~retention.errors.WarehouseBusy`. The
schema is migrated by the first writable open (the app's start, ``init``, any
writing command), never by a reader.
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import random
import re
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb
import pandas as pd

from retention import schema
from retention.errors import DataError, SchemaError, WarehouseBusy, system_error_message
from retention.sql_files import SQL_DIR, Params, bound, statement

MIGRATIONS_DIR = SQL_DIR / "migrations"
DEFAULT_DB = Path("data/warehouse.duckdb")
DB_ENV_VAR = "RETENTION_DB"
LOCK_WAIT_ENV_VAR = "RETENTION_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 30.0
LINGER_SECONDS = 1.0


_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def resolve_db_path(db: str | os.PathLike | None = None) -> Path:
    """The warehouse file to use: ``db`` if given, else ``$RETENTION_DB``, else ``data/warehouse.duckdb``."""
    if db:
        return Path(db)
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB)


@cache
def migrations() -> tuple[tuple[int, str], ...]:
    """The schema migrations as ``(version, sql)`` pairs in ascending version order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name!r} must be named NNN_name.sql")
        found.append((int(match.group(1)), path.read_text()))
    return tuple(found)


def latest_schema_version() -> int:
    """The schema version this code writes."""
    return migrations()[-1][0]


Waiting = Callable[[str], AbstractContextManager]
"""Makes the context entered while a session waits for the lock, from a message saying what it waits for
(the CLI prints the message, the app shows it in a spinner)."""


def lock_wait() -> float:
    """Seconds a session waits for another process's lock: ``$RETENTION_LOCK_WAIT``, else 30."""
    raw = os.environ.get(LOCK_WAIT_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_LOCK_WAIT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise DataError(f"{LOCK_WAIT_ENV_VAR} must be a number of seconds (0 or more), not {raw!r}")
    return seconds


@contextmanager
def print_wait(message: str) -> Iterator[None]:
    """The default :data:`Waiting`: one line on stderr when the wait begins."""
    print(message, file=sys.stderr, flush=True)
    yield


def connect(
    db: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    wait: float | None = None,
    waiting: Waiting | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, creating it or migrating its schema when needed; the caller closes it.

    Prefer :func:`session`, which closes it. When another process holds the file, this waits up to ``wait``
    seconds (default :func:`lock_wait`) and tells ``waiting`` (default :func:`print_wait`) what it waits for.
    A ``read_only`` open in a process that already has the file open writable shares that (DuckDB allows
    one configuration per file and process); it still never migrates.

    Raises
    ------
    SchemaError
        The file was written by a newer Retention Studio, or it is older and
        ``read_only`` forbids migrating it.
    WarehouseBusy
        Another process kept the file locked for longer than ``wait``.
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise DataError(f"warehouse file {str(path)!r} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    con, _ = _open(path, read_only=read_only, wait=wait, waiting=waiting)
    try:
        migrate(con, read_only=read_only, name=str(path))
    except BaseException:
        con.close()
        raise
    return con


_reading = threading.local()  # .paths: Counter of the files this thread holds read-only sessions on


@contextmanager
def session(
    db: str | os.PathLike | None = None,
    *,
    write: bool = False,
    wait: float | None = None,
    waiting: Waiting | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to the warehouse for one unit of work: opened here, closed when the block ends.

    Every caller that is not a migration or a test opens the warehouse this way, and keeps the block as short
    as the work: while it is open, a reader keeps writers of other processes waiting, and a writer keeps
    everyone else waiting. ``write=False`` opens the file read-only (it must exist, with the current schema:
    see :func:`prepare`); ``write=True`` opens it writable, creating or migrating it. Writes still go in
    :func:`transaction` blocks: a process killed mid-way leaves the data as of its last commit.

    When another process holds the lock, the session waits (see :func:`connect`) and raises
    :class:`~retention.errors.WarehouseBusy` past ``wait`` seconds.
    """
    path = resolve_db_path(db)
    key = str(path.resolve())
    held = getattr(_reading, "paths", None)
    if held is None:
        held = _reading.paths = Counter()
    if write and held[key]:
        # DuckDB cannot open the file writable in this process while a read-only connection to it is open here:
        # waiting for a reader of this very thread would never end.
        raise RuntimeError(f"a write session on {path} was opened inside a read session of the same thread")
    if not write and not path.exists():
        raise DataError(f"warehouse file {str(path)!r} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    con, read_only = _open(path, read_only=not write, wait=wait, waiting=waiting)
    held[key] += read_only
    try:
        migrate(con, read_only=not write, name=str(path))
        yield con
    finally:
        held[key] -= read_only
        if read_only:
            _linger(path, key)
        con.close()


def prepare(db: str | os.PathLike | None = None, *, wait: float | None = None, waiting: Waiting | None = None) -> Path:
    """Make sure the warehouse file exists with this version's schema, opening it writable only when it must.

    The app calls it once at start, so that its read-only sessions find the schema they expect.
    """
    path = resolve_db_path(db)
    if path.exists():
        try:
            with session(path, wait=wait, waiting=waiting):
                return path
        except SchemaError:
            pass  # older: migrated below (a newer file raises again there)
    with session(path, write=True, wait=wait, waiting=waiting):
        return path


_PID = re.compile(r"\(PID (\d+)\)")


def _lock_holder(exc: duckdb.Error) -> str | None:
    """Who holds the lock that made opening fail: "writer", "readers" or "this process"; None for other errors."""
    text = str(exc)
    if isinstance(exc, duckdb.IOException) and ("Could not set lock" in text or "Conflicting lock" in text):
        # DuckDB adds this hint when the holder opened the file read-only.
        return "readers" if "read-only mode" in text else "writer"
    if isinstance(exc, duckdb.ConnectionException) and "different configuration" in text:
        return "this process"
    if _WAL_IN_FLUX.search(text):
        # Opened while another process was writing or checkpointing its write-ahead log: a moment later it opens.
        return "writer"
    return None


_WAL_IN_FLUX = re.compile(r"\.wal\b.*(No such file|Conflicting lock)|WAL checkpoint iteration does not match", re.S)


def _other_process(exc: BaseException) -> str:
    """ "another process", with its PID when DuckDB's message names it."""
    pid = _PID.search(str(exc))
    return f"another process (PID {pid.group(1)})" if pid else "another process"


def _wait_message(path: Path, holder: str, exc: duckdb.Error) -> str:
    process = _other_process(exc)
    if holder == "writer":
        return f"waiting for {process} that is writing to {path} ..."
    if holder == "readers":
        return f"waiting for {process} that is reading {path} ..."
    return f"waiting for the reads of {path} in this process to finish ..."


def _busy_message(path: Path, holder: str, seconds: float) -> str:
    if holder == "writer":
        who = "another process (probably an import or a refresh) has been writing to"
    else:
        who = "other sessions have been reading"
    return (
        f"{who} {path} for {seconds:g} s; try again when it finishes "
        f"(or set {LOCK_WAIT_ENV_VAR} to wait longer than {seconds:g} s)"
    )


def _refuse_foreign_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Close ``con`` and raise a DataError when DuckDB opened ``path`` as a data file (a CSV, a Parquet file).

    DuckDB opens such a file as an empty in-memory database with the file as a view: an import would report rows
    loaded and store nothing. DuckDB is asked, the file never read: closing any descriptor of the warehouse drops
    every POSIX lock of this process on it, letting another process write under its open reads (corrupted segments).
    """
    opened = (str(path), path.stat().st_ino)  # a stat opens no descriptor
    if opened in _database_files:
        return
    backing = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if backing is not None and backing[0] is not None:
        _database_files.add(opened)
        return
    con.close()
    raise _foreign_file(path)


# (path, inode) DuckDB opened as a database here: asked once each (0.5 ms of a 4 ms session); a new file has a new inode
_database_files: set[tuple[str, int]] = set()


def _foreign_file(path: Path) -> DataError:
    return DataError(
        f"{str(path)!r} is not a Retention Studio warehouse (a DuckDB file); to import a data file, "
        "pass it to `python -m retention import`, and point --db at a .duckdb file"
    )


_READ_ONLY_DATA_FILE = "in-memory database in read-only mode"  # how DuckDB refuses a data file opened read-only


def _open(
    path: Path,
    *,
    read_only: bool,
    wait: float | None,
    waiting: Waiting | None,
    config: Mapping[str, object] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """Open the file, retrying with backoff while another process holds its lock; returns the connection and
    whether it is read-only. A file that is not a DuckDB database is refused (:func:`_refuse_foreign_file`)."""
    limit = lock_wait() if wait is None else wait
    deadline = None
    delay = 0.02
    with ExitStack() as announced:
        while True:
            if not read_only or config:
                _release(str(path.resolve()))
            try:
                return _open_once(path, read_only=read_only, config=config)
            except duckdb.Error as exc:
                holder = _lock_holder(exc)
                if holder is None:
                    if _READ_ONLY_DATA_FILE in str(exc):
                        raise _foreign_file(path) from exc
                    raise DataError(f"cannot open warehouse {str(path)!r}: {system_error_message(exc)}") from exc
                failure = exc
            now = time.monotonic()
            if deadline is None:
                deadline = now + limit
                if limit > 0:
                    announced.enter_context((waiting or print_wait)(_wait_message(path, holder, failure)))
            if now >= deadline:
                raise WarehouseBusy(_busy_message(path, holder, limit)) from failure
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 0.25)


_keepers: dict[str, duckdb.DuckDBPyConnection] = {}
_keepers_lock = threading.Lock()
_timers: list[threading.Timer] = []  # the linger timers that may still run: joined at exit


def _linger(path: Path, key: str) -> None:
    """Keep the database of a read session open for :data:`LINGER_SECONDS` after it ends (counted from the first
    such session, never extended), so that the next reads of the same page run open it in a fraction of a
    millisecond instead of the tens of milliseconds DuckDB takes to start a database; a writer of another process
    waits that much longer at most, and a writer of this process closes it at once."""
    with _keepers_lock:
        if key in _keepers:
            return
        try:
            _keepers[key] = duckdb.connect(str(path), read_only=True)  # the session's database, still open: no cost
        except duckdb.Error:
            return
    timer = threading.Timer(LINGER_SECONDS, _release, [key])
    timer.daemon = True
    with _keepers_lock:
        _timers[:] = [*(running for running in _timers if running.is_alive()), timer]
    timer.start()


def _release(key: str) -> None:
    with _keepers_lock:  # closed under the lock, so that _release_all waits for a timer's close to end
        keeper = _keepers.pop(key, None)
        if keeper is not None:
            keeper.close()


@atexit.register
def _release_all() -> None:
    """Close every lingering database while the interpreter still runs: a timer closing one during shutdown
    aborts the process ("terminate called ..."), exit status 134, after all its work succeeded. Pending timers are
    cancelled; one already closing holds the lock, so its close ends before these."""
    with _keepers_lock:
        timers = list(_timers)
    for timer in timers:
        timer.cancel()
    with _keepers_lock:
        while _keepers:
            _keepers.popitem()[1].close()


def _open_once(
    path: Path, *, read_only: bool, config: Mapping[str, object] | None = None
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
    except duckdb.ConnectionException as exc:
        if not read_only or config or _lock_holder(exc) != "this process":
            raise
        # This process has the file open writable (DuckDB keeps one configuration per file and process): share it.
        con, read_only = duckdb.connect(str(path)), False
    _refuse_foreign_file(con, path)
    return con, read_only


SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
    "lock_configuration": True,
}


@contextmanager
def sandbox(
    db: str | os.PathLike | None = None, *, wait: float | None = None, waiting: Waiting | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only session for queries a user wrote: a database of its own (:data:`SANDBOX_CONFIG`) that reads no
    file but the warehouse, loads no extension, sees no Python variable and whose settings cannot be changed.

    DuckDB keeps one configuration per file and process: it waits for this process's other sessions on the file
    to end, and they wait for it (see :func:`connect`), so keep its block as short as the query.
    """
    path = resolve_db_path(db)
    if not path.exists():
        raise DataError(f"warehouse file {str(path)!r} does not exist")
    con, _ = _open(path, read_only=True, wait=wait, waiting=waiting, config=SANDBOX_CONFIG)
    try:
        migrate(con, read_only=True, name=str(path))
        yield con
    finally:
        con.close()


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with no warehouse behind it, for reading a file's columns or first rows.

    The caller closes it; nothing written to it outlives the connection.
    """
    return duckdb.connect()


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The migration versions already applied to the warehouse (empty for a new file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest schema version recorded in the warehouse; 0 for an empty file."""
    return max(applied_versions(con), default=0)


def migrate(con: duckdb.DuckDBPyConnection, *, read_only: bool = False, name: str = "warehouse") -> int:
    """Apply the migrations the file lacks, each in its own transaction.

    Returns the schema version after migrating.
    """
    applied = applied_versions(con)
    current = max(applied, default=0)
    latest = latest_schema_version()
    if current > latest:
        raise SchemaError(
            f"{name} has schema version {current}, newer than this Retention Studio "
            f"understands (up to {latest}); upgrade Retention Studio to open it"
        )
    pending = [(version, sql) for version, sql in migrations() if version not in applied]
    if pending and read_only:
        raise SchemaError(f"{name} has schema version {current} and needs migrating to {latest}; open it writable once")
    if not applied and pending:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    for version, sql in pending:
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
    return max(current, latest)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: commit on success, roll back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


P = ParamSpec("P")
R = TypeVar("R")
CONFLICT_ATTEMPTS = 8
# A commit that failed for another reason (a read-only folder, a full disk) also reads "Failed to commit": only a
# conflict or a key another writer took first is rerun.
_CONFLICT = re.compile(
    r"Conflict on|write-write conflict|Failed to commit:.*(constraint|conflict)", re.IGNORECASE | re.S
)
_rerunning = threading.RLock()


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB refusing a transaction because another transaction of this process changed the
    same rows first (a write-write conflict, or a commit that would break a key the other one just took)."""
    return isinstance(exc, duckdb.TransactionException) and bool(_CONFLICT.search(str(exc)))


_WAL_LOCK = re.compile(r'Could not set lock on file "(?P<file>[^"]+\.wal)": Conflicting lock is held')


def wal_lock_holder(exc: BaseException) -> str | None:
    """The write-ahead log named by ``exc`` when it is DuckDB failing to lock that file at a commit because another
    process holds its lock for a moment (a reader opening the warehouse), else None. The transaction was rolled
    back: rerunning it a moment later succeeds."""
    if not isinstance(exc, duckdb.TransactionException):
        return None
    match = _WAL_LOCK.search(str(exc))
    return match.group("file") if match else None


def retrying(
    what: str, *, attempts: int = CONFLICT_ATTEMPTS, waiting: Waiting | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function that writes in :func:`transaction` blocks so that a conflict reruns all of it.

    Writers of one process share the database, so two of them (two browser sessions importing, a double
    submit) may change the same rows at once; DuckDB then refuses the one that comes second (see
    :func:`is_conflict`), rolled back. The decorated function is called again from the start, so it sees
    what the first writer committed (an import that is now a re-import, a launch whose key is now taken);
    reruns take turns, after a short random pause. The function must be called outside a transaction and
    change nothing outside the warehouse before its last transaction commits. After ``attempts`` conflicts
    in a row it raises :class:`~retention.errors.WarehouseBusy` naming ``what`` ("the import"). A key
    constraint broken mid-way (another writer committed the same new key first) is rerun once.

    A commit that could not lock the write-ahead log because another process held it for a moment
    (:func:`wal_lock_holder`) is rerun the same way, for up to :func:`lock_wait` seconds, telling ``waiting``
    (default :func:`print_wait`) once what it waits for; past that it raises
    :class:`~retention.errors.WarehouseBusy`.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def rerun(*args: P.args, **kwargs: P.kwargs) -> R:
            delay = 0.02
            conflicts = key_reruns = 0
            deadline = None
            with ExitStack() as turn:
                while True:
                    try:
                        return function(*args, **kwargs)
                    except duckdb.TransactionException as exc:
                        wal = wal_lock_holder(exc)
                        if wal is not None:
                            now = time.monotonic()
                            if deadline is None:
                                deadline = now + lock_wait()
                                said = f"waiting for {_other_process(exc)} that holds the lock on {wal} ..."
                                turn.enter_context((waiting or print_wait)(said))
                            if now >= deadline:
                                raise WarehouseBusy(
                                    f"{what} could not commit: another process kept {wal} locked for "
                                    f"{lock_wait():g} s; try again when it finishes (or set {LOCK_WAIT_ENV_VAR} "
                                    "to wait longer)"
                                ) from exc
                        elif is_conflict(exc):
                            conflicts += 1
                            if conflicts >= attempts:
                                raise WarehouseBusy(
                                    f"{what} collided {attempts} times in a row with other changes to the same "
                                    "data in this app (another import, launch or scoring running at the same "
                                    "time); try again when they finish"
                                ) from exc
                            if conflicts == 1:
                                turn.enter_context(_rerunning)  # one rerun at a time: reruns never collide
                        else:
                            raise
                    except duckdb.ConstraintException:
                        # Another writer of this process inserted the same key and committed while this one ran:
                        # one rerun sees its rows. A key broken again is a real error and goes up.
                        if key_reruns:
                            raise
                        key_reruns += 1
                        if not conflicts:
                            turn.enter_context(_rerunning)
                        conflicts += 1
                    time.sleep(random.uniform(delay / 2, delay))
                    delay = min(delay * 2, 0.5)

        return rerun

    return decorate


def execute(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params = None,
    *,
    parts: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Run a named SQL file: the one way SQL is run in Retention Studio.

    ``parts`` and ``names`` fill its slots (see :func:`statement`); ``params`` are bound, and
    named ones the statement does not use are dropped, so one settings dict can feed several
    files. Returns the connection, to read the result with ``.fetchone()``, ``.df()`` and so on.
    """
    sql = statement(name, parts=parts, names=names)
    return con.execute(sql, bound(sql, params))


def query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params = None,
    *,
    parts: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    arrow: bool = False,
) -> pd.DataFrame:
    """Run a named SQL file (as :func:`execute`) and return its result as a DataFrame. ``arrow`` reads it through
    Arrow: four times faster for many text values, but DATE columns come back as ``datetime.date``."""
    result = execute(con, name, params, parts=parts, names=names)
    if not arrow:
        return result.df()
    with warnings.catch_warnings():  # DuckDB suggests a relation, which another query's unread result would block
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        return result.to_arrow_table().to_pandas()


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table in the warehouse (empty when the table does not exist)."""
    if hasattr(con, "table_columns"):  # a lake on another engine (retention.engines.spark) knows its own
        return con.table_columns(table)
    return dict(execute(con, "table_columns", [table]).fetchall())


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in one canonical or app-owned table (the name is checked against the schema)."""
    if not table_columns(con, table):
        raise DataError(f"no table named {table!r} in the warehouse")
    return con.execute("SELECT count(*) FROM query_table($table)", {"table": table}).fetchone()[0]


def table_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per canonical table.

    Returns columns ``table`` (name), ``rows`` (int), ``first_ts`` and
    ``last_ts`` (timestamps of the earliest and latest row; NaT where the
    table has no time column or no rows).
    """
    return query(con, "table_summary")


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Earliest and latest order timestamp, or ``(None, None)`` when there are no orders."""
    first, last = con.execute("SELECT min(ts), max(ts) FROM orders").fetchone()
    return (pd.Timestamp(first) if first else None, pd.Timestamp(last) if last else None)


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A token that changes whenever data is imported, customers are scored, a recommender run is saved or
    deleted, or a campaign changes; cached results key on it."""
    return f"{latest_schema_version()}-{execute(con, 'data_version').fetchone()[0]}"


def imports_version(con: duckdb.DuckDBPyConnection, tables: Sequence[str] | None = None) -> str:
    """A token that changes whenever data of ``tables`` (default: every table) is imported, replaced or removed,
    or a non-product code changes, and not when customers are scored, runs saved or campaigns changed: the key
    of a result computed from the shop's data alone (a forecast, a scoring, a fitted recommender)."""
    params = {"tables": None if tables is None else list(tables)}
    return f"{latest_schema_version()}-{execute(con, 'imports_version', params).fetchone()[0]}"


def has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether a canonical table holds any row."""
    if table not in schema.CANONICAL_COLUMNS:
        raise DataError(f"{table!r} is not a canonical table")
    return con.execute("SELECT EXISTS (SELECT 1 FROM query_table($table))", {"table": table}).fetchone()[0]


def new_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """Take the next import batch id from the warehouse's sequence."""
    return con.execute("SELECT nextval('import_batch_seq')").fetchone()[0]


def record_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    batch_id: int,
    table: str,
    source_name: str,
    sha256: str,
    rows_read: int,
    rows_loaded: int,
    rows_rejected: int,
    duplicates_found: int = 0,
    duplicates_policy: str = "keep",
) -> None:
    """Write one row of ``import_batches`` (call it inside the import's transaction).

    ``duplicates_found`` counts the file's exact duplicate lines; ``duplicates_policy`` says whether the
    import kept them (``"keep"``) or dropped them (``"drop"``).
    """
    execute(
        con,
        "record_batch",
        {
            "batch_id": batch_id,
            "table_name": table,
            "source_name": source_name,
            "sha256": sha256,
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_rejected": rows_rejected,
            "duplicates_found": duplicates_found,
            "duplicates_policy": duplicates_policy,
        },
    )
