"""The designs of an analysis, run point by point for every strategy on common seeds.

:func:`make_designs` draws the designs (``explore``: Latin hypercube for robustness,
pairwise verdicts and scenario discovery; ``effort``: a Latin hypercube run at each of a
few fixed budgets; ``mandate``: a Latin hypercube with a counterfactual institution;
``morris``: Morris trajectories; ``sobol``: Saltelli's Sobol' design) from one root
seed. :func:`run_plan` runs every point of every design for every strategy on the same
replicate seeds (the compiled kernel, summaries only: one call per point and strategy on a
world built from a template, :class:`sim.engine.WorldCache`), in chunks of points
recorded in the run ledger (:mod:`experiments.workflow.ledger`, one ``done`` line per
finished chunk, a ``failed`` line with the error of a chunk that raised), with a progress
bar over points. Points run on ``workers`` threads (the compiled kernel releases the GIL);
a run's numbers depend only on its seed and config, so results do not depend on
``workers`` or the chunking.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from experiments.analysis.design import (
    Design,
    UncertaintySpace,
    latin_hypercube,
    morris_design,
    sobol_design,
    sobol_row_count,
)
from experiments.analysis.space import PointConfigs
from experiments.analysis.tables import RUNS
from experiments.workflow.errors import ConfigError
from experiments.workflow.ledger import Chunk, Ledger
from experiments.workflow.schema import DesignsConf
from sim import SUMMARY_COLUMNS
from sim.engine import WorldCache
from sim.results import SUMMARY_DTYPES, Summary, empty_summary

log = logging.getLogger(__name__)

DESIGNS = ("explore", "effort", "mandate", "morris", "sobol")
"""Design names, in run order."""
MAX_DESIGN_POINTS = 1_000_000
"""Most points in one design: a million points hold ~0.5 GB of design values (32
dimensions) and, at the default 11 strategies x 24 seeds and ~6,000 runs/s, take about
half a day to run; beyond, the dry run refuses before drawing it."""
WORLDS = ("explore", "effort", "mandate")
"""Latin hypercube designs: plausible worlds (every other design serves the indices)."""


def _design_seed(seed: int, index: int) -> int:
    """A seed per design, derived from the analysis's root seed."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def design_rows(sizes: DesignsConf, n_dimensions: int) -> dict[str, int]:
    """Points of each design, computed from its size without drawing it."""
    d = n_dimensions
    return {
        "designs.explore": sizes.explore,
        "designs.effort": sizes.effort,
        "designs.mandate": sizes.mandate,
        "designs.morris_trajectories": sizes.morris_trajectories * (d + 1),
        "designs.sobol_n": sobol_row_count(sizes.sobol_n, d, sizes.sobol_second_order),
    }


def with_column(design: Design, column: str, values: Sequence[Any]) -> Design:
    """``design`` repeated once per value of ``values``, ``column`` set to that value (rows
    value by value; the unit face repeated, so a point's worlds match across values)."""
    parts = [design.values.assign(**{column: v}) for v in values]
    frame = pd.concat(parts, ignore_index=True).rename_axis(design.values.index.name)
    unit = np.concatenate([design.unit] * len(values), axis=0)
    return replace(design, unit=unit, values=frame)


def make_designs(
    space: UncertaintySpace,
    sizes: DesignsConf,
    seed: int,
    budgets: Sequence[float] = (),
    mandate: str | None = None,
) -> dict[str, Design]:
    """The designs with a non-zero size, drawn from ``seed`` (same seed, same designs):
    ``effort`` runs its points at each of ``budgets``, ``mandate`` with institution
    ``mandate``."""
    for key in ("explore", "effort", "mandate", "morris_trajectories", "sobol_n"):
        if getattr(sizes, key) < 0:
            raise ConfigError(f"designs.{key}", f"must be >= 0, got {getattr(sizes, key)}")
    d = len(space.free)
    for key, rows in design_rows(sizes, d).items():
        if rows > MAX_DESIGN_POINTS:
            gb = rows * (2 * d + len(space.fixed)) * 8 / 1e9
            raise ConfigError(
                key,
                f"{rows:,} design points over {d} dimensions (about {gb:,.1f} GB to hold the "
                f"design alone, and as many runs per strategy and seed); at most "
                f"{MAX_DESIGN_POINTS:,} points",
            )
    out: dict[str, Design] = {}
    try:
        if sizes.explore:
            out["explore"] = latin_hypercube(space, sizes.explore, _design_seed(seed, 0))
        if sizes.effort and budgets:
            key = "designs.effort"
            base = latin_hypercube(space, sizes.effort, _design_seed(seed, 3))
            out["effort"] = with_column(base, "budget", [float(b) for b in budgets])
        if sizes.mandate and mandate is not None:
            key = "designs.mandate"
            base = latin_hypercube(space, sizes.mandate, _design_seed(seed, 4))
            out["mandate"] = with_column(base, "institution", [mandate])
        if sizes.morris_trajectories:
            key = "designs.morris_trajectories"
            out["morris"] = morris_design(
                space, sizes.morris_trajectories, _design_seed(seed, 1), sizes.morris_levels
            )
        if sizes.sobol_n:
            key = "designs.sobol_n"
            out["sobol"] = sobol_design(
                space, sizes.sobol_n, _design_seed(seed, 2), sizes.sobol_second_order
            )
    except ValueError as exc:
        raise ConfigError(key if "key" in locals() else "designs", str(exc)) from None
    if not out:
        raise ConfigError("designs", "every design has size 0: nothing to run")
    return out


