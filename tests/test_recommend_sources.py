"""Feedback sources (purchases, views, add-to-carts, ratings, a weighted mix) checked against pandas on the sample
shop; the default source; the per-customer stratified split; runs and their saved models on one source; the CLI
flags and the page's choice."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import app_page
from test_page_at_risk import settled
from test_recommend_feedback import make_warehouse, order_lines

from retention import non_products, warehouse
from retention.cli import main
from retention.cli import recommenders as cli_recommenders
from retention.errors import DataError
from retention.recommend import board, evaluate, job, runs, saved, stratified
from retention.recommend import feedback as fb

KEYS = ["user_id", "item_id"]


@pytest.fixture(scope="module")
def sample_con(sample_db):
    con = warehouse.connect(sample_db, read_only=True)
    yield con
    con.close()


def counted(frame: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Per user and item: the weighted count of ``frame``'s rows and their first and last time."""
    return frame.groupby(KEYS).agg(s=("ts", lambda ts: weight * len(ts)), first_ts=("ts", "min"), ts=("ts", "max"))


def expected_events(frames: dict[str, pd.DataFrame], weights: dict[str, float]) -> pd.DataFrame:
    """The events rule written out in pandas: s = sum of weight x count (orders: distinct orders that bought the
    item), rating min(5, 1 + log2(1 + s))."""
    events = frames["events"].dropna(subset=["item_id"])
    parts = [
        counted(events[events["event_type"] == kind], weights[kind])
        for kind in ("view", "add_to_cart")
        if weights.get(kind, 0) > 0
    ]
    if weights.get("purchase", 0) > 0:
        bought = frames["orders"].dropna(subset=["item_id"]).query("quantity > 0")
        orders = bought.groupby([*KEYS, "order_id"], as_index=False)["ts"].min()
        parts.append(counted(orders, weights["purchase"]))
    both = pd.concat(parts).groupby(level=KEYS).agg(s=("s", "sum"), first_ts=("first_ts", "min"), ts=("ts", "max"))
    both["rating"] = np.minimum(5, 1 + np.log2(1 + both["s"]))
    return both[["rating", "first_ts", "ts"]].sort_index()


@pytest.mark.parametrize(
    ("kind", "weights", "used"),
    [
        ("views", None, {"view": 1}),
        ("carts", None, {"add_to_cart": 1}),
        ("combined", None, {"view": 1, "add_to_cart": 3, "purchase": 5}),
        ("combined", (("view", 0.5), ("purchase", 2.0)), {"view": 0.5, "purchase": 2}),
    ],
)
def test_event_sources_follow_the_rule_written_in_pandas(sample_con, sample_frames, kind, weights, used):
    got = fb.load_feedback(sample_con, kind=kind, weights=weights)
    assert got.kind == kind and got.rating_scale == (1.0, 5.0)
    assert dict(got.weights) == (used if kind == fb.COMBINED else {})
    expected = expected_events(sample_frames, used)
    frame = got.frame.set_index(KEYS)
    assert frame.index.tolist() == expected.index.tolist()
    np.testing.assert_allclose(frame["rating"], expected["rating"])
    assert (frame["first_ts"] == expected["first_ts"]).all() and (frame["ts"] == expected["ts"]).all()
    assert got.frame["rating"].between(1, 5).all()


def test_every_source_is_reported_with_its_rows_and_the_default_has_the_most(sample_con, sample_frames):
    events = sample_frames["events"].dropna(subset=["item_id"])
    rows = {
        "ratings": len(sample_frames["ratings"]),
        "purchases": int((sample_frames["orders"]["quantity"] > 0).sum()),
        "views": int((events["event_type"] == "view").sum()),
        "carts": int((events["event_type"] == "add_to_cart").sum()),
    }
    source = fb.feedback_source(sample_con)
    assert dict(source.counts) == rows == fb.source_rows(sample_con)
    assert source.default == source.kind == max(rows, key=rows.get) == "views"
    assert source.rows == rows["views"] and source.weights == ()
    views = events.loc[events["event_type"] == "view", "ts"]
    assert (views < source.default_cutoff).mean() == pytest.approx(0.8, abs=0.01)
    assert fb.load_feedback(sample_con).kind == "views"
    combined = fb.feedback_source(sample_con, kind="combined")
    assert combined.rows == rows["views"] + rows["carts"] + rows["purchases"]
    assert combined.weights == fb.DEFAULT_WEIGHTS and combined.default == "views"


