"""Item codes that are not products: postage, fees, bank charges, discounts and manual adjustments.

A shop's order lines carry them beside the goods (Online Retail: ``POST``, ``DOT``, ``M``, ``D``,
``C2``, ``BANK CHARGES``, ``CRUK``...). Their revenue is real money and still counts, but they are not
something a customer chooses: recommending "POSTAGE" or counting it as a product bought misleads.

After each orders import, :func:`suggest` runs the :data:`DETECTORS` over the item codes of the new
lines and records the ones any detector flags in ``non_products`` with status ``'suggested'`` and the
reasons in words. The user then confirms or rejects each on the Data page (or with
``python -m retention non-products``); a code the user has decided on is never suggested again.

Which statuses are kept out (:data:`KEPT_OUT`): ``'confirmed'`` and ``'suggested'``, not
``'rejected'``. Keeping suggested codes out until the user decides means a new user's first
recommendations never show POSTAGE; the cost of a wrong suggestion is one product missing from
recommendations until it is rejected, which the Data page lists with its reason. Recommenders,
product counts and product features read this list; revenue numbers ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.registry import Registry

SUGGESTED, CONFIRMED, REJECTED = "suggested", "confirmed", "rejected"
STATUSES = (SUGGESTED, CONFIRMED, REJECTED)
KEPT_OUT = (SUGGESTED, CONFIRMED)
BY_HAND = "added by hand"

LIST_COLUMNS = ("item_id", "title", "reason", "lines", "revenue", "status", "updated_at")

# The shop's usual code shape is judged only when one shape covers at least this share of the codes, and
# this many of them: with fewer, "unusual" means little.
SHAPE_MIN_SHARE = 0.5
SHAPE_MIN_CODES = 10
# A price that varies "wildly": coefficient of variation above this over at least this many distinct prices.
# Goods in Online Retail have at most 12 distinct prices (quantity tiers), and some a coefficient above 1
# from tiers alone; POST, M and D have 71 to 184 prices and coefficients of 3 to 9.
PRICE_CV = 1.0
PRICE_MIN_DISTINCT = 15
# The last word of a description that names a charge rather than goods ("Next Day Carriage", "Bank
# Charges"), or its first ("Adjust bad debt"). The last word, because an English noun phrase ends with
# what the thing is: a "carriage clock" is a clock.
CHARGE_NOUNS = frozenset(
    {
        "postage",
        "carriage",
        "shipping",
        "fee",
        "fees",
        "charge",
        "charges",
        "discount",
        "discounts",
        "commission",
        "voucher",
        "vouchers",
        "sample",
        "samples",
        "manual",
        "adjustment",
        "adjustments",
    }
)
CHARGE_VERBS = frozenset({"adjust", "adjustment", "manual", "discount"})

_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Detector:
    """One rule: ``flags(items)`` marks the rows it suspects; ``reason`` is formatted with a flagged row's fields."""

    name: str
    reason: str
    flags: Callable[[pd.DataFrame], pd.Series]

    def reasons(self, items: pd.DataFrame) -> pd.Series:
        """The reason for each flagged row of ``items`` (a frame from :func:`prepare`), indexed like ``items``."""
        flagged = items.loc[self.flags(items).fillna(False).astype(bool)]
        return pd.Series([self.reason.format(**row) for row in flagged.to_dict("records")], index=flagged.index)


DETECTORS: Registry[Detector] = Registry("non-product detector")


def detector(name: str, reason: str) -> Callable[[Callable], Callable]:
    """Register the decorated ``flags(items) -> bool Series`` as a :class:`Detector` with its reason template."""
    return DETECTORS.register(name, make=lambda flags: Detector(name, reason, flags))


def code_shape(code: str) -> str:
    """A code's shape: each digit becomes ``9``, each run of letters ``A``, a trailing run of letters is dropped.

    ``85123A`` and ``22423`` have shape ``99999``; ``POST`` and ``M`` the empty shape; ``C2`` ``A9``.
    """
    shape = re.sub(r"[A-Za-z]+", "A", re.sub(r"[0-9]", "9", code))
    return shape[:-1] if shape.endswith("A") else shape


def shape_words(shape: str) -> str:
    """A shape in words: ``99999`` -> "5 digits, optionally followed by letters"."""
    parts = []
    for token in re.findall(r"9+|A|.", shape):
        if token.startswith("9"):
            parts.append(f"{len(token)} digit{'s' if len(token) > 1 else ''}")
        elif token == "A":
            parts.append("letters")
        else:
            parts.append(f"'{token}'")
    return f"{' then '.join(parts) or 'letters only'}, optionally followed by letters"


