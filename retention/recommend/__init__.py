"""Recommenders: train and compare collaborative-filtering, content-based and baseline models on offline metrics.

Public API:

* :func:`load_feedback` — explicit ratings, or implicit ratings from purchases.
* :data:`MODELS` — the model registry; :func:`fit_model` fits one.
* :class:`SplitQuery` and :func:`make_split`, :func:`evaluate_model`, :func:`compare` — offline evaluation;
  :func:`unmet_need` says why a model cannot run on the data (a comparison skips it).
* :func:`save_run`, :func:`list_runs`, :func:`get_run`, :func:`delete_runs` — the ``model_runs`` table.
* :func:`fit_recommender`, :func:`recommend_for_users` — recommendations for real users.
* :func:`save_model`, :func:`load_model`, :func:`model_info`, :func:`feedback_version` — each run's model fitted
  on all feedback, kept with it (the ``recommender_models`` table); :mod:`retention.recommend.job` trains and
  refits as jobs.
"""

from retention.recommend.evaluate import (
    Comparison,
    Evaluation,
    FeedbackSummary,
    Split,
    SplitQuery,
    as_record,
    compare,
    evaluate_model,
    feedback_summary,
    make_split,
)
from retention.recommend.feedback import Feedback, active_users, feedback_source, load_feedback, products, user_history
from retention.recommend.metrics import METRIC_NAMES, METRICS, TIMINGS
from retention.recommend.models import MODELS, Param, fit_model, resolve_params, unmet_need
from retention.recommend.runs import delete_runs, get_run, list_runs, save_run
from retention.recommend.saved import (
    ModelInfo,
    feedback_version,
    load_model,
    model_info,
    recommend_for_users,
    recommender_for_run,
    save_model,
)
from retention.recommend.serve import Recommender, fit_on, fit_recommender, recommend

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "MODELS",
    "TIMINGS",
    "Comparison",
    "Evaluation",
    "Feedback",
    "FeedbackSummary",
    "ModelInfo",
    "Param",
    "Recommender",
    "Split",
    "SplitQuery",
    "active_users",
    "as_record",
    "compare",
    "delete_runs",
    "evaluate_model",
    "feedback_source",
    "feedback_version",
    "feedback_summary",
    "fit_model",
    "fit_on",
    "fit_recommender",
    "get_run",
    "list_runs",
    "load_feedback",
    "load_model",
    "make_split",
    "model_info",
    "products",
    "recommend",
    "recommend_for_users",
    "recommender_for_run",
    "resolve_params",
    "save_model",
    "save_run",
    "unmet_need",
    "user_history",
]