def test_the_default_follows_the_rows_and_a_tie_prefers_ratings(tmp_path):
    lines = order_lines([("o1", "a", "x", "2025-01-01", 1), ("o2", "b", "y", "2025-01-02", 1)])
    ratings = pd.DataFrame({"user_id": ["a"], "item_id": ["y"], "rating": [4.0], "ts": pd.to_datetime(["2025-01-03"])})
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines, ratings=ratings))
    try:
        assert fb.feedback_source(con).kind == "purchases"  # 2 lines, 1 rating
        con.execute("INSERT INTO ratings (user_id, item_id, rating) VALUES ('b', 'x', 2)")
        assert fb.feedback_source(con).kind == "ratings"  # 2 and 2: the explicit feedback
        with pytest.raises(DataError, match=r"no product views with an item id.*ratings 2, purchases 2, product"):
            fb.feedback_source(con, kind="views")
        assert fb.load_feedback(con, kind="implicit").kind == "purchases"  # the name old runs saved
    finally:
        con.close()


def test_non_products_stay_out_of_every_source(tmp_path):
    lines = order_lines([("o1", "a", "x", "2025-01-01", 1), ("o1", "a", "POST", "2025-01-01", 1)])
    events = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "ts": pd.to_datetime(["2025-01-01"] * 4),
            "event_type": ["view", "add_to_cart", "view", "add_to_cart"],
            "item_id": ["x", "x", "POST", "POST"],
        }
    )
    ratings = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "POST"], "rating": [4.0, 5.0]})
    con = warehouse.connect(make_warehouse(tmp_path / "w.duckdb", orders=lines, events=events, ratings=ratings))
    try:
        assert {kind: n for kind, n in fb.source_rows(con).items()} == dict.fromkeys(fb.PREFERENCE, 2)
        non_products.confirm(con, ["POST"])
        assert fb.source_rows(con) == dict.fromkeys(fb.PREFERENCE, 1)
        for kind in fb.SOURCES:
            assert set(fb.load_feedback(con, kind=kind).frame["item_id"]) == {"x"}, kind
    finally:
        con.close()


@pytest.mark.parametrize(
    ("kind", "weights", "message"),
    [
        ("clicks", None, "unknown feedback source 'clicks'; use one of purchases, views, carts, ratings, combined"),
        ("views", (("view", 1.0),), "weights apply only to the combined source"),
        ("combined", (("wishlist", 1.0),), "unknown feedback weight 'wishlist'"),
        ("combined", (("view", -1.0),), "the weight of 'view' must be a number of at least 0"),
        ("combined", (("view", 0.0),), "needs at least one positive weight"),
    ],
)
def test_bad_choices_are_refused_in_words(kind, weights, message):
    with pytest.raises(DataError, match=message):
        fb.checked_choice(kind, weights)


def expected_test_counts(frame: pd.DataFrame, share: float) -> pd.Series:
    """Test rows per user by the documented rule: n - round(0.75 n) (half to even), at least one row in
    training, users with fewer than 2 rows in training only."""
    n = frame.groupby("user_id").size()
    train = n.map(lambda rows: rows if rows < 2 else min(max(round((1 - share) * rows), 1), rows))
    return (n - train).rename("test")


def test_stratified_split_holds_out_each_customers_share_at_random(sample_con):
    query = evaluate.SplitQuery("stratified", test_share=0.25, seed=3, feedback="ratings")
    split = evaluate.make_split(sample_con, query)
    full = fb.load_feedback(sample_con, kind="ratings").frame
    (fold,) = split.folds
    train, test = fold.train.frame, fold.test
    assert len(train) + len(test) == len(full)
    pairs = pd.concat([train[KEYS], test[KEYS]])
    assert not pairs.duplicated().any()  # no row on both sides
    assert sorted(map(tuple, pairs.to_numpy())) == sorted(map(tuple, full[KEYS].to_numpy()))
    got = test.groupby("user_id").size().reindex(full["user_id"].unique(), fill_value=0).sort_index()
    assert got.tolist() == expected_test_counts(full, 0.25).sort_index().tolist()
    n = full.groupby("user_id").size().sort_index()
    assert ((got - 0.25 * n).abs() <= 0.5).all()  # each customer's share, up to rounding
    assert set(train["user_id"]) == set(full["user_id"])  # everyone keeps training rows: no cold users
    assert split.description["cold_users"] == 0
    assert {key: split.description[key] for key in ("kind", "test_share", "seed", "feedback", "weights")} == {
        "kind": "stratified",
        "test_share": 0.25,
        "seed": 3,
        "feedback": "ratings",
        "weights": {},
    }
    again = evaluate.make_split(sample_con, query).folds[0].test
    pd.testing.assert_frame_equal(again, test)  # the seed decides
    other = evaluate.make_split(sample_con, evaluate.SplitQuery("stratified", test_share=0.25, seed=4)).folds[0]
    assert other.train.kind == "views"  # the default source
    reseeded = stratified.held_out_rows(full, 0.25, seed=4)
    assert set(map(tuple, full.loc[reseeded, KEYS].to_numpy())) != set(map(tuple, test[KEYS].to_numpy()))
    shuffled = full.sample(frac=1, random_state=0)  # the rows' order given does not matter, only the seed
    picked = shuffled.loc[stratified.held_out_rows(shuffled, 0.25, seed=3), KEYS]
    assert set(map(tuple, picked.to_numpy())) == set(map(tuple, test[KEYS].to_numpy()))


