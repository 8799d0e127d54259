"""Recommended items of a campaign's members: the top items of a saved recommender run, as people read them.

An item is written "title (item_id)" (the id keeps two products of one title apart); an email template shows the
titles (:func:`titles`). Launching stores each member's list (:data:`retention.campaigns.launch.ITEMS_STORED`
items), so every download of a campaign's files lists the same items; campaigns launched before that compute
them when exported.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

ITEM_ID_SUFFIX = re.compile(r" \([^()]*\)$")
"""The " (item_id)" that ends an item as :func:`item_lists` writes it."""


def item_lists(con: duckdb.DuckDBPyConnection, run_id: int | None, user_ids: pd.Series, *, k: int = 5) -> pd.Series:
    """Per user, the list of "title (item_id)" of the top ``k`` items of a saved recommender run, best first
    (empty when there is none). Same index as ``user_ids``; object dtype.

    The items come from :func:`retention.recommend.recommend_for_users` (the run's
    model refitted on all feedback; imported here because it is heavy).
    """
    lists = pd.Series([[] for _ in range(len(user_ids))], index=user_ids.index, dtype=object)
    if run_id is None or user_ids.empty:
        return lists
    from retention.recommend import recommend_for_users

    recs = recommend_for_users(con, run_id, user_ids.tolist(), k=k)
    if recs.empty:
        return lists
    recs = recs.sort_values(["user_id", "rank"])
    text = recs["title"].astype("string").fillna("") + " (" + recs["item_id"].astype("string") + ")"
    grouped = text.groupby(recs["user_id"].astype("string")).agg(list)
    found = user_ids.astype("string").map(grouped)
    return found.where(found.notna(), lists)


def recommended_items(
    con: duckdb.DuckDBPyConnection, run_id: int | None, user_ids: pd.Series, *, k: int = 5
) -> pd.Series:
    """Per user, "title (item_id); ..." of the top ``k`` items of a saved recommender run ("" when there is none)."""
    return item_lists(con, run_id, user_ids, k=k).map("; ".join).astype("string")


def recommendation_mode(con: duckdb.DuckDBPyConnection, run_id: int | None, items: pd.Series) -> pd.Series:
    """Per user, the mode of run ``run_id`` ('discovery' or 'repeat', see :mod:`retention.recommend.choice`) where
    ``items`` (as :func:`recommended_items` gives them) are not empty, else ""."""
    if run_id is None:
        return pd.Series("", index=items.index, dtype="string")
    from retention.recommend import get_run
    from retention.recommend.modes import run_mode

    mode = run_mode(get_run(con, run_id).split)
    return items.where(items == "", mode).astype("string")


def titles(items: list[str]) -> str:
    """The titles of items written "title (item_id)", joined with "; " ("Tea pot (85123A)" -> "Tea pot")."""
    return "; ".join(ITEM_ID_SUFFIX.sub("", item) for item in items)
