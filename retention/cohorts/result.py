"""The cohort table: what :func:`retention.cohorts.cohort_table` returns, with the views the page draws from it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from retention.cohorts.query import CohortQuery


@dataclass(frozen=True, eq=False)
class CohortTable:
    """A cohort table, the query that counted it and the moment its data ends.

    Attributes
    ----------
    frame
        One row per cohort (and segment) and period: ``cohort`` (datetime64,
        first day of the cohort's period); ``segment`` (str, only with a
        breakdown); ``period`` (int >= 0, 0 is the cohort's own period; in
        brackets mode 0 is the start day and k the k-th bracket); ``bracket``
        (str label, brackets mode only); ``cohort_users`` (int >= 1);
        ``active_users`` (int, 0 to cohort_users); ``retention`` (float in
        [0, 1], active_users / cohort_users); with ``measure="revenue"``,
        ``revenue`` (net order revenue of the cohort's users in the period, in
        the shop's currency; cumulative through period N in unbounded mode)
        and ``value`` (revenue per cohort user); ``complete`` (bool: the
        cell's whole span is before the latest timestamp in the data).
    query
        The :class:`CohortQuery` counted.
    as_of
        The latest order or event timestamp of the data (None for an empty warehouse).

    Reading it like its frame (``table["retention"]``, ``table.loc[...]``,
    ``table.columns``, ``len(table)``, ``table.empty``) reads the frame, so code
    written for the DataFrame that ``cohort_table`` used to return keeps working.
    """

    frame: pd.DataFrame
    query: CohortQuery
    as_of: pd.Timestamp | None = None

    # ---------------------------------------------------------------- read like the frame

    @property
    def empty(self) -> bool:
        return self.frame.empty

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, key: object) -> object:
        return self.frame[key]

    @property
    def columns(self) -> pd.Index:
        return self.frame.columns

    @property
    def loc(self) -> object:
        return self.frame.loc

    # ---------------------------------------------------------------- views

    @property
    def measure_column(self) -> str:
        """The column a chart shows: ``"value"`` (revenue per cohort user) for the revenue measure, else
        ``"retention"``."""
        return "value" if self.query.measure == "revenue" and "value" in self.frame.columns else "retention"

    @property
    def segments(self) -> list[str]:
        """The segments of a broken-down table, most cohort users first (empty without a breakdown)."""
        if "segment" not in self.frame.columns or self.frame.empty:
            return []
        sizes = self.frame[self.frame["period"] == 0].groupby("segment")["cohort_users"].sum()
        return sizes.sort_values(ascending=False, kind="stable").index.tolist()

    def segment_rows(self, segment: str | None) -> CohortTable:
        """The table of one segment (the whole table when ``segment`` is None or there is no breakdown)."""
        if segment is None or "segment" not in self.frame.columns:
            return self
        rows = self.frame[self.frame["segment"] == segment].reset_index(drop=True)
        return CohortTable(rows, self.query, self.as_of)

    def mean_curve(self) -> pd.DataFrame:
        """The size-weighted mean retention curve.

        Each period pools the cohorts whose cell is complete: the mean is
        ``sum(active_users) / sum(cohort_users)`` over them, so a large cohort
        weighs more than a small one and a cohort still filling up never drags
        the curve down.

        Returns
        -------
        pandas.DataFrame
            ``segment`` (when the table has one), ``period`` (int), ``cohorts``
            (int: cohorts pooled), ``cohort_users`` and ``active_users`` (int
            sums), ``retention`` (float in [0, 1]) and, when the table has
            revenue, ``revenue`` (sum) and ``value`` (revenue per pooled cohort
            user). Periods with no complete cell are left out.
        """
        table = self.frame
        keys = [column for column in ("segment", "period") if column in table.columns]
        sums = {"cohorts": ("cohort", "nunique"), "cohort_users": ("cohort_users", "sum")}
        sums["active_users"] = ("active_users", "sum")
        if "revenue" in table.columns:
            sums["revenue"] = ("revenue", "sum")
        complete = table[table["complete"]]
        curve = complete.groupby(keys, as_index=False).agg(**sums)
        curve["retention"] = curve["active_users"] / curve["cohort_users"]
        if "revenue" in curve.columns:
            curve["value"] = curve["revenue"] / curve["cohort_users"]
        return curve

    def recent_cohorts(self, count: int = 3) -> list[pd.Timestamp]:
        """The ``count`` latest cohorts whose period 1 is complete (the latest ones if none is), oldest first."""
        table = self.frame
        listed = table.drop_duplicates("cohort")["cohort"].sort_values()
        mature = table.loc[(table["period"] == 1) & table["complete"], "cohort"].drop_duplicates().sort_values()
        return (mature if len(mature) else listed).tail(count).tolist()

    @property
    def cohort_starts(self) -> list[pd.Timestamp]:
        """The cohorts, oldest first."""
        return sorted(self.frame["cohort"].unique().tolist())

    def cohort_periods(self, cohort: object) -> list[int]:
        """The periods listed for one cohort, ascending."""
        return sorted(self.frame.loc[self.frame["cohort"] == pd.Timestamp(cohort), "period"].unique().tolist())

    @property
    def period_labels(self) -> dict[int, str]:
        """Period -> its label: the bracket label in brackets mode (``"days 1-7"``), else the number."""
        if "bracket" in self.frame.columns:
            return dict(zip(self.frame["period"].tolist(), self.frame["bracket"].tolist(), strict=True))
        return {int(n): str(n) for n in self.frame["period"].unique()}

    def cell(self, cohort: object, period: int) -> pd.Series:
        """The row of one cell (cohort start, period) of a one-segment table: ``cohort_users``,
        ``active_users``, ``complete`` and the rest of the frame's columns; ``KeyError`` when it has no such
        cell."""
        rows = self.frame[(self.frame["cohort"] == pd.Timestamp(cohort)) & (self.frame["period"] == period)]
        if rows.empty:
            raise KeyError(f"no cell for cohort {pd.Timestamp(cohort):%Y-%m-%d}, period {period}")
        return rows.iloc[0]

    def period_name(self, period: int) -> str:
        """A period's name for people: ``"Month 3"``, or the bracket (``"days 1-7"``) in brackets mode."""
        if "bracket" in self.frame.columns:
            return self.period_labels[period]
        return f"{self.query.period.capitalize()} {period}"

    def for_export(self) -> pd.DataFrame:
        """A copy of the frame for CSV: ``cohort`` as an ISO date string (``YYYY-MM-DD``)."""
        out = self.frame.copy()
        out["cohort"] = out["cohort"].dt.strftime("%Y-%m-%d")
        return out
