"""The sample shop inside a warehouse: told apart from a shop's own imports, and removed with what came from it.

The oracle is a warehouse that only ever held the Online Retail slice: after removing the sample from a
warehouse that held both, every table, the activity rollup and the cohort table equal that one's.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from online_retail import ORDER_MAPPING, PRODUCT_MAPPING, SLICE, loaded_order_lines
from test_campaigns_fixtures import add_scores, basic_config

from retention import campaigns, cohorts, ingest, rollups, sample, sample_shop, schema, warehouse
from retention.campaigns.config import parse_config
from retention.errors import DataError
from retention.recommend import metrics, runs
from retention.recommend.evaluate import Evaluation

ROLLUP_TABLES = (
    "rollup_users",
    "rollup_order_periods",
    "rollup_event_periods",
    "rollup_cohort_sizes",
    "rollup_cohort_cells",
)
DERIVED_TABLES = ("scores", "model_runs", "campaigns", "campaign_arms", "campaign_members", "campaign_results")


def _import_slice(con) -> None:
    ingest.import_file(con, schema.ORDERS, SLICE, mapping=ORDER_MAPPING)
    ingest.import_file(con, schema.PRODUCTS, SLICE, mapping=PRODUCT_MAPPING)


def _rows(con, table: str) -> int:
    return warehouse.row_count(con, table)


def _table(con, table: str) -> pd.DataFrame:
    frame = con.execute(f"SELECT * FROM {table}").df()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _state(con) -> dict[str, object]:
    """Everything removing the sample may touch: row counts of every table, and the rollup's rows."""
    state = {table: _rows(con, table) for table in (*schema.CANONICAL_COLUMNS, *schema.APP_TABLES, "non_products")}
    state.update({table: _table(con, table) for table in ROLLUP_TABLES})
    state["rollup_as_of"] = rollups.as_of(con)
    return state


def _assert_same(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, right[key], check_dtype=False, obj=key)
        else:
            assert value == right[key], key


@pytest.fixture(scope="module")
def slice_only(tmp_path_factory) -> str:
    """A warehouse that only ever held the Online Retail slice (orders and products)."""
    path = tmp_path_factory.mktemp("slice_only") / "w.duckdb"
    con = warehouse.connect(path)
    try:
        _import_slice(con)
    finally:
        con.close()
    return str(path)


def _mixed(path, users: int) -> None:
    """The sample shop of ``users`` users, then the slice, then scores, a recommender run, a launched
    campaign and non-product codes: one suggested for a sample item, one for a slice item, one confirmed."""
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, sample.generate(users=users, months=6, seed=3), source="test")
        _import_slice(con)
        add_scores(con)
        campaigns.launch(con, parse_config(basic_config()))
        evaluation = Evaluation(
            model="popularity",
            params={},
            split={"kind": "time"},
            k=5,
            metrics={name: 0.5 for name in metrics.METRIC_NAMES},
            fit_seconds=0.1,
            score_seconds=0.1,
        )
        runs.save_run(con, evaluation)
        con.executemany(
            "INSERT OR REPLACE INTO non_products VALUES (?, 'test', ?, TIMESTAMP '2026-01-01')",
            [["p0001", "suggested"], ["POST", "suggested"], ["p0002", "confirmed"]],
        )
    finally:
        con.close()


