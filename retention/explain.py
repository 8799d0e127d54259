"""SHAP explanations of a calibrated tree model: per-customer contributions, global importance, waterfalls and
plain-words reasons.

What is explained
-----------------
SHAP's TreeExplainer (path-dependent, exact) explains the trees' *raw
log-odds*. The calibrated risk is ``expit(slope * raw + intercept)`` (for
example :class:`retention.churn.ChurnModel`), linear in log-odds, so multiplying
each SHAP value by ``slope`` gives contributions that add up exactly to the
calibrated log-odds: ``logit(risk) = base_log_odds + sum(contributions)``.
One-hot columns of a categorical feature are summed back into that feature.

This module knows no particular feature. How a feature reads (a chart label and
a phrase per value) comes from a *glossary*: a mapping from feature name to an
object with ``label`` and ``phrase`` (churn passes its feature registry). The
phrase builders below (:func:`counted`, :func:`template`, :func:`unless_missing`)
help write those phrases; imports go one way, from the model's package to here.

Probability terms
-----------------
Users read probabilities, not log-odds. A customer's log-odds contributions are
turned into probability points by the *average slope of the logistic curve
between the base and the customer's score*::

    p_i = c_i * (risk - base_risk) / (logit(risk) - base_log_odds)

so the probability contributions keep each sign, keep the ranking of the
log-odds ones, and add up exactly to ``risk - base_risk`` (a waterfall from the
base risk lands on the customer's risk). When the sum of contributions is ~0,
the slope at the base, ``base_risk * (1 - base_risk)``, is used. "No purchase
for 74 days: +0.21" therefore means that fact moves this customer's risk up by
about 21 percentage points from the average customer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.special import expit

TOP_REASONS = 3
REASON_SEPARATOR = "; "

Phrase = Callable[[pd.Series], np.ndarray]


class Described(Protocol):
    """How a feature reads: ``label`` names it in charts; ``phrase`` turns its values into plain words."""

    @property
    def label(self) -> str: ...

    @property
    def phrase(self) -> Phrase: ...


Glossary = Mapping[str, Described]


class Encoder(Protocol):
    """Turns a feature frame into the trees' float matrix; ``sources`` names the feature of every column."""

    @property
    def sources(self) -> list[str]: ...

    def transform(self, frame: pd.DataFrame) -> np.ndarray: ...


class CalibratedTrees(Protocol):
    """A tree ensemble SHAP's TreeExplainer reads, its encoder, and Platt scaling of its raw log-odds."""

    @property
    def encoder(self) -> Encoder: ...

    @property
    def trees(self) -> object: ...

    @property
    def slope(self) -> float: ...

    @property
    def intercept(self) -> float: ...


@dataclass(frozen=True)
class Explanation:
    """SHAP contributions of the customers of one feature frame, row for row.

    features: feature names (one per column of ``values``); values:
    ``(customers, features)`` contributions to the calibrated log-odds of
    churning; base_log_odds: the calibrated log-odds of the average training
    customer (``logit(risk) = base_log_odds + values.sum(axis=1)``); glossary:
    how each feature reads (a feature missing from it reads as its name).
    """

    features: tuple[str, ...]
    values: np.ndarray
    base_log_odds: float
    glossary: Glossary = field(default_factory=dict, repr=False)

    @property
    def base_risk(self) -> float:
        """The average training customer's risk, in [0, 1]."""
        return float(expit(self.base_log_odds))

    @property
    def log_odds(self) -> np.ndarray:
        """Each customer's calibrated log-odds of churning."""
        return self.base_log_odds + self.values.sum(axis=1)

    @property
    def risk(self) -> np.ndarray:
        """Each customer's calibrated risk, in [0, 1] (equal to the model's)."""
        return expit(self.log_odds)

    def take(self, rows: Sequence[int] | np.ndarray) -> Explanation:
        """The explanation of the given rows, in that order."""
        return Explanation(
            features=self.features,
            values=self.values[np.asarray(rows)],
            base_log_odds=self.base_log_odds,
            glossary=self.glossary,
        )

    @staticmethod
    def concat(parts: Sequence[Explanation]) -> Explanation:
        """The explanations of consecutive blocks of one frame's rows (same model), as one, row for row."""
        first = parts[0]
        values = np.concatenate([part.values for part in parts]) if len(parts) > 1 else first.values
        return Explanation(first.features, values, first.base_log_odds, first.glossary)

    def label(self, feature: str) -> str:
        """The chart label of ``feature`` (the name itself when the glossary has none)."""
        text = self.glossary.get(feature)
        return text.label if text else feature

    def phrases(self, feature: str, values: pd.Series) -> np.ndarray:
        """Plain-words description of each value of ``feature`` ('No purchase for 74 days')."""
        text = self.glossary.get(feature)
        if text is None:
            return joined(feature + " = ", values.astype("object").astype(str).to_numpy())
        return np.asarray(text.phrase(values.reset_index(drop=True)), dtype=object)


