"""Churn features, snapshots, metrics, scoring and saved scores against hand-computed examples and pandas."""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pandas as pd
import pytest

from retention import churn, export, sample, schema, warehouse
from retention.cli import main as cli_main
from retention.errors import DataError

# ---------------------------------------------------------------- helpers


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical frame from literal rows (missing columns are empty)."""
    columns = list(schema.CANONICAL_COLUMNS[table])
    frame = pd.DataFrame(rows, columns=columns)
    for column, sql_type in schema.CANONICAL_COLUMNS[table].items():
        if sql_type == "TIMESTAMP":
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def _warehouse(path, frames: dict[str, pd.DataFrame]) -> str:
    with warehouse.connect(path) as con:
        sample.load_frames(con, frames, source="test")
    return str(path)


def _order(order_id, user, item, ts, quantity=1.0, price=10.0, discount=0.0) -> dict:
    return dict(
        order_id=order_id, user_id=user, item_id=item, ts=ts, quantity=quantity, unit_price=price, discount=discount
    )


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory) -> str:
    """Three customers whose features at 2025-06-30 (horizon 30 days) are computed by hand in the tests."""
    users = _frame(
        "users",
        [
            dict(user_id="u1", country="UK", channel="email", email="=HYPERLINK(1)"),
            dict(user_id="u2", country="DE", channel="social", email="u2@example.com"),
            dict(user_id="u3", country="FR", channel="organic", email="u3@example.com"),
        ],
    )
    products = _frame(
        "products",
        [
            dict(item_id="p1", category="home", price=10.0),
            dict(item_id="p2", category="books", price=30.0),
            dict(item_id="p3", category="home", price=5.0),
        ],
    )
    orders = _frame(
        "orders",
        [
            _order("o1", "u1", "p1", "2025-01-10 10:00", quantity=2),
            _order("o2", "u1", "p2", "2025-03-01 12:00", price=30.0, discount=0.2),
            _order("o2", "u1", "p3", "2025-03-01 12:00", price=5.0, discount=0.2),
            _order("Co2", "u1", "p2", "2025-03-05 09:00", quantity=-1, price=30.0, discount=0.2),
            _order("o3", "u1", "p1", "2025-06-10 09:00"),
            _order("o4", "u1", "p1", "2025-07-01 00:00"),  # the first second after the snapshot: label, not feature
            _order("o5", "u2", "p2", "2025-06-30 23:59:59", price=12.0),
            _order("o6", "u3", "p1", "2025-07-02 10:00"),
            _order("o7", "u3", "p1", "2025-08-15 10:00"),
        ],
    )
    ratings = _frame(
        "ratings",
        [
            dict(user_id="u1", item_id="p1", rating=4.0, ts="2025-02-01"),
            dict(user_id="u1", item_id="p2", rating=2.0, ts="2025-03-06"),
            dict(user_id="u1", item_id="p3", rating=5.0, ts="2025-08-01"),  # after the snapshot
        ],
    )
    events = _frame(
        "events",
        [
            dict(user_id="u1", ts="2025-06-10 08:50", event_type="view", item_id="p1"),  # before the last order
            dict(user_id="u1", ts="2025-06-20 18:00", event_type="session_start"),
            dict(user_id="u1", ts="2025-06-20 18:01", event_type="view", item_id="p2"),
            dict(user_id="u1", ts="2025-06-25 18:01", event_type="view", item_id="p3"),
            dict(user_id="u1", ts="2025-06-25 18:02", event_type="add_to_cart", item_id="p3"),
            dict(user_id="u1", ts="2025-07-03 18:02", event_type="view", item_id="p3"),  # after the snapshot
        ],
    )
    frames = {"users": users, "products": products, "orders": orders, "ratings": ratings, "events": events}
    return _warehouse(tmp_path_factory.mktemp("hand") / "hand.duckdb", frames)


@pytest.fixture(scope="module")
def churn_db(sample_frames, tmp_path_factory) -> str:
    """A private copy of the 600-user test shop (scoring writes to it)."""
    return _warehouse(tmp_path_factory.mktemp("churn") / "churn.duckdb", sample_frames)


@pytest.fixture(scope="module")
def scored(churn_db) -> churn.ScoringResult:
    with warehouse.connect(churn_db) as con:
        return churn.score_customers(con, save=True)


# ---------------------------------------------------------------- features by hand


def test_features_match_hand_computation(hand_db):
    with warehouse.connect(hand_db) as con:
        frame = churn.snapshot_features(con, [dt.date(2025, 6, 30)], horizon_days=30)
    assert frame["user_id"].tolist() == ["u1", "u2"]  # u3 has no purchase yet
    u1, u2 = frame.iloc[0], frame.iloc[1]
    assert u1["recency_days"] == 20
    assert u1["frequency"] == 3  # the return is not an order
    assert u1["monetary"] == pytest.approx(2 * 10 + 30 + 5 - 30 + 10)
    assert u1["tenure_days"] == 21 + 28 + 31 + 30 + 31 + 30
    # Net revenue per purchase order: the return of p2 (Co2, an order of its own) is netted, not counted per order.
    assert u1["avg_order_value"] == pytest.approx((20 + 35 - 30 + 10) / 3, abs=1e-4)  # rounded to 4 places
    assert u1["revenue_365d"] == pytest.approx(2 * 10 + 30 + 5 - 30 + 10)
    assert u1["mean_gap_days"] == pytest.approx((151 - 1 / 24) / 2)
    assert u1["last_gap_days"] == pytest.approx(101 - 3 / 24)
    assert (u1["orders_30d"], u1["orders_90d"], u1["orders_prior_90d"]) == (1, 1, 2)
    assert u1["returns_share"] == pytest.approx(1 / (2 + 1 + 1 + 1))  # returned units over units bought
    assert (u1["rating_mean"], u1["rating_min"]) == (pytest.approx((4 + 2) / 2), 2)
    assert u1["discount_share"] == pytest.approx(1 / 3)
    assert u1["categories"] == 1  # p2 (books) came back in full: only home items were kept
    assert u1["products"] == 2  # p1 and p3
    assert (u1["views_since_order"], u1["carts_since_order"]) == (2, 1)
    assert (u1["channel"], u1["country"]) == ("email", "UK")
    assert not u1["churned"]  # o4 falls in the 30 days after the snapshot

    assert u2["recency_days"] == 0 and u2["tenure_days"] == 0 and u2["frequency"] == 1
    assert math.isnan(u2["mean_gap_days"]) and math.isnan(u2["last_gap_days"])
    assert math.isnan(u2["rating_mean"]) and u2["returns_share"] == 0 and u2["views_since_order"] == 0
    assert u2["churned"]


def test_label_missing_when_window_is_not_observed(hand_db):
    with warehouse.connect(hand_db) as con:
        frame = churn.snapshot_features(con, [dt.date(2025, 7, 31)], horizon_days=30)
    # The label window reaches 2025-08-30, after the latest order (2025-08-15).
    assert frame["churned"].isna().all()
    assert set(frame["user_id"]) == {"u1", "u2", "u3"}


def test_last_gap_of_orders_at_one_timestamp_is_that_of_the_last_order_id(tmp_path):
    """Two invoices at the same second (Online Retail has 49 such customer-snapshots at 120 days): the last order is
    the later order id, as the gaps are ordered, so the last gap is 0 days on every run and engine, not either
    invoice's gap at random."""
    orders = _frame(
        "orders",
        [
            _order("a1", "u1", "p1", "2025-01-01 10:00"),
            _order("a3", "u1", "p1", "2025-03-01 12:00"),
            _order("a2", "u1", "p1", "2025-03-01 12:00"),
        ],
    )
    db = _warehouse(tmp_path / "ties.duckdb", {"orders": orders})
    with warehouse.connect(db) as con:
        frame = churn.snapshot_features(con, [dt.date(2025, 3, 31)], horizon_days=30)
    assert frame["last_gap_days"].tolist() == [0.0]
    assert frame["mean_gap_days"].tolist() == [pytest.approx((31 + 28 + 2 / 24) / 2)]


