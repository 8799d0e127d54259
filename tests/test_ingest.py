"""Import of CSV, CSV.gz and Parquet files: mapping, checks, rejects, upserts, transactions, CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import online_retail
import pandas as pd
import pytest

from retention import ingest, rollups, warehouse
from retention.cli import main
from retention.errors import DataError

DATA = Path(__file__).parent / "data"
RETAIL_SLICE = online_retail.SLICE
RETAIL_ORDER_MAP = [
    "--map", "order_id=InvoiceNo", "--map", "item_id=StockCode", "--map", "ts=InvoiceDate",
    "--map", "quantity=Quantity", "--map", "unit_price=UnitPrice", "--map", "user_id=CustomerID",
]  # fmt: skip

ORDERS_CSV = """order_id,user_id,item_id,ts,quantity,unit_price,discount
o1,u1,i1,2024-01-05 10:00:00,2,3.5,0
o1,u1,i2,2024-01-05 10:00:00,1,10,0.25
o2,u2,i1,2024-02-01 09:30:00,-1,3.5,
o3,u1,i3,2024-03-01,,,
"""


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def rejects_of(con, batch_id: int) -> list[tuple[int, str]]:
    return [tuple(row) for row in ingest.rejects(con, batch_id)[["row_number", "reason"]].itertuples(index=False)]


def counts(con) -> dict[str, int]:
    tables = ["orders", "users", "products", "events", "ratings", "import_batches", "import_rejects"]
    return {table: warehouse.row_count(con, table) for table in tables}


# --- the id expression ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("17850.0", "17850"),
        (" 17850.00 ", "17850"),
        ("-3.0", "-3"),
        ("0.0", "0"),
        ("007", "007"),
        ("1.5", "1.5"),
        ("85123A", "85123A"),
        ("BANK CHARGES", "BANK CHARGES"),
        ("12.0a", "12.0a"),
        ("1e3", "1e3"),
        ("  x  ", "x"),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_id(raw, expected):
    scratch = duckdb.connect()
    ingest.install_macros(scratch)
    assert scratch.execute("SELECT normalize_id(CAST($v AS VARCHAR))", {"v": raw}).fetchone()[0] == expected


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2024-01-05 10:00:00", None, "2024-01-05 10:00:00"),
        ("2024-01-05T10:00:00", None, "2024-01-05 10:00:00"),
        ("2024-01-05", None, "2024-01-05 00:00:00"),
        ("2024-01-05T10:00:00Z", None, "2024-01-05 10:00:00"),
        ("2024-01-05 10:00:00+02:00", None, "2024-01-05 08:00:00"),
        ("1704448800", None, "2024-01-05 10:00:00"),  # epoch seconds
        ("1/5/2024 10:00", "%m/%d/%Y %H:%M", "2024-01-05 10:00:00"),
        ("1704448800", "%m/%d/%Y %H:%M", "2024-01-05 10:00:00"),
        ("yesterday", None, None),
        ("2024-13-05", None, None),
        ("2024-01-05 10:00:00", "%m/%d/%Y %H:%M", None),
    ],
)
def test_parse_ts(raw, fmt, expected):
    scratch = duckdb.connect()
    ingest.install_macros(scratch)
    value = scratch.execute("SELECT parse_ts(CAST($v AS VARCHAR), $fmt)", {"v": raw, "fmt": fmt}).fetchone()[0]
    assert value == (pd.Timestamp(expected).to_pydatetime() if expected else None)


# --- good files ----------------------------------------------------------------------------


def test_file_column_names_are_quoted_never_run(con, tmp_path):
    # A header is any text a user wrote: quotes, semicolons and SQL in it stay a column name.
    user = 'Customer "ID"; DROP TABLE orders; --'
    text = f'order_id,"{user.replace(chr(34), 2 * chr(34))}",ts\no1,u1,2024-01-05 10:00\n'
    path = write(tmp_path, "odd_header.csv", text)
    assert ingest.file_columns(path) == ["order_id", user, "ts"]
    result = ingest.import_file(con, "orders", path, mapping={"user_id": user})
    assert (result.rows_read, result.rows_loaded) == (1, 1)
    assert con.execute("SELECT order_id, user_id FROM orders").fetchall() == [("o1", "u1")]


def test_file_columns_and_preview_need_no_warehouse(tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_CSV)
    columns = ingest.file_columns(path)
    head = ingest.preview(path, rows=2)
    assert list(head.columns) == columns
    assert len(head) == 2
    assert head.iloc[0].map(type).eq(str).all()  # CSV values as text


def test_good_orders_file_is_loaded_with_defaults(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_CSV)
    result = ingest.import_file(con, "orders", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 4, 0)
    assert result.rejects_by_reason.empty
    orders = con.execute("SELECT * FROM orders ORDER BY order_id, item_id").df()
    assert orders["order_id"].tolist() == ["o1", "o1", "o2", "o3"]
    assert orders["quantity"].tolist() == [2, 1, -1, 1]  # a return is kept; a blank quantity is 1
    assert orders["unit_price"].tolist() == [3.5, 10, 3.5, 0]
    assert orders["discount"].tolist() == [0, 0.25, 0, 0]
    assert orders["ts"].tolist() == [pd.Timestamp("2024-01-05 10:00"), pd.Timestamp("2024-01-05 10:00")] + [
        pd.Timestamp("2024-02-01 09:30"),
        pd.Timestamp("2024-03-01"),
    ]
    assert set(orders["batch_id"]) == {result.batch_id}
    batch = con.execute("SELECT * FROM import_batches").df().iloc[0]
    assert batch["table_name"] == "orders"
    assert batch["source_name"] == "orders.csv"
    assert batch["sha256"] == ingest.file_sha256(path)
    assert (batch["rows_read"], batch["rows_loaded"], batch["rows_rejected"]) == (4, 4, 0)


def test_mapping_and_case_insensitive_names(con, tmp_path):
    path = write(tmp_path, "o.csv", "Invoice,Customer,TS,Qty\nA1,17850.0,2024-01-01,3\n")
    result = ingest.import_file(
        con, "orders", path, mapping={"order_id": "Invoice", "user_id": "Customer", "quantity": "Qty"}
    )
    assert result.rows_loaded == 1
    assert con.execute("SELECT order_id, user_id, quantity FROM orders").fetchall() == [("A1", "17850", 3.0)]


def test_ids_are_normalised_on_import(con, tmp_path):
    path = write(
        tmp_path,
        "o.csv",
        'order_id,user_id,item_id,ts\n" 536365 ",17850.0, 85123A ,2024-01-01\n536366.0,007,POST,2024-01-01\n',
    )
    ingest.import_file(con, "orders", path)
    rows = con.execute("SELECT order_id, user_id, item_id FROM orders ORDER BY order_id").fetchall()
    assert rows == [("536365", "17850", "85123A"), ("536366", "007", "POST")]


def test_ts_format_and_epoch_seconds(con, tmp_path):
    path = write(
        tmp_path, "o.csv", "order_id,user_id,ts\na,u,12/1/2010 8:26\nb,u,1291191960\nc,u,2010-12-01 08:26:00\n"
    )
    result = ingest.import_file(con, "orders", path, ts_format="%m/%d/%Y %H:%M")
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejects_of(con, result.batch_id) == [(4, "unparseable ts")]
    assert con.execute("SELECT DISTINCT ts FROM orders").fetchall() == [
        (pd.Timestamp("2010-12-01 08:26").to_pydatetime(),)
    ]


def test_invalid_ts_format_is_refused(con, tmp_path):
    path = write(tmp_path, "o.csv", "order_id,user_id,ts\na,u,2024-01-01\n")
    with pytest.raises(DataError, match="not a strptime layout"):
        ingest.import_file(con, "orders", path, ts_format="%Q")
    assert counts(con)["import_batches"] == 0


def test_other_separator_and_gzip_without_gz_name(con, tmp_path):
    path = tmp_path / "orders.txt"
    path.write_bytes(gzip.compress(b"order_id;user_id;ts;unit_price\na;u;2024-01-01;1.5\n"))
    assert ingest.file_format(path) == "csv.gz"
    result = ingest.import_file(con, "orders", path, sep=";")
    assert result.rows_loaded == 1
    assert con.execute("SELECT unit_price FROM orders").fetchone()[0] == 1.5


def test_parquet_file(con, tmp_path):
    path = tmp_path / "ratings.parquet"
    pd.DataFrame(
        {
            "userId": [1, 2, 3],
            "movieId": [10.0, 20.0, 30.0],
            "rating": [4.5, 0.5, 3.0],
            "timestamp": [964982703, 964981247, 964982224],
        }
    ).to_parquet(path, index=False)
    assert ingest.file_format(path) == "parquet"
    result = ingest.import_file(
        con, "ratings", path, mapping=ingest.guess_mapping("ratings", ingest.file_columns(path))
    )
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejects_of(con, result.batch_id) == [(2, "rating outside 1-5")]  # Parquet rows count from 1
    assert con.execute("SELECT user_id, item_id, rating, ts FROM ratings ORDER BY user_id").fetchall() == [
        ("1", "10", 4.5, pd.Timestamp(964982703, unit="s").to_pydatetime()),
        ("3", "30", 3.0, pd.Timestamp(964982224, unit="s").to_pydatetime()),
    ]


def test_events_file(con, tmp_path):
    path = write(
        tmp_path, "e.csv", "user_id,ts,event_type,item_id\nu1,2024-01-01 10:00,view,i1\nu1,2024-01-01 10:01,,i1\n"
    )
    result = ingest.import_file(con, "events", path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert rejects_of(con, result.batch_id) == [(3, "missing event_type")]


# --- bad files -----------------------------------------------------------------------------


def test_missing_required_column_names_it_and_lists_the_files_columns(con, tmp_path):
    path = write(tmp_path, "o.csv", "order_id,shopper,ts\na,u,2024-01-01\n")
    with pytest.raises(DataError) as error:
        ingest.import_file(con, "orders", path)
    message = str(error.value)
    assert "'user_id'" in message
    assert "'order_id', 'shopper', 'ts'" in message
    assert counts(con)["import_batches"] == 0


def test_mapping_to_an_unknown_column_is_refused(con, tmp_path):
    path = write(tmp_path, "o.csv", "order_id,user_id,ts\na,u,2024-01-01\n")
    with pytest.raises(DataError, match="no column of the file"):
        ingest.import_file(con, "orders", path, mapping={"quantity": "Qty"})
    with pytest.raises(DataError, match="orders has no column 'colour'"):
        ingest.import_file(con, "orders", path, mapping={"colour": "ts"})


def test_unparseable_and_missing_timestamps(con, tmp_path):
    path = write(tmp_path, "o.csv", "order_id,user_id,ts\na,u,2024-01-01\nb,u,yesterday\nc,u,\nd,u,2024-02-30\n")
    result = ingest.import_file(con, "orders", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    assert rejects_of(con, result.batch_id) == [(3, "unparseable ts"), (4, "missing ts"), (5, "unparseable ts")]
    assert dict(result.rejects_by_reason.itertuples(index=False)) == {"unparseable ts": 2, "missing ts": 1}


def test_non_numeric_values_and_discount_range(con, tmp_path):
    text = (
        "order_id,user_id,ts,quantity,unit_price,discount\n"
        "a,u,2024-01-01,two,1,0\n"
        "b,u,2024-01-01,1,£3,0\n"
        "c,u,2024-01-01,1,1,1.5\n"
        "d,u,2024-01-01,1,1,x\n"
        "e,u,2024-01-01,nan,1,0\n"
        "f,u,2024-01-01,0,1,1\n"
    )
    result = ingest.import_file(con, "orders", write(tmp_path, "o.csv", text))
    assert rejects_of(con, result.batch_id) == [
        (2, "non-numeric quantity"),
        (3, "non-numeric unit_price"),
        (4, "discount outside 0-1"),
        (5, "non-numeric discount"),
        (6, "non-finite quantity"),
    ]
    assert con.execute("SELECT order_id, quantity, discount FROM orders").fetchall() == [("f", 0.0, 1.0)]


def test_first_problem_is_the_reason_and_raw_keeps_the_row(con, tmp_path):
    path = write(tmp_path, "o.csv", 'order_id,user_id,ts,quantity\na,,never,"x, y"\n')
    result = ingest.import_file(con, "orders", path)
    reject = ingest.rejects(con, result.batch_id).iloc[0]
    assert (reject["row_number"], reject["reason"]) == (2, "missing user_id")
    assert json.loads(reject["raw"]) == {"order_id": "a", "user_id": None, "ts": "never", "quantity": "x, y"}


def test_ratings_checks(con, tmp_path):
    text = "user_id,item_id,rating\nu,i,5\nu,i,6\nu,i,0.5\nu,i,good\nu,i,\n,i,3\n"
    result = ingest.import_file(con, "ratings", write(tmp_path, "r.csv", text))
    assert result.rows_loaded == 1
    assert rejects_of(con, result.batch_id) == [
        (3, "rating outside 1-5"),
        (4, "rating outside 1-5"),
        (5, "non-numeric rating"),
        (6, "missing rating"),
        (7, "missing user_id"),
    ]


def test_empty_file_and_header_only(con, tmp_path):
    with pytest.raises(DataError, match="is empty"):
        ingest.import_file(con, "orders", write(tmp_path, "empty.csv", ""))
    with pytest.raises(DataError, match="no data rows"):
        ingest.import_file(con, "orders", write(tmp_path, "header.csv", "order_id,user_id,ts\n"))
    with pytest.raises(DataError, match="does not exist"):
        ingest.import_file(con, "orders", tmp_path / "nope.csv")
    assert counts(con)["import_batches"] == 0


@pytest.mark.parametrize("bad_line", ["b,u,2024-01-01,extra,fields", "b,u"])
def test_ragged_csv_is_a_data_error(con, tmp_path, bad_line):
    path = write(tmp_path, "o.csv", f"order_id,user_id,ts\na,u,2024-01-01\n{bad_line}\n")
    with pytest.raises(DataError, match="cannot split the rows of 'o.csv'"):
        ingest.import_file(con, "orders", path)
    with pytest.raises(DataError, match="cannot read 'o.csv'.*as many fields as the header"):
        ingest.import_file(con, "orders", path, sep=",")
    assert counts(con)["import_batches"] == 0


def test_invalid_utf8_is_a_data_error(con, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(b"order_id,user_id,ts\na,u,2024-01-01\nb,\xff\xfe,2024-01-01\n")
    with pytest.raises(DataError, match="'o.csv' is not UTF-8 text: line 3"):
        ingest.import_file(con, "orders", path)


def test_reject_row_numbers_point_at_the_file_line(con, tmp_path):
    lines = ["order_id,user_id,ts"]
    for i in range(5000):
        user = "" if i % 997 == 3 else f"u{i}"
        lines.append(f"o{i},{user},2024-01-01")
    path = write(tmp_path, "o.csv", "\n".join(lines) + "\n")
    result = ingest.import_file(con, "orders", path)
    rejected = ingest.rejects(con, result.batch_id)
    assert len(rejected) == sum(1 for i in range(5000) if i % 997 == 3)
    for row_number, raw in rejected[["row_number", "raw"]].itertuples(index=False):
        assert lines[row_number - 1] == f"{json.loads(raw)['order_id']},,2024-01-01"


def test_reject_row_numbers_across_parquet_row_groups(con, tmp_path):
    n = 20_000
    frame = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "user_id": [None if i % 1_313 == 5 else f"u{i % 97}" for i in range(n)],
            "ts": ["2024-01-01 10:00:00"] * n,
        }
    )
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path, index=False, row_group_size=1_000)  # twenty row groups, read in parallel
    result = ingest.import_file(con, "orders", path)
    rejected = ingest.rejects(con, result.batch_id)
    expected = [i + 1 for i in range(n) if i % 1_313 == 5]  # Parquet rows count from 1
    assert rejected["row_number"].tolist() == expected
    assert [json.loads(raw)["order_id"] for raw in rejected["raw"]] == [f"o{i - 1}" for i in expected]


# --- keyed tables --------------------------------------------------------------------------


def test_users_upsert_latest_row_wins(con, tmp_path):
    """Within a file the latest row of an id wins; across imports the newest import wins for the columns it maps,
    and a column it does not map keeps the stored value (user 2's signup_ts survives a file of user_id,country)."""
    first = write(
        tmp_path, "u1.csv", "user_id,country,signup_ts\n1.0,UK,2024-01-01\n2,FR,2024-01-02\n1,DE,2024-01-03\n"
    )
    result = ingest.import_file(con, "users", first)
    assert (result.rows_read, result.rows_loaded, result.rows_merged) == (3, 2, 1)
    assert con.execute("SELECT user_id, country FROM users ORDER BY 1").fetchall() == [("1", "DE"), ("2", "FR")]
    second = write(tmp_path, "u2.csv", "user_id,country\n2,ES\n3,IT\n")
    ingest.import_file(con, "users", second)
    rows = con.execute("SELECT user_id, country, signup_ts IS NULL FROM users ORDER BY 1").fetchall()
    assert rows == [("1", "DE", False), ("2", "ES", False), ("3", "IT", True)]


def test_a_partial_users_file_changes_only_the_columns_it_maps(con, tmp_path):
    full = "user_id,signup_ts,country,channel,email\nu1,2024-01-01,UK,ads,a@x.org\nu2,2024-02-01,FR,seo,b@x.org\n"
    ingest.import_file(con, "users", write(tmp_path, "full.csv", full))
    before = con.execute("SELECT * EXCLUDE (batch_id) FROM users ORDER BY user_id").fetchall()
    result = ingest.import_file(con, "users", write(tmp_path, "ids.csv", "user_id\nu1\nu2\nu3\n"))
    assert result.rows_loaded == 3
    rows = con.execute("SELECT * EXCLUDE (batch_id) FROM users ORDER BY user_id").fetchall()
    assert rows[:2] == before  # nothing erased
    assert rows[2] == ("u3", *[None] * 7)  # a new id gets NULL in the columns the file lacks
    # A mapped column overwrites, an empty value included; the unmapped ones stay.
    ingest.import_file(con, "users", write(tmp_path, "country.csv", "user_id,country\nu1,DE\nu2,\n"))
    rows = con.execute("SELECT user_id, country, channel, email, signup_ts IS NULL FROM users ORDER BY 1").fetchall()
    assert rows == [("u1", "DE", "ads", "a@x.org", False), ("u2", None, "seo", "b@x.org", False), *rows[2:]]


def test_a_partial_products_file_changes_only_the_columns_it_maps(con, tmp_path):
    full = "item_id,title,category,brand,price,description\ni1,Mug,Kitchen,Acme,3.5,A red mug\n"
    ingest.import_file(con, "products", write(tmp_path, "full.csv", full))
    ingest.import_file(con, "products", write(tmp_path, "prices.csv", "item_id,price\ni1,4.25\ni2,9\n"))
    rows = con.execute("SELECT * EXCLUDE (batch_id) FROM products ORDER BY item_id").fetchall()
    assert rows == [("i1", "Mug", "Kitchen", "Acme", 4.25, "A red mug"), ("i2", None, None, None, 9.0, None)]


@pytest.mark.parametrize(("table", "missing"), [("users", "signup_ts"), ("products", "title")])
def test_an_orders_file_imported_into_a_keyed_table_is_refused_before_anything_changes(con, tmp_path, table, missing):
    """The mapping check catches the wrong table: users or products would get nothing but the id from it."""
    ingest.import_file(con, "users", write(tmp_path, "u.csv", "user_id,country\nu1,UK\n"))
    ingest.import_file(con, "products", write(tmp_path, "p.csv", "item_id,title\ni1,Mug\n"))
    before = (
        counts(con),
        con.execute("SELECT * FROM users").fetchall(),
        con.execute("SELECT * FROM products").fetchall(),
    )
    with pytest.raises(DataError, match=f"looks like a file of orders.*'{missing}'"):
        ingest.import_file(con, table, write(tmp_path, "orders.csv", ORDERS_CSV))
    after = counts(con), con.execute("SELECT * FROM users").fetchall(), con.execute("SELECT * FROM products").fetchall()
    assert after == before


def test_products_title_is_the_most_frequent_then_latest(con, tmp_path):
    text = (
        "StockCode,Description,UnitPrice\n"
        "A,RED MUG,1\n"
        "A,red mug,2\n"
        "A,RED MUG,3\n"
        "A,,4\n"  # latest row: price 4, but no title
        "B,BLUE CUP,1\n"
        "B,BLUE CUP (NEW),2\n"  # a tie: the latest row's title wins
        "C,,1\n"
    )
    mapping = {"item_id": "StockCode", "title": "Description", "price": "UnitPrice"}
    result = ingest.import_file(con, "products", write(tmp_path, "p.csv", text), mapping=mapping)
    assert (result.rows_loaded, result.rows_merged) == (3, 4)
    rows = con.execute("SELECT item_id, title, price, description FROM products ORDER BY 1").fetchall()
    assert rows == [("A", "RED MUG", 4.0, None), ("B", "BLUE CUP (NEW)", 2.0, None), ("C", None, 1.0, None)]


# --- transactions and re-imports -----------------------------------------------------------


def test_failed_import_leaves_the_warehouse_as_it_was(con, tmp_path, monkeypatch):
    ingest.import_file(con, "orders", write(tmp_path, "a.csv", ORDERS_CSV))
    before = counts(con)
    batches = con.execute("SELECT * FROM import_batches").fetchall()

    def broken_refresh(connection):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "refresh_changed", broken_refresh)
    bad = write(tmp_path, "b.csv", ORDERS_CSV.replace("o1", "o9") + "o4,,i1,2024-01-01,1,1,0\n")
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.import_file(con, "orders", bad)
    assert counts(con) == before
    assert con.execute("SELECT * FROM import_batches").fetchall() == batches
    assert con.execute("SELECT count(*) FROM orders WHERE order_id = 'o9'").fetchone()[0] == 0
    # The load runs without preserving insertion order; the connection gets its setting back.
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is True


