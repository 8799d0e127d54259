"""The At-risk users page under AppTest: scoring as a job of the server, what it renders, its widgets, and its
messages on bad input.

A page run that finds no scoring of its settings shows the job computing it; a user who waits sees the result on
a later run. :func:`settled` is that user: it runs the page, waits for the job the run showed, and runs again.
"""

from __future__ import annotations

import os

import churn_shops
import pandas as pd
import pytest
from conftest import app_page
from streamlit.testing.v1 import AppTest

from retention import churn, explain, jobs, sample, warehouse
from retention.churn import job as scoring_job

TIMEOUT = 180


def _jobs(path: str):
    return jobs.recent(path)


def settled(at: AppTest) -> AppTest:
    """``at`` after its latest run, once no scoring job runs: waits for each job the page showed, then reruns."""
    path = os.environ["RETENTION_DB"]
    for _ in range(5):
        if not at.get("progress"):
            return at
        for job_id in _jobs(path).query("status == 'running'")["job_id"]:
            jobs.wait(path, int(job_id), timeout=TIMEOUT)
        at.run()
    raise AssertionError("the page kept showing a running job")


def _run(at: AppTest) -> AppTest:
    """Run the page as a user who waits for its scoring."""
    return settled(at.run())


def _build(path, frames) -> str:
    with warehouse.connect(path) as con:
        sample.load_frames(con, frames, source="test")
    return str(path)


@pytest.fixture(scope="module")
def page_db(sample_frames, tmp_path_factory) -> str:
    """A private copy of the 600-user test shop: the page saves its scores."""
    return _build(tmp_path_factory.mktemp("page_at_risk") / "warehouse.duckdb", sample_frames)


@pytest.fixture
def page(page_db, monkeypatch) -> AppTest:
    monkeypatch.setenv("RETENTION_DB", page_db)
    at = _run(app_page("at_risk.py", timeout=TIMEOUT))
    assert not at.exception, [element.value for element in at.exception]
    return at


