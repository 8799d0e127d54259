"""A damaged warehouse file (truncated, or with flipped bytes) reads as a sentence in the CLI and the app.

The damage is made for real on copies of the fixture warehouse: the file cut to half its length, its
header's checksum broken, a block in the middle overwritten. DuckDB notices each one either when it opens
the file or when a read reaches the block; either way the user sees what is wrong and what to do, never a
traceback or an exception box.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, app_page

from retention import cli
from retention.cli import main

PAGES = sorted(path.name for path in (ROOT / "pages").glob("*.py"))
BLOCK = 262144  # DuckDB's block size: the header takes the first 3 x 4 KiB, blocks follow


def _flip(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        data = file.read(length)
        file.seek(offset)
        file.write(bytes(byte ^ 0xFF for byte in data))


def _truncate(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


DAMAGES = {
    "header checksum": lambda path: _flip(path, 0, 8),
    "truncated": _truncate,
    "block overwritten": lambda path: _flip(path, 3 * 4096 + BLOCK + 100, 4096),
}


@pytest.fixture(scope="module", params=sorted(DAMAGES))
def damaged(request, sample_db, tmp_path_factory) -> tuple[str, str]:
    path = tmp_path_factory.mktemp("damaged") / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    DAMAGES[request.param](path)
    return str(path), request.param


@pytest.mark.parametrize(
    "argv", [["info"], ["cohorts"], ["cohorts", "--period", "day", "--by", "country"], ["non-products", "list"]]
)
def test_the_cli_says_the_warehouse_is_damaged(damaged, argv, capsys):
    db, damage = damaged
    status = main([*argv, "--db", db])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if status == 0:  # the damage lies where this command does not read
        assert damage == "block overwritten"
        return
    assert status == cli.ERROR_STATUS
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert "damaged" in captured.err and "restore it from a backup" in captured.err


def test_a_header_checksum_is_found_on_opening(sample_db, tmp_path, capsys):
    db = str(tmp_path / "warehouse.duckdb")
    shutil.copy(sample_db, db)
    DAMAGES["header checksum"](Path(db))
    assert main(["info", "--db", db]) == cli.ERROR_STATUS
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot open warehouse {db!r}: the warehouse file is damaged (")
    assert "checksum" in err


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_a_sentence_not_an_exception(damaged, page, monkeypatch):
    db, damage = damaged
    monkeypatch.setenv("RETENTION_DB", db)
    at = app_page(page).run()
    assert not at.exception, [element.value for element in at.exception]
    errors = [element.value for element in at.error]
    if damage != "block overwritten":  # found on opening, or on the first read of the sidebar
        assert any("damaged" in text and "restore it from a backup" in text for text in errors), errors
    assert all(text[0].isupper() and text.endswith(".") for text in errors), errors