def _reference_features(frames: dict[str, pd.DataFrame], day: dt.date, horizon: int) -> pd.DataFrame:
    """A few features and the label in plain pandas, from the definitions in the docstring."""
    cutoff = pd.Timestamp(day) + pd.Timedelta(days=1)
    orders, ratings, events = frames["orders"], frames["ratings"], frames["events"]
    before = orders[orders["ts"] < cutoff]
    purchases = before[before["quantity"] > 0]
    per_order = purchases.groupby(["user_id", "order_id"], as_index=False)["ts"].min()
    per_order = per_order.sort_values(["user_id", "ts", "order_id"])
    per_order["gap"] = per_order.groupby("user_id")["ts"].diff().dt.total_seconds() / 86400
    users = per_order.groupby("user_id").agg(
        last_ts=("ts", "max"), frequency=("order_id", "size"), last_gap_days=("gap", "last")
    )
    users["recency_days"] = (pd.Timestamp(day) - users["last_ts"].dt.normalize()).dt.days.astype(float)
    users["monetary"] = (before["quantity"] * before["unit_price"]).groupby(before["user_id"]).sum()
    units = (
        before.assign(bought=before["quantity"].clip(lower=0), returned=(-before["quantity"]).clip(lower=0))
        .groupby(["user_id", "item_id"])[["bought", "returned"]]
        .sum()
    )
    units["returned"] = units[["returned", "bought"]].min(axis=1)  # returns count up to the units bought
    per_user = units.groupby("user_id").sum()
    users["returns_share"] = per_user["returned"] / per_user["bought"]
    users["avg_order_value"] = users["monetary"].clip(lower=0) / users["frequency"]
    recent = before[before["ts"] >= cutoff - pd.Timedelta(days=365)]
    users["revenue_365d"] = (recent["quantity"] * recent["unit_price"]).groupby(recent["user_id"]).sum()
    users["revenue_365d"] = users["revenue_365d"].fillna(0.0)
    rated = ratings[ratings["ts"] < cutoff]
    users["rating_min"] = rated.groupby("user_id")["rating"].min()
    seen = events[(events["ts"] < cutoff) & (events["event_type"] == "view")].merge(
        users["last_ts"].reset_index(), on="user_id"
    )
    users["views_since_order"] = seen[seen["ts"] > seen["last_ts"]].groupby("user_id").size()
    users["views_since_order"] = users["views_since_order"].fillna(0)
    window = orders[(orders["ts"] >= cutoff) & (orders["ts"] < cutoff + pd.Timedelta(days=horizon))]
    users["churned"] = ~users.index.isin(window.loc[window["quantity"] > 0, "user_id"])
    return users.drop(columns="last_ts").sort_index()


