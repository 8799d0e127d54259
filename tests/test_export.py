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


def test_write_csv_writes_the_safe_bytes_with_crlf_lines(tmp_path):
    frame = pd.DataFrame({"name": ["@home", "plain"], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    path = tmp_path / "out.csv"
    export.write_csv(frame, path)
    assert path.read_bytes() == export.to_csv_bytes(frame)
    assert path.read_bytes().split(b"\r\n")[:3] == [b"name,when", b"'@home,2024-01-01", b"plain,2024-01-02"]
