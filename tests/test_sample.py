"""The synthetic shop: determinism, the committed sample, schema, the structure it promises, loading and CLI."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pandas as pd
import pytest

from retention import bootstrap, sample, schema, warehouse
from retention.cli import main
from retention.errors import DataError
from retention.sample import arrays, text

END = pd.Timestamp(sample.DEFAULT_END) + pd.Timedelta(days=1)  # exclusive end of every generated window


def _purchases(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    orders = frames[schema.ORDERS]
    return orders[orders["quantity"] > 0]


def _churn_table(frames: dict[str, pd.DataFrame], days: int = 90) -> pd.DataFrame:
    """Users who bought before the last ``days`` days: their orders, bad experiences and whether they churned."""
    cutoff = END - pd.Timedelta(days=days)
    orders, ratings = frames[schema.ORDERS], frames[schema.RATINGS]
    before = orders[orders["ts"] < cutoff]
    bought = before[before["quantity"] > 0]
    table = bought.groupby("user_id")["order_id"].nunique().rename("orders").to_frame()
    bad = pd.concat(
        [
            ratings.loc[(ratings["ts"] < cutoff) & (ratings["rating"] <= 2), "user_id"],
            before.loc[before["quantity"] < 0, "user_id"],
        ]
    ).value_counts()
    table["bad_experiences"] = bad.reindex(table.index, fill_value=0)
    recent = _purchases(frames).query("ts >= @cutoff")["user_id"]
    table["churned"] = ~table.index.isin(recent)
    table["channel"] = table.index.map(frames[schema.USERS].set_index("user_id")["channel"])
    return table


# ---- determinism and the committed sample ----


def test_same_seed_gives_equal_frames_and_another_seed_differs():
    first = sample.generate(users=300, months=6, seed=3)
    again = sample.generate(users=300, months=6, seed=3)
    other = sample.generate(users=300, months=6, seed=4)
    for table in schema.CANONICAL_COLUMNS:
        pd.testing.assert_frame_equal(first[table], again[table])
    assert not first[schema.ORDERS].equals(other[schema.ORDERS])
    assert not first[schema.USERS]["signup_ts"].equals(other[schema.USERS]["signup_ts"])


def test_committed_sample_equals_generated():
    committed = sample.read_parquet(sample.SAMPLE_DIR)
    generated = sample.generate(**sample.SAMPLE_PARAMS)
    assert set(committed) == set(generated) == set(schema.CANONICAL_COLUMNS)
    for table in schema.CANONICAL_COLUMNS:
        pd.testing.assert_frame_equal(committed[table], generated[table], obj=table)


# SHA-256 (bootstrap.frame_sha256) of each table of generate(**SAMPLE_PARAMS), computed with the generator
# before it was made linear in customers (a numpy score matrix per order): the committed sample's tables. Users
# re-pinned when customers got first names, phones and SMS consent (their own random stream: nothing else moved).
SAMPLE_CHECKSUMS = {
    "users": "b218547be69e186106ee2aae2e7ff9775131492e1bc88fa5d31763235aa078ea",
    "products": "42f156fe6a5ba95337bdc62fa8262a540b7c11ce41dee405040fa89f167c6761",
    "orders": "71e80267c566048d02e6040fc2c166aa39728fc4944a5203e3e99bf5a756039a",
    "events": "078859e8441bf3ca2ac820dda9e35e820b714610494c58a6e2e269d7715c3de7",
    "ratings": "a076ac5b94e0fa0f226c30e0ff224488bb67c7c44ac859fec38ce4e4385624da",
}


def test_default_sample_checksums_are_pinned():
    generated = sample.generate(**sample.SAMPLE_PARAMS)
    assert {table: bootstrap.frame_sha256(frame) for table, frame in generated.items()} == SAMPLE_CHECKSUMS
    committed = sample.read_parquet(sample.SAMPLE_DIR)
    assert {table: bootstrap.frame_sha256(frame) for table, frame in committed.items()} == SAMPLE_CHECKSUMS


def _numpy_choose_items(rng, user_taste, rows, item_taste, log_pop, weight, k):
    """The former item choice, an independent oracle: a score matrix, Gumbel noise, argpartition."""
    scores = np.add.outer(np.zeros(len(rows)), log_pop)
    for dim in range(item_taste.shape[1]):
        scores += user_taste[rows, dim : dim + 1] * (weight * item_taste.T)[dim]
    scores -= np.log(rng.standard_exponential(size=scores.shape))
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)


@pytest.mark.parametrize(("rows", "chunk"), [(0, 16), (7, 16), (50, 16), (64, 16), (300, 2048)])
def test_compiled_item_choice_equals_the_numpy_score_matrix_and_leaves_the_stream_where_it_did(rows, chunk):
    setup = np.random.default_rng(5)
    user_taste, item_taste = setup.normal(size=(40, sample.TASTE_DIM)), setup.normal(size=(230, sample.TASTE_DIM))
    log_pop, users = setup.normal(size=230), setup.integers(40, size=rows)
    fast, slow = np.random.default_rng(9), np.random.default_rng(9)
    chosen = arrays.choose_items(fast, user_taste, users, item_taste, log_pop, 2.0, 6, chunk=chunk)
    np.testing.assert_array_equal(chosen, _numpy_choose_items(slow, user_taste, users, item_taste, log_pop, 2.0, 6))
    assert fast.random() == slow.random()  # the same number of draws was taken
    assert all(len(set(row)) == 6 for row in chosen.tolist())


def test_order_lines_sort_as_their_string_ids_across_digit_counts():
    rng = np.random.default_rng(3)
    n = 400
    sec = rng.integers(0, 4, size=n)
    number = rng.choice([7, 99, 100, 999, 1000, 99999, 100000, 999999, 1000000, 1000001, 10000000], size=n)
    is_return = rng.random(n) < 0.3
    item = rng.integers(0, 3, size=n)
    by = arrays.sort_order_lines(sec, number, is_return, item)
    frame = pd.DataFrame(
        {
            "ts": sec,
            "order_id": [("C" if back else "") + str(value) for back, value in zip(is_return, number, strict=True)],
            "item_id": [f"p{value:04d}" for value in item],
        }
    )
    expected = frame.sort_values(["ts", "order_id", "item_id"], kind="stable").index.to_numpy()
    np.testing.assert_array_equal(frame.iloc[by].index.to_numpy(), expected)


def test_numbered_strings_equal_python_formatting():
    numbers = np.array([0, 5, 12, 999999, 1000000, 31, 123456789])
    flags = np.array([True, False, True, False, True, True, False])
    for (prefix, width, suffix, prefixed), chunk in itertools.product(
        [("u", 5, "", None), ("", 0, "", None), ("user", 0, "@x.com", None), ("C", 0, "", flags)], [1 << 20, 3, 1]
    ):
        got = text.column(text.numbered(numbers, prefix, width, suffix, prefixed=prefixed, chunk=chunk))
        heads = [prefix if prefixed is None or flag else "" for flag in flags]
        expected = pd.Series(
            [f"{head}{str(n).zfill(width)}{suffix}" for head, n in zip(heads, numbers, strict=True)], dtype="str"
        )
        pd.testing.assert_series_equal(got, expected)
    taken = text.column(text.take(["a", "b"], np.array([1, -1, 0])))
    pd.testing.assert_series_equal(taken, pd.Series(["b", None, "a"], dtype="str"))


def test_catalogue_grows_with_users_up_to_a_bound():
    assert [sample.catalogue_size(users) for users in (10, 4000, 5000, 20000, 20040, 1000000)] == [
        200,
        200,
        250,
        1000,
        1000,
        1000,
    ]


def test_committed_sample_is_small():
    sizes = {path.name: path.stat().st_size for path in sample.SAMPLE_DIR.glob("*.parquet")}
    assert set(sizes) == {f"{table}.parquet" for table in schema.CANONICAL_COLUMNS}
    assert sum(sizes.values()) < 8 * 1024 * 1024


def test_parquet_round_trip(sample_frames, tmp_path):
    sample.write_parquet(sample_frames, tmp_path)
    back = sample.read_parquet(tmp_path)
    for table, frame in sample_frames.items():
        pd.testing.assert_frame_equal(back[table], frame, obj=table)


def test_read_parquet_names_the_missing_file(tmp_path):
    with pytest.raises(DataError, match="users.parquet"):
        sample.read_parquet(tmp_path)


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError, match="users must be at least 1"):
        sample.generate(users=0)
    with pytest.raises(ValueError, match="months must be at least 1"):
        sample.generate(users=10, months=0)


# ---- schema ----


def test_frames_have_the_canonical_columns_and_dtypes(sample_frames):
    assert set(sample_frames) == set(schema.CANONICAL_COLUMNS)
    for table, columns in schema.CANONICAL_COLUMNS.items():
        frame = sample_frames[table]
        assert list(frame.columns) == list(columns), table
        assert len(frame) > 0, table
        for column, sql_type in columns.items():
            dtype = frame[column].dtype
            if sql_type == "VARCHAR":
                assert pd.api.types.is_string_dtype(dtype), (table, column, dtype)
            elif sql_type == "TIMESTAMP":
                assert pd.api.types.is_datetime64_dtype(dtype), (table, column, dtype)
            elif sql_type == "BOOLEAN":
                assert dtype == "boolean", (table, column, dtype)
            else:
                assert dtype == "float64", (table, column, dtype)


def test_ids_are_unique_and_required_columns_present(sample_frames):
    for table, key in schema.KEYED_TABLES.items():
        assert sample_frames[table][key].is_unique, table
    for table, required in schema.REQUIRED_COLUMNS.items():
        assert sample_frames[table][list(required)].notna().all().all(), table
    ratings = sample_frames[schema.RATINGS]
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    users = set(sample_frames[schema.USERS]["user_id"])
    items = set(sample_frames[schema.PRODUCTS]["item_id"])
    for table in (schema.ORDERS, schema.EVENTS, schema.RATINGS):
        assert set(sample_frames[table]["user_id"]) <= users, table
        assert set(sample_frames[table]["item_id"].dropna()) <= items, table
    assert sample_frames[schema.USERS]["email"].str.fullmatch(r"user\d+@example\.com").all()
    assert len(sample_frames[schema.PRODUCTS]) == 200  # at least 200 products, else users / 20


def test_values_stay_in_their_ranges(sample_frames):
    start = END - pd.DateOffset(months=18)
    for table, column in [("users", "signup_ts"), ("orders", "ts"), ("events", "ts"), ("ratings", "ts")]:
        values = sample_frames[table][column]
        assert values.min() >= start and values.max() < END, table
        assert (values.dt.microsecond == 0).all(), table
    orders = sample_frames[schema.ORDERS]
    assert set(orders["quantity"].abs()) <= {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}
    assert orders["discount"].between(0, 0.3).all()
    assert set(sample_frames[schema.RATINGS]["rating"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert set(sample_frames[schema.EVENTS]["event_type"]) == set(sample.EVENT_TYPES)
    products = sample_frames[schema.PRODUCTS]
    assert (products["price"] > 0).all()
    assert products["category"].nunique() == len(sample.CATEGORIES)


def test_users_act_only_after_signing_up(sample_frames):
    signup = sample_frames[schema.USERS].set_index("user_id")["signup_ts"]
    for table in (schema.ORDERS, schema.EVENTS, schema.RATINGS):
        frame = sample_frames[table]
        assert (frame["ts"] >= frame["user_id"].map(signup)).all(), table


# ---- structure ----


def test_unit_price_is_list_price_less_discount(sample_frames):
    orders = sample_frames[schema.ORDERS]
    price = orders["item_id"].map(sample_frames[schema.PRODUCTS].set_index("item_id")["price"])
    assert orders["unit_price"].to_numpy() == pytest.approx((price * (1 - orders["discount"])).round(2), abs=0.006)


def test_returns_refer_to_an_earlier_order_line(sample_frames):
    orders = sample_frames[schema.ORDERS]
    returns = orders[orders["quantity"] < 0]
    assert len(returns) > 0
    assert returns["order_id"].str.startswith(sample.RETURN_PREFIX).all()
    original = returns.assign(order_id=returns["order_id"].str.removeprefix(sample.RETURN_PREFIX)).merge(
        _purchases(sample_frames), on=["order_id", "user_id", "item_id"], suffixes=("_return", "")
    )
    assert len(original) == len(returns)
    assert (original["ts_return"] > original["ts"]).all()
    assert (original["quantity_return"] == -original["quantity"]).all()


def test_november_and_december_sell_more_per_day_than_the_year(sample_frames):
    orders = _purchases(sample_frames).drop_duplicates("order_id")
    year = orders[orders["ts"] >= END - pd.DateOffset(years=1)]
    year_per_day = len(year) / 365
    peak = year[year["ts"].dt.month.isin([11, 12])]
    assert len(peak) / (30 + 31) > 1.2 * year_per_day


def test_promotion_orders_are_discounted_and_more_frequent(sample_frames):
    orders = _purchases(sample_frames).drop_duplicates("order_id")
    day = orders["ts"].dt.normalize()
    in_promotion = pd.Series(False, index=orders.index)
    promotion_days = 0
    for year in day.dt.year.unique():
        for _, month, first_day, days, _ in sample.PROMOTIONS:
            start = pd.Timestamp(year=year, month=month, day=first_day)
            in_promotion |= day.between(start, start + pd.Timedelta(days=days - 1))
            promotion_days += len(pd.date_range(start, periods=days).intersection(pd.DatetimeIndex(day.unique())))
    assert in_promotion.sum() > 0
    assert (orders.loc[in_promotion, "discount"] > 0).all()
    assert orders.loc[~in_promotion, "discount"].eq(0).mean() > 0.8  # outside promotions most orders pay full price
    other_days = day.nunique() - promotion_days
    assert in_promotion.sum() / promotion_days > 1.2 * (~in_promotion).sum() / other_days


def test_popularity_is_skewed(sample_frames):
    counts = _purchases(sample_frames)["item_id"].value_counts()
    top_tenth = counts.head(len(sample_frames[schema.PRODUCTS]) // 10).sum()
    assert top_tenth / counts.sum() > 0.25  # the top 10% of products sell well over 10% of lines


def test_repeat_purchases_concentrate_in_the_first_category(sample_frames):
    """Later purchases fall in the categories of a user's first order far more often than chance."""
    category = sample_frames[schema.PRODUCTS].set_index("item_id")["category"]
    share_of_catalogue = category.value_counts(normalize=True)
    lines = _purchases(sample_frames).assign(category=lambda d: d["item_id"].map(category))
    first_order = lines.groupby("user_id")["order_id"].transform("first")
    first = lines.loc[lines["order_id"] == first_order, ["user_id", "category"]].drop_duplicates()
    later = lines[lines["order_id"] != first_order]
    hits = later.merge(first, on=["user_id", "category"])
    chance = first.assign(share=first["category"].map(share_of_catalogue)).groupby("user_id")["share"].sum()
    expected = later["user_id"].map(chance).mean()  # share of later lines in those categories if picked at random
    assert len(hits) / len(later) > 3 * expected


