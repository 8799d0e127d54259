"""What the recommenders learn from: a feedback source, chosen per comparison.

Sources (:data:`SOURCES`), each one row per user and item:

* ``ratings``: explicit ratings (the latest per user and item), see :data:`RATINGS_RULE`;
* ``purchases``: implicit ratings from order lines, see :data:`PURCHASES_RULE`;
* ``views`` and ``carts``: implicit ratings from product views and add-to-carts (events of the types in
  :data:`retention.schema.VIEW_EVENTS` and :data:`~retention.schema.CART_EVENTS`), see :func:`source_rule`;
* ``combined``: views, add-to-carts and purchases weighted (by default view 1, add-to-cart 3, purchase 5) into
  one count per user and item, scored like views.

The default source is the one with the most rows (ties: ratings, purchases, views, carts, in that order): on a
shop with a click stream that is usually views. Runs saved before views were a source say ``'implicit'`` for
purchases (:data:`LEGACY_KINDS`). Item codes that are not products (postage, fees: see
:mod:`retention.non_products`) are left out of every source, so no model trains on them, ranks them or counts
them as popular.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import non_products, schema, warehouse
from retention.errors import DataError

RATINGS = "ratings"
PURCHASES = "purchases"
VIEWS = "views"
CARTS = "carts"
COMBINED = "combined"
IMPLICIT = PURCHASES
"""The purchases source under its first name (implicit ratings were only ever purchases then)."""
LEGACY_KINDS = {"implicit": PURCHASES}
"""Source names that earlier versions saved in runs' split descriptions, and the source each one is now."""
SOURCES = (PURCHASES, VIEWS, CARTS, RATINGS, COMBINED)
PREFERENCE = (RATINGS, PURCHASES, VIEWS, CARTS)
"""The sources a default is chosen from, in the order that breaks a tie in rows."""
SOURCE_LABELS = {
    PURCHASES: "purchases",
    VIEWS: "product views",
    CARTS: "add-to-carts",
    RATINGS: "ratings",
    COMBINED: "views, add-to-carts and purchases, weighted",
}
WEIGHT_KEYS = ("view", "add_to_cart", "purchase")
"""What the combined source weighs: a view, an add-to-cart, an order that bought the item."""
DEFAULT_WEIGHTS = (("view", 1.0), ("add_to_cart", 3.0), ("purchase", 5.0))
SOURCE_WEIGHTS = {VIEWS: (("view", 1.0),), CARTS: (("add_to_cart", 1.0),)}
"""Views and carts are the combined rule with one interaction weighted 1."""
WEIGHED_SOURCES = {VIEWS: "view", CARTS: "add_to_cart", PURCHASES: "purchase"}
"""The source each weight key of the combined source counts."""

FEEDBACK_COLUMNS = (schema.COL_USER, schema.COL_ITEM, schema.COL_RATING, "first_ts", schema.COL_TS)
RECENT_DAYS = 90
IMPLICIT_SCALE = (1.0, 5.0)

PURCHASES_RULE = (
    "Each customer's purchases of an item become an implicit rating from 1 to 5: "
    "2 for one order, 3 for two, 4 for three or more; +1 when the last purchase was in the final "
    f"{RECENT_DAYS} days of the training window; -1 when some units were returned, -2 when at least half were "
    "(never below 1 or above 5)."
)
RATINGS_RULE = (
    "Ratings from the warehouse's ratings table; when a customer rated an item twice, the latest rating counts."
)
COUNT_RULE = "1 + log2(1 + {count}), at most 5"
WEIGHT_WORDS = {"view": "views", "add_to_cart": "add-to-carts", "purchase": "orders"}

Weights = tuple[tuple[str, float], ...]


def source_rule(kind: str, weights: Weights = ()) -> str:
    """How source ``kind`` (with the combined source's ``weights``) turns interactions into ratings, in words."""
    kind = canonical_kind(kind)
    if kind == RATINGS:
        return RATINGS_RULE
    if kind == PURCHASES:
        return PURCHASES_RULE
    if kind in SOURCE_WEIGHTS:
        what = SOURCE_LABELS[kind]
        return (
            f"Each customer's {what} of an item become an implicit rating from 1 to 5: "
            + COUNT_RULE.format(count=f"the number of {what}")
            + " (one: 2, three: 3, seven: 4, fifteen or more: 5)."
        )
    count = " + ".join(f"{weight:g} × {WEIGHT_WORDS[key]}" for key, weight in weights or DEFAULT_WEIGHTS)
    return (
        "Views, add-to-carts and purchases combine into an implicit rating from 1 to 5: a weighted count "
        f"s = {count} (each order that bought the item counts once), rated " + COUNT_RULE.format(count="s") + "."
    )


def canonical_kind(kind: str) -> str:
    """``kind`` under its current name (``'implicit'``, saved by earlier versions, is ``'purchases'``)."""
    return LEGACY_KINDS.get(kind, kind)