def test_insertion_order_setting_is_restored_and_stays_per_connection(con, tmp_path):
    other = con.cursor()
    con.execute("SET SESSION preserve_insertion_order = false")
    text = ORDERS_CSV + "o4,,i1,2024-01-01,1,1,0\n"
    result = ingest.import_file(con, "orders", write(tmp_path, "a.csv", text))
    assert rejects_of(con, result.batch_id) == [(6, "missing user_id")]  # the stage kept the file's order
    setting = "SELECT current_setting('preserve_insertion_order')"
    assert con.execute(setting).fetchone()[0] is False
    assert other.execute(setting).fetchone()[0] is True
    con.execute("SET SESSION preserve_insertion_order = true")
    with pytest.raises(DataError, match="already imported"):
        ingest.import_file(con, "orders", write(tmp_path, "b.csv", text))
    assert con.execute(setting).fetchone()[0] is True


def test_same_file_is_refused_then_replaced(con, tmp_path):
    path = write(tmp_path, "o.csv", ORDERS_CSV + "o5,,i1,2024-01-01,1,1,0\n")
    first = ingest.import_file(con, "orders", path)
    with pytest.raises(DataError, match="already imported into orders"):
        ingest.import_file(con, "orders", path)
    # The same bytes under another name are the same file.
    copy = write(tmp_path, "copy.csv", path.read_text())
    with pytest.raises(DataError, match="already imported"):
        ingest.import_file(con, "orders", copy)
    again = ingest.import_file(con, "orders", path, replace=True)
    assert again.replaced_batches == (first.batch_id,)
    assert warehouse.row_count(con, "orders") == 4
    assert con.execute("SELECT DISTINCT batch_id FROM orders").fetchall() == [(again.batch_id,)]
    assert con.execute("SELECT batch_id FROM import_batches").fetchall() == [(again.batch_id,)]
    assert con.execute("SELECT batch_id, row_number FROM import_rejects").fetchall() == [(again.batch_id, 6)]
    # Another table may take the same file (users with a column besides the id: an id alone is refused from it).
    assert ingest.import_file(con, "users", path, mapping={"signup_ts": "ts"}).rows_loaded == 2


