"""Figures of the Cohorts page: the retention triangle, retention curves and the lifecycle bars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from retention.annotations import KIND_LABELS
from retention.charts import label
from retention.charts import labels as escaped
from retention.charts.annotations import MARK_COLOURS, PLURALS, mark_dates
from retention.cohorts import ALL_SEGMENTS, CohortTable

LABEL_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}
MAX_CELL_LABELS = 600
MAX_COMPARED = 10
SEGMENT_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
LIFECYCLE_COLOURS = {"new": "#2ca02c", "returning": "#1f77b4", "resurrecting": "#ff7f0e", "dormant": "#d62728"}


def _colour_top(table: pd.DataFrame, column: str) -> float:
    """Top of the colour scale: the largest value, leaving out period 0 for retention (100% by definition
    in most modes), so that the cells people compare (periods 1+) use the whole scale; never 0."""
    values = table[column] if column == "value" else table.loc[table["period"] > 0, column]
    top = float(values.max()) if values.notna().any() else 1.0
    return top if top > 0 else 1.0


def _period_axis(cohort_table: CohortTable) -> str:
    if "bracket" in cohort_table.columns:
        return "Bracket"
    return f"{cohort_table.query.period.capitalize()}s since the cohort's start"


def cohort_heatmap(cohort_table: CohortTable, chosen: tuple[pd.Timestamp, int] | None = None) -> go.Figure:
    """The retention triangle: one row per cohort (size beside its label), one column per period.

    ``cohort_table`` is a :func:`retention.cohorts.cohort_table` result for one
    segment (:meth:`~retention.cohorts.CohortTable.segment_rows`); it shows its
    query's measure. Incomplete cells are drawn grey and say so on hover. The
    colour scale tops out at the best retention after period 0, so differences
    between later cells stay visible. The cell ``chosen`` (cohort start, period)
    is outlined.

    The two colour layers take no hover: an invisible marker on every cell
    (the trace named :data:`CELL_TRACE`) carries the tooltip and the click,
    with ``customdata`` ``[cohort as YYYY-MM-DD, period, ...]`` that
    :func:`cell_of_point` reads back from a selection. A layer's grid holds
    gaps where the other layer has cells, and a heatmap hovering on its gaps
    answered every tooltip with NaN.
    """
    table, period = cohort_table.frame, cohort_table.query.period
    column = cohort_table.measure_column
    sizes = table.drop_duplicates("cohort")[["cohort", "cohort_users"]].sort_values("cohort")
    rows = [
        f"{c:{LABEL_FORMATS[period]}}  ({n:,})" for c, n in zip(sizes["cohort"], sizes["cohort_users"], strict=True)
    ]
    row_of = dict(zip(sizes["cohort"], rows, strict=True))
    labels = cohort_table.period_labels
    columns = [labels[n] for n in sorted(labels)]

    def grid(frame: pd.DataFrame, values: str) -> pd.DataFrame:
        wide = frame.assign(row=frame["cohort"].map(row_of), col=frame["period"].map(labels)).pivot(
            index="row", columns="col", values=values
        )
        return wide.reindex(index=rows, columns=columns)

    show_text = len(table) <= MAX_CELL_LABELS
    text_format = "%{z:,.1f}" if column == "value" else "%{z:.0%}"
    figure = go.Figure()
    for frame, colours, scale in (
        (table[table["complete"]], "Blues", True),
        (table[~table["complete"]], [[0, "#eeeeee"], [1, "#bbbbbb"]], False),
    ):
        if frame.empty:
            continue
        figure.add_heatmap(
            z=grid(frame, column).to_numpy(),
            x=columns,
            y=rows,
            colorscale=colours,
            showscale=scale,
            zmin=0,
            zmax=_colour_top(table, column),
            hoverinfo="skip",
            texttemplate=text_format if show_text else None,
            colorbar={
                "title": "Revenue / user" if column == "value" else "Retention",
                "tickformat": "" if column == "value" else ".0%",
            },
            xgap=1,
            ygap=1,
        )
    _add_cell_targets(figure, cohort_table, row_of, columns)
    figure.update_layout(
        # Fixed ranges: the markers would pad an automatic range by their size.
        xaxis={
            "title": _period_axis(cohort_table),
            "type": "category",
            "side": "top",
            "range": [-0.5, len(columns) - 0.5],
        },
        yaxis={"title": "Cohort (users)", "type": "category", "range": [len(rows) - 0.5, -0.5]},
        height=max(320, 22 * len(rows) + 120),
        margin={"t": 60},
        hoverdistance=-1,
    )
    cell = None if chosen is None else (pd.Timestamp(chosen[0]), chosen[1])
    if cell is not None and ((table["cohort"] == cell[0]) & (table["period"] == cell[1])).any():
        x, y = columns.index(labels[cell[1]]), rows.index(row_of[cell[0]])
        figure.add_shape(
            type="rect",
            x0=x - 0.5,
            x1=x + 0.5,
            y0=y - 0.5,
            y1=y + 0.5,
            line={"color": "#d62728", "width": 3},
            name="chosen cell",
        )
    return figure


CELL_TRACE = "cells"


def _add_cell_targets(
    figure: go.Figure, cohort_table: CohortTable, row_of: dict[pd.Timestamp, str], columns: list[str]
) -> None:
    """One invisible marker per cell for the tooltip and the click, and silent ones on the grid's empty places
    (so that hovering there names no neighbouring cell)."""
    table, period = cohort_table.frame, cohort_table.query.period
    column = cohort_table.measure_column
    labels = cohort_table.period_labels
    cells = table.sort_values(["cohort", "period"])
    measure = "Revenue per user %{customdata[6]:,.2f}" if column == "value" else "Retention %{customdata[6]:.1%}"
    shown = "Cohort %{customdata[2]}<br>%{customdata[3]}<br>%{customdata[4]:,} of %{customdata[5]:,} users active<br>"
    templates = [
        shown + measure + ("" if complete else "<br><i>period still in progress</i>") + "<extra></extra>"
        for complete in cells["complete"]
    ]
    customdata = [
        [f"{c:%Y-%m-%d}", int(n), f"{c:{LABEL_FORMATS[period]}}", label(cohort_table.period_name(n)), int(a), int(u), v]
        for c, n, a, u, v in zip(
            cells["cohort"], cells["period"], cells["active_users"], cells["cohort_users"], cells[column], strict=True
        )
    ]
    invisible = {"marker": {"opacity": 0}}
    figure.add_scatter(
        x=cells["period"].map(labels).tolist(),
        y=cells["cohort"].map(row_of).tolist(),
        mode="markers",
        name=CELL_TRACE,
        marker={"opacity": 0, "size": 12, "symbol": "square"},
        selected=invisible,
        unselected=invisible,
        customdata=customdata,
        hovertemplate=templates,
        showlegend=False,
    )
    filled = set(zip(cells["cohort"].map(row_of), cells["period"].map(labels), strict=True))
    empty = [(row, col) for row in row_of.values() for col in columns if (row, col) not in filled]
    if empty:
        figure.add_scatter(
            x=[col for _, col in empty],
            y=[row for row, _ in empty],
            mode="markers",
            name="no cell",
            marker={"opacity": 0, "size": 12},
            selected=invisible,
            unselected=invisible,
            hoverinfo="none",
            showlegend=False,
        )


def cell_of_point(point: Mapping[str, Any]) -> tuple[pd.Timestamp, int] | None:
    """The cell (cohort start, period) of a selected point of :func:`cohort_heatmap`; None for any other point."""
    data = point.get("customdata")
    if not isinstance(data, list | tuple) or len(data) < 2:
        return None
    try:
        return pd.Timestamp(data[0]), int(data[1])
    except (TypeError, ValueError):
        return None


def _mean_line(
    figure: go.Figure, curve: pd.DataFrame, *, name: str, colour: str, labels: dict, column: str, width: int = 4
) -> None:
    """One mean curve: solid where it rests on enough cohorts, then dotted and faded, every hover saying on how
    many cohorts the point rests (the columns of :meth:`~retention.cohorts.CohortTable.mean_curve`)."""
    value = "%{y:,.2f} per user" if column == "value" else "%{y:.1%}"
    solid, faded = curve[curve["enough"]], curve[~curve["enough"]]
    if len(solid) and len(faded):  # the faded part starts where the solid one ends, so the line does not break
        faded = pd.concat([solid.tail(1), faded])
    for rows, dash, opacity, note in ((solid, "solid", 1.0, ""), (faded, "dot", 0.45, " (too few to trust)")):
        if rows.empty:
            continue
        figure.add_scatter(
            x=rows["period"].map(labels),
            y=rows[column],
            mode="lines+markers",
            line={"width": width, "color": colour, "dash": dash},
            marker={"size": 4},
            opacity=opacity,
            name=label(name) if dash == "solid" else f"{label(name)}: too few cohorts",
            legendgroup=name,
            showlegend=dash == "solid" or solid.empty,
            customdata=rows[["cohorts"]].to_numpy(),
            meta=label(name),  # the name from data goes through meta, never into the template itself
            hovertemplate=f"%{{meta}}: {value} over %{{customdata[0]}} cohorts{note}<extra></extra>",
        )


def _layout_curves(figure: go.Figure, cohort_table: CohortTable) -> go.Figure:
    column = cohort_table.measure_column
    figure.update_layout(
        xaxis={"title": _period_axis(cohort_table), "type": "category"},
        yaxis={
            "title": "Revenue per cohort user" if column == "value" else "Retention",
            "tickformat": "" if column == "value" else ".0%",
        },
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 20},
    )
    return figure


def retention_curves(
    cohort_table: CohortTable,
    mean: pd.DataFrame,
    chosen: list[pd.Timestamp],
    marks: pd.DataFrame | None = None,
    *,
    mean_name: str = "Mean of all cohorts (size-weighted)",
) -> go.Figure:
    """Lines of the chosen cohorts (complete cells only) and the size-weighted mean curve (thick, black), named
    ``mean_name`` (the segment's, with a breakdown).

    ``mean`` is :meth:`~retention.cohorts.CohortTable.mean_curve` of ``cohort_table`` (one segment's rows, no
    ``segment`` column): its points resting on too few cohorts are dotted and faded, and every hover says on how
    many cohorts a point rests. ``marks`` is :meth:`~retention.cohorts.CohortTable.mark_points`: a triangle on a
    cohort's line at the period where a campaign launch, import or note falls, its hover naming it.
    """
    if "segment" in mean.columns and mean["segment"].nunique() > 1:
        raise ValueError("draw the mean of one segment here; compare segments with segment_curves")
    table, period = cohort_table.frame, cohort_table.query.period
    column = cohort_table.measure_column
    labels = cohort_table.period_labels
    figure = go.Figure()
    for cohort in chosen:
        rows = table[(table["cohort"] == cohort) & table["complete"]].sort_values("period")
        figure.add_scatter(
            x=rows["period"].map(labels), y=rows[column], mode="lines+markers", name=f"{cohort:{LABEL_FORMATS[period]}}"
        )
    _mean_line(figure, mean, name=mean_name, colour="black", labels=labels, column=column)
    if marks is not None and not marks.empty:
        for kind, rows in marks.groupby("kind", sort=False):
            ongoing = rows["in_progress"].astype(bool)
            figure.add_scatter(
                x=rows["period"].map(labels),
                y=rows["y"],
                mode="markers",
                marker={
                    "symbol": ["triangle-down-open" if now else "triangle-down" for now in ongoing],
                    "size": 13,
                    "color": MARK_COLOURS.get(kind, "#7f7f7f"),
                    "line": {"width": 2},
                },
                name=PLURALS.get(kind, str(kind)),
                text=[
                    f"{c:{LABEL_FORMATS[period]}}: {text}" + (" (in this period, still in progress)" if now else "")
                    for c, text, now in zip(rows["cohort"], escaped(rows["label"]), ongoing, strict=True)
                ],
                hovertemplate=f"{KIND_LABELS.get(kind, kind)} (cohort %{{text}})<extra></extra>",
            )
    return _layout_curves(figure, cohort_table)


def segment_curves(cohort_table: CohortTable, curves: pd.DataFrame) -> go.Figure:
    """The mean curves of compared segments side by side: "All" in black, each segment in its own colour.

    ``curves`` is :meth:`~retention.cohorts.CohortTable.segment_curves` (at most :data:`MAX_COMPARED` segments
    besides "All", so that no two share a colour); points resting on too few cohorts are dotted and faded.
    """
    column, labels = cohort_table.measure_column, cohort_table.period_labels
    figure = go.Figure()
    colours = iter(SEGMENT_COLOURS)
    for name, rows in curves.groupby("segment", sort=False):
        pooled = name == ALL_SEGMENTS
        colour = "black" if pooled else next(colours, "#7f7f7f")
        _mean_line(figure, rows, name=str(name), colour=colour, labels=labels, column=column, width=4 if pooled else 2)
    return _layout_curves(figure, cohort_table)


def lifecycle_bars(life: pd.DataFrame, *, period: str = "month", marks: pd.DataFrame | None = None) -> go.Figure:
    """Stacked bars of new, returning and resurrecting customers above zero and dormant ones below.

    The period in progress is drawn faded. ``marks`` (:func:`retention.annotations.marks`, cut to the bars'
    dates) are drawn on the time axis with :func:`~retention.charts.annotations.mark_dates`.
    """
    figure = go.Figure()
    opacity = np.where(life["complete"], 1.0, 0.45)
    for column, colour in LIFECYCLE_COLOURS.items():
        figure.add_bar(
            x=life["period_start"],
            y=life[column],
            name=column.capitalize(),
            marker={"color": colour, "opacity": opacity},
            hovertemplate=f"{column.capitalize()}: %{{y:,}}<extra></extra>",
        )
    figure.update_layout(
        barmode="relative",
        xaxis_title=f"{period.capitalize()} starting",
        yaxis_title="Customers (dormant below zero)",
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 20},
    )
    return figure if marks is None else mark_dates(figure, marks)