def test_stratified_rule_by_hand():
    frame = pd.DataFrame({"user_id": [*"a", *"bb", *"ccc", *"dddddd"], "item_id": [*"x", *"xy", *"xyz", *"uvwxyz"]})
    held_out = stratified.held_out_rows(frame, 0.25, seed=0)
    # 1 row: train only; 2 rows: round(1.5) = 2 in train; 3: round(2.25) = 2; 6: round(4.5) = 4 (half to even)
    assert frame.loc[held_out].groupby("user_id").size().to_dict() == {"c": 3 - 2, "d": 6 - 4}
    with pytest.raises(DataError, match="test share must be between 0 and 1"):
        stratified.held_out_rows(frame, 1.0)


def test_a_training_on_views_saves_runs_that_say_views_and_models_fitted_on_views(sample_db, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_db, path)
    query = evaluate.SplitQuery(feedback="views")
    params = job.job_params({"popularity": {}}, query, 5)
    assert params["split"]["feedback"] == "views" and params["split"]["weights"] is None
    training = job.train(path, {"popularity": {}}, query, 5, lambda done, message: None)
    assert job.job_result(training)["feedback"] == "views" and training.summary is not None  # the default split
    (run_id,) = training.run_ids
    with warehouse.session(path) as con:
        run = runs.get_run(con, run_id)
        assert (run.split["feedback"], run.split["weights"]) == ("views", {})
        recommender = saved.load_model(con, run_id)
        views = fb.load_feedback(con, kind="views").frame
        assert recommender.feedback.kind == "views"
        assert set(recommender.model.items) == set(views["item_id"])
        counts = views.groupby("item_id")["user_id"].nunique()
        np.testing.assert_array_equal(recommender.popularity, counts.reindex(recommender.model.items).to_numpy())
        assert "product views" in runs.list_runs(con)["group_label"].iloc[0]


def test_a_runs_model_is_refitted_on_the_source_it_was_evaluated_on(sample_db, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_db, path)
    weights = (("view", 1.0), ("purchase", 4.0))
    query = evaluate.SplitQuery(feedback="combined", weights=weights)
    training = job.train(path, {"popularity": {}}, query, 5, lambda done, message: None)
    assert training.summary is None  # not the default source: the page's summary is not this split's
    (run_id,) = training.run_ids
    with warehouse.session(path, write=True) as con:
        assert runs.get_run(con, run_id).split["weights"] == {"view": 1.0, "purchase": 4.0}
        refitted = saved.fit_for_run(con, run_id)
        assert (refitted.feedback.kind, refitted.feedback.weights) == ("combined", weights)
        assert "4 × orders" in refitted.feedback.rule
        assert "(view 1, purchase 4)" in board.feedback_words(runs.get_run(con, run_id).split)
        con.execute("UPDATE model_runs SET split = replace(split, '\"combined\"', '\"implicit\"')")  # an old run
        old = runs.get_run(con, run_id).split
        con.execute("UPDATE model_runs SET split = ?", [json.dumps({**old, "weights": {}})])
        assert saved.fit_for_run(con, run_id).feedback.kind == "purchases"
        assert board.feedback_words(runs.get_run(con, run_id).split) == "purchases"


