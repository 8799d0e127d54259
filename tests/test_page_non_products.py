"""The Data page's "Non-product codes" section: the suggestions listed, confirmed, rejected and added by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import app_page
from online_retail import ORDER_MAPPING, PRODUCT_MAPPING, SLICE
from streamlit.testing.v1 import AppTest

from retention import ingest, non_products, warehouse


@pytest.fixture
def retail_db(tmp_path, monkeypatch) -> str:
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path)
    try:
        ingest.import_file(con, "orders", SLICE, mapping=ORDER_MAPPING)
        ingest.import_file(con, "products", SLICE, mapping=PRODUCT_MAPPING)
        con.execute("DELETE FROM non_products")  # as a warehouse imported before detection existed
    finally:
        con.close()
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def listing(path: str) -> pd.DataFrame:
    con = warehouse.connect(path)
    try:
        return non_products.listing(con).set_index("item_id")
    finally:
        con.close()


def shown(at: AppTest) -> pd.DataFrame:
    tables = [element.value for element in at.dataframe if "reason" in element.value.columns]
    assert len(tables) == 1
    return tables[0].set_index("item_id")


def run(target) -> AppTest:
    """Run the app (or the app of a widget just set or clicked) and check it raised nothing."""
    at = target.run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def test_check_confirm_reject_and_add_by_hand_are_persisted(retail_db):
    at = run(app_page("data.py", timeout=90))
    assert any("No code is flagged" in info.value for info in at.info)
    at = run(at.button(key="non_products_detect").click())
    table = shown(at)
    assert {"POST", "M", "C2"} <= set(table.index) and "85123A" not in table.index
    assert set(table["status"]) == {"suggested"}
    pd.testing.assert_frame_equal(table, listing(retail_db), check_dtype=False)

    at = run(at.multiselect(key="non_products_codes").set_value(["POST"]))
    at = run(at.button(key="non_products_confirmed").click())
    at = run(at.multiselect(key="non_products_codes").set_value(["C2"]))
    at = run(at.button(key="non_products_rejected").click())
    at = run(at.text_input(key="non_products_add").input("22423"))
    at = run(at.button(key="non_products_add_button").click())

    saved = listing(retail_db)
    assert saved.loc[["POST", "C2", "22423", "M"], "status"].tolist() == [
        "confirmed",
        "rejected",
        "confirmed",
        "suggested",
    ]
    assert saved.loc["22423", "reason"] == non_products.BY_HAND
    assert shown(at).loc[["POST", "C2", "22423"], "status"].tolist() == ["confirmed", "rejected", "confirmed"]

    at = run(at.text_input(key="non_products_add").input("NOPE"))
    at = run(at.button(key="non_products_add_button").click())
    assert any("'NOPE' are in no order line" in error.value for error in at.error)
