"""The committed Online Retail slice (see tests/data/README.md) and how its columns map to ours."""

from pathlib import Path

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
