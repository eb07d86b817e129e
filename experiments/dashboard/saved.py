"""Saved runs for the results browser: find run and sweep folders, read their tables lazily.

A folder is a run (``outputs/<experiment>/<time>/``), a multirun job, or a sweep root with
the combined tables (``multirun/<experiment>/<time>/``, extra ``job`` and ``overrides``
columns). Only the columns and rows of the chosen sweep point and strategies are read
(Parquet column selection and row filters); the per-country trajectories are reduced to
mean levels by Arrow before they reach pandas.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.dashboard.ensemble import Tables
from experiments.workflow import outputs
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import ROOT
from experiments.workflow.scenario import load_scenario_file

log = logging.getLogger(__name__)

SEARCHED = ("outputs", "multirun")
MAX_LISTED = 60
_KNOWN = (
    set(outputs.SCHEMAS[outputs.STEPS])
    | set(outputs.SCHEMAS[outputs.SUMMARY])
    | set(outputs.SCHEMAS[outputs.TRAJECTORIES])
    | set(outputs.COMBINED_COLUMNS)
)


def find_runs(root: Path = ROOT) -> list[Path]:
    """Folders under ``outputs/`` and ``multirun/`` holding a summary table, newest first."""
    found = []
    for top in SEARCHED:
        base = root / top
        if base.is_dir():
            found += [p.parent for p in base.glob("**/" + outputs.SUMMARY)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:MAX_LISTED]


def display_path(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to the project root when it is inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Slice:
    """One sweep point of a saved run (and one job of a combined multirun)."""

    point: int
    job: int | None
    label: str

    def filters(self) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = [("point", "=", self.point)]
        return out + ([("job", "=", self.job)] if self.job is not None else [])


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class SavedRun:
    """The tables of one run or sweep folder, read on demand."""

    def __init__(self, folder: Path | str, root: Path = ROOT) -> None:
        path = Path(folder).expanduser()
        path = path if path.is_absolute() else root / path
        for name in (outputs.STEPS, outputs.SUMMARY):
            if not (path / name).is_file():
                raise ConfigError(
                    "folder", f"{path / name} not found (is {folder} a run or sweep folder?)"
                )
        self.folder = path
        self.columns = pq.read_schema(path / outputs.SUMMARY).names
        self.combined = "job" in self.columns

    def _path(self, name: str) -> Path:
        return self.folder / name

    def slices(self) -> list[Slice]:
        """Every sweep point (and job), labelled by its swept values (and overrides)."""
        swept = [c for c in self.columns if c not in _KNOWN]
        keys = ["job", "overrides"] if self.combined else []
        table = pq.read_table(self._path(outputs.SUMMARY), columns=[*keys, "point", *swept])
        firsts = table.to_pandas().drop_duplicates(["job", "point"] if self.combined else "point")
        out = []
        for values in firsts.to_dict("records"):  # itertuples renames dotted columns
            label = ", ".join(f"{c}={_value_text(values[c])}" for c in swept) or "no sweep"
            label = f"point {values['point']} ({label})"
            job = int(values["job"]) if self.combined else None
            if job is not None:
                label = f"job {job} [{values['overrides'] or 'no overrides'}], {label}"
            out.append(Slice(int(values["point"]), job, label))
        return sorted(out, key=lambda s: (s.job or 0, s.point))

    def strategies(self) -> list[str]:
        """The strategies of the run, in the order it ran them."""
        column = pq.read_table(self._path(outputs.SUMMARY), columns=["strategy"])["strategy"]
        return [str(s) for s in pc.unique(column.combine_chunks().cast("string")).to_pylist()]

    def names(self) -> dict[str, str]:
        """Country code -> name, from the run's manifest (else the default scenario)."""
        manifest = self._manifest()
        codes = manifest.get("countries") or []
        countries = ((manifest.get("config") or {}).get("scenario") or {}).get("countries")
        if not countries:
            countries = load_scenario_file().get("countries", {})
        return {c: str((countries.get(c) or {}).get("name", c)) for c in codes}

    def _manifest(self) -> dict[str, Any]:
        path = self._path(outputs.MANIFEST)
        if not path.exists() and (self.folder / "multirun.json").exists():
            jobs = json.loads((self.folder / "multirun.json").read_text()).get("jobs") or []
            path = Path(jobs[0]["dir"]) / outputs.MANIFEST if jobs else path
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            log.info("no readable manifest for %s", self.folder)
            return {}

    def tables(self, chosen: Slice, strategies: list[str]) -> Tables:
        """The steps, summary and mean levels of ``chosen`` for ``strategies``."""
        filters = [*chosen.filters(), ("strategy", "in", strategies)]
        steps = pq.read_table(
            self._path(outputs.STEPS),
            columns=["strategy", "seed", "step", "date", "n_sanctioning", "n_condemn_or_higher"],
            filters=filters,
        ).to_pandas()
        summary = pq.read_table(self._path(outputs.SUMMARY), filters=filters).to_pandas()
        names = self.names()
        levels = None
        if self._path(outputs.TRAJECTORIES).exists():
            traj = pq.read_table(
                self._path(outputs.TRAJECTORIES),
                columns=["strategy", "country", "step", "date", "level"],
                filters=filters,
            )
            for name in ("strategy", "country"):  # chunks may hold different dictionaries
                column = traj.column(name).cast(pa.string())
                traj = traj.set_column(traj.schema.get_field_index(name), name, column)
            means = traj.group_by(["strategy", "country", "step", "date"]).aggregate(
                [("level", "mean")]
            )
            levels = means.to_pandas().rename(columns={"level_mean": "level"})
            if not names:
                names = {c: c for c in dict.fromkeys(levels["country"])}
        present = set(summary["strategy"].astype(str))
        return Tables(
            strategies=tuple(s for s in strategies if s in present),
            steps=steps.assign(strategy=steps["strategy"].astype(str)),
            summary=summary.assign(strategy=summary["strategy"].astype(str)),
            levels=levels,
            names=names,
            n_seeds=int(summary["seed"].nunique()) if len(summary) else 0,
        )
