"""Recommenders: train and compare collaborative-filtering, content-based and baseline models on offline metrics.

Public API:

* :func:`load_feedback` — explicit ratings, or implicit ratings from purchases, views or add-to-carts (or a
  weighted mix); :func:`feedback_source` says which the warehouse has and which is the default.
* :data:`MODELS` — the model registry; :func:`fit_model` fits one. Spark MLlib's ALS joins it only while the
  Spark engine is in use (:func:`retention.recommend.spark_models.offered`).
* :class:`SplitQuery` and :func:`make_split`, :func:`evaluate_model`, :func:`compare` — offline evaluation;
  :func:`unmet_need` says why a model cannot run on the data (a comparison skips it).
* :func:`save_run`, :func:`list_runs`, :func:`get_run`, :func:`delete_runs` — the ``model_runs`` table;
  :mod:`retention.recommend.board` — which runs are comparable, 95% intervals, paired verdicts, metrics by slice.
* :func:`fit_recommender`, :func:`recommend_for_users` — recommendations for real users.
* :func:`save_model`, :func:`load_model`, :func:`model_info`, :func:`feedback_version` — each run's model fitted
  on all feedback, kept with it (the ``recommender_models`` table); :mod:`retention.recommend.job` trains and
  refits as jobs.
* :func:`default_run`, :func:`run_options`, :func:`run_mode` — which saved run recommends to real customers, and
  in which mode (discovery or repeat-aware).
* :class:`SearchQuery`, :func:`run_search` — hyperparameter search of one model; the best setting is saved as a run.
"""

import importlib

# Each name is imported from its module on first use (PEP 562): the evaluation and the models import Surprise
# and SciPy, which a page or command that only lists runs or reads feedback never needs.
_EXPORTS = {
    "Comparison": "evaluate",
    "Evaluation": "evaluate",
    "Feedback": "feedback",
    "FeedbackSummary": "evaluate",
    "METRICS": "metrics",
    "MODES": "modes",
    "MODE_LABELS": "modes",
    "METRIC_NAMES": "metrics",
    "MODELS": "models",
    "ModelInfo": "saved",
    "Param": "models",
    "Recommender": "serve",
    "SearchQuery": "search",
    "Split": "evaluate",
    "SplitQuery": "evaluate",
    "TIMINGS": "metrics",
    "active_users": "feedback",
    "as_record": "evaluate",
    "compare": "evaluate",
    "default_run": "choice",
    "default_models": "models",
    "delete_runs": "runs",
    "evaluate_model": "evaluate",
    "feedback_source": "feedback",
    "feedback_summary": "evaluate",
    "feedback_version": "choice",
    "fit_model": "models",
    "fit_on": "serve",
    "fit_recommender": "serve",
    "get_run": "runs",
    "list_runs": "runs",
    "load_feedback": "feedback",
    "load_model": "saved",
    "model_catalogue": "models",
    "make_split": "evaluate",
    "model_info": "saved",
    "products": "feedback",
    "recommend": "serve",
    "recommend_for_users": "saved",
    "recommender_for_run": "saved",
    "resolve_params": "models",
    "run_mode": "choice",
    "run_options": "choice",
    "run_search": "search",
    "save_model": "saved",
    "save_run": "runs",
    "source_label": "feedback",
    "unmet_need": "models",
    "user_history": "feedback",
}


__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "MODES",
    "MODE_LABELS",
    "MODELS",
    "TIMINGS",
    "Comparison",
    "Evaluation",
    "Feedback",
    "FeedbackSummary",
    "ModelInfo",
    "Param",
    "Recommender",
    "SearchQuery",
    "Split",
    "SplitQuery",
    "active_users",
    "as_record",
    "compare",
    "default_run",
    "default_models",
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
    "model_catalogue",
    "make_split",
    "model_info",
    "products",
    "recommend",
    "recommend_for_users",
    "recommender_for_run",
    "resolve_params",
    "run_mode",
    "run_options",
    "run_search",
    "save_model",
    "save_run",
    "source_label",
    "unmet_need",
    "user_history",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
