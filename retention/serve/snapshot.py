"""Reading the serving snapshot: one immutable object per snapshot folder, swapped whole when ``CURRENT`` changes.

A :class:`Snapshot` holds the files of one snapshot folder (see :mod:`retention.serve`) as numpy arrays with a
dict from each customer to its rows, so every lookup is O(1) and no request touches pandas or the disk. The service
never mutates a snapshot: :class:`SnapshotWatcher` loads the next one beside it and replaces its reference in one
assignment, so a request that took the old object answers wholly from the old snapshot, and the next one wholly from
the new. This module imports no model library: the service starts without them (publishing lives in
:mod:`retention.serve.publish`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from retention.serve import CURRENT

log = logging.getLogger(__name__)

RECOMMENDATIONS = "recommendations.parquet"
COLD_START = "cold_start.parquet"
RISK = "risk.parquet"
CAMPAIGNS = "campaigns.parquet"
MANIFEST = "manifest.json"

RECOMMENDATION_COLUMNS = ("user_id", "rank", "item_id", "title", "score")
COLD_START_COLUMNS = ("rank", "item_id", "title")
RISK_COLUMNS = ("user_id", "as_of", "horizon_days", "model_version", "risk", "value", "reasons")
CAMPAIGN_COLUMNS = ("campaign_id", "user_id", "arm", "channel", "recommended_items")

SOURCE_MODEL = "model"
SOURCE_COLD_START = "cold_start"


class NoSnapshotError(LookupError):
    """The serving folder has no snapshot to serve yet (no ``CURRENT``, or it names a missing folder)."""


def _row_ranges(keys: np.ndarray) -> dict[str, tuple[int, int]]:
    """Map each key of a sorted key array to the ``(start, end)`` offsets of its run of rows."""
    if len(keys) == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return dict(zip(keys[starts].tolist(), zip(starts.tolist(), ends.tolist(), strict=True), strict=True))


def _to_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value]


def _optional_float(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


@dataclass(frozen=True)
class Snapshot:
    """One snapshot folder, loaded and indexed for O(1) lookups by customer.

    Build it with :func:`load`; never mutate it (the service shares one object between requests).
    """

    name: str
    manifest: dict
    _rec_rows: dict[str, tuple[int, int]] = field(repr=False)
    _rec_rank: np.ndarray = field(repr=False)
    _rec_item: np.ndarray = field(repr=False)
    _rec_title: np.ndarray = field(repr=False)
    _rec_score: np.ndarray = field(repr=False)
    _cold_start: tuple[dict, ...] = field(repr=False)
    _risk_rows: dict[str, int] = field(repr=False)
    _risk: dict[str, np.ndarray] = field(repr=False)
    _members: dict[tuple[int, str], int] = field(repr=False)
    _campaigns: dict[str, np.ndarray] = field(repr=False)

    @property
    def customers(self) -> int:
        """Customers with a precomputed list."""
        return len(self._rec_rows)

    def recommendations(self, user_id: str, k: int = 10) -> tuple[list[dict], str]:
        """The customer's top-``k`` list and where it came from.

        Parameters
        ----------
        user_id : the customer (compared as a string).
        k : list length wanted; at most the snapshot's ``k`` come back.

        Returns
        -------
        (items, source): items are dicts ``rank`` (1..), ``item_id`` (str), ``title`` (str), ``score`` (float, the
        model's score; None on the cold-start list); source is ``'model'`` for a customer the promoted run knows,
        else ``'cold_start'`` (the served run's popularity list).
        """
        k = max(int(k), 0)
        rows = self._rec_rows.get(str(user_id))
        if rows is None:
            return [dict(item) for item in self._cold_start[:k]], SOURCE_COLD_START
        start, end = rows
        end = min(end, start + k)
        items = [
            {"rank": int(rank), "item_id": item, "title": title, "score": float(score)}
            for rank, item, title, score in zip(
                self._rec_rank[start:end].tolist(),
                self._rec_item[start:end].tolist(),
                self._rec_title[start:end].tolist(),
                self._rec_score[start:end].tolist(),
                strict=True,
            )
        ]
        return items, SOURCE_MODEL

    def risk(self, user_id: str) -> dict | None:
        """The customer's latest churn risk, or None when the latest scoring did not score them.

        Returns
        -------
        dict: ``user_id``, ``as_of`` (ISO date of the scoring), ``horizon_days`` (int), ``model_version`` (str),
        ``risk`` (float in [0, 1], probability of no purchase within the horizon), ``value`` (float, the customer's
        value in the shop's currency; None when unknown), ``reasons`` (list of str, strongest first).
        """
        row = self._risk_rows.get(str(user_id))
        if row is None:
            return None
        columns = self._risk
        return {
            "user_id": str(user_id),
            "as_of": str(columns["as_of"][row]),
            "horizon_days": int(columns["horizon_days"][row]),
            "model_version": str(columns["model_version"][row]),
            "risk": float(columns["risk"][row]),
            "value": _optional_float(columns["value"][row]),
            "reasons": _to_list(columns["reasons"][row]),
        }

    def campaign_member(self, campaign_id: int | str, user_id: str) -> dict | None:
        """The customer's arm in a launched or measured campaign, or None when they are not in it.

        Returns
        -------
        dict: ``campaign_id`` (int), ``user_id``, ``arm`` (str; the control arm too: it must not be contacted),
        ``channel`` (str or None), ``recommended_items`` (list of item_id str, as stored at launch; empty for control).
        """
        try:
            key = (int(campaign_id), str(user_id))
        except (TypeError, ValueError):
            return None
        row = self._members.get(key)
        if row is None:
            return None
        columns = self._campaigns
        channel = columns["channel"][row]
        return {
            "campaign_id": key[0],
            "user_id": key[1],
            "arm": str(columns["arm"][row]),
            "channel": None if channel is None or pd.isna(channel) else str(channel),
            "recommended_items": _to_list(columns["recommended_items"][row]),
        }


def _read(folder: Path, file: str, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_parquet(folder / file)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"snapshot file {folder / file} lacks the columns {missing}")
    return frame


def _object_array(series: pd.Series) -> np.ndarray:
    return np.asarray(series.astype(object).to_numpy(), dtype=object)


def load(folder: str | Path) -> Snapshot:
    """Load one snapshot folder (all of :data:`retention.serve.SNAPSHOT_FILES`) into a :class:`Snapshot`."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise NoSnapshotError(f"snapshot folder {folder} has no {MANIFEST}")
    manifest = json.loads((folder / MANIFEST).read_text())

    recs = _read(folder, RECOMMENDATIONS, RECOMMENDATION_COLUMNS)
    recs = recs.assign(user_id=recs["user_id"].astype(str)).sort_values(["user_id", "rank"], kind="stable")
    cold = _read(folder, COLD_START, COLD_START_COLUMNS).sort_values("rank")
    cold_start = tuple(
        {"rank": int(r), "item_id": str(i), "title": str(t), "score": None}
        for r, i, t in zip(cold["rank"], cold["item_id"], cold["title"], strict=True)
    )

    risk = _read(folder, RISK, RISK_COLUMNS)
    risk_users = risk["user_id"].astype(str).tolist()
    risk_columns = {c: _object_array(risk[c]) for c in RISK_COLUMNS if c != "user_id"}
    if pd.api.types.is_datetime64_any_dtype(risk["as_of"]):
        risk_columns["as_of"] = _object_array(risk["as_of"].map(pd.Timestamp.isoformat))

    campaigns = _read(folder, CAMPAIGNS, CAMPAIGN_COLUMNS)
    member_keys = zip(
        campaigns["campaign_id"].astype(int).tolist(), campaigns["user_id"].astype(str).tolist(), strict=True
    )

    return Snapshot(
        name=folder.name,
        manifest=manifest,
        _rec_rows=_row_ranges(_object_array(recs["user_id"])),
        _rec_rank=recs["rank"].to_numpy(dtype=np.int64),
        _rec_item=_object_array(recs["item_id"].astype(str)),
        _rec_title=_object_array(recs["title"].fillna("").astype(str)),
        _rec_score=recs["score"].to_numpy(dtype=np.float64),
        _cold_start=cold_start,
        _risk_rows={user: row for row, user in enumerate(risk_users)},
        _risk=risk_columns,
        _members={key: row for row, key in enumerate(member_keys)},
        _campaigns={c: _object_array(campaigns[c]) for c in ("arm", "channel", "recommended_items")},
    )


def current_name(serving_folder: str | Path) -> str | None:
    """The name in ``CURRENT`` (the serving snapshot folder), or None when nothing was published yet."""
    try:
        name = (Path(serving_folder) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def current(serving_folder: str | Path) -> Snapshot:
    """Load the snapshot that ``CURRENT`` names; :class:`NoSnapshotError` when there is none."""
    name = current_name(serving_folder)
    if name is None:
        raise NoSnapshotError(f"nothing is published in {serving_folder}: promote a recommender run first")
    return load(Path(serving_folder) / name)


class SnapshotWatcher:
    """The serving snapshot, swapped whole when ``CURRENT`` names a new one.

    ``get()`` reads ``CURRENT`` at most once per ``interval`` seconds. When it names a new folder, that folder is
    loaded on a background thread while requests keep getting the old snapshot; once loaded, one assignment swaps
    the reference. Only the first ``get()`` loads in the caller's thread. A snapshot that fails to load is logged
    and the old one keeps serving until ``CURRENT`` names another.
    """

    def __init__(self, serving_folder: str | Path, *, interval: float = 1.0) -> None:
        self.folder = Path(serving_folder)
        self.interval = interval
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._failed: str | None = None  # a snapshot that did not load: tried again only once CURRENT names another

    def get(self) -> Snapshot:
        """The snapshot to answer from; :class:`NoSnapshotError` while nothing was ever published."""
        snapshot = self._snapshot
        if snapshot is None:
            return self._load_first()
        now = time.monotonic()
        if now - self._checked_at >= self.interval:
            self._checked_at = now
            name = current_name(self.folder)
            if name is not None and name not in (snapshot.name, self._failed):
                self._start_loading(name)
        return snapshot

    def wait_loaded(self, timeout: float = 30.0) -> None:
        """Block until a background load in progress ends (for tests and graceful starts)."""
        thread = self._loading
        if thread is not None:
            thread.join(timeout)

    def _load_first(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = current(self.folder)
                self._checked_at = time.monotonic()
            return self._snapshot

    def _start_loading(self, name: str) -> None:
        with self._lock:
            if self._loading is not None and self._loading.is_alive():
                return
            self._loading = threading.Thread(target=self._swap_to, args=(name,), daemon=True, name="snapshot-load")
            self._loading.start()

    def _swap_to(self, name: str) -> None:
        try:
            self._snapshot = load(self.folder / name)
        except Exception:  # noqa: BLE001 - a broken snapshot must not stop the service; the old one keeps serving
            self._failed = name
            log.warning("could not load snapshot %s; still serving %s", name, self._snapshot.name, exc_info=True)
