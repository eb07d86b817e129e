"""The end of a multirun: the finished jobs' tables combined at the sweep root, figures.

A job's folder is ``<sweep>/<number>`` (see :func:`experiments.workflow.folders.job_folder`:
a re-run of the sweep finds each finished job's folder again, so numbers are unique and
stable); the ``job`` column is that number. The tables are concatenated by
:func:`experiments.workflow.outputs.combine_tables`; jobs without a manifest (failed or
unfinished) are skipped with a warning on the console and listed in ``multirun.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from experiments.workflow.manifest import MANIFEST
from experiments.workflow.outputs import COMBINED, combine_tables

__all__ = ["COMBINED", "CombineSweep", "combine_tables", "job_dirs"]

log = logging.getLogger(__name__)


def job_dirs(sweep_dir: Path) -> list[tuple[int, str, Path]]:
    """(number, overrides, folder) of every job folder of a sweep, by number."""
    jobs = []
    for sub in sorted(p for p in Path(sweep_dir).iterdir() if p.is_dir() and p.name.isdigit()):
        overrides_file = sub / ".hydra" / "overrides.yaml"
        if not overrides_file.exists():
            continue
        overrides = yaml.safe_load(overrides_file.read_text()) or []
        jobs.append((int(sub.name), " ".join(overrides), sub))
    return sorted(jobs)


def _plots_wanted(jobs: Sequence[tuple[int, str, Path]]) -> list[str]:
    """The figure formats the jobs asked for (empty: no figures)."""
    for _, _, path in jobs:
        try:
            config = json.loads((path / MANIFEST).read_text())["config"]
            return [str(f) for f in config.get("plot_formats", ["png"])] if config["plots"] else []
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return []


try:  # the callback base class lives in Hydra; sim and the tables do not need it
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover
    Callback = object  # type: ignore[assignment,misc]


class CombineSweep(Callback):  # type: ignore[misc,valid-type]
    """Hydra callback: at the end of a multirun, combine the jobs' tables at the sweep root
    and draw the figures there (one line per job and strategy)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_absolute():
            sweep_dir = Path(config.hydra.runtime.cwd) / sweep_dir
        jobs = job_dirs(sweep_dir)
        written = combine_tables(jobs, sweep_dir)
        if written:
            from experiments.workflow.comparison import write_comparison
            from experiments.workflow.countries import write_countries

            written.append(write_countries(sweep_dir)[0])
            written.append(write_comparison(sweep_dir)[0])
        log.info("combined %d jobs into %s", len(jobs), ", ".join(str(p) for p in written))
        formats = _plots_wanted(jobs) if written else []
        if formats:
            from experiments.workflow import plot

            plot.draw_all(sweep_dir, formats)
