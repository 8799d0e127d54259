"""CSV exports that are safe to open in a spreadsheet and rounded for people.

Every CSV the app offers for download and every ``--out`` file of the CLI goes
through :func:`to_csv_bytes` (or :func:`write_csv`), which does two things:

* **Rounding** (:func:`round_for_people`). A float column is rounded by the kind
  of number it holds, read from its name: the name is split into words at
  underscores and the first kind in :data:`KIND_WORDS` with a matching word wins.

  ======== ======================================================== =================================
  kind     words (examples of columns)                               written as
  ======== ======================================================== =================================
  share    retention, risk, rate, share, p, uplift, roi, coverage... 4 decimals (``0.1235``)
  money    revenue, value, cost, price, amount, spend, net...        2 decimals (``123725.45``)
  count    users, customers, orders, members, days, quantity...      a whole number when every value is
                                                                     one (``468``), else 4 decimals
  ======== ======================================================== =================================

  Shares come first, so ``revenue_p`` (a p-value) is a share and ``revenue_diff``
  money. Any other float column gets :data:`DEFAULT_DECIMALS` (4). A caller that
  knows better passes ``decimals``: a column name to a number of decimals, a kind
  name, or None to leave the column as it is. Integers, booleans, dates and text
  (ids included) are written as they are. Rounding also turns ``-0.0`` into ``0``
  and drops float noise (``123725.45000000001`` is written ``123725.45``).
* **Formula safety** (:func:`neutralise_formulas`): text a spreadsheet would run
  as a formula gets a leading quote.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

SHARE, MONEY, COUNT = "share", "money", "count"
KIND_DECIMALS = {SHARE: 4, MONEY: 2, COUNT: 0}
"""Decimals per kind of number; a count is written as a whole number."""
DEFAULT_DECIMALS = 4
"""Decimals of a float column whose name matches no kind."""
# fmt: off
KIND_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    (SHARE, frozenset({
        "retention", "risk", "probability", "prob", "share", "rate", "rates", "ratio", "pct", "percent", "p",
        "coverage", "mape", "smape", "uplift", "lift", "roi", "auc", "precision", "recall", "ndcg", "map", "hit",
    })),
    (MONEY, frozenset({
        "revenue", "revenues", "value", "values", "cost", "costs", "price", "prices", "amount", "amounts",
        "spend", "spent", "margin", "money", "aov", "sales", "net",
    })),
    (COUNT, frozenset({
        "users", "customers", "orders", "members", "contacted", "holdout", "kept", "quantity", "count", "counts",
        "n", "size", "points", "origins", "periods", "days", "lines", "items", "rank", "cohorts", "new",
        "returning", "active", "purchases",
    })),
)
# fmt: on
"""Kinds of number and the column-name words that announce them, checked in this order."""

Decimals = Mapping[str, "int | str | None"]
"""Per-column overrides of the rounding rule: decimals, a kind name, or None to leave the column as it is."""


def column_kind(name: str) -> str | None:
    """The kind of number a column named ``name`` holds (``share``, ``money``, ``count``), None when unknown."""
    words = set(re.split(r"[^a-z0-9]+", str(name).lower()))
    for kind, vocabulary in KIND_WORDS:
        if words & vocabulary:
            return kind
    return None


def _whole(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(np.all(np.abs(finite - np.round(finite)) < 1e-6))


def _rounded(values: pd.Series, places: int) -> pd.Series:
    # Adding 0.0 turns -0.0 (what -0.001 rounds to) into 0.0.
    return values.round(places) + 0.0


def _as_count(values: pd.Series) -> pd.Series:
    if not np.isfinite(values.dropna()).all():
        return _rounded(values, 0)
    return values.round(0).astype("Int64")


def round_for_people(frame: pd.DataFrame, decimals: Decimals | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` with its float columns rounded as the module docstring says.

    Parameters
    ----------
    frame
        Any table; only float columns change.
    decimals
        Overrides per column: a number of decimals (0 writes whole numbers), a kind
        (``share``, ``money``, ``count``) or None to leave the column unrounded.

    Returns
    -------
    pandas.DataFrame
        The same columns in the same order; counts become nullable integers (``Int64``).
    """
    decimals = dict(decimals or {})
    for column, rule in decimals.items():
        if not (rule is None or rule in KIND_DECIMALS or (isinstance(rule, int) and rule >= 0)):
            choices = ", ".join(KIND_DECIMALS)
            raise ValueError(
                f"decimals for column {column!r} must be None, a whole number or one of {choices}: {rule!r}"
            )
    rounded = frame.copy()
    for column in rounded.columns:
        values = rounded[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        if values.dtype != "Float64":
            values = values.astype("float64")
        if column in decimals:
            rule = decimals[column]
            if rule is None:
                continue
            places = KIND_DECIMALS[rule] if isinstance(rule, str) else int(rule)
            rounded[column] = _as_count(values) if places == 0 else _rounded(values, places)
            continue
        kind = column_kind(column)
        if kind == COUNT and _whole(values.dropna().to_numpy(dtype=float)):
            rounded[column] = _as_count(values)
        elif kind in (SHARE, MONEY):
            rounded[column] = _rounded(values, KIND_DECIMALS[kind])
        else:
            rounded[column] = _rounded(values, DEFAULT_DECIMALS)
    return rounded


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which text cells that a spreadsheet would run as a formula are made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
    gets a leading single quote (OWASP's advice for CSV injection). Numeric
    columns are left alone: a negative number is data, not a formula.
    """
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES, na=False)
        if risky.any():
            safe[column] = series.astype("object").where(~risky, "'" + text.astype("object"))
    return safe


def to_csv_bytes(frame: pd.DataFrame, decimals: Decimals | None = None) -> bytes:
    """UTF-8 CSV of ``frame``, rounded for people (see :func:`round_for_people`), formulas neutralised, no index.

    Lines end in CRLF as RFC 4180 asks, which also makes the writer quote any
    cell holding a bare carriage return.
    """
    table = neutralise_formulas(round_for_people(frame, decimals))
    return table.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, decimals: Decimals | None = None) -> None:
    """Write ``frame`` to ``path`` as a rounded, formula-safe CSV file (the bytes of :func:`to_csv_bytes`)."""
    with open(path, "wb") as handle:
        handle.write(to_csv_bytes(frame, decimals))
