"""The churn features, each declared once: its column, kind, chart label, definition and reason phrase.

Every feature is one :class:`Feature` in :data:`FEATURE_REGISTRY`. The SQL of
``retention/sql/churn_features.sql`` computes one output column per feature (a
test checks the two name the same set); the model's feature lists
(:data:`NUMERIC_FEATURES`, :data:`CATEGORICAL_FEATURES`, :data:`FEATURES`), the
labels and plain-words reasons of :mod:`retention.explain`, and the list at the
end of this docstring are all read from the registry.

A feature value is measured at a snapshot date ``d`` from the data up to the end
of day ``d`` only. Numeric features are float64 (NaN where noted: the trees
route missing values); categorical ones are text, 'unknown' when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from retention import explain
from retention.registry import Registry

Kind = Literal["numeric", "categorical"]
KINDS: tuple[Kind, ...] = ("numeric", "categorical")


@dataclass(frozen=True)
class Feature:
    """One churn feature.

    name: its column in the feature frame (and in ``churn_features.sql``'s output);
    kind: 'numeric' (float64, NaN allowed) or 'categorical' (text, one-hot encoded);
    label: how charts name it; definition: one sentence with its unit and range;
    phrase: plain words for each value, vectorised (``pd.Series -> array of str``),
    e.g. 'No purchase for 74 days'.
    """

    name: str
    kind: Kind
    label: str
    definition: str
    phrase: explain.Phrase

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"feature {self.name!r} has kind {self.kind!r}, not one of {', '.join(KINDS)}")


FEATURE_REGISTRY: Registry[Feature] = Registry("churn feature")


def feature(name: str, kind: Kind, label: str, definition: str, phrase: explain.Phrase) -> Feature:
    """Declare a feature: add it to :data:`FEATURE_REGISTRY` (the SQL must compute a column ``name``)."""
    return FEATURE_REGISTRY.add(name, Feature(name, kind, label, definition, phrase))


def _recency(values: pd.Series) -> np.ndarray:
    return np.where(
        values.to_numpy() <= 0,
        "Bought on the as-of day",
        explain.joined("No purchase for ", explain.whole(values), " days"),
    )


def _returns(values: pd.Series) -> np.ndarray:
    return np.where(
        values.to_numpy() <= 0,
        "Never returned an item",
        explain.joined("Returned ", explain.percent(values), " of items"),
    )


def _as_text(values: pd.Series) -> np.ndarray:
    return values.astype("object").to_numpy()


_ONE_ORDER = "Only one order so far"
_NEVER_RATED = "Never rated a product"
_counted, _template, _unless_missing = explain.counted, explain.template, explain.unless_missing

feature(
    "recency_days",
    "numeric",
    "Days since last purchase",
    "Days from the day of the last purchase to the snapshot date, >= 0.",
    _recency,
)
feature(
    "frequency",
    "numeric",
    "Orders",
    "Purchase orders up to the snapshot (a return is not an order), >= 1.",
    _counted(" order", " orders", " in total"),
)
feature(
    "monetary",
    "numeric",
    "Net revenue",
    "Revenue of every order line up to the snapshot with returns subtracted, in the shop's currency (may be < 0).",
    _template("Spent ", explain.whole, " in total"),
)
feature(
    "revenue_365d",
    "numeric",
    "Net revenue, last 12 months",
    "Revenue of every order line in the 365 days up to the end of the snapshot date with returns and "
    "cancellations subtracted, in the shop's currency (may be < 0). The customer's value in the scores.",
    _template("Spent ", explain.whole, " in the last 12 months"),
)
feature(
    "tenure_days",
    "numeric",
    "Days since first purchase",
    "Days from the day of the first purchase to the snapshot date, >= 0.",
    _template("First purchase ", explain.whole, " days ago"),
)
feature(
    "avg_order_value",
    "numeric",
    "Average order value (net)",
    "Net revenue (returns and cancellations subtracted) per purchase order, in the shop's currency, >= 0 "
    "(0 when returns outweigh purchases): a bulk order cancelled later does not make a big average order.",
    _template("Average order of ", explain.whole),
)
feature(
    "mean_gap_days",
    "numeric",
    "Mean days between orders",
    "Days from the first to the last purchase over (orders - 1), >= 0; NaN after one order.",
    _unless_missing(_ONE_ORDER, _template("Orders every ", explain.whole, " days on average")),
)
feature(
    "last_gap_days",
    "numeric",
    "Days between the last two orders",
    "Days between the last two purchase orders, >= 0; NaN after one order.",
    _unless_missing(_ONE_ORDER, _template("", explain.whole, " days between the last two orders")),
)
feature(
    "orders_30d",
    "numeric",
    "Orders in the last 30 days",
    "Purchase orders in the 30 days up to the end of the snapshot date, >= 0.",
    _counted(" order", " orders", " in the last 30 days"),
)
feature(
    "orders_90d",
    "numeric",
    "Orders in the last 90 days",
    "Purchase orders in the 90 days up to the end of the snapshot date, >= 0.",
    _counted(" order", " orders", " in the last 90 days"),
)
feature(
    "orders_prior_90d",
    "numeric",
    "Orders 90 to 180 days ago",
    "Purchase orders from 180 to 90 days before the end of the snapshot date, >= 0.",
    _counted(" order", " orders", " 90 to 180 days ago"),
)
feature(
    "returns_share",
    "numeric",
    "Share of units returned",
    "Units returned over units bought, in [0, 1]; an item's returns count up to the units of it bought in the "
    "data (a return of a purchase made before the data starts is left out); non-product codes left out.",
    _returns,
)
feature(
    "rating_mean",
    "numeric",
    "Mean rating given",
    "Mean of the customer's timestamped ratings, in [1, 5]; NaN when they never rated.",
    _unless_missing(_NEVER_RATED, _template("Rates products ", explain.decimal, "/5 on average")),
)
feature(
    "rating_min",
    "numeric",
    "Lowest rating given",
    "Lowest of the customer's timestamped ratings, in [1, 5]; NaN when they never rated.",
    _unless_missing(_NEVER_RATED, _template("Lowest rating given: ", explain.whole, "/5")),
)
feature(
    "discount_share",
    "numeric",
    "Share of orders with a discount",
    "Share of purchase orders with a discounted line, in [0, 1].",
    _template("", explain.percent, " of orders at a discount"),
)
feature(
    "categories",
    "numeric",
    "Categories bought",
    "Distinct product categories among the items kept (bought and not all returned), non-product codes left out, >= 0.",
    _counted(" category", " categories", before="Bought from "),
)
feature(
    "products",
    "numeric",
    "Products bought",
    "Distinct item codes kept (bought and not all returned), non-product codes (postage, fees) left out, >= 0.",
    _counted(" product", " products", before="Bought "),
)
feature(
    "views_since_order",
    "numeric",
    "Product views since the last order",
    "Product-view events after the last purchase, up to the end of the snapshot date, >= 0.",
    _counted(" product view", " product views", " since the last order"),
)
feature(
    "carts_since_order",
    "numeric",
    "Add-to-carts since the last order",
    "Add-to-cart events after the last purchase, up to the end of the snapshot date, >= 0.",
    _counted(" add-to-cart", " add-to-carts", " since the last order"),
)
feature(
    "channel",
    "categorical",
    "Acquisition channel",
    "The channel the customer came through (users.channel), 'unknown' when missing.",
    _template("Came via ", _as_text),
)
feature(
    "country",
    "categorical",
    "Country",
    "The customer's country (users.country), 'unknown' when missing.",
    _template("Lives in ", _as_text),
)

NUMERIC_FEATURES: tuple[str, ...] = tuple(name for name, spec in FEATURE_REGISTRY.items() if spec.kind == "numeric")
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(
    name for name, spec in FEATURE_REGISTRY.items() if spec.kind == "categorical"
)
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES  # the encoder's order: numeric columns first


def feature_table() -> pd.DataFrame:
    """The registry as a table, in declaration order.

    Returns
    -------
    DataFrame
        One row per feature: ``feature`` (column name), ``kind`` ('numeric' or
        'categorical'), ``label`` and ``definition`` (text).
    """
    return pd.DataFrame(
        [(spec.name, spec.kind, spec.label, spec.definition) for spec in FEATURE_REGISTRY.values()],
        columns=["feature", "kind", "label", "definition"],
    )


def _docstring_list() -> str:
    lines = ["", "Features", "--------"]
    lines += [f"{spec.name} ({spec.kind}): {spec.label}. {spec.definition}" for spec in FEATURE_REGISTRY.values()]
    return "\n".join(lines) + "\n"


__doc__ = (__doc__ or "") + _docstring_list()
