"""Data: import files into the warehouse and see what it holds."""

import streamlit as st

from retention import ingest, schema
from retention.ui import common
from retention.ui import data as ui


def import_section() -> None:
    """Upload, preview, column mapping and the import; a file that cannot be read shows why and ends here."""
    uploaded = st.file_uploader(
        "CSV, CSV.gz or Parquet file",
        type=ui.UPLOAD_TYPES,
        key="data_file",
        help="Files too big to upload: `python -m retention import TABLE FILE` reads them from disk.",
    )
    if uploaded is None:
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
    st.caption(f"First {len(head)} rows of {uploaded.name}, as text")
    st.dataframe(head, hide_index=True)

    st.markdown("**Columns** · the table's column on top, the file's column to take it from below; * required")
    mapping = {}
    grid = st.columns(4)
    for position, (column, required, guessed) in enumerate(ui.mapping_options(table, file_columns)):
        choice = grid[position % 4].selectbox(
            f"{column} *" if required else column,
            [ui.NONE, *file_columns],
            index=guessed,
            key=f"map-{uploaded.file_id}-{table}-{column}",
        )
        mapping[column] = None if choice == ui.NONE else choice
    missing = [column for column in schema.REQUIRED_COLUMNS[table] if mapping[column] is None]
    if missing:
        st.warning(f"Choose the file's column for: {', '.join(missing)}.")
    replace = st.checkbox(
        "Replace the earlier import of this file",
        help="A file already imported into this table is refused; with this, the rows of its earlier import are deleted first.",
    )
    if st.button("Import", type="primary", disabled=bool(missing), icon=":material/upload:"):
        with st.spinner(f"Importing {uploaded.name} into {table}…"):
            result = common.attempt(
                ui.run_import,
                table,
                path,
                mapping=mapping,
                sep=sep,
                ts_format=ts_format or None,
                replace=replace,
                source_name=uploaded.name,
            )
        st.session_state["data_result"] = result
        if result is not None:
            st.rerun()  # the sidebar's date range and every page read the new data


def result_section() -> None:
    """What the last import did, with its rejected rows to download."""
    result = st.session_state.get("data_result")
    if result is None:
        return
    st.subheader(f"Imported {result.source_name} into {result.table}")
    tiles = st.columns(4)
    tiles[0].metric("Rows read", f"{result.rows_read:,}")
    tiles[1].metric("Rows loaded", f"{result.rows_loaded:,}")
    tiles[2].metric("Rows rejected", f"{result.rows_rejected:,}")
    tiles[3].metric(
        "Merged duplicates", f"{result.rows_merged:,}", help="Further rows of an id in the file, folded into one."
    )
    if result.replaced_batches:
        st.caption(f"Replaced the rows of batch {', '.join(map(str, result.replaced_batches))}.")
    if result.rows_loaded == 0:
        st.error("No row could be loaded; the reasons are below.")
    if result.rejects_by_reason.empty:
        return
    st.markdown("**Rejected rows by reason**")
    st.dataframe(result.rejects_by_reason, hide_index=True, column_config=ui.REJECT_COLUMNS)
    buttons = st.columns(2)
    with buttons[0]:
        common.download_csv(
            result.rejects_by_reason, f"rejects_summary_batch_{result.batch_id}.csv", "Download the summary"
        )
    with buttons[1]:
        rows = common.attempt(ui.reject_rows, result.batch_id)
        if rows is not None:
            common.download_csv(
                rows,
                f"rejects_batch_{result.batch_id}.csv",
                f"Download the rejected rows (up to {ui.REJECT_ROWS_DOWNLOAD:,})",
            )


def warehouse_section() -> None:
    """The warehouse's tables and its recent imports."""
    st.subheader("Warehouse")
    db_path = common.db_path()
    version = common.attempt(common.data_version)
    if version is None:
        return
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


def non_products_section() -> None:
    """Codes that are not products (postage, fees): the user confirms or rejects the suggestions, or adds one."""
    st.subheader("Non-product codes")
    st.caption(
        "Postage, fees, discounts and manual adjustments are kept out of recommendations and product counts while "
        "suggested or confirmed; their revenue still counts. Reject a code that is a real product."
    )
    if not common.require_rows(schema.ORDERS, "No orders yet: item codes are checked at each orders import."):
        return
    db_path = common.db_path()
    version = common.attempt(common.data_version)
    if version is None:
        return
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
st.subheader("Import a file")
import_section()
result_section()
warehouse_section()
non_products_section()