def test_sql_features_match_pandas_on_sample_shop(churn_db, sample_frames):
    day = dt.date(2026, 1, 31)
    with warehouse.connect(churn_db) as con:
        frame = churn.snapshot_features(con, [day], horizon_days=60).set_index("user_id").sort_index()
    expected = _reference_features(sample_frames, day, 60)
    assert frame.index.tolist() == expected.index.tolist()
    assert len(frame) > 200
    columns = ["recency_days", "frequency", "monetary", "returns_share", "views_since_order", "last_gap_days"]
    for column in [*columns, "revenue_365d"]:
        np.testing.assert_allclose(frame[column], expected[column], rtol=1e-9, atol=1e-6, err_msg=column)
    np.testing.assert_allclose(frame["avg_order_value"], expected["avg_order_value"], atol=5e-5)  # 4 places
    np.testing.assert_allclose(frame["rating_min"], expected["rating_min"])
    assert (frame["churned"].astype(bool) == expected["churned"]).all()


# ---------------------------------------------------------------- the feature registry


def test_registry_and_sql_name_the_same_features(hand_db):
    with warehouse.connect(hand_db) as con:
        frame = churn.snapshot_features(con, [dt.date(2025, 6, 30)], horizon_days=30)
    computed = set(frame.columns) - {"snapshot_date", "user_id", "churned"}
    assert computed == set(churn.FEATURE_REGISTRY)
    assert set(churn.FEATURES) == set(churn.FEATURE_REGISTRY) and len(churn.FEATURES) == len(churn.FEATURE_REGISTRY)
    for name in churn.NUMERIC_FEATURES:
        assert pd.api.types.is_float_dtype(frame[name]), name
    for name in churn.CATEGORICAL_FEATURES:
        assert pd.api.types.is_string_dtype(frame[name]), name
    assert churn.FEATURES == churn.NUMERIC_FEATURES + churn.CATEGORICAL_FEATURES


