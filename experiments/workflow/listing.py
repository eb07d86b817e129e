"""Saved runs and analyses at a glance: ``python -m experiments.runs [DIR ...]``.

Every run folder under ``outputs/`` and ``multirun/`` (a run, a multirun job or its sweep
root, an analysis) is listed with its date, experiment, overrides, size and status, read
from its ledger and manifest (nothing is recomputed or hashed, so the list is quick):

- ``complete``: the tables were published and ``manifest.json`` written;
- ``running``: a process holds the folder now;
- ``failed``: the last attempt recorded a failed chunk (run the same command to retry);
- ``interrupted``: stopped before it finished (run the same command to finish it);
- ``incomplete``: a sweep root whose jobs are not combined yet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.workflow import folders, ledger, manifest
from experiments.workflow.paths import ROOT

log = logging.getLogger(__name__)

SEARCHED = ("outputs", "multirun")


@dataclass(frozen=True)
class SavedFolder:
    """One listed folder."""

    path: Path
    kind: str  # run, sweep, analysis
    date: str
    experiment: str
    overrides: str
    size: int  # bytes
    status: str


def _size(folder: Path) -> int:
    total = 0
    for current, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(current) / name).stat().st_size
            except OSError:
                continue
    return total


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _status(folder: Path, events: list[dict[str, Any]], record: dict[str, Any]) -> str:
    if folders.in_use(folder):
        return "running"
    if record and (not events or ledger.is_finalized(folder)):
        return "complete"
    last_open = max((i for i, e in enumerate(events) if e.get("event") == "open"), default=0)
    if any(e.get("event") == "failed" for e in events[last_open:]):
        return "failed"
    return "interrupted"


def describe(folder: Path) -> SavedFolder:
    """What :func:`list_saved` shows of one folder."""
    events = ledger.read_events(folder)
    record = _read_json(folder / manifest.MANIFEST)
    meta = next((e.get("meta") or {} for e in events if e.get("event") == "open"), {})
    kind = "analysis" if (folder / "runs.parquet").exists() or "designs" in record else "run"
    if (folder / "multirun.json").exists() or (not events and not record):
        kind = "sweep"
    experiment = str(meta.get("experiment") or record.get("experiment") or "")
    overrides = meta.get("overrides") or record.get("overrides") or []
    if kind == "sweep":
        sweep = _read_json(folder / "multirun.json")
        jobs = sweep.get("jobs") or []
        status = "complete" if sweep and not sweep.get("skipped") else "incomplete"
        if folders.in_use(folder):
            status = "running"
        overrides = [f"{len(jobs)} jobs combined"] if sweep else ["jobs not combined yet"]
        experiment = experiment or folder.parent.name
    else:
        status = _status(folder, events, record)
    started = events[0].get("time") if events else record.get("started")
    if not started:
        started = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC).isoformat()
    return SavedFolder(
        path=folder,
        kind=kind,
        date=str(started)[:16].replace("T", " "),
        experiment=experiment or folder.parent.name,
        overrides=" ".join(str(o) for o in overrides if not str(o).startswith("hydra.")),
        size=_size(folder),
        status=status,
    )


def list_saved(roots: Sequence[Path]) -> list[SavedFolder]:
    """Every run, sweep root and analysis under ``roots``, newest first."""
    found: list[SavedFolder] = []
    for root in roots:
        if not root.is_dir():
            continue
        for folder in folders.run_dirs(root):
            if (folder / ledger.LEDGER).exists() or (folder / manifest.MANIFEST).exists():
                found.append(describe(folder))
            elif (folder / "multirun.json").exists():
                found.append(describe(folder))
    return sorted(found, key=lambda f: (f.date, str(f.path)), reverse=True)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def format_table(rows: Sequence[SavedFolder], root: Path = ROOT) -> str:
    """A plain-text table, one line per folder (paths relative to ``root``)."""
    head = ("date (UTC)", "status", "kind", "experiment", "size", "overrides", "folder")
    lines = [head]
    for r in rows:
        try:
            path = str(r.path.relative_to(root))
        except ValueError:
            path = str(r.path)
        row = (r.date, r.status, r.kind, r.experiment, _megabytes(r.size), r.overrides or "-")
        lines.append((*row, path))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1]
        for line in lines
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.runs", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "dirs", nargs="*", type=Path, help="folders to search (default: outputs/ and multirun/)"
    )
    parser.add_argument("--status", help="only folders with this status (e.g. interrupted)")
    args = parser.parse_args(argv)
    roots = args.dirs or [ROOT / name for name in SEARCHED]
    rows = [r for r in list_saved(roots) if args.status in (None, r.status)]
    if not rows:
        sys.stdout.write(f"no saved runs under {', '.join(str(r) for r in roots)}\n")
        return
    sys.stdout.write(format_table(rows) + "\n")
