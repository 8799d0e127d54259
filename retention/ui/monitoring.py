"""The Monitoring page's sections, cached, and the one way a check is shown.

A section's view (``(path, version) -> None``) is registered in :data:`VIEWS` under its section's name by its
module (imported by :func:`views`); a section without a view of its own shows its checks as a table.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention import monitoring
from retention.registry import Registry
from retention.ui.common import cursor

# The modules whose views draw the sections' charts.
VIEW_MODULES: tuple[str, ...] = (
    "retention.ui.monitoring_freshness",
    "retention.ui.monitoring_models",
    "retention.ui.monitoring_outcomes",
)

View = Callable[[str, str], None]
VIEWS: Registry[View] = Registry("monitoring view")


def views() -> Registry[View]:
    """Every section's view, after importing the modules that register them (:data:`VIEW_MODULES`)."""
    for module in VIEW_MODULES:
        importlib.import_module(module)
    return VIEWS


def section(path: str, version: str, name: str) -> monitoring.Section:
    """Section ``name`` of the warehouse at ``path`` with the default thresholds, computed again each day (the days
    since the last import count on when no data changes)."""
    return _section(path, version, name, dt.date.today())


@st.cache_data(show_spinner="Checking…", max_entries=32)
def _section(path: str, version: str, name: str, day: dt.date) -> monitoring.Section:
    with cursor() as con:
        return monitoring.sections()[name](con, {})


def checks_table(checks: tuple[monitoring.Check, ...]) -> pd.DataFrame:
    """Checks as rows: ``check``, ``value``, ``threshold``, ``status`` ("crossed" or "ok", "not yet" without a
    value) and ``worry``."""
    return pd.DataFrame(
        {
            "check": [c.name for c in checks],
            "value": [c.value for c in checks],
            "threshold": [c.threshold for c in checks],
            "status": ["not yet" if c.value is None else "crossed" if c.crossed else "ok" for c in checks],
            "worry": [c.worry for c in checks],
        }
    )


def show_checks(checks: tuple[monitoring.Check, ...]) -> None:
    """Crossed checks as warnings (their worry sentence), then every check as a table."""
    for crossed in (c for c in checks if c.crossed):
        st.warning(f"{crossed.name}: {crossed.value:,.3g} is past {crossed.threshold:,.3g}. {crossed.worry}")
    if checks:
        st.dataframe(checks_table(checks), hide_index=True, placeholder="–")


def show_section(path: str, version: str, name: str) -> None:
    """Section ``name``: its heading, then its own view or, without one, its checks."""
    built = section(path, version, name)
    st.header(built.title)
    registered = views()
    if name in registered:
        registered[name](path, version)
    else:
        show_checks(built.checks)
