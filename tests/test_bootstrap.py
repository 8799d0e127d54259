"""Which warehouse gets the sample shop: only the default path builds it; any other new path starts empty."""

from __future__ import annotations

import hashlib
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from retention import bootstrap, sample, sample_shop, schema, warehouse
from retention.cli import main
from retention.errors import DataError
from retention.ui import common


def _counts(path) -> dict[str, int]:
    con = warehouse.connect(path, read_only=True)
    try:
        return {table: warehouse.row_count(con, table) for table in (*schema.CANONICAL_COLUMNS, "import_batches")}
    finally:
        con.close()


def _committed_counts() -> dict[str, int]:
    counts = {table: len(frame) for table, frame in sample.read_parquet(sample.SAMPLE_DIR).items()}
    return {**counts, "import_batches": len(counts)}


EMPTY = dict.fromkeys((*schema.CANONICAL_COLUMNS, "import_batches"), 0)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """A working directory of its own, so that the default ``data/warehouse.duckdb`` is a new file in it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(warehouse.DB_ENV_VAR, raising=False)
    return tmp_path


def test_only_the_default_path_is_default(in_tmp):
    assert bootstrap.is_default_path(warehouse.DEFAULT_DB)
    assert bootstrap.is_default_path(in_tmp / "data" / "warehouse.duckdb")
    assert bootstrap.is_default_path("./data/../data/warehouse.duckdb")
    assert not bootstrap.is_default_path("data/other.duckdb")
    assert not bootstrap.is_default_path(in_tmp / "warehouse.duckdb")


def test_the_default_path_builds_the_sample_once(in_tmp):
    path = bootstrap.ensure_default_warehouse()
    assert path == warehouse.DEFAULT_DB and (in_tmp / path).is_file()
    assert _counts(path) == _committed_counts()
    built = path.stat().st_mtime_ns
    assert bootstrap.ensure_default_warehouse(path) == path
    assert path.stat().st_mtime_ns == built
    assert sorted(p.name for p in path.parent.iterdir()) == ["warehouse.duckdb"]  # no partial files left behind
    con = warehouse.connect(path, read_only=True)
    try:
        assert sample_shop.holds_sample(con) and sample_shop.leaves_empty(con)
    finally:
        con.close()
    with pytest.raises(DataError, match="already exists"):
        bootstrap.build_warehouse(path)


def test_the_default_path_from_two_threads_at_once(in_tmp):
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = list(pool.map(bootstrap.ensure_default_warehouse, [warehouse.DEFAULT_DB, warehouse.DEFAULT_DB]))
    assert built == [warehouse.DEFAULT_DB, warehouse.DEFAULT_DB]
    assert sorted(p.name for p in (in_tmp / "data").iterdir()) == ["warehouse.duckdb"]
    assert _counts(warehouse.DEFAULT_DB)["import_batches"] == len(schema.CANONICAL_COLUMNS)


def test_any_other_new_path_is_left_to_open_empty(in_tmp):
    for path in (in_tmp / "mine.duckdb", in_tmp / "data" / "shop.duckdb"):
        assert bootstrap.ensure_default_warehouse(path) == path
        assert not path.exists()
    assert not (in_tmp / "data" / "warehouse.duckdb").exists()


def test_the_apps_connection_opens_a_new_path_empty(in_tmp):
    path = str(in_tmp / "shop" / "new.duckdb")
    try:
        with warehouse.session(common._prepared(path)) as con:
            assert {table: warehouse.row_count(con, table) for table in EMPTY} == EMPTY
            assert warehouse.schema_version(con) == warehouse.latest_schema_version()
    finally:
        common._prepared.clear()
    assert _counts(path) == EMPTY
    assert not (in_tmp / "data").exists()


def test_the_apps_connection_builds_the_sample_at_the_default_path(in_tmp):
    try:
        with warehouse.session(common._prepared(str(warehouse.DEFAULT_DB))) as con:
            assert sample_shop.holds_sample(con)
    finally:
        common._prepared.clear()
    assert _counts(warehouse.DEFAULT_DB) == _committed_counts()


# `info` only reads: on a new path it says the file does not exist (tests/test_cli.py).
@pytest.mark.parametrize("command", [["cohorts"], ["import", "orders", "missing.csv"]])
def test_cli_commands_open_a_new_path_empty(in_tmp, command, capsys):
    path = in_tmp / "new.duckdb"
    main([*command, "--db", str(path)])
    capsys.readouterr()
    assert _counts(path) == EMPTY


def test_create_empty_refuses_a_file_with_rows(in_tmp, sample_db):
    path = in_tmp / "empty.duckdb"
    assert bootstrap.create_empty(path) is True
    assert bootstrap.create_empty(path) is False
    assert _counts(path) == EMPTY
    before = _counts(sample_db)
    with pytest.raises(DataError, match=r"already holds 600 users.*sample --remove"):
        bootstrap.create_empty(sample_db)
    assert _counts(sample_db) == before


def test_sample_loads_are_marked_as_sample_batches(tmp_path, sample_frames):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        assert not sample_shop.holds_sample(con)
        bootstrap.load_frames(con, {"users": sample_frames["users"]}, source="my test")
        batches = con.execute("SELECT source_name FROM import_batches").fetchall()
        assert batches == [("sample shop: my test",)]
        assert sample_shop.holds_sample(con)
    finally:
        con.close()
    assert bootstrap.sample_source("sample shop: x") == "sample shop: x"  # never marked twice


def _row_by_row_sha256(frame: pd.DataFrame) -> str:
    """table_sha256 spelt out value by value with struct, as its docstring defines it: the oracle."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    for name in frame.columns:
        values = frame[name].tolist()
        if frame[name].dtype == "str":
            encoded = [None if pd.isna(value) else value.encode() for value in values]
            digest.update(b"".join(struct.pack("=q", -1 if raw is None else len(raw)) for raw in encoded))
            digest.update(b"".join(raw for raw in encoded if raw is not None))
        elif frame[name].dtype.kind == "M":
            digest.update(
                b"".join(
                    struct.pack("=q", value.value // 1000 if value is not pd.NaT else -(2**63)) for value in values
                )
            )
        else:
            digest.update(b"".join(struct.pack("=d", value) for value in values))
    return digest.hexdigest()


def test_table_sha256_equals_a_value_by_value_digest_whatever_the_chunking():
    frame = bootstrap.canonical_frame(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["100001", "C100001", None, "ü-ß", ""],
                "user_id": ["u1", "u22", "u333", "u4", "u5"],
                "item_id": ["i1", "i2", "i3", "i4", "i5"],
                "ts": pd.to_datetime(
                    ["2024-01-01 10:00:01", "2024-02-29 23:59:59.5", None, "1999-12-31", "2024-06-01"], format="ISO8601"
                ),
                "quantity": [1.0, -2.0, np.nan, 0.5, 3.0],
                "unit_price": [9.99, 0.0, 1e6, np.nan, -1.25],
            }
        ),
    )
    table = bootstrap.arrow_table(frame)
    expected = _row_by_row_sha256(frame)
    assert bootstrap.table_sha256(table) == expected
    rechunked = pa.Table.from_batches(table.slice(1).to_batches() + table.slice(0, 1).to_batches()).take(
        [4, 0, 1, 2, 3]
    )
    assert bootstrap.table_sha256(pa.concat_tables([table.slice(0, 2), table.slice(2)])) == expected
    assert bootstrap.table_sha256(rechunked) == expected
    changed = frame.assign(quantity=frame["quantity"].where(frame.index != 4, 4.0))
    assert bootstrap.table_sha256(bootstrap.arrow_table(changed)) != expected


