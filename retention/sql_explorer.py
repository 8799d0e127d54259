"""The SQL explorer: an analyst's own read-only query on the warehouse, its result capped and timed out.

A query is checked twice. First by DuckDB's own parser, before anything runs (:func:`check_query`): one
statement, of the query kind, whose parse tree names no table function but the harmless ones of
:data:`TABLE_FUNCTIONS`, no function of :data:`REFUSED_FUNCTIONS` and no table that is a file path or URL (DuckDB
reads ``FROM 'orders.csv'`` as the file). Then by the connection it runs on (:func:`run_query`): the warehouse
opened read-only as a database of its own that may not touch any other file, load an extension or change a
setting (:func:`retention.warehouse.sandbox`), so that a trick the first check missed still fails.

The result streams, and ``max_rows + 1`` rows of it are read (the rest is never computed, so a billion-row result
costs as much as its first rows); a timer interrupts the query after ``timeout_s`` seconds.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.sql_files import sql_text

MAX_ROWS = 100_000
TIMEOUT_SECONDS = 30.0

ALLOWED_KINDS = "a query (SELECT, WITH, VALUES, TABLE, DESCRIBE, SUMMARIZE or SHOW)"
_STATEMENT_REASONS = {
    "INSERT": "an INSERT writes to the warehouse",
    "UPDATE": "an UPDATE writes to the warehouse",
    "DELETE": "a DELETE writes to the warehouse",
    "MERGE_INTO": "a MERGE writes to the warehouse",
    "CREATE": "a CREATE writes to the warehouse",
    "CREATE_FUNC": "a CREATE writes to the warehouse",
    "DROP": "a DROP deletes from the warehouse",
    "ALTER": "an ALTER changes the warehouse's tables",
    "ATTACH": "an ATTACH opens another database",
    "DETACH": "a DETACH closes a database",
    "COPY": "a COPY reads or writes files",
    "COPY_DATABASE": "a COPY FROM DATABASE writes to a database",
    "EXPORT": "an EXPORT writes files",
    "PRAGMA": "a PRAGMA (or IMPORT DATABASE, COPY FROM DATABASE) changes settings or reads files",
    "LOAD": "an INSTALL or LOAD adds an extension",
    "EXTENSION": "an extension statement adds code",
    "SET": "a SET, RESET or USE changes the session's settings",
    "VARIABLE_SET": "a SET VARIABLE changes the session",
    "CALL": "a CALL or CHECKPOINT runs a procedure that may write",
    "VACUUM": "a VACUUM or ANALYZE writes to the warehouse",
    "ANALYZE": "an ANALYZE writes statistics to the warehouse",
    "TRANSACTION": "a BEGIN, COMMIT or ROLLBACK controls transactions",
    "PREPARE": "a PREPARE stores a statement",
    "EXECUTE": "an EXECUTE runs a stored statement",
    "EXPLAIN": "an EXPLAIN ANALYZE runs the statement it explains",
    "MULTI": "a PIVOT runs several statements (write it with GROUP BY and FILTER)",
}

TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "json_each",
        "json_tree",
        "duckdb_tables",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_functions",
        "duckdb_keywords",
        "pragma_table_info",
        "pragma_show",
        "pg_timezone_names",
        "icu_calendar_names",
    }
)
"""Table functions a query may call: they read nothing but their arguments or the warehouse's catalog."""

FILE_READERS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "csv_scan",
        "sniff_csv",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_text",
        "read_blob",
        "read_duckdb",
        "read_xlsx",
        "glob",
        "delta_scan",
        "iceberg_scan",
        "sqlite_scan",
        "postgres_scan",
        "mysql_scan",
    }
)
REFUSED_FUNCTIONS = {
    "getenv": "reads the server's environment",
    "query": "runs SQL given as text, which cannot be checked",
    "query_table": "reads tables named as text, which cannot be checked",
    "json_execute_serialized_sql": "runs SQL given as text, which cannot be checked",
    "nextval": "advances a sequence of the warehouse",
    "setval": "changes a sequence of the warehouse",
}
_PATH_LIKE = re.compile(r"[./\\:*?~]")
_VECTOR_ROWS = 2048  # rows in one of DuckDB's vectors: results are fetched in whole vectors


@dataclass(frozen=True)
class Result:
    """A query's result.

    Attributes
    ----------
    frame
        The rows, at most the ``max_rows`` asked for, with the query's own columns and types.
    truncated
        Whether the query returned more rows than ``frame`` holds.
    seconds
        Wall-clock time of the query, opening the warehouse excluded.
    note
        A sentence about the cap when ``truncated``, else "".
    """

    frame: pd.DataFrame
    truncated: bool
    seconds: float
    note: str = ""


def check_query(sql: str) -> str:
    """The single read-only statement of ``sql`` to run, checked by DuckDB's parser; nothing is run.

    Raises
    ------
    DataError
        Naming the reason: empty text, text DuckDB cannot parse, more than one statement, a statement that is not
        a query (an INSERT, a SET, an ATTACH ...), a function that reads files or runs text as SQL, or a table
        that is a file path or URL.
    """
    if not sql or not sql.strip():
        raise DataError("write a query first")
    with warehouse.scratch() as con:
        statement = _single_statement(con, sql)
        tree = json.loads(warehouse.query(con, "sql_explorer_parse", {"sql": statement}).iat[0, 0])
    if tree.get("error"):
        raise DataError(f"DuckDB cannot check this query ({tree.get('error_message', 'unknown error')})")
    _check_tree(tree)
    return statement


