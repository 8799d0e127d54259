"""Session-wide fixtures: a small generated shop and warehouses built from it.

Fixtures that hand out a warehouse yield its path as ``str`` and leave no
connection open; a test opens its own with ``warehouse.connect(path)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from retention import sample, warehouse

SAMPLE_FIXTURE_PARAMS = dict(users=600, months=18, seed=11)
ROOT = Path(__file__).resolve().parent.parent


def app_page(page: str, *, timeout: float = 180) -> AppTest:
    """An AppTest of the whole app (``app.py``: router, sidebar) switched to ``pages/<page>``, not yet run.

    Page tests start here, as Streamlit's docs describe for ``st.navigation`` apps, so that every page is
    tested inside the router. ``page`` is the file name, e.g. ``"cohorts.py"``; set ``RETENTION_DB`` first.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.switch_page(f"pages/{page}")
    return at


@pytest.fixture(scope="session")
def sample_frames() -> dict[str, pd.DataFrame]:
    """The synthetic shop for 600 users over 18 months (seed 11). Do not mutate: copy first."""
    return sample.generate(**SAMPLE_FIXTURE_PARAMS)


@pytest.fixture(scope="session")
def sample_db(sample_frames, tmp_path_factory) -> str:
    """Path of a warehouse loaded with ``sample_frames`` (one import batch per table)."""
    path = tmp_path_factory.mktemp("sample_db") / "warehouse.duckdb"
    con = warehouse.connect(path)
    try:
        sample.load_frames(con, sample_frames, source="test fixture sample_frames")
    finally:
        con.close()
    return str(path)


@pytest.fixture(scope="session")
def default_db(tmp_path_factory) -> str:
    """Path of a warehouse built from the committed ``sample_data/`` (5,000 users, 24 months)."""
    path = tmp_path_factory.mktemp("default_db") / "warehouse.duckdb"
    return str(sample.build_warehouse(path))