def test_ratings_follow_taste(sample_frames):
    """Items in the category a user bought most are rated higher than the user's other items."""
    category = sample_frames[schema.PRODUCTS].set_index("item_id")["category"]
    lines = _purchases(sample_frames).assign(category=lambda d: d["item_id"].map(category))
    favourite = lines.groupby("user_id")["category"].agg(lambda s: s.value_counts().index[0])
    ratings = sample_frames[schema.RATINGS].assign(category=lambda d: d["item_id"].map(category))
    in_favourite = ratings["category"].to_numpy() == ratings["user_id"].map(favourite).to_numpy()
    assert ratings.loc[in_favourite, "rating"].mean() > ratings.loc[~in_favourite, "rating"].mean() + 0.2
    assert 0.15 < len(ratings) / len(lines) < 0.45  # about a third of purchased items get a rating


def test_bad_experiences_raise_churn(sample_frames):
    table = _churn_table(sample_frames)
    table = table[table["orders"] >= 2]
    with_bad = table.loc[table["bad_experiences"] >= 1, "churned"]
    without = table.loc[table["bad_experiences"] == 0, "churned"]
    assert len(with_bad) >= 30 and len(without) >= 30
    assert with_bad.mean() > without.mean() + 0.05


def test_more_orders_lower_churn(sample_frames):
    table = _churn_table(sample_frames)
    assert table.loc[table["orders"] >= 5, "churned"].mean() < table.loc[table["orders"] == 1, "churned"].mean()


