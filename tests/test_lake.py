"""The lake: ``python -m retention lake export`` writes the warehouse's tables as Parquet that reads back equal,
and a lake (written by us or by hand) loads into a DuckDB warehouse whose rollup equals the original's."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retention import rollups, warehouse
from retention.cli import main
from retention.engines import lake
from retention.errors import DataError

ROLLUP_TABLES = rollups.TABLES
# What each warehouse column type is in the lake's Parquet.
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
}


@pytest.fixture(scope="module")
def exported(sample_db, tmp_path_factory) -> tuple[Path, str]:
    """The sample warehouse exported through the command line: the lake folder and what the command printed."""
    folder = tmp_path_factory.mktemp("exported") / "lake"
    printed = io.StringIO()  # capsys is per test: this module-scoped export reads its stderr itself
    with contextlib.redirect_stderr(printed):
        assert main(["lake", "export", "--db", sample_db, "--to", str(folder)]) == 0
    return folder, printed.getvalue()


def _warehouse_table(con, table: str) -> pa.Table:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        return warehouse.execute(con, "lake_table", names={"table": table}).to_arrow_table()


def test_export_writes_every_table_equal_to_the_warehouse(exported, sample_db):
    folder, printed = exported
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [f"{table}.parquet" for table in lake.LAKE_TABLES] + [lake.MANIFEST]
    ), "only the tables and the manifest: no temporary file is left"
    schema = lake.warehouse_schema()
    with warehouse.session(sample_db) as con:
        for table in lake.LAKE_TABLES:
            written = pq.read_table(folder / f"{table}.parquet")
            original = _warehouse_table(con, table)
            assert written.column_names == list(schema[table]), table
            assert [written.schema.field(name).type for name in schema[table]] == [
                ARROW_TYPES.get(kind, pa.decimal128(18, 2) if kind.startswith("DECIMAL") else None)
                for kind in schema[table].values()
            ], table
            assert written.num_rows == original.num_rows == warehouse.row_count(con, table), table
            assert written.equals(original), f"{table}'s values differ from the warehouse's"
        orders = pq.read_table(folder / "orders.parquet")
        assert orders.num_rows > 1000, "the sample's orders are all there"
        version = warehouse.schema_version(con)
        rows = {table: warehouse.row_count(con, table) for table in lake.LAKE_TABLES}
    manifest = json.loads((folder / lake.MANIFEST).read_text())
    assert manifest["format"] == lake.LAKE_FORMAT
    assert manifest["schema_version"] == version == warehouse.latest_schema_version()
    assert {table: entry["rows"] for table, entry in manifest["tables"].items()} == rows
    assert manifest["tables"]["orders"]["columns"] == schema["orders"]
    lines = printed.strip().splitlines()
    assert lines[: len(lake.LAKE_TABLES)] == [f"{table}: {rows[table]:,} rows" for table in lake.LAKE_TABLES]
    assert lines[-1] == f"wrote {len(rows)} tables ({sum(rows.values()):,} rows) to {folder}"


def test_export_refuses_a_file_as_the_lake_folder(sample_db, tmp_path, capsys):
    target = tmp_path / "lake"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as stopped:
        main(["lake", "export", "--db", sample_db, "--to", str(target)])
    assert stopped.value.code == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    with pytest.raises(DataError, match="is a file, not a folder"):
        lake.export(sample_db, target)
    assert target.read_text() == "not a folder"
    assert main(["lake", "export", "--db", str(tmp_path / "mistyped.duckdb"), "--to", str(tmp_path / "new")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "new").exists(), "no folder is made for a warehouse that does not exist"


def test_a_lake_without_a_required_column_names_the_table_and_column(exported, tmp_path):
    folder, _ = exported
    orders = pq.read_table(folder / "orders.parquet").drop_columns(["ts"])
    pq.write_table(orders, tmp_path / "orders.parquet")
    with pytest.raises(DataError, match=r"the lake's orders table lacks the column\(s\) ts"):
        lake.duckdb_warehouse(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        lake.duckdb_warehouse(tmp_path / "missing")


def test_a_hand_written_lake_of_parts_reads_with_optional_columns_as_null(exported, tmp_path):
    folder, _ = exported
    orders = pq.read_table(folder / "orders.parquet").select(["order_id", "user_id", "ts", "item_id"])
    (tmp_path / "orders").mkdir()
    half = orders.num_rows // 2
    pq.write_table(orders.slice(0, half), tmp_path / "orders" / "part-0.parquet")
    pq.write_table(orders.slice(half), tmp_path / "orders" / "part-1.parquet")
    con = lake.duckdb_warehouse(tmp_path)
    try:
        loaded = warehouse.row_count(con, "orders")
        users = warehouse.row_count(con, "rollup_users")
    finally:
        con.close()
    assert loaded == orders.num_rows
    assert users == len(set(orders.column("user_id").to_pylist()))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_the_lake_in_duckdb_has_the_original_rollup(exported, sample_db):
    folder, _ = exported
    con = lake.duckdb_warehouse(folder)
    try:
        rebuilt = {table: con.table(table).df() for table in (*ROLLUP_TABLES, "rollup_state")}
    finally:
        con.close()
    with warehouse.session(sample_db) as original:
        for table in ROLLUP_TABLES:
            pd.testing.assert_frame_equal(_sorted(rebuilt[table]), _sorted(original.table(table).df()), obj=table)
        as_of = original.table("rollup_state").df()["as_of"]
    assert rebuilt["rollup_state"]["as_of"].tolist() == as_of.tolist()
    assert len(rebuilt["rollup_cohort_cells"]) > 100


def test_cohorts_on_the_lake_in_duckdb_writes_the_warehouses_csv(exported, sample_db, tmp_path):
    folder, _ = exported
    # Retention: byte for byte. Money summed in another order may differ in its last bit, which a CSV writes.
    options = ["--period", "month", "--by", "rfm_segment"]
    assert main(["cohorts", "--db", sample_db, *options, "--out", str(tmp_path / "warehouse.csv")]) == 0
    assert main(["cohorts", "--lake", str(folder), *options, "--out", str(tmp_path / "lake.csv")]) == 0
    written = (tmp_path / "lake.csv").read_bytes()
    assert written == (tmp_path / "warehouse.csv").read_bytes()
    assert written.count(b"\n") > 100


def test_runs_on_an_unchanged_lake_count_as_trained_on_the_warehouse_it_came_from(exported, sample_db, tmp_path):
    from retention.recommend import choice

    folder, _ = exported
    with warehouse.session(sample_db) as con:
        assert choice.lake_feedback_version(folder) == choice.feedback_version(con)
    changed = tmp_path / "changed"
    shutil.copytree(folder, changed)
    orders = pq.read_table(changed / "orders.parquet")
    pq.write_table(orders.slice(1), changed / "orders.parquet")  # one order line fewer: other feedback
    version = choice.lake_feedback_version(changed)
    assert version.startswith("lake-") and version != choice.lake_feedback_version(folder)
