"""Jobs: long work (scoring customers, training models, a refresh) that outlives the page or command that started it.

A job is a row of the ``jobs`` table: its kind and parameters, who started it
from where (``'app'``, ``'cli'`` or ``'refresh'``, the host and the process
id), when, its progress in [0, 1] with a message, its status (``running``,
``done``, ``failed``, ``interrupted``) and its result (JSON) or error (a
sentence). Whoever reads the warehouse sees the same row: a second browser
session, the page after a browser refresh, the Data page's list, the CLI.

:func:`start` runs ``function(progress)`` in a background thread of the
calling process; in the app that is a thread of the server, so the job goes
on when the browser navigates away or reloads. :func:`run` runs it in the
calling thread (the CLI) and records it the same way. ``progress(fraction,
message)`` may be called as often as the work likes: the table is written at
most every :data:`WRITE_EVERY` seconds, each write a short transaction on a
connection of its own, opened and closed around it, never a connection or
cursor another thread uses.

A job's process can die (a server restart, a killed command) before it writes
its end. :func:`mark_interrupted` finds running jobs whose process is gone
(same host: the process id no longer names the process that started it) or
that have said nothing for :data:`QUIET_LIMIT` (any host), and marks them
interrupted; the app calls it once per server, :func:`start` before every
start, so a job is never shown running forever.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError, RetentionError

T = TypeVar("T")
Progress = Callable[[float, str], None]
Source = str | os.PathLike | duckdb.DuckDBPyConnection

STATUSES = ("running", "done", "failed", "interrupted")
STARTED_BY = ("app", "cli", "refresh")
WRITE_EVERY = 0.5  # seconds between two progress writes of one job
QUIET_LIMIT = 3600.0  # seconds without a word after which a running job of another host counts as interrupted
RECENT_LIMIT = 50

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One row of the ``jobs`` table.

    ``params`` and ``result`` are the decoded JSON (``result`` None until done);
    ``progress`` is in [0, 1]; ``error`` a sentence once failed or interrupted.
    """

    job_id: int
    kind: str
    params: dict[str, Any]
    started_by: str
    host: str
    pid: int
    process: str
    started_at: dt.datetime
    updated_at: dt.datetime
    progress: float
    message: str | None
    status: str
    result: Any
    error: str | None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def who(self) -> str:
        """Who started it from where, e.g. ``"app on web-1, pid 4242"``."""
        return f"{self.started_by} on {self.host}, pid {self.pid}"


# ---------------------------------------------------------------------------
# This process
# ---------------------------------------------------------------------------


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux); None when there is no such process.

    "?" where the system has no ``/proc``: the pid alone then says whether the process lives.
    """
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            # The command name (field 2) is in parentheses and may hold spaces; field 22 is the start time.
            return stat.read_text().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "?"


def process_token(pid: int | None = None) -> str | None:
    """``host:pid:start`` of a process on this host (this one by default); None when it is not running."""
    pid = os.getpid() if pid is None else pid
    start = _process_start(pid)
    return None if start is None else f"{socket.gethostname()}:{pid}:{start}"


def _alive(host: str, pid: int, process: str) -> bool | None:
    """Whether the process that wrote a job still runs: True or False on this host, None (unknown) elsewhere."""
    if host != socket.gethostname():
        return None
    return process_token(pid) == process


# ---------------------------------------------------------------------------
# Reading and writing the table
# ---------------------------------------------------------------------------


@contextmanager
def _opened(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    """``source`` itself when it is a connection (or cursor); else a connection to that file, closed after."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    con = warehouse.connect(source)
    try:
        yield con
    finally:
        con.close()


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _jobs(frame: pd.DataFrame) -> list[Job]:
    jobs = []
    for row in frame.itertuples(index=False):
        jobs.append(
            Job(
                job_id=int(row.job_id),
                kind=row.kind,
                params=json.loads(row.params),
                started_by=row.started_by,
                host=row.host,
                pid=int(row.pid),
                process=row.process,
                started_at=pd.Timestamp(row.started_at).to_pydatetime(),
                updated_at=pd.Timestamp(row.updated_at).to_pydatetime(),
                progress=float(row.progress),
                message=None if pd.isna(row.message) else row.message,
                status=row.status,
                result=None if pd.isna(row.result) else json.loads(row.result),
                error=None if pd.isna(row.error) else row.error,
            )
        )
    return jobs