def test_replace_on_a_keyed_table(con, tmp_path):
    path = write(tmp_path, "u.csv", "user_id,country\n1,UK\n2,FR\n")
    ingest.import_file(con, "users", path)
    ingest.import_file(con, "users", write(tmp_path, "u2.csv", "user_id,country\n3,IT\n"))
    result = ingest.import_file(con, "users", path, replace=True)
    assert result.rows_loaded == 2
    assert con.execute("SELECT user_id, country FROM users ORDER BY 1").fetchall() == [
        ("1", "UK"),
        ("2", "FR"),
        ("3", "IT"),
    ]


# --- mapping guesses and previews ----------------------------------------------------------


def test_guess_mapping_online_retail():
    columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    assert ingest.guess_mapping("orders", columns) == {
        "order_id": "InvoiceNo",
        "user_id": "CustomerID",
        "item_id": "StockCode",
        "ts": "InvoiceDate",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
        "discount": None,
        # what an order line also carries: the product's title and the customer's country
        "title": "Description",
        "category": None,
        "brand": None,
        "price": None,  # UnitPrice went to unit_price: the table's own columns are guessed first
        "description": None,
        "signup_ts": None,
        "country": "Country",
        "channel": None,
        "email": None,
        "first_name": None,
        "phone": None,
        "sms_consent": None,
    }
    products = ingest.guess_mapping("products", columns)
    assert (products["item_id"], products["title"], products["price"], products["description"]) == (
        "StockCode",
        "Description",
        "UnitPrice",
        None,
    )
    assert ingest.guess_mapping("users", columns)["country"] == "Country"
    assert list(ingest.guess_mapping("users", columns)) == [
        "user_id",
        "signup_ts",
        "country",
        "channel",
        "email",
        "first_name",
        "phone",
        "sms_consent",
    ]


