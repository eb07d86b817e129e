"""The results browser: open a saved run or sweep folder and explore its tables with the
plots of the Compare view (choose the sweep point, the strategies, the outcome)."""

from __future__ import annotations

from pathlib import Path

import solara
import solara.lab

from experiments.dashboard.compare import TABLE_CSS, Results, Status
from experiments.dashboard.controls import Caption, Heading
from experiments.dashboard.saved import SavedRun, display_path, find_runs
from experiments.dashboard.views import report, saved_view


@solara.component
def FolderPicker(folder: solara.Reactive[str]) -> None:
    """A folder found under outputs/ and multirun/, or any path typed in."""
    found = solara.use_memo(lambda: [display_path(p) for p in find_runs()], [])
    if found:
        solara.Select(
            "saved runs (newest first)",
            values=found,
            value=folder.value if folder.value in found else None,
            on_value=lambda v: folder.set(v or ""),
        )
    else:
        Caption("no runs under outputs/ or multirun/ yet: .venv/bin/python -m experiments.run")
    solara.InputText(
        "run, sweep or analysis folder (relative to the project root)",
        value=folder,
        classes=["folder-input"],
    )


@solara.component
def ResultsPage() -> None:
    """Browse a saved run."""
    folder = solara.use_reactive("")
    point = solara.use_reactive(0)
    chosen_strategies = solara.use_reactive(None)
    opened = solara.use_memo(lambda: _open(folder.value), [folder.value])
    run, error = opened
    slices = solara.use_memo(lambda: run.slices() if run else [], [run])
    all_strategies = solara.use_memo(lambda: run.strategies() if run else [], [run])
    strategies = chosen_strategies.value
    if strategies is None or not set(strategies) <= set(all_strategies):
        strategies = all_strategies
    index = point.value if 0 <= point.value < len(slices) else 0
    chosen = slices[index] if slices else None
    task = solara.lab.use_task(
        lambda: saved_view(run, chosen, strategies) if run and chosen else None,
        dependencies=[run, chosen, tuple(strategies)],
    )
    solara.Style(TABLE_CSS)
    with solara.Sidebar():
        with solara.Card("Saved run"):
            FolderPicker(folder)
            if slices:
                labels = [s.label for s in slices]
                solara.Select(
                    "sweep point",
                    values=labels,
                    value=labels[index],
                    on_value=lambda v: point.set(labels.index(v)),
                    classes=["point-select"],
                )
            if all_strategies:
                solara.SelectMultiple(
                    "strategies",
                    values=list(strategies),
                    all_values=all_strategies,
                    on_value=lambda v: chosen_strategies.set(list(v)),
                )
    Heading("Results browser", 2)
    if error:
        solara.Error(error, classes=["view-error"])
        return
    if run is None:
        solara.Info("choose a run folder (outputs/<experiment>/<time>/ or multirun/...)")
        return
    Caption(f"{display_path(run.folder)}: tables read per sweep point and strategy")
    Status(task.latest, task.pending, chosen.label if chosen else "")
    view = task.latest
    if view is not None and view.tables is not None:
        Results(view, stale=task.pending)
        if not view.levels_png:
            Caption("no per-member levels in this folder (an analysis keeps one row per run)")


def _open(folder: str) -> tuple[SavedRun | None, str | None]:
    """The saved run at ``folder``, or the one-line reason it cannot be opened."""
    if not folder.strip():
        return None, None
    try:
        return SavedRun(Path(folder.strip())), None
    except Exception as exc:  # every error becomes a message in the page
        return None, report(exc)
