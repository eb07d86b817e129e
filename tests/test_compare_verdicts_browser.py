"""The Compare view's pair verdicts and parameter bands in headless chromium: both tables
render with their labels, and the verdicts shown are those of the report's function on
the view's runs (computed here again from the same settings)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from experiments.dashboard.ensemble import run_view
from experiments.dashboard.verdicts import rules, verdict_text, verdicts
from tests import test_app_browser as app

pytestmark = pytest.mark.browser
log = logging.getLogger(__name__)

server = app.server  # the dashboard on a free port (fixtures shared with test_app_browser)
browser = app.browser
page = app.page


def verdict_cells(page: Page) -> dict[str, list[str]]:
    """Rows of the verdict table: strategy -> the verdict line of each outcome's cell."""
    rows = page.locator("table.verdict-table").evaluate(
        "t => [...t.tBodies[0].rows].map(r => [r.cells[0].innerText.trim(),"
        " ...[...r.cells].slice(1).map(c => c.querySelector('b').innerText.trim())])"
    )
    return {row[0]: row[1:] for row in rows}


def expected_cells(v, reference: str) -> dict[str, list[str]]:  # noqa: ANN001
    out: dict[str, list[str]] = {}
    pairs = v.pairs
    for strategy in dict.fromkeys(v.bands["strategy"]):
        if strategy == reference:
            continue
        cells = []
        for o in rules().headline:
            mine = pairs[
                (pairs["outcome"] == o.name)
                & pairs["strategy_a"].isin([strategy, reference])
                & pairs["strategy_b"].isin([strategy, reference])
            ].iloc[0]
            cells.append(verdict_text(mine, strategy, reference)[0])
        out[strategy] = cells
    return out


def test_the_compare_view_shows_the_report_s_verdicts_and_bands(
    page: Page, server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    page.goto(server)
    app.shown(page, app.OPENING, timeout=app.FIRST_LOAD_MS)
    t0 = time.perf_counter()
    table = page.locator("table.verdict-table")
    expect(table).to_be_visible(timeout=app.UPDATE_MS)
    expect(page.locator(".verdict-running")).to_have_count(0, timeout=app.UPDATE_MS)
    panel_wait = time.perf_counter() - t0
    sets, seeds = app.DEFAULTS.accepted_sets, app.DEFAULTS.n_seeds
    explanation = f"Worlds: {sets} accepted calibration sets x {seeds} seeds"
    expect(page.get_by_text(explanation)).to_be_visible()
    head = table.locator("thead").inner_text()
    assert "strategy vs none" in head
    for o in rules().headline:
        assert o.label in head
    v = verdicts(run_view(app.DEFAULTS).summary, app.DEFAULTS.strategies, app.DEFAULTS.budget)
    assert verdict_cells(page) == expected_cells(v, "none")

    bands = page.locator("table.band-table")
    expect(bands).to_be_visible()
    band_head = bands.locator("thead").inner_text()
    assert band_head.count("mean ± Monte Carlo error") == len(rules().headline)
    assert band_head.count("parameter band: 5-95% over sets") == len(rules().headline)
    rows = app.table_cells(page, "band-table")
    assert list(rows) == list(app.DEFAULTS.strategies)
    first = v.bands.iloc[0]
    assert rows[first["strategy"]][:2] == [
        f"{first['mean']:.2f} ± {first['mc_se']:.3f}",
        f"{first['p05']:.2f} to {first['p95']:.2f}",
    ]
    page.locator(".verdict-panel").screenshot(path=tmp_path / "compare_verdicts.png")
    app.report(request, f"verdict panel shown {panel_wait:.2f} s after the view's status line")

    app.choose(page, ".verdict-reference", "uniform")
    expect(table.locator("thead")).to_contain_text("strategy vs uniform")
    assert verdict_cells(page) == expected_cells(v, "uniform")
