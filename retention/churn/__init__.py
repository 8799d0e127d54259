"""Churn risk: leak-free snapshots, features and labels, a calibrated gradient-boosted model, evaluation and scores.

Modules: :mod:`~retention.churn.features` (each feature declared once: column, kind, label, definition,
reason phrase), :mod:`~retention.churn.snapshots` (snapshot dates, features and labels in DuckDB),
:mod:`~retention.churn.model` (encoding, trees, calibration, baseline), :mod:`~retention.churn.metrics`
(holdout metrics), :mod:`~retention.churn.scoring` (a scoring run, saved scores and runs),
:mod:`~retention.churn.lake_scoring` (a scoring whose set work runs on Spark or DuckDB over a lake),
:mod:`~retention.churn.flagged` (flagging, segment filters and export). The public names of all seven are
importable from ``retention.churn``.

Definition
----------
A customer *churns* at an as-of date when they make no purchase in the
``horizon_days`` days after it. Dates are days: an as-of (or snapshot) date
``d`` covers the data up to the end of day ``d``; the label reads the
``horizon_days`` days that follow. Only customers with a purchase up to ``d``
are scored.

Returns, cancellations and value
--------------------------------
A cancellation is often an order of its own (Online Retail's 'C' invoices), so
returns are netted per customer over the window (and per item), never per
order_id: the average order is net revenue over purchase orders, the returns
share counts units, and an item bought and returned in full is not a product
bought. A bulk order cancelled the same day therefore adds no value. A
customer's *value* in the scores is their net revenue in the 12 months up to
the end of ``as_of``. The *latest* scores are those of the newest ``as_of``
(then the run saved last), whenever they were computed.

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

Every customer is scored at ``as_of``, but a large shop trains on a sample: when
the final training snapshots hold more than ``MAX_TRAINING_ROWS`` rows, the
training snapshots and the holdout read a seeded sample of whole customers
(an ``md5`` of the user id and seed, which DuckDB and Spark compute alike, in the
feature query, so that it reads fewer rows), the
same customers at every date. Churn rates, and so the calibrated risks, are
those of all customers; the summary's ``training_sample`` says how many rows
were used of how many.

Model
-----
scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`: it is
in the stack already, handles missing values natively (customers who never
rated, or bought once) and SHAP's TreeExplainer reads it exactly. LightGBM
would fit faster on millions of rows, but a warehouse of this app's size trains
in seconds and one dependency fewer is worth more. The trees are stumps (one
split each, so the model is a sum of one curve per feature, no interactions):
on Online Retail, held out at four monthly snapshots, they rank churners better
than depth-2 trees, which overfit interactions that did not hold a few months
later, and explaining every customer stays cheap: SHAP time per tree grows with
leaves times depth, a prediction's with depth (``benchmarks/churn_bench.py``
measures both, and the AUC, against an unconstrained model).

Each model is fitted once: a seeded fifth of the customers (all of a
customer's snapshots) is held out, the trees stop adding stumps when the loss on
those customers stops falling, and Platt scaling is fitted on their log-odds:
calibrated log-odds = ``slope * raw + intercept``, risk = ``expit`` of that.
A small training set (under ``REFIT_MAX_ROWS`` rows, seconds to fit) then refits
that many trees on every row, held-out customers included. Because the map is linear in log-odds, the SHAP values of the trees, times ``slope``, are exact
additive contributions to the calibrated log-odds (see :mod:`retention.explain`).
The baseline is a logistic regression on ``log(1 + recency_days)`` alone;
:func:`verdict` says in words which of the two wins on the held-out snapshot
(ROC AUC and top-decile lift, a loss never hidden) and
:func:`calibration_warning` when a risk band there is far off.
"""