@dataclass(frozen=True)
class Plan:
    """What an analysis runs: designs x strategies x seeds, cut into chunks of points."""

    designs: dict[str, Design]
    strategies: tuple[str, ...]
    seeds: np.ndarray
    chunk_points: int

    @property
    def n_points(self) -> int:
        return sum(d.n_rows for d in self.designs.values())

    @property
    def n_runs(self) -> int:
        return self.n_points * len(self.strategies) * len(self.seeds)

    def ledger_chunks(self) -> list[Chunk]:
        """The chunks as the ledger's plan, in run order."""
        return [
            Chunk(chunk_id, {"design": name, "points": [points.start, points.stop]})
            for chunk_id, name, points in self.chunks()
        ]

    def chunks(self) -> Iterator[tuple[str, str, range]]:
        """``(chunk_id, design, points)`` in run order (ids sort in run order too)."""
        for name, design in self.designs.items():
            for k, start in enumerate(range(0, design.n_rows, self.chunk_points)):
                yield (
                    f"{name}-{k:05d}",
                    name,
                    range(start, min(start + self.chunk_points, design.n_rows)),
                )


def _run_point(
    configs: PointConfigs,
    worlds: WorldCache,
    row: Mapping[str, Any],
    seeds: np.ndarray,
    out: Summary,
) -> None:
    """Every strategy at design row ``row``, into ``out`` (strategy by strategy, then seed):
    one kernel call per strategy on the world of its template."""
    n = len(seeds)
    for j, (_, cfg) in enumerate(configs.at(row)):
        worlds.simulate(cfg, seeds, Summary(*(a[j * n : (j + 1) * n] for a in out)))


def runs_table(
    design: str,
    points: Sequence[int],
    strategies: tuple[str, ...],
    seeds: np.ndarray,
    summary: Mapping[str, np.ndarray],
) -> pa.Table:
    """Per-run rows (see ``tables.SCHEMAS['runs.parquet']``) of points' results:
    ``summary`` holds one value per point, strategy and seed, in that order."""
    n, k = len(seeds), len(strategies)
    rows = len(points) * k * n
    cols: dict[str, pa.Array] = {
        "design": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(rows, np.int32)), pa.array([design])
        ),
        "point": pa.array(np.repeat(np.asarray(points, np.int32), k * n)),
        "strategy": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.repeat(np.arange(k, dtype=np.int32), n), len(points))),
            pa.array(list(strategies)),
        ),
        "seed": pa.array(np.tile(np.asarray(seeds, np.int64), len(points) * k)),
    }
    for name in SUMMARY_COLUMNS:
        cols[name] = pa.array(np.asarray(summary[name]).astype(SUMMARY_DTYPES[name]))
    return pa.table(cols)


