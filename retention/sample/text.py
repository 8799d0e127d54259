"""String columns of the generated tables, built as Arrow arrays straight from numbers.

A million-customer shop has tens of millions of id strings (``u0000001``, ``s00000001``, ``100001``,
``C100001``); making each a Python object first costs minutes and gigabytes. :func:`numbered` writes
their bytes with numpy and wraps them as an Arrow ``large_string`` array; :func:`take` repeats
strings of a small table (ids, countries, event types) by index in Arrow. :func:`column` makes either a
pandas ``str`` column, equal to the one built from Python strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

_ZERO = ord("0")


def digit_count(numbers: np.ndarray) -> np.ndarray:
    """Number of decimal digits of each non-negative integer (1 for 0)."""
    count = np.ones(len(numbers), dtype=np.int64)
    power = 10
    while len(numbers) and power <= numbers.max():
        count += numbers >= power
        power *= 10
    return count


def numbered(
    numbers: np.ndarray,
    prefix: str = "",
    width: int = 0,
    suffix: str = "",
    prefixed: np.ndarray | None = None,
    chunk: int = 1 << 20,
) -> pa.LargeStringArray:
    """``prefix + str(n).zfill(width) + suffix`` for each non-negative integer ``n``, as an Arrow array.

    With ``prefixed`` (booleans, one per number) only those numbers get the prefix. The bytes are written
    ``chunk`` numbers at a time, so the work arrays beside the result stay small.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) and numbers.min() < 0:
        raise ValueError("numbered() writes non-negative integers only")
    head, tail = np.frombuffer(prefix.encode(), np.uint8), np.frombuffer(suffix.encode(), np.uint8)
    has_head = np.ones(len(numbers), dtype=bool) if prefixed is None else np.asarray(prefixed, dtype=bool)
    offsets = np.zeros(len(numbers) + 1, dtype=np.int64)
    for lo in range(0, len(numbers), chunk):
        hi = min(lo + chunk, len(numbers))
        widths = np.maximum(digit_count(numbers[lo:hi]), width)
        np.cumsum(len(head) * has_head[lo:hi] + widths + len(tail), out=offsets[lo + 1 : hi + 1])
        offsets[lo + 1 : hi + 1] += offsets[lo]
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    for lo in range(0, len(numbers), chunk):
        hi = min(lo + chunk, len(numbers))
        _write_digits(data, offsets[lo : hi + 1], numbers[lo:hi], has_head[lo:hi], head, tail, width)
    return pa.LargeStringArray.from_buffers(len(numbers), pa.py_buffer(offsets), pa.py_buffer(data))


def _write_digits(
    data: np.ndarray,
    offsets: np.ndarray,
    numbers: np.ndarray,
    has_head: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    width: int,
) -> None:
    """Write the strings of :func:`numbered` for ``numbers`` into ``data`` at ``offsets`` (one more than numbers)."""
    widths = np.maximum(digit_count(numbers), width)
    for digits in np.unique(widths):
        for with_head in np.unique(has_head):
            rows = np.flatnonzero((widths == digits) & (has_head == with_head))
            lead = head if with_head else head[:0]
            block = np.empty((len(rows), len(lead) + int(digits) + len(tail)), dtype=np.uint8)
            block[:, : len(lead)] = lead
            block[:, block.shape[1] - len(tail) :] = tail
            value = numbers[rows]
            for place in range(int(digits) - 1, -1, -1):
                block[:, len(lead) + place] = _ZERO + value % 10
                value = value // 10
            if len(rows) == len(numbers):
                data[offsets[0] : offsets[-1]] = block.ravel()
            else:
                data[offsets[rows][:, None] + np.arange(block.shape[1])] = block


def take(values: pa.Array | list[str] | np.ndarray, index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow array; a negative index gives a null."""
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.large_string())
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    return values.take(pa.array(index, mask=missing) if missing.any() else pa.array(index))


def column(values: pa.Array) -> pd.Series:
    """A pandas ``str`` column over an Arrow string array (nulls become missing values)."""
    return pd.Series(values, dtype="str")
