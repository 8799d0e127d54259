"""Hand-overs to the campaign builder: a campaign draft started from another page's list of customers.

A Cohorts heatmap cell's users, an RFM segment's customers and the At-risk page's flagged list can each start a
campaign. A list of customers becomes :attr:`Audience.user_ids`. The At-risk list becomes the audience's own
filters (risk threshold or top N, countries, channels, scores' date) when the campaign would read the very
scoring the page shows, so that the draft says in words who it targets; when it would read another (the page
shows another horizon, or an earlier scoring of that date), the flagged customers themselves, since the same
filters on other scores would pick other people.

The builder's audience is the hand-over's in :data:`HANDED_FIELDS`; the exclusions (recent contacts, the
suppression list, ...) still apply on top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from retention import warehouse
from retention.campaigns.config import Audience
from retention.errors import DataError

HANDED_FIELDS = ("min_risk", "top_n", "countries", "channels", "scores_as_of", "user_ids")
"""The :class:`Audience` fields a hand-over sets; the builder's other fields keep their own values."""


@dataclass(frozen=True)
class Handover:
    """An audience handed to the campaign builder.

    source: where it comes from, in words ("cohort 2024-01-01, Month 2, lost users"); audience: the
    :class:`Audience` it sets (see :data:`HANDED_FIELDS`); customers: how many customers the source listed (int,
    >= 1), before the campaign's own exclusions.
    """

    source: str
    audience: Audience
    customers: int


@dataclass(frozen=True)
class AtRiskFilter:
    """What the At-risk page shows: the scoring (``as_of``, ``horizon_days``, ``model_version``), flagged by
    exactly one of ``threshold`` (risk in [0, 1]) and ``top`` (the N riskiest), among the customers of
    ``countries`` and ``channels`` (empty: all)."""

    as_of: dt.date
    horizon_days: int
    model_version: str
    threshold: float | None = None
    top: int | None = None
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def describe(self) -> str:
        """The filter in words: 'At-risk list (risk >= 50%, country in UK; scores of 2011-12-09, 90-day horizon)'."""
        cut = f"risk >= {self.threshold:.0%}" if self.threshold is not None else f"the {self.top:,} riskiest"
        parts = [cut]
        if self.countries:
            parts.append(f"country in {', '.join(self.countries)}")
        if self.channels:
            parts.append(f"channel in {', '.join(self.channels)}")
        return f"At-risk list ({', '.join(parts)}; scores of {self.as_of:%Y-%m-%d}, {self.horizon_days}-day horizon)"


def from_customers(customers: pd.DataFrame, source: str, *, col_user: str = "user_id") -> Handover:
    """A hand-over of the customers listed in ``customers`` (column ``col_user``): every scored one of them,
    whatever their risk.

    Raises
    ------
    DataError
        The list is empty: there is nobody to send.
    """
    user_ids = _user_ids(customers[col_user])
    if not user_ids:
        raise DataError(f"{source} lists no customer: there is nobody to send to a campaign")
    return Handover(source=source, audience=Audience(min_risk=0.0, user_ids=user_ids), customers=len(user_ids))


def cohort_cell(users: pd.DataFrame, cohort: pd.Timestamp, period_name: str, show: str) -> Handover:
    """The users of a Cohorts heatmap cell as the page lists them (:func:`retention.cohorts.cell_users`), ``show``
    being 'lost', 'retained' or 'all'."""
    return from_customers(users, f"cohort {pd.Timestamp(cohort):%Y-%m-%d}, {period_name}, {show} users")


def rfm_segment(members: pd.DataFrame, segment: str, as_of: dt.date) -> Handover:
    """The customers of an RFM segment on ``as_of`` as the Segments page lists them
    (:func:`retention.rfm.customers`)."""
    return from_customers(members, f"RFM segment {segment} on {as_of:%Y-%m-%d}")


def at_risk(con: duckdb.DuckDBPyConnection, flagged: pd.DataFrame, shown: AtRiskFilter) -> Handover:
    """The At-risk page's flagged customers ``flagged`` (column ``user_id``), flagged by ``shown``.

    The audience is ``shown``'s filters when a campaign targeting the scores of ``shown.as_of`` reads the scoring
    the page shows (:func:`audience_run`), else the flagged customers' ids.

    Raises
    ------
    DataError
        Nobody is flagged.
    """
    source = shown.describe()
    if flagged.empty:
        raise DataError(f"nobody is flagged in the {source}: lower the threshold or widen the filters")
    if audience_run(con, shown.as_of) != (shown.horizon_days, shown.model_version):
        return from_customers(flagged, source)
    audience = Audience(
        min_risk=shown.threshold if shown.threshold is not None else 0.0,
        top_n=shown.top,
        countries=tuple(shown.countries),
        channels=tuple(shown.channels),
        scores_as_of=shown.as_of,
    )
    return Handover(source=source, audience=audience, customers=len(flagged))


def audience_run(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[int, str] | None:
    """``(horizon_days, model_version)`` of the scoring a campaign audience reads for the scores of ``as_of``
    (see ``campaign_audience.sql``); None when no scores carry that date."""
    run = warehouse.query(con, "campaign_audience_run", {"scores_as_of": as_of})
    if run.empty:
        return None
    return int(run["horizon_days"].iloc[0]), str(run["model_version"].iloc[0])


def _user_ids(values: Sequence[object] | pd.Series) -> tuple[str, ...]:
    """Distinct ids as text, in their first order."""
    return tuple(dict.fromkeys(str(value) for value in pd.Series(values).dropna()))
