"""A launch leaves out the members of campaigns still being measured, unless told (and then records it).

The expected audience is computed here from the tables themselves: scored customers at or above the risk floor,
minus every member of a launched campaign whose window the orders do not yet reach.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import app_page
from test_campaigns_fixtures import basic_config, scored_copy
from test_page_campaign_audience import without_exclusions

from retention import campaigns, warehouse
from retention.campaigns.config import parse_config
from retention.cli import main
from retention.errors import DataError


@pytest.fixture(scope="module")
def scored_db(sample_db, tmp_path_factory) -> str:
    return scored_copy(sample_db, tmp_path_factory.mktemp("campaign_overlap"))


@pytest.fixture
def db(scored_db, tmp_path) -> str:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_db, path)
    return str(path)


def _config(name: str, min_risk: float, **audience: object):
    return parse_config(basic_config(name=name, audience={"min_risk": min_risk, **audience}))


def _members(con, campaign_id: int) -> pd.DataFrame:
    return con.execute("SELECT user_id, arm FROM campaign_members WHERE campaign_id = ?", [campaign_id]).df()


def _expected(con, min_risk: float) -> set[str]:
    """Scored customers at or above ``min_risk`` who are in no launched campaign with an open window."""
    scored = con.execute("SELECT user_id, risk FROM scores").df()
    eligible = set(scored.loc[scored["risk"] >= min_risk, "user_id"])
    last_order = pd.Timestamp(con.execute("SELECT max(ts) FROM orders").fetchone()[0])
    held = set()
    for row in con.execute("SELECT campaign_id, status, start_ts, horizon_days FROM campaigns").df().itertuples():
        window_end = pd.Timestamp(row.start_ts) + pd.Timedelta(days=int(row.horizon_days))
        if row.status == "launched" and last_order.normalize() < window_end.normalize():
            held |= set(_members(con, row.campaign_id)["user_id"])
    return eligible - held


def test_a_second_launch_leaves_out_the_first_ones_members_and_holdout(db):
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, _config("First", 0.3))
        first_members = _members(con, first.campaign_id)
        assert (first_members["arm"] == "control").sum() > 0
        expected = _expected(con, 0.1)
        second = campaigns.launch(con, _config("Second", 0.1))
        second_members = set(_members(con, second.campaign_id)["user_id"])
        stored = campaigns.get_campaign(con, second.campaign_id)
    assert second_members == expected
    assert not second_members & set(first_members["user_id"])
    # Everyone in the first campaign matches the second's wider filter, so each of them was left out.
    assert second.excluded_open == len(first_members) == stored["excluded_open"]
    assert second.open_overlap == 0 == stored["open_overlap"]
    assert not stored["overlap_allowed"]
    assert f"{len(first_members):,} in campaign {first.campaign_id} 'First'" in second.overlap_note
    holdout = int((first_members["arm"] == "control").sum())
    assert f"({holdout:,} of its holdout)" in second.overlap_note


def test_overlap_allowed_takes_them_and_is_recorded(db):
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, _config("First", 0.3))
        first_ids = set(_members(con, first.campaign_id)["user_id"])
        scored = con.execute("SELECT user_id FROM scores WHERE risk >= 0.1").df()
        second = campaigns.launch(con, _config("Second", 0.1, allow_overlap=True))
        second_ids = set(_members(con, second.campaign_id)["user_id"])
        stored = campaigns.get_campaign(con, second.campaign_id)
        listed = campaigns.list_campaigns(con).set_index("campaign_id")
    assert second_ids == set(scored["user_id"])
    assert second.open_overlap == len(first_ids & second_ids) == len(first_ids) == stored["open_overlap"]
    assert stored["overlap_allowed"] and stored["excluded_open"] == 0 == second.excluded_open
    assert listed.loc[second.campaign_id, "overlap_allowed"]
    assert not listed.loc[first.campaign_id, "overlap_allowed"]


def test_closed_and_complete_campaigns_release_their_members(db):
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, _config("First", 0.3))
        with pytest.raises(DataError, match="audience is empty: .* in campaign 1 'First'.*allow the overlap"):
            campaigns.launch(con, _config("Same people", 0.3))
        campaigns.close(con, first.campaign_id)
        assert _expected(con, 0.3) == set(campaigns.select_audience(con, _config("x", 0.3).audience)["user_id"])
        again = campaigns.launch(con, _config("Same people", 0.3))
        # An order on the window's last day makes the window complete: its members are free again.
        window_end = pd.Timestamp(campaigns.get_campaign(con, again.campaign_id)["start_ts"]) + pd.Timedelta(days=30)
        user = con.execute("SELECT min(user_id) FROM orders").fetchone()[0]
        con.execute(
            "INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price) SELECT 'late', ?, "
            "min(item_id), ?, 1, 1.0 FROM orders",
            [user, window_end.to_pydatetime()],
        )
        expected = _expected(con, 0.3)
        assert expected == set(campaigns.select_audience(con, _config("x", 0.3).audience)["user_id"])
        assert set(_members(con, again.campaign_id)["user_id"]) <= expected


def test_a_rerun_of_a_launch_still_returns_it(db):
    config = _config("First", 0.3)
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, config)
        # Its own members are now in an open campaign; the re-run is still recognised by its key.
        again = campaigns.launch(con, config)
    assert not again.created and again.campaign_id == first.campaign_id


def test_cli_flag_allows_the_overlap_with_a_warning(db, tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps(basic_config(name="First", audience={"min_risk": 0.3})))
    assert main(["campaign", "launch", "--config", str(config), "--db", db]) == 0
    capsys.readouterr()
    config.write_text(json.dumps(basic_config(name="Second", audience={"min_risk": 0.3})))
    assert main(["campaign", "launch", "--config", str(config), "--db", db]) == 2
    assert "allow the overlap" in capsys.readouterr().err
    assert main(["campaign", "launch", "--config", str(config), "--db", db, "--allow-overlap"]) == 0
    err = capsys.readouterr().err
    assert "warning: This launch takes in members of campaigns still being measured" in err
    assert "in campaign 1 'First'" in err and "taken in anyway" in err


def _override_and_launch(at, override_key: str) -> None:
    """Tick the overlap override ``override_key``, check the warning it raises, confirm and launch."""
    at.checkbox(key=override_key).check().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("spoils those measurements" in warning.value for warning in at.warning)
    at.button(key="launch").click().run()
    at.button(key="launch-confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_launch_tab_shows_who_is_left_out_and_the_override_warns(db, monkeypatch):
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, _config("First", 0.8))  # the builder's default audience: risk >= 0.5
        left_out = len(_members(con, first.campaign_id))
    monkeypatch.setenv("RETENTION_DB", db)
    at = without_exclusions(app_page("campaigns.py").run())
    assert not at.exception, [e.value for e in at.exception]
    notes = [info.value for info in at.info if "still being measured" in info.value]
    assert notes and f"{left_out:,} customers of this audience" in notes[0]
    assert "left out of this launch" in notes[0]
    _override_and_launch(at, "launch-overlap")
    with warehouse.session(db) as con:
        listed = campaigns.list_campaigns(con).set_index("campaign_id")
    second = listed.index.max()
    assert listed.loc[second, "overlap_allowed"] and listed.loc[second, "open_overlap"] == left_out


def test_build_tab_offers_the_override_when_only_measured_customers_match(db, monkeypatch):
    with warehouse.session(db, write=True) as con:
        first = campaigns.launch(con, _config("First", 0.5))  # takes everyone the builder's default audience matches
        held = set(_members(con, first.campaign_id)["user_id"])
        assert not _expected(con, 0.5)
    monkeypatch.setenv("RETENTION_DB", db)
    at = without_exclusions(app_page("campaigns.py").run())
    assert not at.exception, [e.value for e in at.exception]
    errors = [error.value for error in at.error]
    assert any(
        "audience is empty" in error and f"{len(held):,} in campaign {first.campaign_id}" in error for error in errors
    )
    assert not [box for box in at.checkbox if box.key == "launch-overlap"]
    _override_and_launch(at, "build-overlap")
    with warehouse.session(db) as con:
        listed = campaigns.list_campaigns(con).set_index("campaign_id")
        second = int(listed.index.max())
        second_members = set(_members(con, second)["user_id"])
    assert second != first.campaign_id
    assert listed.loc[second, "overlap_allowed"] and listed.loc[second, "open_overlap"] == len(held)
    assert second_members == held
