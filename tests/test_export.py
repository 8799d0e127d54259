"""CSV exports neutralise spreadsheet formulas and round numbers for people."""

import io
import re

import numpy as np
import pandas as pd
import pytest

from retention import export


def test_every_formula_prefix_is_neutralised_and_numbers_are_not():
    frame = pd.DataFrame(
        {
            "text": ["=SUM(A1:A3)", "+1", "-2+3", "@cmd", "\tx", "\ry", "plain", None],
            "amount": [-1.5, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    parsed = pd.read_csv(io.BytesIO(export.to_csv_bytes(frame)), keep_default_na=False)
    assert list(parsed["text"][:6]) == ["'=SUM(A1:A3)", "'+1", "'-2+3", "'@cmd", "'\tx", "'\ry"]
    assert parsed["text"][6] == "plain"
    assert parsed["amount"].tolist() == [-1.5, 2, 3, 4, 5, 6, 7, 8]


def test_given_frame_is_not_mutated():
    frame = pd.DataFrame({"text": ["=1"]})
    export.neutralise_formulas(frame)
    assert frame["text"][0] == "=1"


def test_write_csv_writes_the_safe_bytes_with_crlf_lines(tmp_path):
    frame = pd.DataFrame({"name": ["@home", "plain"], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    path = tmp_path / "out.csv"
    export.write_csv(frame, path)
    assert path.read_bytes() == export.to_csv_bytes(frame)
    assert path.read_bytes().split(b"\r\n")[:3] == [b"name,when", b"'@home,2024-01-01", b"plain,2024-01-02"]


# ---------------------------------------------------------------- rounded for people


def _csv_rows(frame: pd.DataFrame, decimals=None) -> list[list[str]]:
    text = export.to_csv_bytes(frame, decimals).decode("utf-8")
    return [line.split(",") for line in text.split("\r\n") if line]


def test_money_shares_and_counts_are_rounded_by_column_name():
    frame = pd.DataFrame(
        {
            "user_id": ["00123", "12346.0"],
            "revenue": [123725.45000000001, -0.004],
            "net_value_low": [0.1 + 0.2, -78.87907996031745],
            "risk": [0.1234567890123456, -0.00001],
            "revenue_p": [0.00288857039989, 0.6038173398426193],
            "recency_days": [468.0, float("nan")],
            "orders_per_member": [0.90625, 2.0],
            "cohort_users": [11, 44],
        }
    )
    header, *rows = _csv_rows(frame)
    assert header == list(frame.columns)
    assert rows == [
        ["00123", "123725.45", "0.3", "0.1235", "0.0029", "468", "0.9062", "11"],
        ["12346.0", "0.0", "-78.88", "0.0", "0.6038", "", "2.0", "44"],
    ]


def test_counts_with_fractions_keep_decimals_and_unknown_floats_get_four():
    frame = pd.DataFrame({"kept_median": [1.5, 2.0], "fit_seconds": [1 / 3, 2.000000000000001], "ratio_x": [1.0, 2.0]})
    assert _csv_rows(frame)[1:] == [["1.5", "0.3333", "1.0"], ["2.0", "2.0", "2.0"]]
    assert export.column_kind("kept_median") == export.COUNT
    assert export.column_kind("fit_seconds") is None
    assert export.column_kind("revenue_diff_high") == export.MONEY
    assert export.column_kind("retention_diff") == export.SHARE
    assert export.column_kind("Active Customers") == export.COUNT


def test_callers_override_the_rule_per_column():
    frame = pd.DataFrame({"yhat": [312.4449999, 0.123456], "yhat_lower": [2.5, -0.2], "raw": [1 / 3, 0.1 + 0.2]})
    rows = _csv_rows(frame, {"yhat": "money", "yhat_lower": 0, "raw": None})[1:]
    assert rows == [["312.44", "2", repr(1 / 3)], ["0.12", "0", repr(0.1 + 0.2)]]
    with pytest.raises(ValueError, match="decimals for column 'yhat' must be None, a whole number or one of share"):
        export.round_for_people(frame, {"yhat": "percent"})


def test_rounding_leaves_ids_text_dates_integers_and_the_given_frame_alone():
    frame = pd.DataFrame(
        {
            "user_id": pd.array(["u1", None], dtype="string"),
            "item_id": ["85123A", "-1"],
            "ds": pd.to_datetime(["2011-12-01", "2012-01-01"]),
            "period": [1, 2],
            "complete": [True, False],
            "revenue": pd.array([1.005001, None], dtype="Float64"),
        }
    )
    before = frame.copy()
    rounded = export.round_for_people(frame)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(rounded.drop(columns="revenue"), before.drop(columns="revenue"))
    assert rounded["revenue"].dtype == "Float64"
    assert _csv_rows(frame)[1:] == [
        ["u1", "85123A", "2011-12-01", "1", "True", "1.01"],
        ["", "'-1", "2012-01-01", "2", "False", ""],
    ]


def test_no_float_noise_or_negative_zero_survives_in_the_text():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "revenue": rng.normal(0, 1000, 200) + 1e-11,
            "retention": rng.uniform(0, 1, 200) * (1 + 1e-15),
            "value": -rng.uniform(0, 0.004, 200),
            "mae": rng.exponential(3, 200),
        }
    )
    text = export.to_csv_bytes(frame).decode("utf-8")
    assert not re.search(r"\.\d{5,}", text)
    assert not re.search(r"(^|,)-0(\.0+)?(,|\r)", text, flags=re.MULTILINE)
    parsed = pd.read_csv(io.StringIO(text))
    assert parsed["revenue"].to_numpy() == pytest.approx(frame["revenue"].to_numpy(), abs=0.005)
    assert parsed["retention"].to_numpy() == pytest.approx(frame["retention"].to_numpy(), abs=0.00005)
    assert (parsed["value"] == 0).all()
