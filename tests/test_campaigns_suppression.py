"""The suppression list: importing ids and emails from files (checked, counted, one transaction), listing,
removing, and its command line."""

from __future__ import annotations

import pandas as pd
import pytest

from retention import cli, warehouse
from retention.campaigns import suppression
from retention.errors import DataError


@pytest.fixture
def db(tmp_path) -> str:
    path = tmp_path / "warehouse.duckdb"
    warehouse.connect(path).close()
    return str(path)


@pytest.fixture
def con(db):
    connection = warehouse.connect(db)
    yield connection
    connection.close()


def _write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    return path


def _listed(con) -> pd.DataFrame:
    return con.execute("SELECT kind, value, reason, source FROM suppression_list ORDER BY kind, value").df()


def test_a_one_column_file_without_header_tells_emails_from_ids(con, tmp_path):
    path = _write(tmp_path, "stop.txt", "u1\n  Ann@Example.COM \n\nu2\nu1\nbob@shop.co.uk\n")
    result = suppression.import_file(con, path, reason="unsubscribed")
    assert (result.rows_read, result.rows_added, result.rows_known, result.rows_rejected) == (5, 4, 1, 0)
    assert result.rows_read == result.rows_added + result.rows_known + result.rows_rejected
    listed = _listed(con)
    assert listed[["kind", "value"]].values.tolist() == [
        ["email", "ann@example.com"],
        ["email", "bob@shop.co.uk"],
        ["user_id", "u1"],
        ["user_id", "u2"],
    ]
    assert set(listed["reason"]) == {"unsubscribed"} and set(listed["source"]) == {"stop.txt"}


def test_a_named_column_and_a_reason_column_are_read(con, tmp_path):
    text = "name,Email,Reason\nAnn,ann@example.com,complaint\nBob,not-an-email,\nCid,,x\nDee,dee@example.com,\n"
    result = suppression.import_file(con, _write(tmp_path, "crm.csv", text), reason="do not contact")
    assert (result.rows_read, result.rows_added, result.rows_rejected) == (4, 2, 2)
    assert result.rejects.values.tolist() == [[3, "not-an-email", "not an email address"], [4, "", "empty value"]]
    listed = _listed(con).set_index("value")
    assert listed.loc["ann@example.com", "reason"] == "complaint"  # the row's own reason wins
    assert listed.loc["dee@example.com", "reason"] == "do not contact"
    assert set(listed["kind"]) == {"email"}


def test_an_id_column_rejects_ids_with_spaces_and_keeps_the_first_entry(con, tmp_path):
    suppression.import_file(con, _write(tmp_path, "first.csv", "user_id\nu1\n"), reason="first")
    result = suppression.import_file(con, _write(tmp_path, "ids.csv", "user_id,reason\nu1,again\nu 2,\nu3,\n"))
    assert (result.rows_read, result.rows_added, result.rows_known, result.rows_rejected) == (3, 1, 1, 1)
    assert result.rejects["problem"].tolist() == ["an id with a space inside"]
    assert _listed(con).set_index("value").loc["u1", "reason"] == "first"
    assert suppression.counts(con) == {"user_id": 2, "email": 0}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("both.csv", "user_id,email\nu1,a@b.co\n", "both a user_id and an email column"),
        ("blank.csv", "\n \n", "is empty"),
        ("latin.csv", "caf\xe9@shop.fr\n".encode("latin-1"), "is not UTF-8 text"),
    ],
)
def test_a_file_it_cannot_take_is_refused_whole(con, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError, match=message):
        suppression.import_file(con, path)
    assert _listed(con).empty
    with pytest.raises(DataError, match="no file at"):
        suppression.import_file(con, tmp_path / "missing.csv")


def test_list_counts_and_remove(con, tmp_path):
    suppression.import_file(con, _write(tmp_path, "s.txt", "u1\nann@example.com\nu2\n"))
    listing = suppression.list_entries(con)
    assert list(listing.columns) == ["kind", "value", "reason", "source", "added_at"]
    assert sorted(listing["value"]) == ["ann@example.com", "u1", "u2"]
    assert suppression.counts(con) == {"user_id": 2, "email": 1}
    assert suppression.remove(con, " ANN@Example.com ") == 1
    assert suppression.remove(con, "u1") == 1
    assert suppression.counts(con) == {"user_id": 1, "email": 0}
    with pytest.raises(DataError, match="'u1' is not on the suppression list"):
        suppression.remove(con, "u1")


def test_cli_imports_lists_and_removes(db, tmp_path, capsys):
    path = _write(tmp_path, "stop.csv", "email\nAnn@Example.com\nbroken\n")
    assert cli.main(["suppression", "import", str(path), "--db", db, "--reason", "unsubscribed"]) == 0
    err = capsys.readouterr().err
    assert "added 1, 0 already listed, 1 rejected" in err
    assert "line 3: not an email address: 'broken'" in err
    out = tmp_path / "list.csv"
    assert cli.main(["suppression", "list", "--db", db, "--out", str(out)]) == 0
    listed = pd.read_csv(out)
    assert listed[["kind", "value", "reason", "source"]].values.tolist() == [
        ["email", "ann@example.com", "unsubscribed", "stop.csv"]
    ]
    capsys.readouterr()
    assert cli.main(["suppression", "list", "--db", db]) == 0
    assert "ann@example.com" in capsys.readouterr().out
    assert cli.main(["suppression", "remove", "ANN@example.com", "--db", db]) == 0
    assert "removed 1 entry" in capsys.readouterr().err
    assert cli.main(["suppression", "remove", "nobody", "--db", db]) == 2
    assert "error: 'nobody' is not on the suppression list" in capsys.readouterr().err
    assert cli.main(["suppression", "import", str(tmp_path / "missing.csv"), "--db", db]) == 2