def explain(model: CalibratedTrees, frame: pd.DataFrame, glossary: Glossary | None = None) -> Explanation:
    """SHAP contributions of every row of ``frame`` (a feature frame the model's encoder reads).

    ``glossary`` (feature name -> label and phrase) travels with the result, for the reasons and charts.
    """
    x = model.encoder.transform(frame)
    exact = stump_shap(model.trees, x)
    if exact is None:
        import shap  # here, not at the top: pages that show saved explanations never load it (seconds of import)

        explainer = shap.TreeExplainer(model.trees)
        raw = np.asarray(explainer.shap_values(x), dtype=np.float64).reshape(len(x), -1)
        expected = float(np.ravel(explainer.expected_value)[0])
    else:
        raw, expected = exact
    sources = model.encoder.sources
    features = tuple(dict.fromkeys(sources))
    grouping = np.zeros((len(sources), len(features)))
    grouping[np.arange(len(sources)), [features.index(source) for source in sources]] = 1.0
    return Explanation(
        features=features,
        values=(raw @ grouping) * model.slope,
        base_log_odds=model.slope * expected + model.intercept,
        glossary=glossary if glossary is not None else {},
    )


def stump_shap(trees: object, x: np.ndarray) -> tuple[np.ndarray, float] | None:
    """SHAP's path-dependent TreeSHAP values of ``x`` (``(rows, columns)``, float64) and expected value, for a
    binary scikit-learn ``HistGradientBoostingClassifier`` whose every tree is a stump (one numeric split) or a
    single leaf; None for any other model (:func:`explain` then asks SHAP's TreeExplainer).

    A stump's SHAP value is all its split feature's: the leaf the row falls in minus the trees' mean leaf, weighted
    by the training rows each leaf holds (the expected value gathers those means). So the stumps of one column add
    up to one step function of it, read with one binary search per row: a million rows in about a second, where
    TreeExplainer walks every tree for every row (and its import alone takes seconds).
    """
    predictors = getattr(trees, "_predictors", None)
    baseline = getattr(trees, "_baseline_prediction", None)
    if predictors is None or baseline is None or np.size(baseline) != 1 or any(len(p) != 1 for p in predictors):
        return None
    expected = float(np.ravel(baseline)[0])
    stumps: dict[int, list[tuple[float, float, float, bool]]] = {}
    for (predictor,) in predictors:
        nodes = predictor.nodes
        if len(nodes) == 1 and nodes["is_leaf"][0]:
            expected += float(nodes["value"][0])
            continue
        root = nodes[0]
        if len(nodes) != 3 or root["is_leaf"] or root["is_categorical"]:
            return None
        left, right = nodes[int(root["left"])], nodes[int(root["right"])]
        if not (left["is_leaf"] and right["is_leaf"]):
            return None
        mean = (left["count"] * left["value"] + right["count"] * right["value"]) / root["count"]
        expected += float(mean)
        step = (float(root["num_threshold"]), float(left["value"] - mean), float(right["value"] - mean))
        stumps.setdefault(int(root["feature_idx"]), []).append((*step, bool(root["missing_go_to_left"])))
    raw = np.zeros(x.shape, dtype=np.float64)
    for column, splits in stumps.items():
        threshold, below, above, missing_left = (np.asarray(part) for part in zip(*sorted(splits), strict=True))
        # A row goes left (below) at every split whose threshold is >= its value: with p = the number of
        # thresholds < x, its sum is below[p:] + above[:p].
        steps = np.append(np.cumsum(below[::-1])[::-1], 0.0) + np.insert(np.cumsum(above), 0, 0.0)
        values = x[:, column]
        missing = np.isnan(values)
        raw[:, column] = steps[np.searchsorted(threshold, values, side="left")]
        raw[missing, column] = np.where(missing_left, below, above).sum()
    return raw, expected


