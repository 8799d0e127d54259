"""Running a refresh: its five steps in order, each timed and recorded (see :mod:`retention.refresh`)."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TypeVar

import duckdb

from retention import campaigns, churn, jobs, reorder, warehouse
from retention.errors import DataError, RetentionError
from retention.refresh import RefreshResult, Settings, StepResult, start_run, update_run
from retention.refresh import inbox as inbox_files
from retention.refresh import model as saved_models

T = TypeVar("T")
FLAG_THRESHOLD = 0.5  # the at-risk command's default: the summary counts the customers it would flag


class _State:
    """What the steps of one run hand on: the model to score with, the trained result (if trained this run),
    and the data token the run's scores were computed on."""

    def __init__(self) -> None:
        self.model: saved_models.SavedModel | None = None
        self.trained: churn.ScoringResult | None = None
        self.scored_token: str | None = None


Db = str | os.PathLike
Step = Callable[[Db, Settings, _State], tuple[str, str, dict[str, object]]]


def writing(db: Db, what: str, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """``work(con)`` in a write session of its own, held only as long as the work: rerun from a fresh session
    when DuckDB refuses its commit (a conflict, or another process holding the write-ahead log's lock for a
    moment; see :func:`retention.warehouse.retrying`)."""

    @warehouse.retrying(what)
    def attempt() -> T:
        with warehouse.session(db, write=True) as con:
            return work(con)

    return attempt()


def _import(db: Db, settings: Settings, state: _State) -> tuple[str, str, dict]:
    if settings.inbox is None:
        return "skipped", "no inbox given", {}
    files = inbox_files.import_inbox(db, settings.inbox)
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
    for f in by_outcome["failed"]:
        moved = Path(f.moved_to).parent.name == inbox_files.FAILED_DIR
        where = f"moved to {inbox_files.FAILED_DIR}/" if moved else "left in the inbox"
        parts.append(f"{f.name} failed ({where}): {f.reason}")
    return ("failed" if by_outcome["failed"] else "ok"), "; ".join(parts), details


def _derived(db: Db, settings: Settings, state: _State) -> tuple[str, str, dict]:
    return "ok", "activity rollup brought up to date inside each import", {}


def _retrain_reason(
    con: duckdb.DuckDBPyConnection, settings: Settings, saved: saved_models.SavedModel | None, as_of, details: dict
) -> str | None:
    """Why the model step retrains (None: keep ``saved``), by the policy of :mod:`retention.refresh`."""
    if settings.retrain == "never":
        if saved is None:
            raise DataError(
                f"no saved churn model for a {settings.horizon_days}-day horizon to score with and --retrain never: "
                "run `python -m retention refresh --retrain always` once (or use --retrain auto)"
            )
        return None
    if settings.retrain == "always":
        return "retraining asked for (--retrain always)"
    if saved is None:
        return f"no saved churn model for a {settings.horizon_days}-day horizon"
    age = saved_models.model_age_days(saved, as_of)
    details["model_age_days"] = age
    if age < 0:
        return f"model trained for {saved.as_of}, after the latest order ({as_of}): the data changed under it"
    if age > settings.max_model_age_days:
        return f"model trained for {saved.as_of}, {age} days of data ago (over {settings.max_model_age_days})"
    quality = saved_models.quality_now(con, saved, as_of)
    if quality is None:
        return None
    day, auc = quality
    details.update(quality_date=str(day), roc_auc_now=auc, roc_auc_at_training=saved.holdout_roc_auc)
    if saved.holdout_roc_auc - auc > settings.quality_drop:
        return (
            f"ROC AUC on the snapshot of {day} is {auc:.3f}, down from {saved.holdout_roc_auc:.3f} at "
            f"training (more than {settings.quality_drop:.3f})"
        )
    return None


def _model(db: Db, settings: Settings, state: _State) -> tuple[str, str, dict]:
    details: dict[str, object] = {"policy": settings.retrain}
    with warehouse.session(db) as con:
        as_of = churn.resolve_as_of(con)
        if settings.horizon_days is None:  # the default of the data as imported by this run
            settings = replace(settings, horizon_days=reorder.horizon_default(con)[0])
        details.update(as_of=str(as_of), horizon_days=settings.horizon_days)
        saved = saved_models.newest_model(con, settings.horizon_days)
        reason = _retrain_reason(con, settings, saved, as_of, details)
    state.model = saved  # if training fails, the score step still scores the new data with the saved model
    if reason is None:
        details["model_version"] = saved.model_version
        return "skipped", f"kept model {saved.model_version} (trained for {saved.as_of})", details
    with warehouse.session(db) as con:
        data = churn.read_scoring_input(con, churn.plan_scoring(con, as_of=as_of, horizon_days=settings.horizon_days))
    state.trained = churn.fit_and_score(data)  # no connection open: the app reads and writes meanwhile
    state.model = writing(db, "saving the churn model", lambda con: saved_models.save_model(con, state.trained, data))
    holdout_auc = float(state.trained.metrics.set_index("metric").at["roc_auc", "model"])
    details.update(
        model_version=state.model.model_version,
        retrained_because=reason,
        holdout_roc_auc=holdout_auc,
        roc_auc_at_training=state.model.holdout_roc_auc,
    )
    return (
        "ok",
        f"trained model {state.model.model_version} (scoring every customer on the way): {reason}; "
        f"holdout ROC AUC {holdout_auc:.3f}, {state.model.holdout_roc_auc:.3f} on its own newest labelled snapshot",
        details,
    )


def _score(db: Db, settings: Settings, state: _State) -> tuple[str, str, dict]:
    saved = state.model
    if saved is None:
        return "skipped", "no churn model to score with (see the model step)", {}
    trained = state.trained
    with warehouse.session(db) as con:
        as_of = churn.resolve_as_of(con)
        data_token = warehouse.execute(con, "refresh_data_token").fetchone()[0]
        token = f"{data_token}|h{saved.horizon_days}|{saved.model_version}"
        details = {"as_of": str(as_of), "horizon_days": saved.horizon_days, "model_version": saved.model_version}
        already = warehouse.execute(con, "refresh_scored_before", {"scored_token": token}).fetchone()[0]
        if already and saved_models.scores_saved(con, as_of, saved.horizon_days, saved.model_version):
            return "skipped", f"no new data since the scores of {as_of} with model {saved.model_version}", details
        trained_now = trained is not None and (trained.model_version, trained.as_of) == (saved.model_version, as_of)
        read = None if trained_now else saved_models.read_rescoring(con, saved, as_of)
    result = trained if read is None else saved_models.score_rows(saved, read, as_of)
    written = writing(db, "saving the scores", lambda con: churn.save_scores(con, result))
    state.scored_token = token
    flagged = int((result.scores["risk"] >= FLAG_THRESHOLD).sum())
    details.update(customers=written, flagged=flagged, flag_threshold=FLAG_THRESHOLD)
    return "ok", f"scored {written:,} customers as of {as_of} ({flagged:,} with risk >= {FLAG_THRESHOLD})", details


def _campaigns(db: Db, settings: Settings, state: _State) -> tuple[str, str, dict]:
    with warehouse.session(db) as con:
        due = warehouse.query(con, "refresh_due_campaigns")
    if due.empty:
        return "ok", "no launched campaign whose window has passed", {"measured": []}
    measured, failed = [], []
    for campaign_id in due["campaign_id"].astype(int):
        try:
            with warehouse.session(db) as con:
                measurement = campaigns.measure(con, campaign_id)
                status = campaigns.get_campaign(con, campaign_id)["status"]
            if not campaigns.recordable(measurement, status):
                raise DataError(f"campaign {campaign_id}'s window is not complete yet")
            writing(db, f"recording campaign {campaign_id}", lambda con, m=measurement: campaigns.record(con, m))
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


def refresh(db: Db, settings: Settings, progress: jobs.Progress | None = None) -> RefreshResult:
    """Run the five steps on the warehouse file ``db`` and record the run.

    No step holds the warehouse for long: each reads in read sessions and writes in short write sessions of its
    own (one per inbox file, per save, per campaign), and training and scoring run with no connection open, so
    the app's pages read (and its writers write) while a refresh runs. A step that fails (a
    :class:`RetentionError`, or any other error, recorded with its type) is recorded as failed and the later steps
    still run; the run is recorded after every step, so what it did is visible while it runs and after it was
    killed. ``progress(fraction, message)`` hears of each step as it starts.
    """
    started = time.perf_counter()
    run_id = writing(db, "the refresh record", lambda con: start_run(con, settings))
    state = _State()
    steps: list[StepResult] = []
    for index, (name, function) in enumerate(STEP_FUNCTIONS.items()):
        if progress:
            progress(index / len(STEP_FUNCTIONS), f"Refresh run {run_id}, step {index + 1} of 5: {name}")
        began = time.perf_counter()
        try:
            status, outcome, details = function(db, settings, state)
        except RetentionError as exc:
            status, outcome, details = "failed", str(exc), {}
        except Exception as exc:  # noqa: BLE001 - a scheduler needs the later steps and the record, not a crash
            status, outcome = "failed", f"{type(exc).__name__}: {exc}"
            details = {"traceback": traceback.format_exc(limit=5)}
        steps.append(StepResult(name, status, time.perf_counter() - began, outcome, details))
        _record(db, run_id, steps, finished=False, scored_token=state.scored_token)
    _record(db, run_id, steps, finished=True, scored_token=state.scored_token)
    return RefreshResult(run_id=run_id, steps=tuple(steps), seconds=time.perf_counter() - started)


def _record(db: Db, run_id: int, steps: list[StepResult], *, finished: bool, scored_token: str | None) -> None:
    writing(
        db,
        "the refresh record",
        lambda con: update_run(con, run_id, steps, finished=finished, scored_token=scored_token),
    )


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


def refresh_job(db: Db, settings: Settings, progress: jobs.Progress) -> RefreshResult:
    """:func:`refresh` as a job's work: a run with a failed step raises :class:`RefreshFailed`, so that its job
    is recorded failed, with the failed steps as its error."""
    result = refresh(db, settings, progress)
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
