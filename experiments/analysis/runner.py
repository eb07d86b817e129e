"""The designs of an analysis, run point by point for every strategy on common seeds.

:func:`make_designs` draws the three designs (``explore``: Latin hypercube for robustness
and scenario discovery; ``morris``: Morris trajectories; ``sobol``: Saltelli's Sobol'
design) from one root seed. :func:`run_plan` runs every point of every design for every
strategy on the same replicate seeds (``sim.engine.run_ensemble``, summaries only), in
chunks of points recorded in the run ledger (:mod:`experiments.workflow.ledger`, one
``done`` line per finished chunk, a ``failed`` line with the error of a chunk that raised),
with a progress bar over points. Points run on ``workers`` threads (the compiled kernel releases
the GIL); a run's numbers depend only on its seed and config, so results do not depend on
``workers`` or the chunking.
"""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from experiments.analysis.design import (
    Design,
    UncertaintySpace,
    latin_hypercube,
    morris_design,
    sobol_design,
)
from experiments.analysis.space import PointConfigs
from experiments.analysis.tables import RUNS
from experiments.workflow.errors import ConfigError
from experiments.workflow.ledger import Chunk, Ledger
from experiments.workflow.schema import DesignsConf
from sim import SUMMARY_COLUMNS
from sim.engine import run_ensemble
from sim.results import SUMMARY_DTYPES

log = logging.getLogger(__name__)


def _design_seed(seed: int, index: int) -> int:
    """A seed per design, derived from the analysis's root seed."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def make_designs(space: UncertaintySpace, sizes: DesignsConf, seed: int) -> dict[str, Design]:
    """The designs with a non-zero size, drawn from ``seed`` (same seed, same designs)."""
    for key in ("explore", "morris_trajectories", "sobol_n"):
        if getattr(sizes, key) < 0:
            raise ConfigError(f"designs.{key}", f"must be >= 0, got {getattr(sizes, key)}")
    out: dict[str, Design] = {}
    try:
        if sizes.explore:
            out["explore"] = latin_hypercube(space, sizes.explore, _design_seed(seed, 0))
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
    configs: PointConfigs, design: Design, point: int, seeds: np.ndarray, k: int
) -> list[tuple[str, dict[str, np.ndarray]]]:
    row = design.values.iloc[point].to_dict()
    return [
        (strategy, run_ensemble(cfg, seeds, chunk_size=len(seeds), keep_trajectories=False,
                                k_adoptions=k)[1])
        for strategy, cfg in configs.at(row)
    ]  # fmt: skip


def runs_table(
    design: str,
    results: list[tuple[int, list[tuple[str, dict[str, np.ndarray]]]]],
    strategies: tuple[str, ...],
    seeds: np.ndarray,
) -> pa.Table:
    """Per-run rows (see ``tables.SCHEMAS['runs.parquet']``) of points' results."""
    n = len(seeds)
    index = {s: i for i, s in enumerate(strategies)}
    points, codes, parts = [], [], {name: [] for name in SUMMARY_COLUMNS}
    for point, by_strategy in results:
        for strategy, summary in by_strategy:
            points.append(np.full(n, point, np.int32))
            codes.append(np.full(n, index[strategy], np.int32))
            for name in SUMMARY_COLUMNS:
                parts[name].append(np.asarray(summary[name]).astype(SUMMARY_DTYPES[name]))
    rows = len(points) * n
    cols: dict[str, pa.Array] = {
        "design": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(rows, np.int32)), pa.array([design])
        ),
        "point": pa.array(np.concatenate(points)),
        "strategy": pa.DictionaryArray.from_arrays(
            pa.array(np.concatenate(codes)), pa.array(list(strategies))
        ),
        "seed": pa.array(np.tile(np.asarray(seeds, np.int64), len(points))),
    }
    for name in SUMMARY_COLUMNS:
        cols[name] = pa.array(np.concatenate(parts[name]))
    return pa.table(cols)


def run_points(
    configs: PointConfigs,
    design: Design,
    points: range,
    seeds: np.ndarray,
    k: int,
    workers: int,
    on_point: Callable[[], None] | None = None,
) -> list[tuple[int, list[tuple[str, dict[str, np.ndarray]]]]]:
    """Every strategy at each of ``points`` of ``design``, in point order."""

    def job(point: int) -> tuple[int, list[tuple[str, dict[str, np.ndarray]]]]:
        result = _run_point(configs, design, point, seeds, k)
        if on_point is not None:
            on_point()
        return point, result

    if workers == 1:
        return [job(p) for p in points]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(job, points))


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
                results = run_points(
                    configs, plan.designs[name], points, plan.seeds, k, workers, bar.update
                )
                table = runs_table(name, results, plan.strategies, plan.seeds)
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
    _run_point(configs, design, 0, plan.seeds, k)
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
            results = run_points(configs, plan.designs[name], points, plan.seeds, k, workers)
            tables.append(runs_table(name, results, plan.strategies, plan.seeds))
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
