"""Running a refresh: its five steps in order, each timed and recorded (see :mod:`retention.refresh`)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict

import duckdb

from retention import campaigns, churn, jobs, warehouse
from retention.errors import DataError, RetentionError
from retention.refresh import RefreshResult, Settings, StepResult, start_run, update_run
from retention.refresh import inbox as inbox_files
from retention.refresh import model as saved_models

FLAG_THRESHOLD = 0.5  # the at-risk command's default: the summary counts the customers it would flag


class _State:
    """What the steps of one run hand on: the model to score with, the trained result (if trained this run),
    and the data token the run's scores were computed on."""

    def __init__(self) -> None:
        self.model: saved_models.SavedModel | None = None
        self.trained: churn.ScoringResult | None = None
        self.scored_token: str | None = None


Step = Callable[[duckdb.DuckDBPyConnection, Settings, _State], tuple[str, str, dict[str, object]]]


def _import(con: duckdb.DuckDBPyConnection, settings: Settings, state: _State) -> tuple[str, str, dict]:
    if settings.inbox is None:
        return "skipped", "no inbox given", {}
    files = inbox_files.import_inbox(con, settings.inbox)
    by_outcome = {
        outcome: [f for f in files if f.outcome == outcome] for outcome in ("loaded", "already loaded", "failed")
    }
    details = {"files": [vars(f) for f in files]}
    if not files:
        return "ok", "no new file in the inbox", details
    loaded = by_outcome["loaded"]
    parts = [f"loaded {len(loaded)} file(s), {sum(f.rows_loaded for f in loaded):,} rows"]
    if by_outcome["already loaded"]:
        parts.append(f"{len(by_outcome['already loaded'])} already loaded")
    parts.extend(f"{f.name} failed (moved to {inbox_files.FAILED_DIR}/): {f.reason}" for f in by_outcome["failed"])
    return ("failed" if by_outcome["failed"] else "ok"), "; ".join(parts), details


def _derived(con: duckdb.DuckDBPyConnection, settings: Settings, state: _State) -> tuple[str, str, dict]:
    return "ok", "activity rollup brought up to date inside each import", {}


def _model(con: duckdb.DuckDBPyConnection, settings: Settings, state: _State) -> tuple[str, str, dict]:
    as_of = churn.resolve_as_of(con)
    saved = saved_models.newest_model(con, settings.horizon_days)
    details: dict[str, object] = {"as_of": str(as_of), "policy": settings.retrain}
    reason = None
    if settings.retrain == "never":
        if saved is None:
            raise DataError(
                f"no saved churn model for a {settings.horizon_days}-day horizon to score with and --retrain never: "
                "run `python -m retention refresh --retrain always` once (or use --retrain auto)"
            )
    elif settings.retrain == "always":
        reason = "retraining asked for (--retrain always)"
    elif saved is None:
        reason = f"no saved churn model for a {settings.horizon_days}-day horizon"
    else:
        age = saved_models.model_age_days(saved, as_of)
        details["model_age_days"] = age
        if age < 0:
            reason = f"model trained for {saved.as_of}, after the latest order ({as_of}): the data changed under it"
        elif age > settings.max_model_age_days:
            reason = f"model trained for {saved.as_of}, {age} days of data ago (over {settings.max_model_age_days})"
        else:
            quality = saved_models.quality_now(con, saved, as_of)
            if quality is not None:
                day, auc = quality
                details.update(quality_date=str(day), roc_auc_now=auc, roc_auc_at_training=saved.holdout_roc_auc)
                if saved.holdout_roc_auc - auc > settings.quality_drop:
                    reason = (
                        f"ROC AUC on the snapshot of {day} is {auc:.3f}, down from {saved.holdout_roc_auc:.3f} at "
                        f"training (more than {settings.quality_drop:.3f})"
                    )
    if reason is None:
        state.model = saved
        details["model_version"] = saved.model_version
        return "skipped", f"kept model {saved.model_version} (trained for {saved.as_of})", details
    state.model = saved  # if training fails, the score step still scores the new data with the saved model
    state.trained = churn.score_customers(con, as_of=as_of, horizon_days=settings.horizon_days, save=False)
    state.model = saved_models.save_model(con, state.trained)
    details.update(model_version=state.model.model_version, retrained_because=reason)
    return (
        "ok",
        f"trained model {state.model.model_version} (scoring every customer on the way): {reason}; "
        f"holdout ROC AUC {state.model.holdout_roc_auc:.3f}",
        details,
    )


