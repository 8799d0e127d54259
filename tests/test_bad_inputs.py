"""The corpus of malformed import files (``tests/bad_inputs/``): each one gives the error or reject reason
its line of ``cases.csv`` names, and a refused file changes nothing in a warehouse that already holds data.

``cases.csv`` columns: file (in ``bad_inputs/``, or ``@folder``, ``@fifo``, ``@device``, ``@missing`` for
paths made here), table, mapping (``target=column;...``), outcome and expected:

* ``error``: the import raises a DataError whose message contains ``expected``;
* ``reject``: it loads, and every rejected row has the reason ``expected`` (``*`` at the end: a prefix, for
  ``ts after 2026-12-01 14:03``, whose bound moves with the clock);
* ``loaded``: nothing is rejected and the table's ids are ``expected`` (``|``-separated): null-like optional
  ids are missing, and white space around ids is gone;
* ``duplicates``: the batch records ``expected`` exact duplicate lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from retention import ingest, schema, warehouse
from retention.cli import main
from retention.errors import DataError

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = list(csv.DictReader((CORPUS / "cases.csv").open(encoding="utf-8")))
LOG_TABLES = ("import_batches", "import_rejects")
SEED = {
    "users": "user_id,signup_ts,country\nu1,2023-01-01,UK\ns1,2023-02-01,FR\n",
    "products": "item_id,title,price\ni1,Mug,3.5\n",
    "orders": "order_id,user_id,item_id,ts,quantity,unit_price\nS1,s1,i1,2023-03-01 10:00:00,1,3.5\n",
    "events": "user_id,ts,event_type\ns1,2023-03-01,view\n",
    "ratings": "user_id,item_id,rating\ns1,i1,5\n",
}


def snapshot(con) -> dict[str, list[tuple]]:
    """Every row of every canonical and import-log table, sorted."""
    tables = (*schema.IMPORTABLE_TABLES, *LOG_TABLES)
    return {table: sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall())) for table in tables}


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory) -> Path:
    """A warehouse holding a few rows of every table, made once; each test imports into a copy."""
    folder = tmp_path_factory.mktemp("seed")
    con = warehouse.connect(folder / "seed.duckdb")
    for table, text in SEED.items():
        path = folder / f"seed_{table}.csv"
        path.write_text(text)
        ingest.import_file(con, table, path)
    con.close()
    return folder / "seed.duckdb"


@pytest.fixture
def seeded(seed_file, tmp_path):
    shutil.copy(seed_file, tmp_path / "w.duckdb")
    con = warehouse.connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def case_path(name: str, tmp_path: Path) -> str:
    if name == "@folder":
        (tmp_path / "a_folder").mkdir()
        return str(tmp_path / "a_folder")
    if name == "@fifo":
        os.mkfifo(tmp_path / "a_fifo")
        return str(tmp_path / "a_fifo")
    if name == "@device":
        return os.devnull
    if name == "@missing":
        return str(tmp_path / "no_such_file.csv")
    return str(CORPUS / name)


def test_the_corpus_covers_every_table_and_each_file_has_a_case():
    files = {path.name for path in CORPUS.iterdir() if path.name != "cases.csv"}
    listed = {case["file"] for case in CASES if not case["file"].startswith("@")}
    assert files == listed
    assert len(files) >= 40
    assert {case["table"] for case in CASES} == set(schema.IMPORTABLE_TABLES)


@pytest.mark.parametrize("case", CASES, ids=[f"{case['table']}-{case['file']}" for case in CASES])
def test_each_bad_input_gives_its_error_or_reject_reason(seeded, tmp_path, case):
    con = seeded
    path = case_path(case["file"], tmp_path)
    mapping = dict(pair.split("=", 1) for pair in case["mapping"].split(";") if pair) or None
    before = snapshot(con)
    if case["outcome"] == "error":
        with pytest.raises(DataError) as refused:
            ingest.import_file(con, case["table"], path, mapping=mapping)
        message = str(refused.value)
        assert case["expected"] in message
        assert "--" not in message and "Data page" not in message  # neither the CLI's options nor the app's widgets
        assert snapshot(con) == before
        return
    result = ingest.import_file(con, case["table"], path, mapping=mapping)
    reasons = ingest.rejects(con, result.batch_id)["reason"].tolist()
    assert (
        result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_merged + result.duplicates_dropped
    )
    if case["outcome"] == "reject":
        assert reasons and result.rows_loaded >= 1
        expected = case["expected"]
        if expected.endswith("*"):
            assert all(reason.startswith(expected[:-1]) for reason in reasons), reasons
        else:
            assert set(reasons) == {expected}
    elif case["outcome"] == "loaded":
        key = schema.KEYED_TABLES.get(case["table"], "user_id")
        batch = result.batch_id
        stored = con.execute(f"SELECT DISTINCT {key} FROM {case['table']} WHERE batch_id = ?", [batch]).fetchall()
        assert reasons == [] and sorted(row[0] for row in stored) == case["expected"].split("|")
    else:
        assert case["outcome"] == "duplicates"
        assert reasons == [] and result.duplicates_found == int(case["expected"])


def test_the_latest_bound_is_a_day_after_the_import_starts(seeded):
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = ingest.import_file(seeded, "orders", CORPUS / "orders_ts_2100.csv")
    (reason,) = ingest.rejects(seeded, result.batch_id)["reason"]
    bound = dt.datetime.strptime(reason.removeprefix("ts after "), "%Y-%m-%d %H:%M")
    assert abs(bound - (started + dt.timedelta(days=1))) < dt.timedelta(minutes=2)


def test_the_window_is_configurable(seeded, tmp_path, monkeypatch, capsys):
    path = tmp_path / "o.csv"
    path.write_text(
        "order_id,user_id,ts\na,u1,1999-12-31 23:00\nb,u1,2000-01-01\nc,u1,2005-06-30\nd,u1,2005-07-01 00:00:01\n"
    )
    window = ingest.time_window("2000-01-01", "2005-07-01")
    result = ingest.import_file(seeded, "orders", path, ts_window=window)
    rejected = ingest.rejects(seeded, result.batch_id)[["row_number", "reason"]].values.tolist()
    assert rejected == [[2, "ts before 2000-01-01"], [5, "ts after 2005-07-01"]]

    monkeypatch.setenv("RETENTION_TS_EARLIEST", "2000-01-01")
    monkeypatch.setenv("RETENTION_TS_LATEST", "2005-07-02")
    assert ingest.time_window() == ingest.TimeWindow(dt.datetime(2000, 1, 1), dt.datetime(2005, 7, 2))
    db = str(tmp_path / "cli.duckdb")
    assert main(["import", "orders", str(path), "--db", db, "--ts-latest", "2005-06-30 12:00"]) == 0
    out = capsys.readouterr().out
    assert "ts before 2000-01-01" in out and "ts after 2005-06-30 12:00" in out  # the environment, then the option
    con = warehouse.connect(db)  # not a read session, whose lingering keeper could outlive the test process
    try:
        assert con.execute("SELECT order_id FROM orders ORDER BY 1").fetchall() == [("b",), ("c",)]
    finally:
        con.close()

    with pytest.raises(DataError, match="must come before"):
        ingest.time_window("2005-01-01", "2000-01-01")
    monkeypatch.setenv("RETENTION_TS_EARLIEST", "soon")
    with pytest.raises(DataError, match="RETENTION_TS_EARLIEST 'soon' is not a date"):
        ingest.time_window()
