"""Schema creation, versioning and named SQL of the warehouse."""

import hashlib
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from retention import cohorts, schema, sql_files, warehouse
from retention.errors import DataError, SchemaError

# SHA-256 of every released migration file. A warehouse records only the version it was migrated to, so an
# edit to a released file never reaches the files already at that version.
RELEASED_MIGRATIONS = {
    "001_core.sql": "c652b56e3f85f9a576f8dd39c5862fdfa06d6b72f0f68fb71514e610f1017ba7",
    "002_activity_rollup.sql": "d306f0e57f1886b37aebcd5bed299130368f8ab98bfe0213252a5e8883e877fa",
    "003_model_runs.sql": "3ccc7ace12474458034181722bc08c0a146354d8220a17cd99ebb44997a77393",
    "004_scores.sql": "c654f56ec225d5479e0bd3c02dc7cf24f4ece099eed492a22186495a9759b74b",
    "005_campaigns.sql": "533b6a8af0a149f375bc80f3c588ec1177ec97677da23f60898dd7a0343a2e8a",
    "006_counted_cohorts.sql": "904eec000dea0d37d2cb295a8c7d7209289be360391582e0ff07095ed3a0655b",
    "007_real_shop_data.sql": "f20da4a6d75d53ff678c16cfc6e426fbb53bc72918da703276f95ceaa5d87ca9",
    "008_refresh_runs.sql": "b7d745306c701d93b6993af5495a315e05c2af4562948d3e63015d0444bd6a8c",
    "009_jobs.sql": "764eb04962bf9c88cb212c24ec9e52b16468d696f17af838380eb35569e85ced",
    "010_recommender_models.sql": "6b3020022fec5e8521e7d8a0cefd35c22aad86cecab16607dd83137578748906",
    "011_campaign_overlap.sql": "b996654ef0b37177608791d20dbecdcdcb5f8fb78414059404fec6324f72f53f",
    "012_churn_scorings.sql": "f7efb449e5274b9f8e3dd939d6be0fd31fe05ce4a397497dafcf123cd467f869",
    "013_page_rollups.sql": "b297563f454ef8d879c9160a7f89ac5dc8336f86cce2ce1355c55a7b5f72d9d3",
    "014_churn_scoring_rows.sql": "3373c04228a704e6e8af4eb0e96096385783cde292eb28c58a99ce3cc4f6a98b",
    "015_recommender_runs_compared.sql": "a3182371e377f1bf3f788c00d340997ac2f7f55907ef534ad87533b33e4f4b72",
    "016_views_and_notes.sql": "3ed74398f2ce0afa0bb2599fd2a2f436d8190a2d855518cfd9581126674408ba",
    "017_campaign_contacts.sql": "2258eccc1ebe7d48cf633841867195c1d50f96ea90ab8182180f00ffbbd470a1",
    "018_serving.sql": "36d41c62ac3431c8cafa651581f34b73297e2374b70f68eedd504dfd44261ae8",
}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def test_new_file_gets_every_canonical_table_and_latest_version(db):
    con = warehouse.connect(db)
    try:
        assert warehouse.schema_version(con) == warehouse.latest_schema_version()
        for table, columns in schema.CANONICAL_COLUMNS.items():
            assert set(columns) <= set(warehouse.table_columns(con, table)), table
        assert warehouse.applied_versions(con) == {version for version, _ in warehouse.migrations()}
    finally:
        con.close()


def test_reopening_applies_nothing_twice(db):
    warehouse.connect(db).close()
    con = warehouse.connect(db)
    try:
        rows = con.execute("SELECT count(*), count(DISTINCT version) FROM schema_version").fetchone()
        assert rows[0] == rows[1] == len(warehouse.migrations())
    finally:
        con.close()


def test_older_file_is_migrated(db):
    first_version, first_sql = warehouse.migrations()[0]
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    con.execute(first_sql)
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [first_version])
    con.execute("INSERT INTO orders (order_id, user_id, ts) VALUES ('o1', 'u1', TIMESTAMP '2024-01-01')")
    con.close()

    con = warehouse.connect(db)
    try:
        assert warehouse.schema_version(con) == warehouse.latest_schema_version()
        assert warehouse.row_count(con, "orders") == 1
    finally:
        con.close()


def test_data_from_before_the_rollup_is_counted_once_the_file_is_migrated(db):
    first_version, first_sql = warehouse.migrations()[0]
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    con.execute(first_sql)
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [first_version])
    con.execute(
        "INSERT INTO orders (order_id, user_id, ts) VALUES ('o1', 'u1', TIMESTAMP '2024-01-03'), "
        "('o2', 'u2', TIMESTAMP '2024-01-20'), ('o3', 'u1', TIMESTAMP '2024-02-05')"
    )
    con.close()

    con = warehouse.connect(db)
    try:
        table = cohorts.cohort_table(con, cohorts.CohortQuery()).frame
    finally:
        con.close()
    assert table[["cohort", "period", "cohort_users", "active_users"]].values.tolist() == [
        [pd.Timestamp("2024-01-01"), 0, 2, 2],
        [pd.Timestamp("2024-01-01"), 1, 2, 1],
    ]


