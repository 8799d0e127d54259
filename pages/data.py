"""Data: import files into the warehouse and see what it holds."""

import streamlit as st

from retention import ingest, sample_shop, schema
from retention.ui import common
from retention.ui import data as ui
from retention.ui import jobs as ui_jobs
from retention.ui import sql_explorer as ui_sql_explorer
from retention.ui import suppression as ui_suppression


def import_section() -> None:
    """Upload, preview, column mapping and the import; a file that cannot be read shows why and ends here."""
    uploaded = st.file_uploader(
        "CSV, CSV.gz or Parquet file",
        type=ui.UPLOAD_TYPES,
        key="data_file",
        help="Files too big to upload: `python -m retention import TABLE FILE` reads them from disk.",
    )
    if uploaded is None:
        ui.forget_upload()
        return
    path = ui.saved_upload(uploaded)
    left, middle, right = st.columns(3)
    table = left.selectbox("Table", schema.IMPORTABLE_TABLES, index=schema.IMPORTABLE_TABLES.index(schema.ORDERS))
    sep = ingest.separator(middle.text_input("Separator", placeholder="detected", help="A character, or 'tab'."))
    ts_format = right.text_input(
        "Timestamp layout",
        placeholder="ISO 8601",
        help="strptime codes such as %m/%d/%Y %H:%M. All-digit values are read as Unix epoch seconds.",
    )
    file_columns = common.attempt(ui.columns, str(path), sep, uploaded.file_id)
    if file_columns is None:
        return
    head = common.attempt(ui.preview, str(path), sep, uploaded.file_id)
    if head is None:
        return
    st.caption(f"First {len(head)} rows of {common.plain(uploaded.name)}, as text")
    st.dataframe(head, hide_index=True)

    mapping = mapping_section(table, file_columns, uploaded.file_id)
    missing = [column for column in schema.REQUIRED_COLUMNS[table] if mapping[column] is None]
    if missing:
        st.warning(f"Choose the file's column for: {', '.join(missing)}.")
    duplicates = "keep"
    if table in schema.APPENDED_TABLES:
        duplicates = st.radio(
            "Exact duplicate lines",
            list(ui.DUPLICATE_CHOICES),
            format_func=ui.DUPLICATE_CHOICES.get,
            horizontal=True,
            key="data_duplicates",
            help="Lines whose every mapped column equals an earlier line's. In an order-lines export they are "
            "copies of one line and would count its revenue twice. Counted either way.",
        )
    replace = st.checkbox(
        "Replace the earlier import of this file",
        help="A file already imported into this table is refused; with this, the rows of its earlier import are deleted first.",
    )
    if st.button("Import", type="primary", disabled=bool(missing), icon=":material/upload:"):
        with st.spinner(f"Importing {common.plain(uploaded.name)} into {table}…"):
            result = common.attempt(
                ui.run_import,
                table,
                path,
                mapping=mapping,
                sep=sep,
                ts_format=ts_format or None,
                replace=replace,
                source_name=uploaded.name,
                duplicates=duplicates,
            )
        st.session_state["data_result"] = result
        if result is not None:
            st.rerun()  # the sidebar's date range and every page read the new data


def mapping_section(table: str, file_columns: list[str], file_id: str) -> dict[str, str | None]:
    """The mapping screen: a file column for each of the table's columns, then for the columns of the other
    tables its file can fill (an orders file: products and users), then the file's columns left unused."""
    st.markdown("**Columns** · the table's column on top, the file's column to take it from below; * required")
    mapping: dict[str, str | None] = {}
    options = ui.mapping_options(table, file_columns)
    for filled in dict.fromkeys(target for _, target, _, _ in options):
        if filled != table:
            st.markdown(f"**Also fill {filled}** from the same lines · one row per id, from its newest line")
        grid = st.columns(4)
        group = [option for option in options if option[1] == filled]
        for position, (column, _, required, guessed) in enumerate(group):
            choice = grid[position % 4].selectbox(
                f"{column} *" if required else column,
                [ui.NONE, *file_columns],
                index=guessed,
                key=f"map-{file_id}-{table}-{column}",
            )
            mapping[column] = None if choice == ui.NONE else choice
    unused = ingest.unused_columns(file_columns, mapping)
    if unused:
        st.caption(f"Not imported: {common.plain(', '.join(unused))}")
    return mapping