def _single_statement(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The text of the only statement of ``sql``, when it is a query."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise DataError(f"DuckDB cannot read the query ({_first_line(exc)})") from exc
    if not statements:
        raise DataError("write a query first: the text holds only comments")
    if len(statements) > 1:
        raise DataError(f"one statement at a time: the text holds {len(statements)} statements separated by ';'")
    try:
        kind = statements[0].type.name
    except ValueError as exc:  # a statement type this DuckDB client does not name (UPDATE EXTENSIONS)
        raise DataError(f"only {ALLOWED_KINDS} can run here, and this statement is not one") from exc
    if kind != "SELECT":
        reason = _STATEMENT_REASONS.get(kind, f"a {kind} statement is not a query")
        raise DataError(f"only {ALLOWED_KINDS} can run here: {reason}")
    return statements[0].query


def _check_tree(tree: object) -> None:
    """Refuse the first table function, function or table of the parse tree that could reach outside the
    warehouse or change it."""
    for node in _nodes(tree):
        if node.get("type") == "TABLE_FUNCTION":
            name = _function_name(node.get("function") or {})
            _refuse_function(name)
            if name not in TABLE_FUNCTIONS:
                raise DataError(
                    f"the table function {name}() is not allowed here; allowed: {', '.join(sorted(TABLE_FUNCTIONS))}"
                )
        elif node.get("class") == "FUNCTION":
            _refuse_function(_function_name(node))
        elif node.get("type") == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if _PATH_LIKE.search(table):
                raise DataError(
                    f"'{table}' names a file or URL, which DuckDB would read; only the warehouse's tables can be "
                    "queried"
                )


def _refuse_function(name: str) -> None:
    if name in FILE_READERS:
        raise DataError(f"{name}() reads files outside the warehouse; query the warehouse's tables")
    if name in REFUSED_FUNCTIONS:
        raise DataError(f"{name}() {REFUSED_FUNCTIONS[name]}")


def _function_name(node: dict) -> str:
    return str(node.get("function_name", "")).lower()


def _nodes(tree: object) -> Iterator[dict]:
    """Every object of the parse tree, depth first: CTEs, subqueries, joins and arguments included."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def run_query(
    path: str,
    sql: str,
    *,
    max_rows: int = MAX_ROWS,
    timeout_s: float = TIMEOUT_SECONDS,
) -> Result:
    """Run the read-only query ``sql`` on the warehouse at ``path`` (see :func:`check_query`).

    Returns
    -------
    Result
        The first ``max_rows`` rows, whether there were more, and the seconds the query took.

    Raises
    ------
    DataError
        The query was refused (the reason named), failed in DuckDB (its message), or ran past ``timeout_s``
        seconds and was stopped.
    """
    if max_rows < 1:
        raise DataError(f"the row cap must be 1 or more, not {max_rows}")
    if not timeout_s > 0:
        raise DataError(f"the timeout must be more than 0 seconds, not {timeout_s}")
    statement = check_query(sql)
    with warehouse.sandbox(path) as con:
        frame, seconds = _fetch(con.cursor(), statement, max_rows + 1, timeout_s)
    truncated = len(frame) > max_rows
    note = ""
    if truncated:
        frame = frame.iloc[:max_rows]
        note = (
            f"Showing the first {max_rows:,} rows: the query returns more. "
            "Aggregate, filter or add a LIMIT to see the rest."
        )
    return Result(frame=frame, truncated=truncated, seconds=seconds, note=note)


def _fetch(
    cursor: duckdb.DuckDBPyConnection, statement: str, limit: int, timeout_s: float
) -> tuple[pd.DataFrame, float]:
    """At most ``limit`` rows of ``statement``, and the seconds taken; a timer interrupts it past ``timeout_s``."""
    timer = threading.Timer(timeout_s, cursor.interrupt)
    timer.daemon = True
    started = time.perf_counter()
    timer.start()
    try:
        cursor.execute(statement)
        chunks = [cursor.fetch_df_chunk(-(-limit // _VECTOR_ROWS))]
        rows = len(chunks[0])
        while 0 < rows < limit and len(chunks[-1]):
            chunks.append(cursor.fetch_df_chunk(-(-(limit - rows) // _VECTOR_ROWS)))
            rows += len(chunks[-1])
    except duckdb.InterruptException as exc:
        raise DataError(
            f"the query ran for more than {timeout_s:g} s and was stopped; filter or aggregate more, or add a LIMIT"
        ) from exc
    except duckdb.Error as exc:
        raise DataError(f"DuckDB could not run the query ({_first_line(exc)})") from exc
    finally:
        timer.cancel()
        cursor.close()
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    return frame.iloc[:limit], time.perf_counter() - started


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


EXAMPLES = {
    "Orders per month": "sql_explorer_example_orders_per_month",
    "Top products by revenue": "sql_explorer_example_top_products",
    "Customers per country": "sql_explorer_example_customers_per_country",
}


def examples() -> dict[str, str]:
    """Example queries by title, as their text (from ``retention/sql/sql_explorer_example_*.sql``)."""
    return {title: sql_text(name).strip() for title, name in EXAMPLES.items()}


def columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The warehouse's tables and views with their columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``column``, ``type`` (DuckDB's type name), by table then column position.
    """
    return warehouse.query(con, "sql_explorer_columns")
