"""``recommenders promote``, ``demote`` and ``promotions`` on the sample warehouse."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest

from retention import warehouse
from retention.cli import ERROR_STATUS, main
from retention.recommend import evaluate, recommend_for_users, runs
from retention.serve import serving_folder
from retention.serve import snapshot as snap


@pytest.fixture
def db(scored_db, tmp_path) -> tuple[str, int]:
    """A scored warehouse with one saved popularity run; returns its path and the run's id."""
    path = tmp_path / "w.duckdb"
    shutil.copy(scored_db, path)
    with warehouse.session(path, write=True) as con:
        run_id = runs.save_run(con, evaluate.evaluate_model("popularity", evaluate.time_split(con), k=5))
    return str(path), run_id


def test_promote_demote_and_the_history(db, capsys):
    path, run_id = db
    assert main(["recommenders", "promote", str(run_id), "--k", "4", "--db", path]) == 0
    out = capsys.readouterr().out
    snapshot = snap.current(serving_folder(path))
    assert out.startswith(f"promoted run {run_id}: top-4 of {snapshot.customers:,} customers")
    with warehouse.session(path) as con:
        user = con.execute("SELECT min(user_id) FROM orders").fetchone()[0]
        expected = recommend_for_users(con, run_id, [user], k=4)["item_id"].tolist()
    assert [item["item_id"] for item in snapshot.recommendations(user, 10)[0]] == expected

    assert main(["recommenders", "demote", "--db", path]) == 0
    assert capsys.readouterr().out.startswith(f"demoted run {run_id}: every customer now gets the most popular items")
    assert snap.current(serving_folder(path)).recommendations(user, 4)[1] == "cold_start"

    assert main(["recommenders", "promotions", "--db", path]) == 0
    history = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert history[["run_id", "model", "k", "customers"]].values.tolist() == [
        [run_id, "popularity", 4, snapshot.customers]
    ]
    assert not history["serving"].iloc[0] and history["demoted_at"].notna().all()


def test_bad_requests_say_what_is_wrong(db, capsys):
    path, _ = db
    assert main(["recommenders", "demote", "--db", path]) == ERROR_STATUS
    assert "no recommender run is promoted, so there is nothing to demote" in capsys.readouterr().err
    assert main(["recommenders", "promote", "999", "--db", path]) == ERROR_STATUS
    assert "999" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["recommenders", "promote", "1", "--k", "500", "--db", path])
    assert exit_info.value.code == 2 and "from 1 to 100" in capsys.readouterr().err
    assert not serving_folder(path).exists() or not list(serving_folder(path).glob("snapshot-*"))


def test_promote_migrates_a_warehouse_of_the_previous_version_first(db, capsys):
    """The precompute reads in a read-only session, which cannot migrate: promote opens the file writable first."""
    path, run_id = db
    with warehouse.session(path, write=True) as con:
        con.execute(
            "DROP TABLE promotions; DROP SEQUENCE promotion_seq; DROP TABLE api_keys; DROP SEQUENCE api_key_seq"
        )
        con.execute("DELETE FROM schema_version WHERE version = 18")
    assert main(["recommenders", "promote", str(run_id), "--db", path]) == 0
    assert f"promoted run {run_id}" in capsys.readouterr().out
    with warehouse.session(path) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 18
        assert con.execute("SELECT run_id FROM promotions").fetchall() == [(run_id,)]