def calibrated_risk(model: CalibratedTrees, frame: pd.DataFrame) -> np.ndarray:
    """The model's calibrated risk of every row of ``frame``, in [0, 1]: summed from :func:`stump_shap` when the
    trees are stumps (a million rows in about a second), else from the trees' own decision function."""
    x = model.encoder.transform(frame)
    exact = stump_shap(model.trees, x)
    raw = model.trees.decision_function(x) if exact is None else exact[1] + exact[0].sum(axis=1)
    return expit(model.slope * np.asarray(raw, dtype=np.float64) + model.intercept)


def probability_contributions(explanation: Explanation) -> np.ndarray:
    """Contributions in probability points, ``(customers, features)``; each row sums to ``risk - base_risk``."""
    total = explanation.values.sum(axis=1)
    base = explanation.base_risk
    gain = explanation.risk - base
    flat = np.abs(total) < 1e-9
    slope = np.where(flat, base * (1.0 - base), gain / np.where(flat, 1.0, total))
    return explanation.values * slope[:, None]


# ---------------------------------------------------------------------------
# Phrase builders (vectorised: a Series of values in, an array of text out)
# ---------------------------------------------------------------------------


def whole(values: pd.Series) -> np.ndarray:
    """Rounded whole numbers as text ('12'); missing values read as 0."""
    return np.char.mod("%d", np.round(values.to_numpy(dtype=np.float64, na_value=0.0)).astype(np.int64))


def decimal(values: pd.Series) -> np.ndarray:
    """One decimal as text ('3.5'); missing values read as 0."""
    return np.char.mod("%.1f", values.to_numpy(dtype=np.float64, na_value=0.0))


def percent(values: pd.Series) -> np.ndarray:
    """A share in [0, 1] as a whole percentage ('25%')."""
    return np.char.add(whole(values * 100), "%")


def plural(values: pd.Series, one: str, many: str) -> np.ndarray:
    """``one`` where the value rounds to 1, else ``many``."""
    return np.where(np.round(values.to_numpy(dtype=np.float64, na_value=0.0)) == 1, one, many)