def source_label(kind: str | None) -> str:
    """A source's name for display ("product views"); runs saved before sources were recorded say "unknown"."""
    return "unknown" if kind is None else SOURCE_LABELS.get(canonical_kind(kind), kind)


def checked_weights(weights: Mapping[str, float] | Sequence[tuple[str, float]] | None) -> Weights:
    """The combined source's weights as ``(key, weight)`` pairs in :data:`WEIGHT_KEYS` order, zeros left out
    (None: :data:`DEFAULT_WEIGHTS`); a key not given weighs 0.

    Raises
    ------
    DataError
        A key not in :data:`WEIGHT_KEYS`, a weight that is negative or not finite, or no positive weight.
    """
    given = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(given) - set(WEIGHT_KEYS))
    if unknown:
        raise DataError(f"unknown feedback weight {unknown[0]!r}; weigh {', '.join(WEIGHT_KEYS)}")
    for key, weight in given.items():
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
            raise DataError(f"the weight of {key!r} must be a number of at least 0, got {weight!r}")
    checked = tuple((key, float(given[key])) for key in WEIGHT_KEYS if given.get(key, 0) > 0)
    if not checked:
        raise DataError(f"the combined feedback needs at least one positive weight among {', '.join(WEIGHT_KEYS)}")
    return checked


def checked_choice(
    kind: str | None, weights: Mapping[str, float] | Sequence[tuple[str, float]] | None = None
) -> tuple[str | None, Weights]:
    """``kind`` under its current name (None stays None: the default) and its weights (only the combined source
    has any: checked, defaults when None).

    Raises
    ------
    DataError
        An unknown source, weights for a source other than the combined one, or bad weights.
    """
    if kind is not None:
        kind = canonical_kind(kind)
        if kind not in SOURCES:
            raise DataError(f"unknown feedback source {kind!r}; use one of {', '.join(SOURCES)}")
    if kind == COMBINED:
        return kind, checked_weights(weights)
    if weights:
        raise DataError("feedback weights apply only to the combined source; choose 'combined' or drop the weights")
    return kind, ()


def described_choice(split: Mapping[str, object]) -> tuple[str | None, Weights]:
    """The feedback source and weights a split description records (a run's ``split``); None: not recorded."""
    kind = split.get("feedback")
    weights = split.get("weights") or {}
    return (None, ()) if kind is None else checked_choice(str(kind), dict(weights) or None)


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
        The source: one of :data:`SOURCES`.
    rating_scale
        ``(lowest, highest)`` rating.
    weights
        The combined source's ``(key, weight)`` pairs; empty for the others.
    """

    frame: pd.DataFrame
    kind: str
    rating_scale: tuple[float, float]
    weights: Weights = ()

    @property
    def rule(self) -> str:
        """How the ratings were obtained, in plain words."""
        return source_rule(self.kind, self.weights)

    def subset(self, mask) -> Feedback:
        """The feedback restricted to the rows where ``mask`` is true (same kind, scale and weights)."""
        return Feedback(self.frame.loc[mask].reset_index(drop=True), self.kind, self.rating_scale, self.weights)


@dataclass(frozen=True)
class Source:
    """A feedback source and what the warehouse offers.

    Attributes
    ----------
    kind
        The source chosen, or the default (see :func:`default_source`) when none was asked for.
    rows
        Its rows: rated items, purchase lines, view or add-to-cart events (the combined source: the rows of
        those it weighs).
    default_cutoff
        The timestamp before which ``1 - test_share`` of its events lie (None when they have no timestamps).
    counts
        Rows per source of :data:`PREFERENCE`, as ``(source, rows)`` pairs in that order.
    default
        The source with the most rows.
    weights
        The combined source's weights; empty for the others.
    """

    kind: str
    rows: int
    default_cutoff: pd.Timestamp | None
    counts: tuple[tuple[str, int], ...] = ()
    default: str = ""
    weights: Weights = ()


def source_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per source of :data:`PREFERENCE` (source -> rows), non-product codes left out."""
    row = warehouse.query(con, "recommend_source", {"kept_out": list(non_products.KEPT_OUT), **_event_types()}).iloc[0]
    return {
        RATINGS: int(row["rating_rows"]),
        PURCHASES: int(row["purchase_rows"]),
        VIEWS: int(row["view_rows"]),
        CARTS: int(row["cart_rows"]),
    }


def default_source(counts: Mapping[str, int]) -> str:
    """The source with the most rows in ``counts`` (ties broken in :data:`PREFERENCE` order).

    Raises
    ------
    DataError
        Every source is empty.
    """
    best = max(PREFERENCE, key=lambda kind: (counts.get(kind, 0), -PREFERENCE.index(kind)))
    if counts.get(best, 0) == 0:
        raise DataError(
            "recommenders need feedback: the warehouse has no ratings and no purchases with an item id, nor views "
            "or add-to-carts of one; import orders with an item_id column (or a ratings table, or events with an "
            "item_id) on the Data page"
        )
    return best


