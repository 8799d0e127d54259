"""Monitoring of outcomes: did the recommenders' lists come true, did the campaigns pay.

**Recommendations.** A saved run's all-feedback model (:mod:`retention.recommend.saved`) was fitted on the
feedback of one version of the imports (its ``data_version``, :func:`retention.warehouse.imports_version`): the
import batches up to some batch id. Its *cutoff* is the latest order of those batches. The shop's own orders
after the cutoff are the truth its lists are checked against, online-style: for the customers the model knows
who bought a catalogue item in the ``horizon_days`` after the cutoff (at most ``max_users`` of them, a seeded
sample), the model's top-K list as it would have been made at the cutoff (leaving out what the customer had
before, unless the run is repeat-aware) is a *hit* when it holds any item they bought. In discovery mode what
the customer had before is also left out of the truth (:mod:`retention.recommend.modes`). The hit rate is
hits / customers; beside it, the same customers' hit rate of the most popular items of the model's own
feedback, with the same exclusions.

The lists are made from the saved model itself, whatever feedback the warehouse holds now (not
:func:`~retention.recommend.saved.recommend_for_users`, which refits a stale model on today's feedback, orders
after the cutoff included, and then leaves those very purchases out of the lists). A run refitted on newer
feedback starts a new window; a run without a saved model is listed, not evaluated. The window is fixed so that
runs of different months compare: a run whose window the orders do not cover yet is marked incomplete and the
check waits for a complete one.

**Campaigns.** Every launched campaign with orders after its launch is measured
(:func:`retention.campaigns.measure`): each treated arm's retention difference against the control with its
95% interval, dated by its launch (``start_ts``, the latest order at launch); the incremental revenue, cost and
net return of all campaigns are summed in launch order.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from retention import monitoring, schema, warehouse
from retention.campaigns import list_campaigns, measure
from retention.errors import DataError
from retention.recommend.modes import REPEAT, run_mode

if TYPE_CHECKING:  # the recommender module imports Surprise: the section loads it only to evaluate a run
    from retention.recommend.serve import Recommender

DEFAULTS = {"hit_rate_vs_popularity": 0.0, "net_return": 0.0}
LIST_LENGTH = 10
MAX_USERS = 2000
HORIZON_DAYS = 30
SEED = 0
BASELINE_MODEL = "popularity"

HIT_RATE_WORRY = (
    "The best saved recommender's lists came true less often than the most popular items did: its lists are "
    "no better than a bestseller list for these customers; retrain or send the popular items."
)
NET_RETURN_WORRY = (
    "All campaigns together cost more than the revenue they added over their holdouts: stop or redesign the "
    "campaigns that lose money."
)

HIT_RATE_COLUMNS = (
    "run_id",
    "name",
    "model",
    "mode",
    "cutoff",
    "window_end",
    "complete",
    "users",
    "hit_rate",
    "popularity_hit_rate",
    "margin",
    "note",
)
CAMPAIGN_COLUMNS = (
    "campaign_id",
    "name",
    "arm",
    "launched",
    "window_end",
    "complete",
    "members",
    "retention",
    "control_retention",
    "retention_diff",
    "retention_diff_low",
    "retention_diff_high",
    "uplift",
    "incremental_revenue",
    "cost",
    "net_return",
)
CUMULATIVE_COLUMNS = ("campaign_id", "name", "launched", "incremental_revenue", "cost", "net_return")


# --- Recommendations -------------------------------------------------------------------------------------------------


def fitted_batch(model_version: str | None) -> int | None:
    """The latest import batch id of the feedback a model was fitted on, read from its feedback version
    (``"<schema>-<batches>.<latest batch id>.<hash>-<non-products>"``, see ``imports_version.sql``); None when
    the version does not read so."""
    parts = str(model_version or "").split("-")
    fields = parts[1].split(".") if len(parts) >= 2 else []
    return int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else None


def _load_model(con: duckdb.DuckDBPyConnection, run_id: int) -> Recommender:
    row = warehouse.execute(con, "monitoring_run_model_blob", {"run_id": int(run_id)}).fetchone()
    try:
        return pickle.loads(row[0])  # trusted: this app wrote it here (see retention.recommend.saved)
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as error:
        raise DataError(
            f"recommender run {run_id}'s saved model cannot be read by this version ({error}); refit it"
        ) from error


def hits(lists: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Per user of ``truth``, whether their list (``user_id``, ``item_id`` rows) holds any of their ``truth``
    items (``user_id``, ``item_id``); bool, indexed by ``user_id``, sorted."""
    listed = lists[[schema.COL_USER, schema.COL_ITEM]].astype("string")
    bought = truth[[schema.COL_USER, schema.COL_ITEM]].astype("string").drop_duplicates()
    matched = bought.merge(listed, on=[schema.COL_USER, schema.COL_ITEM])[schema.COL_USER].unique()
    users = pd.Index(sorted(bought[schema.COL_USER].unique()), name=schema.COL_USER)
    return pd.Series(users.isin(matched), index=users)