# 40 sample users against the slice's 76 customers: the rollup is refreshed for the touched users only;
# 300: most users change, and the rollup is rebuilt whole. Both must end where the slice alone is.
@pytest.fixture(scope="module", params=[40, 300], ids=["incremental", "rebuild"])
def mixed(request, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("mixed") / "w.duckdb"
    _mixed(path, request.param)
    return str(path)


@pytest.fixture
def con(mixed, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(mixed, path)
    connection = warehouse.connect(path)
    yield connection
    connection.close()


def test_the_sample_is_recognised_and_a_slice_alone_is_not(con, slice_only):
    assert sample_shop.holds_sample(con)
    assert not sample_shop.leaves_empty(con)
    batches = ingest.recent_batches(con)
    assert batches["source_name"].str.startswith(sample_shop.SAMPLE_SOURCE_PREFIX).sum() == 5
    other = warehouse.connect(slice_only, read_only=True)
    try:
        assert not sample_shop.holds_sample(other)
        assert sample_shop.contents(other)["rows"].tolist() == [0] * 10
    finally:
        other.close()


def test_removing_the_sample_leaves_exactly_the_slice(con, slice_only):
    before = {table: _rows(con, table) for table in schema.CANONICAL_COLUMNS}
    planned = sample_shop.contents(con).set_index("table_name")["rows"]
    assert all(_rows(con, table) > 0 for table in DERIVED_TABLES if table != "campaign_results")

    removed = sample_shop.remove(con).set_index("table_name")["rows"]

    pd.testing.assert_series_equal(removed, planned)
    lines = pd.read_csv(SLICE, dtype=str, keep_default_na=False)
    expected = {"users": 0, "products": lines["StockCode"].nunique(), "orders": len(loaded_order_lines(lines))}
    expected["events"] = 0
    expected["ratings"] = 0
    assert {table: _rows(con, table) for table in schema.CANONICAL_COLUMNS} == expected
    # What was removed is what the sample had added, table by table.
    assert {table: before[table] - expected[table] for table in schema.CANONICAL_COLUMNS} == {
        table: removed[table] for table in schema.CANONICAL_COLUMNS
    }
    assert not sample_shop.holds_sample(con)
    assert ingest.recent_batches(con)["source_name"].tolist() == [SLICE.name, SLICE.name]
    assert _rows(con, schema.IMPORT_REJECTS) == (lines["CustomerID"] == "").sum()  # the slice's own rejects stay
    assert {table: _rows(con, table) for table in DERIVED_TABLES} == dict.fromkeys(DERIVED_TABLES, 0)
    # The sample's suggested code goes; the slice's own suggestions (POST among them) and a confirmed code stay.
    kept = set(con.execute("SELECT item_id FROM non_products").df()["item_id"])
    oracle = warehouse.connect(slice_only, read_only=True)
    try:
        slice_codes = set(oracle.execute("SELECT item_id FROM non_products").df()["item_id"])
    finally:
        oracle.close()
    assert "POST" in slice_codes and kept == slice_codes | {"p0002"}

    oracle = warehouse.connect(slice_only, read_only=True)
    try:
        for table in ROLLUP_TABLES:
            pd.testing.assert_frame_equal(_table(con, table), _table(oracle, table), check_dtype=False, obj=table)
        assert rollups.as_of(con) == rollups.as_of(oracle)
        pd.testing.assert_frame_equal(cohorts.cohort_table(con).frame, cohorts.cohort_table(oracle).frame)
        pd.testing.assert_frame_equal(warehouse.table_summary(con), warehouse.table_summary(oracle))
    finally:
        oracle.close()


def test_a_failure_in_the_middle_changes_nothing(con, monkeypatch):
    before = _state(con)
    version = warehouse.data_version(con)

    def broken(connection) -> None:
        raise RuntimeError("disk full")

    # The last step: every delete has run by then, and must be rolled back.
    monkeypatch.setattr(rollups, "refresh_changed", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        sample_shop.remove(con)
    _assert_same(_state(con), before)
    assert warehouse.data_version(con) == version
    assert sample_shop.holds_sample(con)


def test_removing_twice_says_there_is_nothing_to_remove(con):
    sample_shop.remove(con)
    after = _state(con)
    with pytest.raises(DataError, match="holds no sample data"):
        sample_shop.remove(con)
    _assert_same(_state(con), after)


def test_a_warehouse_of_only_the_sample_is_empty_afterwards(sample_db, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_db, path)
    con = warehouse.connect(path)
    try:
        assert sample_shop.leaves_empty(con)
        sample_shop.remove(con)
        tables = (*schema.CANONICAL_COLUMNS, schema.IMPORT_BATCHES, *ROLLUP_TABLES)
        assert {table: _rows(con, table) for table in tables} == dict.fromkeys(tables, 0)
        assert warehouse.data_range(con) == (None, None)
        assert rollups.as_of(con) is None
    finally:
        con.close()


def test_describe_names_the_tables_with_rows():
    counts = pd.DataFrame({"table_name": ["users", "orders", "scores", "ratings"], "rows": [5000, 56826, 3, 0]})
    assert sample_shop.describe(counts) == "5,000 users, 56,826 orders, 3 churn scores"
    assert sample_shop.describe(counts, tables=schema.CANONICAL_COLUMNS) == "5,000 users, 56,826 orders"
    assert sample_shop.describe(counts.assign(rows=0)) == "nothing"
