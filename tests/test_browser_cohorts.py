"""The Cohorts heatmap in a real browser: a hovered cell's tooltip, a clicked cell's users, and a shared URL that
reopens the chosen cell, the lost/retained choice and the compared cohorts.

The numbers on screen are checked against :func:`retention.cohorts.cohort_table` on the same warehouse (itself
checked against pandas in ``tests/test_cohorts.py``). Cells are found through the chart's own axes (Plotly's
category index of a column and of a cohort's row), so the test points where a person would.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from served_app import ARTIFACTS, PAGE_TIMEOUT_MS, VIEWPORT, serve, wait_until_idle

from retention import cohorts, warehouse

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_cohorts")]

HEATMAP = ".st-key-heatmap"
CELL_XY_JS = """([column, row]) => {
    const plot = document.querySelector('.st-key-heatmap .js-plotly-plot');
    const layout = plot._fullLayout;
    const at = () => {
        const area = plot.querySelector('.nsewdrag').getBoundingClientRect();
        return [area.left + layout.xaxis.c2p(column), area.top + layout.yaxis.c2p(row)];
    };
    let [x, y] = at();
    if (y < 80 || y > window.innerHeight - 80) {  // a tall chart (weeks): scroll the cell to the middle
        let box = plot.parentElement;
        while (box && !(box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible')) {
            box = box.parentElement;
        }
        (box || document.scrollingElement).scrollBy(0, y - window.innerHeight / 2);
        [x, y] = at();
    }
    return [x, y];
}"""


@pytest.fixture(scope="module")
def app_url(sample_db, tmp_path_factory):
    db_copy = tmp_path_factory.mktemp("browser-cohorts") / "warehouse.duckdb"
    shutil.copy(sample_db, db_copy)
    with serve(db_copy, tmp_path_factory.mktemp("browser-cohorts-log") / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(chromium):
    tab = chromium.new_page(viewport=VIEWPORT)
    yield tab
    tab.close()


def _page_table(db: str, period: str) -> pd.DataFrame:
    """The cohort table the page shows by default for ``period`` (its default cohort range), from the library."""
    con = warehouse.connect(db, read_only=True)
    try:
        first, last = cohorts.data_range(con)
        start, end = cohorts.default_cohort_range(first, last, period)
        query = cohorts.CohortQuery(period=period, cohort_start=start, cohort_end=end)
        return cohorts.cohort_table(con, query).frame
    finally:
        con.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    page.wait_for_selector(f"{HEATMAP} .main-svg", timeout=60_000)  # the chart loads after the page's script
    assert page.get_by_test_id("stException").count() == 0


def _cell_xy(page: Page, table: pd.DataFrame, cohort: pd.Timestamp, period: int) -> tuple[float, float]:
    rows = sorted(table["cohort"].unique())
    return tuple(page.evaluate(CELL_XY_JS, [int(period), rows.index(cohort)]))


def _tooltip(page: Page, table: pd.DataFrame, cohort: pd.Timestamp, period: int) -> str:
    hover = page.locator(f"{HEATMAP} .hoverlayer")
    before = hover.text_content() or ""
    x, y = _cell_xy(page, table, cohort, period)
    page.mouse.move(x, y)
    expect(hover).to_contain_text("users active")
    if "users active" in before:  # the previous cell's tooltip is still drawn until Plotly redraws it
        expect(hover).not_to_have_text(before)
    return hover.text_content()


def _cell(table: pd.DataFrame, cohort: pd.Timestamp, period: int) -> pd.Series:
    return table.set_index(["cohort", "period"]).loc[(cohort, period)]


@pytest.mark.parametrize("period", ["month", "week"])
def test_hovering_a_cell_reads_its_numbers(app_url, page, sample_db, period):
    """Complete and in-progress cells both name their users and retention; no tooltip reads NaN."""
    table = _page_table(sample_db, period)
    _open(page, f"{app_url}/cohorts?period={period}")
    complete = table[table["complete"] & (table["period"] == 1)].iloc[-1]
    partial = table[~table["complete"]].iloc[0]
    for row in (complete, partial):
        text = _tooltip(page, table, row["cohort"], row["period"])
        assert "NaN" not in text
        assert f"{row['active_users']:,} of {row['cohort_users']:,} users active" in text
        shown = float(re.search(r"Retention ([\d.]+)%", text).group(1)) / 100
        assert shown == pytest.approx(row["retention"], abs=0.0006)
        assert ("period still in progress" in text) == (not row["complete"])
    page.screenshot(path=str(ARTIFACTS / f"cohorts_tooltip_{period}.png"))


def test_clicking_a_cell_lists_its_users_and_puts_it_in_the_url(app_url, page, sample_db):
    table = _page_table(sample_db, "month")
    _open(page, f"{app_url}/cohorts")
    cohort = sorted(table["cohort"].unique())[1]
    x, y = _cell_xy(page, table, cohort, 2)
    page.mouse.click(x, y)
    cell = _cell(table, cohort, 2)
    said = f"Cohort {cohort:%Y-%m-%d}, Month 2: {cell['active_users']:,} of {cell['cohort_users']:,} users active"
    expect(page.get_by_text(said)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    lost = cell["cohort_users"] - cell["active_users"]
    expect(page.get_by_text(f"{lost:,} customer{'' if lost == 1 else 's'}.", exact=True)).to_be_visible()
    assert f"cell_cohort={cohort:%Y-%m-%d}" in page.url and "cell_period=Month+2" in page.url
    page.screenshot(path=str(ARTIFACTS / "cohorts_clicked_cell.png"), full_page=True)


def test_a_shared_url_reopens_the_cell_the_show_choice_and_the_compared_curves(app_url, page, sample_db):
    table = _page_table(sample_db, "month")
    listed = sorted(table["cohort"].unique())
    cohort, compared = listed[2], listed[:2]
    chosen = "&".join(f"lines={c:%Y-%m-%d}" for c in compared)
    _open(page, f"{app_url}/cohorts?cell_cohort={cohort:%Y-%m-%d}&cell_period=Month+3&cell_show=all&{chosen}")
    cell = _cell(table, cohort, 3)
    said = f"Cohort {cohort:%Y-%m-%d}, Month 3: {cell['active_users']:,} of {cell['cohort_users']:,} users active"
    expect(page.get_by_text(said)).to_be_visible()
    expect(page.get_by_text(f"{cell['cohort_users']:,} customers.", exact=True)).to_be_visible()  # all of them
    selected = page.locator(".st-key-cell_show [role='radio'][aria-checked='true']")
    expect(selected).to_have_text("all")
    chips = page.locator(".st-key-lines [data-testid='stMultiSelect'] span[title]")
    expect(chips.first).to_be_visible()  # the multiselect loads after the page's script
    assert set(chips.all_text_contents()) == {f"{c:%Y-%m-%d}" for c in compared}
    outline = page.evaluate("() => document.querySelector('.st-key-heatmap .js-plotly-plot').layout.shapes")
    assert [(shape["x0"], shape["y0"]) for shape in outline] == [(2.5, listed.index(cohort) - 0.5)]
    page.screenshot(path=str(ARTIFACTS / "cohorts_shared_url.png"), full_page=True)
