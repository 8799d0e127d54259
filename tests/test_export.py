"""CSV exports neutralise spreadsheet formulas."""

import io

import pandas as pd

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
