"""Publishing serving snapshots: promotion and demotion of a recommender run, and republishing after a scoring or
a campaign launch.

A snapshot (see :mod:`retention.serve`) is written whole in a hidden staging folder, renamed into place, and only
then named in ``CURRENT``. Promoting a run precomputes the top-k of every customer its model knows, in blocks of
:data:`PRECOMPUTE_USERS` customers (each scored by the vectorised :meth:`Recommender.recommend`), streamed into the
Parquet file block by block: minutes for a million customers, with no connection held for writing meanwhile.
Every other publish reuses the serving snapshot's lists (hard links: snapshot files are never changed in place), so
a new scoring or launch rewrites only the risk and campaign tables.

Publishers of several processes (the app, a refresh, the CLI) take the serving folder's lock file for the short
final step (reading which lists serve, writing the small tables, moving ``CURRENT``), so a republish that started
before a promotion can never put the old lists back after it. The newest :data:`SNAPSHOTS_KEPT` snapshot folders
are kept (the service may still be loading the one before the last); older ones are deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retention import warehouse
from retention.errors import DataError
from retention.serve import CURRENT, SNAPSHOT_FILES, serving_folder, write_atomically
from retention.serve.snapshot import (
    CAMPAIGNS,
    COLD_START,
    MANIFEST,
    RECOMMENDATIONS,
    RISK,
    current_name,
)

try:
    import fcntl
except ImportError:  # Windows: publishers of one process still exclude each other
    fcntl = None

log = logging.getLogger(__name__)

SNAPSHOTS_KEPT = 3
PRECOMPUTE_USERS = 50_000  # customers per precomputed block: bounds memory at a block's lists and seen items
DEFAULT_K = 10
MAX_K = 100
LOCK_FILE = ".publish.lock"
STALE_STAGING_SECONDS = 24 * 3600  # a promotion of a million customers takes minutes, never a day
SNAPSHOT_PREFIX = "snapshot-"

RECOMMENDATIONS_SCHEMA = pa.schema(
    [("user_id", pa.string()), ("rank", pa.int32()), ("item_id", pa.string()), ("title", pa.string()),
     ("score", pa.float64())]
)  # fmt: skip
COLD_START_SCHEMA = pa.schema([("rank", pa.int32()), ("item_id", pa.string()), ("title", pa.string())])
RISK_SCHEMA = pa.schema(
    [("user_id", pa.string()), ("as_of", pa.string()), ("horizon_days", pa.int32()), ("model_version", pa.string()),
     ("risk", pa.float64()), ("value", pa.float64()), ("reasons", pa.list_(pa.string()))]
)  # fmt: skip
CAMPAIGNS_SCHEMA = pa.schema(
    [("campaign_id", pa.int64()), ("user_id", pa.string()), ("arm", pa.string()), ("channel", pa.string()),
     ("recommended_items", pa.list_(pa.string()))]
)  # fmt: skip

_in_process = threading.Lock()


@dataclass(frozen=True)
class Lists:
    """Which recommendation lists a snapshot holds: the promoted run (None: none serves), its list length and
    promotion time (ISO, UTC), and how many customers have a precomputed list."""

    run_id: int | None
    model: str | None
    k: int
    promoted_at: str | None
    customers: int


def database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the warehouse ``con`` is open on; None for an in-memory database."""
    row = warehouse.execute(con, "serve_database_path").fetchone()
    return None if row is None or not row[0] else Path(row[0])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _checked_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_K:
        raise DataError(f"k must be between 1 and {MAX_K} items, got {k}")
    return int(k)


# ---------------------------------------------------------------------------
# The files of one snapshot
# ---------------------------------------------------------------------------


