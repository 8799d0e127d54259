"""The Monitoring page's views of the Data freshness and Jobs and refreshes sections."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention.charts import freshness as charts
from retention.monitoring import Check
from retention.ui import common
from retention.ui.monitoring import VIEWS, section, show_checks

TIME_COLUMNS = ("newest_ts", "newest_import", "imported_at", "started_at", "finished_at", "ended_at")
LABELS = {
    "table_name": "Table",
    "rows": st.column_config.NumberColumn("Rows", format="localized"),
    "newest_ts": "Newest timestamp",
    "newest_batch": "Newest batch",
    "newest_import": "Newest import",
    "batch_id": "Batch",
    "source_name": "Source",
    "imported_at": "Imported at",
    "rows_read": st.column_config.NumberColumn("Rows read", format="localized"),
    "rows_loaded": st.column_config.NumberColumn("Rows loaded", format="localized"),
    "rows_rejected": st.column_config.NumberColumn("Rows rejected", format="localized"),
    "reject_rate": st.column_config.NumberColumn("Reject rate", format="percent"),
    "top_reason": "Most common reject reason",
    "run_id": "Run",
    "started_at": "Started",
    "finished_at": "Finished",
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "steps": "What it did",
    "what": "What",
    "started_by": "Started by",
    "ended_at": "Ended",
    "id": "Id",
    "kind": "Kind",
    "status": "Status",
    "error": "Error",
}


def frame(rows: list[dict]) -> pd.DataFrame:
    """A section's rows (JSON-safe dicts, timestamps as ISO text) as a frame with its timestamps parsed."""
    table = pd.DataFrame(rows)
    for column in TIME_COLUMNS:
        if column in table:
            table[column] = pd.to_datetime(table[column])
    return table


def show_table(table: pd.DataFrame) -> None:
    """``table`` with readable headers and its CSV (raw column names) beside it."""
    config = {column: LABELS[column] for column in table.columns if column in LABELS}
    st.dataframe(table, hide_index=True, placeholder="–", column_config=config)


def threshold(checks: tuple[Check, ...], name: str) -> float:
    return next(c.threshold for c in checks if c.name == name)


def _clock_line(numbers: dict) -> str:
    def days(value: float | None) -> str:
        return "–" if value is None else f"{value:,.1f} days"

    newest = numbers["newest_order"] or "none"
    return (
        f"Newest order (the data clock): **{newest[:16].replace('T', ' ')}**. Since the last import: "
        f"**{days(numbers['days_since_last_import'])}**; since an import last loaded orders: "
        f"**{days(numbers['days_since_orders_import'])}**; since the newest order arrived: "
        f"**{days(numbers['days_without_new_orders'])}**."
    )


def freshness_view(path: str, version: str) -> None:
    """Clocks, days since each table's import, rows and reject rate per import batch, newest data per table."""
    built = section(path, version, "freshness")
    numbers = built.numbers
    st.markdown(_clock_line(numbers))
    tables = frame(numbers["tables"])
    stale_days = threshold(built.checks, "freshness.days_since_orders_import")
    if tables["newest_import"].notna().any():
        st.plotly_chart(charts.days_since_import(tables, pd.Timestamp(numbers["now"]), stale_days))
        st.caption(
            f"Worrying: the orders bar past the dashed line, no orders imported for more than {stale_days:g} days "
            "(other tables may be imported less often)."
        )
    batches = frame(numbers["batches"])
    if batches.empty:
        common.show_empty_state("No imports yet: import a file on the Data page.")
    else:
        reject_threshold = threshold(built.checks, "freshness.reject_rate")
        st.plotly_chart(charts.import_batches(batches, reject_threshold))
        st.caption(
            f"Worrying: a red point above the dashed line, an import that rejected more than {reject_threshold:.0%} "
            "of its rows, or bars that shrink from one import of a table to the next."
        )
        with st.expander(f"Import batches ({len(batches):,})"):
            show_table(batches)
            common.download_csv(batches, "import_batches.csv")
    show_table(tables)
    common.download_csv(tables, "newest_data_per_table.csv")
    show_checks(built.checks)


def jobs_view(path: str, version: str) -> None:
    """The newest refresh runs and the failed or interrupted work of the window."""
    built = section(path, version, "jobs")
    numbers = built.numbers
    runs = frame(numbers["refresh_runs"])
    st.subheader("Refresh runs")
    if runs.empty:
        st.info("No refresh has run yet: `python -m retention refresh` imports new files and rescores customers.")
    else:
        show_table(runs)
        common.download_csv(runs, "refresh_runs.csv")
    st.subheader(f"Failed and interrupted work, last {numbers['window_days']} days")
    failures = frame(numbers["failures"])
    if failures.empty:
        st.success("Nothing failed or was interrupted.")
    else:
        show_table(failures)
        common.download_csv(failures, "failed_jobs.csv")
    st.caption(
        "Worrying: any failed job or refresh run (the work it was doing is missing or old); interrupted jobs are "
        "listed but not counted, since a restarted server interrupts them."
    )
    show_checks(built.checks)


VIEWS.add("freshness", freshness_view)
VIEWS.add("jobs", jobs_view)