def _tiles(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _definition(at: AppTest) -> str:
    return next(caption.value for caption in at.caption if "churns" in caption.value)


def _saved_risks(path: str) -> pd.Series:
    with warehouse.connect(path) as con:  # the app holds the file open read-write in this process
        return con.execute("SELECT user_id, risk, reasons FROM scores").df().set_index("user_id")


def test_first_render_shows_quality_flags_and_saves_scores(page, page_db, sample_frames):
    at = page
    assert at.title[0].value == "At-risk users"
    assert [header.value for header in at.subheader] == ["Model quality", "Who is flagged", "Why", "One customer"]
    metrics = at.dataframe[0].value
    assert metrics["label"].tolist() == [
        "ROC AUC",
        "PR AUC",
        "Brier score",
        "Lift in top 10%",
        "Capture rate in top 10%",
    ]
    assert metrics[["model", "baseline"]].notna().all().all()

    saved = _saved_risks(page_db)
    buyers = sample_frames["orders"].query("quantity > 0")["user_id"].nunique()
    assert len(saved) == buyers
    tiles = _tiles(at)
    assert tiles["Customers scored"] == f"{buyers:,}"
    assert tiles["Flagged"] == f"{int((saved['risk'] >= 0.5).sum()):,}"
    flagged = at.dataframe[1].value
    assert len(flagged) == int((saved["risk"] >= 0.5).sum())
    assert flagged["risk"].is_monotonic_decreasing and (flagged["risk"] >= 0.5).all()
    assert flagged["reasons"].tolist() == saved.loc[flagged["user_id"], "reasons"].tolist()
    assert "90 days" in _definition(at)
    assert any(button.label == "Download flagged list" for button in at.get("download_button"))
    assert {"orders", "value", "recency_days", "country", "channel"} <= set(flagged.columns)
    with warehouse.connect(page_db) as con:
        run = churn.latest_scores(con).iloc[0]
    scoring = churn.scoring_label(run["as_of"], run["horizon_days"], run["model_version"])
    assert any(caption.value.startswith(f"From the {scoring}") for caption in at.caption)

    # The verdict, judged on the held-out snapshot, quotes the figures of the metrics table whoever wins.
    said = _verdict(at)
    assert said.startswith("On the held-out snapshot of ")
    table = metrics.set_index("label")
    model, baseline = table.at["ROC AUC", "model"], table.at["ROC AUC", "baseline"]
    assert f"ROC AUC {model:.2f} vs {baseline:.2f}" in said or f"ROC AUC {model:.3f} vs {baseline:.3f}" in said
    lift_model, lift_baseline = table.at["Lift in top 10%", "model"], table.at["Lift in top 10%", "baseline"]
    assert ("fewer churners" in said) == (round(lift_model, 3) < round(lift_baseline, 3))


def _verdict(at: AppTest) -> str:
    boxes = [*at.success, *at.warning, *at.info]
    return next(box.value for box in boxes if box.value.startswith("On the held-out snapshot"))


@pytest.mark.parametrize(
    ("rows", "kind", "words"),
    [
        (churn_shops.recency_only_rows, "warning", "the model does no better than recency alone"),
        (churn_shops.frequency_rows, "success", "the model beats recency alone"),
    ],
    ids=["recency-wins", "model-wins"],
)
def test_verdict_says_which_wins(rows, kind, words, tmp_path, monkeypatch):
    monkeypatch.setenv("RETENTION_DB", churn_shops.build(tmp_path / "shop.duckdb", rows()))
    at = _run(app_page("at_risk.py", timeout=TIMEOUT))
    assert not at.exception, [element.value for element in at.exception]
    said = _verdict(at)
    assert words in said
    assert said in [box.value for box in getattr(at, kind)]


def _scoring_state(path: str) -> tuple[str, int]:
    with warehouse.connect(path) as con:
        return warehouse.data_version(con), con.execute("SELECT count(*) FROM scores").fetchone()[0]


def test_reruns_read_the_saved_run_without_scoring_again(page, page_db):
    """Scoring is an action, not a cached function: a rerun or a new visit neither retrains nor saves again."""
    before = _scoring_state(page_db)
    page.radio[0].set_value("Top N").run()
    assert not page.exception and not page.get("progress")
    again = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not again.get("progress")
    assert not again.exception
    assert again.dataframe[0].value.equals(page.dataframe[0].value)
    assert _scoring_state(page_db) == before


def _counting(monkeypatch, module, names: tuple[str, ...]) -> list[str]:
    """Spy on ``module``'s functions ``names``: each call runs the real function and is noted in the list."""
    calls: list[str] = []
    for name in names:
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return calls


def test_another_session_reads_the_saved_run_and_computes_nothing(page, page_db, monkeypatch):
    """Once a scoring is done, a second session's visit starts no job, explains no customer and computes no
    importance or beeswarm: it shows the first session's run, whose risks are those saved in the warehouse. A write
    the scoring does not read (here another date's scores saved) leaves the run current."""
    last = page.date_input[0].value
    with warehouse.connect(page_db) as con:
        churn.score_customers(con, as_of=last - pd.Timedelta(days=30), horizon_days=90)
    calls = _counting(monkeypatch, explain, ("explain", "global_importance", "beeswarm_points"))
    started = len(_jobs(page_db))

    second = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not second.exception and not second.get("progress")
    assert calls == [] and len(_jobs(page_db)) == started
    flagged = second.dataframe[1].value
    assert flagged.equals(page.dataframe[1].value)
    version = flagged["model_version"].iloc[0]
    with warehouse.connect(page_db) as con:
        saved = con.execute(
            "SELECT user_id, risk, reasons FROM scores WHERE as_of = ? AND horizon_days = 90 AND model_version = ?",
            [last, version],
        ).df()
    expected = saved[saved["risk"] >= 0.5].sort_values(["risk", "user_id"], ascending=[False, True])
    assert flagged["user_id"].tolist() == expected["user_id"].tolist()
    assert flagged["risk"].to_numpy() == pytest.approx(expected["risk"].to_numpy())
    assert flagged["reasons"].tolist() == expected["reasons"].tolist()
    second.selectbox[0].select(second.selectbox[0].options[1]).run()  # a customer's waterfall reads the run too
    assert not second.exception and calls == []


def test_top_n_and_segment_filter(page):
    at = page
    at.radio[0].set_value("Top N").run()
    at.number_input[0].set_value(10).run()
    assert not at.exception
    assert _tiles(at)["Flagged"] == "10"
    assert len(at.dataframe[1].value) == 10

    channel = at.multiselect[0].options[0]
    at.multiselect[0].select(channel).run()
    assert not at.exception
    flagged = at.dataframe[1].value
    assert len(flagged) == 10 and (flagged["channel"] == channel).all()


def test_customer_explanation_and_emails(page):
    at = page
    customer = at.selectbox[0].options[1]
    at.selectbox[0].select(customer).run()
    at.checkbox[0].check().run()
    assert not at.exception
    assert any("average customer's risk" in caption.value for caption in at.caption)
    labels = [button.label for button in at.get("download_button")]
    assert "Download flagged list" in labels and "Download this explanation" in labels


def test_changing_the_horizon_rescores(page):
    at = page
    settled(at.slider(key="horizon").set_value(60).run())
    assert not at.exception
    assert "60 days" in _definition(at)
    assert at.dataframe[0].value["model"].notna().all()


def test_a_past_date_says_campaigns_keep_the_latest(page, page_db):
    at = page
    last = at.date_input[0].value
    settled(at.date_input[0].set_value(last - pd.Timedelta(days=61)).run())
    assert not at.exception
    assert any(box.value.startswith("Exploring a past date") for box in at.info)
    with warehouse.connect(page_db) as con:
        assert churn.latest_scores(con)["as_of"].iloc[0] == last  # the newest date stays the latest


def test_too_little_history_is_a_message(sample_frames, tmp_path, monkeypatch):
    """Forty days of orders are too few for the shortest horizon (the default is cut to the longest the history
    allows, so only a history this short fails by default)."""
    orders = sample_frames["orders"]
    short = orders[orders["ts"] < orders["ts"].min() + pd.Timedelta(days=40)]
    path = _build(tmp_path / "short.duckdb", {"users": sample_frames["users"], "orders": short})
    monkeypatch.setenv("RETENTION_DB", path)
    at = _run(app_page("at_risk.py", timeout=TIMEOUT))
    assert not at.exception
    assert at.title[0].value == "At-risk users"
    assert at.slider(key="horizon").value == churn.MIN_HORIZON_DAYS
    message = f"needs at least {churn.required_history_days(churn.MIN_HORIZON_DAYS)} days of order history"
    assert message in at.error[0].value

    # The failed job is shown, not started again, on later runs and in other sessions, until asked to.
    app_page("at_risk.py", timeout=TIMEOUT).run()
    at.run()
    assert message in at.error[0].value
    assert _jobs(path)["status"].tolist() == ["failed"]
    settled(at.button(key="at-risk-score-again").click().run())
    assert _jobs(path)["status"].tolist() == ["failed", "failed"]
    assert message in at.error[0].value


def test_scoring_runs_keep_the_newest():
    from retention.ui.churn import ScoringRuns

    runs = ScoringRuns(size=2)
    keys = [("db", f"v{i}", pd.Timestamp("2025-01-01").date(), 90) for i in range(3)]
    for index, key in enumerate(keys):
        runs.put(key, index)
    assert runs.get(keys[0]) is None and runs.get(keys[1]) == 1 and runs.get(keys[2]) == 2


def test_scoring_runs_as_one_job_that_every_session_finds(sample_frames, tmp_path, monkeypatch):
    """The first visit starts the scoring job and shows its progress; a second session (another browser, or this
    one after a reload) finds the same job rather than starting one; once it is done, both show its result."""
    path = _build(tmp_path / "jobs.duckdb", sample_frames)
    monkeypatch.setenv("RETENTION_DB", path)
    first = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not first.exception, [element.value for element in first.exception]
    started = _jobs(path)
    assert len(started) == 1
    job = started.iloc[0]
    assert (job["kind"], job["started_by"]) == (scoring_job.KIND, "app")
    assert jobs.get(path, int(job["job_id"])).params == {"as_of": str(first.date_input[0].value), "horizon_days": 90}
    assert [header.value for header in first.subheader] == []  # no result yet: the job's progress instead
    assert len(first.get("progress")) == 1
    assert any(caption.value.startswith(f"Job {job['job_id']}, started by app on ") for caption in first.caption)
    assert first.slider(key="horizon").value == 90  # the controls stay usable meanwhile

    second = app_page("at_risk.py", timeout=TIMEOUT).run()
    assert not second.exception
    assert len(_jobs(path)) == 1  # the running job was found (or, done already, its result)

    for session in (settled(first), settled(second), _run(app_page("at_risk.py", timeout=TIMEOUT))):
        assert [header.value for header in session.subheader] == [
            "Model quality",
            "Who is flagged",
            "Why",
            "One customer",
        ]
    finished = _jobs(path)
    assert len(finished) == 1 and finished["status"].iloc[0] == "done"
    result = jobs.get(path, int(job["job_id"])).result
    with warehouse.connect(path) as con:
        saved = churn.latest_scores(con)
    assert result["customers"] == len(saved) and result["model_version"] == saved["model_version"].iloc[0]
