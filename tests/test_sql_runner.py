"""The one SQL runner of ``retention.warehouse``: statement slots, checked identifiers, bound parameters, and
the data version token that every cached read keys on."""

import pandas as pd
import pytest

from retention import ingest, sql_files, warehouse
from retention.errors import DataError


@pytest.fixture
def sql_dir(tmp_path, monkeypatch):
    """A private ``sql/`` folder for the runner: write ``<name>.sql`` files into the returned folder."""
    folder = tmp_path / "sql"
    folder.mkdir()
    monkeypatch.setattr(sql_files, "SQL_DIR", folder)
    sql_files.sql_text.cache_clear()
    yield folder
    sql_files.sql_text.cache_clear()


def _write(folder, **files: str) -> None:
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(text)


def _words(sql: str) -> str:
    """The statement with every run of blanks and newlines as one space (slots leave blank lines behind)."""
    return " ".join(sql.split())


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "runner.duckdb")
    yield connection
    connection.close()


# statement(): part slots and identifier slots


def test_part_slots_are_filled_recursively(sql_dir):
    _write(
        sql_dir,
        outer="WITH picked AS (\n    -- @part source\n)\nSELECT * FROM picked\n",
        orders_source="SELECT user_id FROM orders\n  -- @part filter\n",
        recent="WHERE ts > $since\n",
    )
    text = sql_files.statement("outer", parts={"source": "orders_source", "filter": "recent"})
    assert _words(text) == "WITH picked AS ( SELECT user_id FROM orders WHERE ts > $since ) SELECT * FROM picked"
    assert "@part" not in text


def test_the_same_part_file_can_fill_two_slots(sql_dir):
    _write(sql_dir, twice="-- @part a\nUNION ALL\n-- @part b\n", one="SELECT 1\n")
    assert _words(sql_files.statement("twice", parts={"a": "one", "b": "one"})) == "SELECT 1 UNION ALL SELECT 1"


def test_a_slot_left_unfilled_is_an_error_naming_it(sql_dir):
    _write(sql_dir, outer="SELECT *\n-- @part source\n", inner="FROM orders\n-- @part filter\n")
    with pytest.raises(KeyError, match="part slot 'source' that was not filled"):
        sql_files.statement("outer")
    with pytest.raises(KeyError, match="part slot 'filter' that was not filled"):
        sql_files.statement("outer", parts={"source": "inner"})


def test_a_part_slot_is_only_a_whole_comment_line(sql_dir):
    """``-- @part`` inside a line of SQL, or with more words after the slot, is a comment, not a slot."""
    text = "SELECT 1 -- @part source\n-- @part source and more\n"
    _write(sql_dir, plain=text)
    assert sql_files.statement("plain") == text


def test_an_unknown_sql_file_is_an_error(sql_dir):
    with pytest.raises(KeyError, match="no SQL file named 'missing'"):
        sql_files.statement("missing")


def test_identifier_slots_are_double_quoted(sql_dir):
    _write(sql_dir, count_by="SELECT {column}, count(*) FROM {table} GROUP BY ALL\n")
    text = sql_files.statement("count_by", names={"table": "users", "column": "country"})
    assert text == 'SELECT "country", count(*) FROM "users" GROUP BY ALL\n'


@pytest.mark.parametrize(
    "identifier",
    [
        'orders"; DROP TABLE users; --',
        "orders; DROP TABLE users",
        "country\" = 'x",
        "no_such_column",
        "Orders",
        "",
    ],
)
def test_identifiers_outside_the_schema_are_refused(sql_dir, identifier):
    _write(sql_dir, count_rows="SELECT count(*) FROM {table}\n")
    with pytest.raises(DataError, match="is not a table or column of the warehouse"):
        sql_files.statement("count_rows", names={"table": identifier})


def test_a_refused_identifier_never_reaches_the_warehouse(sql_dir, con):
    _write(sql_dir, count_rows="SELECT count(*) FROM {table}\n")
    with pytest.raises(DataError):
        warehouse.execute(con, "count_rows", names={"table": 'orders"; DROP TABLE users; --'})
    assert warehouse.execute(con, "count_rows", names={"table": "users"}).fetchone() == (0,)


# execute() and query(): parameters


def test_named_parameters_the_statement_does_not_use_are_dropped(sql_dir, con):
    _write(sql_dir, add="-- $b is mentioned in this comment only, so it is not used\nSELECT $a + 1 AS x\n")
    assert warehouse.execute(con, "add", {"a": 41, "b": 2, "unused": "x"}).fetchone() == (42,)
    assert sql_files.bound(sql_files.statement("add"), {"a": 1, "b": 2}) == {"a": 1}


