"""The cohort table: what :func:`retention.cohorts.cohort_table` returns, with the views the page draws from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from retention import periods
from retention.cohorts.query import CohortQuery
from retention.errors import DataError

ALL_SEGMENTS = "All"
"""The name of all users pooled, beside the segments of a breakdown."""
ALL_BUT = "All but "
COMPARED_PERIODS = (1, 3, 6)
MAX_COMPARED_BRACKETS = 6
DEFAULT_MIN_COHORTS = 3
"""The fewest complete cohorts a point of a mean curve rests on before the page fades it."""


def all_but(segment: str) -> str:
    """The name of every user outside ``segment``: ``"All but United Kingdom"``."""
    return f"{ALL_BUT}{segment}"


def _outside(name: str) -> str:
    """The segment an ``"All but ..."`` name leaves out (the name itself otherwise)."""
    return name.removeprefix(ALL_BUT)


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

    def mean_curve(self, min_cohorts: int = 1, *, by_segment: bool = True) -> pd.DataFrame:
        """The size-weighted mean retention curve, with how many cohorts each point rests on.

        Each period pools the cohorts whose cell is complete: the mean is
        ``sum(active_users) / sum(cohort_users)`` over them, so a large cohort
        weighs more than a small one and a cohort still filling up never drags
        the curve down. Late periods rest on the oldest cohorts only, down to
        one; ``min_cohorts`` sets how many a point needs to count as
        ``enough`` (the page fades the rest and leaves them out of comparisons).

        Parameters
        ----------
        min_cohorts
            Fewest complete cohorts a point must rest on to be ``enough`` (>= 1).
        by_segment
            With a breakdown, one curve per segment (True) or one curve of all
            users pooled (False: the curve of the table without a breakdown).

        Returns
        -------
        pandas.DataFrame
            ``segment`` (when the table has one and ``by_segment``), ``period``
            (int), ``cohorts`` (int: complete cohorts pooled), ``cohort_users``
            and ``active_users`` (int sums), ``retention`` (float in [0, 1]),
            when the table has revenue ``revenue`` (sum) and ``value`` (revenue
            per pooled cohort user), and ``enough`` (bool: ``cohorts >=
            min_cohorts``). Periods with no complete cell are left out.
        """
        if int(min_cohorts) < 1:
            raise DataError(f"a mean point rests on at least one cohort, not {min_cohorts}")
        table = self.frame
        keys = [c for c in ("segment", "period") if c in table.columns and (by_segment or c != "segment")]
        sums = {"cohorts": ("cohort", "nunique"), "cohort_users": ("cohort_users", "sum")}
        sums["active_users"] = ("active_users", "sum")
        if "revenue" in table.columns:
            sums["revenue"] = ("revenue", "sum")
        complete = table[table["complete"]]
        curve = complete.groupby(keys, as_index=False).agg(**sums)
        curve["retention"] = curve["active_users"] / curve["cohort_users"]
        if "revenue" in curve.columns:
            curve["value"] = curve["revenue"] / curve["cohort_users"]
        curve["enough"] = curve["cohorts"] >= int(min_cohorts)
        return curve

    @property
    def comparison_periods(self) -> list[int]:
        """The periods a segment comparison lists: 1, 3 and 6 (those the table reaches), or every bracket."""
        listed = set(self.frame["period"].tolist())
        wanted = range(1, MAX_COMPARED_BRACKETS + 1) if "bracket" in self.frame.columns else COMPARED_PERIODS
        return [n for n in wanted if n in listed]

    def segment_curves(self, segments: Sequence[str], min_cohorts: int = 1) -> pd.DataFrame:
        """The mean curves of some segments of a broken-down table.

        Besides the segments' names, :data:`ALL_SEGMENTS` (``"All"``) stands for
        all users pooled and ``"All but <segment>"`` (:func:`all_but`) for every
        user outside that segment ("United Kingdom" against the rest).

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`mean_curve` with ``segment``, the segments in
            the order given (each once).
        """
        if "segment" not in self.frame.columns:
            raise DataError("compare segments on a table with a breakdown")
        names = list(dict.fromkeys(segments))
        unknown = [name for name in names if name != ALL_SEGMENTS and _outside(name) not in self.segments]
        if unknown:
            raise DataError(f"no segment {unknown[0]!r} in this table; its segments are: {', '.join(self.segments)}")
        parts = []
        for name in names:
            if name == ALL_SEGMENTS:
                parts.append(self.mean_curve(min_cohorts, by_segment=False))
            elif name in self.segments:
                parts.append(self.segment_rows(name).mean_curve(min_cohorts, by_segment=False))
            else:
                rest = self.frame[self.frame["segment"] != _outside(name)]
                parts.append(CohortTable(rest, self.query, self.as_of).mean_curve(min_cohorts, by_segment=False))
            parts[-1] = parts[-1].assign(segment=name)
        return pd.concat(parts, ignore_index=True)

    def compare_segments(self, segments: Sequence[str], min_cohorts: int = 1) -> pd.DataFrame:
        """The mean curve of each segment at :attr:`comparison_periods`, beside all users and the difference.

        Parameters
        ----------
        segments
            Segment names of a broken-down table, or ``"All but <segment>"``;
            :data:`ALL_SEGMENTS` (``"All"``) stands for all users pooled (always
            listed first).
        min_cohorts
            A point resting on fewer complete cohorts is left empty (NaN), as is
            its difference.

        Returns
        -------
        pandas.DataFrame
            One row per segment, ``"All"`` first, then as given: ``segment``
            (str); ``cohort_users`` (int: users of the segment's cohorts in the
            range); for each period ``n`` of :attr:`comparison_periods`,
            ``period_n`` (the measure's size-weighted mean: retention in [0, 1],
            or revenue per cohort user) and ``period_n_vs_all`` (that minus the
            ``"All"`` value: retention as a share, so 0.05 is five points).
        """
        column, wanted = self.measure_column, self.comparison_periods
        names = [ALL_SEGMENTS, *(name for name in dict.fromkeys(segments) if name != ALL_SEGMENTS)]
        curves = self.segment_curves(names, min_cohorts)
        curves[column] = curves[column].where(curves["enough"])
        values = curves.pivot(index="segment", columns="period", values=column).reindex(index=names, columns=wanted)
        first = self.frame[self.frame["period"] == 0]
        total, sizes = int(first["cohort_users"].sum()), first.groupby("segment")["cohort_users"].sum()
        out = pd.DataFrame({"segment": names})
        out["cohort_users"] = [
            total if n == ALL_SEGMENTS else int(sizes[n]) if n in sizes.index else total - int(sizes[_outside(n)])
            for n in names
        ]
        for n in wanted:
            out[f"period_{n}"] = values[n].to_numpy(dtype="float64")
            out[f"period_{n}_vs_all"] = out[f"period_{n}"] - out[f"period_{n}"].iloc[0]
        return out

    def mark_points(self, marks: pd.DataFrame, chosen: Sequence[object]) -> pd.DataFrame:
        """Where each mark falls on the lines of the ``chosen`` cohorts: the period of the cohort that holds it.

        ``marks`` has the columns of :func:`retention.annotations.marks`. A mark
        in one of the cohort's complete periods sits on the line's point there; a
        mark in the cohort's period still in progress (a campaign launched on the
        data's last day) sits in that period at the height of the line's last
        point, so that what just happened shows beside where the cohort stands. In
        brackets mode periods count days from each user's own start, so no date
        falls on one period and nothing is placed.

        Returns
        -------
        pandas.DataFrame
            ``cohort`` (datetime64), ``period`` (int), ``y`` (the cohort's
            measure in that period, or in its last complete one), ``in_progress``
            (bool: the period is still in progress), ``ts``, ``kind`` and
            ``label`` of the mark; oldest cohort first, then by time.
        """
        columns = ["cohort", "period", "y", "in_progress", "ts", "kind", "label"]
        if marks.empty or "bracket" in self.frame.columns or not len(chosen):
            return pd.DataFrame(columns=columns)
        grain, column = self.query.period, self.measure_column
        cells = self.frame.sort_values("period").set_index(["cohort", "period"])
        rows = []
        for cohort in sorted(pd.Timestamp(c) for c in chosen):
            if cohort not in cells.index.get_level_values("cohort"):
                continue
            line = cells.loc[cohort]
            drawn = line[line["complete"]]
            for mark in marks.itertuples(index=False):
                period = periods.between(cohort, mark.ts, grain)
                if period not in line.index or (not line.at[period, "complete"] and drawn.empty):
                    continue
                in_progress = not line.at[period, "complete"]
                y = float(drawn[column].iloc[-1] if in_progress else line.at[period, column])
                rows.append((cohort, period, y, in_progress, mark.ts, mark.kind, mark.label))
        return pd.DataFrame(rows, columns=columns)

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
