"""The committed Online Retail slice (see tests/data/README.md) and how its columns map to ours."""

from pathlib import Path

import pandas as pd

SLICE = Path(__file__).parent / "data" / "online_retail_slice.csv.gz"
ORDER_MAPPING = {
    "order_id": "InvoiceNo",
    "user_id": "CustomerID",
    "item_id": "StockCode",
    "ts": "InvoiceDate",
    "quantity": "Quantity",
    "unit_price": "UnitPrice",
}
PRODUCT_MAPPING = {"item_id": "StockCode", "title": "Description"}
# One import of the order lines that also fills products (title, latest price) and users (country).
LINE_MAPPING = {**ORDER_MAPPING, "title": "Description", "country": "Country"}


def read_lines(path: Path = SLICE) -> pd.DataFrame:
    """The file's lines as text, as pandas reads them (empty fields are "")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def loaded_order_lines(lines: pd.DataFrame, mapping: dict[str, str] = ORDER_MAPPING) -> pd.DataFrame:
    """The lines an orders import with ``mapping`` loads by default: customers' lines, exact duplicates once."""
    customers = lines[lines["CustomerID"] != ""]
    return customers.drop_duplicates(subset=list(mapping.values()))