def test_every_feature_reads_in_plain_words_and_is_documented():
    from retention.churn import features

    for name, spec in churn.FEATURE_REGISTRY.items():
        assert spec.name == name and spec.label and spec.definition.endswith("."), name
        assert f"{name} ({spec.kind}): {spec.label}. {spec.definition}" in features.__doc__, name
        values = pd.Series([np.nan, 0.0, 1.0, 12.4]) if spec.kind == "numeric" else pd.Series(["web", "unknown"])
        text = spec.phrase(values)
        assert len(text) == len(values) and all(isinstance(item, str) and item for item in text), name
    assert churn.feature_table()["feature"].tolist() == list(churn.FEATURE_REGISTRY)

    def phrases(name: str, values: list) -> list[str]:
        return churn.FEATURE_REGISTRY[name].phrase(pd.Series(values)).tolist()

    assert phrases("recency_days", [0.0, 1.0]) == ["Bought on the as-of day", "No purchase for 1 days"]
    assert phrases("frequency", [1.0, 2.0]) == ["1 order in total", "2 orders in total"]
    assert phrases("discount_share", [0.5]) == ["50% of orders at a discount"]
    assert phrases("rating_mean", [3.45, np.nan]) == ["Rates products 3.5/5 on average", "Never rated a product"]
    assert phrases("channel", ["social"]) == ["Came via social"]


def test_unknown_feature_or_metric_is_named():
    with pytest.raises(DataError, match="churn feature 'age' is not one of recency_days, frequency"):
        churn.FEATURE_REGISTRY.get_or_raise("age")
    with pytest.raises(DataError, match="holdout metric 'f1' is not one of roc_auc"):
        churn.METRICS.get_or_raise("f1")


# ---------------------------------------------------------------- snapshots


def test_plan_snapshots_is_leak_free():
    plan = churn.plan_snapshots(dt.date(2025, 1, 1), dt.date(2026, 6, 30), horizon_days=90)
    assert plan.holdout == dt.date(2026, 6, 30) - dt.timedelta(days=90) == dt.date(2026, 4, 1)
    assert plan.final_train[-1] == plan.holdout
    assert plan.final_train[0] >= dt.date(2025, 1, 1) + dt.timedelta(days=churn.MIN_HISTORY_DAYS)
    assert all(d + dt.timedelta(days=90) <= plan.holdout for d in plan.evaluation_train)
    assert plan.evaluation_train[-1] == dt.date(2026, 1, 1)
    assert all(d + dt.timedelta(days=90) <= plan.as_of for d in plan.final_train)
    assert plan.all_dates[-1] == plan.as_of


def test_plan_snapshots_needs_exactly_history_plus_two_horizons():
    plan = churn.plan_snapshots(dt.date(2025, 1, 1), dt.date(2025, 5, 31), horizon_days=60)
    assert (dt.date(2025, 5, 31) - dt.date(2025, 1, 1)).days == churn.required_history_days(60) == 30 + 2 * 60
    assert plan.evaluation_train == (dt.date(2025, 1, 31),)
    assert plan.final_train == (dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def test_plan_snapshots_explains_missing_history():
    with pytest.raises(DataError, match=r"at least 150 days .* 60-day horizon.*span 149 days"):
        churn.plan_snapshots(dt.date(2025, 1, 1), dt.date(2025, 5, 30), horizon_days=60)


@pytest.mark.parametrize("horizon", [0, 3, 400, 30.5])
def test_bad_horizon_is_named(horizon):
    with pytest.raises(DataError, match="horizon_days"):
        churn.check_horizon(horizon)


# ---------------------------------------------------------------- metrics


def test_metrics_by_hand():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    risk = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.1, 0.2, 0.1, 0.4])
    table = churn.evaluate(y, {"m": risk}).set_index("metric")["m"]
    # Top 10% = 1 customer (0.9), a churner: lift = 1 / (3 / 10), capture = 1 / 3.
    assert table["lift_top_decile"] == pytest.approx(1 / (3 / 10))
    assert table["capture_top_decile"] == pytest.approx(1 / 3)
    squared = (0.9 - 1) ** 2 + 0.8**2 + (0.7 - 1) ** 2 + 0.1**2 + 0.2**2 + 0.3**2 + 0.1**2 + 0.2**2 + 0.1**2
    assert table["brier"] == pytest.approx((squared + (0.4 - 1) ** 2) / 10)
    # Churner/stayer pairs ranked right: 0.9 beats 7, 0.7 beats 6, 0.4 beats 6 of the 7 stayers.
    assert table["roc_auc"] == pytest.approx((7 + 6 + 6) / 21)
    assert set(churn.METRICS) == set(table.index)