def test_importing_events_changes_the_feedback_version(sample_copy, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("user_id,ts,event_type,item_id\nu1,2026-01-02,view,p0001\n")
    from retention import ingest

    with warehouse.session(sample_copy, write=True) as con:
        before = saved.feedback_version(con)
        ingest.import_file(con, "events", events)
        assert saved.feedback_version(con) != before


def test_cli_compare_takes_a_feedback_source_weights_and_the_stratified_split(sample_copy, capsys):
    assert cli_recommenders.FEEDBACK_SOURCES == fb.SOURCES
    assert cli_recommenders.STRATIFIED_TEST_SHARE == stratified.TEST_SHARE
    argv = ["recommenders", "compare", "--db", sample_copy, "--models", "popularity", "--k", "5"]
    assert main([*argv, "--feedback", "carts", "--no-save"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["feedback"] == "carts" and "weights" not in record
    assert main([*argv, "--feedback", "combined", "--weights", "view=1, purchase=2", "--split", "stratified"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["feedback"], record["weights"]) == ("combined", {"view": 1.0, "purchase": 2.0})
    with warehouse.session(sample_copy) as con:
        split = runs.get_run(con, int(runs.list_runs(con)["run_id"].iloc[0])).split
    assert (split["kind"], split["test_share"], split["feedback"]) == ("stratified", 0.25, "combined")
    assert main([*argv, "--no-save"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["feedback"] == "views"  # the default: the most rows


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--weights", "view=1"], "--weights applies only to --feedback combined"),
        (["--feedback", "combined", "--weights", "view"], "--weights 'view' must look like KEY=NUMBER"),
        (["--feedback", "combined", "--weights", "like=2"], "unknown feedback weight 'like'"),
    ],
)
def test_cli_refuses_bad_weights_before_any_work(sample_copy, capsys, flags, message):
    argv = ["recommenders", "compare", "--db", sample_copy, "--models", "popularity", *flags]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    with warehouse.session(sample_copy) as con:
        assert runs.list_runs(con).empty


def test_cli_refuses_an_unknown_source_and_recommend_takes_one(sample_copy, capsys):
    with pytest.raises(SystemExit):
        main(["recommenders", "compare", "--db", sample_copy, "--feedback", "clicks"])
    assert "invalid choice: 'clicks'" in capsys.readouterr().err
    argv = ["recommend", "--db", sample_copy, "--model", "popularity", "--user", "nobody-x", "--k", "1"]
    with warehouse.session(sample_copy, write=True) as con:
        con.execute("INSERT INTO users (user_id) VALUES ('nobody-x')")
        carts = fb.load_feedback(con, kind="carts").frame.groupby("item_id")["user_id"].nunique()
    assert main([*argv, "--feedback", "carts"]) == 0
    top = carts.sort_values(ascending=False).index[0]
    assert capsys.readouterr().out.splitlines()[1].split(",")[2] == top


def test_page_offers_each_source_with_its_rows_and_marks_the_default(sample_copy, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_copy)
    at = app_page("recommenders.py", timeout=120).run()
    assert not at.exception
    with warehouse.session(sample_copy) as con:
        rows = fb.source_rows(con)
    choice = next(box for box in at.selectbox if box.label == "Feedback")
    assert choice.value == "views"
    assert choice.options[: len(fb.PREFERENCE)] == [
        f"Purchases: {rows['purchases']:,} rows",
        f"Product views: {rows['views']:,} rows (default: the most rows)",
        f"Add-to-carts: {rows['carts']:,} rows",
        f"Ratings: {rows['ratings']:,} rows",
    ]
    assert "Default feedback: product views" in at.info[0].value
    assert not any(box.label.startswith("Weight of") for box in at.number_input)
    at = choice.set_value("combined").run()
    assert [box.value for box in at.number_input if box.label.startswith("Weight of")] == [1.0, 3.0, 5.0]

    at = next(box for box in at.selectbox if box.label == "Feedback").set_value("carts").run()
    next(control for control in at.segmented_control if control.label == "Split").set_value("stratified").run()
    at.multiselect[0].set_value(["popularity"]).run()
    at = settled(at.button[0].click().run())
    assert not at.exception
    assert any("feedback: add-to-carts" in success.value for success in at.success)
    with warehouse.session(sample_copy) as con:
        split = runs.get_run(con, int(runs.list_runs(con)["run_id"].iloc[0])).split
    assert (split["kind"], split["test_share"], split["feedback"]) == ("stratified", 0.25, "carts")
    assert at.selectbox(key="leaderboard-group").value.startswith(
        "Stratified split (test share 0.25, seed 0), K=10, add-to-carts, discovery, data of "
    )
