"""Feedback: implicit ratings from purchases checked against a hand computation; explicit ratings; bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from retention import sample, schema, warehouse
from retention.errors import DataError
from retention.recommend import feedback as fb


def make_warehouse(path, **frames: pd.DataFrame) -> str:
    """A warehouse holding the given canonical frames; missing optional columns are left empty."""
    full = {}
    for table, frame in frames.items():
        frame = frame.copy()
        for column in schema.CANONICAL_COLUMNS[table]:
            if column not in frame:
                frame[column] = schema.COLUMN_DEFAULTS.get(table, {}).get(column)
        full[table] = frame
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, full, source="test")
    finally:
        con.close()
    return str(path)


def order_lines(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    """(order_id, user_id, item_id, ts, quantity) tuples as an orders frame."""
    frame = pd.DataFrame(rows, columns=["order_id", "user_id", "item_id", "ts", "quantity"])
    return frame.assign(ts=pd.to_datetime(frame["ts"]), unit_price=1.0, discount=0.0)


@pytest.fixture(scope="module")
def purchases_db(tmp_path_factory):
    lines = order_lines(
        [
            # a: item x in 3 orders, last one recent -> 4 + 1 = 5 (clipped at 5)
            ("o1", "a", "x", "2025-01-01", 1),
            ("o2", "a", "x", "2025-02-01", 1),
            ("o3", "a", "x", "2025-06-20", 2),
            # a: item y once, long ago, half of 2 units returned -> 2 - 2 = 0 -> 1
            ("o1", "a", "y", "2025-01-01", 2),
            ("r1", "a", "y", "2025-01-05", -1),
            # b: item x twice, long ago -> 3; item z once, recent, 1 of 4 units returned -> 2 + 1 - 1 = 2
            ("o4", "b", "x", "2025-01-10", 1),
            ("o5", "b", "x", "2025-02-10", 1),
            ("o6", "b", "z", "2025-06-29", 4),
            ("r2", "b", "z", "2025-06-30", -1),
            # c: only a return, no purchase -> no feedback row; a line without item -> ignored
            ("r3", "c", "x", "2025-03-01", -1),
            ("o7", "c", None, "2025-03-01", 1),
        ]
    )
    return make_warehouse(tmp_path_factory.mktemp("purchases") / "w.duckdb", orders=lines)


def test_implicit_ratings_follow_the_documented_rule(purchases_db):
    con = warehouse.connect(purchases_db)
    try:
        feedback = fb.load_feedback(con)
    finally:
        con.close()
    assert feedback.kind == fb.IMPLICIT
    got = feedback.frame.set_index(["user_id", "item_id"])["rating"].to_dict()
    assert got == {("a", "x"): 5.0, ("a", "y"): 1.0, ("b", "x"): 3.0, ("b", "z"): 2.0}
    assert feedback.rating_scale == (1.0, 5.0)
    assert "implicit rating" in feedback.rule


def test_implicit_window_ends_at_the_cutoff(purchases_db):
    con = warehouse.connect(purchases_db)
    try:
        feedback = fb.load_feedback(con, end=pd.Timestamp("2025-03-01"))
    finally:
        con.close()
    # window end = last purchase before the cutoff (2025-02-10): a/x twice -> 3, +1 recent; b/x twice, recent -> 4.
    got = feedback.frame.set_index(["user_id", "item_id"])["rating"].to_dict()
    assert got == {("a", "x"): 3.0 + 1, ("a", "y"): 1.0, ("b", "x"): 3.0 + 1}


def test_explicit_ratings_win_and_the_latest_rating_counts(tmp_path):
    ratings = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": ["x", "x", "y"],
            "rating": [2.0, 5.0, 4.0],
            "ts": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-15"]),
        }
    )
    path = make_warehouse(
        tmp_path / "w.duckdb", ratings=ratings, orders=order_lines([("o", "a", "z", "2025-01-01", 1)])
    )
    con = warehouse.connect(path)
    try:
        feedback = fb.load_feedback(con)
        source = fb.feedback_source(con)
    finally:
        con.close()
    assert source.kind == fb.RATINGS and source.rows == 3
    assert feedback.frame[["user_id", "item_id", "rating"]].values.tolist() == [["a", "x", 5.0], ["b", "y", 4.0]]
    assert feedback.rating_scale == (4.0, 5.0)


def test_no_feedback_is_a_clear_error(tmp_path):
    lines = order_lines([("o1", "a", None, "2025-01-01", 1)])
    path = make_warehouse(tmp_path / "w.duckdb", orders=lines)
    con = warehouse.connect(path)
    try:
        with pytest.raises(DataError, match="no ratings and no purchases with an item id"):
            fb.load_feedback(con)
    finally:
        con.close()


def test_user_history_joins_titles_newest_first(purchases_db):
    con = warehouse.connect(purchases_db)
    try:
        feedback = fb.load_feedback(con)
    finally:
        con.close()
    products = pd.DataFrame({"item_id": ["x"], "title": ["Teapot"], "category": ["Kitchen"]})
    history = fb.user_history(feedback, products, "a")
    assert history["item_id"].tolist() == ["x", "y"]
    assert history["title"].iloc[0] == "Teapot" and pd.isna(history["title"].iloc[1])