def test_paid_and_social_users_churn_more_than_email_and_organic():
    table = _churn_table(sample.read_parquet(sample.SAMPLE_DIR))  # the 5,000-user sample: channels are small groups
    risky = table.loc[table["channel"].isin(["paid_search", "social"]), "churned"].mean()
    loyal = table.loc[table["channel"].isin(["email", "organic"]), "churned"].mean()
    assert risky > loyal + 0.05


def test_lapsing_users_browse_without_buying(sample_frames):
    """In the six weeks after a lapsed user's last order they open more sessions without a cart than before."""
    signup = sample_frames[schema.USERS].set_index("user_id")["signup_ts"]
    last_order = _purchases(sample_frames).groupby("user_id")["ts"].max()
    lapsed = last_order[last_order < END - pd.Timedelta(days=120)]
    events = sample_frames[schema.EVENTS]
    sessions = events.groupby("session_id").agg(
        user_id=("user_id", "first"),
        start=("ts", "min"),
        carts=("event_type", lambda types: (types == sample.EVENT_ADD_TO_CART).sum()),
    )
    browsing = sessions[(sessions["carts"] == 0) & sessions["user_id"].isin(lapsed.index)]
    days_after_last_order = (browsing["start"] - browsing["user_id"].map(lapsed)) / pd.Timedelta(days=1)
    before = (days_after_last_order <= 0).sum() / (lapsed - signup[lapsed.index]).dt.days.clip(lower=1).sum()
    after = days_after_last_order.between(0, 42, inclusive="right").sum() / (42 * len(lapsed))
    assert after > 1.2 * before


