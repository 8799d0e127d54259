"""A new user's walk on real shop data: an empty warehouse, the Online Retail slice imported, forecasts exported.

Every forecast row has an 80% interval or says why it has none, and the exported CSVs carry numbers
rounded for people: no float noise, no ``-0.0``. The slice's customers never come back after their
first month, so a small hand-made file in the same layout adds repeat purchases by December 2010
customers; the naive rows are checked against a plain pandas reading of both raw files.
"""

from __future__ import annotations

import re
from statistics import NormalDist

import numpy as np
import online_retail
import pandas as pd
import pytest

from retention import warehouse
from retention.cli import main
from retention.forecast import baselines, series

ORDER_MAP = [
    part for canonical, column in online_retail.ORDER_MAPPING.items() for part in ("--map", f"{canonical}={column}")
]
NOISE = re.compile(r"\d\.\d{5,}")  # more decimals than any kind of number is written with
NEGATIVE_ZERO = re.compile(r"(^|,)-0(\.0*)?(,|$)", flags=re.MULTILINE)
REPEATS = {  # month of 2011: December 2010 customers of the slice who buy again
    "01": ["17850.0", "13047.0", "12583.0", "13748.0", "15100.0", "15291.0"],
    "02": ["17850.0", "13047.0", "14688.0", "17809.0"],
    "03": ["12583.0", "15311.0", "14527.0", "16098.0", "18074.0"],
    "05": ["17850.0", "13748.0", "15100.0"],
    "06": ["13047.0"],
    "08": ["14688.0", "17809.0", "15311.0"],
}


def _repeat_lines() -> pd.DataFrame:
    rows = [
        (f"59{month}{index:02d}", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "4", f"2011-{month}-14 10:00:00",
         "2.55", customer, "United Kingdom")
        for month, customers in REPEATS.items()
        for index, customer in enumerate(customers)
    ]  # fmt: skip
    columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture(scope="module")
def retail_db(tmp_path_factory) -> str:
    """A warehouse that starts empty and holds only the imported Online Retail slice and the repeat purchases."""
    folder = tmp_path_factory.mktemp("retail_walk")
    path = str(folder / "warehouse.duckdb")
    con = warehouse.connect(path)
    try:
        assert not any(warehouse.has_rows(con, table) for table in ("orders", "users", "products", "events"))
    finally:
        con.close()
    _repeat_lines().to_csv(folder / "repeats.csv", index=False)
    assert main(["import", "orders", str(online_retail.SLICE), "--db", path, *ORDER_MAP]) == 0
    assert main(["import", "orders", str(folder / "repeats.csv"), "--db", path, *ORDER_MAP]) == 0
    return path


