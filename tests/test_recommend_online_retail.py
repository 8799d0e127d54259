"""Recommenders on real data: the committed Online Retail slice, implicit feedback from messy order lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from online_retail import ORDER_MAPPING, PRODUCT_MAPPING, SLICE

from retention import ingest, non_products, warehouse
from retention.recommend import evaluate, feedback, serve


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = warehouse.connect(tmp_path_factory.mktemp("online_retail") / "w.duckdb")
    ingest.import_file(connection, "orders", SLICE, mapping=ORDER_MAPPING)
    ingest.import_file(connection, "products", SLICE, mapping=PRODUCT_MAPPING)
    yield connection
    connection.close()


def implicit_ratings_by_hand(lines: pd.DataFrame, recent_days: int = feedback.RECENT_DAYS) -> pd.Series:
    """The documented rule, computed independently with pandas from the imported order lines."""
    lines = lines[lines["item_id"].notna()]
    end = lines["ts"].max()
    bought = lines[lines["quantity"] > 0].groupby(["user_id", "item_id"])
    returned = -lines[lines["quantity"] < 0].groupby(["user_id", "item_id"])["quantity"].sum()
    table = pd.DataFrame(
        {"orders": bought["order_id"].nunique(), "units": bought["quantity"].sum(), "last": bought["ts"].max()}
    )
    table["returned"] = returned.reindex(table.index).fillna(0.0)
    rating = 2 + np.minimum(table["orders"] - 1, 2) + (table["last"] >= end - pd.Timedelta(days=recent_days))
    rating -= np.where(table["returned"] >= 0.5 * table["units"], 2, np.where(table["returned"] > 0, 1, 0))
    return rating.clip(1, 5).astype(float)


def test_implicit_feedback_matches_pandas_on_real_lines(con):
    got = feedback.load_feedback(con)
    assert got.kind == feedback.IMPLICIT
    lines = con.execute("SELECT order_id, user_id, item_id, ts, quantity FROM orders").df()
    expected = implicit_ratings_by_hand(lines[~lines["item_id"].isin(non_products.kept_out(con))])
    actual = got.frame.set_index(["user_id", "item_id"])["rating"]
    assert len(actual) == len(expected)
    pd.testing.assert_series_equal(
        actual.sort_index(), expected.sort_index().rename("rating"), check_index_type=False, check_names=False
    )


def test_models_run_on_real_data_and_unknown_customers_get_popular_items(con):
    split = evaluate.random_split(con, folds=3)
    results = evaluate.compare(
        split, {"popularity": None, "svd": {"n_factors": 10, "n_epochs": 5}, "content": None}
    ).results
    assert all(0 <= result.metrics["ndcg_at_k"] <= 1 for result in results)
    assert all(result.metrics["coverage"] > 0 for result in results)
    recommender = serve.fit_recommender(con, "content")
    customer = feedback.active_users(feedback.load_feedback(con), 1).index[0]
    table = serve.recommend(con, recommender, [customer, "no-such-customer"], k=5)
    assert table.groupby("user_id")["source"].first().to_dict() == {customer: "model", "no-such-customer": "popular"}
    assert table["title"].notna().all()
