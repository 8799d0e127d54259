"""A scoring whose set work runs on a lake (Spark, or DuckDB in memory), saved in the warehouse the app reads.

``python -m retention at-risk --engine spark --lake DIR`` splits a scoring three ways:

* the set work (snapshot plan, sample size, features and labels: every query of orders, events, users,
  ratings, products and non_products) runs on the engine's connection (:func:`retention.engines.source`);
* the model is fitted, evaluated and explains every customer on the driver, in pandas, as a scoring of the
  warehouse is (:func:`~retention.churn.scoring.fit_and_score`);
* the scores and the run are saved to the DuckDB warehouse ``db`` in one transaction, stamped with that
  warehouse's inputs version, so that the At-risk page shows them.

What reaches the driver is the per-customer feature table of the planned snapshots: every customer's row at
the as-of date (about 24 numbers and two labels a customer), and at the training and holdout dates the rows of
a seeded sample of whole customers once the final training snapshots hold more than
:data:`~retention.churn.snapshots.MAX_TRAINING_ROWS` rows; the customers are then scored and explained
:data:`~retention.churn.scoring.SCORING_BLOCK_ROWS` at a time. No order line or event leaves the engine.

The scores are only meaningful in a warehouse that holds the lake's shop: ``db`` must hold the same orders and
users as the lake (the warehouse it was exported from), checked by :func:`check_same_shop`, or no order at all
(a new file that keeps the scores; the At-risk page needs the orders to show them).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

from retention import warehouse
from retention.churn.model import DEFAULT_SEED
from retention.churn.scoring import (
    ScoringInput,
    ScoringResult,
    fit_and_score,
    inputs_version,
    plan_scoring,
    read_features,
    save_scores_in,
)
from retention.churn.snapshots import DEFAULT_HORIZON_DAYS, MAX_TRAINING_ROWS, SAMPLE_SEED
from retention.errors import DataError

SHOP_FINGERPRINT = ("order_lines", "first_order", "last_order", "net_units", "users")


def shop_fingerprint(con) -> dict[str, object]:
    """What identifies a shop's data on any engine's connection: ``order_lines`` (int), ``first_order`` and
    ``last_order`` (timestamps, None without orders), ``net_units`` (int, units bought less units returned) and
    ``users`` (int)."""
    row = warehouse.execute(con, "churn_shop_fingerprint").fetchone()
    return dict(zip(SHOP_FINGERPRINT, row, strict=True))


def check_same_shop(con, db: str | os.PathLike) -> None:
    """Raise :class:`DataError` unless the warehouse ``db`` holds the shop of ``con`` (a lake's connection), or no
    order at all.

    Raises
    ------
    DataError
        Their orders or users differ: the scores would be saved next to other customers.
    """
    with warehouse.session(db) as target:
        theirs = shop_fingerprint(target)
    if theirs["order_lines"] == 0:
        return
    ours = shop_fingerprint(con)
    if ours != theirs:
        raise DataError(
            f"the warehouse {str(db)!r} holds another shop than the lake ({_described(theirs)}; the lake "
            f"{_described(ours)}): save the scores to the warehouse the lake was exported from (`python -m "
            "retention lake export --db WAREHOUSE --to DIR`), or to a new warehouse file"
        )


def _described(fingerprint: dict[str, object]) -> str:
    return (
        f"{fingerprint['order_lines']:,} order lines from {fingerprint['first_order']} to "
        f"{fingerprint['last_order']}, {fingerprint['net_units']:,} net units, {fingerprint['users']:,} users"
    )


def score_lake_and_save(
    con,
    db: str | os.PathLike,
    *,
    as_of: dt.date | str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    seed: int = DEFAULT_SEED,
    params: dict[str, object] | None = None,
    max_rows: int = MAX_TRAINING_ROWS,
    sample_seed: int = SAMPLE_SEED,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[ScoringResult, str | None]:
    """Score every customer with the set work on ``con`` (:func:`retention.engines.source` over a lake) and save
    the scores and the run to the warehouse ``db`` (created when missing): see the module docstring.

    Returns the result and ``db``'s data version right after the save, or None in its place when another writer
    changed ``db`` while the model trained (as :func:`~retention.churn.scoring.score_and_save`).

    Raises
    ------
    DataError
        ``db`` holds another shop (:func:`check_same_shop`); no orders, too little history for the horizon, or
        labels of one class only.
    """
    said = progress or (lambda fraction, message: None)
    warehouse.prepare(db)
    check_same_shop(con, db)
    with warehouse.session(db) as target:
        read_at, inputs = warehouse.data_version(target), inputs_version(target)
    plan = plan_scoring(con, as_of=as_of, horizon_days=horizon_days)
    said(0.0, f"Reading {len(plan.all_dates)} monthly customer snapshots from the lake")
    frame, sample = read_features(con, plan, max_rows=max_rows, seed=sample_seed)
    result = fit_and_score(
        ScoringInput(plan, frame, read_at, inputs, sample), seed=seed, params=params, progress=progress
    )
    said(0.97, "Saving the scores")
    return save_scores_in(db, result, read_at)
