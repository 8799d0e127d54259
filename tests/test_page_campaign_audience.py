"""The Build tab's audience under AppTest: the exclusions' inputs and counts, the ranking, and the preview with
risk and expected loss side by side."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
from conftest import app_page
from test_campaigns_fixtures import scored_copy

from retention import campaigns, warehouse
from retention.campaigns import Audience
from retention.campaigns import audience as audiences
from retention.ui import campaign_forms as forms

PAGE = "campaigns.py"
EXCLUSION_BOXES = ("aud-contacted-on", "aud-bought-on", "aud-nonpositive", "aud-lapsed-on")


def page_default_audience(min_risk: float) -> Audience:
    """The audience the builder describes with its widgets left as they open, at ``min_risk``."""
    return Audience(
        min_risk=min_risk,
        contacted_within_days=forms.CONTACTED_DAYS,
        bought_within_days=forms.BOUGHT_DAYS,
        exclude_nonpositive_revenue=True,
        lapsed_days=forms.LAPSED_DAYS,
    )


def without_exclusions(at):
    """Untick the builder's optional exclusions (the suppression list still applies) and rerun."""
    for key in EXCLUSION_BOXES:
        at.checkbox(key=key).uncheck()
    return at.run()


@pytest.fixture(scope="module")
def scored_db(sample_db, tmp_path_factory) -> str:
    return scored_copy(sample_db, tmp_path_factory.mktemp("campaign_audience_page"))


@pytest.fixture
def db(scored_db, tmp_path, monkeypatch) -> str:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_db, path)
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


def _frame(at, columns: set[str]):
    found = [frame.value for frame in at.dataframe if columns <= set(frame.value.columns)]
    assert found, f"no table with {columns}"
    return found[0]


def _library(db: str, spec: Audience):
    with warehouse.session(db) as con:
        return campaigns.select_audience(con, spec), audiences.exclusion_counts(con, spec)


def test_exclusions_are_on_by_default_and_their_counts_add_up(db):
    at = app_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    for key in EXCLUSION_BOXES:
        assert at.checkbox(key=key).value, key
    audience, counts = _library(db, page_default_audience(0.5))
    shown = _frame(at, {"label", "customers"})
    assert shown["label"].tolist() == counts["label"].tolist()
    assert shown["customers"].tolist() == counts["customers"].tolist()
    assert shown["customers"].iloc[0] == shown["customers"].iloc[1:].sum()
    assert shown["customers"].iloc[-1] == len(audience)
    assert {m.label: m.value for m in at.metric}["Customers in audience"] == f"{len(audience):,}"
    assert "Download the exclusion counts" in [button.label for button in at.get("download_button")]
    preview = _frame(at, {"risk", "expected_loss"})
    assert preview["user_id"].tolist() == audience["user_id"].head(len(preview)).tolist()
    assert preview["risk"].is_monotonic_decreasing

    at.checkbox(key="aud-lapsed-on").uncheck().run()
    assert not at.exception, [e.value for e in at.exception]
    audience, counts = _library(db, replace(page_default_audience(0.5), lapsed_days=None))
    assert "lapsed" not in counts["step"].tolist()
    assert _frame(at, {"label", "customers"})["customers"].tolist() == counts["customers"].tolist()
    assert {m.label: m.value for m in at.metric}["Customers in audience"] == f"{len(audience):,}"


def test_rank_by_expected_loss_decides_the_top_n(db):
    at = app_page(PAGE).run()
    at.radio(key="aud-rank-by").set_value("expected_loss").run()
    at.number_input(key="aud-top-n").set_value(10).run()
    assert not at.exception, [e.value for e in at.exception]
    spec = replace(page_default_audience(0.5), rank_by="expected_loss", top_n=10)
    audience, counts = _library(db, spec)
    preview = _frame(at, {"risk", "expected_loss"})
    assert preview["user_id"].tolist() == audience["user_id"].tolist() and len(preview) == 10
    assert preview["expected_loss"].is_monotonic_decreasing
    assert counts.set_index("step")["customers"]["kept"] == 10
    assert _frame(at, {"label", "customers"})["label"].iloc[-2] == "Beyond the top 10"