def result_section() -> None:
    """What the last import did, with its rejected rows to download."""
    result = st.session_state.get("data_result")
    if result is None:
        return
    st.subheader(f"Imported {common.plain(result.source_name)} into {result.table}")
    tiles = st.columns(4)
    tiles[0].metric("Rows read", f"{result.rows_read:,}")
    tiles[1].metric("Rows loaded", f"{result.rows_loaded:,}")
    tiles[2].metric("Rows rejected", f"{result.rows_rejected:,}")
    if result.table in schema.APPENDED_TABLES:
        done = "dropped: one of each set was loaded" if result.duplicates_policy == "drop" else "kept: all were loaded"
        tiles[3].metric(
            "Duplicate lines", f"{result.duplicates_found:,}", help=f"Exact copies of an earlier line, {done}."
        )
    else:
        tiles[3].metric(
            "Merged rows", f"{result.rows_merged:,}", help="Further rows of an id in the file, folded into one."
        )
    if result.duplicates_found:
        verb = "dropped" if result.duplicates_policy == "drop" else "kept"
        st.caption(f"{result.duplicates_found:,} exact duplicate lines {verb}.")
    if result.filled:
        st.caption(ui.filled_summary(result))
    if result.unused_columns:
        st.caption(f"Not imported: {common.plain(', '.join(result.unused_columns))}")
    if result.non_products_suggested:
        st.info(
            f"{result.non_products_suggested} item codes look like postage, fees or adjustments, not products. They are "
            "kept out of recommendations and product counts until you decide under Non-product codes below."
        )
    if result.replaced_batches:
        st.caption(f"Replaced the rows of batch {', '.join(map(str, result.replaced_batches))}.")
    if result.rows_loaded == 0:
        st.error("No row could be loaded; the reasons are below.")
    if result.rejects_by_reason.empty:
        return
    st.markdown("**Rejected rows by reason**")
    st.dataframe(result.rejects_by_reason, hide_index=True, column_config=ui.REJECT_COLUMNS)
    buttons = st.columns(3)
    with buttons[0]:
        common.download_csv(
            result.rejects_by_reason, f"rejects_summary_batch_{result.batch_id}.csv", "Download the summary"
        )
    with_email = buttons[2].checkbox(
        "Include emails",
        key="data_rejects_email",
        help="Emails inside the rejected rows leave only when you tick this.",
    )
    with buttons[1]:
        rows = common.attempt(ui.reject_rows, result.batch_id, with_email)
        if rows is not None:
            common.download_csv(
                rows,
                f"rejects_batch_{result.batch_id}.csv",
                f"Download the rejected rows (up to {ui.REJECT_ROWS_DOWNLOAD:,})",
            )


def warehouse_section(version: str) -> None:
    """The warehouse's tables and its recent imports."""
    st.subheader("Warehouse")
    db_path = common.db_path()
    summary = common.attempt(ui.table_summary, db_path, version)
    if summary is None:
        return
    st.dataframe(summary, hide_index=True, column_config=ui.SUMMARY_COLUMNS, placeholder="–")
    st.markdown("**Recent imports**")
    batches = common.attempt(ui.recent_batches, db_path, version)
    if batches is None:
        return
    if batches.empty:
        st.info("Nothing imported yet.")
    else:
        st.dataframe(batches, hide_index=True, column_config=ui.BATCH_COLUMNS)


def jobs_section() -> None:
    """The latest jobs (scoring, training, refreshes) of any session or command, with their outcome."""
    st.subheader("Recent jobs")
    recent = common.attempt(ui_jobs.recent)
    if recent is None:
        return
    if recent.empty:
        st.caption("No job has run yet. Scoring customers on the At-risk users page runs as one.")
        return
    st.dataframe(recent, hide_index=True, column_config=ui_jobs.RECENT_COLUMNS)
    common.download_csv(recent, "jobs.csv", "Download the jobs")


