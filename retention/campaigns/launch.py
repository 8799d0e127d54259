"""Launching a campaign: one transaction writes it with its arms and members (exports: :mod:`retention.campaigns.exports`).

Idempotency: every launch carries a key (by default a digest of the
configuration and of the scores it targets). A launch whose key is already
stored returns the stored campaign instead of writing a second one, so a
double submit or a re-run creates one campaign. Two launches at the same moment (two
sessions of the app) are both written as they come; the one that commits second is refused by DuckDB
and rerun (:func:`retention.warehouse.retrying`), and then finds and returns the campaign that won.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from retention import warehouse
from retention.campaigns import audience as audiences
from retention.campaigns import plan
from retention.campaigns.config import CONTROL, CampaignConfig, config_to_json, parse_config
from retention.campaigns.items import item_lists, recommendation_mode
from retention.campaigns.offers import offer_codes
from retention.errors import DataError
from retention.serve.publish import republish_if_serving

MEMBER_COLUMNS = [
    "user_id",
    "arm",
    "risk",
    "risk_decile",
    "assignment",
    "expected_value",
    "reasons",
    "offer_code",
    "recommended_items",
    "recommendation_mode",
]
ITEMS_STORED = 10  # recommended items stored per member at launch; an export lists its first k
OVERLAP_FIELDS = ("overlap_allowed", "excluded_open", "open_overlap")
STATUSES = ("draft", "launched", "measured", "closed")
# status -> statuses it may move to
TRANSITIONS = {
    "draft": {"launched", "closed"},
    "launched": {"measured", "closed"},
    "measured": {"measured", "closed"},
    "closed": set(),
}


@dataclass(frozen=True)
class LaunchResult:
    """campaign_id; created: False when the idempotency key named an existing campaign; arm_counts: see
    :func:`retention.campaigns.plan.arm_counts` (empty for a returned draft); excluded_open: customers of the
    audience left out because a campaign still being measured holds them; open_overlap: members who are also
    members of such a campaign (only with ``allow_overlap``); both as stored for a returned campaign;
    overlap_note: :func:`retention.campaigns.audience.describe_overlap` at launch ("" for a returned one)."""

    campaign_id: int
    created: bool
    idempotency_key: str
    arm_counts: pd.DataFrame
    excluded_open: int = 0
    open_overlap: int = 0
    overlap_note: str = ""


def default_key(config: CampaignConfig, scores_as_of: object, model_version: object = None) -> str:
    """Digest of the configuration and the scoring run: the same campaign on the same scores gets the same key."""
    text = config_to_json(config) + "|" + str(scores_as_of) + "|" + str(model_version)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def get_campaign(con: duckdb.DuckDBPyConnection, campaign_id: int) -> pd.Series:
    """The campaign row (see ``campaign_get.sql``); DataError when the id is unknown."""
    frame = warehouse.query(con, "campaign_get", {"campaign_id": int(campaign_id)})
    if frame.empty:
        known = list(warehouse.query(con, "campaign_ids")["ids"].iloc[0])
        raise DataError(f"no campaign with id {campaign_id}; known ids: {known or 'none yet'}")
    return frame.iloc[0]


def campaign_config(con: duckdb.DuckDBPyConnection, campaign_id: int) -> CampaignConfig:
    """The stored configuration of a campaign."""
    return parse_config(json.loads(get_campaign(con, campaign_id)["config"]))


def list_campaigns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every campaign, newest first.

    Returns columns ``campaign_id``, ``name``, ``status`` (draft / launched /
    measured / closed), ``wave``, ``parent_id``, ``horizon_days``,
    ``scores_as_of``, ``start_ts`` (latest order at launch), ``window_end``,
    ``created_at``, ``launched_at``, ``members``, ``contacted`` and ``holdout`` (ints).
    """
    return warehouse.query(con, "campaign_list")


def _existing(con: duckdb.DuckDBPyConnection, key: str) -> int | None:
    found = warehouse.query(con, "campaign_by_key", {"idempotency_key": key})
    return None if found.empty else int(found["campaign_id"].iloc[0])


def _arms_frame(config: CampaignConfig) -> pd.DataFrame:
    shares = config.shares()
    rows = [
        {
            "arm": CONTROL,
            "template": None,
            "share": shares[CONTROL],
            "cost_per_contact": 0.0,
            "discount_share": 0.0,
            "uplift_low": None,
            "uplift_likely": None,
            "uplift_high": None,
            "recommender_run": None,
            "channel": None,
        }
    ]
    rows += [
        {
            "arm": arm.name,
            "template": arm.template,
            "share": shares[arm.name],
            "cost_per_contact": arm.cost_per_contact,
            "discount_share": arm.discount_share,
            "uplift_low": arm.uplift.low,
            "uplift_likely": arm.uplift.likely,
            "uplift_high": arm.uplift.high,
            "recommender_run": arm.recommender_run,
            "channel": arm.channel,
        }
        for arm in config.arms
    ]
    frame = pd.DataFrame(rows)
    return frame.astype(
        {
            "template": "string",
            "channel": "string",
            "uplift_low": float,
            "uplift_likely": float,
            "uplift_high": float,
            "recommender_run": "Int64",
        }
    )