def test_metric_identities():
    y = np.array([0, 1, 0, 1, 1])
    perfect = y.astype(float)
    table = churn.evaluate(y, {"perfect": perfect, "flat": np.full(5, 0.6)}).set_index("metric")
    assert table.at["roc_auc", "perfect"] == 1.0 and table.at["pr_auc", "perfect"] == 1.0
    assert table.at["brier", "perfect"] == 0.0
    assert table.at["roc_auc", "flat"] == 0.5
    assert table.at["pr_auc", "flat"] == pytest.approx(3 / 5)


def test_top_share_mask_breaks_ties_by_position():
    mask = churn.top_share_mask(np.array([0.5, 0.9, 0.5, 0.5]), share=0.5)
    assert mask.tolist() == [True, True, False, False]


def test_calibration_table_by_hand():
    y = np.array([0, 1, 1, 0, 1])
    risk = np.array([0.05, 0.15, 0.95, 0.12, 1.0])
    table = churn.calibration_table(y, {"m": risk})
    assert table["bin"].tolist() == pytest.approx([0.0, 0.1, 0.9])
    assert table["mean_risk"].tolist() == pytest.approx([0.05, (0.15 + 0.12) / 2, (0.95 + 1.0) / 2])
    assert table["churn_rate"].tolist() == pytest.approx([0.0, 1 / 2, 1.0])
    assert table["customers"].tolist() == [1, 2, 2]


# ---------------------------------------------------------------- scoring on the sample shop


def test_model_beats_recency_baseline_on_holdout(scored):
    metrics = scored.metrics.set_index("metric")
    assert metrics.at["roc_auc", "model"] > metrics.at["roc_auc", "baseline"]
    assert metrics.at["pr_auc", "model"] > metrics.at["pr_auc", "baseline"]
    assert metrics.at["brier", "model"] < metrics.at["brier", "baseline"]
    assert 0.5 < metrics.at["roc_auc", "model"] <= 1.0


def test_model_beats_baseline_on_committed_sample(default_db):
    with warehouse.connect(default_db) as con:  # read-write like the app, which may hold it open; nothing saved
        result = churn.score_customers(con, save=False)
    metrics = result.metrics.set_index("metric")
    assert metrics.at["roc_auc", "model"] > metrics.at["roc_auc", "baseline"] + 0.01
    assert metrics.at["pr_auc", "model"] > metrics.at["pr_auc", "baseline"]
    assert metrics.at["brier", "model"] < metrics.at["brier", "baseline"]


def test_scores_are_consistent(scored, churn_db, sample_frames):
    scores = scored.scores
    assert scored.as_of == sample_frames["orders"]["ts"].max().date()
    assert scores["risk"].between(0, 1).all()
    assert scores["risk"].is_monotonic_decreasing
    assert scores["user_id"].is_unique
    buyers = sample_frames["orders"].query("quantity > 0")["user_id"].unique()
    assert set(scores["user_id"]) == set(buyers)
    np.testing.assert_allclose(scored.explanation.risk, scores["risk"], atol=1e-9)
    np.testing.assert_allclose(scored.model.predict_risk(scored.features), scores["risk"], atol=1e-9)
    assert scores["reasons"].str.count("; ").eq(2).all()
    assert scored.explanation.glossary is churn.FEATURE_REGISTRY
    # Calibration: on the holdout, the mean predicted risk is close to the observed churn rate.
    model_bins = scored.calibration.query("predictor == 'model'")
    mean_risk = np.average(model_bins["mean_risk"], weights=model_bins["customers"])
    assert mean_risk == pytest.approx(scored.summary["holdout_churn_rate"], abs=0.08)