def test_churned_users_stop_browsing(sample_frames):
    """Users without an order in the last 180 days browse far less once two months have passed."""
    signup = sample_frames[schema.USERS].set_index("user_id")["signup_ts"]
    last_order = _purchases(sample_frames).groupby("user_id")["ts"].max()
    gone = last_order[last_order < END - pd.Timedelta(days=180)]
    quiet_from = gone + pd.Timedelta(days=60)
    events = sample_frames[schema.EVENTS]
    events = events[events["user_id"].isin(gone.index)]
    while_buying = (events["ts"] <= events["user_id"].map(gone)).sum()
    when_gone = (events["ts"] > events["user_id"].map(quiet_from)).sum()
    days_buying = (gone - signup[gone.index]).dt.days.clip(lower=1).sum()
    days_gone = (END - quiet_from).dt.days.sum()
    assert len(gone) > 20
    assert when_gone / days_gone < 0.2 * while_buying / days_buying


def test_purchase_sessions_precede_their_orders(sample_frames):
    """Every order has a session of its user that put all its items in the cart in the hour before it."""
    events = sample_frames[schema.EVENTS]
    session_end = events.groupby("session_id")["ts"].max().rename("session_end")
    carts = events[events["event_type"] == sample.EVENT_ADD_TO_CART].join(session_end, on="session_id")
    lines = _purchases(sample_frames)[["order_id", "user_id", "item_id", "ts"]]
    matched = lines.merge(carts[["user_id", "item_id", "session_id", "session_end"]], on=["user_id", "item_id"])
    matched = matched[
        (matched["session_end"] < matched["ts"]) & (matched["session_end"] >= matched["ts"] - pd.Timedelta(hours=1))
    ]
    items_per_order = lines.groupby("order_id")["item_id"].nunique()
    in_cart = matched.groupby(["order_id", "session_id"])["item_id"].nunique().reset_index(level="session_id")
    covering = in_cart[in_cart["item_id"] == items_per_order.reindex(in_cart.index)]
    assert set(covering.index) == set(lines["order_id"])