def _read(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> list[Job]:
    return _jobs(warehouse.query(con, name, params, parts={"COLUMNS": "jobs_columns"}))


def get(source: Source, job_id: int) -> Job | None:
    """The job ``job_id``; None when there is no such job. ``source``: the warehouse path or a connection."""
    with _opened(source) as con:
        found = _read(con, "jobs_get", {"job_id": int(job_id)})
    return found[0] if found else None


def running(source: Source, kind: str, params: dict[str, Any]) -> Job | None:
    """The newest running job of this kind with exactly these parameters; None when there is none."""
    with _opened(source) as con:
        found = _read(con, "jobs_running", {"kind": kind, "params": _encode(params)})
    return found[0] if found else None


def latest(source: Source, kind: str, params: dict[str, Any]) -> Job | None:
    """The newest job of this kind with exactly these parameters, whatever its status; None when there is none.

    A page whose job saves its result in the row finds it here after a reload, a restart or in another browser.
    """
    with _opened(source) as con:
        found = _read(con, "jobs_latest", {"kind": kind, "params": _encode(params)})
    return found[0] if found else None


def frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as JSON-ready data for a job's result (columns, types and rows; timestamps as ISO text, floats
    to 15 decimals); :func:`json_frame` reads it back."""
    return json.loads(frame.to_json(orient="table", index=False, date_format="iso", double_precision=15))


def json_frame(value: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`frame_json` wrote: the same columns and values (missing text as NaN, not None;
    timestamps in nanoseconds)."""
    return pd.read_json(io.StringIO(json.dumps(value)), orient="table").reset_index(drop=True)


