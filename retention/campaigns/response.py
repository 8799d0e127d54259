"""Synthetic post-launch orders for a launched campaign (``sample --simulate-campaign``).

Each member's base behaviour is the churn score it was launched with: a
control member with risk ``p`` places at least one order in the window with
probability ``1 - p``. A member of arm ``a`` with true uplift ``u_a`` does so
with probability ``1 - p (1 - u_a)``: the arm keeps the share ``u_a`` of
would-be churners, the same definition the simulation and the measurement use.
A retained member places 1 + Poisson(0.3) orders of one line each, at random
times in the window, worth their pre-launch average order value times a
log-normal factor (median 1, sd 0.3 on the log scale) at the arm's discount.

The orders are loaded through :func:`retention.ingest.import_file` (one
transaction, logged as an import batch, rollups refreshed). The generator is
deterministic for a seed, so a second run of the same response is refused as
an already imported file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention import ingest, schema, warehouse
from retention.campaigns.config import CONTROL
from retention.campaigns.launch import campaign_config, get_campaign
from retention.errors import DataError

EXTRA_ORDERS_RATE = 0.3
VALUE_SIGMA = 0.3
FALLBACK_VALUE = 20.0


def parse_true_uplift(text: str) -> dict[str, float]:
    """``"ARM=0.05,OTHER=0.1"`` -> ``{"ARM": 0.05, "OTHER": 0.1}``."""
    uplifts: dict[str, float] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise DataError(f"--true-uplift expects ARM=NUMBER pairs separated by commas, got {part!r}")
        try:
            uplifts[name.strip()] = float(value)
        except ValueError:
            raise DataError(f"--true-uplift value for arm {name.strip()!r} is not a number: {value!r}") from None
    if not uplifts:
        raise DataError("--true-uplift names no arm; give e.g. discount=0.05")
    return uplifts


def response_orders(
    members: pd.DataFrame,
    true_uplift: Mapping[str, float],
    *,
    campaign_id: int,
    start_ts: pd.Timestamp,
    horizon_days: int,
    items: pd.DataFrame,
    discounts: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Orders placed in the window by the members who stay.

    ``members`` needs ``user_id``, ``arm``, ``risk`` and ``expected_value``;
    ``items`` needs ``item_id``. Arms not in ``true_uplift`` (and the control)
    respond with uplift 0. Returns canonical order columns, one line per order.
    """
    rng = np.random.default_rng(seed)
    arm = members["arm"].astype("string")
    uplift = arm.map(dict(true_uplift)).astype("Float64").fillna(0.0).to_numpy(dtype=float)
    uplift[(arm == CONTROL).to_numpy()] = 0.0
    risk = members["risk"].to_numpy(dtype=float)
    stays = rng.random(len(members)) < 1.0 - risk * (1.0 - uplift)
    counts = np.where(stays, 1 + rng.poisson(EXTRA_ORDERS_RATE, size=len(members)), 0)
    who = np.repeat(np.arange(len(members)), counts)
    value = members["expected_value"].to_numpy(dtype=float)
    value = np.where(value > 0, value, FALLBACK_VALUE)[who] * rng.lognormal(0.0, VALUE_SIGMA, size=len(who))
    seconds = rng.integers(1, horizon_days * 86_400 + 1, size=len(who))
    item_ids = items["item_id"].to_numpy(dtype=object)
    if len(item_ids) == 0:
        raise DataError("the warehouse has no products to put in the simulated orders")
    discount = arm.map(dict(discounts or {})).astype("Float64").fillna(0.0).to_numpy(dtype=float)[who]
    numbers = pd.Series(np.arange(1, len(who) + 1)).astype(str).str.zfill(7)
    return pd.DataFrame(
        {
            "order_id": (f"CMP{int(campaign_id)}-" + numbers).astype("string"),
            "user_id": members["user_id"].astype("string").to_numpy()[who],
            "item_id": item_ids[rng.integers(0, len(item_ids), size=len(who))],
            "ts": pd.Timestamp(start_ts) + pd.to_timedelta(seconds, unit="s"),
            "quantity": 1.0,
            "unit_price": np.round(value, 2),
            "discount": discount,
        }
    )


def simulate_response(
    con: duckdb.DuckDBPyConnection, campaign_id: int, true_uplift: Mapping[str, float], *, seed: int = 0
) -> ingest.ImportResult:
    """Append the synthetic response of a launched campaign to the orders table (one import batch).

    Raises
    ------
    DataError
        Unknown campaign, a draft, an arm name that is not the campaign's, an
        uplift outside [0, 1], or the same response already imported.
    """
    campaign = get_campaign(con, campaign_id)
    if campaign["status"] == "draft":
        raise DataError(f"campaign {campaign_id} is a draft: launch it before simulating its response")
    config = campaign_config(con, campaign_id)
    unknown = sorted(set(true_uplift) - set(config.arm_names))
    if unknown:
        raise DataError(f"campaign {campaign_id} has no arm(s) {unknown}; its arms are {config.arm_names}")
    for name, value in true_uplift.items():
        if not 0.0 <= value <= 1.0:
            raise DataError(f"true uplift of arm {name!r} must be in [0, 1] (share of churners kept), got {value}")
    members = warehouse.query(con, "campaign_members", {"campaign_id": int(campaign_id)})
    items = warehouse.query(con, "campaign_response_items")
    orders = response_orders(
        members,
        true_uplift,
        campaign_id=int(campaign_id),
        start_ts=pd.Timestamp(campaign["start_ts"]),
        horizon_days=int(campaign["horizon_days"]),
        items=items,
        discounts={arm.name: arm.discount_share for arm in config.arms},
        seed=seed,
    )
    if orders.empty:
        raise DataError(f"campaign {campaign_id}: nobody stayed in the simulated response, so there is nothing to load")
    label = ",".join(f"{name}={value:g}" for name, value in sorted(true_uplift.items()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"campaign_{int(campaign_id)}_response.parquet"
        orders.to_parquet(path, index=False)
        return ingest.import_file(
            con,
            schema.ORDERS,
            path,
            source_name=f"simulated response to campaign {int(campaign_id)} ({label}, seed {seed})",
        )