def test_scores_are_saved_and_read_back(scored, churn_db):
    with warehouse.connect(churn_db) as con:
        saved = churn.latest_scores(con)
        assert list(saved.columns) == churn.SCORE_COLUMNS
        assert len(saved) == len(scored.scores)
        assert saved["user_id"].tolist() == scored.scores["user_id"].tolist()
        np.testing.assert_allclose(saved["risk"], scored.scores["risk"])
        assert (saved["as_of"] == scored.as_of).all()
        assert (saved["model_version"] == scored.model_version).all()
        assert (saved["horizon_days"] == 90).all()
        # Saving the same run again replaces it.
        churn.save_scores(con, scored)
        saved_rows = con.execute(
            "SELECT count(*) FROM scores WHERE model_version = ? AND as_of = ?", [scored.model_version, scored.as_of]
        ).fetchone()[0]
        assert saved_rows == len(scored.scores)
        assert len(churn.latest_scores(con, as_of=scored.as_of)) == len(scored.scores)
        assert churn.latest_scores(con, as_of="2020-01-01").empty


def test_latest_scores_empty_has_columns(hand_db):
    with warehouse.connect(hand_db) as con:
        empty = churn.latest_scores(con)
    assert empty.empty and list(empty.columns) == churn.SCORE_COLUMNS


def test_scoring_uses_no_data_after_as_of(churn_db, sample_frames, tmp_path):
    """Scores at a past date are identical on a warehouse from which everything after that date is deleted."""
    day = dt.date(2026, 4, 15)
    cutoff = pd.Timestamp(day) + pd.Timedelta(days=1)
    truncated = {
        table: frame[frame["ts"] < cutoff] if table in ("orders", "events", "ratings") else frame
        for table, frame in sample_frames.items()
    }
    path = _warehouse(tmp_path / "truncated.duckdb", truncated)
    results = []
    for db in (churn_db, path):
        with warehouse.connect(db) as con:
            results.append(churn.score_customers(con, as_of=day, horizon_days=60, save=False))
    full, cut = results
    assert cut.model_version == full.model_version
    assert cut.scores["user_id"].tolist() == full.scores["user_id"].tolist()
    np.testing.assert_allclose(cut.scores["risk"], full.scores["risk"], atol=1e-12)
    pd.testing.assert_frame_equal(cut.metrics, full.metrics)


# ---------------------------------------------------------------- flagging and export


def test_flag_threshold_and_top(scored):
    scores = scored.scores
    by_threshold = churn.flag(scores, threshold=0.5)
    assert len(by_threshold) == int((scores["risk"] >= 0.5).sum())
    top = churn.flag(scores, top=7)
    assert top["user_id"].tolist() == scores["user_id"].head(7).tolist()
    with pytest.raises(DataError, match="not both"):
        churn.flag(scores, threshold=0.5, top=3)
    with pytest.raises(DataError, match="between 0 and 1"):
        churn.flag(scores, threshold=1.5)


@pytest.mark.parametrize("shuffled", [False, True])
def test_flag_orders_riskiest_first_ties_by_user_whatever_the_order_given(shuffled):
    """A list already ranked (as a run's scores are) is taken as it is; any other is sorted: same flagged list."""
    scores = pd.DataFrame(
        {"user_id": ["u3", "u1", "u2", "u5", "u0", "u4"], "risk": [0.9, 0.7, 0.7, 0.7, 0.2, 0.2], "value": 1.0}
    )
    given = scores.sample(frac=1.0, random_state=4) if shuffled else scores
    assert churn.flag(given, threshold=0.5)["user_id"].tolist() == ["u3", "u1", "u2", "u5"]
    assert churn.flag(given, top=6)["user_id"].tolist() == ["u3", "u1", "u2", "u5", "u0", "u4"]


