"""Hand-written serving snapshots for the service's tests (no tests here): parquet files written directly, so the
expected answers are known without a model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from retention.serve import CURRENT

COLD_START = [("P1", "Popular one"), ("P2", "Popular two"), ("P3", "Popular three")]


def item_list(version: str, user: str, k: int) -> list[str]:
    """The items a snapshot of ``version`` recommends to ``user``: every id names its version and customer."""
    return [f"{version}-{user}-{rank}" for rank in range(1, k + 1)]


def write_snapshot(
    serving: Path,
    name: str,
    users: list[str],
    *,
    k: int = 10,
    run_id: int = 1,
    risk_users: list[str] | None = None,
    members: list[tuple[int, str, str, str | None, list[str]]] = (),
    publish: bool = True,
) -> Path:
    """Write the snapshot folder ``serving/name`` for ``users`` (scores k, k-1, ..., 1) and, with ``publish``,
    point ``CURRENT`` at it (written under a temporary name, then renamed, as the publisher does)."""
    folder = serving / name
    folder.mkdir(parents=True)
    rows = [
        {"user_id": user, "rank": rank, "item_id": item, "title": f"Title {item}", "score": float(k - rank + 1)}
        for user in users
        for rank, item in enumerate(item_list(name, user, k), start=1)
    ]
    pd.DataFrame(rows).to_parquet(folder / "recommendations.parquet", index=False)
    cold = [{"rank": rank, "item_id": item, "title": title} for rank, (item, title) in enumerate(COLD_START, 1)]
    pd.DataFrame(cold).to_parquet(folder / "cold_start.parquet", index=False)
    risk = [
        {
            "user_id": user,
            "as_of": pd.Timestamp("2026-11-01"),
            "horizon_days": 60,
            "model_version": "churn-v3",
            "risk": 0.25 + index / 100,
            "value": 100.0 + index,
            "reasons": ["long gap since the last order", "fewer orders than usual"],
        }
        for index, user in enumerate(risk_users if risk_users is not None else users)
    ]
    pd.DataFrame(
        risk, columns=["user_id", "as_of", "horizon_days", "model_version", "risk", "value", "reasons"]
    ).to_parquet(folder / "risk.parquet", index=False)
    campaigns = pd.DataFrame(
        list(members), columns=["campaign_id", "user_id", "arm", "channel", "recommended_items"]
    ).astype({"campaign_id": "int64"})
    campaigns.to_parquet(folder / "campaigns.parquet", index=False)
    manifest = {
        "run_id": run_id,
        "model": "item_knn",
        "k": k,
        "promoted_at": "2026-11-30T09:00:00",
        "scores_as_of": "2026-11-01T00:00:00",
        "data_as_of": "2026-10-31T18:00:00",
        "created_at": "2026-11-30T09:00:00",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if publish:
        point_current(serving, name)
    return folder


def point_current(serving: Path, name: str) -> None:
    temporary = serving / f".{CURRENT}.tmp"
    temporary.write_text(name + "\n")
    os.replace(temporary, serving / CURRENT)
