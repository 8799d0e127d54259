"""The SQL explorer's library: every kind of statement or function that could write or reach outside the warehouse is
refused with its reason (hidden in comments, CTEs, subqueries, several statements, mixed case), queries run with
their results checked against independent computations, the row cap, the timeout, the sandboxed connection, and a
warehouse file that is byte-for-byte the same after every attempt."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from retention import schema, sql_explorer, warehouse
from retention.errors import DataError, WarehouseBusy


@pytest.fixture(scope="module")
def explorer_db(sample_db, tmp_path_factory) -> str:
    """A copy of the sample warehouse that only this module's queries touch."""
    path = tmp_path_factory.mktemp("explorer") / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    return str(path)


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def unchanged(explorer_db):
    """Every test ends with the warehouse file byte-for-byte as it began, and no write-ahead log beside it."""
    before = _sha256(explorer_db)
    yield
    assert _sha256(explorer_db) == before
    assert not Path(explorer_db + ".wal").exists()


def _silent(message: str) -> nullcontext:
    return nullcontext()


def _open_and_close(opening: AbstractContextManager) -> None:
    with opening:
        pass


def _refused(path: str, sql: str) -> str:
    """The reason both the check and a run give for refusing ``sql`` (the same one)."""
    with pytest.raises(DataError) as checked:
        sql_explorer.check_query(sql)
    with pytest.raises(DataError) as ran:
        sql_explorer.run_query(path, sql)
    assert str(ran.value) == str(checked.value)
    return str(checked.value)


WRITES = [
    ("INSERT INTO orders SELECT * FROM orders", "an INSERT writes"),
    ("UPDATE orders SET quantity = 0", "an UPDATE writes"),
    ("DELETE FROM orders", "a DELETE writes"),
    ("DROP TABLE orders", "a DROP deletes"),
    ("CREATE TABLE copy AS SELECT * FROM orders", "a CREATE writes"),
    ("CREATE MACRO twice(x) AS x * 2", "a CREATE writes"),
    ("CREATE VIEW v AS SELECT 1", "a CREATE writes"),
    ("ALTER TABLE orders ADD COLUMN note VARCHAR", "an ALTER changes"),
    ("ATTACH '/tmp/other.duckdb' AS other", "an ATTACH opens another database"),
    ("DETACH other", "a DETACH closes"),
    ("COPY orders TO '/tmp/orders.csv'", "a COPY reads or writes files"),
    ("COPY orders FROM '/tmp/orders.csv'", "a COPY reads or writes files"),
    ("EXPORT DATABASE '/tmp/dump'", "an EXPORT writes files"),
    ("IMPORT DATABASE '/tmp/dump'", "IMPORT DATABASE"),
    ("INSTALL httpfs", "an INSTALL or LOAD adds an extension"),
    ("LOAD httpfs", "an INSTALL or LOAD adds an extension"),
    ("PRAGMA enable_profiling", "a PRAGMA"),
    ("SET threads = 1", "a SET, RESET or USE changes"),
    ("RESET threads", "a SET, RESET or USE changes"),
    ("SET VARIABLE x = 1", "a SET"),
    ("USE memory", "a SET, RESET or USE changes"),
    ("CALL pragma_version()", "a CALL or CHECKPOINT runs a procedure"),
    ("CHECKPOINT", "a CALL or CHECKPOINT runs a procedure"),
    ("FORCE CHECKPOINT", "a CALL or CHECKPOINT runs a procedure"),
    ("VACUUM", "a VACUUM or ANALYZE writes"),
    ("ANALYZE", "a VACUUM or ANALYZE writes"),
    ("BEGIN TRANSACTION", "a BEGIN, COMMIT or ROLLBACK"),
    ("COMMIT", "a BEGIN, COMMIT or ROLLBACK"),
    ("ROLLBACK", "a BEGIN, COMMIT or ROLLBACK"),
    ("PREPARE wipe AS DELETE FROM orders", "a PREPARE stores a statement"),
    ("EXECUTE wipe", "an EXECUTE runs a stored statement"),
    ("EXPLAIN ANALYZE DELETE FROM orders", "an EXPLAIN ANALYZE runs"),
    ("MERGE INTO orders USING orders AS o ON (orders.order_id = o.order_id) WHEN MATCHED THEN DELETE", "a MERGE"),
    ("PIVOT orders ON item_id USING sum(quantity)", "a PIVOT runs several statements"),
    ("UPDATE EXTENSIONS", "this statement is not one"),
]


