"""Helpers shared by the campaign tests (no tests here): warehouses with known churn scores.

Scores are written straight into the ``scores`` table with a known risk, so the
campaign tests do not depend on a churn model: risk = min(0.95, 0.05 +
recency_days / 400), as of the day after the latest order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from retention import warehouse

SCORE_SQL = """
INSERT INTO scores
SELECT
    as_of, 60, $model_version, user_id,
    least(0.95, 0.05 + date_diff('day', last_ts, as_of) / 400.0) AS risk,
    revenue, date_diff('day', last_ts, as_of), $reasons, TIMESTAMP '2026-07-01 00:00:00'
FROM (
    SELECT user_id, max(ts) AS last_ts, sum(quantity * unit_price) AS revenue,
           (SELECT max(ts)::DATE + 1 FROM orders) AS as_of
    FROM orders GROUP BY user_id
)
"""


def add_scores(
    con: duckdb.DuckDBPyConnection, *, model_version: str = "test-v1", reasons: str = "long gap since the last order"
) -> None:
    """Score every customer of the warehouse with the known risk above."""
    con.execute(SCORE_SQL, {"model_version": model_version, "reasons": reasons})


def scored_copy(source: str, folder: Path, name: str = "scored.duckdb") -> str:
    """A copy of the warehouse ``source`` in ``folder`` with scores added; returns its path."""
    path = folder / name
    shutil.copy(source, path)
    con = warehouse.connect(path)
    try:
        add_scores(con)
    finally:
        con.close()
    return str(path)


def basic_config(**overrides) -> dict:
    """A two-arm campaign config in its JSON form."""
    config = {
        "name": "Win back",
        "horizon_days": 30,
        "holdout_share": 0.2,
        "audience": {"min_risk": 0.1},
        "arms": [
            {"name": "discount", "template": "discount_email", "uplift": {"low": 0.02, "likely": 0.05, "high": 0.1}},
            {"name": "recs", "template": "recommendations_email", "uplift": [0.0, 0.03, 0.06]},
        ],
        "targeting": {"strategy": "everyone"},
        "simulation": {"draws": 2000, "seed": 0},
    }
    config.update(overrides)
    return config