def test_positional_parameters_are_passed_as_given(sql_dir, con):
    _write(sql_dir, pair="SELECT ? + ? AS total, ? AS label\n")
    assert warehouse.execute(con, "pair", [2, 3, "five"]).fetchone() == (5, "five")
    frame = warehouse.query(con, "pair", (1, 1, "two"))
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("records") == [{"total": 2, "label": "two"}]


def test_execute_returns_the_connection_with_the_result(sql_dir, con):
    _write(sql_dir, rows="SELECT * FROM range($n) AS r(i)\n")
    assert warehouse.execute(con, "rows", {"n": 3}).fetchall() == [(0,), (1,), (2,)]
    assert warehouse.query(con, "rows", {"n": 2})["i"].tolist() == [0, 1]


def test_parts_names_and_parameters_together(sql_dir, con):
    _write(
        sql_dir,
        counted="SELECT count(*) AS n FROM {table}\n-- @part filter\n",
        quantity_over="WHERE quantity > $least\n",
    )
    con.execute(
        "INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price) VALUES "
        "('o1', 'a', 'i', TIMESTAMP '2024-01-01', 1, 1.0), ('o2', 'b', 'i', TIMESTAMP '2024-01-02', 5, 1.0)"
    )
    frame = warehouse.query(
        con, "counted", {"least": 2, "other": 0}, parts={"filter": "quantity_over"}, names={"table": "orders"}
    )
    assert frame["n"].tolist() == [1]


# data_version(): one token for every kind of write


def _import_orders(con, tmp_path, name: str, order_id: str) -> None:
    path = tmp_path / name
    path.write_text(f"order_id,user_id,item_id,ts,quantity,unit_price\n{order_id},u1,i1,2024-01-05 10:00:00,1,9.5\n")
    ingest.import_file(con, "orders", path)


def test_data_version_changes_with_every_kind_of_write(con, tmp_path):
    seen = [warehouse.data_version(con)]

    def changed() -> bool:
        token = warehouse.data_version(con)
        new = token not in seen
        seen.append(token)
        return new

    assert not changed(), "reading the token must not change it"

    _import_orders(con, tmp_path, "first.csv", "o1")
    assert changed(), "an import"
    _import_orders(con, tmp_path, "second.csv", "o2")
    assert changed(), "a second import"

    con.execute(
        "INSERT INTO scores (as_of, horizon_days, model_version, user_id, risk, value, scored_at) "
        "VALUES (DATE '2024-01-05', 60, 'test', 'u1', 0.4, 19.0, TIMESTAMP '2024-02-01 12:00')"
    )
    assert changed(), "a saved score row"

    con.execute(
        "INSERT INTO model_runs (run_id, model, params, split, k, metrics, created_at) "
        "VALUES (1, 'popularity', '{}', '{}', 10, '{}', TIMESTAMP '2024-02-01 12:00')"
    )
    assert changed(), "a recommender run"

    con.execute(
        "INSERT INTO campaigns (campaign_id, name, config, status, horizon_days, created_at) "
        "VALUES (1, 'win back', '{}', 'draft', 30, TIMESTAMP '2024-02-01 12:00')"
    )
    assert changed(), "a new campaign"
    con.execute("UPDATE campaigns SET status = 'launched' WHERE campaign_id = 1")
    assert changed(), "a campaign launched"
    con.execute("UPDATE campaigns SET status = 'measured' WHERE campaign_id = 1")
    assert changed(), "a campaign measured"

    con.execute(
        "INSERT INTO campaign_results (campaign_id, arm, measured_through, results) "
        "VALUES (1, 'control', TIMESTAMP '2024-03-01', '{}')"
    )
    assert changed(), "recorded campaign results"
    assert len(set(seen)) == 9


def test_data_version_is_the_same_on_two_connections_to_one_file(tmp_path):
    path = tmp_path / "shared.duckdb"
    first = warehouse.connect(path)
    try:
        _import_orders(first, tmp_path, "one.csv", "o1")
        token = warehouse.data_version(first)
        with first.cursor() as cursor:
            assert warehouse.data_version(cursor) == token
    finally:
        first.close()
    again = warehouse.connect(path)
    try:
        assert warehouse.data_version(again) == token
    finally:
        again.close()
