"""One scoring run (train, evaluate, score, explain), saving its scores, and the flagged list and its export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from retention import explain, warehouse
from retention.churn.features import FEATURE_REGISTRY, FEATURES
from retention.churn.metrics import calibration_table, evaluate
from retention.churn.model import (
    DEFAULT_SEED,
    MODEL_PARAMS,
    MODEL_REVISION,
    ChurnModel,
    fit_churn_model,
    fit_recency_baseline,
    labels,
)
from retention.churn.snapshots import (
    DEFAULT_HORIZON_DAYS,
    MAX_TRAINING_ROWS,
    SAMPLE_SEED,
    CustomerSample,
    SnapshotPlan,
    check_horizon,
    order_days,
    plan_snapshots,
    resolve_as_of,
    rows_at,
    sample_customers,
    snapshot_features,
)
from retention.errors import DataError
from retention.serve.publish import republish_if_serving

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


@dataclass(frozen=True)
class ScoringResult:
    """Everything one scoring run produced.

    scores: one row per customer scored at ``as_of``, riskiest first, columns
    ``user_id``, ``risk`` (calibrated probability of churning in [0, 1]),
    ``value`` (the customer's value: net revenue, returns and cancellations
    subtracted, in the 365 days up to the end of ``as_of``; currency, may be
    < 0), ``recency_days`` (days since the last purchase), ``orders``
    (purchase orders up to as_of), ``reasons`` (top three, plain words,
    '; '-joined), ``channel``, ``country``, and the scoring that produced them:
    ``as_of`` (date), ``horizon_days``, ``model_version``. features: the same customers' feature frame, row
    for row. explanation: their SHAP contributions. metrics: holdout metrics,
    columns ``metric``, ``label``, ``higher_is_better``, ``model``,
    ``baseline``. calibration: :func:`calibration_table` of the holdout.
    summary: counts and dates (JSON-serialisable), and ``inputs_version``, the inputs it scored
    (:func:`inputs_version`). model: the fitted model; None in a run loaded from the warehouse.
    importance and beeswarm: :func:`retention.explain.global_importance` and
    :func:`retention.explain.beeswarm_points` of the explanation, kept in a run loaded from the warehouse (None:
    compute them from the explanation). details_saved: True in a run loaded from the warehouse, whose features
    and explanation hold no row (their columns and base only): one customer's are read on demand
    (:func:`saved_waterfall`).
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
    model: ChurnModel | None = field(repr=False)
    importance: pd.DataFrame | None = field(default=None, repr=False)
    beeswarm: pd.DataFrame | None = field(default=None, repr=False)
    details_saved: bool = False


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


SCORING_BLOCK_ROWS = 100_000  # customers scored and explained at once: bounds SHAP's matrices and the reasons' text


def rank_and_explain(
    model: ChurnModel, current: pd.DataFrame, as_of: dt.date, horizon_days: int, version: str
) -> tuple[pd.DataFrame, pd.DataFrame, explain.Explanation]:
    """Score, explain and rank the customers of one snapshot (``current``: the feature rows at ``as_of``).

    Returns the scores (``user_id``, ``risk`` in [0, 1], ``value`` as net revenue of the last 12 months,
    ``recency_days``, ``orders``, ``reasons`` in words, ``channel``, ``country``, ``as_of``, ``horizon_days``,
    ``model_version``), the feature rows and the explanation, all riskiest first (ties by user id). Customers are
    scored and explained :data:`SCORING_BLOCK_ROWS` at a time, so the working memory beyond the result stays
    that of one block.
    """
    risks, explanations, reasons = [], [], []
    for start in range(0, max(len(current), 1), SCORING_BLOCK_ROWS):
        block = current.iloc[start : start + SCORING_BLOCK_ROWS]
        explanations.append(explain.explain(model, block, FEATURE_REGISTRY))
        # The contributions add up to the calibrated log-odds exactly: the model's risk without walking its trees.
        risks.append(explanations[-1].risk)
        reasons.append(explain.reasons(explanations[-1], block).to_numpy(dtype=object))
    risk = np.concatenate(risks)
    scores = pd.DataFrame(
        {
            "user_id": current["user_id"].to_numpy(),
            "risk": risk,
            "value": current["revenue_365d"].to_numpy(dtype=np.float64),
            "recency_days": current["recency_days"].to_numpy(dtype=np.float64),
            "orders": current["frequency"].to_numpy(dtype=np.float64).astype(np.int64),
            "reasons": np.concatenate(reasons),
            "channel": current["channel"].to_numpy(),
            "country": current["country"].to_numpy(),
        }
    ).assign(as_of=as_of, horizon_days=horizon_days, model_version=version)
    order = np.lexsort((scores["user_id"].to_numpy(), -risk))
    ranked = scores.iloc[order].reset_index(drop=True)
    return ranked, current.iloc[order].reset_index(drop=True), explain.Explanation.concat(explanations).take(order)