def _score(con: duckdb.DuckDBPyConnection, settings: Settings, state: _State) -> tuple[str, str, dict]:
    saved = state.model
    if saved is None:
        return "skipped", "no churn model to score with (see the model step)", {}
    as_of = churn.resolve_as_of(con)
    token = f"{warehouse.execute(con, 'refresh_data_token').fetchone()[0]}|h{saved.horizon_days}|{saved.model_version}"
    details = {"as_of": str(as_of), "horizon_days": saved.horizon_days, "model_version": saved.model_version}
    already = warehouse.execute(con, "refresh_scored_before", {"scored_token": token}).fetchone()[0]
    if already and saved_models.scores_saved(con, as_of, saved.horizon_days, saved.model_version):
        return "skipped", f"no new data since the scores of {as_of} with model {saved.model_version}", details
    trained_now = state.trained is not None and state.trained.model_version == saved.model_version
    result = state.trained if trained_now else saved_models.score_with(con, saved, as_of)
    written = churn.save_scores(con, result)
    state.scored_token = token
    flagged = int((result.scores["risk"] >= FLAG_THRESHOLD).sum())
    details.update(customers=written, flagged=flagged, flag_threshold=FLAG_THRESHOLD)
    return "ok", f"scored {written:,} customers as of {as_of} ({flagged:,} with risk >= {FLAG_THRESHOLD})", details


def _campaigns(con: duckdb.DuckDBPyConnection, settings: Settings, state: _State) -> tuple[str, str, dict]:
    due = warehouse.query(con, "refresh_due_campaigns")
    if due.empty:
        return "ok", "no launched campaign whose window has passed", {"measured": []}
    measured, failed = [], []
    for campaign_id in due["campaign_id"].astype(int):
        try:
            measurement = campaigns.measure(con, campaign_id)
            if not campaigns.recordable(measurement, campaigns.get_campaign(con, campaign_id)["status"]):
                raise DataError(f"campaign {campaign_id}'s window is not complete yet")
            campaigns.record(con, measurement)
            measured.append(campaign_id)
        except RetentionError as exc:
            failed.append({"campaign_id": campaign_id, "reason": str(exc)})
    outcome = f"measured and recorded campaign(s) {', '.join(map(str, measured)) or 'none'}"
    outcome += "".join(f"; campaign {f['campaign_id']} failed: {f['reason']}" for f in failed)
    return ("failed" if failed else "ok"), outcome, {"measured": measured, "failed": failed}


STEP_FUNCTIONS: dict[str, Step] = {
    "import": _import,
    "derived": _derived,
    "model": _model,
    "score": _score,
    "campaigns": _campaigns,
}


def refresh(con: duckdb.DuckDBPyConnection, settings: Settings, progress: jobs.Progress | None = None) -> RefreshResult:
    """Run the five steps on the warehouse ``con`` (writable, not in a transaction) and record the run.

    A step that fails (a :class:`RetentionError`, or any other error, recorded with its type) is recorded as
    failed and the later steps still run; the run is recorded after every step, so what it did is visible
    while it runs and after it was killed. ``progress(fraction, message)`` hears of each step as it starts.
    """
    started = time.perf_counter()
    run_id = start_run(con, settings)
    state = _State()
    steps: list[StepResult] = []
    for index, (name, function) in enumerate(STEP_FUNCTIONS.items()):
        if progress:
            progress(index / len(STEP_FUNCTIONS), f"Refresh run {run_id}, step {index + 1} of 5: {name}")
        began = time.perf_counter()
        try:
            status, outcome, details = function(con, settings, state)
        except RetentionError as exc:
            status, outcome, details = "failed", str(exc), {}
        except Exception as exc:  # noqa: BLE001 - a scheduler needs the later steps and the record, not a crash
            status, outcome = "failed", f"{type(exc).__name__}: {exc}"
            details = {"traceback": traceback.format_exc(limit=5)}
        steps.append(StepResult(name, status, time.perf_counter() - began, outcome, details))
        update_run(con, run_id, steps, finished=False, scored_token=state.scored_token)
    update_run(con, run_id, steps, finished=True, scored_token=state.scored_token)
    return RefreshResult(run_id=run_id, steps=tuple(steps), seconds=time.perf_counter() - started)


# ---------------------------------------------------------------------------
# The run as a job
# ---------------------------------------------------------------------------
# ``refresh`` records itself in the jobs table too (started by "refresh"), so that the Data page lists refresh
# runs next to the app's and the commands' jobs; refresh_runs keeps the steps' details.

KIND = "refresh"


class RefreshFailed(RetentionError):
    """A refresh run had a failed step: the message names the steps, ``result`` is the whole run."""

    def __init__(self, result: RefreshResult) -> None:
        failed = "; ".join(f"{step.step}: {step.outcome}" for step in result.steps if step.failed)
        super().__init__(f"refresh run {result.run_id} had a failed step ({failed})")
        self.result = result


def job_params(settings: Settings) -> dict[str, object]:
    """The job's parameters: the run's settings."""
    return asdict(settings)


def refresh_job(con: duckdb.DuckDBPyConnection, settings: Settings, progress: jobs.Progress) -> RefreshResult:
    """:func:`refresh` as a job's work: a run with a failed step raises :class:`RefreshFailed`, so that its job
    is recorded failed, with the failed steps as its error."""
    result = refresh(con, settings, progress)
    if result.status != "ok":
        raise RefreshFailed(result)
    return result


def job_result(result: RefreshResult) -> dict[str, object]:
    """What a refresh job records: the run's id, status and seconds, and each step's status and outcome."""
    return {
        "run_id": result.run_id,
        "status": result.status,
        "seconds": round(result.seconds, 3),
        "steps": [{"step": step.step, "status": step.status, "outcome": step.outcome} for step in result.steps],
    }
