"""The churn scoring on a lake: the same features, labels, sample and scores on Spark as on DuckDB."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from retention import churn, warehouse
from retention.cli import main as cli_main
from retention.engines import dialect, lake, spark

EXACT_COLUMNS = [
    "snapshot_date",
    "user_id",
    "recency_days",
    "frequency",
    "tenure_days",
    "orders_30d",
    "orders_90d",
    "orders_prior_90d",
    "rating_min",
    "categories",
    "products",
    "views_since_order",
    "carts_since_order",
    "channel",
    "country",
    "churned",
]
"""Counts, days, keys and labels: equal exactly; the other features (money, shares, means) within 1e-9."""


def assert_same_features(on_spark: pd.DataFrame, on_duckdb: pd.DataFrame) -> None:
    assert list(on_spark.columns) == list(on_duckdb.columns)
    pd.testing.assert_frame_equal(on_spark[EXACT_COLUMNS], on_duckdb[EXACT_COLUMNS], check_exact=True)
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=False, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def retail_on_both(retail_lake, spark_session):
    """The Online Retail slice's lake as DuckDB in memory and as a Spark warehouse."""
    on_duckdb = lake.duckdb_warehouse(retail_lake)
    on_spark = spark.SparkWarehouse(retail_lake, spark_session)
    yield on_duckdb, on_spark
    on_spark.close()
    on_duckdb.close()


def test_round_on_spark_is_duckdbs(spark_session):
    """DuckDB rounds a DOUBLE's exact binary value half away from zero, Spark its shortest decimal half up: the
    translation computes DuckDB's, also where the two part (2.675 is stored a hair below, 0.125 exactly)."""
    rng = np.random.default_rng(4)
    values = np.concatenate(
        [
            rng.uniform(-1000, 1000, 500),
            np.round(rng.uniform(-1000, 1000, 500), 3),
            [2.675, -2.675, 1.005, 0.125, -0.125, 1234.56785, 0.0, 1e17, 45035996273704.9921875],
        ]
    )
    frame = pd.DataFrame({"i": np.arange(len(values)), "x": values})
    sql = "SELECT i, round(x, 2) AS r2, round(x, 4) AS r4, round(x, 0) AS r0, round(x) AS r FROM rounded ORDER BY i"
    expected = duckdb.connect().execute(sql.replace("rounded", "frame")).df()
    spark_session.createDataFrame(frame).createOrReplaceTempView("rounded")
    (tree,) = dialect.spark_statements(sql)
    got = spark_session.sql(dialect.to_spark_sql(tree)).toPandas()
    plain = spark_session.sql(sql).toPandas()
    for column in ("r2", "r4", "r0", "r"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy())
    assert expected["r2"].iloc[-9] == 2.67 and plain["r2"].iloc[-9] == 2.68  # the case the translation is for


def test_retail_features_and_sample_are_the_same_on_spark(retail_on_both):
    """Every feature and label of every customer at every planned snapshot of the Online Retail slice (returns,
    cancellations, postage, prices in pence), and a seeded sample of half the customers drawn alike."""
    on_duckdb, on_spark = retail_on_both
    plan = churn.plan_scoring(on_duckdb)
    assert churn.plan_scoring(on_spark) == plan
    dates = plan.all_dates
    assert len(dates) >= 8
    everyone = churn.snapshot_features(on_duckdb, dates, plan.horizon_days)
    assert everyone["churned"].notna().sum() > 0 and everyone["churned"].isna().sum() > 0
    assert_same_features(churn.snapshot_features(on_spark, dates, plan.horizon_days), everyone)

    sample = churn.CustomerSample(share=0.5, seed=3, available=len(everyone))
    sampled = churn.snapshot_features(on_duckdb, dates, plan.horizon_days, sample=sample)
    assert_same_features(churn.snapshot_features(on_spark, dates, plan.horizon_days, sample=sample), sampled)
    # The sample, by an independent md5: whole customers, their rows unchanged.
    customers = set(everyone["user_id"])
    drawn = {user for user in customers if hashlib.md5(f"{user}:3".encode()).hexdigest()[:12] < sample.below}
    assert set(sampled["user_id"]) == drawn and 0.25 < len(drawn) / len(customers) < 0.75
    kept = everyone[everyone["user_id"].isin(drawn)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sampled, kept)