def test_guess_mapping_of_an_orders_file_keeps_its_own_columns_first():
    # "Price" is the unit price of a line, not the product's list price; "Created at" is the order's time.
    guess = ingest.guess_mapping("orders", ["Order", "Customer", "Created at", "Price", "Email", "Lineitem name"])
    assert (guess["unit_price"], guess["price"], guess["ts"], guess["signup_ts"]) == ("Price", None, "Created at", None)
    assert guess["email"] == "Email"


def test_guess_mapping_prefers_exact_names():
    mapping = ingest.guess_mapping("products", ["sku", "title", "description", "Price"])
    assert mapping == {
        "item_id": "sku",
        "title": "title",
        "category": None,
        "brand": None,
        "price": "Price",
        "description": "description",
    }
    assert ingest.guess_mapping("ratings", ["userId", "movieId", "rating", "timestamp"]) == {
        "user_id": "userId",
        "item_id": "movieId",
        "rating": "rating",
        "ts": "timestamp",
    }


def test_mapped_column_is_not_taken_again_by_name(con, tmp_path):
    path = write(tmp_path, "p.csv", "item_id,Description\nA,RED MUG\n")
    ingest.import_file(con, "products", path, mapping={"title": "Description"})
    assert con.execute("SELECT title, description FROM products").fetchall() == [("RED MUG", None)]


