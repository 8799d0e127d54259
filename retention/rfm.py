"""RFM segments: customers scored on recency, frequency and monetary value, and named by their R and F scores.

At an *as-of day* (by default the day of the newest order; the order lines up to the end of that day count),
every customer with a purchase (an order line with quantity > 0) gets three measures:

``recency_days``
    Days from the day of the last purchase to the as-of day (0: bought that day).
``frequency``
    Orders with a purchase line (distinct order ids).
``monetary``
    Net revenue to the cent: quantity x unit price over every line, returns subtract (as on the Overview page).

Each measure becomes a *quintile score* from 1 to 5, 5 the best (the most recent, the most orders, the most
revenue): ``score = 1 + floor(5 x worse / customers)``, where ``worse`` counts the customers strictly worse on
that measure. Customers with the same value share a score, so with heavy ties (most customers of a shop order
once) a score can be empty: all one-order customers get F = 1, and the next value starts at the score its rank
reaches. The worst value always scores 1.

The named segments come from the usual R/F grid (the M score is shown, not used to name):

====== =========== =================== =================== ================= =================
R \\ F  1           2                   3                   4                 5
====== =========== =================== =================== ================= =================
5      New         Potential loyalist  Potential loyalist  Champions         Champions
4      New         Potential loyalist  Potential loyalist  Loyal             Loyal
3      Hibernating Hibernating         Potential loyalist  Loyal             Loyal
2      Hibernating Hibernating         At risk             At risk           Can't lose them
1      Lost        Lost                At risk             At risk           Can't lose them
====== =========== =================== =================== ================= =================

In words: *Champions* bought lately and often; *Loyal* buy often, not quite lately; *Potential loyalist*
bought lately, a few times; *New* bought lately, once or so; *At risk* bought often, long ago; *Can't lose
them* were the most frequent buyers, long ago; *Hibernating* bought a little, a while ago; *Lost* bought a
little, longest ago. The grid's cells that other grids call "promising" (R4 F1) join New, "about to sleep"
(R3 F1-2) join Hibernating and "need attention" (R3 F3) join Potential loyalist.

The scoring is one SQL file (``rfm_scores.sql``), also spliced into the cohort breakdown "RFM segment" and
the campaign audience filter, so that the Segments page, Cohorts and Campaigns name the same customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from retention import periods, warehouse
from retention.errors import DataError

SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
)
"""The named segments, best first (the order the page lists them in)."""

SCORES = (1, 2, 3, 4, 5)

# The R/F grid of the module docstring: R score (5 = bought most recently) -> the segment of F = 1, ..., 5.
GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),
    4: ("New", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"),
    3: ("Hibernating", "Hibernating", "Potential loyalist", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),
    1: ("Lost", "Lost", "At risk", "At risk", "Can't lose them"),
}

DESCRIPTIONS = {
    "Champions": "bought lately and often",
    "Loyal": "buy often, not quite lately",
    "Potential loyalist": "bought lately, a few times",
    "New": "bought lately, once or so",
    "At risk": "bought often, long ago",
    "Can't lose them": "the most frequent buyers, long ago",
    "Hibernating": "bought a little, a while ago",
    "Lost": "bought a little, longest ago",
}

PART = {"rfm": "rfm_scores"}
"""The ``parts`` that splice the scoring into a query with an ``-- @part rfm`` slot (see :func:`params`)."""


def segment_of(r: int, f: int) -> str:
    """The segment of an R score and an F score (each 1-5), by :data:`GRID`."""
    if r not in GRID or f not in SCORES:
        raise DataError(f"RFM scores run from 1 to 5, not R={r!r}, F={f!r}")
    return GRID[r][f - 1]


def grid() -> pd.DataFrame:
    """:data:`GRID` as a frame: index ``r`` (5 down to 1), columns ``f`` 1-5, values the segment names."""
    return pd.DataFrame.from_dict(GRID, orient="index", columns=list(SCORES)).rename_axis(index="r", columns="f")


def check_segments(segments: Sequence[str]) -> tuple[str, ...]:
    """``segments`` as a tuple if each is a name in :data:`SEGMENTS`, else a DataError naming the choices."""
    unknown = [name for name in segments if name not in SEGMENTS]
    if unknown:
        raise DataError(f"no RFM segment named {', '.join(map(repr, unknown))}; the segments are {', '.join(SEGMENTS)}")
    return tuple(segments)


def file_name(segment: str, as_of: dt.date) -> str:
    """The CSV name of a segment's customers: ``rfm_cant_lose_them_2011-12-09.csv``."""
    slug = segment.lower().replace("'", "").replace(" ", "_")
    return f"rfm_{slug}_{as_of:%Y-%m-%d}.csv"


def params(as_of: dt.date | None = None) -> dict[str, object]:
    """The SQL parameters of ``rfm_scores.sql``: ``rfm_as_of`` (DATE or None: the newest order's day) and
    ``rfm_grid`` (the 25 segment names, cell (R, F) at index (R - 1) * 5 + F - 1)."""
    return {"rfm_as_of": as_of, "rfm_grid": [GRID[r][f - 1] for r in SCORES for f in SCORES]}