def _forecast_csv(db: str, folder, metric: str, period: str) -> tuple[str, pd.DataFrame]:
    out = folder / f"{metric}_{period}.csv"
    args = ["forecast", "--db", db, "--metric", metric, "--period", period, "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    text = out.read_text(encoding="utf-8")
    frame = pd.read_csv(out)
    dates = [column for column in ("ds", "cohort") if column in frame.columns]
    return text, frame.assign(**{column: pd.to_datetime(frame[column]) for column in dates})


def _check_rows(text: str, frame: pd.DataFrame, *, share: bool) -> None:
    assert not NOISE.search(text), NOISE.search(text).group(0)
    assert not NEGATIVE_ZERO.search(text)
    assert len(frame) > 0
    has_interval = frame[["yhat_lower", "yhat_upper"]].notna().all(axis=1)
    has_note = frame["interval_note"].notna()
    assert (has_interval ^ has_note).all()  # an interval, or a note saying why there is none; never both
    bounded = frame[has_interval]
    assert (bounded["yhat_lower"] <= bounded["yhat"]).all() and (bounded["yhat"] <= bounded["yhat_upper"]).all()
    if share:
        values = frame[["yhat", "yhat_lower", "yhat_upper"]].to_numpy(dtype=float)
        assert ((values >= 0) & (values <= 1) | np.isnan(values)).all()


def monthly_retention(lines: pd.DataFrame) -> pd.DataFrame:
    """Monthly first-purchase cohorts of raw Online Retail lines: ``cohort``, ``period``, ``retention``, ``complete``."""
    customers = lines[lines["CustomerID"].str.strip() != ""]
    month = pd.to_datetime(customers["InvoiceDate"]).dt.to_period("M")
    last_month = month.max()  # the month of the data's last order line, still in progress
    purchases = customers[pd.to_numeric(customers["Quantity"]) > 0].assign(month=month)
    first = purchases.groupby("CustomerID")["month"].transform("min")
    active = purchases.assign(cohort=first, period=(purchases["month"] - first).apply(lambda gap: gap.n))
    active = active.drop_duplicates(["CustomerID", "cohort", "period"])
    users = active.groupby(["cohort", "period"]).size()
    sizes = users.xs(0, level="period")
    rows = []
    for cohort, size in sizes.items():
        for period in range((last_month - cohort).n + 1):
            count = users.get((cohort, period), 0)
            rows.append((cohort.start_time, period, count / size, cohort + period < last_month))
    return pd.DataFrame(rows, columns=["cohort", "period", "retention", "complete"])


def test_forecasts_from_an_empty_warehouse_have_intervals_or_notes_and_clean_csvs(retail_db, tmp_path):
    for metric, period in [("active_customers", "week"), ("new_customers", "month"), ("revenue", "month")]:
        text, frame = _forecast_csv(retail_db, tmp_path, metric, period)
        _check_rows(text, frame, share=False)
    _, revenue = _forecast_csv(retail_db, tmp_path, "revenue", "month")
    assert revenue["yhat"].tolist() == [round(value, 2) for value in revenue["yhat"]]

    text, weekly = _forecast_csv(retail_db, tmp_path, "cohort_retention", "week")
    _check_rows(text, weekly, share=True)

    text, monthly = _forecast_csv(retail_db, tmp_path, "cohort_retention", "month")
    _check_rows(text, monthly, share=True)
    # Shares are written with at most 4 decimals.
    assert all(len(value.partition(".")[2]) <= 4 for value in re.findall(r"\d+\.\d+", text))

    lines = pd.concat(
        [pd.read_csv(online_retail.SLICE, dtype=str, keep_default_na=False), _repeat_lines()], ignore_index=True
    )
    reference = monthly_retention(lines)
    history = reference[reference["complete"] & (reference["period"] >= 1)]
    points = history.groupby("cohort")["period"].size()
    existing = monthly[monthly["cohort"].isin(points.index)]
    assert set(existing["cohort"]) == set(points.index)
    # A cohort with a single complete period has no interval and says why; the others have theirs.
    single = set(points.index[points == 1])
    assert single, "the slice has a cohort with a single complete month"
    noted = existing[existing["interval_note"].notna()]
    assert set(noted["cohort"]) == single
    assert set(noted["interval_note"]) == {baselines.NO_SPREAD}
    # The naive forecast is the cohort's last complete retention, held flat (0 is kept off the logit's edge).
    last = history.sort_values("period").groupby("cohort")["retention"].last()
    naive = existing[existing["model"] == "naive"]
    expected = naive["cohort"].map(last).clip(series.SHARE_EPSILON, 1 - series.SHARE_EPSILON).round(4)
    assert naive["yhat"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)
    assert (naive["yhat"] > 0.01).any()  # not only cohorts that never came back
    # Its interval comes from its own month-to-month changes on the logit scale, widening with sqrt(h).
    december = pd.Timestamp("2010-12-01")
    y = history[history["cohort"] == december].sort_values("period")["retention"].clip(0.001, 0.999).to_numpy()
    assert len(y) == 8 and (y > 0.01).sum() >= 4
    logit = np.log(y / (1 - y))
    spread = NormalDist().inv_cdf(0.9) * np.sqrt(np.mean(np.diff(logit) ** 2)) * np.sqrt(np.arange(1, 7))
    rows = existing[existing["cohort"] == december]
    assert rows["model"].eq("naive").all() and rows["interval_note"].isna().all()
    assert rows["yhat_lower"].tolist() == pytest.approx((1 / (1 + np.exp(spread - logit[-1]))).round(4), abs=1e-9)
    assert rows["yhat_upper"].tolist() == pytest.approx((1 / (1 + np.exp(-spread - logit[-1]))).round(4), abs=1e-9)
