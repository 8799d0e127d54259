"""Import rules beyond the corpus: time zones to UTC, the retry of a failed import, header synonyms on the
command line, e-mails in the rejects download, and uploads that do not pile up."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import duckdb
import pytest
from conftest import app_page

from retention import ingest, warehouse
from retention.cli import main
from retention.ui import data as ui_data

CORPUS = Path(__file__).parent / "bad_inputs"


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2024-01-05 10:00:00", "2024-01-05 10:00:00"),  # no zone: already UTC
        ("2024-01-05T10:00:00Z", "2024-01-05 10:00:00"),
        ("2024-01-05 10:00:00 UTC", "2024-01-05 10:00:00"),
        ("2024-01-05 10:00:00+02:00", "2024-01-05 08:00:00"),
        ("2024-01-05 10:00:00-0530", "2024-01-05 15:30:00"),
        ("2024-01-05 10:00:00+14:00", "2024-01-04 20:00:00"),
        ("2024-07-05 10:00:00 Europe/Paris", "2024-07-05 08:00:00"),  # a region name knows summer time
        ("2024-01-05 10:00:00 Europe/Paris", "2024-01-05 09:00:00"),
        ("\t2024-01-05 10:00:00\u00a0", "2024-01-05 10:00:00"),
        ("2024-01-05 10:00:00 CET", None),
        ("2024-01-05 10:00:00 XYZ", None),
        ("2024-01-05 10:00:00+99:00", None),
        ("2024-01-05 10:00:00+14:30", None),
        ("2024-01-05 10:00:00+01:75", None),
    ],
)
def test_time_zones_are_applied_or_refused(raw, utc):
    scratch = duckdb.connect()
    ingest.install_macros(scratch)
    value = scratch.execute("SELECT parse_ts(CAST($v AS VARCHAR), NULL)", {"v": raw}).fetchone()[0]
    assert value == (dt.datetime.fromisoformat(utc) if utc else None)


def test_ids_are_stripped_and_null_markers_are_not_ids():
    scratch = duckdb.connect()
    ingest.install_macros(scratch)
    cases = {"\tu1\u00a0": "u1", "\ufeffu2 ": "u2", " 17850.0\t": "17850", "NULL": None, "none": None, "\\N": None}
    cases |= {"N/A": None, "-": None, "NaN": None, "nil": None, "--": "--", "NULLS": "NULLS", "u-1": "u-1"}
    for raw, expected in cases.items():
        assert scratch.execute("SELECT normalize_id($v)", {"v": raw}).fetchone()[0] == expected, raw


def test_a_failed_import_with_no_row_loaded_does_not_block_the_retry(con, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,user_id,ts\na,NULL,2024-01-05\nb,u1,2100-01-01\n")
    first = ingest.import_file(con, "orders", path)
    assert (first.rows_loaded, first.rows_rejected) == (0, 2)
    again = ingest.import_file(con, "orders", path)  # not "already imported": nothing of it was loaded
    assert again.replaced_batches == (first.batch_id,)
    assert con.execute("SELECT batch_id FROM import_batches").fetchall() == [(again.batch_id,)]
    assert con.execute("SELECT DISTINCT batch_id FROM import_rejects").fetchall() == [(again.batch_id,)]
    good = tmp_path / "good.csv"
    good.write_text("order_id,user_id,ts\na,u1,2024-01-05\n")
    ingest.import_file(con, "orders", good)
    with pytest.raises(ingest.MappingError, match="already imported"):
        ingest.import_file(con, "orders", good)


def test_the_command_line_applies_the_apps_header_synonyms(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    assert main(["import", "orders", str(CORPUS / "orders_synonym_header.csv"), "--db", db]) == 0
    con = warehouse.connect(db)
    try:
        row = con.execute("SELECT order_id, user_id, item_id, ts, quantity, unit_price FROM orders").fetchone()
    finally:
        con.close()
    assert row == ("536365", "17850", "85123A", dt.datetime(2010, 12, 1, 8, 26), 6.0, 2.55)
    columns = ingest.file_columns(CORPUS / "orders_synonym_header.csv")
    guessed = {target: source for target, source in ingest.guess_mapping("orders", columns).items() if source}
    assert ingest.resolve_mapping("orders", columns) == guessed  # the app's guess, without the fuzzy matches


def test_cli_messages_name_options_and_library_messages_name_none(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    path = tmp_path / "u.csv"
    path.write_text("order_id,user_id,item_id,ts\no1,u1,i1,2024-01-05\n")
    assert main(["import", "users", str(path), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "looks like a file of orders" in err and "(--map signup_ts=COLUMN)" in err and "Data page" not in err
    con = warehouse.connect(db)
    try:
        with pytest.raises(ingest.MappingError) as refused:
            ingest.import_file(con, "users", path)
    finally:
        con.close()
    assert "--" not in str(refused.value)


def test_rejects_hide_emails_unless_asked(con, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(
        "user_id,signup_ts,email,note\nu1,2023-01-01,a@b.example,x\nu2,2100-01-01,jo.doe+x@shop.co.uk,see c@d.io\n"
    )
    result = ingest.import_file(con, "users", path)
    hidden = ingest.rejects(con, result.batch_id, include_email=False)["raw"].iloc[0]
    shown = ingest.rejects(con, result.batch_id)["raw"].iloc[0]
    assert "jo.doe+x@shop.co.uk" in shown and "c@d.io" in shown
    assert "@" not in hidden and hidden.count("(email hidden)") == 2 and '"user_id":"u2"' in hidden


def test_the_rejects_download_hides_emails_until_the_box_is_ticked(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    warehouse.connect(db).close()
    monkeypatch.setenv("RETENTION_DB", str(db))
    monkeypatch.setattr(ui_data, "UPLOAD_ROOT", tmp_path / "uploads")
    path = tmp_path / "users.csv"
    path.write_text("user_id,signup_ts,email\nu1,2023-01-01,a@b.example\nu2,2100-01-01,c@d.example\n")
    at = app_page("data.py", timeout=60).run()
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv").run()
    saved = list((tmp_path / "uploads").glob("upload_*/users.csv"))
    assert len(saved) == 1
    at.selectbox[0].select("users").run()
    at.button[0].click().run()
    assert not at.exception, [element.value for element in at.exception]
    assert not saved[0].exists()  # the import's copy is gone (a rerun that still shows the file saves it again)
    rows = ui_data.reject_rows(at.session_state["data_result"].batch_id, False)
    assert "c@d.example" not in rows["raw"].iloc[0]
    at.checkbox(key="data_rejects_email").check().run()
    assert not at.exception
    at.file_uploader[0].clear().run()
    assert not at.exception
    assert list((tmp_path / "uploads").glob("upload_*")) == []
    # The app's read sessions keep their database open for LINGER_SECONDS on a daemon timer; let it close them
    # before this process may end (a timer closing DuckDB during interpreter shutdown aborts the process).
    time.sleep(warehouse.LINGER_SECONDS * 2)


def test_stale_uploads_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(ui_data, "UPLOAD_ROOT", tmp_path)
    old, fresh = tmp_path / "upload_old", tmp_path / "upload_fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "f.csv").write_text("a\n1\n")
    day_ago = time.time() - ui_data.STALE_UPLOAD_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    assert ui_data.sweep_uploads() == 1
    assert not old.exists() and fresh.exists()