def _next_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(warehouse.query(con, "campaign_next_id")["campaign_id"].iloc[0])


def _launch_params(campaign_id: int, config: CampaignConfig, **launch: object) -> dict[str, object]:
    """Bound parameters of ``campaign_insert`` / ``campaign_mark_launched``; a draft leaves the launch fields None."""
    fields = ("idempotency_key", "scores_as_of", "scores_model_version", "start_ts", "exclusions") + OVERLAP_FIELDS
    return {"campaign_id": campaign_id, "config": config_to_json(config)} | {name: launch.get(name) for name in fields}


def _insert_campaign(
    con: duckdb.DuckDBPyConnection, params: dict[str, object], config: CampaignConfig, status: str
) -> None:
    extra = {"name": config.name, "status": status, "parent_id": config.parent_id, "wave": config.wave}
    warehouse.execute(con, "campaign_insert", params | extra | {"horizon_days": config.horizon_days})


def save_draft(con: duckdb.DuckDBPyConnection, config: CampaignConfig) -> int:
    """Store ``config`` as a draft campaign (no members) and return its id."""
    with warehouse.transaction(con):
        campaign_id = _next_id(con)
        _insert_campaign(con, _launch_params(campaign_id, config), config, "draft")
    return campaign_id


@warehouse.retrying("the launch")
def launch(
    con: duckdb.DuckDBPyConnection,
    config: CampaignConfig,
    *,
    idempotency_key: str | None = None,
    draft_id: int | None = None,
) -> LaunchResult:
    """Launch ``config`` (or the draft ``draft_id`` with this config): one transaction writes everything.

    Members are the audience after targeting, assigned to arms by
    :func:`retention.campaigns.assign.assign_arms` salted with the campaign id.
    The measurement window starts after the latest order in the warehouse. How many customers each exclusion
    removed (:func:`retention.campaigns.audience.exclusion_counts`) is stored with the campaign as JSON
    (``campaigns.exclusions``: exclusion -> customers). Where a serving snapshot exists, it is republished with
    the new members (:func:`retention.serve.publish.republish_if_serving`).

    Raises
    ------
    DataError
        No scores, an empty audience, a budget below one member's cost, no
        orders in the warehouse, or ``draft_id`` is not a draft. Nothing is
        written then.
    """
    if idempotency_key is not None and (existing := _existing(con, idempotency_key)) is not None:
        return _returned(con, existing, idempotency_key)
    # The key comes from whom the filters match, open campaigns' members included: a re-run of a launch finds
    # it even though the campaign it launched now holds its whole audience.
    matched = audiences.select_audience(con, replace(config.audience, allow_overlap=True))
    key = idempotency_key
    if key is None and not matched.empty:
        key = default_key(config, matched["scores_as_of"].iloc[0], matched["model_version"].iloc[0])
        if (existing := _existing(con, key)) is not None:
            return _returned(con, existing, key)
    _check_recommender_runs(con, config)
    if draft_id is not None and get_campaign(con, draft_id)["status"] != "draft":
        raise DataError(f"campaign {draft_id} is not a draft; only drafts can be launched")
    allowed = config.audience.allow_overlap
    frame = matched if allowed else audiences.select_audience(con, config.audience)
    overlap = audiences.open_overlap(con, config.audience)
    if frame.empty and not overlap.empty and not allowed:
        raise DataError(
            f"the audience is empty: {audiences.describe_overlap(overlap)}; they are left out so as not to spoil "
            "those measurements (allow the overlap to take them anyway)"
        )
    frame = audiences.require_members(frame, config.audience)
    exclusions = json.dumps(audiences.exclusions_removed(audiences.exclusion_counts(con, config.audience)))
    scores_as_of = frame["scores_as_of"].iloc[0]
    model_version = frame["model_version"].iloc[0]
    start_ts = warehouse.data_range(con)[1]
    if start_ts is None:
        raise DataError("the warehouse holds no orders: a campaign's window starts after the latest order")
    items = _items_at_launch(con, config, frame["user_id"])
    try:
        with warehouse.transaction(con):
            campaign_id = draft_id or _next_id(con)
            members = plan.plan_members(frame, config, salt=str(campaign_id))
            counts = {
                "overlap_allowed": allowed,
                "excluded_open": 0 if allowed else overlap["user_id"].nunique(),
                "open_overlap": int(members["user_id"].isin(overlap["user_id"]).sum()) if allowed else 0,
            }
            params = _launch_params(
                campaign_id,
                config,
                idempotency_key=key,
                scores_as_of=scores_as_of,
                scores_model_version=model_version,
                start_ts=start_ts,
                exclusions=exclusions,
                **counts,
            )
            if draft_id is None:
                _insert_campaign(con, params, config, "launched")
            else:
                warehouse.execute(con, "campaign_mark_launched", params)
            _insert_frame(con, "campaign_arms_new", _arms_frame(config), "campaign_insert_arms", campaign_id)
            members = _with_contact_fields(members, config, items)
            _insert_frame(con, "campaign_members_new", members[MEMBER_COLUMNS], "campaign_insert_members", campaign_id)
    except duckdb.ConstraintException:
        existing = _existing(con, key)
        if existing is None:
            raise
        return _returned(con, existing, key)
    republish_if_serving(con)
    return LaunchResult(
        campaign_id,
        True,
        key,
        plan.arm_counts(members, config),
        counts["excluded_open"],
        counts["open_overlap"],
        audiences.describe_overlap(overlap),
    )