def recent(source: Source, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    """The latest ``limit`` jobs, newest first.

    Returns
    -------
    DataFrame
        Columns ``job_id``, ``kind``, ``params`` (JSON text), ``started_by`` ('app', 'cli', 'refresh'), ``host``,
        ``pid``, ``process``, ``started_at``, ``updated_at`` (timestamps), ``progress`` (in [0, 1]), ``message``,
        ``status`` (one of :data:`STATUSES`), ``result`` (JSON text or None), ``error`` (a sentence or None).
    """
    with _opened(source) as con:
        return warehouse.query(con, "jobs_recent", {"limit": int(limit)}, parts={"COLUMNS": "jobs_columns"})


def listing(source: Source, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    """The latest jobs as people read them, newest first.

    Returns
    -------
    DataFrame
        Columns ``job_id``, ``kind`` (words: "churn scoring"), ``started_at`` (timestamp), ``started_by``
        ("app on HOST, pid N"), ``status``, ``progress`` (in [0, 1]), ``seconds`` (from the start to the end or
        the last word, float), ``message`` (the error when failed or interrupted, else the last message).
    """
    frame = recent(source, limit)
    ended_badly = frame["status"].isin(["failed", "interrupted"]) & frame["error"].notna()
    return pd.DataFrame(
        {
            "job_id": frame["job_id"].astype("int64"),
            "kind": frame["kind"].str.replace("_", " "),
            "started_at": frame["started_at"],
            "started_by": frame["started_by"] + " on " + frame["host"] + ", pid " + frame["pid"].astype(str),
            "status": frame["status"],
            "progress": frame["progress"].astype("float64"),
            "seconds": (frame["updated_at"] - frame["started_at"]).dt.total_seconds(),
            "message": frame["error"].where(ended_badly, frame["message"]),
        }
    )


@warehouse.retrying("recording the job")
def _write(path: str | os.PathLike, name: str, params: dict[str, object]) -> list[tuple]:
    """Run one writing statement in a short transaction on a connection of its own; returns its rows. A commit
    refused because another writer or process held the data or the write-ahead log for a moment is rerun."""
    with _opened(path) as con, warehouse.transaction(con):
        return warehouse.execute(con, name, params).fetchall()


def mark_interrupted(path: str | os.PathLike, *, quiet_limit: float = QUIET_LIMIT) -> list[int]:
    """Mark interrupted every running job whose process is gone, or that has been quiet for ``quiet_limit`` s.

    A job of this process is never marked (its thread still runs). Returns the ids of the jobs marked.
    """
    with _opened(path) as con:
        rows = warehouse.query(con, "jobs_running_all", {"stale_seconds": float(quiet_limit)})
        this = process_token()
        marked = []
        for row in rows.itertuples(index=False):
            if row.process == this:
                continue
            alive = _alive(row.host, int(row.pid), row.process)
            if alive is False:
                why = f"the process that ran it ({row.started_by} on {row.host}, pid {row.pid}) stopped before it finished"
            elif row.quiet:
                why = f"it said nothing for {quiet_limit / 60:.0f} minutes ({row.started_by} on {row.host}, pid {row.pid})"
            else:
                continue
            with warehouse.transaction(con):
                warehouse.execute(con, "jobs_interrupt", {"job_id": int(row.job_id), "error": f"Interrupted: {why}."})
            marked.append(int(row.job_id))
    return marked


# ---------------------------------------------------------------------------
# Running a job
# ---------------------------------------------------------------------------


class _Reporter:
    """The ``progress(fraction, message)`` callback handed to a job's function: throttled writes to the table,
    and every call passed on to ``echo`` (the CLI's stderr)."""

    def __init__(self, path: str | os.PathLike, job_id: int, echo: Progress | None) -> None:
        self.path, self.job_id, self.echo = path, job_id, echo
        self.progress, self.message = 0.0, ""
        self._written = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        self.progress = min(1.0, max(0.0, float(fraction)))
        self.message = message or self.message
        if self.echo is not None:
            self.echo(self.progress, self.message)
        now = time.monotonic()
        if now - self._written < WRITE_EVERY:
            return
        self._written = now
        try:
            _write(
                self.path, "jobs_progress", {"job_id": self.job_id, "progress": self.progress, "message": self.message}
            )
        except (RetentionError, duckdb.Error) as exc:  # progress is a courtesy: the work goes on without it
            log.warning("job %s: progress not recorded: %s", self.job_id, exc)


def _insert(path: str | os.PathLike, kind: str, params: dict[str, Any], started_by: str) -> int:
    if started_by not in STARTED_BY:
        raise DataError(f"started_by {started_by!r} is not one of {', '.join(STARTED_BY)}")
    values = {
        "kind": kind,
        "params": _encode(params),
        "started_by": started_by,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "process": process_token(),
        "message": "Starting",
    }
    return int(_write(path, "jobs_insert", values)[0][0])


def _execute(
    path: str | os.PathLike,
    job_id: int,
    function: Callable[[Progress], T],
    describe: Callable[[T], Any] | None,
    echo: Progress | None,
) -> T:
    """Run ``function`` as job ``job_id`` in this thread and record how it ended; re-raises its error."""
    reporter = _Reporter(path, job_id, echo)
    try:
        value = function(reporter)
    except BaseException as exc:
        error = str(exc) if isinstance(exc, RetentionError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, RetentionError):
            log.exception("job %s failed", job_id)
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        _finish(path, job_id, status, None, error or type(exc).__name__, None)
        raise
    _finish(path, job_id, "done", _encode(describe(value) if describe else value), None, "Done")
    return value


def _finish(path, job_id: int, status: str, result: str | None, error: str | None, message: str | None) -> None:
    params = {"job_id": job_id, "status": status, "result": result, "error": error, "message": message}
    try:
        _write(path, "jobs_finish", params)
    except (RetentionError, duckdb.Error):
        log.exception("job %s: its end (%s) could not be recorded", job_id, status)


_starting = threading.Lock()
_threads: dict[tuple[str, int], threading.Thread] = {}


def start(
    path: str | os.PathLike,
    kind: str,
    params: dict[str, Any],
    function: Callable[[Progress], Any],
    *,
    started_by: str = "app",
    describe: Callable[[Any], Any] | None = None,
) -> Job:
    """Run ``function(progress)`` as a job in a background thread of this process; returns its row.

    When a job of the same kind and parameters is already running (in any process), that one is returned and
    nothing new starts. ``function`` opens its own connection (``warehouse.connect(path)``): a thread must not
    share one. Its return value, passed through ``describe`` when given, must be JSON-serialisable: it is the
    job's ``result``. An error it raises becomes the job's ``error`` (the message of a ``RetentionError``,
    else the exception's type and message); the thread then ends.
    """
    with _starting:
        mark_interrupted(path)
        found = running(path, kind, params)
        if found is not None:
            return found
        job_id = _insert(path, kind, params, started_by)

    def work() -> None:
        try:
            _execute(path, job_id, function, describe, None)
        except BaseException:  # recorded in the table by _execute; a thread has nobody to raise to
            pass
        finally:
            _threads.pop((str(path), job_id), None)

    thread = threading.Thread(target=work, name=f"job-{job_id}-{kind}", daemon=True)
    _threads[(str(path), job_id)] = thread
    thread.start()
    return get(path, job_id)


def run(
    path: str | os.PathLike,
    kind: str,
    params: dict[str, Any],
    function: Callable[[Progress], T],
    *,
    started_by: str = "cli",
    describe: Callable[[T], Any] | None = None,
    echo: Progress | None = None,
) -> T:
    """Run ``function(progress)`` as a job in the calling thread, recorded as :func:`start` records it, and
    return its value; ``echo`` also receives every progress call (the CLI prints them on stderr). Its error is
    recorded and raised."""
    mark_interrupted(path)
    job_id = _insert(path, kind, params, started_by)
    return _execute(path, job_id, function, describe, echo)


def wait(path: str | os.PathLike, job_id: int, timeout: float = 600.0, poll: float = 0.2) -> Job:
    """Block until job ``job_id`` has ended (or ``timeout`` seconds pass) and return its row."""
    thread = _threads.get((str(path), job_id))
    if thread is not None:
        thread.join(timeout)
    deadline = time.monotonic() + timeout
    while True:
        job = get(path, job_id)
        if job is None:
            raise DataError(f"there is no job {job_id}")
        if not job.running or time.monotonic() > deadline:
            return job
        time.sleep(poll)


def printer(stream: IO[str] | None = None) -> Progress:
    """A progress callback that writes a line to ``stream`` (stderr by default) whenever the message changes:
    ``[ 35%] Training the model``."""
    said: list[str] = []

    def echo(fraction: float, message: str) -> None:
        if said and said[-1] == message:
            return
        said.append(message)
        print(f"[{fraction:4.0%}] {message}", file=stream or sys.stderr, flush=True)

    return echo
