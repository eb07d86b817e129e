"""What the Compare view and the results browser show, computed off the page.

:func:`compare_view` and :func:`saved_view` run in a background task and return a
:class:`View`: the tables, figures rendered to PNG, the outcome table as HTML, or the
one-line error the command line would print. Nothing here imports Solara.
"""

from __future__ import annotations

import html
import io
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from experiments.dashboard import figures, stats
from experiments.dashboard.ensemble import Tables, run_view
from experiments.dashboard.saved import SavedRun, Slice
from experiments.dashboard.settings import Settings, scenario_data, simulated
from experiments.workflow.cli import precheck
from experiments.workflow.convert import to_simulation_configs
from experiments.workflow.errors import BAD_INPUT, one_line
from experiments.workflow.scenario import describe_countries
from experiments.workflow.schema import ExperimentConf

log = logging.getLogger(__name__)

DPI = 80


def report(exc: BaseException) -> str:
    """The one-line message of a bad-input error (as the CLI prints it, without
    ``error:``); anything else is a bug: logged with its traceback, reported in one line."""
    if isinstance(exc, BAD_INPUT):
        return one_line(exc, ExperimentConf)
    log.exception("internal error in the dashboard")
    return f"internal error ({type(exc).__name__}: {exc}); the traceback is in the server log"


def image(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG (or ``fmt``: svg) bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI)
    return buf.getvalue()


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    return image(fig, "png")


def table_html(table: pd.DataFrame, css_class: str) -> str:
    """A text table of :func:`stats.wide_text` as an HTML table with outcome labels."""
    head = "".join(f"<th>{html.escape(stats.OUTCOME_BY_NAME[c].label)}</th>" for c in table.columns)
    rows = "".join(
        f"<tr><th>{html.escape(str(index))}</th>"
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for index, row in zip(table.index, table.itertuples(index=False), strict=True)
    )
    return (
        f'<table class="{css_class}"><thead><tr><th>strategy</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


@dataclass(frozen=True)
class View:
    """A computed view: tables and rendered figures, or an error message."""

    title: str
    tables: Tables | None = None
    error: str | None = None
    adoption_png: bytes = b""
    levels_png: bytes = b""
    outcomes_html: str = ""
    # (baseline, outcome) -> difference_view(...), drawn in advance for the default choice
    differences: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    seconds: float = 0.0
    outcomes_csv: str = ""  # the outcome table (mean, low, high, n per strategy and outcome)
    bands: pd.DataFrame | None = None  # what the adoption figure is drawn from

    def adoption_svg(self) -> bytes:
        """The adoption figure as SVG (drawn when asked: an export)."""
        if self.bands is None or self.tables is None:
            return b""
        return image(
            figures.adoption_figure(self.bands, self.tables.strategies, self.tables.n_seeds),
            "svg",
        )

    def differences_csv(self, baseline: str) -> str:
        """The paired differences from ``baseline`` of every outcome, as CSV."""
        if self.tables is None:
            return ""
        diffs = stats.paired_differences(self.tables.summary, self.tables.strategies, baseline)
        return diffs.assign(baseline=baseline).to_csv(index=False)


def _render(title: str, tables: Tables, t0: float) -> View:
    strategies = tables.strategies
    bands = tables.bands
    if bands is None and tables.steps is not None:
        bands = stats.adoption_bands(tables.steps, strategies)
    long = stats.outcome_table(tables.summary, strategies)
    outcomes = stats.wide_text(long)
    levels = b""
    if tables.levels is not None:
        levels = png(figures.levels_figure(tables.levels, tables.names, strategies))
    key = (default_baseline(strategies), stats.DEFAULT_DIFFERENCE)
    return View(
        title=title,
        tables=tables,
        adoption_png=b""
        if bands is None
        else png(figures.adoption_figure(bands, strategies, tables.n_seeds)),
        levels_png=levels,
        outcomes_html=table_html(outcomes, "outcome-table"),
        differences={key: difference_view(tables, *key)},
        seconds=time.perf_counter() - t0,
        outcomes_csv=long.to_csv(index=False),
        bands=bands,
    )


def default_baseline(strategies: Sequence[str]) -> str:
    """``none`` if it is compared, else the first strategy."""
    return stats.BASELINE if stats.BASELINE in strategies else strategies[0]


def typed_error(settings: Settings, key: str, text: str) -> str:
    """The command line's one line for ``key=text`` typed into a numeric field where it
    does not read as a number (the view keeps the last good value)."""
    kept = [o for o in settings.overrides() if not o.startswith(f"{key}=")]
    try:
        precheck("config", to_simulation_configs, [*kept, f"{key}={text.strip()}"])
    except Exception as exc:  # the message the command line prints
        return report(exc)
    return f"{key}: not a number: {text!r}"


def describe(settings: Settings) -> str:
    """One line naming what a Compare view shows."""
    data = scenario_data()
    extra = describe_countries(data, settings.extra_countries) if settings.extra_countries else ""
    members = f"{len(simulated(()))} default countries" + (f" + {extra}" if extra else "")
    changed = ", ".join(f"{k}={v:g}" for k, v in settings.model) or "calibrated parameters"
    return (
        f"{len(settings.strategies)} strategies x {settings.n_seeds} seeds "
        f"(root seed {settings.seed}); budget {settings.budget:g} budget units per week; "
        f"institution {settings.institution}; {members}; {changed}"
    )


def compare_view(settings: Settings) -> View:
    """Run the ensemble of ``settings`` and render it (never raises)."""
    t0 = time.perf_counter()
    try:
        return _render(describe(settings), run_view(settings), t0)
    except Exception as exc:  # every error becomes a message in the page
        return View(title=describe(settings), error=report(exc))


def saved_view(run: SavedRun, chosen: Slice, strategies: Sequence[str]) -> View:
    """Read one sweep point of a saved run and render it (never raises)."""
    t0 = time.perf_counter()
    title = f"{chosen.label}; {len(strategies)} strategies"
    try:
        tables = run.tables(chosen, list(strategies))
        if tables.summary.empty:
            return View(title=title, error="strategies: no rows for this selection")
        return _render(title, tables, t0)
    except Exception as exc:  # every error becomes a message in the page
        return View(title=title, error=report(exc))


def difference_view(tables: Tables, baseline: str, outcome: str) -> tuple[bytes, str]:
    """The paired differences from ``baseline``: forest plot of ``outcome`` (PNG) and the
    table of every outcome (HTML)."""
    diffs = stats.paired_differences(tables.summary, tables.strategies, baseline)
    if diffs.empty:
        return b"", ""
    figure = png(figures.difference_figure(diffs, outcome, baseline))
    return figure, table_html(stats.wide_text(diffs, sign=True), "difference-table")