def shop_shape(codes: pd.Series) -> str | None:
    """The shape most item codes share, or None when no shape covers enough of them (see :data:`SHAPE_MIN_SHARE`)."""
    shapes = codes.dropna().astype(str).drop_duplicates().map(code_shape)
    if shapes.empty:
        return None
    counts = shapes.value_counts()
    top, n = counts.index[0], int(counts.iloc[0])
    return top if n >= SHAPE_MIN_CODES and n >= SHAPE_MIN_SHARE * len(shapes) else None


def prepare(items: pd.DataFrame) -> pd.DataFrame:
    """``items`` with what the detectors read: ``shape``, ``shop_shape`` (same on every row, None when unclear)
    and ``shop_shape_words``; missing optional columns get neutral values.

    ``items`` has one row per item code: ``item_id`` (str) and optionally ``title`` (str or missing),
    ``lines`` (int), ``distinct_prices`` (int), ``price_cv`` (float, standard deviation over the absolute
    mean of the unit price) and ``negative_price_lines`` (int).
    """
    frame = items.copy()
    defaults = {"title": None, "lines": 0, "distinct_prices": 1, "price_cv": 0.0, "negative_price_lines": 0}
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    frame["item_id"] = frame["item_id"].astype(str)
    frame["title"] = frame["title"].astype("object").where(frame["title"].notna(), "")
    frame["shape"] = frame["item_id"].map(code_shape)
    usual = shop_shape(frame["item_id"])
    frame["shop_shape"] = usual
    frame["shop_shape_words"] = shape_words(usual) if usual is not None else ""
    return frame


@detector("no_digits", "code '{item_id}' has no digits, unlike product codes")
def _no_digits(items: pd.DataFrame) -> pd.Series:
    return ~items["item_id"].str.contains(r"[0-9]", regex=True)


@detector("code_shape", "code '{item_id}' does not look like the shop's product codes ({shop_shape_words})")
def _code_shape(items: pd.DataFrame) -> pd.Series:
    has_digits = items["item_id"].str.contains(r"[0-9]", regex=True)
    return items["shop_shape"].notna() & has_digits & (items["shape"] != items["shop_shape"])


def names_a_charge(title: str) -> bool:
    """Whether a description names a charge rather than goods: its last word (amounts and numbers aside) is one
    of :data:`CHARGE_NOUNS` ("Next Day Carriage", "Gift Voucher £10.00"), or its first is one of
    :data:`CHARGE_VERBS` ("Adjust bad debt")."""
    words = [word.lower() for word in _WORD.findall(title or "")]
    return bool(words) and (words[-1] in CHARGE_NOUNS or words[0] in CHARGE_VERBS)


@detector("description", "description '{title}' reads like postage, a fee or an adjustment, not a product")
def _description(items: pd.DataFrame) -> pd.Series:
    return items["title"].map(names_a_charge).astype(bool)


@detector(
    "price_varies",
    "unit price varies wildly: {distinct_prices} different prices, coefficient of variation {price_cv:.1f}",
)
def _price_varies(items: pd.DataFrame) -> pd.Series:
    return (items["price_cv"] > PRICE_CV) & (items["distinct_prices"] >= PRICE_MIN_DISTINCT)


@detector("negative_price", "{negative_price_lines} line(s) with a negative unit price")
def _negative_price(items: pd.DataFrame) -> pd.Series:
    return items["negative_price_lines"] > 0


def detect(items: pd.DataFrame, detectors: Iterable[str] | None = None) -> pd.DataFrame:
    """The item codes any detector flags, with the reasons.

    Parameters
    ----------
    items
        One row per item code (see :func:`prepare` for the columns); the shop's usual code shape is
        judged on all of them.
    detectors
        Names of :data:`DETECTORS` to run (default: all).

    Returns
    -------
    DataFrame
        ``item_id`` (str) and ``reason`` (the flagging detectors' reasons joined by "; "), one row per
        flagged code, in the order of ``items``.
    """
    frame = prepare(items)
    names = list(DETECTORS) if detectors is None else [DETECTORS.check(name) for name in detectors]
    reasons = pd.DataFrame(index=frame.index, columns=names, dtype=object)
    for name in names:
        reasons[name] = DETECTORS[name].reasons(frame)
    joined = reasons.apply(lambda row: "; ".join(row.dropna()), axis=1).astype(str)
    flagged = joined != ""
    return pd.DataFrame({"item_id": frame.loc[flagged, "item_id"], "reason": joined[flagged]}).reset_index(drop=True)


