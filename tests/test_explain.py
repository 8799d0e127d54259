"""SHAP contributions, probability terms, plain-words reasons, importance and waterfalls.

The churn model and its feature registry serve as the model and glossary being explained."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shap
from scipy.special import expit

from retention import churn, explain


def _sigmoid(x: float) -> float:  # an independent oracle for scipy's expit
    return 1 / (1 + math.exp(-x))


def _synthetic_frame(n: int = 1500, seed: int = 3) -> pd.DataFrame:
    """A feature frame whose churn depends on recency, returns and channel; the other features are noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({feature: rng.gamma(2.0, 10.0, size=n) for feature in churn.NUMERIC_FEATURES})
    frame["rating_min"] = np.where(rng.random(n) < 0.4, np.nan, rng.integers(1, 6, size=n))
    frame["channel"] = rng.choice(["email", "social", "organic"], size=n)
    frame["country"] = rng.choice(["UK", "DE"], size=n)
    frame["user_id"] = [f"u{i}" for i in range(n)]
    logit = -1.5 + 0.06 * frame["recency_days"] + 0.8 * (frame["channel"] == "social") - 0.02 * frame["returns_share"]
    frame["churned"] = rng.random(n) < expit(logit)
    return frame


@pytest.fixture(scope="module")
def fitted() -> tuple[churn.ChurnModel, pd.DataFrame]:
    frame = _synthetic_frame()
    model = churn.fit_churn_model(frame, params={"max_iter": 60})
    return model, frame.head(300).reset_index(drop=True)


def test_contributions_add_up_to_calibrated_log_odds(fitted):
    model, frame = fitted
    explanation = explain.explain(model, frame)
    risk = model.predict_risk(frame)
    assert explanation.values.shape == (len(frame), len(churn.FEATURES))
    assert explanation.features == churn.FEATURES
    np.testing.assert_allclose(explanation.risk, risk, atol=1e-9)
    np.testing.assert_allclose(explanation.log_odds, np.log(risk / (1 - risk)), atol=1e-8)


def test_categorical_contribution_is_the_sum_of_its_columns(fitted):
    model, frame = fitted
    explanation = explain.explain(model, frame)
    x = model.encoder.transform(frame)
    raw = np.asarray(shap.TreeExplainer(model.trees).shap_values(x))
    channel_columns = [i for i, source in enumerate(model.encoder.sources) if source == "channel"]
    assert len(channel_columns) == 3 + 1  # three levels and 'other'
    channel = explanation.features.index("channel")
    np.testing.assert_allclose(explanation.values[:, channel], raw[:, channel_columns].sum(axis=1) * model.slope)


def test_single_feature_model_gives_it_the_whole_difference():
    """When the trees use one feature only, its contribution is the whole gap to the base log-odds."""
    frame = _synthetic_frame(n=800, seed=5)
    for feature in churn.NUMERIC_FEATURES:
        if feature != "recency_days":
            frame[feature] = 1.0
    frame["channel"], frame["country"] = "email", "UK"
    model = churn.fit_churn_model(frame, params={"max_iter": 40})
    explanation = explain.explain(model, frame)
    recency = explanation.features.index("recency_days")
    others = np.delete(explanation.values, recency, axis=1)
    np.testing.assert_allclose(others, 0.0, atol=1e-12)
    np.testing.assert_allclose(explanation.values[:, recency], explanation.log_odds - explanation.base_log_odds)


def test_probability_contributions_by_hand():
    explanation = explain.Explanation(
        features=("a", "b"), values=np.array([[1.0, -0.5], [0.3, -0.3]]), base_log_odds=0.0
    )
    points = explain.probability_contributions(explanation)
    slope = (_sigmoid(0.5) - 0.5) / 0.5  # average slope of the logistic curve from 0 to 0.5
    assert points[0].tolist() == pytest.approx([1.0 * slope, -0.5 * slope])
    assert points[0].sum() == pytest.approx(_sigmoid(0.5) - 0.5)
    # Contributions that cancel use the slope at the base: 0.5 * (1 - 0.5).
    assert points[1].tolist() == pytest.approx([0.3 * 0.25, -0.3 * 0.25])


def _hand_explanation() -> tuple[explain.Explanation, pd.DataFrame]:
    """Two customers; contributions cancel, so probability points are log-odds times 0.25 (the base is 0.5)."""
    features = ("recency_days", "frequency", "returns_share", "rating_min", "channel")
    values = np.array([[0.84, -0.40, 0.20, 0.0, -0.64], [0.0, 0.12, 0.0, -0.2, 0.08]])
    frame = pd.DataFrame(
        {
            "recency_days": [74.0, 0.0],
            "frequency": [3.0, 1.0],
            "returns_share": [0.25, 0.0],
            "rating_min": [2.0, np.nan],
            "channel": ["social", "email"],
        }
    )
    explanation = explain.Explanation(
        features=features, values=values, base_log_odds=0.0, glossary=churn.FEATURE_REGISTRY
    )
    return explanation, frame