@dataclass(frozen=True)
class ScoringInput:
    """What one scoring reads from the warehouse: its snapshot plan (``plan.as_of`` is the date it scores), the
    feature rows of every planned snapshot (:func:`snapshot_features`; every customer at ``as_of``, the customers
    of ``sample`` at the others), and the warehouse's data version and inputs version (:func:`inputs_version`)
    they were read at. Training and scoring need nothing else, so they run with no connection open. ``sample``
    None: every customer at every date."""

    plan: SnapshotPlan
    frame: pd.DataFrame = field(repr=False)
    data_version: str
    inputs_version: str
    sample: CustomerSample | None = None


def plan_scoring(
    con: duckdb.DuckDBPyConnection, *, as_of: dt.date | str | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> SnapshotPlan:
    """The snapshots a scoring at ``as_of`` (None: the latest order date) with this horizon reads.

    Raises
    ------
    DataError
        No orders, or too little history for the horizon.
    """
    check_horizon(horizon_days)
    day = resolve_as_of(con, as_of)
    first, _ = order_days(con)
    return plan_snapshots(first, day, horizon_days)


def inputs_version(con: duckdb.DuckDBPyConnection) -> str:
    """A token that changes with what a scoring reads (imports of orders and users, non-product codes), not with
    what other writes save (scores, recommender runs, campaigns): a scoring stays current while it holds."""
    return warehouse.imports_version(con, ("orders", "users"))


def read_features(
    con: duckdb.DuckDBPyConnection, plan: SnapshotPlan, *, max_rows: int = MAX_TRAINING_ROWS, seed: int = SAMPLE_SEED
) -> tuple[pd.DataFrame, CustomerSample]:
    """The feature rows of the planned snapshots (:func:`snapshot_features`), and the sample they hold: every
    customer at ``as_of``; at the training and holdout dates the :func:`sample_customers` whose final training
    rows number about ``max_rows`` (every customer in a shop below it). ``con`` is any engine's connection
    (:func:`retention.engines.source`): these rows are all that reaches the driver."""
    sample = sample_customers(con, plan.final_train, max_rows=max_rows, seed=seed)
    if sample.everyone:
        return snapshot_features(con, plan.all_dates, plan.horizon_days), sample
    past = [day for day in plan.all_dates if day != plan.as_of]
    frame = pd.concat(
        [
            snapshot_features(con, past, plan.horizon_days, sample=sample),
            snapshot_features(con, [plan.as_of], plan.horizon_days),
        ],
        ignore_index=True,
    )
    return frame, sample


def read_scoring_input(
    con: duckdb.DuckDBPyConnection, plan: SnapshotPlan, *, max_rows: int = MAX_TRAINING_ROWS, seed: int = SAMPLE_SEED
) -> ScoringInput:
    """:func:`read_features` of the warehouse ``con``, with the data and inputs versions they were read at."""
    frame, sample = read_features(con, plan, max_rows=max_rows, seed=seed)
    return ScoringInput(plan, frame, warehouse.data_version(con), inputs_version(con), sample)


def _reading(plan: SnapshotPlan) -> str:
    return f"Reading {len(plan.all_dates)} monthly customer snapshots"


def fit_and_score(
    data: ScoringInput,
    *,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ScoringResult:
    """Train, evaluate, score and explain from what :func:`read_scoring_input` read; opens no connection.

    ``progress(fraction, message)`` hears of each step, fractions from 0.05 to 0.9.

    Raises
    ------
    DataError
        Labels of one class only, or no customer with a purchase up to ``as_of``.
    """
    said = progress or (lambda fraction, message: None)
    plan, frame, day, horizon_days = data.plan, data.frame, data.plan.as_of, data.plan.horizon_days
    evaluation_train = rows_at(frame, plan.evaluation_train)
    holdout = rows_at(frame, [plan.holdout])
    said(0.05, f"Training the model to check it on the snapshot of {plan.holdout}")
    held_model = fit_churn_model(evaluation_train, seed=seed, params=params, what="evaluation training data")
    baseline = fit_recency_baseline(evaluation_train, what="evaluation training data")
    y_holdout = labels(holdout, f"holdout snapshot of {plan.holdout}")
    predictions = {"model": held_model.predict_risk(holdout), "baseline": baseline.predict_risk(holdout)}
    metrics = evaluate(y_holdout, predictions)
    calibration = calibration_table(y_holdout, predictions)

    final_train = rows_at(frame, plan.final_train)
    said(
        0.42,
        "Training the model on every labelled snapshot"
        if data.sample is None or data.sample.everyone
        else "Training the model on a sample of customers at every labelled snapshot",
    )
    model = fit_churn_model(final_train, seed=seed, params=params)
    current = rows_at(frame, [day])
    if current.empty:
        raise DataError(f"no customer has a purchase up to {day}; nothing to score")
    said(0.9, f"Scoring and explaining {len(current):,} customers")
    version = model_version(plan, len(final_train), seed, params)
    scores, features, explanation = rank_and_explain(model, current, day, int(horizon_days), version)

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
        "training_sample": training_sample(data, len(final_train)),
        "trees": int(model.trees.n_iter_),
        "calibration_slope": model.slope,
        "calibration_intercept": model.intercept,
        "inputs_version": data.inputs_version,
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
    return with_shown_parts(result)


def with_shown_parts(result: ScoringResult) -> ScoringResult:
    """``result`` with its feature importance and beeswarm sample, computed from its explanation when it lacks
    them (a run loaded from the warehouse has them): once per run, for the saved run and the page alike."""
    if result.importance is not None and result.beeswarm is not None:
        return result
    return dataclasses.replace(
        result,
        importance=explain.global_importance(result.explanation),
        beeswarm=explain.beeswarm_points(result.explanation, result.features),
    )


def training_sample(data: ScoringInput, rows: int) -> dict[str, object]:
    """What the final model trained on, JSON-serialisable: ``rows`` used of the ``available`` rows of its
    snapshots, and the ``share`` of customers sampled (1.0: every customer) with its ``seed``."""
    sample = data.sample
    return {
        "rows": int(rows),
        "available": int(rows if sample is None else sample.available),
        "share": 1.0 if sample is None else float(sample.share),
        "seed": None if sample is None else int(sample.seed),
    }


def sample_phrase(summary: dict[str, object]) -> str:
    """How the final model's training rows were chosen, in words: 'a sample of whole customers, 250,000 of the
    6,700,000 snapshot rows', or '' when it trained on every row (or the run was saved before samples)."""
    sample = summary.get("training_sample")
    if not isinstance(sample, dict) or sample.get("rows", 0) >= sample.get("available", 0):
        return ""
    return f"a sample of whole customers, {sample['rows']:,} of the {sample['available']:,} snapshot rows"


def score_customers(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date | str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    save: bool = True,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ScoringResult:
    """Train, evaluate, score, explain and (when ``save``) save the churn risk of every customer at ``as_of``,
    all on the caller's connection (a job that owns no connection uses :func:`score_and_save`).

    ``as_of`` None means the latest order date. See :mod:`retention.churn` for
    how snapshots keep training leak-free. ``progress(fraction, message)``, when
    given, hears of each step (fraction in [0, 1], in proportion to its usual time).

    Raises
    ------
    DataError
        No orders, too little history for the horizon, or labels of one class only.
    """
    said = progress or (lambda fraction, message: None)
    plan = plan_scoring(con, as_of=as_of, horizon_days=horizon_days)
    said(0.0, _reading(plan))
    data = read_scoring_input(con, plan)
    result = fit_and_score(data, seed=seed, params=params, progress=progress)
    if save:
        said(0.97, "Saving the scores")
        save_scores(con, result)
    return result


def score_and_save(
    db: str | os.PathLike,
    *,
    as_of: dt.date | str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[ScoringResult, str | None]:
    """:func:`score_customers` for a job that holds the warehouse only while it must: it reads in a read session,
    trains and scores with no connection open (the tens of seconds in which imports and refreshes of other
    processes write), then saves the scores in one short write transaction.

    Returns the result and the warehouse's data version right after the save, or None in its place when another
    writer changed the data while the model trained: the scores saved are those of the data as read (as if the
    scoring had finished before that write), so they are not the state of the warehouse now.

    Raises
    ------
    DataError
        As :func:`score_customers`; ``WarehouseBusy`` when a session waits too long for the lock.
    """
    said = progress or (lambda fraction, message: None)
    # Progress is said between sessions: a job writes it in a write session of its own.
    with warehouse.session(db) as con:
        plan = plan_scoring(con, as_of=as_of, horizon_days=horizon_days)
    said(0.0, _reading(plan))
    with warehouse.session(db) as con:
        data = read_scoring_input(con, plan)
    result = fit_and_score(data, seed=seed, params=params, progress=progress)
    said(0.97, "Saving the scores")
    return save_scores_in(db, result, data.data_version)


@warehouse.retrying("saving the scores")
def save_scores_in(
    db: str | os.PathLike | None, result: ScoringResult, read_at: str
) -> tuple[ScoringResult, str | None]:
    """Save ``result`` in one write session; the data version after the save, or None when the data changed since
    they were read at ``read_at``. A commit refused for a moment by another writer is rerun."""
    with warehouse.session(db, write=True) as con:
        unchanged = warehouse.data_version(con) == read_at
        save_scores(con, result)
        return result, warehouse.data_version(con) if unchanged else None


_SCORES_VIEW = "churn_new_scores"


def save_scores(con: duckdb.DuckDBPyConnection, result: ScoringResult) -> int:
    """Write the run's scores to the ``scores`` table, replacing an earlier run of the same
    (as_of, horizon_days, model_version), and keep a full run for the At-risk page in the same transaction
    (:func:`save_run`); then the service's snapshot is republished with them, where one serves. Returns the rows
    written."""
    params = {"as_of": result.as_of, "horizon_days": result.horizon_days, "model_version": result.model_version}
    frame = result.scores[["user_id", "risk", "value", "recency_days", "reasons"]]
    with warehouse.transaction(con):
        warehouse.execute(con, "churn_delete_scores", params)
        con.register(_SCORES_VIEW, frame)
        try:
            warehouse.execute(con, "churn_insert_scores", params)
        finally:
            con.unregister(_SCORES_VIEW)
        if is_full(result):
            save_run(con, result)
    republish_if_serving(con)
    return len(frame)


def latest_scores(con: duckdb.DuckDBPyConnection, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """The saved scores of the latest scoring: the newest ``as_of`` (the given one when not None), and of the
    runs at that date the one scored last. Exploring a past date on the At-risk page scores and saves that date,
    but "latest" stays the newest date.

    Returns
    -------
    DataFrame
        Columns ``user_id``, ``as_of`` (date), ``model_version``,
        ``horizon_days`` (int), ``risk`` (in [0, 1]), ``value`` (net revenue
        in the 365 days up to as_of), ``recency_days``, ``reasons`` (text); riskiest first.
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
# Saved runs for the At-risk page (the churn_scorings table)
# ---------------------------------------------------------------------------
#
# A scoring trains two models and explains every customer: 10 to 25 s on a real shop. The page keeps the runs it
# computed in the server's memory, which a restart empties, and a scoring run by ``python -m retention at-risk``
# or by a refresh that retrained happens in another process. So every full run (holdout metrics included) is
# saved with its scores, in the same transaction, keyed by its as-of date and horizon and stamped with the inputs
# it scored (:func:`~retention.churn.scoring.inputs_version`): the page loads it while those inputs hold, instead
# of training again. The newest :data:`KEPT_RUNS` runs are kept.
#
# The blob is a zlib-compressed pickle of the :class:`~retention.churn.ScoringResult` without its model (loading
# it must not import scikit-learn), without the feature glossary (restored on loading) and without its customers:
# it keeps what the page shows whole (metrics, calibration, summary, the feature importance and the beeswarm's
# sample), a few kilobytes whatever the shop's size. The customers are tables: ``churn_scoring_customers`` (rank,
# orders, channel, country; the rest of each score is in ``scores``) and ``churn_scoring_details``, their feature
# rows and SHAP values in blocks of :data:`DETAIL_BLOCK_ROWS`, of which one customer's waterfall reads one
# (:func:`saved_waterfall`). At a million customers the whole run was a 300 MB blob; now the page's first visit
# reads the scores and a few kilobytes. Unpickling runs code, so a blob is only ever loaded from the user's own
# warehouse, and only blobs this app wrote there: the same trust as the file itself (``churn_models`` and
# ``recommender_models`` do the same). A blob that does not load is treated as absent: the page scores again.

KEPT_RUNS = 8  # saved runs kept (a user exploring past dates saves one per date)
COMPRESSION = 6  # zlib level of the run's blob
DETAIL_BLOCK_ROWS = 2_000  # customers per saved explanation block (about 100 kB compressed: a waterfall reads one)
DETAIL_COMPRESSION = 1  # zlib level of the blocks: a million customers' blocks compress in seconds
_CUSTOMERS_VIEW = "churn_new_scoring_customers"


def is_full(result: ScoringResult) -> bool:
    """Whether ``result`` holds all the page shows: holdout metrics and the inputs version it scored (a refresh
    that rescored with a saved model has no metrics of its own)."""
    return not result.metrics.empty and "inputs_version" in result.summary


def save_run(con: duckdb.DuckDBPyConnection, result: ScoringResult) -> None:
    """Keep a full ``result`` (see :func:`is_full`) computed in this process, replacing the earlier run of its
    (as_of, horizon_days), and drop all but the newest :data:`KEPT_RUNS`. The caller holds the transaction (the one
    saving its scores, which the saved run reads back)."""
    explanation = result.explanation
    # Neither the model nor the glossary (the feature registry's phrase functions) is saved: loading restores it.
    kept = dataclasses.replace(
        with_shown_parts(result),
        model=None,
        scores=result.scores.iloc[:0],
        features=result.features.iloc[:0],
        explanation=dataclasses.replace(explanation, values=explanation.values[:0], glossary={}),
        details_saved=True,
    )
    key = {"as_of": result.as_of, "horizon_days": int(result.horizon_days)}
    params = {
        **key,
        "inputs_version": str(result.summary["inputs_version"]),
        "model_version": result.model_version,
        "run": zlib.compress(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL), COMPRESSION),
    }
    warehouse.execute(con, "churn_save_scoring", params)
    warehouse.execute(con, "churn_delete_scoring_customers", key)
    warehouse.execute(con, "churn_delete_scoring_details", key)
    scores = result.scores
    customers = pd.DataFrame(
        {
            "position": np.arange(len(scores), dtype=np.int32),
            "user_id": scores["user_id"].to_numpy(),
            "orders": scores["orders"].to_numpy(dtype=np.int64),
            "channel": scores["channel"].to_numpy(),
            "country": scores["country"].to_numpy(),
        }
    )
    con.register(_CUSTOMERS_VIEW, customers)
    try:
        warehouse.execute(con, "churn_insert_scoring_customers", key)
    finally:
        con.unregister(_CUSTOMERS_VIEW)
    for first in range(0, len(scores), DETAIL_BLOCK_ROWS):
        rows = slice(first, first + DETAIL_BLOCK_ROWS)
        block = (result.features.iloc[rows].reset_index(drop=True), explanation.values[rows])
        detail = zlib.compress(pickle.dumps(block, protocol=pickle.HIGHEST_PROTOCOL), DETAIL_COMPRESSION)
        warehouse.execute(con, "churn_insert_scoring_detail", {**key, "first_position": first, "detail": detail})
    warehouse.execute(con, "churn_prune_scorings", {"kept": KEPT_RUNS})
    warehouse.execute(con, "churn_prune_scoring_rows")


def saved_run(
    con: duckdb.DuckDBPyConnection, inputs_version: str, as_of: dt.date, horizon_days: int
) -> ScoringResult | None:
    """The saved run of (as_of, horizon_days) when it scored ``inputs_version``, with its scores (every customer's,
    riskiest first, as computed) but no customer's features or explanation (``details_saved``: see
    :func:`saved_waterfall`); None when there is none, its blob does not load (written by another version,
    damaged) or its scores are gone."""
    params = {"as_of": as_of, "horizon_days": int(horizon_days), "inputs_version": inputs_version}
    result = _loaded(warehouse.execute(con, "churn_saved_scoring", params).fetchone())
    if result is None or not result.details_saved:  # a run saved whole by an earlier version carries its scores
        return result
    params = {"as_of": result.as_of, "horizon_days": int(result.horizon_days), "model_version": result.model_version}
    scores = warehouse.query(con, "churn_saved_scoring_customers", params, arrow=True)  # a reason per customer
    if scores.empty or scores["risk"].isna().any():
        return None
    scores["orders"] = scores["orders"].astype(np.int64)
    scores = scores.assign(
        as_of=result.as_of, horizon_days=int(result.horizon_days), model_version=result.model_version
    )
    return dataclasses.replace(result, scores=scores)


def training_run(con: duckdb.DuckDBPyConnection, horizon_days: int, model_version: str) -> ScoringResult | None:
    """The newest saved run of ``model_version`` without its customers (no score, feature or explanation row): the
    run that trained it, or a rescoring with it that carries the same holdout metrics; None when none is kept or
    it does not load. A refresh that rescores with a kept model takes the model's holdout metrics from it."""
    params = {"horizon_days": int(horizon_days), "model_version": model_version}
    return _loaded(warehouse.execute(con, "churn_saved_scoring_of_model", params).fetchone())


def _loaded(row: tuple | None) -> ScoringResult | None:
    if row is None:
        return None
    try:
        result = pickle.loads(zlib.decompress(row[0]))
    except Exception:  # noqa: BLE001 - any failure to load means "not saved": the page scores again
        return None
    return _with_glossary(result, FEATURE_REGISTRY) if isinstance(result, ScoringResult) else None


def _with_glossary(result: ScoringResult, glossary: explain.Glossary) -> ScoringResult:
    return dataclasses.replace(result, explanation=dataclasses.replace(result.explanation, glossary=glossary))


def saved_waterfall(con: duckdb.DuckDBPyConnection, result: ScoringResult, user_id: str) -> pd.DataFrame:
    """:func:`customer_waterfall` of a run loaded by :func:`saved_run`, reading that customer's explanation block
    (one of :data:`DETAIL_BLOCK_ROWS` customers); of a run computed here, from memory.

    Raises
    ------
    DataError
        ``user_id`` was not scored in this run, or the run was replaced in the warehouse since it was loaded.
    """
    if not result.details_saved:
        return customer_waterfall(result, user_id)
    position = _position(result, user_id)
    params = {
        "as_of": result.as_of,
        "horizon_days": int(result.horizon_days),
        "inputs_version": str(result.summary["inputs_version"]),
        "model_version": result.model_version,
        "position": position,
    }
    row = warehouse.execute(con, "churn_saved_scoring_detail", params).fetchone()
    if row is None:
        raise DataError(f"the scoring of {result.as_of} was replaced since this page read it; reload the page")
    features, values = pickle.loads(zlib.decompress(row[1]))
    explanation = dataclasses.replace(result.explanation, values=values)
    return explain.waterfall(explanation, features, position - int(row[0]))


def _position(result: ScoringResult, user_id: str) -> int:
    hits = np.flatnonzero(result.scores["user_id"].to_numpy() == user_id)
    if not len(hits):
        raise DataError(f"customer {user_id!r} was not scored at {result.as_of} (no purchase up to that date)")
    return int(hits[0])


def customer_waterfall(result: ScoringResult, user_id: str) -> pd.DataFrame:
    """The explanation of one scored customer (see :func:`retention.explain.waterfall`) of a run computed in this
    process (a run loaded from the warehouse reads it with :func:`saved_waterfall`).

    Raises
    ------
    DataError
        ``user_id`` was not scored in this run.
    """
    return explain.waterfall(result.explanation, result.features, _position(result, user_id))