def _block_pairs(users: pd.Index, pairs: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """``pairs`` rows ordered by their customer's position in ``users``, and those positions (rows of customers not
    in ``users`` dropped), so that each block of customers finds its pairs by binary search."""
    if pairs is None:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    positions = users.get_indexer(pairs["user_id"].astype(str))
    kept = np.flatnonzero(positions >= 0)
    order = kept[np.argsort(positions[kept], kind="stable")]
    return order, positions[order]


def write_recommendations(con: duckdb.DuckDBPyConnection, recommender, path: Path, k: int) -> int:
    """Write the top-``k`` of every customer ``recommender`` knows to ``path`` (``recommendations.parquet``
    columns), as :func:`retention.recommend.recommend` lists them (discovery runs leave out what each customer
    bought or rated); returns the customers written."""
    from retention.recommend.modes import REPEAT

    users = pd.Index(recommender.model.users.astype(str))
    pairs = None if recommender.mode == REPEAT else warehouse.query(con, "serve_excluded_pairs", arrow=True)
    order, positions = _block_pairs(users, pairs)
    written = 0
    with pq.ParquetWriter(path, RECOMMENDATIONS_SCHEMA) as writer:
        for start in range(0, len(users), PRECOMPUTE_USERS):
            stop = min(start + PRECOMPUTE_USERS, len(users))
            rows = order[np.searchsorted(positions, start) : np.searchsorted(positions, stop)]
            exclude = None if pairs is None else pairs.iloc[rows]
            lists = recommender.recommend(list(users[start:stop]), k, exclude=exclude)
            written += lists["user_id"].nunique()
            frame = lists[["user_id", "rank", "item_id", "title", "score"]].astype(
                {"user_id": str, "item_id": str, "rank": "int32"}
            )
            writer.write_table(pa.Table.from_pandas(frame, schema=RECOMMENDATIONS_SCHEMA, preserve_index=False))
    return written


def _write_frame(frame: pd.DataFrame, path: Path, schema: pa.Schema) -> None:
    table = schema.empty_table() if frame.empty else pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    pq.write_table(table, path)


def cold_start_of(recommender, k: int) -> pd.DataFrame:
    """The run's list for customers it does not know: its ``k`` most popular items (``Recommender.popularity``,
    ties by catalogue order, as :meth:`Recommender.recommend` ranks them), columns ``rank``, ``item_id``,
    ``title``."""
    from retention.recommend import topk

    indices, _ = topk.top_k(np.asarray(recommender.popularity, dtype=float)[None, :], k)
    chosen = indices[0][indices[0] >= 0]
    item_ids = recommender.model.items[chosen].astype(str)
    titles = recommender.products.drop_duplicates("item_id").set_index("item_id")["title"]
    return pd.DataFrame(
        {"rank": np.arange(1, len(chosen) + 1), "item_id": item_ids, "title": titles.reindex(item_ids).to_numpy()}
    )


def popular_items(con: duckdb.DuckDBPyConnection, k: int) -> pd.DataFrame:
    """The cold-start list while no run serves: the ``k`` items most customers bought (``rank``, ``item_id``,
    ``title``)."""
    return warehouse.query(con, "serve_popular_items", {"k": int(k)})


def _reasons(text: pd.Series) -> list[list[str]]:
    return [[part for part in str(value).split("; ") if part] if isinstance(value, str) else [] for value in text]


def risk_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest churn scoring (:func:`retention.churn.latest_scores`) as ``risk.parquet`` holds it: ``as_of`` an
    ISO date, ``reasons`` a list of phrases, strongest first."""
    from retention.churn.scoring import latest_scores

    scores = latest_scores(con)
    return pd.DataFrame(
        {
            "user_id": scores["user_id"].astype(str),
            "as_of": scores["as_of"].astype(str),
            "horizon_days": scores["horizon_days"].astype("int32"),
            "model_version": scores["model_version"].astype(str),
            "risk": scores["risk"].astype(float),
            "value": scores["value"].astype(float),
            "reasons": _reasons(scores["reasons"]),
        }
    )


def campaign_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Members of launched and measured campaigns (``campaigns.parquet`` columns)."""
    frame = warehouse.query(con, "serve_campaign_members")
    frame["recommended_items"] = [[str(item) for item in items] for items in frame["recommended_items"]]
    return frame


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


# ---------------------------------------------------------------------------
# The serving folder
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def publishing_lock(folder: Path) -> Iterator[None]:
    """Exclusive right to move ``CURRENT`` of ``folder``, across threads and processes."""
    with _in_process:
        if fcntl is None:
            yield
            return
        with open(folder / LOCK_FILE, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _new_name(folder: Path) -> str:
    stamp = _now().strftime("%Y%m%dT%H%M%S%f")
    name, n = f"{SNAPSHOT_PREFIX}{stamp}", 1
    while (folder / name).exists() or (folder / f".{name}").exists():
        name, n = f"{SNAPSHOT_PREFIX}{stamp}-{n}", n + 1
    return name


def point_current(folder: Path, name: str) -> None:
    """Name ``name`` in ``CURRENT``, replacing it whole."""
    write_atomically(folder / CURRENT, name + "\n")


def snapshot_folders(folder: Path) -> list[Path]:
    """The snapshot folders in ``folder``, oldest first."""
    return sorted(path for path in folder.glob(f"{SNAPSHOT_PREFIX}*") if path.is_dir())


def prune(folder: Path, keep: int = SNAPSHOTS_KEPT) -> list[str]:
    """Delete all but the newest ``keep`` snapshot folders (never the one serving), and staging folders a publisher
    left more than :data:`STALE_STAGING_SECONDS` ago (it was killed); returns the names deleted."""
    serving = current_name(folder)
    old = [path for path in snapshot_folders(folder)[:-keep] if path.name != serving]
    oldest_staging = time.time() - STALE_STAGING_SECONDS
    old += [path for path in folder.glob(f".{SNAPSHOT_PREFIX}*") if path.stat().st_mtime < oldest_staging]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return [path.name for path in old]


def current_manifest(folder: Path) -> dict | None:
    """The serving snapshot's manifest, or None when nothing is published in ``folder``.

    Raises
    ------
    DataError
        ``CURRENT`` names a snapshot folder that is gone or incomplete (promote a run again to replace it).
    """
    name = current_name(folder)
    if name is None:
        return None
    if not all((folder / name / file).exists() for file in SNAPSHOT_FILES):
        raise DataError(f"the serving snapshot {folder / name} is missing or incomplete; promote a run again")
    return json.loads((folder / name / MANIFEST).read_text())


def _reuse_lists(con: duckdb.DuckDBPyConnection, folder: Path, staging: Path) -> Lists:
    """Link the serving snapshot's list files into ``staging``; with none serving, an empty list table and the
    popular items as the cold-start list."""
    manifest = current_manifest(folder)
    if manifest is None:
        _write_frame(pd.DataFrame(columns=list(RECOMMENDATIONS_SCHEMA.names)), staging / RECOMMENDATIONS,
                     RECOMMENDATIONS_SCHEMA)  # fmt: skip
        _write_frame(popular_items(con, DEFAULT_K), staging / COLD_START, COLD_START_SCHEMA)
        return Lists(None, None, DEFAULT_K, None, 0)
    serving = folder / str(current_name(folder))
    for file in (RECOMMENDATIONS, COLD_START):
        _link_or_copy(serving / file, staging / file)
    return Lists(
        manifest.get("run_id"),
        manifest.get("model"),
        int(manifest.get("k") or DEFAULT_K),
        manifest.get("promoted_at"),
        int(manifest.get("customers") or 0),
    )


def _manifest(con: duckdb.DuckDBPyConnection, lists: Lists, scores: pd.DataFrame, created_at: dt.datetime) -> dict:
    newest_order = warehouse.data_range(con)[1]
    return {
        "run_id": lists.run_id,
        "model": lists.model,
        "k": lists.k,
        "customers": lists.customers,
        "promoted_at": lists.promoted_at,
        "scores_as_of": None if scores.empty else str(scores["as_of"].iloc[0]),
        "scores_model_version": None if scores.empty else str(scores["model_version"].iloc[0]),
        "data_as_of": None if newest_order is None else pd.Timestamp(newest_order).isoformat(),
        "created_at": created_at.isoformat(),
    }


def _finish(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    staging: Path,
    name: str,
    lists: Lists | None,
    record: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
) -> Path:
    """Under the publishing lock: the lists (reused when ``lists`` is None), risk, campaigns and manifest, then the
    folder renamed into place and ``CURRENT`` moved (inside ``record``'s transaction when given)."""
    with publishing_lock(folder):
        if lists is None:
            lists = _reuse_lists(con, folder, staging)
        scores = risk_frame(con)
        _write_frame(scores, staging / RISK, RISK_SCHEMA)
        _write_frame(campaign_frame(con), staging / CAMPAIGNS, CAMPAIGNS_SCHEMA)
        _write_json(staging / MANIFEST, _manifest(con, lists, scores, _now()))
        target = folder / name
        os.replace(staging, target)
        if record is None:
            point_current(folder, name)
        else:
            with warehouse.transaction(con):
                record(con)
                point_current(folder, name)
    prune(folder)
    return target


@contextlib.contextmanager
def _staging(folder: Path) -> Iterator[tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    name = _new_name(folder)
    staging = folder / f".{name}"
    staging.mkdir()
    try:
        yield staging, name
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------------------
# Promotion, demotion, republishing
# ---------------------------------------------------------------------------


def publish(
    con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike, *, promote_run: int | None = None, k: int = DEFAULT_K
) -> Path:
    """Write a new snapshot of the warehouse at ``db_path`` into its serving folder and make it serve; returns
    the snapshot folder.

    With ``promote_run``, that recommender run is promoted: the top-``k`` of every customer its model knows is
    precomputed (its saved model when fresh, else fitted now), its popularity list becomes the cold-start list,
    and the promotion is recorded in ``promotions`` (the one serving before is demoted), so ``con`` must be
    writable. Without it, the serving snapshot's lists are reused (none serving: no lists, popular items for
    everyone) and ``con`` may be read-only.

    Raises
    ------
    DataError
        No run has id ``promote_run``; ``k`` outside 1..:data:`MAX_K`.
    """
    folder = serving_folder(db_path)
    if promote_run is None:
        with _staging(folder) as (staging, name):
            return _finish(con, folder, staging, name, None)
    return _promote(con, folder, int(promote_run), _checked_k(k))


def _precompute(con: duckdb.DuckDBPyConnection, run_id: int, k: int, staging: Path) -> Lists:
    """Write run ``run_id``'s lists into ``staging``; reads only."""
    from retention.recommend import runs, saved

    run = runs.get_run(con, run_id)
    recommender = saved.recommender_for_run(con, run_id)
    customers = write_recommendations(con, recommender, staging / RECOMMENDATIONS, k)
    _write_frame(cold_start_of(recommender, k), staging / COLD_START, COLD_START_SCHEMA)
    return Lists(run_id, run.model, k, None, customers)


def _recorded(lists: Lists, name: str) -> tuple[Lists, Callable[[duckdb.DuckDBPyConnection], None]]:
    """``lists`` stamped with the promotion time, and the write that records the promotion."""
    promoted_at = _now()
    params = {"run_id": lists.run_id, "k": lists.k, "snapshot": name, "customers": lists.customers}

    def record(con: duckdb.DuckDBPyConnection) -> None:
        warehouse.execute(con, "serve_demote", {"demoted_at": promoted_at})
        warehouse.execute(con, "serve_promotion_insert", {**params, "promoted_at": promoted_at})

    return replace(lists, promoted_at=promoted_at.isoformat()), record


def _promote(con: duckdb.DuckDBPyConnection, folder: Path, run_id: int, k: int) -> Path:
    with _staging(folder) as (staging, name):
        lists, record = _recorded(_precompute(con, run_id, k, staging), name)
        return _finish(con, folder, staging, name, lists, record)


def promote(db_path: str | os.PathLike, run_id: int, k: int = DEFAULT_K) -> Path:
    """:func:`publish` with ``promote_run`` for a caller that holds no connection (the CLI, the page): the lists are
    precomputed in a read session, so other processes keep writing meanwhile (minutes at a million customers),
    then the promotion is recorded and published in one short write session. Returns the snapshot folder."""
    k = _checked_k(k)
    folder = serving_folder(db_path)
    with warehouse.session(db_path, write=True):  # a warehouse of an older version is migrated first, briefly
        pass
    with _staging(folder) as (staging, name):
        with warehouse.session(db_path) as con:
            lists = _precompute(con, int(run_id), k, staging)
        with warehouse.session(db_path, write=True) as con:
            lists, record = _recorded(lists, name)
            return _finish(con, folder, staging, name, lists, record)


def demote(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike) -> Path:
    """Demote the serving run and publish a snapshot without recommendation lists: every customer then gets the
    cold-start list of popular items (the service says so). Returns the snapshot folder.

    Raises
    ------
    DataError
        No recommender run is promoted.
    """
    if serving_promotion(con) is None:
        raise DataError("no recommender run is promoted, so there is nothing to demote")
    folder = serving_folder(db_path)
    demoted_at = _now()
    with _staging(folder) as (staging, name):
        _write_frame(pd.DataFrame(columns=list(RECOMMENDATIONS_SCHEMA.names)), staging / RECOMMENDATIONS,
                     RECOMMENDATIONS_SCHEMA)  # fmt: skip
        _write_frame(popular_items(con, DEFAULT_K), staging / COLD_START, COLD_START_SCHEMA)
        lists = Lists(None, None, DEFAULT_K, None, 0)
        return _finish(
            con,
            folder,
            staging,
            name,
            lists,
            lambda con: warehouse.execute(con, "serve_demote", {"demoted_at": demoted_at}),
        )


def serving_promotion(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The promotion that serves (``promotion_id``, ``run_id``, ``k``, ``snapshot``, ``customers``,
    ``promoted_at``), or None."""
    rows = warehouse.query(con, "serve_serving_promotion")
    return None if rows.empty else rows.iloc[0].to_dict()


def promotions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The promotion history, newest first: ``promotion_id``, ``run_id``, ``run_name``, ``model`` (None for a run
    deleted since), ``k``, ``customers``, ``snapshot``, ``promoted_at``, ``demoted_at`` (NaT while serving or
    until replaced), ``serving`` (bool)."""
    return warehouse.query(con, "serve_promotions")


def republish_if_serving(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike | None = None) -> Path | None:
    """After a scoring or a launch: publish a snapshot reusing the serving lists, but only where a serving folder
    with ``CURRENT`` exists (a warehouse that never promoted gets no serving folder). Never raises: a failure is
    logged as a warning, and the change that called it stands. Returns the new snapshot folder, or None."""
    try:
        db = database_path(con) if db_path is None else Path(db_path)
        if db is None or current_name(serving_folder(db)) is None:
            return None
        return publish(con, db)
    except Exception:  # noqa: BLE001 - the scoring or launch is saved; only the service's copy is late
        log.warning("could not publish a serving snapshot; the service keeps the previous one", exc_info=True)
        return None
