"""The per-user stratified random split: each customer's feedback rows split at random, in the same proportion.

As Microsoft Recommenders' ``python_stratified_split`` (ratio 0.75, random), so that results on a rating data
set compare with the tables published with it (its MovieLens-100k benchmark). The rule, per customer with ``n``
feedback rows (one per item):

* the rows are put in a random order (``numpy.random.default_rng(seed)`` draws one number per row, the rows
  taken in user and item order, so the split depends on the seed and the data only, not on the row order given);
* the first ``round((1 - test_share) * n)`` go to training (rounding half to even, as numpy and that function
  do), at least one; the rest to test;
* customers with fewer than ``min_rows`` rows stay in training only (that function drops them; here they still
  teach the models, they are just not evaluated).

At a test share of 0.25 a customer with 2 rows keeps both in training (round(1.5) = 2), 3 rows give 2 and 1,
4 give 3 and 1, 6 give 4 and 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention import schema
from retention.errors import DataError

TEST_SHARE = 0.25
MIN_ROWS = 2


def held_out_rows(
    frame: pd.DataFrame, test_share: float = TEST_SHARE, seed: int = 0, min_rows: int = MIN_ROWS
) -> np.ndarray:
    """Which rows of ``frame`` (``user_id``, ``item_id``, one row per pair) go to test, by the module's rule.

    Returns
    -------
    ndarray of bool
        One per row of ``frame``, in its order: True for test.

    Raises
    ------
    DataError
        ``test_share`` outside (0, 1).
    """
    if not 0 < test_share < 1:
        raise DataError(f"test share must be between 0 and 1 (exclusive), got {test_share}")
    rows = frame[[schema.COL_USER, schema.COL_ITEM]].reset_index(drop=True)
    ordered = rows.sort_values([schema.COL_USER, schema.COL_ITEM]).index
    draws = pd.Series(np.random.default_rng(seed).random(len(rows)), index=ordered).sort_index()
    users = rows[schema.COL_USER]
    size = users.map(users.value_counts()).to_numpy()
    keep = np.clip(np.round((1 - test_share) * size), 1, size)
    keep = np.where(size < min_rows, size, keep)
    position = draws.groupby(users).rank(method="first").to_numpy()
    return position > keep