@pytest.mark.parametrize(("name", "sha256"), RELEASED_MIGRATIONS.items())
def test_released_migrations_are_never_edited(name, sha256):
    text = (warehouse.MIGRATIONS_DIR / name).read_bytes()
    assert hashlib.sha256(text).hexdigest() == sha256, (
        f"migration {name} has been released and must not change: warehouses already at its version never run "
        "it again. Put the change in a new migration file (NNN_name.sql with the next number) instead."
    )


def test_newer_file_is_refused_with_a_clear_message(db):
    warehouse.connect(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (999, now()::TIMESTAMP)")
    con.close()
    with pytest.raises(SchemaError, match="schema version 999.*upgrade Retention Studio"):
        warehouse.connect(db)


def test_transaction_rolls_back_on_error(db):
    con = warehouse.connect(db)
    try:
        with pytest.raises(RuntimeError), warehouse.transaction(con):
            con.execute("INSERT INTO orders (order_id, user_id, ts) VALUES ('o1', 'u1', TIMESTAMP '2024-01-01')")
            raise RuntimeError("boom")
        assert warehouse.row_count(con, "orders") == 0
    finally:
        con.close()


def test_resolve_db_path_prefers_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(warehouse.DB_ENV_VAR, raising=False)
    assert warehouse.resolve_db_path() == warehouse.DEFAULT_DB
    monkeypatch.setenv(warehouse.DB_ENV_VAR, str(tmp_path / "env.duckdb"))
    assert warehouse.resolve_db_path() == tmp_path / "env.duckdb"
    assert warehouse.resolve_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_table_summary_counts_rows_and_ranges(db):
    con = warehouse.connect(db)
    try:
        con.execute(
            "INSERT INTO orders (order_id, user_id, ts) VALUES ('o1', 'u1', TIMESTAMP '2024-01-01'), "
            "('o2', 'u2', TIMESTAMP '2024-03-05 10:00:00')"
        )
        summary = warehouse.table_summary(con).set_index("table")
        assert summary.loc["orders", "rows"] == 2
        assert str(summary.loc["orders", "first_ts"]) == "2024-01-01 00:00:00"
        assert str(summary.loc["orders", "last_ts"]) == "2024-03-05 10:00:00"
        assert summary.loc["events", "rows"] == 0
    finally:
        con.close()


def test_unknown_sql_name_is_a_key_error():
    with pytest.raises(KeyError, match="no SQL file named 'nope'"):
        sql_files.sql_text("nope")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_that_is_not_a_duckdb_warehouse_is_refused(tmp_path, kind):
    """DuckDB would open a CSV or Parquet file as an empty in-memory database: rows "loaded" into it are lost."""
    path = tmp_path / f"data.{kind}"
    if kind == "csv":
        path.write_text("order_id,user_id,ts\no1,u1,2024-01-01\n")
    else:
        pd.DataFrame({"order_id": ["o1"], "user_id": ["u1"]}).to_parquet(path)
    before = path.read_bytes()
    for opening in (
        lambda: warehouse.connect(path),
        lambda: warehouse.connect(path, read_only=True),
        lambda: warehouse.session(path).__enter__(),
        lambda: warehouse.session(path, write=True).__enter__(),
        lambda: warehouse.prepare(path),
    ):
        with pytest.raises(DataError, match="is not a Retention Studio warehouse \\(a DuckDB file\\)"):
            opening()
    assert path.read_bytes() == before


def test_a_real_warehouse_opens_and_an_empty_file_is_an_error_that_changes_nothing(db):
    warehouse.connect(db).close()
    assert db.read_bytes()[8:12] == b"DUCK"
    with warehouse.session(db) as con:
        assert warehouse.schema_version(con) == warehouse.latest_schema_version()
    empty = db.with_name("empty.duckdb")
    empty.touch()
    with pytest.raises(DataError, match="cannot open warehouse"):
        warehouse.connect(empty)
    assert empty.stat().st_size == 0


def test_a_second_open_keeps_this_process_lock_so_no_other_process_writes_under_its_reads(db):
    """Closing any descriptor of the file drops every POSIX lock of the process on it: the open must not read it."""
    warehouse.prepare(db)
    writer = [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE t (x INT)')"]
    with warehouse.session(db) as reading:
        with warehouse.session(db):  # another page's read, opened and closed while the first is still open
            pass
        refused = subprocess.run([*writer, str(db)], capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "lock" in refused.stderr.lower()
        assert warehouse.row_count(reading, "orders") >= 0
    warehouse._release_all()
    assert subprocess.run([*writer, str(db)], capture_output=True, text=True, timeout=60).returncode == 0