def test_sample_lake_feature_table_is_the_same_on_spark(sample_lake, spark_session):
    """The 600-user shop (events, ratings, categories, discounts): the feature table a scoring reads, every
    planned snapshot with its label, and the sample it holds."""
    on_duckdb = lake.duckdb_warehouse(sample_lake)
    on_spark = spark.SparkWarehouse(sample_lake, spark_session)
    try:
        plan = churn.plan_scoring(on_duckdb)
        frame, sample = churn.read_features(on_duckdb, plan)
        spark_frame, spark_sample = churn.read_features(on_spark, plan)
    finally:
        on_spark.close()
        on_duckdb.close()
    assert spark_sample == sample and sample.everyone
    assert len(frame) == len(churn.rows_at(frame, plan.all_dates)) > 3000
    assert frame["views_since_order"].sum() > 0 and frame["rating_mean"].notna().any()
    assert_same_features(spark_frame, frame)


def _scores(db: str) -> pd.DataFrame:
    with warehouse.session(db) as con:
        return churn.latest_scores(con).sort_values("user_id").reset_index(drop=True)


def test_at_risk_on_spark_scores_as_duckdb_does(sample_db, sample_lake, spark_session, tmp_path, capsys):
    """``at-risk --engine spark --lake L --db W1`` and ``at-risk --lake L --db W2`` (DuckDB): the same horizon,
    model, score of every customer and flagged list. W1 is the warehouse the lake came from, whose At-risk page
    then finds the run; W2 a new file."""
    source = tmp_path / "source.duckdb"
    shutil.copy(sample_db, source)
    fresh = tmp_path / "fresh.duckdb"
    spark_csv, duckdb_csv = tmp_path / "spark.csv", tmp_path / "duckdb.csv"
    spark_args = ["--engine", "spark", "--spark-master", "local[2]", "--lake", sample_lake, "--db", str(source)]
    assert cli_main(["at-risk", *spark_args, "--include-email", "--out", str(spark_csv)]) == 0
    spark_said = capsys.readouterr().err
    duckdb_args = ["--lake", sample_lake, "--db", str(fresh)]
    assert cli_main(["at-risk", *duckdb_args, "--include-email", "--out", str(duckdb_csv)]) == 0
    duckdb_said = capsys.readouterr().err
    assert spark_said.splitlines()[-4:-1] == duckdb_said.splitlines()[-4:-1]  # summary, verdict, calibration

    flagged = pd.read_csv(spark_csv)
    pd.testing.assert_frame_equal(flagged, pd.read_csv(duckdb_csv))
    assert 0 < len(flagged) < len(_scores(str(source))) and flagged["email"].notna().all()
    on_spark, on_duckdb = _scores(str(source)), _scores(str(fresh))
    assert len(on_spark) == len(on_duckdb) > 500
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=False, rtol=0, atol=1e-9)

    with warehouse.session(source) as con:  # what the At-risk page of the lake's own warehouse loads
        run = churn.saved_run(con, churn.inputs_version(con), on_spark["as_of"][0], int(on_spark["horizon_days"][0]))
    assert run is not None and run.model_version == on_spark["model_version"][0]


def test_at_risk_on_a_lake_keeps_to_its_shop(sample_lake, retail_db, tmp_path, capsys):
    other = tmp_path / "retail.duckdb"
    shutil.copy(retail_db, other)
    assert cli_main(["at-risk", "--lake", sample_lake, "--db", str(other), "--horizon-days", "60"]) == 2
    err = capsys.readouterr().err
    assert "error: the warehouse" in err and "holds another shop than the lake" in err and "Traceback" not in err
    with warehouse.session(other) as con:
        assert churn.latest_scores(con).empty

    assert cli_main(["at-risk", "--engine", "spark", "--db", str(other)]) == 2
    assert "error: the Spark engine reads a lake: give --lake DIR" in capsys.readouterr().err
