"""Returns and cancellations netted, "latest" scores, and the verdict, on hand-made shops (tests/churn_shops.py)."""

from __future__ import annotations

import datetime as dt

import churn_shops as shops
import numpy as np
import pandas as pd
import pytest

from retention import campaigns, churn, warehouse
from retention.campaigns import Audience
from retention.campaigns.audience import for_download

AS_OF = shops.day(shops.LAST_DAY).date()


@pytest.fixture(scope="module")
def bulk_rows() -> list[tuple]:
    return shops.bulk_cancel_rows()


@pytest.fixture(scope="module")
def bulk_db(bulk_rows, tmp_path_factory) -> str:
    """The shop with a cancelled bulk order; 'POST' is a suggested non-product code; scored and saved once."""
    path = shops.build(tmp_path_factory.mktemp("bulk") / "bulk.duckdb", bulk_rows)
    with warehouse.connect(path) as con:
        con.execute("INSERT INTO non_products VALUES ('POST', 'code ''POST'' looks like postage', 'suggested', now())")
    return path


@pytest.fixture(scope="module")
def bulk_scored(bulk_db) -> churn.ScoringResult:
    with warehouse.connect(bulk_db) as con:
        return churn.score_customers(con, save=True)


def _pandas_order_value(rows: list[tuple], through: dt.date) -> pd.Series:
    """Per customer: net revenue up to the end of ``through`` over purchase orders, at least 0 (the definition)."""
    frame = shops.orders_frame(rows)
    frame = frame[frame["ts"] < pd.Timestamp(through) + pd.Timedelta(days=1)]
    revenue = (frame["quantity"] * frame["unit_price"]).groupby(frame["user_id"]).sum()
    purchases = frame[frame["quantity"] > 0].groupby("user_id")["order_id"].nunique()
    return (revenue.clip(lower=0) / purchases).dropna()


def test_cancelled_bulk_order_is_netted_in_features(bulk_db, bulk_rows):
    with warehouse.connect(bulk_db) as con:
        frame = churn.snapshot_features(con, [AS_OF], horizon_days=90).set_index("user_id")
    bulk, returner = frame.loc["bulk"], frame.loc["returner"]
    assert (bulk["monetary"], bulk["revenue_365d"], bulk["avg_order_value"]) == (0, 0, 0)
    assert bulk["frequency"] == 1  # the order was placed; its value was taken back
    assert bulk["avg_order_value"] <= frame["avg_order_value"].median()  # not an outlier any more
    expected = _pandas_order_value(bulk_rows, AS_OF)
    np.testing.assert_allclose(frame["avg_order_value"], expected[frame.index], atol=5e-5)
    # returner: 10 mugs on one line, two return lines of 1 mug, a postage line: 2 of 10 units came back.
    assert returner["returns_share"] == pytest.approx(2 / 10)
    assert returner["products"] == 1  # postage is not a product...
    assert returner["monetary"] == pytest.approx(10 * 10 + 5 - 2 * 10)  # ...but its revenue counts
    phrase = churn.FEATURE_REGISTRY["returns_share"].phrase(frame.loc[["returner"], "returns_share"])
    assert phrase.tolist() == ["Returned 20% of items"]


def test_returns_share_is_capped_when_returns_predate_the_data(tmp_path):
    rows = shops.recency_only_rows(regulars=30, lapsers=30)
    rows += [("x-1", "x", "mug", 300, 4.0, 10.0), ("C-x", "x", "mug", 301, -4.0, 10.0)]
    rows += [("C-x0", "x", "cup", 302, -6.0, 10.0)]  # a return of a cup bought before the data starts
    with warehouse.connect(shops.build(tmp_path / "w.duckdb", rows)) as con:
        frame = churn.snapshot_features(con, [AS_OF], horizon_days=90).set_index("user_id")
    assert frame.loc["x", "returns_share"] == 1.0 and frame.loc["x", "products"] == 0
    assert frame.loc["x", "monetary"] == pytest.approx(-60.0)


def test_scores_value_is_net_revenue_of_12_months_and_bulk_is_not_inflated(bulk_scored, bulk_rows):
    scores = bulk_scored.scores.set_index("user_id")
    expected = shops.net_revenue(bulk_rows).reindex(scores.index).fillna(0.0)
    np.testing.assert_allclose(scores["value"], expected, atol=0.005)
    assert scores.loc["bulk", "value"] == 0
    by_value = scores.sort_values("value", ascending=False).index.tolist()
    assert by_value[0] == "big" and by_value.index("bulk") > len(by_value) // 2
    assert "80000" not in scores.loc["bulk", "reasons"] and "Average order of 8" not in scores.loc["bulk", "reasons"]
    assert not bulk_scored.features["avg_order_value"].gt(1000).any()


