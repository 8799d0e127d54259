"""Array steps of the simulation whose cost grows with its size: item choice, positions within groups, sort orders.

:func:`choose_items` is the Gumbel top-k choice of items (the compiled loop is
:mod:`retention.sample.kernels`, imported on first use so that importing the package stays cheap);
the sorts reproduce, on integer keys, the order of the string columns they become.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from retention.sample import text


def choose_items(
    rng: np.random.Generator,
    user_taste: np.ndarray,
    rows: np.ndarray,
    item_taste: np.ndarray,
    log_pop: np.ndarray,
    weight: float,
    k: int,
    chunk: int = 2048,
) -> np.ndarray:
    """For each user ``rows[i]`` (a row of ``user_taste``): ``k`` distinct items drawn without replacement from
    softmax(weight * taste affinity + log popularity), best first (Gumbel top-k).

    The noise is one standard exponential per row and item (its log is the Gumbel noise), drawn
    ``chunk`` rows at a time in a second thread while :func:`retention.sample.kernels.gumbel_top_k`
    ranks the previous chunk: both release the GIL, and the draws stay in the same order.
    """
    from retention.sample.kernels import gumbel_top_k  # numba compiles on first use

    n = len(rows)
    out = np.empty((n, k), dtype=np.int64)
    if n == 0:
        return out
    item_weighted = np.ascontiguousarray(weight * item_taste.T)  # (TASTE_DIM, items)
    taste = np.ascontiguousarray(user_taste, dtype=np.float64)
    buffers = [np.empty((min(chunk, n), len(log_pop))) for _ in range(2 if n > chunk else 1)]

    def draw(lo: int) -> np.ndarray:
        noise = buffers[(lo // chunk) % len(buffers)][: min(chunk, n - lo)]
        rng.standard_exponential(out=noise)
        return noise

    with ThreadPoolExecutor(max_workers=1) as pool:
        drawn = pool.submit(draw, 0)
        for lo in range(0, n, chunk):
            noise = drawn.result()
            if lo + chunk < n:
                drawn = pool.submit(draw, lo + chunk)
            hi = lo + len(noise)
            gumbel_top_k(taste, rows[lo:hi], item_weighted, log_pop, noise, noise.view(np.int64), out[lo:hi])
    return out


def sort_order_lines(sec: np.ndarray, number: np.ndarray, is_return: np.ndarray, item: np.ndarray) -> np.ndarray:
    """The order of order lines by ``ts``, ``order_id`` and ``item_id`` compared as the strings they become:
    a return's "C" sorts after every digit, decimal strings compare as their numbers right-padded with
    zeros and then by length ("100" < "1000" < "999"), and item ids all have one width."""
    digits = text.digit_count(number)
    padded = number * 10 ** (int(digits.max(initial=1)) - digits)
    return np.lexsort((item, padded * 32 + digits, sec * 2 + is_return))


def sort_events(sec: np.ndarray, session: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The order of events by time, then session number, then position in the session (all integers, and
    the triples distinct): one sort of a combined key while it fits in 63 bits, else a lexsort."""
    if not len(sec):
        return np.arange(0)
    low = sec.min()
    n_session, n_position = int(session.max()) + 1, int(position.max()) + 1
    if (int(sec.max() - low) + 1) * n_session * n_position >= 2**63:
        return np.lexsort((position, session, sec))
    key = sec - low  # one array of the events' length, the combined key built in place
    key *= n_session
    key += session
    key *= n_position
    key += position
    return np.argsort(key)


def positions(counts: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """0, 1, ..., c-1 for each count c, concatenated (as ``dtype``: int32 halves the memory while the total fits)."""
    out = np.arange(int(counts.sum()), dtype=dtype)
    out -= np.repeat(
        (np.cumsum(counts) - counts).astype(dtype), counts
    )  # in place: one array of the events' length less
    return out