def test_sessions_start_with_session_start_and_some_browse_without_buying(sample_frames):
    events = sample_frames[schema.EVENTS]
    first = events.groupby("session_id", sort=False)["event_type"].first()
    assert (first == sample.EVENT_SESSION_START).all()
    sessions = events["session_id"].nunique()
    orders = _purchases(sample_frames)["order_id"].nunique()
    assert sessions > 1.2 * orders  # sessions without a purchase
    assert 3 <= len(events) / len(_purchases(sample_frames)) <= 6


# ---- loading ----


def test_sample_db_holds_the_frames_with_one_batch_per_table(sample_db, sample_frames):
    con = warehouse.connect(sample_db)
    try:
        batches = con.execute("SELECT batch_id, table_name, sha256, rows_loaded FROM import_batches").df()
        assert sorted(batches["table_name"]) == sorted(schema.CANONICAL_COLUMNS)
        for row in batches.itertuples():
            frame = sample_frames[row.table_name]
            assert row.rows_loaded == len(frame)
            assert row.sha256 == bootstrap.table_sha256(bootstrap.arrow_table(frame))
            ids = con.execute(f'SELECT DISTINCT batch_id FROM "{row.table_name}"').fetchall()
            assert ids == [(row.batch_id,)]
        revenue = con.execute("SELECT sum(quantity * unit_price) FROM orders").fetchone()[0]
    finally:
        con.close()
    orders = sample_frames[schema.ORDERS]
    assert revenue == pytest.approx((orders["quantity"] * orders["unit_price"]).sum())