def test_campaign_expected_value_is_net(bulk_scored, bulk_db, bulk_rows):
    with warehouse.connect(bulk_db) as con:
        audience = campaigns.select_audience(con, Audience()).set_index("user_id")
    assert audience.loc["bulk", "expected_value"] == 0
    expected = _pandas_order_value(bulk_rows, AS_OF)
    np.testing.assert_allclose(audience["expected_value"], expected[audience.index], atol=1e-6)
    assert audience.loc["big", "expected_value"] == pytest.approx(300.0)
    readable = for_download(audience.reset_index())
    assert readable["expected_value"].tolist() == audience["expected_value"].round(2).tolist()
    assert (readable["risk"] == audience["risk"].round(4).to_numpy()).all()
    assert campaigns.audience_scoring(audience.reset_index()) == (
        f"Churn scores as of {AS_OF} (90-day horizon, model {bulk_scored.model_version})"
    )


def _insert_run(con, as_of: str, scored_at: str, version: str, risk: float) -> None:
    con.execute(
        "INSERT INTO scores VALUES (?, 90, ?, 'u1', ?, 10.0, 3.0, 'r', ?), (?, 90, ?, 'u2', ?, 20.0, 5.0, 'r', ?)",
        [as_of, version, risk, scored_at, as_of, version, risk / 2, scored_at],
    )


def test_latest_scores_is_the_newest_as_of_not_the_last_computed(tmp_path):
    path = shops.build(tmp_path / "latest.duckdb", shops.recency_only_rows(regulars=5, lapsers=5))
    with warehouse.connect(path) as con:
        _insert_run(con, "2025-02-20", "2025-03-01 09:00", "december", 0.9)
        _insert_run(con, "2024-09-30", "2025-03-01 10:00", "september", 0.4)  # explored later, older date
        _insert_run(con, "2025-02-20", "2025-03-01 08:00", "december-earlier", 0.7)
        latest = churn.latest_scores(con)
        assert set(latest["model_version"]) == {"december"} and latest["as_of"].iloc[0] == dt.date(2025, 2, 20)
        assert set(churn.latest_scores(con, as_of="2024-09-30")["model_version"]) == {"september"}
        audience = campaigns.select_audience(con, Audience())
        assert set(audience["model_version"]) == {"december"}
        assert str(audience["scores_as_of"].iloc[0])[:10] == "2025-02-20"
        older = campaigns.select_audience(con, Audience(scores_as_of=dt.date(2024, 9, 30)))
        assert set(older["model_version"]) == {"september"}


def test_verdict_says_when_recency_alone_does_as_well(tmp_path):
    with warehouse.connect(shops.build(tmp_path / "r.duckdb", shops.recency_only_rows())) as con:
        result = churn.score_customers(con, save=False)
    metrics = result.metrics.set_index("metric")
    said = churn.verdict(result.metrics, result.summary["holdout_date"])
    assert metrics.at["roc_auc", "model"] <= metrics.at["roc_auc", "baseline"] + 5e-4
    assert said.outcome == "baseline"
    assert said.text.startswith(
        f"On the held-out snapshot of {result.summary['holdout_date']} the model does no better"
    )
    assert "sorting customers by days since their last purchase" in said.text


def test_verdict_says_when_the_model_wins(tmp_path):
    with warehouse.connect(shops.build(tmp_path / "f.duckdb", shops.frequency_rows())) as con:
        result = churn.score_customers(con, save=False)
    metrics = result.metrics.set_index("metric")
    assert metrics.at["roc_auc", "model"] > metrics.at["roc_auc", "baseline"] + 0.1
    assert metrics.at["lift_top_decile", "model"] > metrics.at["lift_top_decile", "baseline"]
    said = churn.verdict(result.metrics)
    assert said.outcome == "model" and "the model beats recency alone" in said.text
    auc = f"ROC AUC {metrics.at['roc_auc', 'model']:.2f} vs {metrics.at['roc_auc', 'baseline']:.2f}"
    assert auc in said.text