def run_points(
    configs: PointConfigs,
    design: Design,
    points: Sequence[int],
    seeds: np.ndarray,
    k: int,
    workers: int,
    on_point: Callable[[], None] | None = None,
) -> dict[str, np.ndarray]:
    """Every strategy at each of ``points`` of ``design``: the per-run summaries, one
    value per point, strategy and seed (in that order), each point written into its own
    slice by one of ``workers`` threads (the kernel releases the GIL)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    per_point = len(configs.strategies) * len(seeds)
    summary = empty_summary(len(points) * per_point)
    worlds = _world_cache(configs, k)
    rows = design.values.iloc[list(points)].to_dict("records")

    def job(i: int) -> None:
        part = Summary(*(a[i * per_point : (i + 1) * per_point] for a in summary))
        _run_point(configs, worlds, rows[i], seeds, part)
        if on_point is not None:
            on_point()

    if workers == 1 or len(rows) <= 1:
        for i in range(len(rows)):
            job(i)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(job, range(len(rows))))
    return summary._asdict()


_WORLDS: weakref.WeakKeyDictionary[PointConfigs, dict[int, WorldCache]] = (
    weakref.WeakKeyDictionary()
)


def _world_cache(configs: PointConfigs, k: int) -> WorldCache:
    """The world templates of ``configs`` (built once per analysis, shared by its chunks)."""
    by_k = _WORLDS.setdefault(configs, {})
    return by_k.setdefault(k, WorldCache(k))


def run_plan(
    plan: Plan, configs: PointConfigs, ledger: Ledger, k: int, workers: int, desc: str
) -> int:
    """Run every chunk of ``plan`` not yet done in ``ledger`` and record its runs (table
    ``runs.parquet``); a chunk that raises is recorded as failed with its error, and the error is
    raised again. Returns the number of chunks done before (resumed)."""
    chunks = {chunk_id: (name, points) for chunk_id, name, points in plan.chunks()}
    todo = ledger.pending()
    resumed = len(chunks) - len(todo)
    total = sum(len(chunks[c.id][1]) for c in todo)
    log.info(
        "%d points x %d strategies x %d seeds = %d runs to do (%d chunks, %d done before)",
        total,
        len(plan.strategies),
        len(plan.seeds),
        total * len(plan.strategies) * len(plan.seeds),
        len(todo),
        resumed,
    )
    with tqdm(total=total, unit="point", desc=desc, disable=not sys.stderr.isatty()) as bar:
        for n, chunk in enumerate(todo, start=1):
            name, points = chunks[chunk.id]
            bar.set_postfix_str(chunk.id)
            try:
                summary = run_points(
                    configs, plan.designs[name], points, plan.seeds, k, workers, bar.update
                )
                table = runs_table(name, points, plan.strategies, plan.seeds, summary)
            except Exception as exc:
                ledger.fail(chunk.id, exc)
                log.error("chunk %s failed: %s: %s", chunk.id, type(exc).__name__, exc)
                raise
            ledger.record(chunk.id, {RUNS: table})
            log.debug("chunk %s done (%d of %d)", chunk.id, n, len(todo))
            if n % max(1, len(todo) // 10) == 0:
                log.info("%d of %d chunks done", n, len(todo))
    return resumed


@dataclass(frozen=True)
class Pilot:
    """A short timed run: how fast the plan will go and how big its tables will be."""

    n_runs: int
    seconds: float
    bytes_per_run: float
    warmup_seconds: float
    table: pa.Table  # the pilot's runs (``runs_table`` rows)

    @property
    def runs_per_second(self) -> float:
        return self.n_runs / self.seconds if self.seconds > 0 else float("inf")


def pilot(plan: Plan, configs: PointConfigs, n_points: int, k: int, workers: int) -> Pilot:
    """Time ``n_points`` points (spread over the designs) after one untimed warm-up point
    (which loads or compiles the kernel and warms the allocator), and measure the
    compressed size of their rows."""
    t0 = time.perf_counter()
    design = next(iter(plan.designs.values()))
    run_points(configs, design, [0], plan.seeds, k, 1)
    warmup = time.perf_counter() - t0
    picks: list[tuple[str, int]] = []
    names = list(plan.designs)
    for i in range(max(1, n_points)):
        name = names[i % len(names)]
        rows = plan.designs[name].n_rows
        picks.append((name, (i * 7919) % rows))
    t1 = time.perf_counter()
    tables = []
    for name in names:
        points = [p for n, p in picks if n == name]
        if points:
            summary = run_points(configs, plan.designs[name], points, plan.seeds, k, workers)
            tables.append(runs_table(name, points, plan.strategies, plan.seeds, summary))
    seconds = time.perf_counter() - t1
    table = pa.concat_tables(tables)
    return Pilot(table.num_rows, seconds, bytes_per_row(table), warmup, table)


def bytes_per_row(table: pa.Table) -> float:
    """Compressed Parquet bytes per row of ``table``, without the file's fixed overhead."""
    sizes = []
    for part in (table, table.slice(0, 0)):
        buffer = io.BytesIO()
        pq.write_table(part, buffer, compression="zstd")
        sizes.append(buffer.tell())
    return (sizes[0] - sizes[1]) / max(table.num_rows, 1)
