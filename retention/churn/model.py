"""The churn model: feature encoding, gradient-boosted trees with Platt scaling, and the recency baseline.

See :mod:`retention.churn` for why these trees and this calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import expit
from threadpoolctl import threadpool_limits

from retention.churn.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from retention.errors import DataError

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted: a page that shows saved scores never loads it
    from sklearn.ensemble import HistGradientBoostingClassifier

MIN_TRAINING_ROWS = 50
VALIDATION_SHARE = 0.2  # customers held out of a fit to stop it early and to fit its Platt scaling
# Below this many rows the trees are fitted again on every row, with the tree count the held-out customers chose:
# a fit that small takes a second or two, and a fifth of a small shop's customers is accuracy worth having (on the
# 600-customer test shop the refit gained 0.01 ROC AUC on the holdout over the fit without those customers).
REFIT_MAX_ROWS = 50_000
DEFAULT_SEED = 0
MODEL_REVISION = "5"
# Below this many rows the trees fit on one thread: OpenMP's start-up and spinning cost more than
# they save on small data, and far more on a busy machine.
PARALLEL_MIN_ROWS = 50_000
MAX_CATEGORY_LEVELS = 12  # rarer levels share the column '<feature>=other'
OTHER_LEVEL = "other"

# Stumps (one split per tree, so main effects only): SHAP costs leaves x depth per tree and row, a prediction
# depth. On Online Retail, held out at four monthly snapshots, they beat depth-2 trees on ROC AUC at all four and
# on top-decile lift at three (depth 2 lost to recency alone on lift); monotonic constraints added nothing there.
MODEL_PARAMS: dict[str, object] = {
    "max_depth": 1,
    "max_leaf_nodes": 2,
    "learning_rate": 0.3,
    "max_iter": 400,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": True,  # on the validation customers (see fit_churn_model)
    "n_iter_no_change": 15,
}


@dataclass(frozen=True)
class FeatureEncoder:
    """Turns a feature frame into the model's float matrix.

    Numeric features pass through (NaN stays NaN: the trees route it); each
    categorical feature becomes one 0/1 column per kept level plus
    ``<feature>=other``. :attr:`sources` maps every column back to its feature,
    so SHAP values can be summed per feature.
    """

    numeric: tuple[str, ...]
    levels: dict[str, tuple[str, ...]]

    @property
    def columns(self) -> list[str]:
        out = list(self.numeric)
        for feature, kept in self.levels.items():
            out += [f"{feature}={level}" for level in (*kept, OTHER_LEVEL)]
        return out

    @property
    def sources(self) -> list[str]:
        out = list(self.numeric)
        for feature, kept in self.levels.items():
            out += [feature] * (len(kept) + 1)
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The ``(rows, len(columns))`` float64 matrix of ``frame``."""
        parts = [frame[list(self.numeric)].to_numpy(dtype=np.float64, na_value=np.nan)]
        for feature, kept in self.levels.items():
            values = frame[feature].astype("object").to_numpy()
            onehot = np.column_stack([values == level for level in kept] + [~np.isin(values, kept)])
            parts.append(onehot.astype(np.float64))
        return np.hstack(parts)


def fit_encoder(
    frame: pd.DataFrame,
    *,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    max_levels: int = MAX_CATEGORY_LEVELS,
) -> FeatureEncoder:
    """Keep the numeric features with at least one value (a warehouse without ratings has none) and the
    ``max_levels`` most frequent levels of each categorical feature (ties by name)."""
    present = tuple(feature for feature in numeric if frame[feature].notna().any())
    levels = {}
    for feature in categorical:
        counts = frame[feature].astype("object").value_counts()
        ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
        levels[feature] = tuple(str(level) for level, _ in ordered[:max_levels] if level != OTHER_LEVEL)
    return FeatureEncoder(numeric=present, levels=levels)


@dataclass(frozen=True)
class ChurnModel:
    """Gradient-boosted trees plus Platt scaling.

    risk = expit(slope * raw_log_odds + intercept), a probability in [0, 1].
    """

    encoder: FeatureEncoder
    trees: HistGradientBoostingClassifier
    slope: float
    intercept: float

    def raw_log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        """The trees' uncalibrated log-odds of churning, one per row."""
        with thread_limit(len(frame)):
            return self.trees.decision_function(self.encoder.transform(frame))

    def predict_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of churning, in [0, 1], one per row."""
        return expit(self.slope * self.raw_log_odds(frame) + self.intercept)


@dataclass(frozen=True)
class RecencyBaseline:
    """risk = expit(coef * log(1 + recency_days) + intercept): the recency-only baseline."""

    coef: float
    intercept: float

    def predict_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of churning, in [0, 1], one per row."""
        return expit(self.coef * np.log1p(frame["recency_days"].to_numpy(dtype=np.float64)) + self.intercept)


