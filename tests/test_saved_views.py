"""Saved views: a page's URL settings kept under a name, listed, read back and deleted; bad names and settings
refused without writing."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from retention import cli, saved_views, warehouse
from retention.errors import DataError


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "views.duckdb")
    yield connection
    connection.close()


def test_a_saved_view_reads_back_as_saved_and_its_link_names_it(con):
    params = {"period": "week", "by": "country", "compare": ["2011-01-01", "2011-02-01"]}
    assert saved_views.save(con, "cohorts", "  UK, weekly (Q1) ", params) == "UK, weekly (Q1)"
    saved_views.save(con, "cohorts", "all months", {})
    saved_views.save(con, "overview", "UK, weekly (Q1)", {"range": "last 3 months"})
    assert saved_views.get(con, "cohorts", "UK, weekly (Q1)") == params
    listed = saved_views.list_views(con, "cohorts")
    assert listed["page"].tolist() == ["cohorts", "cohorts"]
    assert listed["name"].tolist() == ["all months", "UK, weekly (Q1)"]  # by name, case-insensitive
    assert listed["params"].tolist() == [{}, params]
    # The link is relative to the page and carries the name, quoted, as the one 'view' parameter.
    query = parse_qs(urlsplit(listed["link"].iloc[1]).query)
    assert query == {saved_views.VIEW_PARAM: ["UK, weekly (Q1)"]}
    # Stored as a JSON object in the table the migration made.
    stored = con.execute("SELECT params FROM saved_views WHERE page = 'cohorts' AND name = 'all months'").fetchone()
    assert json.loads(stored[0]) == {}


def test_a_name_is_unique_per_page_and_a_deleted_view_is_gone(con):
    saved_views.save(con, "cohorts", "Q1", {"period": "week"})
    with pytest.raises(DataError, match="already has a view named 'Q1'"):
        saved_views.save(con, "cohorts", "Q1", {"period": "month"})
    assert saved_views.get(con, "cohorts", "Q1") == {"period": "week"}
    saved_views.delete(con, "cohorts", "Q1")
    assert saved_views.list_views(con, "cohorts").empty
    with pytest.raises(DataError, match="no saved view named 'Q1'"):
        saved_views.get(con, "cohorts", "Q1")
    with pytest.raises(DataError, match="no saved view named 'Q1'"):
        saved_views.delete(con, "cohorts", "Q1")
    saved_views.save(con, "cohorts", "Q1", {"period": "month"})  # the name is free again
    assert saved_views.get(con, "cohorts", "Q1") == {"period": "month"}


@pytest.mark.parametrize(
    ("page", "name", "params", "message"),
    [
        ("cohorts", "   ", {}, "give the view a name"),
        ("cohorts", "x" * (saved_views.MAX_NAME_CHARS + 1), {}, "is not allowed"),
        ("cohorts", "<script>", {}, "is not allowed"),
        ("cohorts", "-dash first", {}, "is not allowed"),
        ("Cohorts/../x", "ok", {}, "not a page's URL path"),
        ("cohorts", "ok", ["period", "week"], "not list"),
        ("cohorts", "ok", {"period": {"nested": "x"}}, "must be text or a list of texts"),
        ("cohorts", "ok", {"period": 3}, "must be text or a list of texts"),
        ("cohorts", "ok", {"period": ["week", None]}, "must be text or a list of texts"),
        ("cohorts", "ok", {"bad key": "x"}, "is not a setting's name"),
        ("cohorts", "ok", {"view": "other"}, "cannot be one of its settings"),
        ("cohorts", "ok", {"q": "x" * (saved_views.MAX_VALUE_CHARS + 1)}, "longer than"),
        ("cohorts", "ok", {f"k{i}": "x" for i in range(saved_views.MAX_PARAMS + 1)}, "at most"),
    ],
)
def test_bad_names_pages_and_settings_are_refused_without_writing(con, page, name, params, message):
    with pytest.raises(DataError, match=message):
        saved_views.save(con, page, name, params)
    assert con.execute("SELECT count(*) FROM saved_views").fetchone()[0] == 0


def test_a_damaged_row_is_reported_as_a_sentence(con):
    con.execute(
        "INSERT INTO saved_views VALUES ('cohorts', 'hand-edited', '{\"period\": {\"x\": 1}}', now()::TIMESTAMP)"
    )
    with pytest.raises(DataError, match="is damaged .* delete it"):
        saved_views.get(con, "cohorts", "hand-edited")


def test_the_cli_lists_every_pages_views_with_their_links_and_deletes_one(tmp_path, capsys):
    path = tmp_path / "views.duckdb"
    with warehouse.session(path, write=True) as con:
        saved_views.save(con, "overview", "Last quarter", {"range": "last 3 months"})
        saved_views.save(con, "cohorts", "UK weekly", {"period": "week", "compare": ["2011-01-03", "2011-01-10"]})
    assert cli.main(["views", "list", "--db", str(path)]) == 0
    listed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert listed[["page", "name", "link"]].values.tolist() == [
        ["cohorts", "UK weekly", "cohorts?view=UK%20weekly"],
        ["overview", "Last quarter", "overview?view=Last%20quarter"],
    ]
    assert json.loads(listed["settings"].iloc[0]) == {"period": "week", "compare": ["2011-01-03", "2011-01-10"]}

    assert cli.main(["views", "delete", "--db", str(path), "cohorts", "UK weekly"]) == 0
    assert cli.main(["views", "list", "--db", str(path), "--page", "cohorts"]) == 0
    assert pd.read_csv(io.StringIO(capsys.readouterr().out)).empty
    assert cli.main(["views", "delete", "--db", str(path), "cohorts", "UK weekly"]) == 2
    assert "error: the cohorts page has no saved view named 'UK weekly'" in capsys.readouterr().err
