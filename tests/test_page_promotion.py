"""The Recommenders page's "Serve a run" section: promoting a saved run publishes its lists and records it, the
history shows which run serves, demoting serves the popular items."""

from __future__ import annotations

import pandas as pd
from conftest import app_page

from retention import warehouse
from retention.recommend import evaluate, recommend_for_users, runs
from retention.serve import publish, serving_folder
from retention.serve import snapshot as snap

PAGE = "recommenders.py"


def _button(at, label: str):
    return next(button for button in at.button if button.label == label)


def _history(at) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "serving" in frame.value.columns)


def test_promote_this_run_then_demote(writable_db):
    with warehouse.session(writable_db, write=True) as con:
        split = evaluate.time_split(con)
        first = runs.save_run(con, evaluate.evaluate_model("popularity", split, k=5), name="popular A")
        second = runs.save_run(con, evaluate.evaluate_model("random", split, k=5), name="random B")
    at = app_page(PAGE).run()
    assert not at.exception, [element.value for element in at.exception]
    assert any("No run serves" in info.value for info in at.info)
    assert _button(at, "Demote").disabled
    at.selectbox(key="serve-run").set_value(second).run()
    at.number_input(key="serve-k").set_value(4).run()
    _button(at, "Promote this run").click().run()
    assert not at.exception, [element.value for element in at.exception]

    snapshot = snap.current(serving_folder(writable_db))
    with warehouse.session(writable_db) as con:
        serving = publish.serving_promotion(con)
        user = con.execute("SELECT min(user_id) FROM orders").fetchone()[0]
        expected = recommend_for_users(con, second, [user], k=4)["item_id"].tolist()
    assert (serving["run_id"], serving["k"]) == (second, 4)
    assert [item["item_id"] for item in snapshot.recommendations(user, 10)[0]] == expected
    said = f"Run {second} serves: the top 4 items of {serving['customers']:,} customers are precomputed."
    assert any(caption.value == said for caption in at.caption)
    assert any("Serving **random B** (run" in success.value for success in at.success)
    history = _history(at)
    assert history[["run_id", "k", "serving"]].values.tolist() == [[second, 4, True]]
    assert at.selectbox(key="serve-run").value == second and first != second

    _button(at, "Demote").click().run()
    assert not at.exception
    with warehouse.session(writable_db) as con:
        assert publish.serving_promotion(con) is None
    assert snap.current(serving_folder(writable_db)).recommendations(user, 4)[1] == "cold_start"
    assert any("No run serves" in info.value for info in at.info)
    assert not _history(at)["serving"].any()