def test_load_frames_restores_the_memory_limit_it_lowers(tmp_path, sample_frames):
    con = warehouse.connect(tmp_path / "limit.duckdb")
    try:
        warehouse.execute(con, "sample_set_memory_limit", {"memory_limit": "5GiB"})
        before = warehouse.execute(con, "sample_memory_limit").fetchone()[0]
        assert bootstrap._size_bytes(before) > bootstrap.LOAD_MEMORY_LIMIT_BYTES
        bootstrap.load_frames(con, {"users": sample_frames["users"]}, source="limit test")
        assert warehouse.execute(con, "sample_memory_limit").fetchone()[0] == before
        with pytest.raises(DataError):  # a refused load restores it too
            bootstrap.load_frames(con, {"users": sample_frames["users"]}, source="again")
        assert warehouse.execute(con, "sample_memory_limit").fetchone()[0] == before
    finally:
        con.close()


def test_load_frames_can_release_each_frame_once_loaded(tmp_path, sample_frames):
    frames = {table: sample_frames[table] for table in ("users", "orders")}
    con = warehouse.connect(tmp_path / "release.duckdb")
    try:
        bootstrap.load_frames(con, frames, source="released", release=True)
        assert frames == {}
        assert warehouse.row_count(con, "users") == len(sample_frames["users"])
        assert warehouse.row_count(con, "orders") == len(sample_frames["orders"])
    finally:
        con.close()