def test_tables_one_at_a_time_equal_generate_and_load_the_same_warehouse(tmp_path):
    params = dict(users=120, months=5, seed=4)
    whole = sample.generate(**params)
    lazily = sample.tables(**params)
    assert next(lazily)[0] == schema.USERS  # the first table comes before the simulation runs
    pairs = [(schema.USERS, whole[schema.USERS]), *lazily]
    assert [table for table, _ in pairs] == list(schema.CANONICAL_COLUMNS)
    for table, frame in pairs:
        pd.testing.assert_frame_equal(frame, whole[table])
    loaded = {}
    for name, frames in (("dict", whole), ("pairs", sample.tables(**params))):
        con = warehouse.connect(tmp_path / f"{name}.duckdb")
        try:
            counts = sample.load_frames(con, frames, source=name)
            batches = con.execute("SELECT batch_id, table_name, sha256, rows_loaded FROM import_batches").fetchall()
            rollup = con.execute("SELECT * FROM rollup_event_periods ORDER BY ALL").fetchall()
        finally:
            con.close()
        assert counts == {table: len(frame) for table, frame in whole.items()}
        loaded[name] = (batches, rollup)
    assert loaded["pairs"] == loaded["dict"]


def test_tables_checks_its_arguments_at_once_and_load_frames_refuses_a_table_twice(tmp_path):
    with pytest.raises(ValueError, match="users must be at least 1"):
        sample.tables(users=0)
    frames = sample.generate(users=40, months=2, seed=2)
    twice = [(schema.USERS, frames[schema.USERS]), (schema.USERS, frames[schema.USERS])]
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(DataError, match="'users' was given twice"):
            sample.load_frames(con, iter(twice), source="twice")
        assert warehouse.row_count(con, schema.USERS) == 0
    finally:
        con.close()