def item_stats(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> pd.DataFrame:
    """Every item code of the order lines with what the detectors read, and ``in_batch`` (bool: the batch has
    lines of it; true everywhere when ``batch_id`` is None). Columns: ``item_id``, ``title``, ``lines``,
    ``revenue`` (net, quantity x unit price), ``distinct_prices``, ``price_cv``, ``negative_price_lines``,
    ``in_batch``."""
    return warehouse.query(con, "non_products_item_stats", {"batch_id": batch_id})


def _suggest(con: duckdb.DuckDBPyConnection, batch_id: int | None) -> int:
    stats = item_stats(con, batch_id)
    flagged = detect(stats)
    flagged = flagged[flagged["item_id"].isin(stats.loc[stats["in_batch"], "item_id"])]
    decided = set(warehouse.query(con, "non_products_statuses")["item_id"])
    new = flagged[~flagged["item_id"].isin(decided)]
    if not new.empty:
        warehouse.execute(
            con,
            "non_products_insert_suggested",
            {"item_ids": new["item_id"].tolist(), "reasons": new["reason"].tolist()},
        )
    return len(new)


def suggest(con: duckdb.DuckDBPyConnection, batch_id: int) -> int:
    """Suggest the likely non-product codes among the item codes of one import batch's order lines.

    Call it inside the import's transaction, after the lines (and any product titles) are loaded. A code
    that already has a status (suggested, confirmed or rejected) is left as it is. Returns how many codes
    were newly suggested.
    """
    return _suggest(con, int(batch_id))


def detect_all(con: duckdb.DuckDBPyConnection) -> int:
    """:func:`suggest` over every order line of the warehouse, in its own transaction (for warehouses imported
    before detection existed). Returns how many codes were newly suggested."""
    with warehouse.transaction(con):
        return _suggest(con, None)


def listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The codes with a status: ``item_id``, ``title`` (may be missing), ``reason``, ``lines`` (int),
    ``revenue`` (net, float), ``status`` and ``updated_at``; suggested first, then confirmed, then rejected."""
    return warehouse.query(con, "non_products_list")


def kept_out(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The item codes kept out of products (status in :data:`KEPT_OUT`)."""
    statuses = warehouse.query(con, "non_products_statuses")
    return set(statuses.loc[statuses["status"].isin(KEPT_OUT), "item_id"])


def save(con: duckdb.DuckDBPyConnection, statuses: Mapping[str, str]) -> int:
    """Set the status of each code (``item_id -> status``) in one transaction; codes not listed yet are
    added with the reason "added by hand". Returns how many codes were written.

    Raises
    ------
    DataError
        An unknown status, an empty code, or a code that is in no order line and no product (a typo).
    """
    cleaned = {str(code).strip(): status for code, status in statuses.items()}
    for code, status in cleaned.items():
        if not code:
            raise DataError("an item code is empty; type the code as it appears in the order lines")
        if status not in STATUSES:
            raise DataError(f"status of {code!r} must be one of {', '.join(STATUSES)}, got {status!r}")
    if not cleaned:
        return 0
    listed = set(warehouse.query(con, "non_products_statuses")["item_id"])
    new = sorted(set(cleaned) - listed)
    if new:
        known = set(warehouse.query(con, "non_products_known_codes", {"item_ids": new})["item_id"])
        unknown = [code for code in new if code not in known]
        if unknown:
            raise DataError(
                f"item code(s) {', '.join(map(repr, unknown))} are in no order line and no product; "
                "check the spelling (codes are case-sensitive)"
            )
    with warehouse.transaction(con):
        for code, status in cleaned.items():
            warehouse.execute(con, "non_products_set_status", {"item_id": code, "status": status, "reason": BY_HAND})
    return len(cleaned)


def confirm(con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]) -> int:
    """Confirm codes as non-products (see :func:`save`)."""
    return save(con, dict.fromkeys(item_ids, CONFIRMED))


def reject(con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]) -> int:
    """Mark codes as real products: never suggested again (see :func:`save`)."""
    return save(con, dict.fromkeys(item_ids, REJECTED))
