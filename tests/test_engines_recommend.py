"""Recommenders on a lake: the feedback read on Spark equals the feedback read by DuckDB on the same lake, and
``recommenders compare --engine spark`` scores every deterministic model as ``--engine duckdb`` does, with
Spark MLlib's ALS (offered only on Spark) well above random and the same for one seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from retention import jobs, schema, sql_files, warehouse
from retention.cli import main
from retention.engines import dialect, lake, spark
from retention.errors import DataError
from retention.recommend import choice, evaluate, factor_models, metrics, models, saved, spark_models
from retention.recommend import feedback as fb

DETERMINISTIC = ("popularity", "buy_again", "history_blend", "ease", "cooccurrence", "als", "random")
K = 5


def both_engines(lake_dir: str):
    """The lake on Spark and on DuckDB (in memory), closed by the caller."""
    return spark.SparkWarehouse(lake_dir, spark.session()), lake.duckdb_warehouse(lake_dir)


def assert_same_feedback(on_spark, on_duckdb, kinds) -> None:
    """Rows per source, every source's default cutoff, its feedback before that cutoff and the products: equal
    on both engines (exactly: ids, ratings, timestamps and dtypes)."""
    assert fb.source_rows(on_spark) == fb.source_rows(on_duckdb)
    for kind in kinds:
        source = fb.feedback_source(on_duckdb, 0.2, kind)
        assert fb.feedback_source(on_spark, 0.2, kind) == source
        expected = fb.load_feedback(on_duckdb, end=source.default_cutoff, kind=kind)
        assert len(expected.frame) > 0
        pd.testing.assert_frame_equal(
            fb.load_feedback(on_spark, end=source.default_cutoff, kind=kind).frame, expected.frame
        )
    pd.testing.assert_frame_equal(fb.products(on_spark), fb.products(on_duckdb))


def test_feedback_equal_on_spark_and_duckdb_for_each_feedback_query_of_the_sample(spark_session, sample_lake):
    on_spark, on_duckdb = both_engines(sample_lake)
    try:
        assert_same_feedback(on_spark, on_duckdb, [fb.RATINGS, fb.COMBINED])  # views: the compare; purchases: retail
    finally:
        on_spark.close()
        on_duckdb.close()


def test_feedback_equal_on_spark_and_duckdb_for_online_retail(spark_session, retail_lake, retail_db):
    on_spark, on_duckdb = both_engines(retail_lake)
    try:
        assert_same_feedback(on_spark, on_duckdb, [fb.PURCHASES])
        full = fb.load_feedback(on_spark)
        pd.testing.assert_frame_equal(full.frame, fb.load_feedback(on_duckdb).frame)
    finally:
        on_spark.close()
        on_duckdb.close()
    with warehouse.session(retail_db) as con:  # the lake holds what the warehouse holds
        pd.testing.assert_frame_equal(full.frame, fb.load_feedback(con).frame)


def test_the_cutoff_quantile_is_spark_percentile_disc_over_epoch_microseconds():
    text = sql_files.statement("recommend_source_cutoff")
    params = {"test_share": 0.2, "kept_out": ["confirmed"], "ratings": False, "purchases": True, "event_types": []}
    (tree,) = dialect.spark_statements(text, params)
    written = dialect.to_spark_sql(tree)
    assert (
        "PERCENTILE_DISC(1 - CAST(0.2 AS DOUBLE)) WITHIN GROUP (ORDER BY UNIX_MICROS(CAST(ts AS TIMESTAMP)))" in written
    )
    assert "TIMESTAMP_MICROS(CAST(" in written and "PERCENTILE_APPROX" not in written


def compare(db: str, lake_dir: str, engine: str, model_names, out, *options: str) -> dict[str, dict]:
    argv = ["recommenders", "compare", "--db", db, "--lake", lake_dir, "--engine", engine, "--spark-master", "local[2]"]
    assert main([*argv, "--models", ",".join(model_names), "--k", str(K), "--out", str(out), *options]) == 0
    return {record["model"]: record for record in json.loads(out.read_text())}


def assert_same_metrics(record: dict, expected: dict) -> None:
    for metric in metrics.METRIC_NAMES:
        if expected[metric] is None:
            assert record[metric] is None, metric
        else:
            assert record[metric] == pytest.approx(expected[metric], abs=1e-9), metric
    assert record["params"] == expected["params"]
    for metric, bounds in expected["intervals"].items():
        assert record["intervals"][metric] == pytest.approx(bounds, abs=1e-9), metric


@pytest.fixture(scope="module")
def compared(spark_session, sample_lake, tmp_path_factory):
    """``recommenders compare`` on the sample lake, once on DuckDB (runs not saved) and once on Spark (with
    MLlib's ALS, its runs saved to a warehouse of its own): the records by model, and the Spark run's warehouse."""
    folder = tmp_path_factory.mktemp("compared")
    on_duckdb = compare(
        str(folder / "duckdb.duckdb"), sample_lake, "duckdb", DETERMINISTIC, folder / "duckdb.json", "--no-save"
    )
    on_spark_db = str(folder / "spark.duckdb")
    on_spark = compare(on_spark_db, sample_lake, "spark", (*DETERMINISTIC, spark_models.NAME), folder / "spark.json")
    return on_duckdb, on_spark, on_spark_db


def test_compare_on_spark_scores_every_deterministic_model_as_duckdb_does(compared, sample_lake):
    on_duckdb, on_spark, db = compared
    assert list(on_duckdb) == list(DETERMINISTIC) and list(on_spark) == [*DETERMINISTIC, spark_models.NAME]
    for name in DETERMINISTIC:
        assert_same_metrics(on_spark[name], on_duckdb[name])
        assert on_spark[name]["feedback"] == on_duckdb[name]["feedback"] == fb.VIEWS  # the sample's default
    assert on_duckdb["ease"]["ndcg_at_k"] > 2 * on_duckdb["random"]["ndcg_at_k"]  # a real comparison, not zeros
    assert spark_models.NAME not in models.MODELS  # offered only while the Spark engine was in use
    (job,) = jobs.recent(db).itertuples()  # the job says where its feedback was read
    assert json.loads(job.params)["engine"] == "spark" and json.loads(job.params)["lake"] == str(
        Path(sample_lake).resolve()
    )
    assert job.status == "done"


def test_mllib_als_beats_random_is_seeded_and_its_saved_model_scores_without_spark(compared, sample_lake):
    _, on_spark, db = compared
    als = on_spark[spark_models.NAME]
    assert als["ndcg_at_k"] > 4 * on_spark["random"]["ndcg_at_k"], (als["ndcg_at_k"], on_spark["random"]["ndcg_at_k"])
    assert als["precision_at_k"] > 3 * on_spark["random"]["precision_at_k"]
    assert als["params"] == {
        "rank": 32,
        "reg_param": 0.1,
        "alpha": 1.0,
        "weighting": "rating",
        "max_iter": 10,
        "seed": 0,
    }
    on_duckdb = lake.duckdb_warehouse(sample_lake)
    try:
        split = evaluate.make_split(on_duckdb, evaluate.SplitQuery())
    finally:
        on_duckdb.close()
    with spark_models.offered():  # a second fit, on the split DuckDB read: the same metrics for the same seed
        again = evaluate.evaluate_model(spark_models.NAME, split, k=K)
    assert again.metrics["ndcg_at_k"] == pytest.approx(als["ndcg_at_k"], abs=1e-9)
    assert again.metrics["coverage"] == pytest.approx(als["coverage"], abs=1e-9)
    version = choice.lake_feedback_version(sample_lake)
    with warehouse.session(db) as con:
        recommender = saved.load_model(con, als["run_id"], data_version=version)
        assert saved.load_model(con, als["run_id"]) is None  # the warehouse's own feedback is not the lake's
        with pytest.raises(DataError, match="fits only on the Spark engine.*--engine spark --lake DIR"):
            saved.recommender_for_run(con, als["run_id"])  # and DuckDB cannot refit it
    assert isinstance(recommender.model, factor_models.FactorModel)
    assert recommender.model.user_factors.shape[1] == 32
    users = list(recommender.model.users[:3])
    table = recommender.recommend(users, k=K)
    assert table.groupby(schema.COL_USER).size().to_dict() == dict.fromkeys(users, K)
    assert (table["source"] == "model").all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--engine", "duckdb", "--models", "popularity,mllib_als"], "mllib_als (Spark MLlib's ALS) runs only on the"),
        (["--models", "mllib_als"], "runs only on the Spark engine: add --engine spark --lake DIR"),
        (["--engine", "spark", "--models", "popularity"], "--engine spark reads a lake: give --lake DIR"),
        (["--lake", "no-such-lake", "--models", "popularity"], "lake folder 'no-such-lake' does not exist"),
        (["--models", ""], "--models is empty"),
    ],
)
def test_mllib_als_is_refused_off_spark_and_a_lake_is_checked_first(tmp_path, capsys, argv, message):
    assert main(["recommenders", "compare", "--db", str(tmp_path / "w.duckdb"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_the_registry_neither_lists_mllib_als_nor_imports_pyspark():
    code = (
        "import sys; from retention.recommend import models, spark_models; "
        "assert 'mllib_als' not in models.MODELS and 'mllib_als' not in models.default_models(); "
        "assert 'pyspark' not in sys.modules, 'pyspark imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
