"""``python -m retention campaign ...``: simulate, launch (idempotent, exports), list, measure, close, bad input."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from test_campaigns_fixtures import basic_config, scored_copy

from retention import campaigns, jobs, warehouse
from retention.campaigns import simulation_job
from retention.cli import main


@pytest.fixture(scope="module")
def scored_db(sample_db, tmp_path_factory) -> str:
    return scored_copy(sample_db, tmp_path_factory.mktemp("campaign_cli"))


@pytest.fixture
def db(scored_db, tmp_path) -> str:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_db, path)
    return str(path)


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(basic_config()))
    return str(path)


def test_simulate_prints_the_summary(db, config_file, capsys):
    assert main(["campaign", "simulate", "--db", db, "--config", config_file]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(out.splitlines()))
    assert [row["arm"] for row in rows] == ["discount", "recs", "total"]
    assert float(rows[2]["kept_low"]) <= float(rows[2]["kept_median"]) <= float(rows[2]["kept_high"])
    assert "members" in err and "2,000 draws" in err
    # The run is a job: its progress on stderr, and the simulation it printed in the job's row.
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert progress == [
        "[  0%] Selecting the audience",
        "[ 30%] Simulated arm 1 of 2 (2,000 draws)",
        "[ 50%] Simulated arm 2 of 2 (2,000 draws)",
        "[ 50%] Comparing the targeting strategies across campaign sizes",
    ]
    job = jobs.get(db, int(jobs.recent(db)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status) == ("campaign_simulation", "cli", "done")
    with warehouse.session(db) as con:
        assert job.params == simulation_job.job_params(campaigns.load_config(config_file), warehouse.data_version(con))
    recorded = campaigns.summary_table(simulation_job.from_result(job.result).simulation)
    medians = [float(row["net_value_median"]) for row in rows]
    assert medians == pytest.approx(recorded["net_value_median"].tolist(), abs=0.005)  # the CSV has cents


def test_launch_twice_with_one_key_then_list_and_measure(db, config_file, tmp_path, capsys):
    out_dir = tmp_path / "exports"
    args = [
        "campaign",
        "launch",
        "--db",
        db,
        "--config",
        config_file,
        "--idempotency-key",
        "K1",
        "--out-dir",
        str(out_dir),
    ]
    assert main(args) == 0
    assert "launched campaign 1" in capsys.readouterr().out
    assert main(args) == 0
    assert "already launched with this idempotency key: campaign 1" in capsys.readouterr().out
    assert sorted(path.name for path in out_dir.iterdir()) == ["campaign_1_discount.csv", "campaign_1_recs.csv"]
    header = (out_dir / "campaign_1_discount.csv").read_text().splitlines()[0]
    assert header == (
        "user_id,arm,risk,reasons,offer_code,recommended_items,recommendation_mode,scores_as_of,score_horizon_days,"
        "scores_model_version"
    )

    assert main(["campaign", "list", "--db", db]) == 0
    listed = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert len(listed) == 1 and listed[0]["status"] == "launched"

    assert main(["campaign", "measure", "--db", db, "--id", "1"]) == 2
    assert "has no orders after its launch" in capsys.readouterr().err

    assert main(["sample", "--db", db, "--simulate-campaign", "1", "--true-uplift", "sms=0.2"]) == 2
    assert "campaign 1 has no arm(s) ['sms']" in capsys.readouterr().err
    assert main(["sample", "--db", db, "--simulate-campaign", "1", "--true-uplift", "discount=0.2"]) == 0
    assert "post-launch order lines for campaign 1" in capsys.readouterr().out
    assert main(["sample", "--db", db, "--simulate-campaign", "1", "--true-uplift", "discount=0.2"]) == 2
    assert "already imported" in capsys.readouterr().err
    results = tmp_path / "results.csv"
    assert main(["campaign", "measure", "--db", db, "--id", "1", "--out", str(results)]) == 0
    err = capsys.readouterr().err
    assert "recorded, status measured" in err and "next wave:" in err
    rows = list(csv.DictReader(results.read_text().splitlines()))
    assert [row["arm"] for row in rows] == ["control", "discount", "recs"]
    assert [row["label"] for row in rows] == ["Control (holdout)", "discount", "recs"]  # arms named in the config
    assert "next wave: Control (holdout) (control): Holdout kept" in err and "next wave: discount: Retention" in err
    wave_file = tmp_path / "wave2.json"
    assert main(["campaign", "next-wave", "--db", db, "--id", "1", "--out", str(wave_file)]) == 0
    wave = json.loads(wave_file.read_text())
    assert wave["name"] == "Win back (wave 2)" and wave["parent_id"] == 1
    assert wave["audience"]["exclude_campaigns"] == [1]
    assert "launch --config" in capsys.readouterr().out
    # Every scored customer with risk >= 0.1 was in wave 1: the second wave has nobody left.
    assert main(["campaign", "launch", "--db", db, "--config", str(wave_file)]) == 2
    assert "audience is empty" in capsys.readouterr().err
    assert main(["campaign", "close", "--db", db, "--id", "1"]) == 0
    assert main(["campaign", "close", "--db", db, "--id", "1"]) == 2
    assert "is closed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["campaign", "measure", "--id", "42"], "error: no campaign with id 42"),
        (["campaign", "simulate", "--config", "missing.json"], "does not exist"),
        (["campaign", "launch", "--config", "EMPTY"], "error: the audience is empty"),
        (["campaign", "simulate", "--config", "NO_UPLIFT"], "uplift is missing"),
        (["campaign", "launch", "--config", "LOW_BUDGET"], "below the cost of one contact"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db, tmp_path, capsys, args, message):
    configs = {
        "EMPTY": basic_config(audience={"min_risk": 0.99, "countries": ["XX"]}),
        "NO_UPLIFT": basic_config(arms=[{"name": "discount", "template": "discount_email"}]),
        "LOW_BUDGET": basic_config(targeting={"strategy": "everyone", "budget": 0.01}),
    }
    args = list(args)
    if args[-1] in configs:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(configs[args[-1]]))
        args[-1] = str(path)
    assert main([*args, "--db", db]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    con = warehouse.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0
    finally:
        con.close()
