"""The escaping helpers: values from data reach Markdown and Plotly labels as literal text.

How a browser renders them is checked for real in ``test_browser_markup.py``; here, that the escaped text keeps
no construct that could become an image, a link, a tag or emphasis, and reads back as the value.
"""

from __future__ import annotations

import html
import re

import pytest

from retention.charts import label
from retention.ui.common import plain

LINKS = [  # values that would fetch something, link somewhere or shout; the browser test seeds its data with them
    "![x](http://127.0.0.1:9/beacon.png)",
    "<img src=http://127.0.0.1:9/b>",
    '<a href="http://evil">x</a>',
    "**bold**",
    "[link](http://evil)",
    '=HYPERLINK("http://evil","x")',
]
HOSTILE = [
    *LINKS,
    "_em_ `code` ~~gone~~ $x$ a|b",
    "# heading\n- item\n1. first\n> quote",
    "mail me@evil.example or www.evil.example",
]


def _read_back(escaped: str) -> str:
    """What a CommonMark renderer shows for text that holds only backslash escapes and character references."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped))


@pytest.mark.parametrize("value", HOSTILE)
def test_plain_leaves_no_markup_and_reads_back_as_typed(value):
    escaped = plain(value)
    unescaped_punctuation = re.compile(r"(?<!\\)[\[\]*_`~$|]")
    assert not unescaped_punctuation.search(escaped)
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", escaped)  # no tag or autolink can start
    assert "://" not in escaped and "@" not in escaped and "www." not in escaped  # no bare link
    assert not re.search(r"^\s*([#>+=-]|\d+[.)])", escaped, re.MULTILINE)  # no heading, list or quote
    assert _read_back(escaped) == value


def test_plain_keeps_ordinary_sentences_as_they_are():
    sentence = "Cannot read the bracket 'soon': low <= likely <= high, 3 > 2; see the file orders.csv."
    assert plain(sentence) == sentence


def test_chart_labels_keep_no_tag():
    assert label('<a href="http://evil">x</a> & co') == '&lt;a href="http://evil"&gt;x&lt;/a&gt; &amp; co'
    assert label(3) == "3"