def test_loading_into_a_warehouse_with_orders_is_refused_and_changes_nothing(tmp_path):
    # A warehouse of its own: sample_db may be open read-only elsewhere in this process.
    frames = sample.generate(users=50, months=2, seed=1)
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        sample.load_frames(con, frames, source="first")
        before = {table: warehouse.row_count(con, table) for table in (*schema.CANONICAL_COLUMNS, "import_batches")}
        with pytest.raises(DataError, match=r"already holds 50 users, 200 products, \d+ orders"):
            sample.load_frames(con, frames, source="again")
        after = {table: warehouse.row_count(con, table) for table in before}
    finally:
        con.close()
    assert after == before


def test_load_frames_is_one_transaction(sample_frames, tmp_path):
    frames = dict(sample_frames)
    ratings = frames[schema.RATINGS].copy()
    ratings["user_id"] = ratings["user_id"].where(ratings.index != 5)  # NOT NULL violated by the last table
    frames[schema.RATINGS] = ratings
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(Exception, match="NOT NULL"):
            sample.load_frames(con, frames, source="broken")
        counts = {table: warehouse.row_count(con, table) for table in (*schema.CANONICAL_COLUMNS, "import_batches")}
    finally:
        con.close()
    assert set(counts.values()) == {0}


def test_load_frames_fills_optional_columns_and_names_missing_required_ones(tmp_path):
    orders = pd.DataFrame({"order_id": ["1"], "user_id": ["a"], "ts": [pd.Timestamp("2025-01-01 10:00")]})
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(DataError, match="'ratings' lacks the required column.s. rating"):
            sample.load_frames(con, {"ratings": pd.DataFrame({"user_id": ["a"], "item_id": ["x"]})}, source="bad")
        sample.load_frames(con, {"orders": orders}, source="orders only")
        row = con.execute("SELECT item_id, quantity, unit_price, discount FROM orders").fetchone()
    finally:
        con.close()
    assert row == (None, 1.0, 0.0, 0.0)


def test_load_frames_matches_columns_by_name_whatever_their_order(tmp_path):
    orders = pd.DataFrame(
        {
            "discount": [0.1],
            "ts": [pd.Timestamp("2025-01-01 10:00")],
            "unit_price": [2.5],
            "user_id": ["a"],
            "order_id": ["1"],
            "note": ["not a canonical column: left out"],
        }
    )
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        bootstrap.load_frames(con, {"orders": orders}, source="shuffled")
        row = con.execute("SELECT order_id, user_id, ts, quantity, unit_price, discount FROM orders").fetchone()
    finally:
        con.close()
    assert row == ("1", "a", pd.Timestamp("2025-01-01 10:00").to_pydatetime(), 1.0, 2.5, 0.1)


def test_sample_keeps_the_loading_functions_of_the_bootstrap():
    # The simulator and the warehouse bootstrap are separate modules; `sample.<loader>` still works.
    for name in ("load_frames", "build_warehouse", "ensure_default_warehouse", "read_parquet", "write_parquet"):
        assert getattr(sample, name) is getattr(bootstrap, name)
    assert sample.SAMPLE_DIR == bootstrap.SAMPLE_DIR


def test_default_db_is_the_committed_sample(default_db):
    committed = sample.read_parquet(sample.SAMPLE_DIR)
    con = warehouse.connect(default_db)
    try:
        counts = {table: warehouse.row_count(con, table) for table in schema.CANONICAL_COLUMNS}
    finally:
        con.close()
    assert counts == {table: len(frame) for table, frame in committed.items()}


# ---- command line ----


