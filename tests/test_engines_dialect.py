"""The DuckDB -> Spark rewrites of ``retention.engines.dialect`` on literal cases: each expression gives the
value DuckDB gives, on DuckDB itself and translated on Spark; and parameters are bound as literal nodes."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

from retention import warehouse
from retention.engines import dialect

# Each case: an expression in DuckDB's dialect and the value both engines must give, with why where it is subtle.
CASES = {
    # Month boundaries crossed, not whole months: 31 January to 1 February is one month.
    "month_boundary": ("date_diff('month', DATE '2024-01-31', DATE '2024-02-01')", 1),
    "month_backwards": ("date_diff('month', DATE '2024-03-01', DATE '2024-02-29')", -1),
    "month_across_years": ("date_diff('month', TIMESTAMP '2023-12-31 23:59', TIMESTAMP '2024-01-01 00:00')", 1),
    # Day boundaries: two minutes around midnight are one day.
    "day_boundary": ("date_diff('day', TIMESTAMP '2024-01-01 23:59', TIMESTAMP '2024-01-02 00:01')", 1),
    "day_default_unit": ("date_diff('day', DATE '2024-02-28', DATE '2024-03-01')", 2),
    # Whole weeks of seven days, whatever the weekday.
    "week_13_days": ("date_diff('week', DATE '2024-01-01', DATE '2024-01-14')", 1),
    "week_14_days": ("date_diff('week', DATE '2024-01-01', DATE '2024-01-15')", 2),
    # Second boundaries: 0.2 s across a second's edge is one second.
    "second_boundary": (
        "date_diff('second', TIMESTAMP '2024-01-01 00:00:00.900', TIMESTAMP '2024-01-01 00:00:01.100')",
        1,
    ),
    # A month after 31 January is the last day of February.
    "to_months_31_january": ("CAST(DATE '2024-01-31' + to_months(1) AS DATE)", dt.date(2024, 2, 29)),
    "to_days": ("TIMESTAMP '2024-01-01 12:00' + to_days(3)", dt.datetime(2024, 1, 4, 12)),
    "list_extract_counts_from_1": ("list_extract(['a', 'b', 'c'], 2)", "b"),
    # A decimal literal computes as DOUBLE: Spark's DECIMAL division would round to six places.
    "decimal_literal_division": ("2 / 3.0", 2 / 3),
}


@pytest.fixture(scope="module")
def duckdb_con():
    con = warehouse.scratch()
    con.execute("CREATE TABLE people AS SELECT * FROM (VALUES ('Ada', 1), ('O''Brien', 2)) AS t(name, n)")
    yield con
    con.close()


@pytest.fixture(scope="module")
def spark(spark_session):
    """A session of its own, holding the same ``people`` as a temporary view."""
    own = spark_session.newSession()
    own.createDataFrame([("Ada", 1), ("O'Brien", 2)], "name STRING, n INT").createOrReplaceTempView("people")
    yield own
    own.catalog.dropTempView("people")


def on_both(duckdb_con, spark, sql: str, params: dict | None = None) -> tuple[list[tuple], list[tuple]]:
    """The rows of ``sql`` (DuckDB dialect) on DuckDB, and translated on Spark."""
    duckdb_rows = duckdb_con.execute(sql, params or {}).fetchall()
    [tree] = dialect.spark_statements(sql, params)
    spark_rows = [tuple(row) for row in spark.sql(dialect.to_spark_sql(tree)).collect()]
    return duckdb_rows, spark_rows


def test_rewrites_give_duckdbs_values_on_both_engines(duckdb_con, spark):
    sql = "SELECT " + ", ".join(f"{expression} AS {name}" for name, (expression, _) in CASES.items())
    [duckdb_row], [spark_row] = on_both(duckdb_con, spark, sql)
    expected = [value for _, value in CASES.values()]
    for name, want, from_duckdb, from_spark in zip(CASES, expected, duckdb_row, spark_row, strict=True):
        if isinstance(want, float):
            assert from_duckdb == pytest.approx(want, abs=1e-15), name
            assert from_spark == pytest.approx(want, abs=1e-15), name
        else:
            assert (from_duckdb, from_spark) == (want, want), name


def test_whole_row_struct_query_table_and_a_bound_unit(duckdb_con, spark):
    rows = on_both(duckdb_con, spark, "SELECT r.name, r.n FROM (SELECT people AS r FROM people) AS q ORDER BY r.n")
    assert rows == ([("Ada", 1), ("O'Brien", 2)],) * 2
    rows = on_both(duckdb_con, spark, "SELECT count(*) AS n FROM query_table($table)", {"table": "people"})
    assert rows == ([(2,)],) * 2
    duckdb_rows, spark_rows = on_both(
        duckdb_con, spark, "SELECT date_trunc($grain, DATE '2024-05-17')", {"grain": "month"}
    )
    assert [row[0].date() if isinstance(row[0], dt.datetime) else row[0] for row in duckdb_rows + spark_rows] == [
        dt.date(2024, 5, 1)
    ] * 2


def test_a_parameter_is_a_literal_node_that_a_quote_cannot_break_out_of(duckdb_con, spark):
    hostile = "O'Brien'; DROP TABLE people; --"
    bound = dialect.bind(sqlglot.parse_one("SELECT n FROM people WHERE name = $name", read="duckdb"), {"name": hostile})
    literal = bound.find(exp.EQ).expression
    assert isinstance(literal, exp.Literal) and literal.is_string and literal.this == hostile
    assert not list(bound.find_all(exp.Placeholder))
    [tree] = dialect.spark_statements("SELECT n FROM people WHERE name = $name", {"name": hostile})
    assert isinstance(tree, exp.Select), "one statement: the quote did not end it"
    assert on_both(duckdb_con, spark, "SELECT n FROM people WHERE name = $name", {"name": hostile}) == ([], [])
    assert on_both(duckdb_con, spark, "SELECT $name AS name", {"name": hostile}) == ([(hostile,)], [(hostile,)])
    assert on_both(duckdb_con, spark, "SELECT count(*) FROM people WHERE name = $name", {"name": "O'Brien"}) == (
        [(1,)],
        [(1,)],
    )
    with pytest.raises(KeyError, match=r"\$name"):
        dialect.spark_statements("SELECT $name", {"other": 1})


def test_what_has_no_translation_is_refused_by_name():
    with pytest.raises(dialect.UntranslatableSQL, match="date_diff with unit 'YEAR'"):
        dialect.spark_statements("SELECT date_diff('year', DATE '2020-01-01', DATE '2024-01-01')")
