"""Session-wide fixtures: a small generated shop and warehouses built from it.

Fixtures that hand out a warehouse yield its path as ``str`` and leave no
connection open; a test opens its own with ``warehouse.connect(path)``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from retention import sample, warehouse

SAMPLE_FIXTURE_PARAMS = dict(users=600, months=18, seed=11)
ROOT = Path(__file__).resolve().parent.parent


class _RoutedPagesManager(PagesManager):
    """Pages as a server holds them after its first request: ``st.navigation`` has switched the legacy mode off."""

    def __init__(self, *args, **kwargs) -> None:
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


@pytest.fixture(autouse=True)
def routed_runs(monkeypatch):
    """Every AppTest run starts as later requests to a server do: through ``app.py``'s navigation.

    AppTest resets Streamlit's legacy pages-folder flag before each run, so each run would start as a fresh
    server's very first request: the page file runs alone, ``common.page_header`` reruns it through the
    router, and that rerun drops a clicked button. The first-request path itself is covered for real by the
    browser test that opens a deep link on a fresh server.
    """
    monkeypatch.setattr(app_test, "PagesManager", _RoutedPagesManager)


def app_page(page: str, *, timeout: float = 180) -> AppTest:
    """An AppTest of the whole app (``app.py``: router, sidebar) switched to ``pages/<page>``, not yet run.

    Page tests start here, as Streamlit's docs describe for ``st.navigation`` apps, so that every page is
    tested inside the router. ``page`` is the file name, e.g. ``"cohorts.py"``; set ``RETENTION_DB`` first.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.switch_page(f"pages/{page}")
    return at


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium under Playwright, one per browser test module (see ``tests/served_app.py``)."""
    from playwright.sync_api import sync_playwright
    from served_app import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sample_frames() -> dict[str, pd.DataFrame]:
    """The synthetic shop for 600 users over 18 months (seed 11). Do not mutate: copy first."""
    return sample.generate(**SAMPLE_FIXTURE_PARAMS)


@pytest.fixture(scope="session")
def sample_db(sample_frames, tmp_path_factory) -> Iterator[str]:
    """Path of a warehouse loaded with ``sample_frames`` (one import batch per table)."""
    path = tmp_path_factory.mktemp("sample_db") / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, sample_frames, source="test fixture sample_frames")
        loaded = (warehouse.data_version(con), warehouse.row_count(con, "jobs"))
    finally:
        con.close()
    yield str(path)
    with warehouse.session(path) as con:
        now = (warehouse.data_version(con), warehouse.row_count(con, "jobs"))
        assert now == loaded, "a test wrote into the shared sample_db: use sample_copy"


@pytest.fixture
def sample_copy(sample_db, tmp_path) -> str:
    """A private copy of ``sample_db`` for a test that writes (a job, scores, a run): the shared file stays as loaded,
    so that no test sees another's rows."""
    path = tmp_path / "sample_copy.duckdb"
    shutil.copy(sample_db, path)
    return str(path)


@pytest.fixture(scope="module")
def module_copy_con(sample_db, tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a copy of ``sample_db`` shared by the tests of one module (they may write to it)."""
    path = tmp_path_factory.mktemp("module_copy") / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    connection = warehouse.connect(path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def default_db(tmp_path_factory) -> str:
    """Path of a warehouse built from the committed ``sample_data/`` (5,000 users, 24 months)."""
    path = tmp_path_factory.mktemp("default_db") / "warehouse.duckdb"
    return str(sample.build_warehouse(path))


@pytest.fixture(scope="module")
def scored_db(sample_db, tmp_path_factory) -> str:
    """A copy of ``sample_db`` with churn scores, one per test module (see test_campaigns_fixtures.scored_copy)."""
    from test_campaigns_fixtures import scored_copy

    return scored_copy(sample_db, tmp_path_factory.mktemp("scored"))


@pytest.fixture
def scored_con(scored_db, tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to this test's own copy of ``scored_db``."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_db, path)
    connection = warehouse.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def writable_db(scored_db, tmp_path, monkeypatch) -> str:
    """This test's own copy of ``scored_db``, which the app's pages open (``RETENTION_DB``)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(scored_db, path)
    monkeypatch.setenv("RETENTION_DB", str(path))
    return str(path)


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """File name -> the function a download button serves its bytes from (Streamlit registers it at render)."""
    served = {}
    register = MediaFileManager.add_deferred

    def spy(self, data, mimetype, coordinates, file_name=None, **kwargs):
        served[file_name] = data
        return register(self, data, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return served


@pytest.fixture(scope="session")
def spark_session():
    """One Spark session (``local[2]``, 1 GiB driver, small-data settings) per test worker, shared by every Spark
    test it runs."""
    import os

    from retention.engines import spark

    os.environ.setdefault(spark.DRIVER_MEMORY_ENV_VAR, "1g")
    return spark.session("local[2]", spark.SMALL_DATA_CONFIG)


@pytest.fixture(scope="session")
def sample_lake(sample_db, tmp_path_factory) -> str:
    """``sample_db`` exported as a lake (``python -m retention lake export``): the folder's path."""
    from retention.engines import lake

    folder = tmp_path_factory.mktemp("sample_lake")
    lake.export(sample_db, folder)
    return str(folder)


@pytest.fixture(scope="session")
def retail_db(tmp_path_factory) -> str:
    """A warehouse holding the committed Online Retail slice (order lines with titles and countries)."""
    from online_retail import LINE_MAPPING, SLICE

    from retention import ingest

    path = tmp_path_factory.mktemp("retail_db") / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        ingest.import_file(con, "orders", SLICE, mapping=LINE_MAPPING)
    finally:
        con.close()
    return str(path)


@pytest.fixture(scope="session")
def retail_lake(retail_db, tmp_path_factory) -> str:
    """``retail_db`` exported as a lake: the folder's path."""
    from retention.engines import lake

    folder = tmp_path_factory.mktemp("retail_lake")
    lake.export(retail_db, folder)
    return str(folder)