def joined(*parts: object) -> np.ndarray:
    """Elementwise concatenation of arrays and strings."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        out = out + np.asarray(part, dtype=object)
    return out


def counted(one: str, many: str, after: str = "", before: str = "") -> Phrase:
    """A phrase builder for counts: ``before`` + '3' + ``one``/``many`` + ``after``."""

    def phrase(values: pd.Series) -> np.ndarray:
        return joined(before, whole(values), plural(values, one, many), after)

    return phrase


def unless_missing(missing: str, phrase: Phrase) -> Phrase:
    """``phrase`` for present values, the text ``missing`` for missing ones."""
    return lambda values: np.where(values.isna().to_numpy(), missing, phrase(values))


def template(before: str, format_values: Callable[[pd.Series], np.ndarray], after: str = "") -> Phrase:
    """A phrase builder ``before`` + formatted value + ``after``."""
    return lambda values: joined(before, format_values(values), after)


# ---------------------------------------------------------------------------
# Plain-words reasons
# ---------------------------------------------------------------------------


def _signed(points: np.ndarray) -> np.ndarray:
    """Probability points as '+0.21' / '-0.05'."""
    return np.char.mod("%+.2f", points)


def top_reasons(explanation: Explanation, frame: pd.DataFrame, top: int = TOP_REASONS) -> pd.DataFrame:
    """Each customer's ``top`` features by absolute probability contribution, strongest first.

    Returns
    -------
    DataFrame
        One row per customer and rank: ``row`` (position in ``frame``),
        ``rank`` (1 = strongest), ``feature``, ``text`` (plain words),
        ``contribution`` (probability points, signed).
    """
    points = probability_contributions(explanation)
    n, k = points.shape
    top = min(top, k)
    order = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :top]
    rows = np.repeat(np.arange(n), top)
    columns = order.ravel()
    text = np.empty(len(rows), dtype=object)
    for index, feature in enumerate(explanation.features):
        hit = columns == index
        if hit.any():
            # Phrased once per distinct value (customers share most values), then spread to the rows.
            codes, distinct = pd.factorize(frame[feature].iloc[rows[hit]], use_na_sentinel=False)
            text[hit] = explanation.phrases(feature, pd.Series(distinct, dtype=frame[feature].dtype))[codes]
    return pd.DataFrame(
        {
            "row": rows,
            "rank": np.tile(np.arange(1, top + 1), n),
            "feature": np.asarray(explanation.features, dtype=object)[columns],
            "text": text,
            "contribution": points[rows, columns],
        }
    )


def reasons(explanation: Explanation, frame: pd.DataFrame, top: int = TOP_REASONS) -> pd.Series:
    """Each customer's top reasons as one string: 'No purchase for 74 days: +0.21; 1 order in total: +0.08; ...'.

    Contributions are probability points (see the module docstring).
    """
    ranked = top_reasons(explanation, frame, top)
    n = len(frame)
    if n == 0:
        return pd.Series([], dtype="str")
    items = joined(ranked["text"].to_numpy(), ": ", _signed(ranked["contribution"].to_numpy()))
    per_row = items.reshape(n, -1)
    out = per_row[:, 0]
    for column in range(1, per_row.shape[1]):
        out = joined(out, REASON_SEPARATOR, per_row[:, column])
    return pd.Series(out, dtype="str")


# ---------------------------------------------------------------------------
# Global view and per-customer waterfall
# ---------------------------------------------------------------------------


def global_importance(explanation: Explanation) -> pd.DataFrame:
    """Mean absolute contribution per feature over all customers, largest first.

    Returns
    -------
    DataFrame
        ``feature``, ``label``, ``mean_abs_log_odds`` (>= 0) and
        ``mean_abs_probability`` (probability points, >= 0).
    """
    table = pd.DataFrame(
        {
            "feature": list(explanation.features),
            "label": [explanation.label(feature) for feature in explanation.features],
            "mean_abs_log_odds": np.abs(explanation.values).mean(axis=0),
            "mean_abs_probability": np.abs(probability_contributions(explanation)).mean(axis=0),
        }
    )
    return table.sort_values("mean_abs_probability", ascending=False, kind="stable").reset_index(drop=True)


BEESWARM_CUSTOMERS = 1000  # a browser draws 12 features x 1,000 dots in about a second; a sample shows the shape


def beeswarm_points(
    explanation: Explanation,
    frame: pd.DataFrame,
    *,
    max_customers: int = BEESWARM_CUSTOMERS,
    seed: int = 0,
) -> pd.DataFrame:
    """Points for a beeswarm-style chart: one per sampled customer and feature.

    Returns
    -------
    DataFrame
        ``feature``, ``label``, ``contribution`` (probability points),
        ``value_rank`` (the customer's value of the feature as a percentile
        among the sampled customers, in [0, 1]; NaN for text features and
        missing values).
    """
    n = len(frame)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(n, max_customers), replace=False)) if n else np.array([], dtype=int)
    points = probability_contributions(explanation)[rows]
    parts = []
    for index, feature in enumerate(explanation.features):
        values = frame[feature].iloc[rows]
        if pd.api.types.is_numeric_dtype(values):
            rank = values.rank(pct=True).to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            rank = np.full(len(rows), np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "label": explanation.label(feature),
                    "contribution": points[:, index],
                    "value_rank": rank,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["feature", "label", "contribution", "value_rank"])
    return pd.concat(parts, ignore_index=True)


def waterfall(explanation: Explanation, frame: pd.DataFrame, row: int, *, max_features: int = 8) -> pd.DataFrame:
    """One customer's risk built up from the base risk, feature by feature (in probability points).

    The ``max_features`` strongest features get a step each; the rest are
    summed into 'Other features'. Steps start at ``base_risk`` and end at the
    customer's risk.

    Returns
    -------
    DataFrame
        ``feature`` (name, or 'other'), ``label``, ``text`` (plain words),
        ``contribution`` (signed probability points), ``start`` and ``end``
        (risk before and after the step, in [0, 1]).
    """
    points = probability_contributions(explanation.take([row]))[0]
    order = np.argsort(-np.abs(points), kind="stable")
    shown, rest = order[:max_features], order[max_features:]
    features = [explanation.features[i] for i in shown]
    texts = [str(explanation.phrases(feature, frame[feature].iloc[[row]])[0]) for feature in features]
    contributions = list(points[shown])
    labels = [explanation.label(feature) for feature in features]
    if len(rest):
        features.append("other")
        labels.append("Other features")
        texts.append(f"{len(rest)} other features")
        contributions.append(float(points[rest].sum()))
    ends = explanation.base_risk + np.cumsum(contributions)
    starts = ends - np.asarray(contributions)
    return pd.DataFrame(
        {
            "feature": features,
            "label": labels,
            "text": texts,
            "contribution": contributions,
            "start": starts,
            "end": ends,
        }
    )
