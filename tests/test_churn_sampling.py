"""Training at scale: a warehouse above the row cap trains on a seeded sample of whole customers, one below it on
every row; each model is fitted once, stopped early and calibrated on held-out customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from retention import churn, sample, warehouse


@pytest.fixture(scope="module")
def shop_db(sample_frames, tmp_path_factory) -> str:
    """A private copy of the 600-user test shop (only read)."""
    path = tmp_path_factory.mktemp("sampling") / "shop.duckdb"
    with warehouse.connect(path) as con:
        sample.load_frames(con, sample_frames, source="test")
    return str(path)


@pytest.fixture(scope="module")
def everything(shop_db) -> tuple[churn.SnapshotPlan, pd.DataFrame]:
    """The scoring's plan and every customer's rows at every planned date (the independent reference)."""
    with warehouse.connect(shop_db) as con:
        plan = churn.plan_scoring(con)
        return plan, churn.snapshot_features(con, plan.all_dates, plan.horizon_days)


def _read(db: str, plan: churn.SnapshotPlan, **cap) -> churn.ScoringInput:
    with warehouse.connect(db) as con:
        return churn.read_scoring_input(con, plan, **cap)


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["snapshot_date", "user_id"]).reset_index(drop=True)


def test_below_the_cap_every_row_is_read(shop_db, everything):
    plan, full = everything
    data = _read(shop_db, plan)
    assert data.sample.everyone and data.sample.available == len(churn.rows_at(full, plan.final_train))
    pd.testing.assert_frame_equal(_keys(data.frame), _keys(full))


def test_above_the_cap_whole_customers_are_sampled(shop_db, everything):
    plan, full = everything
    available = len(churn.rows_at(full, plan.final_train))
    cap = available // 3
    data = _read(shop_db, plan, max_rows=cap, seed=5)
    assert data.sample.share == pytest.approx(cap / available) and data.sample.available == available
    assert not data.sample.everyone

    # Every customer at as_of; at the other dates the same customers everywhere, with their rows unchanged.
    current = churn.rows_at(data.frame, [plan.as_of])
    pd.testing.assert_frame_equal(_keys(current), _keys(churn.rows_at(full, [plan.as_of])))
    past_dates = [day for day in plan.all_dates if day != plan.as_of]
    past = churn.rows_at(data.frame, past_dates)
    kept = set(past["user_id"])
    reference = churn.rows_at(full, past_dates)
    pd.testing.assert_frame_equal(_keys(past), _keys(reference[reference["user_id"].isin(kept)]))
    customers = set(reference["user_id"])
    assert 0.15 < len(kept) / len(customers) < 0.55  # a third of them, give or take the draw
    training = len(churn.rows_at(data.frame, plan.final_train))
    assert 0.5 * cap < training < 1.5 * cap

    # The same seed reads the same rows; another seed other customers.
    pd.testing.assert_frame_equal(_read(shop_db, plan, max_rows=cap, seed=5).frame, data.frame)
    other = churn.rows_at(_read(shop_db, plan, max_rows=cap, seed=6).frame, past_dates)
    assert set(other["user_id"]) != kept


def test_a_sampled_scoring_says_what_it_trained_on(shop_db, everything):
    plan, full = everything
    available = len(churn.rows_at(full, plan.final_train))
    data = _read(shop_db, plan, max_rows=available // 2)
    result = churn.fit_and_score(data)
    final_train = churn.rows_at(data.frame, plan.final_train)
    assert result.summary["training_rows"] == len(final_train) < available
    assert result.summary["training_sample"] == {
        "rows": len(final_train),
        "available": available,
        "share": data.sample.share,
        "seed": churn.SAMPLE_SEED,
    }
    assert churn.sample_phrase(result.summary) == (
        f"a sample of whole customers, {len(final_train):,} of the {available:,} snapshot rows"
    )
    assert result.summary["holdout_customers"] == len(churn.rows_at(data.frame, [plan.holdout]))
    assert len(result.scores) == len(churn.rows_at(full, [plan.as_of]))  # every customer is scored

    whole = churn.fit_and_score(_read(shop_db, plan))
    assert whole.summary["training_sample"]["rows"] == whole.summary["training_sample"]["available"] == available
    assert churn.sample_phrase(whole.summary) == ""


def test_validation_customers_are_whole_and_seeded(everything):
    plan, full = everything
    frame = churn.rows_at(full, plan.final_train)
    held = churn.validation_customers(frame, seed=3)
    users = frame["user_id"].to_numpy()
    assert not set(users[held]) & set(users[~held])  # a customer's snapshots never on both sides
    share = len(set(users[held])) / len(set(users))
    assert share == pytest.approx(churn.VALIDATION_SHARE, abs=0.02)
    y = frame["churned"].astype(bool).to_numpy()
    assert set(y[held]) == set(y[~held]) == {False, True}
    np.testing.assert_array_equal(churn.validation_customers(frame, seed=3), held)
    assert (churn.validation_customers(frame, seed=4) != held).any()


def test_one_fit_calibrated_on_the_validation_customers(everything):
    """Below REFIT_MAX_ROWS: one fit stopped early on the validation customers, Platt scaling on their log-odds,
    then as many trees refitted on every row."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    plan, full = everything
    frame = churn.rows_at(full, plan.final_train)
    assert len(frame) < churn.REFIT_MAX_ROWS
    model = churn.fit_churn_model(frame, seed=2)
    held = churn.validation_customers(frame, seed=2)
    x = model.encoder.transform(frame)
    y = frame["churned"].astype(bool).to_numpy()
    first = HistGradientBoostingClassifier(**churn.MODEL_PARAMS, random_state=2).fit(
        x[~held], y[~held], X_val=x[held], y_val=y[held]
    )
    assert first.n_iter_ < churn.MODEL_PARAMS["max_iter"]  # stopped early
    platt = LogisticRegression(C=np.inf).fit(first.decision_function(x[held]).reshape(-1, 1), y[held])
    assert model.slope == pytest.approx(platt.coef_[0, 0]) and model.intercept == pytest.approx(platt.intercept_[0])
    again = HistGradientBoostingClassifier(
        **{**churn.MODEL_PARAMS, "max_iter": first.n_iter_, "early_stopping": False}, random_state=2
    ).fit(x, y)
    assert model.trees.n_iter_ == first.n_iter_
    np.testing.assert_allclose(again.decision_function(x), model.trees.decision_function(x))


def test_a_large_training_set_is_fitted_once(everything):
    """At or above refit_max_rows (lowered here) the trees are those of the one fit on the other customers."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    plan, full = everything
    frame = churn.rows_at(full, plan.final_train)
    model = churn.fit_churn_model(frame, seed=2, refit_max_rows=len(frame))
    held = churn.validation_customers(frame, seed=2)
    x = model.encoder.transform(frame)
    y = frame["churned"].astype(bool).to_numpy()
    once = HistGradientBoostingClassifier(**churn.MODEL_PARAMS, random_state=2).fit(
        x[~held], y[~held], X_val=x[held], y_val=y[held]
    )
    np.testing.assert_allclose(once.decision_function(x), model.trees.decision_function(x))
