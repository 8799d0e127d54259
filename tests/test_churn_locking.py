"""A scoring job holds the warehouse's write lock only for its save: another process imports while it trains.

Real processes on a real file: the scoring runs in a thread of this process (as in the app's server) and a
``python -m retention import`` subprocess writes to the same warehouse while the model trains.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from retention import churn, warehouse

WAIT = 180.0
COMPARED = ["user_id", "as_of", "model_version", "horizon_days", "risk", "value", "recency_days", "reasons"]


def _copy(sample_db: str, path: Path) -> Path:
    shutil.copy(sample_db, path)
    return path


def _saved(db: Path) -> pd.DataFrame:
    with warehouse.session(db) as con:
        return churn.latest_scores(con)[COMPARED]


def _orders_file(folder: Path, customers: int = 3) -> Path:
    """An orders CSV with one order for each of ``customers`` new customers."""
    lines = [f"late-o{i},late-u{i},late-i{i},2025-01-0{1 + i} 10:00:00,1,9.5\n" for i in range(customers)]
    path = folder / "orders-late.csv"
    path.write_text("order_id,user_id,item_id,ts,quantity,unit_price\n" + "".join(lines))
    return path


def test_an_import_lands_while_the_scoring_trains_and_the_scores_match_a_plain_run(sample_db, tmp_path):
    db, plain = _copy(sample_db, tmp_path / "shared.duckdb"), _copy(sample_db, tmp_path / "plain.duckdb")
    training, imported = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def progress(fraction: float, message: str) -> None:
        if message.startswith("Training the model on every labelled snapshot"):
            training.set()
            imported.wait(WAIT)  # keeps the scoring mid-computation until the other process has written

    def score() -> None:
        try:
            outcome["result"], outcome["version"] = churn.score_and_save(db, progress=progress)
        except BaseException as exc:  # reported by the assertions below
            outcome["error"] = exc

    thread = threading.Thread(target=score)
    thread.start()
    try:
        assert training.wait(WAIT), outcome.get("error")
        orders = _orders_file(tmp_path)
        importing = subprocess.run(
            [sys.executable, "-m", "retention", "import", "orders", str(orders), "--db", str(db)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "RETENTION_LOCK_WAIT": "5"},
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    finally:
        imported.set()
        thread.join(WAIT)
    assert "error" not in outcome, outcome.get("error")
    assert importing.returncode == 0, importing.stderr
    with warehouse.session(db) as con:
        late = con.execute("SELECT count(*) FROM orders WHERE order_id LIKE 'late-%'").fetchone()[0]
        sources = [row[0] for row in con.execute("SELECT source_name FROM import_batches").fetchall()]
    assert late == 3
    assert any(source.endswith("orders-late.csv") for source in sources), sources
    # The import landed while the model trained, so the scores are not the warehouse's state now.
    assert outcome["version"] is None

    with warehouse.connect(plain) as con:
        expected = churn.score_customers(con, save=True)
    pd.testing.assert_frame_equal(_saved(db), _saved(plain))
    assert outcome["result"].model_version == expected.model_version
    assert len(_saved(db)) == len(expected.scores)


def test_a_scoring_nobody_interrupts_returns_the_data_version_after_its_save(sample_db, tmp_path):
    db = _copy(sample_db, tmp_path / "alone.duckdb")
    with warehouse.session(db) as con:
        before = warehouse.data_version(con)
    result, version = churn.score_and_save(db, horizon_days=60)
    with warehouse.session(db) as con:
        assert version == warehouse.data_version(con) != before
        saved = churn.latest_scores(con)
    assert saved["user_id"].tolist() == result.scores["user_id"].tolist()
    assert saved["risk"].to_numpy() == pytest.approx(result.scores["risk"].to_numpy())