@pytest.mark.parametrize(("sql", "reason"), WRITES)
def test_every_statement_that_is_not_a_query_is_refused_with_its_reason(explorer_db, sql, reason):
    message = _refused(explorer_db, sql)
    assert message.startswith("only a query (SELECT, WITH, VALUES, TABLE, DESCRIBE, SUMMARIZE or SHOW) can run here")
    assert reason in message


OUTSIDE = [
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() reads files"),
    ("SELECT * FROM read_csv_auto('orders.csv')", "read_csv_auto() reads files"),
    ("SELECT * FROM read_parquet('orders.parquet')", "read_parquet() reads files"),
    ("SELECT * FROM parquet_scan('orders.parquet')", "parquet_scan() reads files"),
    ("SELECT * FROM read_json('x.json')", "read_json() reads files"),
    ("SELECT * FROM read_json_auto('x.json')", "read_json_auto() reads files"),
    ("SELECT * FROM read_ndjson('x.json')", "read_ndjson() reads files"),
    ("SELECT * FROM read_text('/etc/hostname')", "read_text() reads files"),
    ("SELECT * FROM read_blob('/etc/hostname')", "read_blob() reads files"),
    ("SELECT * FROM read_duckdb('/tmp/other.duckdb')", "read_duckdb() reads files"),
    ("SELECT * FROM glob('/etc/*')", "glob() reads files"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "sniff_csv() reads files"),
    ("SELECT * FROM delta_scan('s3://bucket/table')", "delta_scan() reads files"),
    ("SELECT * FROM iceberg_scan('warehouse/table')", "iceberg_scan() reads files"),
    ("SELECT * FROM sqlite_scan('shop.db', 'orders')", "sqlite_scan() reads files"),
    ("SELECT * FROM postgres_scan('host=db', 'public', 'orders')", "postgres_scan() reads files"),
    ("SELECT * FROM 'orders.csv'", "'orders.csv' names a file or URL"),
    ('SELECT * FROM "orders.parquet"', "'orders.parquet' names a file or URL"),
    ("FROM '/etc/passwd'", "'/etc/passwd' names a file or URL"),
    ("SELECT * FROM 'https://example.com/orders.csv'", "'https://example.com/orders.csv' names a file or URL"),
    ("SELECT * FROM 'data/*.parquet'", "names a file or URL"),
    ("SELECT getenv('HOME')", "getenv() reads the server's environment"),
    ("SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')", "query() runs SQL given as text"),
    ("SELECT * FROM query_table('orders')", "query_table() reads tables named as text"),
    ("SELECT * FROM json_execute_serialized_sql('{}')", "json_execute_serialized_sql() runs SQL given as text"),
    ("SELECT nextval('any_sequence')", "nextval() advances a sequence"),
    ("SELECT setval('any_sequence', 1)", "setval() changes a sequence"),
    ("SELECT * FROM duckdb_secrets()", "the table function duckdb_secrets() is not allowed here"),
    ("SELECT * FROM enable_logging()", "the table function enable_logging() is not allowed here"),
    ("FROM checkpoint()", "the table function checkpoint() is not allowed here"),
]


@pytest.mark.parametrize(("sql", "reason"), OUTSIDE)
def test_every_function_or_table_that_reaches_outside_is_refused_with_its_reason(explorer_db, sql, reason):
    assert reason in _refused(explorer_db, sql)