def test_filter_segments_and_summary(scored):
    scores = scored.scores
    social = churn.filter_segments(scores, channel=["social"], country=None)
    assert len(social) == int((scores["channel"] == "social").sum()) > 0
    assert (social["channel"] == "social").all()
    flagged = churn.flag(social, top=5)
    summary = churn.flagged_summary(social, flagged)
    assert summary["customers"] == 5
    assert summary["customer_share"] == pytest.approx(5 / len(social))
    assert summary["value"] == pytest.approx(flagged["value"].sum())
    assert summary["value_share"] == pytest.approx(
        flagged["value"].clip(lower=0).sum() / social["value"].clip(lower=0).sum()
    )
    with pytest.raises(DataError, match="segment"):
        churn.filter_segments(scores, email=["x"])
    options = churn.segment_options(scores)
    assert options["channel"] == sorted(set(scores["channel"])) and "social" in options["channel"]


EXPORTED = [
    "user_id",
    "risk",
    "days_since_last_purchase",
    "orders",
    "net_revenue_12m",
    "country",
    "channel",
    "reasons",
    "scores_as_of",
    "horizon_days",
    "model_version",
]


def test_export_has_email_only_when_asked_and_is_formula_safe():
    flagged = pd.DataFrame(
        {
            "user_id": ["=cmd", "u2", "u3"],
            "risk": [0.912345678, 0.5, 0.1234999999999],
            "value": [123725.45000000001, -3.0, -0.001],
            "recency_days": [3.0, 9.0, 0.0],
            "orders": [4, 1, 2],
            "reasons": ["+1 order: +0.10", "No purchase for 9 days: -0.02", "x"],
            "channel": ["email", "social", "unknown"],
            "country": ["UK", "DE", "FR"],
            "as_of": dt.date(2025, 6, 30),
            "horizon_days": 90,
            "model_version": "hgb3-h90-abc",
        }
    )
    plain = churn.export_table(flagged)
    assert list(plain.columns) == EXPORTED
    assert plain["risk"].tolist() == [0.9123, 0.5, 0.1235]
    assert plain["net_revenue_12m"].tolist() == [123725.45, -3.0, 0.0]
    assert plain["days_since_last_purchase"].tolist() == [3, 9, 0] and plain["orders"].tolist() == [4, 1, 2]
    emails = pd.DataFrame({"user_id": ["u2", "=cmd"], "email": ["b@example.com", "@SUM(A1)"]})
    with_email = churn.export_table(flagged, emails)
    assert list(with_email.columns) == [*EXPORTED, "email"]
    text = export.to_csv_bytes(with_email).decode()
    assert "'=cmd" in text and "'@SUM(A1)" in text and "'+1 order" in text and ",-3.0," in text
    assert "123725.45," in text and ",-0.0," not in text and "00000" not in text
    assert ",2025-06-30,90,hgb3-h90-abc" in text


# ---------------------------------------------------------------- CLI


