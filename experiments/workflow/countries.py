"""Per-country outcomes (``countries.csv``): for each strategy, sweep point (and multirun
job) and country, the share of runs ending at each rung of the ladder and the mean final
rung. Derived from ``curves.parquet`` (the per-country ``level`` counts at the last step,
accumulated while the run streamed), so summaries-only runs have it too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments.workflow import atomic
from experiments.workflow.curves import CURVES
from sim.ladder import LEVEL_NAMES

COUNTRIES = "countries.csv"
COLUMNS: dict[str, tuple[str, str]] = {
    "job": ("integer", "multirun job (sweep folder roots only)"),
    "overrides": ("string", "the job's overrides (sweep folder roots only)"),
    "strategy": ("string", "Japan's strategy"),
    "point": ("integer", "index of the parameter point in the sweep grid (0 without a sweep)"),
    "<swept parameter>": ("as swept", "one column per `sweep` key: its value at this point"),
    "country": ("string", "country code"),
    "country_name": ("string", "country name"),
    "n": ("integer", "runs (seeds) behind the shares"),
    "mean_final_level": ("float", "mean rung at the last step (0 oppose ... 4 sanction)"),
    **{
        f"share_{name}": ("float", f"share of runs in which the country ends at '{name}'")
        for name in LEVEL_NAMES
    },
}
_CURVE_COLUMNS = {"step", "date", "measure", "country", "country_name", "n", "mean", "std"}


def countries_table(curves: pd.DataFrame) -> pd.DataFrame:
    """The per-country outcome table from the ``level`` rows of a curves table."""
    levels = curves[curves["measure"].astype(str) == "level"]
    last = levels[levels["step"] == levels["step"].max()]
    keys = [c for c in last.columns if c not in _CURVE_COLUMNS | {"counts"}]
    counts = np.zeros((len(last), len(LEVEL_NAMES)), np.int64)
    for i, row in enumerate(last["counts"]):
        values = np.asarray(row, np.int64)  # padded with zeros beyond the top rung
        counts[i] = values[: len(LEVEL_NAMES)]
    n = last["n"].to_numpy()
    out = last[keys].astype({k: str for k in ("strategy", "overrides") if k in keys})
    out = out.assign(
        country=last["country"].astype(str).to_numpy(),
        country_name=last["country_name"].astype(str).to_numpy(),
        n=n,
        mean_final_level=last["mean"].to_numpy(),
        **{f"share_{name}": counts[:, k] / np.maximum(n, 1) for k, name in enumerate(LEVEL_NAMES)},
    )
    return out.reset_index(drop=True)


def write_countries(directory: Path) -> tuple[Path, int]:
    """Write ``countries.csv`` in ``directory`` from its ``curves.parquet``; (path, rows)."""
    table = pq.read_table(Path(directory) / CURVES, filters=[("measure", "=", "level")])
    path = Path(directory) / COUNTRIES
    frame = countries_table(table.to_pandas())
    atomic.atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))
    return path, len(frame)