def _items_at_launch(con: duckdb.DuckDBPyConnection, config: CampaignConfig, user_ids: pd.Series) -> pd.DataFrame:
    """Per recommender run the arms name, every audience customer's recommended items and mode, computed once at
    launch (outside the write transaction: it refits the run's model) and stored with the members, so every
    download of the campaign's files lists the same items. Columns ``run`` (int), ``user_id``,
    ``recommended_items`` (list of "title (item_id)", best first, at most :data:`ITEMS_STORED`),
    ``recommendation_mode`` (see :func:`arm_exports`)."""
    frames = []
    for run_id in sorted({arm.recommender_run for arm in config.arms if arm.recommender_run is not None}):
        items = item_lists(con, run_id, user_ids.reset_index(drop=True), k=ITEMS_STORED)
        frames.append(
            pd.DataFrame(
                {
                    "run": run_id,
                    "user_id": user_ids.astype("string").to_numpy(),
                    "recommended_items": items.to_numpy(),
                    "recommendation_mode": recommendation_mode(con, run_id, items.map("; ".join)).to_numpy(),
                }
            )
        )
    columns = ["run", "user_id", "recommended_items", "recommendation_mode"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _with_contact_fields(members: pd.DataFrame, config: CampaignConfig, items: pd.DataFrame) -> pd.DataFrame:
    """``members`` with ``offer_code`` (:func:`retention.campaigns.offers.offer_codes`) and the recommended items of
    their arm's run (``recommended_items``: a list, empty for arms without a run; ``recommendation_mode``: ""
    there; both missing for the control)."""
    run_of_arm = {arm.name: arm.recommender_run for arm in config.arms}
    table = members.assign(
        offer_code=offer_codes(members, config),
        run=members["arm"].map(run_of_arm).astype("Int64"),
        user_id=members["user_id"].astype("string"),
    )
    table = table.merge(items.astype({"run": "Int64"}), on=["run", "user_id"], how="left")
    untreated = table["arm"] == CONTROL
    missing = table["recommended_items"].isna() & ~untreated
    table["recommended_items"] = table["recommended_items"].astype(object)
    table.loc[missing, "recommended_items"] = pd.Series([[] for _ in range(int(missing.sum()))], dtype=object).values
    table["recommendation_mode"] = table["recommendation_mode"].astype("string").mask(missing, "")
    return table.drop(columns="run")


def _returned(con: duckdb.DuckDBPyConnection, campaign_id: int, key: str) -> LaunchResult:
    """The result of a launch whose idempotency key names the stored campaign ``campaign_id``."""
    stored = get_campaign(con, campaign_id)
    overlap = [0 if pd.isna(stored[name]) else int(stored[name]) for name in ("excluded_open", "open_overlap")]
    return LaunchResult(campaign_id, False, key, launched_arm_counts(con, campaign_id), *overlap)


def _check_recommender_runs(con: duckdb.DuckDBPyConnection, config: CampaignConfig) -> None:
    """DataError when an arm names a recommender run that is not saved."""
    runs = [arm.recommender_run for arm in config.arms if arm.recommender_run is not None]
    if runs:
        from retention.recommend import get_run

        for run_id in runs:
            get_run(con, run_id)


def _insert_frame(con: duckdb.DuckDBPyConnection, view: str, frame: pd.DataFrame, sql: str, campaign_id: int) -> None:
    con.register(view, frame)
    try:
        warehouse.execute(con, sql, {"campaign_id": campaign_id})
    finally:
        con.unregister(view)


def launched_arm_counts(con: duckdb.DuckDBPyConnection, campaign_id: int) -> pd.DataFrame:
    """Members per arm of a stored campaign: columns ``arm``, ``label``, ``members`` (int), ``share`` (planned)."""
    config = campaign_config(con, campaign_id)
    members = warehouse.query(con, "campaign_members", {"campaign_id": int(campaign_id)})
    return plan.arm_counts(members, config)


def set_status(con: duckdb.DuckDBPyConnection, campaign_id: int, status: str) -> None:
    """Move a campaign to ``status`` (draft -> launched -> measured -> closed; a draft may be closed)."""
    if status not in STATUSES:
        raise DataError(f"unknown campaign status {status!r}; known: {list(STATUSES)}")
    current = get_campaign(con, campaign_id)["status"]
    if status not in TRANSITIONS[current]:
        raise DataError(f"campaign {campaign_id} is {current}; it cannot become {status}")
    warehouse.execute(con, "campaign_set_status", {"campaign_id": int(campaign_id), "status": status})


def close(con: duckdb.DuckDBPyConnection, campaign_id: int) -> None:
    """Close a campaign: it stays listed with its results but is no longer measured or extended."""
    set_status(con, campaign_id, "closed")