def test_cli_writes_flagged_list(churn_db, tmp_path, capsys):
    out = tmp_path / "at_risk.csv"
    assert cli_main(["at-risk", "--db", churn_db, "--top", "5", "--include-email", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == [*EXPORTED, "email"]
    assert len(table) == 5 and table["risk"].is_monotonic_decreasing
    assert table["email"].str.endswith("@example.com").all()
    assert "flagged 5 of" in capsys.readouterr().err

    assert cli_main(["at-risk", "--db", churn_db, "--threshold", "0.9", "--horizon-days", "60"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(printed.columns) == EXPORTED
    assert printed["scores_as_of"].nunique() == 1 and (printed["horizon_days"] == 60).all()
    assert (printed["risk"] >= 0.9).all()


def test_cli_reports_too_little_history(churn_db, capsys):
    assert cli_main(["at-risk", "--db", churn_db, "--horizon-days", "300"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the churn model needs at least 630 days") and "Traceback" not in err


# ---------------------------------------------------------------- bad input


def test_no_orders_is_a_clear_error(tmp_path):
    with warehouse.connect(tmp_path / "empty.duckdb") as con, pytest.raises(DataError, match="no orders"):
        churn.score_customers(con)


def test_as_of_outside_history(churn_db):
    with warehouse.connect(churn_db) as con:
        with pytest.raises(DataError, match="outside the order history"):
            churn.score_customers(con, as_of="2030-01-01", save=False)
        with pytest.raises(DataError, match="not a date"):
            churn.score_customers(con, as_of="soon", save=False)


def test_single_class_labels_are_explained(tmp_path):
    """Every customer buys once and never again: all churned, nothing to learn."""
    days = pd.date_range("2024-01-01", "2025-06-30", freq="D")
    orders = _frame(
        "orders",
        [_order(f"o{i}", f"u{i}", "p1", day + pd.Timedelta(hours=12)) for i, day in enumerate(days)],
    )
    users = _frame("users", [dict(user_id=f"u{i}") for i in range(len(days))])
    path = _warehouse(tmp_path / "once.duckdb", {"users": users, "orders": orders})
    with warehouse.connect(path) as con, pytest.raises(DataError, match=r"all \d+ customer snapshots .* churned"):
        churn.score_customers(con, save=False)


def test_orders_only_warehouse_scores(sample_frames, tmp_path):
    """No events, ratings or products (optional tables), many one-order customers: still scored."""
    frames = {"users": sample_frames["users"], "orders": sample_frames["orders"]}
    path = _warehouse(tmp_path / "orders_only.duckdb", frames)
    with warehouse.connect(path) as con:
        result = churn.score_customers(con, save=False)
    assert result.features["rating_min"].isna().all()
    assert (result.features["views_since_order"] == 0).all()
    assert result.scores["risk"].between(0, 1).all()
    one_order = result.features["frequency"] == 1
    assert one_order.any() and result.features.loc[one_order, "last_gap_days"].isna().all()
    assert result.metrics.set_index("metric").at["roc_auc", "model"] > 0.5


# ---------------------------------------------------------------- verdict and calibration warning


def _metrics(auc: tuple[float, float], lift: tuple[float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": ["roc_auc", "lift_top_decile"],
            "model": [auc[0], lift[0]],
            "baseline": [auc[1], lift[1]],
        }
    )


def test_verdict_never_hides_a_loss():
    mixed = churn.verdict(_metrics((0.78, 0.71), (1.511, 1.532)), "2011-09-10")
    assert mixed.outcome == "mixed"
    assert mixed.text.startswith(
        "On the held-out snapshot of 2011-09-10 the model ranks churners better than recency alone "
        "(ROC AUC 0.78 vs 0.71) but its top 10% catch fewer churners (lift 1.51 vs 1.53)."
    )
    won = churn.verdict(_metrics((0.80, 0.70), (2.0, 1.5)))
    assert won.outcome == "model" and "(lift 2.00 vs 1.50)" in won.text
    lost = churn.verdict(_metrics((0.70, 0.71), (1.5, 1.5)))
    assert lost.outcome == "baseline" and "ranks churners worse than" in lost.text
    assert "catch as many churners (lift 1.500 vs 1.500)" in lost.text  # equal at 2 decimals: shown with 3
    other_way = churn.verdict(_metrics((0.70, 0.71), (1.6, 1.5)))
    assert other_way.outcome == "mixed" and "worse than" in other_way.text and "catch more" in other_way.text


def test_calibration_warning_names_the_far_off_band():
    y = np.r_[np.ones(50), np.zeros(50), np.ones(90), np.zeros(10)]
    risk = np.r_[np.full(100, 0.92), np.full(100, 0.88)]  # the first band churns at 50%, the second at 90%
    table = churn.calibration_table(y, {"model": risk})
    warning = churn.calibration_warning(table)
    assert warning.startswith("Calibration is off: on the held-out snapshot the 100 customers given about 92% risk")
    assert "churned at 50%" in warning and "more alarming" in warning
    calibrated = churn.calibration_table(y, {"model": np.r_[np.full(100, 0.5), np.full(100, 0.9)]})
    assert churn.calibration_warning(calibrated) is None
    few = churn.calibration_table(np.array([1.0, 0.0, 0.0]), {"model": np.array([0.6, 0.6, 0.6])})
    assert churn.calibration_warning(few) is None  # 3 customers prove nothing
