"""The CLI boundary: file-system and DuckDB failures are one ``error:`` line with status 2, never a traceback.

Arguments are checked before any work (a bad date or a negative count never trains a model); an output path
that is a folder, on a full device (``/dev/full``) or in a folder nobody may write to, and a warehouse in such
a folder, are sentences; a reader that leaves a pipe early (``| head``) ends the command quietly.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config, scored_copy

from retention import cli, rollups, warehouse
from retention.campaigns import config as campaign_config
from retention.churn import snapshots
from retention.cli import main
from retention.cli.at_risk import MAX_HORIZON_DAYS, MIN_HORIZON_DAYS
from retention.errors import DataError, system_error_message

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def read_only_folder(folder: Path):
    """``folder`` made unwritable for the length of the block: immutable for root (whom permissions do not
    stop), permissions 0555 for anyone else."""
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(OSError):  # the folder really refuses a new file
            (folder / "probe").write_text("x")
        yield folder
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def _refused(argv: list[str], capsys) -> str:
    """The one error line of a command that must exit with status 2 (after its notes, if any), with no traceback."""
    assert main(argv) == cli.ERROR_STATUS
    *notes, last = capsys.readouterr().err.splitlines()
    assert last.startswith("error: ") and all(line.startswith("note: ") for line in notes), notes
    return last + "\n"


def _parser_refuses(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


@pytest.fixture
def db(sample_db, tmp_path) -> str:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    return str(path)


def _jobs(db: str) -> int:
    con = warehouse.connect(db, read_only=True)
    try:
        return warehouse.row_count(con, "jobs")
    finally:
        con.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["at-risk", "--top", "-5"], "argument --top: expected a number of at least 0, got -5"),
        (["at-risk", "--threshold", "1.5"], "argument --threshold: expected a number at least 0 and at most 1"),
        (["at-risk", "--threshold", "nan"], "argument --threshold: expected a number"),
        (["at-risk", "--as-of", "notadate"], "argument --as-of: expected a date such as 2024-03-31, got 'notadate'"),
        (["at-risk", "--horizon-days", "3"], f"expected a number from {MIN_HORIZON_DAYS} to {MAX_HORIZON_DAYS}"),
        (["forecast", "--horizon", "0"], "argument --horizon: expected a number from 1 to 104, got 0"),
        (["forecast", "--horizon", "105"], "argument --horizon: expected a number from 1 to 104, got 105"),
        (["forecast", "--workers", "0"], "argument --workers: expected a number of at least 1, got 0"),
        (["forecast", "--changepoint-prior", "0"], "argument --changepoint-prior: expected a number above 0"),
        (["refresh", "--horizon-days", "0"], "argument --horizon-days: expected a number from 7 to 365, got 0"),
        (["recommenders", "compare", "--k", "0"], "argument --k: expected a number of at least 1, got 0"),
        (["recommenders", "compare", "--cutoff", "notadate"], "argument --cutoff: expected a date such as"),
        (["sample", "--users", "0"], "argument --users: expected a number of at least 1, got 0"),
        (["campaign", "export", "--id", "1"], "the following arguments are required: --out-dir"),
    ],
)
def test_bad_arguments_fail_before_any_work(db, capsys, argv, message):
    assert message in _parser_refuses([*argv, "--db", db], capsys)
    assert _jobs(db) == 0  # nothing was trained, scored or recorded


def test_the_horizon_range_of_the_cli_is_the_models(capsys):
    assert (MIN_HORIZON_DAYS, MAX_HORIZON_DAYS) == (snapshots.MIN_HORIZON_DAYS, snapshots.MAX_HORIZON_DAYS)


@pytest.mark.parametrize(
    "argv",
    [["cohorts"], ["at-risk"], ["campaign", "list"], ["recommenders", "compare"], ["non-products", "list"]],
)
def test_out_at_a_folder_or_under_a_file_is_refused_before_any_work(db, tmp_path, capsys, argv):
    assert f"argument --out: '{tmp_path}' is a folder; give the path of a file" in _parser_refuses(
        [*argv, "--db", db, "--out", str(tmp_path)], capsys
    )
    assert f"argument --out: '{db}' is a file, not a folder" in _parser_refuses(
        [*argv, "--db", db, "--out", f"{db}/table.csv"], capsys
    )
    assert _jobs(db) == 0


def test_out_on_a_full_device_is_a_sentence(db, capsys):
    err = _refused(["cohorts", "--db", db, "--out", "/dev/full"], capsys)
    assert err == "error: no space left on the device; free some space and try again\n"


def test_stdout_on_a_full_device_is_a_sentence(db):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "retention", "cohorts", "--db", db],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == cli.ERROR_STATUS
    assert done.stderr == "error: no space left on the device; free some space and try again\n"


def test_out_in_a_folder_nobody_may_write_is_a_sentence(db, tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only_folder(folder):
        err = _refused(["cohorts", "--db", db, "--out", str(folder / "table.csv")], capsys)
    assert f"{str(folder / 'table.csv')!r}" in err
    assert "choose a place you may use, or change its permissions" in err


def test_a_warehouse_in_a_read_only_folder_is_a_sentence(db, tmp_path, capsys):
    folder = tmp_path / "shop"
    folder.mkdir()
    moved = shutil.move(db, folder / "warehouse.duckdb")
    with read_only_folder(folder):
        err = _refused(["at-risk", "--db", str(moved), "--top", "5"], capsys)
    assert "DuckDB may not read or write a file" in err and "the warehouse's folder must be writable" in err
    assert _jobs(str(moved)) == 0  # the failed write left nothing behind


def test_output_piped_into_a_reader_that_leaves_ends_quietly(db, monkeypatch, capsys):
    """``cohorts | head -1``: stdout is a real pipe whose reader has gone, so writing to it fails with EPIPE.

    (Done in-process: in some sandboxes a child's pipe whose reader exits never reports EPIPE.)
    """
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left
    with open(write_end, "w") as pipe:
        monkeypatch.setattr(sys, "stdout", pipe)
        assert main(["cohorts", "--db", db, "--period", "day"]) == cli.BROKEN_PIPE_STATUS
        monkeypatch.undo()
    assert capsys.readouterr().err == ""


def test_corrupt_parquet_input_is_one_line(db, tmp_path, sample_frames, capsys):
    whole = tmp_path / "orders.parquet"
    sample_frames["orders"].head(50).to_parquet(whole)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    _refused(["import", "orders", str(broken), "--db", db], capsys)


def test_an_implausible_date_in_the_warehouse_is_a_sentence_for_the_cli(db, capsys):
    con = warehouse.connect(db)
    try:
        con.execute(
            "INSERT INTO orders SELECT order_id || '-far', user_id, item_id, TIMESTAMP '9999-12-31', quantity, "
            "unit_price, discount, batch_id FROM orders WHERE quantity > 0 LIMIT 1"
        )
        rollups.refresh(con)
    finally:
        con.close()
    err = _refused(["cohorts", "--db", db], capsys)
    assert "9999-12-31" in err and "more than the limit of" in err
    assert "monthly training snapshots" in _refused(["at-risk", "--db", db], capsys)


def _fill_the_full_device() -> None:
    with open("/dev/full", "w") as full:
        full.write("x")
        full.flush()


@pytest.mark.parametrize(
    ("action", "code", "expected"),
    [
        (_fill_the_full_device, errno.ENOSPC, "no space left on the device; free some space and try again"),
        (
            lambda: open("/proc/sys/kernel/version", "w"),  # noqa: SIM115  (refused even to root)
            errno.EACCES,
            "permission denied for '/proc/sys/kernel/version'; choose a place you may use, or change its permissions",
        ),
        (lambda: open("/", "w"), errno.EISDIR, "'/' is a folder; give the path of a file"),  # noqa: SIM115
        (lambda: open("/no/such/folder/x.csv"), errno.ENOENT, "'/no/such/folder/x.csv' does not exist"),  # noqa: SIM115
    ],
)
def test_real_os_errors_read_as_sentences(action, code, expected):
    with pytest.raises(OSError) as caught:
        action()
    assert caught.value.errno == code
    assert system_error_message(caught.value) == expected


# ---------------------------------------------------------------- campaign exports


@pytest.fixture(scope="module")
def scored_db(sample_db, tmp_path_factory) -> str:
    return scored_copy(sample_db, tmp_path_factory.mktemp("cli_errors"))


@pytest.fixture
def campaign_db(scored_db, tmp_path) -> str:
    path = tmp_path / "campaigns.duckdb"
    shutil.copy(scored_db, path)
    return str(path)


@pytest.fixture
def config_file(tmp_path) -> str:
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(basic_config()))
    return str(path)


def _campaigns(db: str) -> int:
    con = warehouse.connect(db, read_only=True)
    try:
        return warehouse.row_count(con, "campaigns")
    finally:
        con.close()


def test_launch_with_out_dir_at_a_file_is_refused_before_launching(campaign_db, config_file, capsys):
    argv = ["campaign", "launch", "--db", campaign_db, "--config", config_file, "--out-dir", config_file]
    assert "is a file, not a folder; give a folder for the files" in _parser_refuses(argv, capsys)
    assert _campaigns(campaign_db) == 0


def test_a_failed_export_is_retried_without_launching_again(campaign_db, config_file, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only_folder(locked):
        argv = ["campaign", "launch", "--db", campaign_db, "--config", config_file, "--out-dir", str(locked / "out")]
        err = _refused(argv, capsys)
    assert err.startswith("error: campaign 1 is launched, but its exports were not written: ")
    assert "campaign export --id 1 --out-dir DIR" in err
    assert _campaigns(campaign_db) == 1

    out = tmp_path / "exports"
    assert main(["campaign", "export", "--db", campaign_db, "--id", "1", "--out-dir", str(out)]) == 0
    written = sorted(out.glob("campaign_1_*.csv"))
    printed = capsys.readouterr().out
    assert written and all(f"wrote {path}" in printed for path in written)
    con = warehouse.connect(campaign_db, read_only=True)
    try:
        members = con.execute(
            "SELECT count(*) FROM campaign_members WHERE campaign_id = 1 AND arm <> 'control'"
        ).fetchone()[0]
    finally:
        con.close()
    assert sum(len(pd.read_csv(path)) for path in written) == members
    assert _campaigns(campaign_db) == 1
    assert "no campaign with id 7" in _refused(
        ["campaign", "export", "--db", campaign_db, "--id", "7", "--out-dir", str(out)], capsys
    )


def test_a_config_excluding_an_unknown_campaign_is_refused(campaign_db, tmp_path, capsys):
    path = tmp_path / "excluding.json"
    path.write_text(json.dumps(basic_config(audience={"min_risk": 0.1, "exclude_campaigns": [99]})))
    for action in ("simulate", "launch"):
        err = _refused(["campaign", action, "--db", campaign_db, "--config", str(path)], capsys)
        assert err == (
            "error: audience.exclude_campaigns names campaign(s) [99] that do not exist; known ids: none yet\n"
        )
    assert _campaigns(campaign_db) == 0


def test_a_recommendations_arm_without_a_run_is_noted_when_no_run_is_saved(campaign_db, config_file, capsys):
    assert main(["campaign", "simulate", "--db", campaign_db, "--config", config_file]) == 0
    assert "note: arm 'recs' sends recommendations but no recommender run is saved" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arm", "runs", "message"),
    [
        (
            {"recommender_run": None},
            {3, 5},
            "arm 'recs' sends recommendations (recommendations_email) but names no "
            "recommender_run; choose one of the saved runs [3, 5]",
        ),
        ({"recommender_run": 4}, {3, 5}, "arm 'recs' names recommender run 4, which is not saved; saved runs: [3, 5]"),
        ({"recommender_run": 4}, set(), "arm 'recs' names recommender run 4, which is not saved; saved runs: none yet"),
    ],
)
def test_recommender_runs_a_config_names_must_be_saved(arm, runs, message):
    data = basic_config()
    data["arms"][1] |= arm
    config = campaign_config.parse_config(data)
    with pytest.raises(DataError) as caught:
        campaign_config.check_references(config, campaign_ids=[1], run_ids=runs)
    assert str(caught.value) == message
    data["arms"][1]["recommender_run"] = 3
    assert campaign_config.check_references(campaign_config.parse_config(data), campaign_ids=[], run_ids={3}) == []
