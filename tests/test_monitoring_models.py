"""Score drift and realised accuracy: PSI by hand, a shifted scoring, a shop whose outcomes are known, and the
sample shop scored at several past dates by the real churn model."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from retention import churn, monitoring, warehouse
from retention.cli import main
from retention.monitoring import accuracy, drift, scored

HORIZON = 60
DAYS_BACK = (240, 180, 120, 60, 0)  # scorings at these many days before the newest order


# ---------------------------------------------------------------------------
# Independent oracles
# ---------------------------------------------------------------------------


def reference_psi(actual, expected, epsilon=1e-4):
    """PSI written out: bins at the expected's deciles, counted by explicit comparisons."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    edges = sorted(set(np.percentile(expected, [10, 20, 30, 40, 50, 60, 70, 80, 90])))
    bounds = [-math.inf, *edges, math.inf]
    total = 0.0
    for low, high in itertools.pairwise(bounds):
        a = max(np.sum((actual > low) & (actual <= high)) / len(actual), epsilon)
        e = max(np.sum((expected > low) & (expected <= high)) / len(expected), epsilon)
        total += (a - e) * math.log(a / e)
    return total


def pairwise_auc(y, score):
    """The share of (churner, stayer) pairs in which the churner scores higher (ties count half)."""
    churners = [s for s, label in zip(score, y, strict=True) if label]
    stayers = [s for s, label in zip(score, y, strict=True) if not label]
    wins = sum((c > s) + 0.5 * (c == s) for c in churners for s in stayers)
    return wins / (len(churners) * len(stayers))


# ---------------------------------------------------------------------------
# PSI
# ---------------------------------------------------------------------------


def test_psi_matches_a_hand_computation_on_small_arrays():
    reference = np.arange(1.0, 11.0)  # deciles 1.9, 2.8, ..., 9.1: one value per bin
    actual = np.array([1.0] * 5 + [10.0] * 5)  # half in the first bin, half in the last, none between
    expected = 2 * (0.5 - 0.1) * math.log(0.5 / 0.1) + 8 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert drift.psi(actual, reference) == pytest.approx(expected)
    assert drift.psi(actual, reference) == pytest.approx(reference_psi(actual, reference))
    shifted = reference + 0.5  # each value moves past its decile into the next bin but the first stays empty
    assert drift.psi(shifted, reference) == pytest.approx(reference_psi(shifted, reference))
    assert drift.psi_of_shares([0.5, 0.5], [0.25, 0.75]) == pytest.approx(
        (0.5 - 0.25) * math.log(0.5 / 0.25) + (0.5 - 0.75) * math.log(0.5 / 0.75)
    )


def test_the_same_distribution_gives_zero_and_missing_values_are_a_bin():
    values = np.random.default_rng(3).gamma(2.0, 30.0, size=500)
    assert drift.psi(values, values) == 0.0
    assert drift.psi(np.random.default_rng(4).permutation(values), values) == 0.0
    with_missing = np.append(values[:400], [np.nan] * 100)  # a fifth missing against none
    share = 100 / 500
    assert drift.psi(with_missing, values) > (share - 1e-4) * math.log(share / 1e-4)
    text = pd.Series(["web", "web", "shop", None])
    assert drift.category_psi(text, text) == 0.0
    assert drift.category_psi(pd.Series(["web"] * 3 + ["shop"]), text) == pytest.approx(
        (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.25) * 0 + (1e-4 - 0.25) * math.log(1e-4 / 0.25)
    )


# ---------------------------------------------------------------------------
# A shop whose outcomes are known
# ---------------------------------------------------------------------------

