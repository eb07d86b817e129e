"""Saved runs for the results browser: find run, sweep and analysis folders, read their
tables lazily.

A folder is a run (``outputs/<experiment>/<time>/``, with or without its per-seed step and
trajectory tables), a multirun job, a sweep root with the combined tables
(``multirun/<experiment>/<time>/``, extra ``job`` and ``overrides`` columns) or an analysis
(``outputs/analyse/...``: ``runs.parquet``, one slice per design, points pooled). Only the
columns and rows of the chosen slice and strategies are read (Parquet column selection and
row filters): the curves and each member's mean rung come from ``curves.parquet``, so a
20,000-seed run opens without reading its per-step tables. A damaged or unreadable table
is reported in one line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.dashboard.ensemble import Tables
from experiments.dashboard.stats import CURVES, OUTCOMES, Z95
from experiments.workflow import outputs
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import ROOT
from experiments.workflow.scenario import load_scenario_file

log = logging.getLogger(__name__)

SEARCHED = ("outputs", "multirun")
MAX_LISTED = 60
RUNS = "runs.parquet"
"""The per-run table of an analysis folder (``experiments.analyse``)."""
_KNOWN = (
    set(outputs.SCHEMAS[outputs.STEPS])
    | set(outputs.SCHEMAS[outputs.SUMMARY])
    | set(outputs.SCHEMAS[outputs.TRAJECTORIES])
    | set(outputs.COMBINED_COLUMNS)
)
_SUMMARY = ["strategy", "point", "seed", *(o.name for o in OUTCOMES if o.name != "any_adoption")]


def find_runs(root: Path = ROOT) -> list[Path]:
    """Folders under ``outputs/`` and ``multirun/`` holding a summary table (runs, sweeps) or
    a runs table (analyses), newest first."""
    found = []
    for top in SEARCHED:
        base = root / top
        if base.is_dir():
            found += [p.parent for name in (outputs.SUMMARY, RUNS) for p in base.glob("**/" + name)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:MAX_LISTED]


def _read(path: Path, **kwargs: Any) -> pa.Table:
    """``pq.read_table`` with a damaged or missing file reported in one line."""
    try:
        return pq.read_table(path, **kwargs)
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            "folder",
            f"{path} cannot be read ({reason}); run the command that wrote it again to repair it",
        ) from None


def display_path(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to the project root when it is inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Slice:
    """One sweep point of a saved run (and one job of a combined multirun), or one design
    of an analysis (``point`` None: its points pooled)."""

    point: int | None
    job: int | None
    label: str
    design: str | None = None

    def filters(self) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        out += [("point", "=", self.point)] if self.point is not None else []
        out += [("design", "=", self.design)] if self.design is not None else []
        return out + ([("job", "=", self.job)] if self.job is not None else [])


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class SavedRun:
    """The tables of one run, sweep or analysis folder, read on demand."""

    def __init__(self, folder: Path | str, root: Path = ROOT) -> None:
        path = Path(folder).expanduser()
        path = path if path.is_absolute() else root / path
        if (path / outputs.SUMMARY).is_file():
            self.kind, self.table = "run", path / outputs.SUMMARY
        elif (path / RUNS).is_file():
            self.kind, self.table = "analysis", path / RUNS
        else:
            raise ConfigError(
                "folder",
                f"{path} holds no {outputs.SUMMARY} (a run or sweep folder) or {RUNS} (an "
                f"analysis folder); python -m experiments.runs lists the saved ones",
            )
        self.folder = path
        try:
            self.columns = pq.read_schema(self.table).names
        except (OSError, pa.ArrowException):
            _read(self.table, columns=[])  # raises the one-line message
            raise
        self.combined = "job" in self.columns

    def _path(self, name: str) -> Path:
        return self.folder / name

    def slices(self) -> list[Slice]:
        """Every sweep point (and job), labelled by its swept values (and overrides); for
        an analysis, every design with its points pooled."""
        if self.kind == "analysis":
            table = _read(self.table, columns=["design", "point"]).to_pandas()
            sizes = table.groupby("design", observed=True, sort=False)["point"].nunique()
            return [
                Slice(None, None, f"design {name}: {n} points pooled", design=str(name))
                for name, n in sizes.items()
            ]
        swept = [c for c in self.columns if c not in _KNOWN]
        keys = ["job", "overrides"] if self.combined else []
        table = _read(self.table, columns=[*keys, "point", *swept])
        firsts = table.to_pandas().drop_duplicates(["job", "point"] if self.combined else "point")
        out = []
        for values in firsts.to_dict("records"):  # itertuples renames dotted columns
            label = ", ".join(f"{c}={_value_text(values[c])}" for c in swept) or "no sweep"
            label = f"point {values['point']} ({label})"
            job = int(values["job"]) if self.combined else None
            if job is not None:
                label = f"job {job} [{values['overrides'] or 'no overrides'}], {label}"
            out.append(Slice(int(values["point"]), job, label))
        return sorted(out, key=lambda s: (s.job or 0, s.point or 0))

    def strategies(self) -> list[str]:
        """The strategies of the run, in the order it ran them."""
        column = _read(self.table, columns=["strategy"])["strategy"]
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

    def _curves(self, filters: list[tuple[str, str, Any]]) -> pd.DataFrame | None:
        path = self._path(outputs.CURVES)
        if self.kind != "run" or not path.is_file():
            return None
        measures = [m for m, _ in CURVES] + ["level"]
        table = _read(
            path,
            columns=["strategy", "step", "date", "measure", "country", "n", "mean", "std"],
            filters=[*filters, ("measure", "in", measures)],
        )
        df = table.to_pandas()
        for name in ("strategy", "measure", "country"):
            df[name] = df[name].astype(str)
        return df

    def tables(self, chosen: Slice, strategies: list[str]) -> Tables:
        """The summary, adoption bands and mean levels of ``chosen`` for ``strategies``."""
        filters = [*chosen.filters(), ("strategy", "in", strategies)]
        columns = [c for c in _SUMMARY if c in self.columns]
        summary = _read(self.table, columns=columns, filters=filters).to_pandas()
        summary = summary.assign(strategy=summary["strategy"].astype(str))
        curves = self._curves(filters)
        bands = levels = None
        names = self.names()
        if curves is not None and not curves.empty:
            bands = _bands(curves[curves["measure"] != "level"])
            lv = curves[curves["measure"] == "level"]
            levels = lv.rename(columns={"mean": "level"})[
                ["strategy", "country", "step", "date", "level"]
            ].assign(date=lambda d: pd.to_datetime(d["date"]))
            if not names:
                names = {c: c for c in dict.fromkeys(levels["country"])}
        present = set(summary["strategy"])
        return Tables(
            strategies=tuple(s for s in strategies if s in present),
            steps=None,
            summary=summary,
            levels=levels if levels is not None and not levels.empty else None,
            names=names,
            n_seeds=int(summary["seed"].nunique()) if len(summary) else 0,
            bands=bands,
        )


def _bands(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% band per strategy, measure and week from the curves' statistics."""
    half = Z95 * curves["std"] / np.sqrt(curves["n"].clip(lower=1))
    out = curves.assign(
        date=pd.to_datetime(curves["date"]),
        low=curves["mean"] - half,
        high=curves["mean"] + half,
    )
    return out[["strategy", "measure", "step", "date", "mean", "low", "high"]].reset_index(
        drop=True
    )
