"""What the recommenders learn from: explicit ratings, or implicit ratings derived from purchases.

When the ``ratings`` table holds rows with an item id, those are the feedback
(the latest rating per user and item). Otherwise every user and item with a
purchase becomes an implicit rating on a 1-5 scale (see :data:`IMPLICIT_RULE`).
Item codes that are not products (postage, fees: see :mod:`retention.non_products`)
are left out of both, so no model trains on them, ranks them or counts them as
popular.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import non_products, schema, warehouse
from retention.errors import DataError

RATINGS = "ratings"
IMPLICIT = "implicit"
FEEDBACK_COLUMNS = (schema.COL_USER, schema.COL_ITEM, schema.COL_RATING, "first_ts", schema.COL_TS)
RECENT_DAYS = 90
IMPLICIT_SCALE = (1.0, 5.0)

IMPLICIT_RULE = (
    "No ratings in the warehouse, so each customer's purchases of an item become an implicit rating from 1 to 5: "
    "2 for one order, 3 for two, 4 for three or more; +1 when the last purchase was in the final "
    f"{RECENT_DAYS} days of the training window; -1 when some units were returned, -2 when at least half were "
    "(never below 1 or above 5)."
)
RATINGS_RULE = (
    "Ratings from the warehouse's ratings table; when a customer rated an item twice, the latest rating counts."
)


@dataclass(frozen=True)
class Feedback:
    """User-item feedback the models are fitted on.

    Attributes
    ----------
    frame
        One row per user and item: ``user_id``, ``item_id`` (str), ``rating``
        (float within ``rating_scale``), ``first_ts`` and ``ts`` (first and
        last interaction, timestamps; NaT for ratings without a time).
    kind
        ``'ratings'`` (explicit) or ``'implicit'`` (derived from purchases).
    rating_scale
        ``(lowest, highest)`` rating.
    """

    frame: pd.DataFrame
    kind: str
    rating_scale: tuple[float, float]

    @property
    def rule(self) -> str:
        """How the ratings were obtained, in plain words."""
        return RATINGS_RULE if self.kind == RATINGS else IMPLICIT_RULE

    def subset(self, mask) -> Feedback:
        """The feedback restricted to the rows where ``mask`` is true (same kind and scale)."""
        return Feedback(self.frame.loc[mask].reset_index(drop=True), self.kind, self.rating_scale)


@dataclass(frozen=True)
class Source:
    """Which feedback the warehouse offers: ``kind`` and the default time-split cutoff for ``test_share``."""

    kind: str
    rows: int
    default_cutoff: pd.Timestamp | None


def feedback_source(con: duckdb.DuckDBPyConnection, test_share: float = 0.2) -> Source:
    """Pick explicit ratings when present, else purchases.

    ``default_cutoff`` is the timestamp before which ``1 - test_share`` of the
    feedback events lie (None when the events have no timestamps).

    Raises
    ------
    DataError
        Neither ratings nor purchases with item ids exist.
    """
    if not 0 < test_share < 1:
        raise DataError(f"test share must be between 0 and 1 (exclusive), got {test_share}")
    params = {"test_share": test_share, "kept_out": list(non_products.KEPT_OUT)}
    row = warehouse.query(con, "recommend_source", params).iloc[0]
    if row["rating_rows"] > 0:
        cutoff = row["ratings_cutoff"]
        return Source(RATINGS, int(row["rating_rows"]), None if pd.isna(cutoff) else pd.Timestamp(cutoff))
    if row["purchase_rows"] > 0:
        return Source(IMPLICIT, int(row["purchase_rows"]), pd.Timestamp(row["purchases_cutoff"]))
    raise DataError(
        "recommenders need feedback: the warehouse has no ratings and no purchases with an item id; "
        "import orders with an item_id column (or a ratings table) on the Data page"
    )


def load_feedback(
    con: duckdb.DuckDBPyConnection,
    end: pd.Timestamp | None = None,
    kind: str | None = None,
) -> Feedback:
    """Feedback from interactions before ``end`` (all of them when ``end`` is None), non-product codes left out.

    ``kind`` forces ``'ratings'`` or ``'implicit'``; by default explicit
    ratings are used when the warehouse has any. Implicit ratings follow
    :data:`IMPLICIT_RULE`, with the window ending at the last purchase before
    ``end``.

    Returns
    -------
    Feedback
        ``frame`` sorted by user and item; may be empty when ``end`` precedes
        every interaction.
    """
    kind = kind or feedback_source(con).kind
    params = {
        "end": None if end is None else pd.Timestamp(end).to_pydatetime(),
        "kept_out": list(non_products.KEPT_OUT),
    }
    if kind == RATINGS:
        frame = warehouse.query(con, "recommend_ratings", params)
        low, high = (float(frame["rating"].min()), float(frame["rating"].max())) if len(frame) else (1.0, 5.0)
        scale = (low, high) if high > low else (low, low + 1.0)
    elif kind == IMPLICIT:
        frame = warehouse.query(con, "recommend_implicit", {**params, "recent_days": RECENT_DAYS})
        scale = IMPLICIT_SCALE
    else:
        raise DataError(f"unknown feedback kind {kind!r}; use 'ratings' or 'implicit'")
    frame = frame.astype({schema.COL_USER: "string", schema.COL_ITEM: "string", schema.COL_RATING: "float64"})
    return Feedback(frame[list(FEEDBACK_COLUMNS)], kind, scale)


def products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Product text: ``item_id``, ``title``, ``category``, ``brand``, ``description`` (str, may be missing)."""
    return warehouse.query(con, "recommend_products")


def user_history(feedback: Feedback, items: pd.DataFrame, user_id: str) -> pd.DataFrame:
    """One user's feedback with product titles, newest first.

    Returns columns ``item_id``, ``title``, ``category``, ``rating`` (float)
    and ``ts`` (last interaction).
    """
    frame = feedback.frame
    rows = frame.loc[frame[schema.COL_USER] == user_id, [schema.COL_ITEM, schema.COL_RATING, schema.COL_TS]]
    titled = rows.merge(items[[schema.COL_ITEM, "title", "category"]], on=schema.COL_ITEM, how="left")
    return titled[[schema.COL_ITEM, "title", "category", schema.COL_RATING, schema.COL_TS]].sort_values(
        [schema.COL_TS, schema.COL_ITEM], ascending=[False, True], ignore_index=True
    )


def active_users(feedback: Feedback, limit: int = 500) -> pd.Series:
    """Users with the most feedback rows, most first (ties by id): ``user_id`` -> row count (int), at most ``limit``."""
    counts = feedback.frame[schema.COL_USER].value_counts()
    order = pd.DataFrame({"user_id": counts.index, "n": counts.to_numpy()}).sort_values(
        ["n", "user_id"], ascending=[False, True]
    )
    return order.set_index("user_id")["n"].head(limit)
