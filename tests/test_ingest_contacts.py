"""Importing customers' contact fields: first name, phone and SMS consent (yes/no text), from users or order files."""

from __future__ import annotations

from pathlib import Path

import pytest

from retention import ingest, warehouse


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_users_file_with_contact_fields_is_mapped_by_its_headers_and_consent_parsed(con, tmp_path):
    text = (
        "Customer ID,First Name,Phone Number,SMS Consent,Email\n"
        "u1,Ann,+44 7700 900001,yes,ann@x.org\n"
        "u2,Bob,+44 7700 900002, No ,bob@x.org\n"
        "u3,Cy,+44 7700 900003,1,\n"
        "u4,Di,,0,\n"
        "u5,Ed,+44 7700 900005,TRUE,\n"
        "u6,Flo,+44 7700 900006,false,\n"
        "u7,Gus,+44 7700 900007,,\n"
        "u8,Hal,+44 7700 900008,maybe,\n"
    )
    path = write(tmp_path, "customers.csv", text)
    mapping = ingest.guess_mapping("users", ingest.file_columns(path))
    assert (mapping["first_name"], mapping["phone"], mapping["sms_consent"]) == (
        "First Name",
        "Phone Number",
        "SMS Consent",
    )
    result = ingest.import_file(con, "users", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 7, 1)
    reasons = ingest.rejects(con, result.batch_id)[["row_number", "reason"]].values.tolist()
    assert reasons == [[9, "sms_consent is not true/false, yes/no or 1/0"]]
    rows = con.execute("SELECT user_id, first_name, phone, sms_consent FROM users ORDER BY user_id").fetchall()
    assert rows == [
        ("u1", "Ann", "+44 7700 900001", True),
        ("u2", "Bob", "+44 7700 900002", False),
        ("u3", "Cy", "+44 7700 900003", True),
        ("u4", "Di", None, False),
        ("u5", "Ed", "+44 7700 900005", True),
        ("u6", "Flo", "+44 7700 900006", False),
        ("u7", "Gus", "+44 7700 900007", None),  # unknown consent: no SMS
    ]


def test_a_file_without_consent_keeps_the_consent_already_imported(con, tmp_path):
    ingest.import_file(con, "users", write(tmp_path, "a.csv", "user_id,phone,sms_consent\nu1,+1 555 0101,yes\n"))
    ingest.import_file(con, "users", write(tmp_path, "b.csv", "user_id,phone\nu1,+1 555 0199\n"))
    assert con.execute("SELECT phone, sms_consent FROM users").fetchall() == [("+1 555 0199", True)]


def test_order_lines_carrying_contact_fields_fill_users_newest_line_first(con, tmp_path):
    text = (
        "order_id,user_id,item_id,ts,first_name,mobile,sms_opt_in\n"
        "o1,u1,A,2024-01-01,Ann,+44 1,yes\n"
        "o2,u1,B,2024-03-01,,+44 2,no\n"
        "o3,u2,B,2024-02-01,Bob,,\n"
        "o4,u3,B,2024-02-01,Cy,+44 3,often\n"
    )
    path = write(tmp_path, "orders.csv", text)
    mapping = ingest.guess_mapping("orders", ingest.file_columns(path))
    assert (mapping["first_name"], mapping["phone"], mapping["sms_consent"]) == ("first_name", "mobile", "sms_opt_in")
    result = ingest.import_file(con, "orders", path, mapping={k: v for k, v in mapping.items() if v})
    assert [tuple(row) for row in ingest.rejects(con, result.batch_id)[["row_number", "reason"]].values] == [
        (5, "sms_consent is not true/false, yes/no or 1/0")
    ]
    rows = con.execute("SELECT user_id, first_name, phone, sms_consent FROM users ORDER BY user_id").fetchall()
    # u1: the newest line's phone and consent, the name from the newest line that has one.
    assert rows == [("u1", "Ann", "+44 2", False), ("u2", "Bob", None, None)]
