"""Compiled inner loops of the simulation: the Gumbel top-k item choice.

Choosing items is the simulation's only cost that grows with the catalogue: every order and every
browsing session ranks the whole catalogue by ``weight x taste affinity + log popularity`` plus
Gumbel noise. The noise is drawn by numpy (:meth:`numpy.random.Generator.standard_exponential`, the
same stream as ever, so the output does not change); this loop turns it into the ``k`` best items
without materialising a score matrix, taking a logarithm only for the few items that could still
enter the top ``k`` (an item's exponential draw bounds its score from above through its binary
exponent). Compiled with numba on first use (cached on disk), so importing :mod:`retention.sample`
stays cheap.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_LN2 = math.log(2.0)
_MANTISSA_BITS = 52
_EXPONENT_BIAS = 1023


@numba.njit(nogil=True, cache=True)
def gumbel_top_k(user_taste, users, item_weighted, log_pop, exponential, bits, out):  # pragma: no cover - compiled
    """For each row ``i``: the ``k = out.shape[1]`` items with the highest
    ``log_pop + sum_d user_taste[users[i], d] * item_weighted[d] - log(exponential[i])``, best first, into ``out[i]``.

    ``bits`` is ``exponential`` viewed as int64 (its IEEE-754 exponent gives a lower bound of the log).
    The affinity is summed dimension by dimension in order, as the numpy reference did.
    """
    n, m = exponential.shape
    k = out.shape[1]
    dims = item_weighted.shape[0]
    logit = np.empty(m)
    best = np.empty(k)
    best_at = np.empty(k, dtype=np.int64)
    for i in range(n):
        for j in range(m):
            logit[j] = 0.0 + log_pop[j]
        for d in range(dims):
            weight = user_taste[users[i], d]
            for j in range(m):
                logit[j] += weight * item_weighted[d, j]
        filled = 0
        for j in range(m):
            exponent = (bits[i, j] >> _MANTISSA_BITS) - _EXPONENT_BIAS
            # log(e) >= exponent * ln 2 for a normal e, so the score is at most logit - exponent * ln 2.
            if filled == k and exponent > -_EXPONENT_BIAS and logit[j] - exponent * _LN2 < best[k - 1] - 1e-9:
                continue
            score = logit[j] - math.log(exponential[i, j])
            if filled == k:
                if score <= best[k - 1]:
                    continue
                at = k - 1
            else:
                at = filled
                filled += 1
            while at > 0 and best[at - 1] < score:
                best[at] = best[at - 1]
                best_at[at] = best_at[at - 1]
                at -= 1
            best[at] = score
            best_at[at] = j
        for slot in range(k):
            out[i, slot] = best_at[slot]
