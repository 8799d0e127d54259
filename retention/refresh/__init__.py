"""The scheduled refresh: one command (``python -m retention refresh``) that cron or Airflow runs.

A run takes five steps, in order, and records itself in ``refresh_runs``:

1. **import**: every new file in the inbox folder is imported into the table its name starts with
   (``orders-2026-11-29.csv``, ``users_2026.parquet``: the name up to the first ``-``, ``_`` or ``.``
   must be a canonical table). Columns are mapped by name or by a known synonym
   (:func:`retention.ingest.guess_mapping`); a file whose required columns cannot be mapped fails.
   Each import is one transaction (:func:`retention.ingest.import_file`), so a failed file leaves
   nothing behind: it is moved into ``INBOX/failed/`` with ``NAME.reason.txt`` beside it. A file
   that loaded, and a file whose bytes were already imported into that table (recognised by its
   SHA-256, whatever its name), is moved into ``INBOX/done/``. The inbox therefore only ever holds
   work still to do; a file dropped twice is loaded once. Names starting with ``.`` or ending in
   ``.tmp`` or ``.part`` are left alone: write a file under such a name, then rename it, so that a
   run never reads half a file.
2. **derived**: the activity rollup is refreshed inside each import's transaction already
   (:func:`retention.rollups.refresh_changed`); the step only reports it.
3. **model**: the churn model is retrained when asked (``always``), never (``never``), or
   (``auto``, the default) when no model is saved, when the saved one was trained for a date more
   than ``max_model_age_days`` before the latest order (age in days of data, not of the clock, so a
   replayed history behaves as a live one), or when its ROC AUC on the newest labelled snapshot it
   has not seen is more than ``quality_drop`` below its ROC AUC on its own newest labelled snapshot,
   recorded when it was trained (the same model and measure, so the two compare like for like; the
   training run's holdout figure is another model's), or when it was trained for a date after the
   latest order (the data changed under it). Trained models are kept in ``churn_models`` (pickled: the warehouse is trusted,
   as the code that reads it). When retraining fails, the saved model (if any) still scores.
   The quality rule is deliberately simple: a snapshot a few days past the model's own holdout
   shares most of its customers' history with it, so the drop shows late; the age rule bounds
   how long a model is kept regardless.
4. **score**: every customer is scored at the latest order date with the model of step 3 and the
   scores are saved as the At-risk page and ``at-risk`` command save them (keyed by as_of, horizon
   and model version). When the data (import batches and non-product codes) has not changed since
   a run saved the scores of this model, the step does nothing: the second run over the same inbox
   writes no score and the data version token stays as it was.
5. **campaigns**: every launched campaign whose window has passed (the latest order is on or after
   its last day) is measured and its result recorded, which marks it measured; a measured campaign
   is not measured again.

The refresh runs on DuckDB only (:func:`check_engine`): its import step writes into the warehouse file and
every later step reads what that import just wrote, while a Spark job reads a lake, which the Spark engine
never writes. On Spark the retraining, the rescoring and the campaign measurement would see the lake as it was
exported, not the inbox just imported. A shop whose history needs Spark runs the same steps as separate batch
commands on the lake it keeps up to date: ``at-risk --engine spark --lake DIR`` and ``campaign measure --engine
spark --lake DIR``, each recording its result in the warehouse file.

A failed step is recorded with its reason and the later steps still run on what the warehouse
holds (what earlier steps wrote stays); the run's status is ``failed`` and the command exits 1.

No step holds the warehouse for long, so that the app's pages read while a refresh runs: a run reads in
read sessions, imports each file in a write session of its own, trains and scores with no connection open,
and saves the model, the scores, each campaign's result and its own record each in one short write session
(:func:`retention.refresh.run.writing`). A file whose every row was rejected counts as failed; its batch
(no row) does not make the same bytes "already loaded": dropped again, they are imported again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError

RETRAIN_POLICIES = ("auto", "always", "never")
STEPS = ("import", "derived", "model", "score", "campaigns")
STEP_STATUSES = ("ok", "skipped", "failed")
DEFAULT_MAX_MODEL_AGE_DAYS = 30
DEFAULT_QUALITY_DROP = 0.05
REFRESH_ENGINE = "duckdb"
SPARK_REFUSAL = (
    "refresh runs on DuckDB only: it imports the inbox into the warehouse file and its later steps read what "
    "was just imported, while Spark reads a lake, which it never writes; on a lake, run `at-risk --engine spark "
    "--lake DIR` and `campaign measure --engine spark --lake DIR --id N` instead"
)
DONE_DIR = "done"
FAILED_DIR = "failed"


@dataclass(frozen=True)
class Settings:
    """What one refresh does.

    inbox: folder of files to import (None: no import step). retrain: one of :data:`RETRAIN_POLICIES`.
    max_model_age_days: ``auto`` retrains a model trained for a date more than this many days before the
    latest order (>= 0). quality_drop: ``auto`` retrains when the ROC AUC on the newest labelled snapshot
    is more than this below the one recorded at training (in [0, 1]). horizon_days: the churn horizon (None: the
    warehouse's default when the model step runs, :func:`retention.reorder.horizon_default`).
    """

    inbox: str | None = None
    retrain: str = "auto"
    max_model_age_days: int = DEFAULT_MAX_MODEL_AGE_DAYS
    quality_drop: float = DEFAULT_QUALITY_DROP
    horizon_days: int | None = None

    def __post_init__(self) -> None:
        if self.retrain not in RETRAIN_POLICIES:
            raise DataError(f"retrain must be one of {', '.join(RETRAIN_POLICIES)}, not {self.retrain!r}")
        if self.max_model_age_days < 0:
            raise DataError(f"the model age must be 0 days or more, got {self.max_model_age_days}")
        if not 0.0 <= self.quality_drop <= 1.0:
            raise DataError(f"the quality drop is a difference of ROC AUC, in [0, 1]; got {self.quality_drop}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class StepResult:
    """One step of a run: ``step`` (one of :data:`STEPS`), ``status`` (ok, skipped or failed), ``seconds``
    (wall time), ``outcome`` (one sentence for people) and ``details`` (JSON-serialisable facts)."""

    step: str
    status: str
    seconds: float
    outcome: str
    details: dict[str, object] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class RefreshResult:
    """A finished run: its id, its steps in order, and its status (ok when no step failed)."""

    run_id: int
    steps: tuple[StepResult, ...]
    seconds: float

    @property
    def status(self) -> str:
        return "failed" if any(step.failed for step in self.steps) else "ok"

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.step == name)

    def summary(self) -> str:
        """One line per step (name, seconds, status, outcome), then the run's."""
        lines = [f"{s.step:<10} {s.seconds:>7.1f} s  {s.status:<8} {s.outcome}" for s in self.steps]
        lines.append(f"refresh run {self.run_id}: {self.status} in {self.seconds:.1f} s")
        return "\n".join(lines)


def check_engine(engine: str) -> None:
    """Refuse any engine but DuckDB, saying why (see the module docstring)."""
    if engine != REFRESH_ENGINE:
        raise DataError(SPARK_REFUSAL if engine == "spark" else f"unknown engine {engine!r} for refresh")


def steps_json(steps: tuple[StepResult, ...] | list[StepResult]) -> str:
    return json.dumps([asdict(step) for step in steps], default=str)


def start_run(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Record a new run as running (committed at once, so that a killed run stays visible); returns its id."""
    with warehouse.transaction(con):
        return int(warehouse.execute(con, "refresh_start_run", {"settings": settings.to_json()}).fetchone()[0])


def update_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    steps: tuple[StepResult, ...] | list[StepResult],
    *,
    finished: bool,
    scored_token: str | None,
) -> None:
    """Record the run's steps so far (and, when ``finished``, its end and final status)."""
    status = "failed" if any(step.failed for step in steps) else ("ok" if finished else "running")
    params = {
        "run_id": run_id,
        "status": status,
        "steps": steps_json(steps),
        "finished": finished,
        "scored_token": scored_token,
    }
    with warehouse.transaction(con):
        warehouse.execute(con, "refresh_update_run", params)


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest refresh runs, newest first.

    Returns
    -------
    DataFrame
        ``run_id``, ``started_at``, ``finished_at`` (NaT while running), ``status`` (running, ok, failed),
        ``settings`` (dict), ``steps`` (list of dicts: step, status, seconds, outcome, details),
        ``scored_token``.
    """
    frame = warehouse.query(con, "refresh_recent_runs", {"limit": int(limit)})
    frame["settings"] = frame["settings"].map(json.loads)
    frame["steps"] = frame["steps"].map(json.loads)
    return frame


__all__ = [
    "DEFAULT_MAX_MODEL_AGE_DAYS",
    "DEFAULT_QUALITY_DROP",
    "DONE_DIR",
    "FAILED_DIR",
    "RETRAIN_POLICIES",
    "STEPS",
    "SPARK_REFUSAL",
    "STEP_STATUSES",
    "RefreshResult",
    "Settings",
    "StepResult",
    "check_engine",
    "recent_runs",
    "start_run",
    "steps_json",
    "update_run",
]
