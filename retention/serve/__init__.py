"""Serving results to the shop's own systems: an HTTP API over snapshots, never over the warehouse.

The service (``python -m retention serve``) must run beside the app and the scheduled refresh, so it never opens the
warehouse: DuckDB lets no other process write a file that one process holds open, even read-only. Everything it
answers comes from the **serving folder** beside the warehouse (:func:`serving_folder`, ``<warehouse>.serving/``),
written by the commands that change what is served, each file written whole under a temporary name and then renamed
into place (``os.replace``), so a reader sees the old file or the new one, never half of one:

- ``CURRENT``: the name of the snapshot folder that serves (one line). Publishing a snapshot writes its folder
  completely, then replaces ``CURRENT``; the service notices the new name and swaps all its tables at once, so no
  request sees half of the old snapshot and half of the new.
- ``<snapshot>/`` (:data:`SNAPSHOT_FILES`): ``recommendations.parquet`` (``user_id``, ``rank`` 1..k, ``item_id``,
  ``title``, ``score``: the promoted run's top-k of every customer it knows), ``cold_start.parquet`` (``rank``,
  ``item_id``, ``title``: the list for customers it does not know), ``risk.parquet`` (the latest churn scoring:
  ``user_id``, ``as_of``, ``horizon_days``, ``model_version``, ``risk``, ``value``, ``reasons``),
  ``campaigns.parquet`` (``campaign_id``, ``user_id``, ``arm``, ``channel``, ``recommended_items`` as stored at
  launch, control included), ``manifest.json`` (``run_id``, ``model``, ``k``, ``promoted_at``, ``scores_as_of``,
  ``data_as_of``: the newest order, ``created_at``).
- ``keys.json``: the API keys' records without the keys (``key_id``, ``name``, ``prefix``, ``key_hash``, ``salt``,
  ``revoked``), rewritten by ``api-key create|revoke``; the service reads it again when it changes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

CURRENT = "CURRENT"
KEYS = "keys.json"
SNAPSHOT_FILES = (
    "recommendations.parquet",
    "cold_start.parquet",
    "risk.parquet",
    "campaigns.parquet",
    "manifest.json",
)


def serving_folder(db_path: str | Path) -> Path:
    """The serving folder of the warehouse at ``db_path``: ``<db_path>.serving`` beside it (not created here)."""
    path = Path(db_path)
    return path.with_name(path.name + ".serving")


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole: into a hidden temporary file beside it (``.<name>.<pid>.<thread>.tmp``,
    which the serving folder's and the refresh inbox's readers skip), flushed to disk, then renamed over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path