def test_reasons_in_plain_words():
    explanation, frame = _hand_explanation()
    reasons = explain.reasons(explanation, frame)
    assert reasons.tolist() == [
        f"No purchase for 74 days: +{0.84 * 0.25:.2f}; Came via social: -{0.64 * 0.25:.2f}; "
        f"3 orders in total: -{0.40 * 0.25:.2f}",
        f"Never rated a product: -{0.2 * 0.25:.2f}; 1 order in total: +{0.12 * 0.25:.2f}; "
        f"Came via email: +{0.08 * 0.25:.2f}",
    ]


def test_top_reasons_ranks_by_absolute_effect():
    explanation, frame = _hand_explanation()
    ranked = explain.top_reasons(explanation, frame, top=2)
    assert ranked["row"].tolist() == [0, 0, 1, 1]
    assert ranked["rank"].tolist() == [1, 2, 1, 2]
    assert ranked["feature"].tolist() == ["recency_days", "channel", "rating_min", "frequency"]
    assert ranked["contribution"].tolist() == pytest.approx([0.21, -0.16, -0.05, 0.03])


def test_phrase_builders_by_hand():
    counts = pd.Series([1.0, 2.4, np.nan])
    assert explain.counted(" order", " orders", " in total")(counts).tolist() == [
        "1 order in total",
        "2 orders in total",
        "0 orders in total",
    ]
    share = explain.template("", explain.percent, " off")(pd.Series([0.25]))
    assert share.tolist() == ["25% off"]
    rated = explain.unless_missing("never", explain.template("", explain.decimal, "/5"))(pd.Series([3.45, np.nan]))
    assert rated.tolist() == ["3.5/5", "never"]


def test_a_feature_missing_from_the_glossary_reads_as_its_name():
    explanation = explain.Explanation(features=("x",), values=np.array([[0.4]]), base_log_odds=0.0)
    assert explanation.label("x") == "x"
    assert explain.reasons(explanation, pd.DataFrame({"x": [2.5]})).tolist() == [f"x = 2.5: +{0.4 * 0.25:.2f}"]


def test_global_importance_by_hand():
    explanation, _ = _hand_explanation()
    table = explain.global_importance(explanation).set_index("feature")
    assert table.at["recency_days", "mean_abs_log_odds"] == pytest.approx((0.84 + 0.0) / 2)
    assert table.at["channel", "mean_abs_probability"] == pytest.approx((0.64 + 0.08) / 2 * 0.25)
    assert table.index[0] == "recency_days"
    assert table.at["recency_days", "label"] == "Days since last purchase"


def test_waterfall_starts_at_base_and_ends_at_risk(fitted):
    model, frame = fitted
    explanation = explain.explain(model, frame, churn.FEATURE_REGISTRY)
    steps = explain.waterfall(explanation, frame, 5, max_features=4)
    assert len(steps) == 5 and steps["feature"].iloc[-1] == "other"
    shown_features = steps["feature"].iloc[:-1]
    assert steps["label"].iloc[:-1].tolist() == [churn.FEATURE_REGISTRY[name].label for name in shown_features]
    assert steps["start"].iloc[0] == pytest.approx(explanation.base_risk)
    assert steps["end"].iloc[-1] == pytest.approx(model.predict_risk(frame.iloc[[5]])[0])
    np.testing.assert_allclose(steps["start"].iloc[1:], steps["end"].iloc[:-1])
    shown = steps["contribution"].iloc[:-1].abs().to_numpy()
    assert (np.diff(shown) <= 1e-12).all()


def test_beeswarm_points(fitted):
    model, frame = fitted
    explanation = explain.explain(model, frame)
    points = explain.beeswarm_points(explanation, frame, max_customers=100)
    assert len(points) == 100 * len(explanation.features)
    numeric = points[points["feature"] == "recency_days"]["value_rank"]
    assert numeric.between(0, 1).all()
    assert points[points["feature"] == "channel"]["value_rank"].isna().all()


def test_explain_imports_no_model_package():
    """Imports go one way: a model package (churn) uses explain, never the reverse, not even for type hints."""
    tree = ast.parse((Path(explain.__file__)).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith("retention")}, imported


def test_stump_shap_is_tree_shap_and_deeper_trees_go_to_shap(fitted):
    """The stump path gives TreeExplainer's values and expected value (missing values included); a model with
    deeper trees is left to TreeExplainer."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model, frame = fitted
    x = model.encoder.transform(frame)
    assert np.isnan(x).any()  # rating_min is missing for some customers
    explainer = shap.TreeExplainer(model.trees)
    raw, expected = explain.stump_shap(model.trees, x)
    np.testing.assert_allclose(raw, np.asarray(explainer.shap_values(x)).reshape(len(x), -1), atol=1e-12)
    assert expected == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-12)
    np.testing.assert_allclose(expected + raw.sum(axis=1), model.trees.decision_function(x), atol=1e-10)

    deeper = HistGradientBoostingClassifier(max_depth=3, max_iter=20, random_state=0)
    deeper.fit(x, frame["churned"].astype(int))
    assert explain.stump_shap(deeper, x) is None
