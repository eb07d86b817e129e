"""The Compare view: every chosen strategy on the same seeds (and accepted calibration
sets), rerun on each change, with the report's pair verdicts and parameter bands.

The ensemble runs in a background task (the page stays responsive and keeps showing the
last result, dimmed, until the new one arrives); results live in the component, per
session.
"""

from __future__ import annotations

import html

import solara
import solara.lab

from experiments.dashboard import state
from experiments.dashboard.controls import (
    Caption,
    Heading,
    ModelControls,
    ScenarioControls,
    SeedControls,
    StrategySelect,
)
from experiments.dashboard.stats import DEFAULT_DIFFERENCE, OUTCOME_BY_NAME, OUTCOMES
from experiments.dashboard.verdict_panel import SetsInput, VerdictPanel
from experiments.dashboard.views import (
    View,
    compare_view,
    default_baseline,
    describe,
    difference_view,
)

TABLE_CSS = """
.outcome-table, .difference-table { border-collapse: collapse; font-size: 13px; }
.outcome-table th, .outcome-table td, .difference-table th, .difference-table td {
  border-bottom: 1px solid #e0e0e0; padding: 3px 8px; text-align: right; white-space: nowrap; }
.outcome-table thead th, .difference-table thead th {
  font-weight: 600; vertical-align: bottom; max-width: 140px; white-space: normal; }
.outcome-table tbody th, .difference-table tbody th { text-align: left; }
.copy-command { white-space: pre-wrap; word-break: break-all; background: #f5f5f5;
  padding: 8px; font-size: 13px; }
.view-status { font-size: 14px; }
"""


CAPTION_STYLE = {"font-size": "13px", "color": "#616161"}


@solara.component
def Status(view: View | None, pending: bool, running: str) -> None:
    """What is shown (and how long it took), or what is being computed."""
    if pending:
        solara.ProgressLinear(True)
        solara.Text(f"running: {running}", classes=["view-running"], style=CAPTION_STYLE)
    if view is None:
        return
    if view.error:
        solara.Error(view.error, classes=["view-error"])
        return
    solara.Text(f"{view.title}; computed in {view.seconds:.2f} s", classes=["view-status"])


@solara.component
def Differences(view: View) -> None:
    """Paired differences from a baseline strategy on the same seeds."""
    assert view.tables is not None
    tables = view.tables
    strategies = list(tables.strategies)
    baseline = solara.use_reactive(default_baseline(strategies))
    outcome = solara.use_reactive(DEFAULT_DIFFERENCE)
    labels = {o.label: o.name for o in OUTCOMES}
    chosen = baseline.value if baseline.value in strategies else default_baseline(strategies)
    key = (chosen, outcome.value)
    figure, table = solara.use_memo(
        lambda: view.differences.get(key) or difference_view(tables, *key), [view, key]
    )
    Heading("Paired difference from a baseline (same seeds)")
    with solara.Row():
        solara.Select("baseline", values=strategies, value=chosen, on_value=baseline.set)
        solara.Select(
            "outcome",
            values=list(labels),
            value=OUTCOME_BY_NAME[outcome.value].label,
            on_value=lambda label: outcome.set(labels[label]),
            classes=["outcome-select"],
        )
    if not table:
        solara.Info("choose at least two strategies to compare them")
        return
    solara.Image(figure)
    solara.HTML(unsafe_innerHTML=table)
    solara.FileDownload(
        lambda: view.differences_csv(chosen),
        filename=f"differences_from_{chosen}.csv",
        label="differences (CSV)",
        mime_type="text/csv",
    )


@solara.component
def Results(view: View, stale: bool) -> None:
    """The figures and tables of a computed view."""
    assert view.tables is not None
    style = {"opacity": "0.45"} if stale else {}
    with solara.Column(style=style):
        Heading("Adoption curves")
        if view.adoption_png:
            solara.Image(view.adoption_png)
            with solara.Row(classes=["export-figure"]):
                solara.FileDownload(
                    view.adoption_png, "adoption_curves.png", label="figure (PNG)",
                    mime_type="image/png",
                )  # fmt: skip
                solara.FileDownload(
                    view.adoption_svg, "adoption_curves.svg", label="figure (SVG)",
                    mime_type="image/svg+xml",
                )  # fmt: skip
        else:
            Caption("no per-week curves in this folder (an analysis keeps one row per run)")
        Heading("Outcomes: mean and 95% CI over the seeds")
        solara.HTML(unsafe_innerHTML=view.outcomes_html)
        solara.FileDownload(
            view.outcomes_csv, "outcomes.csv", label="table (CSV)", mime_type="text/csv"
        )
        Caption("budget units: 1 unit = one leaders' visit per week; leakage: USD bn per year")
        Differences(view)
        if view.levels_png:
            Heading("Each member's level over time")
            solara.Image(view.levels_png)


@solara.component
def CommandBox(command: str, yaml: str) -> None:
    """The command line (and preset YAML) that reproduces the view."""
    Heading("Copy as command")
    Caption("reproduces this view's numbers; writes tables and figures to outputs/")
    solara.HTML(tag="pre", unsafe_innerHTML=html.escape(command), classes=["copy-command"])
    with solara.Details("as an experiment preset (YAML)"):
        solara.HTML(tag="pre", unsafe_innerHTML=html.escape(yaml), classes=["copy-yaml"])


@solara.component
def ComparePage() -> None:
    """Compare strategies live."""
    settings = state.settings
    s = settings.value
    task = solara.lab.use_task(lambda: (s, compare_view(s)), dependencies=[s])
    computed, view = task.latest or (s, None)  # the settings the view was computed with
    solara.Style(TABLE_CSS)
    with solara.Sidebar():
        with solara.Card("Strategies"):
            StrategySelect(settings)
        with solara.Card("Scenario"):
            ScenarioControls(settings)
            ModelControls(settings)
        with solara.Card("Replicates"):
            SeedControls(settings)
            SetsInput(settings)
    with solara.Column():
        Heading("Compare strategies", 2)
        Status(view, task.pending, describe(s))
        if view is not None and view.tables is not None:
            Results(view, stale=task.pending)
            VerdictPanel(computed, view, stale=task.pending)
        CommandBox(s.command(), s.yaml())