def test_cli_sample_loads_then_refuses_a_second_load(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    assert main(["sample", "--db", db, "--users", "120", "--months", "4", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "users" in out and "120 rows" in out and "done in" in out
    con = warehouse.connect(db, read_only=True)
    try:
        assert warehouse.row_count(con, schema.USERS) == 120
        assert warehouse.row_count(con, schema.ORDERS) > 0
    finally:
        con.close()
    assert main(["sample", "--db", db, "--users", "120"]) == 2
    assert "is not empty (it holds users, products, orders" in capsys.readouterr().err


def test_cli_sample_export_dir(tmp_path, capsys):
    out_dir = tmp_path / "export"
    assert main(["sample", "--export-dir", str(out_dir), "--users", "80", "--months", "3"]) == 0
    assert "wrote 5 parquet files" in capsys.readouterr().out
    frames = sample.read_parquet(out_dir)
    pd.testing.assert_frame_equal(frames[schema.USERS], sample.generate(users=80, months=3)[schema.USERS])


def test_cli_sample_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["sample", "--db", str(tmp_path / "w.duckdb"), "--users", "0"])
    assert main(["sample", "--export-dir", str(tmp_path), "--users", "10", "--end", "not a date"]) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_init_builds_the_sample_once_at_the_default_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(warehouse.DB_ENV_VAR, raising=False)
    assert main(["init"]) == 0
    assert "built warehouse data/warehouse.duckdb with the synthetic sample shop" in capsys.readouterr().out
    committed = sample.read_parquet(sample.SAMPLE_DIR)
    con = warehouse.connect(warehouse.DEFAULT_DB, read_only=True)
    try:
        assert warehouse.row_count(con, schema.ORDERS) == len(committed[schema.ORDERS])
    finally:
        con.close()
    # `make run` passes the default path explicitly: the file exists now, so nothing is built again.
    assert main(["init", "--db", "data/warehouse.duckdb"]) == 0
    assert "already exists; nothing built" in capsys.readouterr().out


def test_cli_init_with_the_default_path_given_builds_the_sample(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(warehouse.DB_ENV_VAR, "data/warehouse.duckdb")
    assert main(["init", "--db", str(tmp_path / "data" / "warehouse.duckdb")]) == 0
    assert "with the synthetic sample shop" in capsys.readouterr().out


def _rows(db: str) -> dict[str, int]:
    con = warehouse.connect(db, read_only=True)
    try:
        return {table: warehouse.row_count(con, table) for table in (*schema.CANONICAL_COLUMNS, "import_batches")}
    finally:
        con.close()


def test_cli_init_elsewhere_makes_an_empty_warehouse(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for db in (str(tmp_path / "w.duckdb"), "data/shop.duckdb"):
        assert main(["init", "--db", db]) == 0
        out = capsys.readouterr().out
        assert f"created an empty warehouse {db}" in out and "only at the default path" in out
        assert set(_rows(db).values()) == {0}
        assert main(["init", "--db", db]) == 0
        assert "already exists" in capsys.readouterr().out
    monkeypatch.setenv(warehouse.DB_ENV_VAR, "env.duckdb")
    assert main(["init"]) == 0
    assert "created an empty warehouse env.duckdb" in capsys.readouterr().out
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


def test_cli_init_empty(tmp_path, monkeypatch, capsys, sample_db):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(warehouse.DB_ENV_VAR, raising=False)
    assert main(["init", "--empty"]) == 0  # at the default path too
    assert "created an empty warehouse data/warehouse.duckdb" in capsys.readouterr().out
    assert set(_rows("data/warehouse.duckdb").values()) == {0}
    assert main(["init", "--empty"]) == 0
    assert "holds no rows; nothing changed" in capsys.readouterr().out
    before = _rows(sample_db)
    assert main(["init", "--empty", "--db", sample_db]) == 2
    err = capsys.readouterr().err
    assert "already holds 600 users" in err and "sample --remove" in err
    assert _rows(sample_db) == before


def test_cli_sample_remove(tmp_path, sample_db, capsys):
    db = str(tmp_path / "w.duckdb")
    shutil.copy(sample_db, db)
    before = _rows(db)
    assert main(["sample", "--remove", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"removed the sample data from {db}: {before['users']:,} users, {before['products']:,} products" in out
    assert "the warehouse is now empty" in out
    assert set(_rows(db).values()) == {0}
    assert main(["sample", "--remove", "--db", db]) == 2
    assert "holds no sample data" in capsys.readouterr().err
    assert main(["sample", "--remove", "--db", str(tmp_path / "missing.duckdb")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()
    with pytest.raises(SystemExit):  # one action at a time
        main(["sample", "--remove", "--export-dir", str(tmp_path), "--db", db])
