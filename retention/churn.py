"""Churn risk: leak-free snapshots, features and labels, a calibrated gradient-boosted model, evaluation and scores.

Definition
----------
A customer *churns* at an as-of date when they make no purchase in the
``horizon_days`` days after it. Dates are days: an as-of (or snapshot) date
``d`` covers the data up to the end of day ``d``; the label reads the
``horizon_days`` days that follow. Only customers with a purchase up to ``d``
are scored.

Training without leakage
------------------------
Training examples come from monthly snapshot dates in the past. Each snapshot's
features use only rows before its cutoff (SQL in ``retention/sql/churn_features.sql``)
and its label the ``horizon_days`` after it, so the newest labelled snapshot is
``as_of - horizon_days``. That snapshot is held out: the evaluation model is
trained on the snapshots whose label windows end by the holdout date (exactly
what the model would have known on that day) and scored on the holdout. The
model that scores the customers at ``as_of`` is then refitted on every labelled
snapshot, the holdout included.

Model
-----
scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`: it is
in the stack already, handles missing values natively (customers who never
rated, or bought once) and SHAP's TreeExplainer reads it exactly. LightGBM
would fit faster on millions of rows, but a warehouse of this app's size trains
in seconds and one dependency fewer is worth more. The trees are kept shallow
(depth 2, 4 leaves, so pairwise interactions at most) so explaining every
customer stays cheap: SHAP time per tree grows with leaves times depth, a
prediction's with depth (``benchmarks/churn_bench.py`` measures both, and the
AUC, against an unconstrained model).

Calibration is Platt scaling fitted on out-of-fold log-odds (folds grouped by
customer): calibrated log-odds = ``slope * raw + intercept``. Because the map is
linear in log-odds, the SHAP values of the trees, times ``slope``, are exact
additive contributions to the calibrated log-odds (see :mod:`retention.explain`).
The baseline is a logistic regression on ``log(1 + recency_days)`` alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from retention import explain, warehouse
from retention.errors import DataError

DEFAULT_HORIZON_DAYS = 90
MIN_HORIZON_DAYS = 7
MAX_HORIZON_DAYS = 365
MIN_HISTORY_DAYS = 30  # the first snapshot comes this many days after the first order
SNAPSHOT_STEP_MONTHS = 1
MIN_TRAINING_ROWS = 50
CALIBRATION_FOLDS = 3
DEFAULT_SEED = 0
MODEL_REVISION = "2"
# Below this many rows the trees fit on one thread: OpenMP's start-up and spinning cost more than
# they save on small data, and far more on a busy machine.
PARALLEL_MIN_ROWS = 50_000

# Event types counted as browsing without buying (the sample data uses 'view' and 'add_to_cart').
VIEW_EVENTS = ("view", "product_view", "page_view")
CART_EVENTS = ("add_to_cart", "cart", "add_to_basket")

NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_order_value",
    "mean_gap_days",
    "last_gap_days",
    "orders_30d",
    "orders_90d",
    "orders_prior_90d",
    "returns_share",
    "rating_mean",
    "rating_min",
    "discount_share",
    "categories",
    "views_since_order",
    "carts_since_order",
)
CATEGORICAL_FEATURES = ("channel", "country")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
MAX_CATEGORY_LEVELS = 12  # rarer levels share the column '<feature>=other'
OTHER_LEVEL = "other"

# Shallow trees: SHAP costs leaves x depth per tree and row, a prediction depth; churn signals are mostly
# main effects, so depth-2 trees lose no AUC (benchmarks/churn_bench.py) and explain ~20x faster than deep ones.
MODEL_PARAMS: dict[str, object] = {
    "max_depth": 2,
    "max_leaf_nodes": 4,
    "learning_rate": 0.15,
    "max_iter": 400,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": True,
    "validation_fraction": 0.15,
    "n_iter_no_change": 15,
}

EXPORT_COLUMNS = ["user_id", "risk", "value", "reasons"]
SCORE_DTYPES = {
    "user_id": "str",
    "as_of": "object",
    "model_version": "str",
    "horizon_days": "int64",
    "risk": "float64",
    "value": "float64",
    "recency_days": "float64",
    "reasons": "str",
}
SCORE_COLUMNS = list(SCORE_DTYPES)


# ---------------------------------------------------------------------------
# Snapshots and features
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotPlan:
    """Which snapshot dates train, evaluate and score.

    as_of: the date scored (features up to its end, no label); holdout: the
    latest labelled snapshot (``as_of - horizon_days``); evaluation_train:
    monthly snapshots back from ``holdout - horizon_days``, whose label windows
    end by the holdout date; final_train: monthly snapshots back from the
    holdout, which they include. Dates ascend.
    """

    as_of: dt.date
    horizon_days: int
    holdout: dt.date
    evaluation_train: tuple[dt.date, ...]
    final_train: tuple[dt.date, ...]

    @property
    def all_dates(self) -> tuple[dt.date, ...]:
        return tuple(sorted({*self.evaluation_train, *self.final_train, self.holdout, self.as_of}))


def required_history_days(horizon_days: int, min_history_days: int = MIN_HISTORY_DAYS) -> int:
    """Days of order history needed for one training snapshot, a later holdout snapshot and its label."""
    return min_history_days + 2 * horizon_days


def plan_snapshots(
    first_day: dt.date,
    as_of: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    step_months: int = SNAPSHOT_STEP_MONTHS,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> SnapshotPlan:
    """Monthly snapshot dates from ``first_day + min_history_days`` up to the holdout ``as_of - horizon_days``.

    Raises
    ------
    DataError
        The history from ``first_day`` to ``as_of`` is too short for one
        training snapshot whose label ends by the holdout date.
    """
    check_horizon(horizon_days)
    holdout = as_of - dt.timedelta(days=horizon_days)
    earliest = first_day + dt.timedelta(days=min_history_days)
    evaluation = monthly_dates(holdout - dt.timedelta(days=horizon_days), earliest, step_months)
    if not evaluation:
        have = (as_of - first_day).days
        need = required_history_days(horizon_days, min_history_days)
        raise DataError(
            f"the churn model needs at least {need} days of order history for a {horizon_days}-day horizon "
            f"({min_history_days} days to build features, {horizon_days} days to label a training snapshot and "
            f"{horizon_days} more to hold out the latest one for evaluation); the orders span {have} days "
            f"({first_day} to {as_of}). Shorten the horizon or import more history."
        )
    return SnapshotPlan(
        as_of=as_of,
        horizon_days=horizon_days,
        holdout=holdout,
        evaluation_train=evaluation,
        final_train=monthly_dates(holdout, earliest, step_months),
    )


def monthly_dates(last: dt.date, earliest: dt.date, step_months: int = SNAPSHOT_STEP_MONTHS) -> tuple[dt.date, ...]:
    """``last``, ``last`` minus one step, minus two steps... while not before ``earliest``; ascending."""
    dates = []
    k = 0
    while (candidate := (pd.Timestamp(last) - pd.DateOffset(months=k * step_months)).date()) >= earliest:
        dates.append(candidate)
        k += 1
    return tuple(reversed(dates))


def check_horizon(horizon_days: int) -> None:
    """Raise :class:`DataError` unless the horizon is a whole number of days in the supported range."""
    if not isinstance(horizon_days, int | np.integer) or not MIN_HORIZON_DAYS <= horizon_days <= MAX_HORIZON_DAYS:
        raise DataError(
            f"horizon_days must be a whole number of days from {MIN_HORIZON_DAYS} to {MAX_HORIZON_DAYS}, "
            f"got {horizon_days!r}"
        )


def order_days(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """First and last day with an order.

    Raises
    ------
    DataError
        The warehouse holds no orders.
    """
    first, last = warehouse.data_range(con)
    if first is None:
        raise DataError("the warehouse holds no orders; import orders (or the sample data) before scoring churn risk")
    return first.date(), last.date()


def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date | str | None = None) -> dt.date:
    """The as-of date: ``as_of`` parsed as a date, or the latest order date when None.

    Raises
    ------
    DataError
        ``as_of`` is not a date, or lies outside the days with orders.
    """
    first, last = order_days(con)
    if as_of is None:
        return last
    try:
        day = pd.Timestamp(as_of).date()
    except (ValueError, TypeError) as exc:
        raise DataError(f"as-of date {as_of!r} is not a date (use YYYY-MM-DD)") from exc
    if not first <= day <= last:
        raise DataError(f"as-of date {day} is outside the order history ({first} to {last})")
    return day


def snapshot_features(
    con: duckdb.DuckDBPyConnection,
    snapshots: Sequence[dt.date],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """Features and labels of every customer at each snapshot date (computed in DuckDB).

    Returns
    -------
    DataFrame
        One row per (snapshot_date, user_id) for customers with a purchase up to
        the end of the snapshot date. Columns: ``snapshot_date`` (timestamp at
        midnight); ``user_id``; the :data:`NUMERIC_FEATURES` as floats
        (``recency_days``, ``tenure_days``, gaps: days >= 0; ``monetary``: net
        revenue, returns subtracted; ``avg_order_value``: purchase revenue per
        order; ``returns_share``: returned lines per purchased line, >= 0;
        ``discount_share``: share of orders with a discount, in [0, 1];
        ``rating_mean``/``rating_min``: NaN when the customer never rated;
        ``mean_gap_days``/``last_gap_days``: NaN after one order); ``channel``
        and ``country`` (text, 'unknown' when missing); ``churned`` (bool, no
        purchase in the ``horizon_days`` days after the snapshot; missing when
        that window reaches past the latest order).
    """
    check_horizon(horizon_days)
    frame = warehouse.query(
        con,
        "churn_features",
        {
            "snapshots": sorted(set(snapshots)),
            "horizon_days": int(horizon_days),
            "view_events": list(VIEW_EVENTS),
            "cart_events": list(CART_EVENTS),
        },
    )
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


def rows_at(frame: pd.DataFrame, dates: Sequence[dt.date]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``snapshot_date`` is one of ``dates``."""
    wanted = pd.to_datetime(pd.Series(list(dates), dtype="object"))
    return frame[frame["snapshot_date"].isin(wanted)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Encoding and models
# ---------------------------------------------------------------------------


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

    risk = sigmoid(slope * raw_log_odds + intercept), a probability in [0, 1].
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
        return sigmoid(self.slope * self.raw_log_odds(frame) + self.intercept)


@dataclass(frozen=True)
class RecencyBaseline:
    """risk = sigmoid(coef * log(1 + recency_days) + intercept): the recency-only baseline."""

    coef: float
    intercept: float

    def predict_risk(self, frame: pd.DataFrame) -> np.ndarray:
        return sigmoid(self.coef * np.log1p(frame["recency_days"].to_numpy(dtype=np.float64)) + self.intercept)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


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
    return HistGradientBoostingClassifier(**{**MODEL_PARAMS, **(params or {})}, random_state=seed)


def fit_churn_model(
    frame: pd.DataFrame,
    *,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    folds: int = CALIBRATION_FOLDS,
    what: str = "training data",
) -> ChurnModel:
    """Fit the trees on every row of ``frame`` and Platt scaling on out-of-fold log-odds.

    Folds group rows by ``user_id`` so a customer's snapshots never sit on both
    sides of a fold. ``params`` override :data:`MODEL_PARAMS`.
    """
    y = labels(frame, what)
    encoder = fit_encoder(frame)
    x = encoder.transform(frame)
    groups = frame["user_id"].to_numpy()
    n_folds = max(2, min(folds, len(np.unique(groups))))
    with thread_limit(len(y)):
        out_of_fold = cross_val_predict(
            _trees(seed, params), x, y, groups=groups, cv=GroupKFold(n_splits=n_folds), method="decision_function"
        )
        trees = _trees(seed, params).fit(x, y)
    platt = LogisticRegression(C=np.inf).fit(out_of_fold.reshape(-1, 1), y)
    return ChurnModel(
        encoder=encoder, trees=trees, slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
    )


def fit_recency_baseline(frame: pd.DataFrame, *, what: str = "training data") -> RecencyBaseline:
    """Logistic regression of churn on ``log(1 + recency_days)``."""
    y = labels(frame, what)
    x = np.log1p(frame["recency_days"].to_numpy(dtype=np.float64)).reshape(-1, 1)
    fitted = LogisticRegression(C=np.inf).fit(x, y)
    return RecencyBaseline(coef=float(fitted.coef_[0, 0]), intercept=float(fitted.intercept_[0]))


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A holdout metric: ``func(y, risk) -> float``; ``higher_is_better`` says which way is good."""

    name: str
    label: str
    func: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {}


def metric(name: str, label: str, *, higher_is_better: bool = True):
    """Register a holdout metric under ``name``."""

    def register(func: Callable[[np.ndarray, np.ndarray], float]):
        METRICS[name] = Metric(name=name, label=label, func=func, higher_is_better=higher_is_better)
        return func

    return register


def top_share_mask(risk: np.ndarray, share: float = 0.1) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` highest risks (ties broken by position, earlier first)."""
    risk = np.asarray(risk, dtype=np.float64)
    n_top = int(np.ceil(share * len(risk)))
    order = np.argsort(-risk, kind="stable")
    mask = np.zeros(len(risk), dtype=bool)
    mask[order[:n_top]] = True
    return mask


@metric("roc_auc", "ROC AUC")
def roc_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Probability that a random churner is ranked above a random stayer, in [0, 1]."""
    return float(roc_auc_score(y, risk))


@metric("pr_auc", "PR AUC")
def pr_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Average precision over the ranking by risk, in [0, 1] (the churn rate for a random ranking)."""
    return float(average_precision_score(y, risk))


@metric("brier", "Brier score", higher_is_better=False)
def brier(y: np.ndarray, risk: np.ndarray) -> float:
    """Mean squared error of the probability, in [0, 1] (0 is perfect)."""
    return float(np.mean((np.asarray(risk, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


@metric("lift_top_decile", "Lift in top 10%")
def lift_top_decile(y: np.ndarray, risk: np.ndarray) -> float:
    """Churn rate among the 10% riskiest over the overall churn rate (1 = no better than random)."""
    y = np.asarray(y, dtype=np.float64)
    return float(y[top_share_mask(risk)].mean() / y.mean())


@metric("capture_top_decile", "Capture rate in top 10%")
def capture_top_decile(y: np.ndarray, risk: np.ndarray) -> float:
    """Share of all churners found among the 10% riskiest, in [0, 1]."""
    y = np.asarray(y, dtype=np.float64)
    return float(y[top_share_mask(risk)].sum() / y.sum())


def evaluate(y: np.ndarray, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every registered metric for each named prediction.

    Returns
    -------
    DataFrame
        One row per metric: ``metric`` (registry name), ``label``,
        ``higher_is_better`` (bool), then one float column per key of ``predictions``.
    """
    rows = []
    for spec in METRICS.values():
        row = {"metric": spec.name, "label": spec.label, "higher_is_better": spec.higher_is_better}
        row.update({name: spec.func(y, risk) for name, risk in predictions.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_table(y: np.ndarray, predictions: dict[str, np.ndarray], bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in equal-width risk bins.

    Returns
    -------
    DataFrame
        One row per predictor and non-empty bin: ``predictor``, ``bin`` (lower
        edge, in [0, 1)), ``mean_risk`` and ``churn_rate`` (in [0, 1]),
        ``customers`` (int).
    """
    y = np.asarray(y, dtype=np.float64)
    frames = []
    for name, risk in predictions.items():
        risk = np.asarray(risk, dtype=np.float64)
        index = np.minimum((risk * bins).astype(np.int64), bins - 1)
        grouped = pd.DataFrame({"bin": index / bins, "risk": risk, "y": y}).groupby("bin", as_index=False)
        table = grouped.agg(mean_risk=("risk", "mean"), churn_rate=("y", "mean"), customers=("y", "size"))
        table.insert(0, "predictor", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringResult:
    """Everything one scoring run produced.

    scores: one row per customer scored at ``as_of``, riskiest first, columns
    ``user_id``, ``risk`` (calibrated probability of churning in [0, 1]),
    ``value`` (net revenue before as_of), ``recency_days`` (days since the
    last purchase), ``reasons`` (top three, plain words, '; '-joined),
    ``channel``, ``country``. features: the same customers' feature frame, row
    for row. explanation: their SHAP contributions. metrics: holdout metrics,
    columns ``metric``, ``label``, ``higher_is_better``, ``model``,
    ``baseline``. calibration: :func:`calibration_table` of the holdout.
    summary: counts and dates (JSON-serialisable).
    """

    as_of: dt.date
    horizon_days: int
    model_version: str
    scores: pd.DataFrame
    features: pd.DataFrame
    explanation: explain.Explanation
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    summary: dict[str, object]
    model: ChurnModel = field(repr=False)


def model_version(plan: SnapshotPlan, training_rows: int, seed: int, params: dict[str, object] | None) -> str:
    """A short id of the model: revision, horizon and a hash of what it was trained on."""
    payload = json.dumps(
        {
            "params": {**MODEL_PARAMS, **(params or {})},
            "seed": seed,
            "snapshots": [str(d) for d in plan.final_train],
            "rows": training_rows,
            "features": list(FEATURES),
        },
        sort_keys=True,
        default=str,
    )
    return f"hgb{MODEL_REVISION}-h{plan.horizon_days}-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def score_customers(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date | str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    save: bool = True,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
) -> ScoringResult:
    """Train, evaluate, score, explain and (when ``save``) save the churn risk of every customer at ``as_of``.

    ``as_of`` None means the latest order date. See the module docstring for
    how snapshots keep training leak-free.

    Raises
    ------
    DataError
        No orders, too little history for the horizon, or labels of one class only.
    """
    check_horizon(horizon_days)
    day = resolve_as_of(con, as_of)
    first, _ = order_days(con)
    plan = plan_snapshots(first, day, horizon_days)
    frame = snapshot_features(con, plan.all_dates, horizon_days)

    evaluation_train = rows_at(frame, plan.evaluation_train)
    holdout = rows_at(frame, [plan.holdout])
    held_model = fit_churn_model(evaluation_train, seed=seed, params=params, what="evaluation training data")
    baseline = fit_recency_baseline(evaluation_train, what="evaluation training data")
    y_holdout = labels(holdout, f"holdout snapshot of {plan.holdout}")
    predictions = {"model": held_model.predict_risk(holdout), "baseline": baseline.predict_risk(holdout)}
    metrics = evaluate(y_holdout, predictions)
    calibration = calibration_table(y_holdout, predictions)

    final_train = rows_at(frame, plan.final_train)
    model = fit_churn_model(final_train, seed=seed, params=params)
    current = rows_at(frame, [day])
    if current.empty:
        raise DataError(f"no customer has a purchase up to {day}; nothing to score")
    risk = model.predict_risk(current)
    explanation = explain.explain(model, current)
    version = model_version(plan, len(final_train), seed, params)

    scores = pd.DataFrame(
        {
            "user_id": current["user_id"].to_numpy(),
            "risk": risk,
            "value": current["monetary"].to_numpy(dtype=np.float64),
            "recency_days": current["recency_days"].to_numpy(dtype=np.float64),
            "reasons": explain.reasons(explanation, current).to_numpy(),
            "channel": current["channel"].to_numpy(),
            "country": current["country"].to_numpy(),
        }
    )
    order = np.lexsort((scores["user_id"].to_numpy(), -risk))
    scores = scores.iloc[order].reset_index(drop=True)
    features = current.iloc[order].reset_index(drop=True)
    explanation = explanation.take(order)

    summary = {
        "as_of": str(day),
        "horizon_days": horizon_days,
        "holdout_date": str(plan.holdout),
        "holdout_customers": int(len(holdout)),
        "holdout_churn_rate": float(y_holdout.mean()),
        "evaluation_snapshots": [str(d) for d in plan.evaluation_train],
        "evaluation_rows": int(len(evaluation_train)),
        "training_snapshots": [str(d) for d in plan.final_train],
        "training_rows": int(len(final_train)),
        "training_churn_rate": float(labels(final_train, "training data").mean()),
        "trees": int(model.trees.n_iter_),
        "calibration_slope": model.slope,
        "calibration_intercept": model.intercept,
    }
    result = ScoringResult(
        as_of=day,
        horizon_days=horizon_days,
        model_version=version,
        scores=scores,
        features=features,
        explanation=explanation,
        metrics=metrics,
        calibration=calibration,
        summary=summary,
        model=model,
    )
    if save:
        save_scores(con, result)
    return result


_SCORES_VIEW = "churn_new_scores"


def save_scores(con: duckdb.DuckDBPyConnection, result: ScoringResult) -> int:
    """Write the run's scores to the ``scores`` table, replacing an earlier run of the same
    (as_of, horizon_days, model_version). Returns the rows written."""
    params = {"as_of": result.as_of, "horizon_days": result.horizon_days, "model_version": result.model_version}
    frame = result.scores[["user_id", "risk", "value", "recency_days", "reasons"]]
    with warehouse.transaction(con):
        warehouse.execute(con, "churn_delete_scores", params)
        con.register(_SCORES_VIEW, frame)
        try:
            warehouse.execute(con, "churn_insert_scores", params)
        finally:
            con.unregister(_SCORES_VIEW)
    return len(frame)


def latest_scores(con: duckdb.DuckDBPyConnection, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """The saved scores of the newest scoring run (of the newest run at ``as_of`` when given).

    Returns
    -------
    DataFrame
        Columns ``user_id``, ``as_of`` (date), ``model_version``,
        ``horizon_days`` (int), ``risk`` (in [0, 1]), ``value`` (net revenue
        before as_of), ``recency_days``, ``reasons`` (text); riskiest first.
        Empty, with these columns, when nothing was saved.
    """
    day = None if as_of is None else pd.Timestamp(as_of).date()
    frame = warehouse.query(con, "churn_latest_scores", {"as_of": day})
    if frame.empty:
        return pd.DataFrame({column: pd.Series(dtype=SCORE_DTYPES[column]) for column in SCORE_COLUMNS})
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["horizon_days"] = frame["horizon_days"].astype("int64")
    return frame[SCORE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Flagging and export
# ---------------------------------------------------------------------------


def flag(scores: pd.DataFrame, *, threshold: float | None = None, top: int | None = None) -> pd.DataFrame:
    """The customers flagged at risk: ``risk >= threshold``, or the ``top`` riskiest; riskiest first.

    Exactly one of ``threshold`` (in [0, 1]) and ``top`` (>= 0) is given. Ties
    at the cut of ``top`` are broken by ``user_id``.

    Raises
    ------
    DataError
        Both or neither given, or a value out of range.
    """
    if (threshold is None) == (top is None):
        raise DataError("flag customers either by a risk threshold or by a top-N count, not both")
    ordered = scores.sort_values(["risk", "user_id"], ascending=[False, True], kind="stable")
    if threshold is not None:
        if not 0.0 <= threshold <= 1.0:
            raise DataError(f"the risk threshold must be between 0 and 1, got {threshold}")
        return ordered[ordered["risk"] >= threshold].reset_index(drop=True)
    if top < 0:
        raise DataError(f"top must be a count of customers (0 or more), got {top}")
    return ordered.head(top).reset_index(drop=True)


def filter_segments(scores: pd.DataFrame, **allowed: Sequence[str] | None) -> pd.DataFrame:
    """Rows whose segment columns take one of the allowed values (None or empty: no filter on that column).

    Example: ``filter_segments(scores, channel=["social"], country=None)``.

    Raises
    ------
    DataError
        A keyword that is not a segment column of ``scores``.
    """
    mask = np.ones(len(scores), dtype=bool)
    for column, values in allowed.items():
        if column not in CATEGORICAL_FEATURES or column not in scores.columns:
            raise DataError(f"{column!r} is not a segment column; choose from {', '.join(CATEGORICAL_FEATURES)}")
        if values:
            mask &= scores[column].isin(list(values)).to_numpy()
    return scores[mask].reset_index(drop=True)


def segment_options(scores: pd.DataFrame) -> dict[str, list[str]]:
    """The values each segment column takes among the scored customers, sorted (for filter widgets)."""
    return {column: sorted(scores[column].dropna().astype(str).unique()) for column in CATEGORICAL_FEATURES}


def flagged_summary(scores: pd.DataFrame, flagged: pd.DataFrame) -> dict[str, float]:
    """customers and value flagged, with their shares of all scored customers and of all value (in [0, 1])."""
    total_value = float(scores["value"].clip(lower=0).sum())
    flagged_value = float(flagged["value"].clip(lower=0).sum())
    return {
        "customers": int(len(flagged)),
        "customer_share": len(flagged) / len(scores) if len(scores) else 0.0,
        "value": float(flagged["value"].sum()),
        "value_share": flagged_value / total_value if total_value > 0 else 0.0,
    }


def customer_emails(con: duckdb.DuckDBPyConnection, user_ids: Sequence[str]) -> pd.DataFrame:
    """Columns ``user_id`` and ``email`` (missing when the users table has none) of the given customers."""
    return warehouse.query(con, "churn_emails", {"user_ids": list(user_ids)})


def customer_waterfall(result: ScoringResult, user_id: str) -> pd.DataFrame:
    """The explanation of one scored customer (see :func:`retention.explain.waterfall`).

    Raises
    ------
    DataError
        ``user_id`` was not scored in this run.
    """
    hits = np.flatnonzero(result.scores["user_id"].to_numpy() == user_id)
    if not len(hits):
        raise DataError(f"customer {user_id!r} was not scored at {result.as_of} (no purchase up to that date)")
    return explain.waterfall(result.explanation, result.features, int(hits[0]))


def export_table(flagged: pd.DataFrame, emails: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flagged list as users take it away: ``user_id``, ``risk`` (rounded to 4 places), ``value`` (to 2),
    ``reasons``, plus ``email`` only when an ``emails`` frame (``user_id``, ``email``) is given. Riskiest first."""
    table = flagged[EXPORT_COLUMNS].copy()
    table["risk"] = table["risk"].round(4)
    table["value"] = table["value"].round(2)
    if emails is not None:
        table = table.merge(emails[["user_id", "email"]], on="user_id", how="left")
    return table.reset_index(drop=True)
