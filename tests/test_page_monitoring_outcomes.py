"""The Monitoring page's outcome sections under AppTest: hit rates and campaign results as the library gives them,
each chart with its sentence, the crossed check as a warning; an empty warehouse says what is missing."""

from __future__ import annotations

import pytest
from conftest import app_page
from test_campaigns_fixtures import basic_config

from retention import campaigns, warehouse
from retention.campaigns.config import parse_config
from retention.campaigns.response import simulate_response
from retention.monitoring import outcomes
from retention.recommend import evaluate, job
from retention.ui import monitoring_outcomes as views

PAGE = "monitoring.py"
SVD = {"n_factors": 8, "n_epochs": 5, "negatives": 2}


OWN_CHARTS = ("monitoring-hit-rates", "monitoring-hit-margins", "monitoring-uplift", "monitoring-return")


def _own_charts(at) -> list:
    """The charts of this module's two sections (the page shows the other sections' too)."""
    return [chart for chart in at.get("plotly_chart") if chart.key in OWN_CHARTS]


def test_the_page_shows_realised_hit_rates_and_campaign_results(writable_db):
    job.train(writable_db, {"svd": SVD, "popularity": {}}, evaluate.SplitQuery(), 10, lambda done, said: None)
    costly = basic_config(
        name="Costly",
        arms=[{"name": "pricey", "template": "discount_email", "cost_per_contact": 50.0, "uplift": [0.0, 0.05, 0.1]}],
    )
    with warehouse.session(writable_db, write=True) as con:
        campaign_id = campaigns.launch(con, parse_config(costly)).campaign_id
        simulate_response(con, campaign_id, {"pricey": 0.3}, seed=3)  # the response orders come after the runs
        runs = outcomes.hit_rates(con)
        arms = outcomes.campaign_arms(con)
    assert (runs["users"] > 0).all()
    at = app_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    headers = [header.value for header in at.header]  # every section's, in the order of their modules
    assert headers.index("Recommendations") + 1 == headers.index("Campaigns")
    captions = [caption.value for caption in at.caption]
    for sentence in (views.HIT_RATE_SENTENCE, views.MARGIN_SENTENCE, views.UPLIFT_SENTENCE, views.RETURN_SENTENCE):
        assert sentence in captions
    assert len(_own_charts(at)) == 4
    shown_runs = next(frame.value for frame in at.dataframe if "hit_rate" in frame.value.columns)
    assert shown_runs["hit_rate"].tolist() == pytest.approx(runs["hit_rate"].tolist())
    assert shown_runs["users"].tolist() == runs["users"].tolist()
    shown_arms = next(frame.value for frame in at.dataframe if "retention_diff" in frame.value.columns)
    assert shown_arms["retention_diff"].tolist() == pytest.approx(arms["retention_diff"].tolist())
    assert any(warning.value.startswith("campaigns.net_return:") for warning in at.warning)
    assert len(at.get("download_button")) >= 3  # this module's three among the page's


def test_without_runs_or_campaigns_the_sections_say_what_is_missing(writable_db):
    at = app_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    infos = [info.value for info in at.info]
    assert any("No saved recommender runs yet" in info for info in infos)
    assert any("No launched campaign has orders after its launch yet" in info for info in infos)
    assert not _own_charts(at)
    assert not [warning for warning in at.warning if warning.value.startswith(("recommendations.", "campaigns."))]
