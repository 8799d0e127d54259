"""The Campaigns page under AppTest: no scores, building and simulating, launching once, measuring."""

from __future__ import annotations

import pytest
from conftest import app_page
from page_jobs import settled
from test_page_campaign_audience import page_default_audience

from retention import campaigns, jobs, warehouse
from retention.campaigns import simulation_job
from retention.campaigns.response import simulate_response

PAGE = "campaigns.py"
TIMEOUT = 180


def _query(path: str, sql: str, params=None):
    con = warehouse.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _audience_size(path: str, min_risk: float) -> int:
    """The audience the builder's defaults select at ``min_risk``: its exclusions on (see test_campaigns_exclusions)."""
    with warehouse.session(path) as con:
        return len(campaigns.select_audience(con, page_default_audience(min_risk)))


def test_without_scores_the_page_says_what_it_needs(sample_db, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", sample_db)
    at = app_page(PAGE, timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Campaigns"
    assert any("Warehouse:" in caption.value for caption in at.sidebar.caption)  # app.py's sidebar: via the router
    assert any("score customers on the At-risk users page first" in info.value for info in at.info)
    assert any("No campaigns yet" in info.value for info in at.info)


def test_builder_shows_the_audience_and_simulates(writable_db):
    at = app_page(PAGE, timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {metric.label: metric.value for metric in at.metric}
    expected = _audience_size(writable_db, 0.5)
    assert 0 < expected < _query(writable_db, "SELECT count(*) FROM scores WHERE risk >= 0.5")[0][0]
    assert metrics["Customers in audience"] == f"{expected:,}"
    as_of = _query(writable_db, "SELECT max(as_of) FROM scores")[0][0]
    scoring = f"Churn scores as of {as_of:%Y-%m-%d} (60-day horizon, model test-v1)"
    assert any(caption.value.startswith(scoring) for caption in at.caption)  # the audience names its scoring
    at.slider(key="aud-min-risk").set_value(80).run()  # percent
    expected = _audience_size(writable_db, 0.8)
    assert {m.label: m.value for m in at.metric}["Customers in audience"] == f"{expected:,}"
    # Shares are entered in percent and reach the config as shares.
    at.slider(key="tgt-holdout").set_value(20).run()
    assert any("20% held out" in markdown.value for markdown in at.markdown)
    # The simulation is a job of the server: its progress first (unless it was quicker), then its result.
    started = jobs.recent(writable_db).query("kind == 'campaign_simulation'")
    job = jobs.get(writable_db, int(started["job_id"].iloc[0]))
    assert job.started_by == "app" and job.params["config"]["holdout_share"] == 0.2
    if job.running:
        assert len(at.get("progress")) == 1
    at = settled(at, writable_db)
    simulated = [frame.value for frame in at.dataframe if "net_value_median" in frame.value.columns]
    assert simulated and simulated[0]["arm"].tolist() == ["discount_email", "recommendations_email", "total"]
    assert {button.label for button in at.get("download_button")} >= {
        "Download the simulation",
        "Download the comparison",
    }
    # It is what the job recorded, and the library computes the same from the same members.
    job = jobs.get(writable_db, job.job_id)
    assert job.status == "done"
    recorded = simulation_job.from_result(job.result)
    config = campaigns.parse_config(job.params["config"])
    with warehouse.session(writable_db) as con:
        members = campaigns.plan_members(campaigns.select_audience(con, config.audience), config)
    assert recorded.members == len(members)
    assert simulated[0]["members"].iloc[-1] == (members["arm"] != campaigns.CONTROL).sum()
    again = campaigns.summary_table(campaigns.simulate(members, config))
    assert simulated[0]["net_value_median"].tolist() == pytest.approx(again["net_value_median"].tolist())
    assert len(recorded.simulation.draws) == config.draws

    # A reload (a new session with the same settings) shows the saved result, simulating nothing new.
    count = len(jobs.recent(writable_db))
    reload = app_page(PAGE, timeout=TIMEOUT).run()
    reload.slider(key="aud-min-risk").set_value(80).run()
    reload.slider(key="tgt-holdout").set_value(20).run()
    assert not reload.get("progress") and len(jobs.recent(writable_db)) == count
    shown = [frame.value for frame in reload.dataframe if "net_value_median" in frame.value.columns]
    assert shown[0]["net_value_median"].tolist() == simulated[0]["net_value_median"].tolist()


def test_launch_needs_confirmation_and_happens_once(writable_db):
    at = app_page(PAGE, timeout=TIMEOUT).run()
    assert not [button for button in at.button if button.key == "launch-confirm"]
    at.button(key="launch").click().run()  # "Launch campaign…" only asks
    assert not at.exception, [e.value for e in at.exception]
    assert _query(writable_db, "SELECT count(*) FROM campaigns")[0][0] == 0
    at.button(key="launch-confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Launched campaign 1" in message.value for message in at.success)
    labels = [button.label for button in at.get("download_button")]
    assert any(label.startswith("Download arm discount_email") for label in labels)
    assert not any("control" in label for label in labels)
    # The same audience now belongs to campaign 1, which is being measured: the builder leaves it out, so no
    # second launch is offered (a double submit that gets through anyway returns campaign 1: test_write_races).
    assert any("campaigns still being measured are left out" in error.value for error in at.error)
    assert not [button for button in at.button if button.key in ("launch", "launch-confirm")]
    assert _query(writable_db, "SELECT count(*) FROM campaigns")[0][0] == 1


def test_results_view_measures_and_proposes_the_next_wave(writable_db):
    con = warehouse.connect(writable_db)
    try:
        config = campaigns.parse_config(
            {
                "name": "Page results",
                "audience": {},
                "holdout_share": 0.3,
                "arms": [{"name": "discount", "template": "discount_email", "uplift": [0.05, 0.1, 0.2]}],
            }
        )
        campaign_id = campaigns.launch(con, config).campaign_id
        simulate_response(con, campaign_id, {"discount": 0.3})
    finally:
        con.close()
    # Settled first: a simulation ending on the Build tab reruns the page, which would drop a click made meanwhile.
    at = settled(app_page(PAGE, timeout=TIMEOUT).run(), writable_db)
    assert not at.exception, [e.value for e in at.exception]
    results = [frame.value for frame in at.dataframe if "retention_diff" in frame.value.columns]
    assert results and results[0]["arm"].tolist() == ["control", "discount"]
    assert at.data_editor(key="wave-split").value["share"].sum() == pytest.approx(1.0)
    # Everyone scored was in this wave, so the proposed next wave has nobody left: a message, nothing written.
    at.button(key="next-wave").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("audience is empty" in error.value for error in at.error)
    assert _query(writable_db, "SELECT count(*) FROM campaigns")[0][0] == 1
    at.button(key="record").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _query(writable_db, "SELECT status FROM campaigns WHERE campaign_id = ?", [campaign_id])[0][0] == "measured"


def test_a_saved_draft_is_launched_from_the_results_tab(writable_db):
    at = app_page(PAGE, timeout=TIMEOUT).run()
    at.button(key="save-draft").click().run()
    assert any("Saved draft campaign 1" in message.value for message in at.success)
    assert _query(writable_db, "SELECT status FROM campaigns")[0][0] == "draft"
    at.run()
    assert any("is a draft" in info.value for info in at.info)
    at.button(key="launch-draft").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (
        _query(
            writable_db, "SELECT status, count(*) FROM campaign_members JOIN campaigns USING (campaign_id) GROUP BY ALL"
        )[0][0]
        == "launched"
    )


def test_an_invalid_build_shows_its_error_and_the_other_tabs_still_render(writable_db):
    at = app_page(PAGE, timeout=TIMEOUT).run()
    at.number_input(key="arm-discount_email-low").set_value(50.0).run()  # percent, above the likely 6%
    assert not at.exception, [e.value for e in at.exception]
    assert any("low <= likely <= high" in error.value for error in at.error)
    assert not [frame for frame in at.dataframe if "net_value_median" in frame.value.columns]
    assert any("Build a valid campaign on the first tab" in info.value for info in at.info)
    assert any("No campaigns yet" in info.value for info in at.info)
    # Fixed, and on a scoring date picked by hand (a date inside the cached audience's key).
    at.selectbox(key="aud-as-of").select(at.selectbox(key="aud-as-of").options[1]).run()
    at.number_input(key="arm-discount_email-low").set_value(2.0).run()
    assert not at.error
    expected = _audience_size(writable_db, 0.5)
    assert {m.label: m.value for m in at.metric}["Customers in audience"] == f"{expected:,}"


def test_the_arms_run_picker_preselects_the_best_comparable_run_and_warns_about_others(writable_db):
    from retention.recommend import choice, evaluate, runs, saved

    with warehouse.session(writable_db, write=True) as con:
        version = saved.feedback_version(con)
        split = {"kind": "time", "mode": "repeat"}
        made = {
            name: runs.save_run(con, evaluate.Evaluation(model, {}, split, 10, {"ndcg_at_k": ndcg}, 0.1, 0.1), name, v)
            for name, model, ndcg, v in [
                ("Buy again", "popularity", 0.3, version),
                ("Lucky", "random", 0.9, version),
                ("Old", "svd", 0.95, "older feedback"),
            ]
        }
        options = choice.run_options(con)
    at = app_page(PAGE, timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="arm-recommendations_email-run")
    assert picker.value == made["Buy again"]
    assert picker.options == options["label"].tolist()
    assert picker.options[0] == f"#{made['Buy again']} Buy again · repeat-aware · NDCG@10 0.300"
    assert not any(warning.value.startswith("Run #") for warning in at.warning)
    picker.set_value(made["Lucky"]).run()
    assert any(warning.value.startswith(f"Run #{made['Lucky']}: random lists") for warning in at.warning)