AS_OF = dt.date(2026, 1, 31)  # window: purchases from 2026-02-01 00:00 up to (not including) 2026-03-03 00:00
KNOWN = pd.DataFrame(
    {
        "user_id": [f"u{i}" for i in range(10)],
        "risk": [0.9, 0.8, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
        "recency_days": [50.0, 10.0, 70.0, 5.0, 40.0, 40.0, 20.0, 30.0, 60.0, 1.0],
        # when each one buys next (None: never), chosen at the window's edges
        "next_purchase": [
            None,  # churned
            "2026-03-03 00:00:00",  # just after the window: churned
            "2026-01-31 23:59:00",  # on the as-of day itself, before the window: churned
            "2026-02-01 00:00:00",  # the window's first second: stayed
            None,  # churned
            "2026-03-02 23:59:00",  # the window's last day: stayed
            "2026-02-10 12:00:00",  # stayed
            "return",  # only a return in the window: churned
            "2026-02-20 09:00:00",  # stayed
            "2026-02-05 09:00:00",  # stayed
        ],
    }
)
CHURNED = [True, True, True, False, True, False, False, True, False, False]


@pytest.fixture
def known_shop(tmp_path):
    """A warehouse with ten customers scored at AS_OF (horizon 30) whose next purchases are known, orders up to
    2026-03-10 (so the horizon has passed), and a second scoring on 2026-03-01 whose horizon has not."""
    con = warehouse.connect(tmp_path / "known.duckdb")
    rows = [
        (f"o-{u}", u, "i1", dt.datetime(2025, 12, 1) + dt.timedelta(days=i), 1.0) for i, u in enumerate(KNOWN.user_id)
    ]
    for user, when in zip(KNOWN.user_id, KNOWN.next_purchase, strict=True):
        if when == "return":
            rows.append((f"r-{user}", user, "i1", dt.datetime(2026, 2, 15), -1.0))
        elif isinstance(when, str):
            rows.append((f"n-{user}", user, "i1", dt.datetime.fromisoformat(when), 1.0))
    rows.append(("o-last", "u9", "i1", dt.datetime(2026, 3, 10, 10), 1.0))
    con.executemany(
        "INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price) VALUES (?, ?, ?, ?, ?, 5)", rows
    )
    for as_of in (AS_OF, dt.date(2026, 3, 1)):
        con.executemany(
            "INSERT INTO scores VALUES (?, 30, 'known-v1', ?, ?, 0, ?, '', TIMESTAMP '2026-03-10 12:00:00')",
            [(as_of, u, r, d) for u, r, d in zip(KNOWN.user_id, KNOWN.risk, KNOWN.recency_days, strict=True)],
        )
    yield con
    con.close()


def test_realised_accuracy_on_a_shop_whose_outcomes_are_known(known_shop):
    built = accuracy.accuracy_section(known_shop, {})
    [scoring] = built.numbers["scorings"]  # the scoring of 2026-03-01 waits for 2026-03-31
    assert built.numbers["waiting"] == [{"as_of": "2026-03-01", "evaluable_from": "2026-03-31"}]
    assert scoring["as_of"] == "2026-01-31" and scoring["customers"] == 10
    assert scoring["churn_rate"] == pytest.approx(5 / 10)
    model_auc = pairwise_auc(CHURNED, KNOWN.risk)
    recency_auc = pairwise_auc(CHURNED, KNOWN.recency_days)
    assert scoring["roc_auc"] == pytest.approx(model_auc)
    assert scoring["recency_roc_auc"] == pytest.approx(recency_auc)
    assert scoring["lift"] == pytest.approx(1 / (5 / 10))  # the riskiest one, u0, churned
    assert scoring["recency_lift"] == pytest.approx(1 / (5 / 10))  # the longest gap, u2 (70 days), churned
    checks = {c.name: c for c in built.checks}
    assert checks["accuracy.roc_auc"].value == pytest.approx(model_auc)
    assert checks["accuracy.beats_recency"].value == pytest.approx(model_auc - recency_auc)
    assert checks["accuracy.beats_recency"].crossed == (model_auc < recency_auc)
    calibration = pd.DataFrame(built.numbers["calibration"])
    model = calibration[calibration["ranking"] == "model"].set_index("decile")
    assert list(model.index) == list(range(1, 11)) and (model["customers"] == 1).all()
    assert list(model["mean_risk"]) == pytest.approx(list(KNOWN.risk))
    assert list(model["churn_rate"]) == [float(c) for c in CHURNED]
    json.dumps(built.numbers, allow_nan=False)


def test_a_model_worse_than_recency_crosses_both_checks(known_shop):
    known_shop.execute("UPDATE scores SET risk = 1 - risk")  # the ranking reversed
    checks = {c.name: c for c in accuracy.accuracy_section(known_shop, {}).checks}
    assert checks["accuracy.roc_auc"].value == pytest.approx(1 - pairwise_auc(CHURNED, KNOWN.risk))
    assert checks["accuracy.roc_auc"].crossed and checks["accuracy.beats_recency"].crossed


def test_without_scores_the_sections_have_nothing_to_judge(sample_db):
    with warehouse.session(sample_db) as con:
        built = [drift.drift_section(con, {}), accuracy.accuracy_section(con, {})]
    for section in built:
        assert section.numbers["horizon_days"] is None and section.numbers["scorings"] == []
        assert all(c.value is None and not c.crossed for c in section.checks)


# ---------------------------------------------------------------------------
# The sample shop scored at several past dates
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_db(sample_db, tmp_path_factory) -> str:
    """A copy of the sample warehouse scored by the real churn model at five dates, two months apart (as if it
    had been refreshed and scored every two months)."""
    path = tmp_path_factory.mktemp("history") / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    with warehouse.session(path, write=True) as con:
        _, last = churn.order_days(con)
        for back in DAYS_BACK:
            churn.score_customers(con, as_of=last - dt.timedelta(days=back), horizon_days=HORIZON)
    return str(path)


@pytest.fixture
def history_con(history_db, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(history_db, path)
    con = warehouse.connect(path)
    yield con
    con.close()


def _scores(con, as_of) -> pd.DataFrame:
    return con.execute("SELECT user_id, risk, recency_days FROM scores WHERE as_of = ?", [as_of]).df()


def test_realised_accuracy_matches_sklearn_on_labels_the_churn_model_computes(history_con):
    built = accuracy.accuracy_section(history_con, {})
    _, last = churn.order_days(history_con)
    evaluable = [last - dt.timedelta(days=b) for b in DAYS_BACK if b >= HORIZON]
    assert [s["as_of"] for s in built.numbers["scorings"]] == [str(d) for d in evaluable]
    assert built.numbers["waiting"][0]["as_of"] == str(last)
    for day, scoring in zip(evaluable, built.numbers["scorings"], strict=True):
        labels = churn.snapshot_features(history_con, [day], HORIZON)[["user_id", "churned"]]
        joined = _scores(history_con, day).merge(labels, on="user_id", validate="1:1")
        assert len(joined) == scoring["customers"]
        assert scoring["churn_rate"] == pytest.approx(joined["churned"].mean())
        assert scoring["roc_auc"] == pytest.approx(roc_auc_score(joined["churned"], joined["risk"]))
        assert scoring["recency_roc_auc"] == pytest.approx(roc_auc_score(joined["churned"], joined["recency_days"]))
    assert 0.6 < built.numbers["scorings"][-1]["roc_auc"] <= 1.0
    assert built.numbers["newest"] == str(evaluable[-1])


def test_risk_psi_and_bands_match_an_independent_computation(history_con):
    built = drift.drift_section(history_con, {})
    scorings = built.numbers["scorings"]
    assert [s["as_of"] for s in scorings] == sorted(s["as_of"] for s in scorings) and len(scorings) == 5
    assert scorings[0]["risk_psi"] is None
    for previous, current in itertools.pairwise(scorings):
        expected = reference_psi(
            _scores(history_con, current["as_of"]).risk, _scores(history_con, previous["as_of"]).risk
        )
        assert current["previous"] == previous["as_of"]
        assert current["risk_psi"] == pytest.approx(expected)
        assert current["risk_psi_holdout"] >= 0
    newest_day = pd.Timestamp(scorings[-1]["as_of"]).date()
    run = churn.saved_run(history_con, churn.inputs_version(history_con), newest_day, HORIZON)
    held = run.calibration[run.calibration["predictor"] == "model"]
    risks = _scores(history_con, scorings[-1]["as_of"]).risk
    expected_holdout = 0.0
    for lower in np.arange(10) / 10:
        e = max(held.loc[np.isclose(held["bin"], lower), "customers"].sum() / held["customers"].sum(), 1e-4)
        inside = (risks >= lower) & ((risks < lower + 0.1) | (lower == 0.9))
        a = max(inside.mean(), 1e-4)
        expected_holdout += (a - e) * math.log(a / e)
    assert scorings[-1]["risk_psi_holdout"] == pytest.approx(expected_holdout)
    bands = pd.DataFrame(built.numbers["bands"])
    newest = _scores(history_con, scorings[-1]["as_of"]).risk
    counted = pd.cut(newest, [0, 0.25, 0.5, 0.75, 1.0], right=False, include_lowest=True).value_counts(sort=False)
    assert list(bands[bands["as_of"] == scorings[-1]["as_of"]]["customers"]) == [n for n in counted if n]
    assert bands.groupby("as_of")["share"].sum().to_numpy() == pytest.approx(1.0)
    json.dumps(built.numbers, allow_nan=False)


def test_feature_psi_matches_the_features_recomputed_from_orders(history_con):
    built = drift.drift_section(history_con, {})
    features = pd.DataFrame(built.numbers["features"])
    newest, previous = built.numbers["newest"], built.numbers["previous"]
    latest = features[features["as_of"] == newest]
    assert len(latest) == drift.TOP_FEATURES and "recency_days" in set(latest["feature"])
    recomputed = churn.snapshot_features(
        history_con, [pd.Timestamp(previous).date(), pd.Timestamp(newest).date()], HORIZON
    )
    older = recomputed[recomputed["snapshot_date"] == pd.Timestamp(previous)]
    newer = recomputed[recomputed["snapshot_date"] == pd.Timestamp(newest)]
    for row in latest.itertuples():
        assert row.psi == pytest.approx(drift.feature_psi(newer[row.feature], older[row.feature]))
        if newer[row.feature].notna().all() and older[row.feature].notna().all():
            assert row.psi == pytest.approx(reference_psi(newer[row.feature], older[row.feature]))
    check = {c.name: c for c in built.checks}["drift.feature_psi_max"]
    assert check.value == pytest.approx(latest["psi"].max())


def test_the_newest_scorings_features_are_compared_with_its_training_snapshot(history_con):
    built = drift.drift_section(history_con, {})
    rows = pd.DataFrame(built.numbers["features_vs_training"])
    newest = pd.Timestamp(built.numbers["newest"]).date()
    holdout = newest - dt.timedelta(days=HORIZON)  # the newest labelled snapshot, held out, then trained on
    assert set(rows["as_of"]) == {str(newest)} and set(rows["holdout_date"]) == {str(holdout)}
    assert len(rows) == drift.TOP_FEATURES
    recomputed = churn.snapshot_features(history_con, [holdout, newest], HORIZON)
    then = recomputed[recomputed["snapshot_date"] == pd.Timestamp(holdout)]
    now = recomputed[recomputed["snapshot_date"] == pd.Timestamp(newest)]
    for row in rows.itertuples():
        assert row.psi == pytest.approx(drift.feature_psi(now[row.feature], then[row.feature]))
        if now[row.feature].notna().all() and then[row.feature].notna().all():
            assert row.psi == pytest.approx(reference_psi(now[row.feature], then[row.feature]))


def test_a_shifted_scoring_is_flagged_and_an_unchanged_copy_is_not(history_con):
    newest = history_con.execute("SELECT max(as_of) FROM scores").fetchone()[0]
    copy = "INSERT INTO scores SELECT as_of + ?, horizon_days, ?, user_id, {risk}, value, recency_days, reasons, now() FROM scores WHERE as_of = ?"
    history_con.execute(copy.format(risk="risk"), [1, "copy", newest])
    unchanged = {c.name: c for c in drift.drift_section(history_con, {}).checks}["drift.risk_psi"]
    assert unchanged.value == 0.0 and not unchanged.crossed
    history_con.execute(copy.format(risk="least(1.0, risk + 0.3)"), [2, "shifted", newest])
    built = drift.drift_section(history_con, {})
    flagged = {c.name: c for c in built.checks}["drift.risk_psi"]
    original = _scores(history_con, newest).risk
    assert flagged.value == pytest.approx(reference_psi(np.minimum(1.0, original + 0.3), original))
    assert flagged.crossed and flagged.value > 0.2
    assert built.numbers["newest"] == str(newest + dt.timedelta(days=2))
    report = monitoring.report(history_con, {"risk_psi": flagged.value + 1})
    assert "drift.risk_psi" not in report["crossed"]


def test_only_the_newest_scorings_are_read(history_con, monkeypatch):
    monkeypatch.setattr(scored, "MAX_SCORINGS", 2)
    newest_two = [
        str(d) for (d,) in history_con.execute("SELECT DISTINCT as_of FROM scores ORDER BY 1").fetchall()[-2:]
    ]
    built = drift.drift_section(history_con, {})
    assert [s["as_of"] for s in built.numbers["scorings"]] == newest_two
    assert sorted({b["as_of"] for b in built.numbers["bands"]}) == newest_two
    assert [s["as_of"] for s in accuracy.accuracy_section(history_con, {}).numbers["scorings"]] == newest_two[:1]


def test_the_monitor_command_fails_on_a_crossed_model_check(history_db, tmp_path):
    out = tmp_path / "report.json"
    assert main(["monitor", "--db", history_db, "--out", str(out), "--fail-on", "accuracy.roc_auc"]) == 0
    auc = json.loads(out.read_text())["sections"]["accuracy"]["checks"][0]["value"]
    too_high = f"roc_auc={auc + 0.01}"
    assert (
        main(
            ["monitor", "--db", history_db, "--out", str(out), "--threshold", too_high, "--fail-on", "accuracy.roc_auc"]
        )
        == 1
    )
    assert "accuracy.roc_auc" in json.loads(out.read_text())["crossed"]


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------


def test_the_page_shows_drift_and_accuracy_as_the_library_computes_them(history_db, tmp_path, monkeypatch):
    from conftest import app_page

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(history_db, path)
    with warehouse.session(path, write=True) as con:  # a shifted scoring after the newest, to see a crossed check
        newest = con.execute("SELECT max(as_of) FROM scores").fetchone()[0]
        con.execute(
            "INSERT INTO scores SELECT as_of + 1, horizon_days, 'shifted', user_id, least(1.0, risk + 0.3), value, "
            "recency_days, reasons, now() FROM scores WHERE as_of = ?",
            [newest],
        )
        expected = accuracy.accuracy_section(con, {}).numbers["scorings"]
        psi = {c.name: c for c in drift.drift_section(con, {}).checks}["drift.risk_psi"].value
    monkeypatch.setenv("RETENTION_DB", str(path))
    at = app_page("monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    headers = [h.value for h in at.header]  # the other sections' too, in the order of their modules
    assert headers.index("Score drift") + 1 == headers.index("Realised accuracy")
    assert len(at.get("plotly_chart")) >= 6
    assert any(w.value.startswith("drift.risk_psi: ") and f"{psi:,.3g}" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "ROC AUC (model)" in d.value.columns)
    assert list(table["ROC AUC (model)"]) == pytest.approx([s["roc_auc"] for s in expected])
    assert list(table["ROC AUC (recency)"]) == pytest.approx([s["recency_roc_auc"] for s in expected])
    assert any("not judged yet" in c.value.lower() for c in at.caption)


def test_the_page_says_what_it_needs_without_scores(sample_db, monkeypatch):
    from conftest import app_page

    monkeypatch.setenv("RETENTION_DB", sample_db)
    at = app_page("monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert sum("No churn scoring is stored yet" in info.value for info in at.info) == 2
    assert not at.warning
