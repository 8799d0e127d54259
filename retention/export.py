"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import os

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``frame`` with formulas neutralised and no index column.

    Lines end in CRLF as RFC 4180 asks, which also makes the writer quote any
    cell holding a bare carriage return.
    """
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` to ``path`` as a formula-safe CSV file (the bytes of :func:`to_csv_bytes`)."""
    with open(path, "wb") as handle:
        handle.write(to_csv_bytes(frame))
