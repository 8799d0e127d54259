"""benchmarks/engine_bench.py on its smallest shop: the generated lake has the shape it claims, and the cohort
table and the churn features it times come out the same on DuckDB and on Spark."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import engine_bench  # noqa: E402

from retention.engines import lake  # noqa: E402

LINES = 20_000


@pytest.fixture(scope="module")
def bench_lake(tmp_path_factory) -> Path:
    return engine_bench.generate_lake(tmp_path_factory.mktemp("engine_bench") / "lake", LINES)


def test_generated_lake_has_the_promised_shape(bench_lake):
    assert set(lake.read_manifest(bench_lake)) == {"orders", "users"}
    lines, orders, customers, first, last, returns = (
        duckdb.connect()
        .execute(
            "SELECT count(*), count(DISTINCT order_id), count(DISTINCT user_id), min(ts), max(ts), "
            f"avg((quantity < 0)::INTEGER) FROM '{bench_lake / 'orders.parquet'}'"
        )
        .fetchone()
    )
    assert lines == LINES
    assert 8 <= lines / orders <= 12
    assert 2 <= orders / customers <= 5
    assert first.year == 2023 and last.year == 2024
    assert 0.01 < returns < 0.03


def test_both_engines_give_the_same_cohort_table_and_churn_features(bench_lake, spark_session):
    for step, keys in engine_bench.STEP_KEYS.items():
        on_duckdb, duckdb_times = engine_bench.run_step("duckdb", step, bench_lake, "local[2]")
        on_spark, spark_times = engine_bench.run_step("spark", step, bench_lake, "local[2]")
        assert len(on_duckdb) > 100, step
        assert engine_bench.same_result(on_duckdb, on_spark, keys) == [], step
        assert engine_bench.checksum(on_duckdb) == pytest.approx(engine_bench.checksum(on_spark), rel=1e-12), step
        for times in (duckdb_times, spark_times):
            assert 0 < times["query_s"] <= times["seconds"], step


def test_the_table_shows_the_ratio_and_flags_engines_that_disagree():
    duckdb_row = engine_bench.Measurement(1_000_000, "duckdb", "cohorts", 2, 2.0, 0.1, 0.0, 300.0, 36, 10.0)
    spark_row = engine_bench.Measurement(1_000_000, "spark", "cohorts", 2, 50.0, 45.0, 8.0, 2000.0, 36, 10.0)
    text = engine_bench.table([duckdb_row, spark_row])
    assert f"{1_000_000 / (50.0 * 2):,.0f}" in text.splitlines()[-1]
    assert " 25.0 " in text.splitlines()[-1]
    assert engine_bench.agreement([duckdb_row, spark_row]) == {(1_000_000, "cohorts"): "yes"}
    spark_row.rows = 35
    assert engine_bench.agreement([duckdb_row, spark_row]) == {(1_000_000, "cohorts"): "NO"}
    assert engine_bench.parse_sizes("1e6,2.5e7") == [1_000_000, 25_000_000]


def test_a_measurement_runs_in_a_subprocess_and_one_past_its_limit_is_killed(bench_lake):
    import argparse

    args = argparse.Namespace(cores=2, spark_memory="1g", step_timeout=300.0)
    result = engine_bench.measure(LINES, "duckdb", "churn", bench_lake, args)
    assert result.failure is None
    in_process, _ = engine_bench.run_step("duckdb", "churn", bench_lake, "local[2]")
    assert result.rows == len(in_process)
    assert result.checksum == pytest.approx(engine_bench.checksum(in_process), rel=1e-12)
    assert result.peak_mib > 50

    exit_status, peak_mib, _, _ = engine_bench.run_child([sys.executable, "-c", "import time; time.sleep(30)"], {}, 1.0)
    assert exit_status is None and peak_mib > 0