from retention.churn.features import (
    CATEGORICAL_FEATURES,
    FEATURE_REGISTRY,
    FEATURES,
    NUMERIC_FEATURES,
    Feature,
    feature_table,
)
from retention.churn.flagged import (
    EXPORT_COLUMNS,
    customer_emails,
    export_table,
    filter_segments,
    flag,
    flagged_summary,
    for_people,
    scoring_label,
    segment_options,
)
from retention.churn.lake_scoring import check_same_shop, score_lake_and_save, shop_fingerprint
from retention.churn.metrics import (
    METRICS,
    Metric,
    Verdict,
    brier,
    calibration_table,
    calibration_warning,
    capture_top_decile,
    evaluate,
    lift_top_decile,
    metric,
    pr_auc,
    roc_auc,
    top_share_mask,
    verdict,
)
from retention.churn.model import (
    DEFAULT_SEED,
    MAX_CATEGORY_LEVELS,
    MIN_TRAINING_ROWS,
    MODEL_PARAMS,
    MODEL_REVISION,
    OTHER_LEVEL,
    PARALLEL_MIN_ROWS,
    REFIT_MAX_ROWS,
    VALIDATION_SHARE,
    ChurnModel,
    FeatureEncoder,
    RecencyBaseline,
    fit_churn_model,
    fit_encoder,
    fit_recency_baseline,
    labels,
    thread_limit,
    validation_customers,
)
from retention.churn.scoring import (
    SCORE_COLUMNS,
    SCORE_DTYPES,
    ScoringInput,
    ScoringResult,
    customer_waterfall,
    fit_and_score,
    inputs_version,
    latest_scores,
    model_version,
    plan_scoring,
    rank_and_explain,
    read_features,
    read_scoring_input,
    sample_phrase,
    save_scores,
    save_scores_in,
    saved_run,
    saved_waterfall,
    score_and_save,
    score_customers,
    training_run,
    training_sample,
    with_shown_parts,
)
from retention.churn.snapshots import (
    CART_EVENTS,
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MAX_TRAINING_ROWS,
    MIN_HISTORY_DAYS,
    MIN_HORIZON_DAYS,
    SAMPLE_SEED,
    SNAPSHOT_STEP_MONTHS,
    VIEW_EVENTS,
    CustomerSample,
    SnapshotPlan,
    check_horizon,
    longest_horizon_days,
    monthly_dates,
    order_days,
    plan_snapshots,
    required_history_days,
    resolve_as_of,
    rows_at,
    sample_customers,
    snapshot_features,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURE_REGISTRY",
    "FEATURES",
    "NUMERIC_FEATURES",
    "Feature",
    "feature_table",
    "check_same_shop",
    "score_lake_and_save",
    "shop_fingerprint",
    "METRICS",
    "Metric",
    "Verdict",
    "brier",
    "calibration_table",
    "calibration_warning",
    "capture_top_decile",
    "evaluate",
    "lift_top_decile",
    "metric",
    "pr_auc",
    "roc_auc",
    "top_share_mask",
    "verdict",
    "DEFAULT_SEED",
    "MAX_CATEGORY_LEVELS",
    "MIN_TRAINING_ROWS",
    "MODEL_PARAMS",
    "MODEL_REVISION",
    "OTHER_LEVEL",
    "PARALLEL_MIN_ROWS",
    "ChurnModel",
    "FeatureEncoder",
    "RecencyBaseline",
    "fit_churn_model",
    "fit_encoder",
    "fit_recency_baseline",
    "labels",
    "thread_limit",
    "validation_customers",
    "VALIDATION_SHARE",
    "REFIT_MAX_ROWS",
    "EXPORT_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_DTYPES",
    "ScoringInput",
    "ScoringResult",
    "customer_emails",
    "customer_waterfall",
    "export_table",
    "filter_segments",
    "fit_and_score",
    "flag",
    "for_people",
    "flagged_summary",
    "inputs_version",
    "latest_scores",
    "model_version",
    "save_scores",
    "save_scores_in",
    "saved_run",
    "saved_waterfall",
    "with_shown_parts",
    "rank_and_explain",
    "plan_scoring",
    "read_features",
    "read_scoring_input",
    "sample_phrase",
    "training_sample",
    "score_and_save",
    "score_customers",
    "scoring_label",
    "segment_options",
    "training_run",
    "CART_EVENTS",
    "DEFAULT_HORIZON_DAYS",
    "MAX_HORIZON_DAYS",
    "MAX_TRAINING_ROWS",
    "MIN_HISTORY_DAYS",
    "MIN_HORIZON_DAYS",
    "SAMPLE_SEED",
    "SNAPSHOT_STEP_MONTHS",
    "VIEW_EVENTS",
    "CustomerSample",
    "SnapshotPlan",
    "check_horizon",
    "longest_horizon_days",
    "monthly_dates",
    "order_days",
    "plan_snapshots",
    "required_history_days",
    "resolve_as_of",
    "rows_at",
    "sample_customers",
    "snapshot_features",
]
