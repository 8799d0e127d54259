"""Campaign measurement on a lake (DuckDB and Spark) equals the warehouse file's; refresh refuses Spark; the
lifecycle on Spark equals DuckDB's."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config, scored_copy

from retention import campaigns, engines, warehouse
from retention.campaigns import response
from retention.campaigns.measure import outcomes
from retention.cli import main
from retention.engines import lake

COUNTS = ("members", "retained")
TRUE_UPLIFT = {"discount": 0.2}


@pytest.fixture(scope="module")
def measured_db(sample_db, tmp_path_factory) -> str:
    """A scored copy of the sample warehouse with one launched campaign and its simulated response (a complete
    window), not yet measured."""
    folder = tmp_path_factory.mktemp("engines_measure")
    path = scored_copy(sample_db, folder)
    with warehouse.session(path, write=True) as con:
        launched = campaigns.launch(con, campaigns.parse_config(basic_config()), idempotency_key="engines")
        response.simulate_response(con, launched.campaign_id, TRUE_UPLIFT, seed=3)
    return path


@pytest.fixture(scope="module")
def campaign_lake(measured_db, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("engines_measure_lake")
    lake.export(measured_db, folder)
    return str(folder)


def _copy(db: str, folder: Path, name: str) -> str:
    path = folder / name
    shutil.copy(db, path)
    return str(path)


def _recorded(db: str) -> pd.DataFrame:
    """The recorded result rows of campaign 1: one row per arm, the JSON columns spread out."""
    with warehouse.session(db) as con:
        status = campaigns.get_campaign(con, 1)["status"]
        rows = con.execute("SELECT arm, measured_through, results FROM campaign_results WHERE campaign_id = 1").df()
    assert status == "measured"
    results = pd.DataFrame([json.loads(text) for text in rows["results"]])
    results["measured_through"] = rows["measured_through"].to_numpy()
    return results.sort_values("arm").reset_index(drop=True)


def _assert_same_figures(duck: pd.DataFrame, other: pd.DataFrame, tolerance: float = 1e-9) -> None:
    """Counts, arms and labels exactly, every other column within ``tolerance`` (NaN where the other is NaN)."""
    assert list(other.columns) == list(duck.columns)
    assert other["arm"].tolist() == duck["arm"].tolist()
    for column in duck.columns:
        if duck[column].dtype.kind not in "fiu":
            assert other[column].tolist() == duck[column].tolist(), column
        elif column in COUNTS:
            assert other[column].astype("int64").tolist() == duck[column].astype("int64").tolist(), column
        else:
            mine, theirs = duck[column].astype(float).to_numpy(), other[column].astype(float).to_numpy()
            assert theirs == pytest.approx(mine, rel=0, abs=tolerance, nan_ok=True), column


def test_measure_on_spark_equals_duckdb_on_the_file(spark_session, measured_db, campaign_lake, tmp_path, capsys):
    with warehouse.session(measured_db) as con:
        duck = campaigns.measure(con, 1)
        duck_outcomes = outcomes(con, 1, duck.through)
    assert duck.complete and duck_outcomes["arm"].tolist() == ["control", "discount", "recs"]
    with engines.source(engines.SPARK, lake_dir=campaign_lake) as spark_warehouse:
        spark_outcomes = outcomes(spark_warehouse, 1, duck.through)
    _assert_same_figures(duck_outcomes, spark_outcomes)

    # The commands: DuckDB on the file, Spark on the lake recording into another copy of the same file.
    file_db, spark_db = _copy(measured_db, tmp_path, "file.duckdb"), _copy(measured_db, tmp_path, "spark.duckdb")
    file_csv, spark_csv = tmp_path / "file.csv", tmp_path / "spark.csv"
    assert main(["campaign", "measure", "--db", file_db, "--id", "1", "--out", str(file_csv)]) == 0
    file_err = capsys.readouterr().err
    args = ["--engine", "spark", "--lake", campaign_lake, "--spark-master", "local[2]"]
    assert main(["campaign", "measure", "--db", spark_db, "--id", "1", *args, "--out", str(spark_csv)]) == 0
    spark_err = capsys.readouterr().err
    assert "window complete: recorded, status measured" in file_err
    assert f"window complete: recorded in {spark_db!r}, status measured" in spark_err
    assert [line for line in spark_err.splitlines() if line.startswith("next wave:")] == [
        line for line in file_err.splitlines() if line.startswith("next wave:")
    ]
    # The CSV is rounded for people (to cents at most): a value on a rounding boundary may differ in its last place.
    _assert_same_figures(pd.read_csv(file_csv), pd.read_csv(spark_csv), tolerance=0.01 + 1e-9)
    recorded = _recorded(file_db)
    _assert_same_figures(recorded, _recorded(spark_db))
    # The figures themselves: the simulated 20% uplift of the discount arm is found, and its interval is
    # the one the file's measurement gives.
    discount = recorded.set_index("arm").loc["discount"]
    assert discount["uplift_low"] < discount["uplift"] < discount["uplift_high"]
    assert discount["retention_p"] == pytest.approx(duck.table.set_index("arm").at["discount", "retention_p"])


def test_a_lake_measurement_is_recorded_only_in_the_same_campaigns_warehouse(
    measured_db, campaign_lake, sample_db, tmp_path, capsys
):
    other = _copy(sample_db, tmp_path, "other.duckdb")  # no campaign at all
    before = Path(other).read_bytes()
    lake_args = ["--engine", "duckdb", "--lake", campaign_lake]
    assert main(["campaign", "measure", "--db", other, "--id", "1", *lake_args]) == 0
    out, err = capsys.readouterr()
    assert f"window complete: not recorded in {other!r}: the warehouse has no campaign 1" in err
    assert [row["arm"] for row in csv.DictReader(out.splitlines())] == ["control", "discount", "recs"]
    assert Path(other).read_bytes() == before

    renamed = _copy(measured_db, tmp_path, "renamed.duckdb")
    with warehouse.session(renamed, write=True) as con:
        con.execute("UPDATE campaigns SET idempotency_key = 'another' WHERE campaign_id = 1")
    assert main(["campaign", "measure", "--db", renamed, "--id", "1", *lake_args]) == 0
    assert "its campaign 1 has another idempotency_key ('another', the lake's: 'engines')" in capsys.readouterr().err
    with warehouse.session(renamed) as con:
        assert campaigns.get_campaign(con, 1)["status"] == "launched"

    closed = _copy(measured_db, tmp_path, "closed.duckdb")
    with warehouse.session(closed, write=True) as con:
        campaigns.close(con, 1)
    assert main(["campaign", "measure", "--db", closed, "--id", "1", *lake_args]) == 0
    assert "window complete, but the campaign is closed: not recorded" in capsys.readouterr().err

    missing = tmp_path / "missing.duckdb"
    assert main(["campaign", "measure", "--db", str(missing), "--id", "1", *lake_args]) == 0
    assert f"not recorded, there is no warehouse file {str(missing)!r} (--db)" in capsys.readouterr().err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["refresh", "--engine", "spark"], "error: refresh runs on DuckDB only: it imports the inbox"),
        (["campaign", "measure", "--id", "1", "--engine", "spark"], "error: the Spark engine reads a lake"),
        (["campaign", "measure", "--id", "1", "--lake", "no-such-lake"], "error: lake folder 'no-such-lake' does"),
    ],
)
def test_engine_refusals(args, message, tmp_path, capsys):
    db = tmp_path / "warehouse.duckdb"
    assert main([*args, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.strip().splitlines()) == 1
    assert not db.exists()  # refused before the warehouse was created