def feedback_source(
    con: duckdb.DuckDBPyConnection,
    test_share: float = 0.2,
    kind: str | None = None,
    weights: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
) -> Source:
    """Source ``kind`` (by default the one with the most rows), every source's rows, and the default time-split
    cutoff for ``test_share`` (see :class:`Source`).

    Raises
    ------
    DataError
        No source has rows, the source chosen has none, an unknown source or bad weights.
    """
    if not 0 < test_share < 1:
        raise DataError(f"test share must be between 0 and 1 (exclusive), got {test_share}")
    kind, weights = checked_choice(kind, weights)
    counts = source_rows(con)
    default = default_source(counts)
    kind = kind or default
    parts = {source for source, key in WEIGHED_SOURCES.items() if key in dict(weights)} if kind == COMBINED else {kind}
    rows = sum(counts[source] for source in parts)
    if rows == 0:
        offered = ", ".join(f"{source_label(source)} {counts[source]:,}" for source in PREFERENCE)
        raise DataError(
            f"the warehouse has no {source_label(kind)} with an item id to learn from; choose another feedback "
            f"source (rows: {offered})"
        )
    params = {
        "kept_out": list(non_products.KEPT_OUT),
        "test_share": test_share,
        "ratings": RATINGS in parts,
        "purchases": PURCHASES in parts,
        "event_types": list((VIEWS in parts) * schema.VIEW_EVENTS + (CARTS in parts) * schema.CART_EVENTS),
    }
    cutoff = warehouse.query(con, "recommend_source_cutoff", params)["cutoff"].iloc[0]
    return Source(
        kind,
        rows,
        None if pd.isna(cutoff) else pd.Timestamp(cutoff),
        tuple((source, counts[source]) for source in PREFERENCE),
        default,
        weights,
    )


def _event_types() -> dict[str, list[str]]:
    """The event types counted as views and as add-to-carts, as the queries bind them."""
    return {"view_events": list(schema.VIEW_EVENTS), "cart_events": list(schema.CART_EVENTS)}


def load_feedback(
    con: duckdb.DuckDBPyConnection,
    end: pd.Timestamp | None = None,
    kind: str | None = None,
    weights: Mapping[str, float] | Sequence[tuple[str, float]] | None = None,
) -> Feedback:
    """Feedback of source ``kind`` from interactions before ``end`` (all of them when ``end`` is None),
    non-product codes left out.

    ``kind`` None: the source with the most rows (see :func:`default_source`). ``weights``: the combined
    source's (see :func:`checked_weights`). Implicit ratings follow :func:`source_rule`; the purchases' recency
    window ends at the last purchase before ``end``.

    Returns
    -------
    Feedback
        ``frame`` sorted by user and item; may be empty when ``end`` precedes
        every interaction.

    Raises
    ------
    DataError
        An unknown source or bad weights; no source has rows (when ``kind`` is None).
    """
    kind, weights = checked_choice(kind, weights)
    kind = kind or default_source(source_rows(con))
    params = {
        "end": None if end is None else pd.Timestamp(end).to_pydatetime(),
        "kept_out": list(non_products.KEPT_OUT),
    }
    if kind == RATINGS:
        frame = warehouse.query(con, "recommend_ratings", params)
        low, high = (float(frame["rating"].min()), float(frame["rating"].max())) if len(frame) else (1.0, 5.0)
        scale = (low, high) if high > low else (low, low + 1.0)
    elif kind == PURCHASES:
        frame = warehouse.query(con, "recommend_implicit", {**params, "recent_days": RECENT_DAYS})
        scale = IMPLICIT_SCALE
    else:
        weighed = dict(SOURCE_WEIGHTS.get(kind, weights))
        params |= {f"{key}_weight": weighed.get(key, 0.0) for key in WEIGHT_KEYS}
        frame = warehouse.query(con, "recommend_events", {**params, **_event_types()})
        scale = IMPLICIT_SCALE
    # Timestamps in microseconds, as DuckDB gives them, whichever engine read them (Spark's pandas are nanoseconds).
    stamps = dict.fromkeys(("first_ts", schema.COL_TS), "datetime64[us]")
    frame = frame.astype({schema.COL_USER: "string", schema.COL_ITEM: "string", schema.COL_RATING: "float64", **stamps})
    return Feedback(frame[list(FEEDBACK_COLUMNS)], kind, scale, weights)


def products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Product text: ``item_id``, ``title``, ``category``, ``brand``, ``description`` (str, may be missing: NaN)."""
    frame = warehouse.query(con, "recommend_products")
    return frame.astype(dict.fromkeys(frame.columns, "str"))  # a column of NULLs too, whichever engine read it


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
