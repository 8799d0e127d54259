"""The same definitions on both engines: on the sample shop and on the Online Retail slice, the activity rollup,
cohort tables, a cell's users and growth accounting built by Spark equal those built by DuckDB from the same lake
(exact for counts, within 1e-9 for shares and money); and the command line on Spark.

Each lake gets one Spark warehouse, its rollup built once (module scope), and every case runs once per engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from retention import cohorts, rollups
from retention.cli import main
from retention.cohorts import CohortQuery
from retention.engines import lake, spark

ROOT = Path(__file__).resolve().parent.parent
ROLLUP_TABLES = rollups.TABLES
TOLERANCE = 1e-9


class Engines:
    """One lake read by DuckDB (in memory) and by Spark, each with the rollup it built itself."""

    def __init__(self, folder: str, spark_session) -> None:
        self.duckdb = lake.duckdb_warehouse(folder)
        self.spark = spark.SparkWarehouse(folder, spark_session)
        rollups.refresh(self.spark)

    def close(self) -> None:
        self.spark.close()
        self.duckdb.close()


@pytest.fixture(scope="module")
def sample_engines(sample_lake, spark_session):
    pair = Engines(sample_lake, spark_session)
    yield pair
    pair.close()


@pytest.fixture(scope="module")
def retail_engines(retail_lake, spark_session):
    pair = Engines(retail_lake, spark_session)
    yield pair
    pair.close()


@pytest.fixture(params=["sample", "retail"])
def engines(request) -> Engines:
    return request.getfixturevalue(f"{request.param}_engines")


def assert_same(duckdb_frame: pd.DataFrame, spark_frame: pd.DataFrame, name: str) -> None:
    """Equal rows in any order: every column but floats exactly, floats within :data:`TOLERANCE`; same columns
    and the same kind of values (int, float, text, time) in each."""
    assert list(spark_frame.columns) == list(duckdb_frame.columns), name
    assert len(spark_frame) == len(duckdb_frame), name
    kinds = {column: duckdb_frame[column].dtype.kind for column in duckdb_frame.columns}
    assert {column: spark_frame[column].dtype.kind for column in spark_frame.columns} == kinds, name
    times = {column: "datetime64[us]" for column, kind in kinds.items() if kind == "M"}  # Spark's are in ns
    duckdb_frame, spark_frame = duckdb_frame.astype(times), spark_frame.astype(times)
    keys = [column for column, kind in kinds.items() if kind != "f"]
    expected = duckdb_frame.sort_values(keys).reset_index(drop=True) if keys else duckdb_frame
    got = spark_frame.sort_values(keys).reset_index(drop=True) if keys else spark_frame
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=0, atol=TOLERANCE, obj=name)


def test_every_rollup_table_is_the_same_on_spark(engines):
    for table in ROLLUP_TABLES:
        on_spark = spark.SparkResult(engines.spark.spark.table(table)).df()  # DATE columns as DuckDB gives them
        assert_same(engines.duckdb.table(table).df(), on_spark, table)
    assert len(engines.duckdb.table("rollup_cohort_cells").df()) > 10, "a lake with cohorts to compare"
    assert rollups.as_of(engines.spark) == rollups.as_of(engines.duckdb)


# Representative queries: each grain, mode and cohort definition once; events only where the lake has them.
BOTH = ("sample", "retail")
COHORT_CASES = [
    (BOTH, CohortQuery(period="month")),
    (BOTH, CohortQuery(period="week", mode="unbounded", measure="revenue")),
    (BOTH, CohortQuery(period="day", mode="brackets", brackets=((1, 7), (8, 30), (31, 90)))),
    (BOTH, CohortQuery(period="month", breakdown="country")),
    (BOTH, CohortQuery(period="month", mode="unbounded", breakdown="rfm_segment", measure="revenue")),
    (("sample",), CohortQuery(period="month", cohort_by="signup", activity="any")),
    (("sample",), CohortQuery(period="week", cohort_by="first_event", activity="add_to_cart")),
]


@pytest.mark.parametrize(
    ("lake_name", "query"),
    [(name, query) for names, query in COHORT_CASES for name in names],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_cohort_tables_are_the_same_on_spark(lake_name, query, request):
    pair: Engines = request.getfixturevalue(f"{lake_name}_engines")
    expected = cohorts.cohort_table(pair.duckdb, query)
    got = cohorts.cohort_table(pair.spark, query)
    assert got.as_of == expected.as_of
    assert_same(expected.frame, got.frame, repr(query))
    assert expected.frame["active_users"].sum() > 0


def test_a_cells_users_are_the_same_on_spark(sample_engines, retail_engines):
    for pair, query in (
        (sample_engines, CohortQuery(period="week", mode="unbounded")),
        (retail_engines, CohortQuery(period="month", breakdown="country")),
    ):
        table = cohorts.cohort_table(pair.duckdb, query).frame
        # The later cell with most users retained, then most users (the slice's customers never come back).
        later = table[table["period"] >= 1].sort_values(["active_users", "cohort_users"], kind="stable")
        cell = later.iloc[-1]
        where = {"cohort": cell["cohort"], "period_index": int(cell["period"]), "segment": cell.get("segment")}
        expected = cohorts.cell_users(pair.duckdb, query, **where)
        got = cohorts.cell_users(pair.spark, query, **where)
        assert_same(expected, got, f"cell users of {query!r}")
        assert (len(got), int(got["retained"].sum())) == (cell["cohort_users"], cell["active_users"])


def test_growth_accounting_is_the_same_on_spark(sample_engines, retail_engines):
    for pair, period, activity in (
        (sample_engines, "month", "purchase"),
        (sample_engines, "week", "any"),
        (retail_engines, "week", "purchase"),
    ):
        expected = cohorts.lifecycle(pair.duckdb, period=period, activity=activity)
        got = cohorts.lifecycle(pair.spark, period=period, activity=activity)
        assert_same(expected, got, f"lifecycle {period} {activity}")
        assert expected["new"].sum() > 0


# The command line on Spark.
def test_cohorts_on_spark_writes_the_same_csv_as_on_the_warehouse(retail_db, retail_lake, spark_session, tmp_path):
    # Retention, not revenue: a sum of money added in another order may differ in its last bit (compared within
    # 1e-9 above), and a CSV writes every bit.
    options = ["--period", "week", "--mode", "unbounded", "--by", "country"]
    assert main(["cohorts", "--db", retail_db, *options, "--out", str(tmp_path / "duckdb.csv")]) == 0
    on_spark = ["cohorts", "--engine", "spark", "--lake", retail_lake, *options, "--out", str(tmp_path / "spark.csv")]
    assert main(on_spark) == 0
    written = (tmp_path / "spark.csv").read_bytes()
    assert written == (tmp_path / "duckdb.csv").read_bytes()
    assert written.count(b"\n") > 100


def _error_lines(capsys) -> list[str]:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.strip().splitlines()


def test_spark_failures_are_one_error_line(sample_lake, spark_session, tmp_path, capsys):
    assert main(["cohorts", "--engine", "spark"]) == 2
    assert _error_lines(capsys) == [
        "error: the Spark engine reads a lake: give --lake DIR (write one with `python -m retention lake export`)"
    ]
    assert main(["cohorts", "--engine", "spark", "--lake", str(tmp_path / "missing")]) == 2
    [line] = _error_lines(capsys)
    assert line.startswith("error: lake folder ") and "does not exist" in line
    # A table whose parts disagree on a column's type: found by Spark as it reads them.
    orders = pq.read_table(Path(sample_lake) / "orders.parquet")
    broken = tmp_path / "broken"
    (broken / "orders").mkdir(parents=True)
    pq.write_table(orders, broken / "orders" / "part-0.parquet")
    pq.write_table(
        orders.set_column(orders.schema.get_field_index("ts"), "ts", orders.column("ts").cast("string")),
        broken / "orders" / "part-1.parquet",
    )
    assert main(["cohorts", "--engine", "spark", "--lake", str(broken)]) == 2
    [line] = _error_lines(capsys)
    assert line.startswith("error: Spark failed: ")


def test_spark_without_java_is_one_error_line(sample_lake):
    """A fresh process (this one's Spark is already up) with JAVA_HOME pointing nowhere."""
    run = subprocess.run(
        [sys.executable, "-m", "retention", "cohorts", "--engine", "spark", "--lake", sample_lake],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "JAVA_HOME": str(ROOT / "no-java-here")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: Spark could not start its Java runtime")
    assert run.stdout == ""


def test_which_errors_are_the_engines():
    from pyspark.errors import PySparkValueError

    from retention.cli import engine_error_message
    from retention.engines.dialect import UntranslatableSQL

    assert engine_error_message(UntranslatableSQL("date_diff with unit 'YEAR' has no translation for Spark")) == (
        "this query cannot run on Spark: date_diff with unit 'YEAR' has no translation for Spark"
    )
    assert engine_error_message(PySparkValueError("bad value\nJVM stacktrace:\n  at ...")) == "Spark failed: bad value"
    assert engine_error_message(ValueError("a bug of ours")) is None, "other errors keep their traceback"