def test_preview_and_columns():
    assert ingest.file_columns(RETAIL_SLICE)[:3] == ["InvoiceNo", "StockCode", "Description"]
    head = ingest.preview(RETAIL_SLICE, rows=5)
    assert len(head) == 5
    assert head.loc[0, "CustomerID"] == "17850.0"  # text, as in the file


# --- Online Retail through the command line ------------------------------------------------


def test_online_retail_slice_via_cli(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    assert main(["import", "orders", str(RETAIL_SLICE), "--db", db, *RETAIL_ORDER_MAP, "--duplicates", "keep"]) == 0
    report = capsys.readouterr().out
    products_map = ["--map", "item_id=StockCode", "--map", "title=Description", "--map", "price=UnitPrice"]
    assert main(["import", "products", str(RETAIL_SLICE), "--db", db, *products_map]) == 0

    lines = pd.read_csv(RETAIL_SLICE, dtype=str, keep_default_na=False)
    guest = lines["CustomerID"].str.strip() == ""
    members = lines[~guest]
    assert f"rows read      {len(lines):>12,}" in report
    assert f"rows loaded    {len(members):>12,}" in report
    assert f"missing user_id {guest.sum():>18,}".replace(" ", "") in report.replace(" ", "")
    copies = lines[~guest].duplicated(list(online_retail.ORDER_MAPPING.values())).sum()
    assert f"duplicates     {copies:>12,}  (exact copies of an earlier line, kept)" in report
    assert "not imported: Description, Country" in report

    con = warehouse.connect(db)
    try:
        orders = con.execute("SELECT * FROM orders").df()
        assert len(orders) == len(members)
        # Duplicate lines are kept as they are: the file has them and so does the table.
        assert members.duplicated().sum() > 0
        returns = pd.to_numeric(members["Quantity"]) <= 0
        assert (orders["quantity"] <= 0).sum() == returns.sum()
        cancelled = members["InvoiceNo"].str.startswith("C")
        assert orders["order_id"].str.startswith("C").sum() == cancelled.sum() > 0
        assert sorted(orders["user_id"].unique()) == sorted(members["CustomerID"].str.removesuffix(".0").unique())
        assert orders["ts"].min() == pd.Timestamp(members["InvoiceDate"].min())
        assert orders["unit_price"].sum() == pytest.approx(pd.to_numeric(members["UnitPrice"]).sum())

        batch = con.execute("SELECT batch_id FROM import_batches WHERE table_name = 'orders'").fetchone()[0]
        rejected = ingest.rejects(con, batch)
        assert set(rejected["reason"]) == {"missing user_id"}
        assert rejected["row_number"].tolist() == (lines.index[guest] + 2).tolist()

        products = con.execute("SELECT item_id, title, price FROM products").df().set_index("item_id")
        codes = lines["StockCode"].str.strip()
        assert sorted(products.index) == sorted(codes.unique())
        assert {"POST", "M", "BANK CHARGES", "AMAZONFEE", "D"} <= set(products.index)
        described = lines.assign(title=lines["Description"].str.strip(), row=range(len(lines)))
        described = described[described["title"] != ""]
        tally = described.groupby(["StockCode", "title"]).agg(n=("row", "size"), last=("row", "max")).reset_index()
        best = tally.sort_values(["n", "last"]).groupby("StockCode").tail(1).set_index("StockCode")["title"]
        assert products["title"].dropna().sort_index().to_dict() == best.sort_index().to_dict()
        latest_price = lines.groupby("StockCode")["UnitPrice"].last().astype(float)
        assert products["price"].sort_index().tolist() == latest_price.sort_index().tolist()
    finally:
        con.close()


def test_cli_exit_status_and_messages(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    missing = write(tmp_path, "m.csv", "ref,user_id,ts\na,u,2024-01-01\n")
    assert main(["import", "orders", str(missing), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "needs a column 'order_id'" in err and "(--map order_id=COLUMN)" in err
    assert main(["import", "orders", str(missing), "--db", db, "--map", "order_id=ref"]) == 0
    assert main(["import", "orders", str(missing), "--db", db, "--map", "order_id=ref"]) == 2
    assert "(--replace)" in capsys.readouterr().err
    assert main(["import", "orders", str(missing), "--db", db, "--map", "order_id=ref", "--replace"]) == 0
    assert "replacing batch 1" in capsys.readouterr().out
    nothing = write(tmp_path, "n.csv", "order_id,user_id,ts\na,,2024-01-01\nb,u,soon\n")
    assert main(["import", "orders", str(nothing), "--db", db]) == 1
    out = capsys.readouterr()
    assert "rows loaded               0" in out.out
    assert "no row of 'n.csv' could be loaded" in out.err
    tabbed = write(tmp_path, "t.tsv", "order_id\tuser_id\tts\nx\tu\t05.01.2024\n")
    assert main(["import", "orders", str(tabbed), "--db", db, "--sep", "tab", "--ts-format", "%d.%m.%Y"]) == 0


# --- one file, several tables; exact duplicate lines -----------------------------------------

RETAIL_LINES_MAP = [
    part for target, source in online_retail.LINE_MAPPING.items() for part in ("--map", f"{target}={source}")
]


def newest(lines: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Per ``key``, ``value`` on the key's newest line that has one (by time, then file order): the pandas oracle."""
    had = lines[lines[value] != ""].assign(when=lambda f: pd.to_datetime(f["ts"]), row=lambda f: range(len(f)))
    return had.sort_values(["when", "row"]).groupby(key)[value].last()


def table_rows(con, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_one_orders_import_fills_products_and_users_online_retail(con):
    result = ingest.import_file(con, "orders", RETAIL_SLICE, mapping=online_retail.LINE_MAPPING)
    lines = online_retail.read_lines()
    members = lines[lines["CustomerID"].str.strip() != ""]
    copies = members.duplicated(list(online_retail.LINE_MAPPING.values()))
    assert result.duplicates_found == copies.sum() > 0
    assert result.duplicates_policy == "drop"
    assert (result.rows_read, result.rows_rejected) == (len(lines), len(lines) - len(members))
    assert result.rows_loaded == len(members) - copies.sum() == warehouse.row_count(con, "orders")
    assert (
        result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_merged + result.duplicates_dropped
    )
    assert result.unused_columns == ()

    frame = members.rename(columns={"StockCode": "item", "CustomerID": "user", "InvoiceDate": "ts"})
    frame = frame.assign(
        item=frame["item"].str.strip(),
        user=frame["user"].str.removesuffix(".0"),
        title=frame["Description"].str.strip(),
    )
    products = con.execute("SELECT item_id, title, price, category FROM products").df().set_index("item_id")
    assert sorted(products.index) == sorted(frame["item"].unique())
    assert products["title"].dropna().sort_index().to_dict() == newest(frame, "item", "title").sort_index().to_dict()
    bought = frame[pd.to_numeric(frame["Quantity"]) > 0]
    price = newest(bought, "item", "UnitPrice").astype(float)
    assert products.loc[price.index, "price"].tolist() == price.tolist()
    assert products["category"].isna().all()  # not mapped: nothing written
    users = con.execute("SELECT user_id, country, signup_ts, email FROM users").df().set_index("user_id")
    assert users["country"].sort_index().to_dict() == newest(frame, "user", "Country").sort_index().to_dict()
    assert users[["signup_ts", "email"]].isna().all().all()

    fills = {fill.table: fill for fill in result.filled}
    assert (fills["products"].columns, fills["products"].rows_loaded) == (("title", "price"), len(products))
    assert (fills["users"].columns, fills["users"].rows_new) == (("country",), len(users))
    batches = con.execute(
        "SELECT batch_id, table_name, source_name, sha256, rows_read, rows_loaded, rows_rejected, duplicates_found, "
        "duplicates_policy FROM import_batches ORDER BY batch_id"
    ).fetchall()
    sha = ingest.file_sha256(RETAIL_SLICE)
    name = RETAIL_SLICE.name
    assert batches == [
        (
            result.batch_id,
            "orders",
            name,
            sha,
            len(lines),
            result.rows_loaded,
            result.rows_rejected,
            copies.sum(),
            "drop",
        ),
        (fills["products"].batch_id, "products", name, sha, len(members), len(products), 0, 0, "keep"),
        (fills["users"].batch_id, "users", name, sha, len(members), len(users), 0, 0, "keep"),
    ]
    assert con.execute("SELECT DISTINCT batch_id FROM products").fetchall() == [(fills["products"].batch_id,)]
    assert set(ingest.rejects(con, result.batch_id)["reason"]) == {"missing user_id"}


LINES_CSV = """order_id,user_id,item_id,ts,quantity,unit_price,Description,Country,Colour
o2,u1,A,2024-02-01 10:00,1,4.0,RED MUG (NEW),FR,red
o1,u1,A,2024-01-01 10:00,2,3.0,RED MUG,UK,red
o1,u1,B,2024-01-01 10:00,1,9.0,,UK,blue
o3,u2,B,2024-03-01 10:00,-1,8.0,BLUE CUP,,blue
o3,u2,C,2024-03-01 10:00,1,1.5,POSTAGE,DE,
o4,u2,C,2024-03-01 10:00,1,1.5,POSTAGE,DE,
"""


def test_newest_line_wins_and_columns_the_file_does_not_carry_are_kept(con, tmp_path):
    products = write(
        tmp_path, "p.csv", "item_id,title,category,brand,price\nA,Mug,kitchen,Acme,2\nB,Cup,kitchen,,7\nZ,Hat,,,1\n"
    )
    users = write(tmp_path, "u.csv", "user_id,signup_ts,country,email\nu1,2023-06-01,ES,a@x.com\nu9,2023-01-01,IT,\n")
    ingest.import_file(con, "products", products)
    ingest.import_file(con, "users", users)
    untouched = (table_rows(con, "products")[-1], table_rows(con, "users")[-1])  # Z and u9: not in the file

    path = write(tmp_path, "lines.csv", LINES_CSV)  # not in time order: o2 is the newest line of u1 and A
    mapping = {"title": "Description", "country": "Country"}
    result = ingest.import_file(con, "orders", path, mapping=mapping)
    assert result.unused_columns == ("Colour",)
    assert {fill.table: (fill.rows_loaded, fill.rows_new) for fill in result.filled} == {
        "products": (3, 1),
        "users": (2, 1),
    }
    rows = con.execute("SELECT item_id, title, category, brand, price FROM products ORDER BY 1").fetchall()
    assert rows == [
        ("A", "RED MUG (NEW)", "kitchen", "Acme", 4.0),  # the newest line's title and unit price
        ("B", "BLUE CUP", "kitchen", None, 9.0),  # a return's price is not the latest price
        ("C", "POSTAGE", None, None, 1.5),
        ("Z", "Hat", None, None, 1.0),
    ]
    rows = con.execute("SELECT user_id, country, signup_ts, email FROM users ORDER BY 1").fetchall()
    assert rows == [
        ("u1", "FR", pd.Timestamp("2023-06-01").to_pydatetime(), "a@x.com"),
        ("u2", "DE", None, None),  # its newest line has no country: the one before gives it
        ("u9", "IT", pd.Timestamp("2023-01-01").to_pydatetime(), None),
    ]
    assert (table_rows(con, "products")[-1], table_rows(con, "users")[-1]) == untouched


def test_a_mapped_price_is_the_products_price(con, tmp_path):
    path = write(tmp_path, "lines.csv", "order_id,user_id,item_id,ts,unit_price,list\no1,u,A,2024-01-01,3,5\n")
    result = ingest.import_file(con, "orders", path, mapping={"price": "list"})
    assert con.execute("SELECT item_id, title, price FROM products").fetchall() == [("A", None, 5.0)]
    assert [fill.columns for fill in result.filled] == [("price",)]


def test_an_orders_import_without_extra_columns_fills_nothing_else(con, tmp_path):
    result = ingest.import_file(con, "orders", write(tmp_path, "lines.csv", LINES_CSV))
    assert result.filled == ()
    assert result.unused_columns == ("Description", "Country", "Colour")  # same-name columns only; never by name
    assert counts(con)["products"] == counts(con)["users"] == 0
    assert con.execute("SELECT DISTINCT table_name FROM import_batches").fetchall() == [("orders",)]


@pytest.mark.parametrize("policy", ["drop", "keep"])
def test_exact_duplicate_lines_are_counted_and_dropped_or_kept(con, tmp_path, policy):
    path = write(
        tmp_path,
        "lines.csv",
        LINES_CSV + LINES_CSV.splitlines()[1] + "\n" + "o2,u1,A,2024-02-01 10:00,1,4.0,RED MUG (NEW),FR,blue\n",
    )
    mapping = {"title": "Description", "country": "Country"}
    result = ingest.import_file(con, "orders", path, mapping=mapping, duplicates=policy)
    lines = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Colour is not mapped: a line that differs only there is a duplicate; one that differs in a mapped column is not.
    copies = int(lines.drop(columns="Colour").duplicated().sum())
    assert result.duplicates_found == copies == 2
    assert result.duplicates_dropped == (copies if policy == "drop" else 0)
    assert result.rows_loaded == len(lines) - result.duplicates_dropped
    assert (
        result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_merged + result.duplicates_dropped
    )
    kept = lines.drop(columns="Colour").drop_duplicates() if policy == "drop" else lines
    revenue = (pd.to_numeric(kept["quantity"]) * pd.to_numeric(kept["unit_price"])).sum()
    assert con.execute("SELECT sum(quantity * unit_price) FROM orders").fetchone()[0] == pytest.approx(revenue)
    batch = con.execute(
        "SELECT duplicates_found, duplicates_policy FROM import_batches WHERE batch_id = ?", [result.batch_id]
    ).fetchone()
    assert batch == (copies, policy)
    assert ingest.recent_batches(con).set_index("batch_id").loc[result.batch_id, "duplicates_found"] == copies


def test_duplicates_of_events_are_counted_too_and_users_merge_them(con, tmp_path):
    events = write(
        tmp_path, "e.csv", "user_id,ts,event_type\nu,2024-01-01,view\nu,2024-01-01,view\nu,2024-01-02,view\n"
    )
    result = ingest.import_file(con, "events", events)
    assert (result.duplicates_found, result.rows_loaded, result.rows_merged) == (1, 2, 0)
    users = write(tmp_path, "u.csv", "user_id,country\nu,UK\nu,UK\n")
    result = ingest.import_file(con, "users", users, duplicates="drop")
    assert (result.duplicates_found, result.duplicates_policy, result.rows_merged) == (0, "keep", 1)
    with pytest.raises(DataError, match="duplicates must be one of drop, keep"):
        ingest.import_file(con, "orders", write(tmp_path, "o.csv", ORDERS_CSV), duplicates="merge")


def test_a_bad_value_in_an_extra_column_rejects_its_line(con, tmp_path):
    text = "order_id,user_id,item_id,ts,list,joined\no1,u,A,2024-01-01,5,2023-01-01\no2,u,B,2024-01-01,£5,\no3,v,B,2024-01-01,,soon\n"
    result = ingest.import_file(
        con, "orders", write(tmp_path, "o.csv", text), mapping={"price": "list", "signup_ts": "joined"}
    )
    assert rejects_of(con, result.batch_id) == [(3, "non-numeric price"), (4, "unparseable signup_ts")]
    assert con.execute("SELECT item_id, price FROM products").fetchall() == [("A", 5.0)]
    assert con.execute("SELECT user_id, signup_ts FROM users").fetchall() == [
        ("u", pd.Timestamp("2023-01-01").to_pydatetime())
    ]


def test_refused_mappings_write_nothing(con, tmp_path):
    path = write(tmp_path, "lines.csv", LINES_CSV)
    with pytest.raises(DataError) as error:
        ingest.import_file(con, "orders", path, mapping={"colour": "Colour"})
    assert "orders has no column 'colour'" in str(error.value)
    assert "to fill products too: title, category, brand, price, description" in str(error.value)
    assert "to fill users too: signup_ts, country, channel, email" in str(error.value)
    no_items = write(tmp_path, "no_items.csv", "order_id,user_id,ts,Description\no1,u,2024-01-01,MUG\n")
    with pytest.raises(DataError, match="title would fill products, which needs the file's 'item_id' column"):
        ingest.import_file(con, "orders", no_items, mapping={"title": "Description"})
    with pytest.raises(DataError, match="users has no column 'title'"):
        ingest.import_file(con, "users", path, mapping={"title": "Description"})  # only orders fill other tables
    assert counts(con) == dict.fromkeys(counts(con), 0)


def test_a_failure_mid_way_leaves_orders_products_and_users_as_they_were(con, tmp_path, monkeypatch):
    ingest.import_file(con, "products", write(tmp_path, "p.csv", "item_id,title,category\nA,Mug,kitchen\n"))
    ingest.import_file(con, "users", write(tmp_path, "u.csv", "user_id,country\nu1,ES\n"))
    ingest.import_file(con, "orders", write(tmp_path, "o.csv", ORDERS_CSV))
    tables = ["orders", "products", "users", "import_batches", "import_rejects"]
    before = {table: table_rows(con, table) for table in tables}

    def broken_refresh(connection):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "refresh_changed", broken_refresh)  # after orders, products and users were written
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.import_file(
            con,
            "orders",
            write(tmp_path, "lines.csv", LINES_CSV),
            mapping={"title": "Description", "country": "Country"},
        )
    assert {table: table_rows(con, table) for table in tables} == before


def test_replacing_a_line_import_takes_over_its_products_and_users(con, tmp_path):
    path = write(tmp_path, "lines.csv", LINES_CSV)
    mapping = {"title": "Description", "country": "Country"}
    first = ingest.import_file(con, "orders", path, mapping=mapping)
    con.execute("UPDATE products SET category = 'kitchen' WHERE item_id = 'A'")  # as another import would
    again = ingest.import_file(con, "orders", path, mapping=mapping, replace=True)
    assert again.replaced_batches == (first.batch_id,)
    assert warehouse.row_count(con, "orders") == first.rows_loaded
    batches = con.execute("SELECT batch_id, table_name FROM import_batches ORDER BY 1").fetchall()
    assert batches == [(again.batch_id, "orders"), *[(fill.batch_id, fill.table) for fill in again.filled]]
    assert con.execute("SELECT title, category FROM products WHERE item_id = 'A'").fetchone() == (
        "RED MUG (NEW)",
        "kitchen",
    )
    assert con.execute("SELECT count(*), count(DISTINCT batch_id) FROM users").fetchone() == (2, 1)


def test_one_import_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    assert main(["import", "orders", str(RETAIL_SLICE), "--db", db, *RETAIL_LINES_MAP]) == 0
    report = capsys.readouterr().out
    lines = online_retail.read_lines()
    members = lines[lines["CustomerID"] != ""]
    copies = members.duplicated().sum()
    assert f"duplicates     {copies:>12,}  (exact copies of an earlier line, dropped)" in report
    assert f"rows loaded    {len(members) - copies:>12,}" in report
    items, customers = members["StockCode"].nunique(), members["CustomerID"].nunique()
    assert f"also filled products as batch 2: {items:,} rows ({items:,} new); columns title, price" in report
    assert f"also filled users as batch 3: {customers:,} rows ({customers:,} new); columns country" in report
    assert "not imported" not in report

    assert main(["import", "orders", str(RETAIL_SLICE), "--db", db, "--map", "colour=Country"]) == 2
    error = capsys.readouterr().err
    assert "orders has no column 'colour'" in error and "title" in error and "country" in error
    with pytest.raises(SystemExit):  # argparse refuses it with the choices
        main(["import", "orders", str(RETAIL_SLICE), "--db", db, *RETAIL_LINES_MAP, "--duplicates", "maybe"])
    assert "invalid choice: 'maybe' (choose from 'drop', 'keep')" in capsys.readouterr().err
