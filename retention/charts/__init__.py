"""Plotly figures, one module per page concept. Pure: DataFrames in, figures out.

Plotly reads a subset of HTML in every label it draws (axis categories, tick texts, legend names, hover text):
``<a href=...>`` becomes a live link. A label that comes from data (a channel, a country, a feature's value)
goes through :func:`label` first.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


def label(value: object) -> str:
    """``value`` as literal text in a Plotly label: ``&``, ``<`` and ``>`` as entities (Plotly shows them as typed)."""
    return html.escape(str(value), quote=False)


def labels(values: Iterable[object]) -> list[str]:
    """:func:`label` of each value."""
    return [label(value) for value in values]