HIDDEN = [
    ("/* only a harmless comment */ DROP TABLE orders", "a DROP deletes"),
    ("-- SELECT 1\nDELETE FROM orders", "a DELETE writes"),
    ("SELECT 1; DROP TABLE orders", "the text holds 2 statements"),
    ("SELECT 1; -- and then\nDELETE FROM orders", "the text holds 2 statements"),
    ("SELECT 1;SELECT 2;SELECT 3", "the text holds 3 statements"),
    ("WITH x AS (SELECT 1) DELETE FROM orders", "a DELETE writes"),
    ("WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", "read_csv() reads files"),
    ("WITH a AS (SELECT 1), b AS (SELECT * FROM a, glob('*')) SELECT * FROM b", "glob() reads files"),
    ("SELECT * FROM orders WHERE user_id IN (SELECT file FROM glob('*'))", "glob() reads files"),
    ("SELECT (SELECT count(*) FROM read_text('/etc/hostname')) AS n", "read_text() reads files"),
    ("SELECT * FROM orders, LATERAL (SELECT * FROM 'secrets.csv') AS s", "'secrets.csv' names a file"),
    ("SELECT 1 UNION ALL SELECT * FROM read_parquet('x.parquet')", "read_parquet() reads files"),
    ("SELECT * FROM orders o JOIN read_csv('users.csv') u USING (user_id)", "read_csv() reads files"),
    ("SUMMARIZE SELECT * FROM read_csv('/etc/passwd')", "read_csv() reads files"),
    ("DESCRIBE SELECT * FROM 'orders.csv'", "'orders.csv' names a file"),
    ("sElEcT * FrOm ReAd_PaRqUeT('x.parquet')", "read_parquet() reads files"),
    ("DrOp TaBlE orders", "a DROP deletes"),
    ("SELECT * FROM \"READ_CSV\"('/etc/passwd')", "read_csv() reads files"),
    ("SELECT * FROM main.read_csv('/etc/passwd')", "read_csv() reads files"),
    ("SELECT upper(getenv('USER'))", "getenv() reads the server's environment"),
    ("SELECT 'harmless' AS s /* ; */ ; DROP TABLE orders", "the text holds 2 statements"),
]


@pytest.mark.parametrize(("sql", "reason"), HIDDEN)
def test_refusals_hidden_in_comments_ctes_subqueries_and_several_statements(explorer_db, sql, reason):
    assert reason in _refused(explorer_db, sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "write a query first"),
        ("   \n\t", "write a query first"),
        ("-- nothing but a comment\n/* and another */", "the text holds only comments"),
        ("SELEC * FROM orders", "DuckDB cannot read the query (Parser Error"),
    ],
)
def test_empty_and_unreadable_text_is_refused(explorer_db, sql, reason):
    assert reason in _refused(explorer_db, sql)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 'x; DROP TABLE orders' AS s", "x; DROP TABLE orders"),
        ("SELECT 'read_csv(''/etc/passwd'')' AS s", "read_csv('/etc/passwd')"),
        ("SELECT $$; DELETE FROM orders$$ AS s", "; DELETE FROM orders"),
        ("SELECT 'orders.csv' AS s /* ; DROP TABLE orders */", "orders.csv"),
        ("SELECT 'x' AS s; -- DROP TABLE orders", "x"),
    ],
)
def test_forbidden_words_inside_strings_and_comments_are_only_text(explorer_db, sql, expected):
    result = sql_explorer.run_query(explorer_db, sql)
    assert result.frame["s"].tolist() == [expected]


def _orders(path: str) -> pd.DataFrame:
    with warehouse.session(path) as con:
        return con.execute("SELECT order_id, user_id, ts, quantity, unit_price FROM orders").df()


def test_a_query_returns_the_warehouse_rows(explorer_db):
    with warehouse.session(explorer_db) as con:
        count = warehouse.row_count(con, schema.ORDERS)
    result = sql_explorer.run_query(explorer_db, "SELECT count(*) AS n FROM orders")
    assert result.frame["n"].tolist() == [count] and count > 0
    assert not result.truncated and result.note == ""
    assert 0 <= result.seconds < 30


def test_orders_per_month_example_matches_pandas(explorer_db):
    """The example's months, orders, customers and revenue against the same definitions computed in pandas."""
    orders = _orders(explorer_db)
    orders["month"] = orders["ts"].dt.to_period("M").dt.to_timestamp()
    orders["revenue"] = orders["quantity"] * orders["unit_price"]
    expected = (
        orders.groupby("month")
        .agg(orders=("order_id", "nunique"), customers=("user_id", "nunique"), revenue=("revenue", "sum"))
        .reset_index()
    )
    example = sql_explorer.examples()["Orders per month"]
    frame = sql_explorer.run_query(explorer_db, example).frame
    assert frame["month"].tolist() == expected["month"].tolist()
    assert frame["orders"].tolist() == expected["orders"].tolist()
    assert frame["customers"].tolist() == expected["customers"].tolist()
    assert frame["revenue"].tolist() == pytest.approx(expected["revenue"].round(2).tolist(), abs=0.01)