def sample_section(version: str) -> None:
    """While the warehouse holds the sample shop: what it is, and "Remove sample data" behind a confirmation."""
    removed = st.session_state.pop("data_sample_removed", None)
    if removed is not None:
        st.success(f"Removed the sample data: {removed}.")
    found = common.attempt(ui.sample_contents, common.db_path(), version)
    if found is None or not found[0]["rows"].any():
        return
    contents, leaves_empty = found
    st.subheader("Sample data")
    then = (
        "Remove it to start with an empty warehouse for your own data."
        if leaves_empty
        else "Remove it to keep only your own imports."
    )
    st.markdown(
        f"{common.SAMPLE_BADGE_LABEL} This warehouse holds the synthetic sample shop: "
        f"{sample_shop.describe(contents, tables=schema.CANONICAL_COLUMNS)}. {then}"
    )
    if not st.session_state.get("data_confirm_remove"):
        if st.button("Remove sample data", icon=":material/delete:", key="sample-remove"):
            st.session_state["data_confirm_remove"] = True
            st.rerun()
        return
    st.warning(
        f"This deletes {sample_shop.describe(contents)}, and the activity rollup is recomputed without them. "
        "Every churn scoring, recommender run and campaign goes too: they were computed with the sample's customers. "
        "Your own imports stay as they are. This cannot be undone."
    )
    confirm, cancel = st.columns(2, gap="small")
    if cancel.button("Cancel", key="sample-remove-cancel"):
        st.session_state["data_confirm_remove"] = False
        st.rerun()
    if confirm.button("Yes, remove the sample data", type="primary", key="sample-remove-confirm"):
        st.session_state["data_confirm_remove"] = False
        with st.spinner("Removing the sample data…"):
            done = common.attempt(ui.remove_sample)
        if done is not None:
            st.session_state["data_sample_removed"] = sample_shop.describe(done)
            st.rerun()  # the sidebar's badge and every page read the warehouse without the sample


def non_products_section(version: str) -> None:
    """Codes that are not products (postage, fees): the user confirms or rejects the suggestions, or adds one."""
    st.subheader("Non-product codes")
    st.caption(
        "Postage, fees, discounts and manual adjustments are kept out of recommendations and product counts while "
        "suggested or confirmed; their revenue still counts. Reject a code that is a real product."
    )
    if not common.require_rows(schema.ORDERS, "No orders yet: item codes are checked at each orders import."):
        return
    db_path = common.db_path()
    listed = common.attempt(ui.non_product_list, db_path, version)
    if listed is None:
        return
    if listed.empty:
        st.info("No code is flagged. Codes are checked at each orders import.")
    else:
        st.dataframe(listed, hide_index=True, column_config=ui.NON_PRODUCT_COLUMNS, placeholder="–")
        common.download_csv(listed, "non_product_codes.csv", "Download the list", key="download-non-products")
        titles = dict(zip(listed["item_id"], listed["title"].fillna(""), strict=True))
        codes = st.multiselect(
            "Codes", list(titles), format_func=lambda code: f"{code} · {titles[code]}", key="non_products_codes"
        )
        buttons = st.columns(2)
        for column, (status, label) in zip(
            buttons, [("confirmed", "Confirm: not products"), ("rejected", "Reject: real products")], strict=True
        ):
            if column.button(label, disabled=not codes, key=f"non_products_{status}"):
                write_and_rerun(ui.save_non_products, dict.fromkeys(codes, status))
    add = st.columns([2, 1, 1], vertical_alignment="bottom")
    code = add[0].text_input("Add a code by hand", key="non_products_add", placeholder="e.g. POST")
    if add[1].button("Add as non-product", disabled=not code.strip(), key="non_products_add_button"):
        write_and_rerun(ui.save_non_products, {code.strip(): "confirmed"})
    if add[2].button("Check all orders", key="non_products_detect", help="Flag codes in orders imported earlier."):
        write_and_rerun(ui.detect_non_products)


def write_and_rerun(write, *args) -> None:
    """Run a write; on success rerun so the list shows it, on failure the message stays on screen."""
    if common.attempt(write, *args) is not None:
        st.rerun()


common.page_header(
    "Data",
    "Import orders, users, products, events or ratings from CSV or Parquet files, and see what the warehouse holds.",
)
version = common.attempt(common.data_version)  # once per run: every write reruns the page
if version is None:
    st.stop()
sample_section(version)
st.subheader("Import a file")
import_section()
result_section()
warehouse_section(version)
ui_sql_explorer.section(version)
non_products_section(version)
ui_suppression.section(version)
jobs_section()