def _sample(users: list[str], max_users: int, seed: int) -> list[str]:
    if len(users) <= max_users:
        return users
    return sorted(np.random.default_rng(seed).choice(np.array(users, dtype=object), max_users, replace=False))


def _truth(
    con: duckdb.DuckDBPyConnection, recommender: Recommender, batch: int, cutoff: pd.Timestamp, until: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The later purchases of catalogue items by customers the model knows (new items only in discovery mode), and
    the items those customers had bought or rated in the batches the model was fitted on (what a list made then
    leaves out)."""
    later = warehouse.query(con, "monitoring_later_purchases", {"after": cutoff, "until": until}).astype("string")
    later = later[
        later[schema.COL_USER].isin(recommender.model.users) & later[schema.COL_ITEM].isin(recommender.model.items)
    ]
    users = sorted(later[schema.COL_USER].unique())
    before = warehouse.query(con, "monitoring_items_before", {"user_ids": users, "batch_id": batch}).astype("string")
    if recommender.mode != REPEAT:
        known = recommender.feedback.frame[[schema.COL_USER, schema.COL_ITEM]].astype("string")
        had = pd.concat([before, known[known[schema.COL_USER].isin(users)]]).drop_duplicates()
        keys = [schema.COL_USER, schema.COL_ITEM]
        later = later.merge(had, on=keys, how="left", indicator=True)
        later = later.loc[later["_merge"] == "left_only", keys]
    return later, before


def run_hit_rate(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    k: int = LIST_LENGTH,
    horizon_days: int = HORIZON_DAYS,
    max_users: int = MAX_USERS,
    seed: int = SEED,
) -> dict:
    """Run ``run_id``'s realised hit rate (see the module docstring).

    Returns
    -------
    dict
        ``cutoff`` and ``window_end`` (timestamps), ``complete`` (bool: the orders reach the window's end),
        ``users`` (int, customers evaluated), ``hit_rate`` and ``popularity_hit_rate`` (in [0, 1]; NaN without
        customers) and ``lists`` (the model's top-``k`` rows: ``user_id``, ``rank``, ``item_id``).

    Raises
    ------
    DataError
        The run has no saved model, its feedback version does not name its import batches, or they hold no order.
    """
    from retention.recommend.models import ConstantModel  # imports Surprise: only when a run is evaluated

    saved = warehouse.query(con, "monitoring_run_models").set_index("run_id")["model_version"]
    if pd.isna(saved.get(run_id)):
        raise DataError(f"recommender run {run_id} has no saved model: train it again on the Recommenders page")
    batch = fitted_batch(saved[run_id])
    if batch is None:
        raise DataError(f"recommender run {run_id}'s model does not say which imports it was fitted on; refit it")
    bounds = warehouse.query(con, "monitoring_orders_cutoff", {"batch_id": batch}).iloc[0]
    if pd.isna(bounds["cutoff"]):
        raise DataError(f"recommender run {run_id}'s model was fitted before any order was imported")
    cutoff, through = pd.Timestamp(bounds["cutoff"]), pd.Timestamp(bounds["through"])
    window_end = cutoff + pd.Timedelta(days=horizon_days)
    recommender = _load_model(con, run_id)
    truth, before = _truth(con, recommender, batch, cutoff, window_end)
    users = _sample(sorted(truth[schema.COL_USER].unique()), max_users, seed)
    truth = truth[truth[schema.COL_USER].isin(users)]
    exclude = None if recommender.mode == REPEAT else before
    popular = dataclasses.replace(
        recommender, model=ConstantModel(recommender.model.items, recommender.model.users, recommender.popularity)
    )
    lists = recommender.recommend(users, k, exclude=exclude)
    baseline = popular.recommend(users, k, exclude=exclude)
    return {
        "cutoff": cutoff,
        "window_end": window_end,
        "complete": bool(through >= window_end),
        "users": len(users),
        "hit_rate": float(hits(lists, truth).mean()) if users else math.nan,
        "popularity_hit_rate": float(hits(baseline, truth).mean()) if users else math.nan,
        "lists": lists[[schema.COL_USER, "rank", schema.COL_ITEM]],
    }


def hit_rates(con: duckdb.DuckDBPyConnection, **options: int) -> pd.DataFrame:
    """Every saved run's realised hit rate (:func:`run_hit_rate`, with its ``options``), oldest run first.

    Returns
    -------
    DataFrame
        ``run_id``, ``name``, ``model``, ``mode`` ('discovery' or 'repeat'), ``cutoff``, ``window_end``
        (timestamps; NaT when not evaluated), ``complete`` (bool), ``users`` (int), ``hit_rate``,
        ``popularity_hit_rate`` and ``margin`` (the difference; floats, NaN when not evaluated) and ``note`` (why a
        run was not evaluated; None when it was).
    """
    rows = []
    for run in warehouse.query(con, "monitoring_run_models").itertuples():
        row = {"run_id": int(run.run_id), "name": run.name, "model": run.model, "mode": run_mode(run.split)}
        try:
            result = run_hit_rate(con, int(run.run_id), **options)
        except DataError as error:
            rows.append(row | {"complete": False, "users": 0, "note": str(error)})
            continue
        result.pop("lists")
        margin = result["hit_rate"] - result["popularity_hit_rate"]
        rows.append(row | result | {"margin": margin, "note": None})
    table = pd.DataFrame(rows, columns=list(HIT_RATE_COLUMNS))
    table["note"] = table["note"].astype(object).where(table["note"].notna(), None)
    return table.astype(
        {"complete": bool, "users": "int64", "hit_rate": float, "popularity_hit_rate": float, "margin": float}
    )


def best_margin(table: pd.DataFrame) -> float | None:
    """The hit rate minus popularity's of the best run (highest hit rate) with a complete window and customers,
    popularity's own runs left out; None when there is none."""
    eligible = table[table["complete"] & (table["users"] > 0) & (table["model"] != BASELINE_MODEL)]
    if eligible.empty:
        return None
    return float(eligible.sort_values(["hit_rate", "run_id"], ascending=False)["margin"].iloc[0])


def recommendations(con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float]) -> monitoring.Section:
    """The Recommendations section: :func:`hit_rates` as records (``runs``), the list length, window and cap,
    and the check ``recommendations.hit_rate_vs_popularity`` (:func:`best_margin` below the threshold)."""
    table = hit_rates(con)
    limit = thresholds.get("hit_rate_vs_popularity", DEFAULTS["hit_rate_vs_popularity"])
    numbers = {"k": LIST_LENGTH, "horizon_days": HORIZON_DAYS, "max_users": MAX_USERS, "runs": records(table)}
    margin = best_margin(table)
    checks = (monitoring.check("recommendations.hit_rate_vs_popularity", margin, limit, HIT_RATE_WORRY, above=False),)
    return monitoring.Section("recommendations", "Recommendations", numbers, checks)


# --- Campaigns -------------------------------------------------------------------------------------------------------


def campaign_arms(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every treated arm of every launched campaign that can be measured now (orders after its launch, a control
    group), in launch order, as :func:`retention.campaigns.measure` measures it.

    Returns
    -------
    DataFrame
        ``campaign_id``, ``name``, ``arm``, ``launched`` (the latest order at launch: the window starts after it),
        ``window_end``, ``complete`` (bool: the orders reach the window's last day), ``members`` (int),
        ``retention`` and ``control_retention`` (in [0, 1]), ``retention_diff`` with ``_low`` and ``_high`` (its
        95% interval; proportions), ``uplift`` (share of the control's churners kept), ``incremental_revenue``,
        ``cost`` and ``net_return`` (currency).
    """
    rows = []
    launched = list_campaigns(con)
    launched = launched[(launched["status"] != "draft") & launched["start_ts"].notna()]
    for campaign in launched.sort_values(["start_ts", "campaign_id"]).itertuples():
        try:
            measured = measure(con, int(campaign.campaign_id))
        except DataError:  # no order after its launch yet, or no control group
            continue
        control = measured.table.iloc[0]
        for arm in measured.table.iloc[1:].itertuples():
            rows.append(
                {
                    "campaign_id": int(campaign.campaign_id),
                    "name": campaign.name,
                    "arm": arm.arm,
                    "launched": measured.start_ts,
                    "window_end": measured.window_end,
                    "complete": measured.complete,
                    "members": arm.members,
                    "retention": arm.retention,
                    "control_retention": control["retention"],
                    **{column: getattr(arm, column) for column in CAMPAIGN_COLUMNS[9:]},
                }
            )
    return pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS)).astype({"complete": bool})


def cumulative(arms: pd.DataFrame) -> pd.DataFrame:
    """Incremental revenue, cost and net return of all campaigns together, campaign by campaign in launch order.

    Returns
    -------
    DataFrame
        ``campaign_id``, ``name``, ``launched``, then ``incremental_revenue``, ``cost`` and ``net_return``: sums
        over every campaign launched up to and including this one (currency; an arm without a cost counts 0).
    """
    totals = (
        arms.groupby(["launched", "campaign_id", "name"], sort=True)[list(CUMULATIVE_COLUMNS[3:])]
        .sum(min_count=0)
        .reset_index()
    )
    totals[list(CUMULATIVE_COLUMNS[3:])] = totals[list(CUMULATIVE_COLUMNS[3:])].cumsum()
    return totals[list(CUMULATIVE_COLUMNS)]


def campaigns(con: duckdb.DuckDBPyConnection, thresholds: Mapping[str, float]) -> monitoring.Section:
    """The Campaigns section: :func:`campaign_arms` (``arms``) and :func:`cumulative` (``cumulative``) as records,
    the totals (``total``) and the check ``campaigns.net_return`` (the cumulative net return below the
    threshold)."""
    arms = campaign_arms(con)
    running = cumulative(arms)
    total = running.iloc[-1][list(CUMULATIVE_COLUMNS[3:])].astype(float).to_dict() if not running.empty else {}
    limit = thresholds.get("net_return", DEFAULTS["net_return"])
    numbers = {"arms": records(arms), "cumulative": records(running), "total": _clean(total)}
    value = total.get("net_return")
    checks = (monitoring.check("campaigns.net_return", value, limit, NET_RETURN_WORRY, above=False),)
    return monitoring.Section("campaigns", "Campaigns", numbers, checks)


# --- JSON ------------------------------------------------------------------------------------------------------------


def _json_value(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _clean(mapping: Mapping[str, object]) -> dict:
    return {key: _json_value(value) for key, value in mapping.items()}


def records(table: pd.DataFrame) -> list[dict]:
    """``table``'s rows as JSON-safe dicts: timestamps as ISO text, NaN and NaT as None."""
    return [_clean(row) for row in table.astype(object).to_dict("records")]


def from_records(rows: list[dict], columns: tuple[str, ...], dates: tuple[str, ...]) -> pd.DataFrame:
    """A section's records back as a table with ``columns``, the ``dates`` columns as timestamps."""
    table = pd.DataFrame(rows, columns=list(columns))
    for column in dates:
        table[column] = pd.to_datetime(table[column])
    return table


monitoring.SECTIONS.add("recommendations", recommendations)
monitoring.SECTIONS.add("campaigns", campaigns)