def test_every_example_passes_the_check_and_runs(explorer_db):
    found = sql_explorer.examples()
    assert set(found) == {"Orders per month", "Top products by revenue", "Customers per country"}
    for title, sql in found.items():
        assert sql_explorer.check_query(sql) == sql
        assert len(sql_explorer.run_query(explorer_db, sql).frame) > 0, title
    top = sql_explorer.run_query(explorer_db, found["Top products by revenue"]).frame
    assert len(top) == 20 and top["revenue"].is_monotonic_decreasing
    countries = sql_explorer.run_query(explorer_db, found["Customers per country"]).frame
    with warehouse.session(explorer_db) as con:
        users = warehouse.row_count(con, schema.USERS)
    assert countries["customers"].sum() == users
    assert (countries["ordered"] <= countries["customers"]).all()


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("WITH o AS (SELECT DISTINCT user_id FROM orders) SELECT count(*) AS n FROM o", 1),
        ("VALUES (1, 'a'), (2, 'b')", 2),
        ("TABLE products", None),
        ("FROM orders LIMIT 7", 7),
        ("DESCRIBE orders", None),
        ("SUMMARIZE orders", None),
        ("SHOW TABLES", None),
        ("SELECT * FROM range(5) AS r(i), unnest([1, 2]) AS u(j)", 10),
        ("SELECT table_name FROM information_schema.tables WHERE table_name = 'orders'", 1),
        ("SELECT table_name FROM duckdb_tables() WHERE table_name = 'orders'", 1),
        ("SELECT * FROM generate_series(1, 3)", 3),
    ],
)
def test_read_only_query_kinds_run(explorer_db, sql, rows):
    frame = sql_explorer.run_query(explorer_db, sql).frame
    if rows is not None:
        assert len(frame) == rows
    else:
        assert len(frame) > 0


def test_describe_lists_the_tables_columns(explorer_db):
    frame = sql_explorer.run_query(explorer_db, "DESCRIBE orders").frame
    assert set(schema.CANONICAL_COLUMNS[schema.ORDERS]) <= set(frame["column_name"])


def test_the_cap_keeps_the_first_rows_and_says_so(explorer_db):
    result = sql_explorer.run_query(explorer_db, "SELECT i FROM range(25) AS r(i) ORDER BY i DESC", max_rows=10)
    assert result.frame["i"].tolist() == list(range(24, 14, -1))
    assert result.truncated
    assert result.note.startswith("Showing the first 10 rows: the query returns more.")


def test_a_result_of_exactly_the_cap_is_whole(explorer_db):
    result = sql_explorer.run_query(explorer_db, "SELECT * FROM range(10)", max_rows=10)
    assert len(result.frame) == 10 and not result.truncated and result.note == ""


def test_the_cap_spans_several_vectors_and_never_builds_a_huge_result(explorer_db):
    started = time.perf_counter()
    result = sql_explorer.run_query(explorer_db, "SELECT * FROM range(10_000_000_000) AS r(i)", max_rows=5_000)
    assert result.frame["i"].tolist() == list(range(5_000)) and result.truncated
    assert time.perf_counter() - started < 10


def test_an_empty_result_keeps_its_columns(explorer_db):
    result = sql_explorer.run_query(explorer_db, "SELECT order_id, ts FROM orders WHERE false")
    assert result.frame.columns.tolist() == ["order_id", "ts"] and result.frame.empty and not result.truncated


def test_a_runaway_query_is_stopped_at_the_timeout(explorer_db):
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"ran for more than 0\.3 s and was stopped"):
        sql_explorer.run_query(
            explorer_db, "SELECT count(*) FROM range(1_000_000_000) AS a, range(1_000) AS b", timeout_s=0.3
        )
    assert time.perf_counter() - started < 5
    assert sql_explorer.run_query(explorer_db, "SELECT 1 AS one").frame["one"].tolist() == [1]


def test_a_query_duckdb_cannot_run_gives_its_message(explorer_db):
    with pytest.raises(DataError, match=r"DuckDB could not run the query \(Catalog Error: .*no_such_table"):
        sql_explorer.run_query(explorer_db, "SELECT * FROM no_such_table")