def labels(frame: pd.DataFrame, what: str) -> np.ndarray:
    """The ``churned`` column as 0/1 ints.

    Raises
    ------
    DataError
        Fewer than :data:`MIN_TRAINING_ROWS` rows, or only one class: the model needs churners and stayers.
    """
    y = frame["churned"].astype("boolean").to_numpy(dtype=bool, na_value=False).astype(np.int64)
    if len(y) < MIN_TRAINING_ROWS:
        raise DataError(
            f"the {what} has {len(y)} customer snapshots; the churn model needs at least {MIN_TRAINING_ROWS}. "
            "Import more customers or more history."
        )
    churners = int(y.sum())
    if churners in (0, len(y)):
        outcome = "churned" if churners else "bought again"
        raise DataError(
            f"all {len(y)} customer snapshots in the {what} {outcome} within the horizon, so there is nothing "
            "to tell apart; try another horizon or import more history"
        )
    return y


def thread_limit(rows: int) -> threadpool_limits:
    """A context that keeps OpenMP to one thread for fewer than :data:`PARALLEL_MIN_ROWS` rows."""
    return threadpool_limits(limits=1 if rows < PARALLEL_MIN_ROWS else None, user_api="openmp")


def _trees(seed: int, params: dict[str, object] | None) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**{**MODEL_PARAMS, **(params or {})}, random_state=seed)


def validation_customers(
    frame: pd.DataFrame, *, seed: int = DEFAULT_SEED, share: float = VALIDATION_SHARE
) -> np.ndarray:
    """A 0/1 mask of the rows of a seeded ``share`` of the customers (``user_id``): all of a customer's rows or
    none. Customers are drawn within three strata (only churned, only stayed, both), at least one from each stratum
    of two or more, so that both sides see both outcomes wherever the frame allows."""
    y = frame["churned"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    users, index = np.unique(frame["user_id"].to_numpy().astype(str), return_inverse=True)
    churned = np.bincount(index, weights=y, minlength=len(users))
    stayed = np.bincount(index, weights=~y, minlength=len(users))
    stratum = (churned > 0).astype(int) + 2 * (stayed > 0)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(users), dtype=bool)
    for value in np.unique(stratum):
        members = np.flatnonzero(stratum == value)
        if len(members) >= 2:
            take = min(len(members) - 1, max(1, round(share * len(members))))
            chosen[rng.choice(members, size=take, replace=False)] = True
    return chosen[index]


def fit_churn_model(
    frame: pd.DataFrame,
    *,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    what: str = "training data",
    refit_max_rows: int = REFIT_MAX_ROWS,
) -> ChurnModel:
    """Fit the trees once, stopping early on a held-out :data:`VALIDATION_SHARE` of the customers
    (:func:`validation_customers`: a customer's snapshots never on both sides), and Platt scaling on those
    customers' log-odds. Under ``refit_max_rows`` rows the trees are then fitted again on every row, as many
    as the first fit kept, and keep that Platt scaling. ``params`` override :data:`MODEL_PARAMS`.

    Raises
    ------
    DataError
        As :func:`labels`, or the validation or fitting customers all share one outcome (too few customers).
    """
    from sklearn.linear_model import LogisticRegression

    y = labels(frame, what)
    encoder = fit_encoder(frame)
    x = encoder.transform(frame)
    held = validation_customers(frame, seed=seed)
    for side, rows in (("validation", held), ("fitting", ~held)):
        if len(np.unique(y[rows])) < 2:
            raise DataError(
                f"the {what} has too few customers to hold some out for {side} with both outcomes "
                f"({len(np.unique(frame['user_id']))} customers); import more customers or more history"
            )
    with thread_limit(len(y)):
        trees = _trees(seed, params).fit(x[~held], y[~held], X_val=x[held], y_val=y[held])
        raw = trees.decision_function(x[held])
        if len(y) < refit_max_rows:
            count = {"max_iter": trees.n_iter_, "early_stopping": False}
            trees = _trees(seed, {**(params or {}), **count}).fit(x, y)
    platt = LogisticRegression(C=np.inf).fit(raw.reshape(-1, 1), y[held])
    return ChurnModel(
        encoder=encoder, trees=trees, slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
    )


def fit_recency_baseline(frame: pd.DataFrame, *, what: str = "training data") -> RecencyBaseline:
    """Logistic regression of churn on ``log(1 + recency_days)``."""
    from sklearn.linear_model import LogisticRegression

    y = labels(frame, what)
    x = np.log1p(frame["recency_days"].to_numpy(dtype=np.float64)).reshape(-1, 1)
    fitted = LogisticRegression(C=np.inf).fit(x, y)
    return RecencyBaseline(coef=float(fitted.coef_[0, 0]), intercept=float(fitted.intercept_[0]))