def day_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """The days of the first and the newest order: the range an as-of day is chosen in; ``(None, None)``
    without orders. The newest is the default as-of day."""
    first, last = warehouse.data_range(con)
    return (None, None) if first is None else (first.date(), last.date())


def customers(
    con: duckdb.DuckDBPyConnection,
    as_of: object = None,
    *,
    segments: Sequence[str] = (),
    include_email: bool = False,
) -> pd.DataFrame:
    """Every customer's RFM measures, scores and segment at ``as_of``.

    Parameters
    ----------
    as_of
        A day (date, timestamp or ISO text; a time of day is dropped): the order lines up to the end of it
        count. None: the day of the newest order.
    segments
        Keep only these segments (names in :data:`SEGMENTS`); empty keeps all.
    include_email
        Add the customers' ``email`` (personal data: only when the user asks).

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase up to ``as_of``: ``user_id``; ``segment`` (a name in
        :data:`SEGMENTS`); ``rfm`` (the three scores as text, ``"545"``); ``r``, ``f``, ``m`` (int 1-5, 5 the
        best); ``recency_days`` (int >= 0); ``frequency`` (int >= 1, orders); ``monetary`` (float, net revenue
        in the shop's currency, may be negative); ``first_purchase``, ``last_purchase`` (datetime64);
        ``email`` when asked. Sorted by segment (in :data:`SEGMENTS` order), then monetary, highest first.
        Empty (with these columns) when nobody had bought by ``as_of``.
    """
    chosen = check_segments(segments)
    day = periods.as_day(as_of)
    raw = warehouse.query(con, "rfm_scores", params(day))
    table = pd.DataFrame(
        {
            "user_id": raw["user_id"].astype("string"),
            "segment": raw["segment"].astype("string"),
            "rfm": (raw["r"].astype(str) + raw["f"].astype(str) + raw["m"].astype(str)).astype("string"),
            **{score: raw[score].astype("int64") for score in ("r", "f", "m")},
            "recency_days": raw["recency_days"].astype("int64"),
            "frequency": raw["frequency"].astype("int64"),
            "monetary": raw["monetary"].astype("float64"),
            "first_purchase": pd.to_datetime(raw["first_purchase"]),
            "last_purchase": pd.to_datetime(raw["last_purchase"]),
        }
    )
    if chosen:
        table = table[table["segment"].isin(chosen)]
    order = table["segment"].map({name: rank for rank, name in enumerate(SEGMENTS)})
    table = (
        table.assign(_order=order)
        .sort_values(["_order", "monetary", "user_id"], ascending=[True, False, True])
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    if include_email:
        emails = warehouse.query(con, "churn_emails", {"user_ids": table["user_id"].tolist()})
        table = table.merge(emails.astype({"user_id": "string"}), on="user_id", how="left")
    return table


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Size and worth of each segment of :func:`customers`.

    Returns
    -------
    pandas.DataFrame
        One row per name in :data:`SEGMENTS`, in that order (segments without customers included, with 0
        customers): ``segment``; ``description`` (one line); ``customers`` (int); ``customer_share`` (float in
        [0, 1]); ``revenue`` (float: the segment's net revenue); ``revenue_share`` (its share of all
        customers' net revenue; NaN when that total is 0); ``recency_days``, ``frequency``, ``monetary``
        (float means over the segment's customers, NaN when it is empty).
    """
    grouped = frame.groupby("segment", observed=True).agg(
        customers=("user_id", "size"),
        revenue=("monetary", "sum"),
        recency_days=("recency_days", "mean"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
    )
    table = grouped.reindex(list(SEGMENTS)).rename_axis("segment").reset_index()
    table["customers"] = table["customers"].fillna(0).astype("int64")
    table["revenue"] = table["revenue"].fillna(0.0).astype("float64")
    total_revenue = table["revenue"].sum()
    table.insert(1, "description", table["segment"].map(DESCRIPTIONS))
    table.insert(3, "customer_share", table["customers"] / max(len(frame), 1))
    table.insert(5, "revenue_share", table["revenue"] / total_revenue if total_revenue else float("nan"))
    return table


def grid_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Customers of :func:`customers` in each cell of the R/F grid.

    Returns
    -------
    pandas.DataFrame
        25 rows, R from 5 down to 1 and F from 1 to 5: ``r``, ``f`` (int 1-5), ``segment`` (the cell's name by
        :data:`GRID`), ``customers`` (int >= 0).
    """
    counts = frame.groupby(["r", "f"]).size()
    cells = [(r, f) for r in reversed(SCORES) for f in SCORES]
    return pd.DataFrame(
        {
            "r": [r for r, _ in cells],
            "f": [f for _, f in cells],
            "segment": [segment_of(r, f) for r, f in cells],
            "customers": [int(counts.get((r, f), 0)) for r, f in cells],
        }
    )