@pytest.mark.parametrize(("option", "value"), [("max_rows", 0), ("timeout_s", 0)])
def test_bad_limits_are_refused(explorer_db, option, value):
    with pytest.raises(DataError, match="must be"):
        sql_explorer.run_query(explorer_db, "SELECT 1", **{option: value})


# The second line of defence: the sandboxed connection refuses on its own what the check refuses first.


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT * FROM read_csv('{csv}')", "disabled by configuration"),
        ("SELECT * FROM '{csv}'", "disabled by configuration"),
        ("COPY orders TO '{out}'", "disabled by configuration"),
        ("ATTACH '{out}.duckdb' AS other", "disabled by configuration"),
        ("SET threads = 1", "the configuration has been locked"),
        ("SET enable_external_access = true", "the configuration has been locked"),
        ("DELETE FROM orders", "read-only"),
        ("CREATE TABLE x (i INTEGER)", "read-only"),
        ("INSTALL httpfs", "disabled by configuration"),
    ],
)
def test_the_sandbox_refuses_files_settings_and_writes_by_itself(explorer_db, tmp_path, sql, error):
    csv = tmp_path / "secret.csv"
    csv.write_text("a\n1\n")
    statement = sql.format(csv=csv, out=tmp_path / "out.csv")
    with warehouse.sandbox(explorer_db) as con, pytest.raises(duckdb.Error, match=error):
        con.execute(statement)
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.csv.duckdb").exists()


def test_the_sandbox_sees_no_python_variable(explorer_db):
    hidden = pd.DataFrame({"secret": [1]})  # noqa: F841 - what DuckDB's replacement scan would find by name
    with warehouse.sandbox(explorer_db) as con, pytest.raises(duckdb.CatalogException, match="hidden"):
        con.execute("SELECT * FROM hidden")


def test_the_sandbox_and_other_sessions_of_the_process_take_turns(explorer_db):
    """DuckDB keeps one configuration per file and process: each waits for the other, within the lock wait."""
    with warehouse.session(explorer_db), pytest.raises(WarehouseBusy):
        _open_and_close(warehouse.sandbox(explorer_db, wait=0.2, waiting=_silent))
    with warehouse.sandbox(explorer_db, wait=0.2) as con:  # the ended session's lingering database is let go
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] > 0
        with pytest.raises(WarehouseBusy):
            _open_and_close(warehouse.session(explorer_db, wait=0.2, waiting=_silent))
    with warehouse.session(explorer_db, wait=0.2) as con:
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is True


def test_a_session_waiting_for_the_sandbox_opens_when_the_query_ends(explorer_db):
    opened = threading.Event()

    def read() -> None:
        with warehouse.session(explorer_db, wait=10, waiting=_silent):
            opened.set()

    with warehouse.sandbox(explorer_db):
        reader = threading.Thread(target=read)
        reader.start()
        assert not opened.wait(0.3)
    reader.join(10)
    assert opened.is_set()


def test_the_column_list_holds_every_table_and_column(explorer_db):
    with warehouse.session(explorer_db) as con:
        listed = sql_explorer.columns(con)
    assert listed.columns.tolist() == ["table", "column", "type"]
    for table, columns in schema.CANONICAL_COLUMNS.items():
        mine = listed[listed["table"] == table]
        assert set(columns) <= set(mine["column"]), table
        types = dict(zip(mine["column"], mine["type"], strict=True))
        assert all(types[column] == kind for column, kind in columns.items()), table


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT * FROM read_csv('{csv}')", "disabled by configuration"),
        ("COPY orders TO '{out}'", "disabled by configuration"),
        ("DELETE FROM orders", "read-only"),
        ("SET enable_external_access = true", "the configuration has been locked"),
    ],
)
def test_with_the_parser_check_switched_off_a_run_is_still_refused(explorer_db, tmp_path, monkeypatch, sql, error):
    """The second line of defence, through run_query itself: what the check would refuse fails on the connection."""
    csv = tmp_path / "secret.csv"
    csv.write_text("a\n1\n")
    monkeypatch.setattr(sql_explorer, "check_query", lambda text: text)
    with pytest.raises(DataError, match=f"DuckDB could not run the query .*{error}"):
        sql_explorer.run_query(explorer_db, sql.format(csv=csv, out=tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()
