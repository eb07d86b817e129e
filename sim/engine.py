"""The ensemble engine: many runs of one config through the compiled kernel.

Runs are split into chunks; chunks may run on several threads (the kernel releases the
GIL). Each run's numbers depend only on its seed, so results do not depend on chunking
or workers, and they equal the Mesa model's (:mod:`sim.model`) bit for bit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sim.config import SimulationConfig
from sim.kernel import TrajectoryArrays, build_world, simulate_batch
from sim.numerics import jit_cache_dir
from sim.results import Summary, Trajectories, empty_summary

log = logging.getLogger(__name__)

ChunkResult = tuple[np.ndarray, Trajectories | None, dict[str, np.ndarray]]

_COMPILED: list[bool] = []


def _announce_compilation() -> None:
    """Say once per process when the kernel is compiled rather than read from the cache."""
    if _COMPILED:
        return
    _COMPILED.append(True)
    if not any(jit_cache_dir().rglob("kernel.simulate_batch-*.nbi")):
        log.info("compiling the ensemble kernel (once after each change of sim/, about 30 s)")


def _trajectory_arrays(n_runs: int, n_steps: int, n: int) -> TrajectoryArrays:
    t = n_steps + 1
    return TrajectoryArrays(
        stance=np.empty((n_runs, t, n)),
        level=np.empty((n_runs, t, n), dtype=np.int8),
        outreach=np.empty((n_runs, t, n)),
        asean_level=np.empty((n_runs, t), dtype=np.int8),
        leakage=np.empty((n_runs, t)),
        spent=np.empty((n_runs, t)),
        available=np.empty((n_runs, t)),
        pressure=np.empty((n_runs, t)),
        coalition=np.empty((n_runs, t)),
    )


def _run_chunk(
    world: tuple, params: tuple, seeds: np.ndarray, n_steps: int, keep: bool
) -> tuple[Trajectories | None, Summary]:
    n = world.member.shape[0]
    traj = _trajectory_arrays(len(seeds) if keep else 0, n_steps, n)
    summary = empty_summary(len(seeds))
    simulate_batch(world, params, seeds, traj, summary)
    if not keep:
        return None, summary
    return Trajectories(seeds=seeds, **traj._asdict()), summary


def simulate(config: SimulationConfig, seeds: np.ndarray, k_adoptions: int = 3) -> Trajectories:
    """Simulate one run per seed; returns every step of every run."""
    seeds = np.asarray(seeds, dtype=np.int64)
    _announce_compilation()
    world, params = build_world(config, k_adoptions)
    traj, _ = _run_chunk(world, params, seeds, config.calendar.n_steps, keep=True)
    assert traj is not None
    return traj


def iter_chunks(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    chunk_size: int = 5000,
    workers: int = 1,
    keep_trajectories: bool = True,
    k_adoptions: int = 3,
) -> Iterator[ChunkResult]:
    """Yield ``(seeds, trajectories or None, summary)`` chunk by chunk, in seed order.

    With ``workers > 1`` chunks run on that many threads; results are identical to
    ``workers=1``. Memory is bounded by ``workers + 1`` chunks.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size: must be >= 1, got {chunk_size}")
    if workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    seeds = np.asarray(seeds, dtype=np.int64)
    _announce_compilation()
    world, params = build_world(config, k_adoptions)
    steps = config.calendar.n_steps
    parts = [seeds[i : i + chunk_size] for i in range(0, len(seeds), chunk_size)]

    def job(part: np.ndarray) -> ChunkResult:
        traj, summary = _run_chunk(world, params, part, steps, keep_trajectories)
        return part, traj, summary._asdict()

    if workers == 1 or len(parts) <= 1:
        for part in parts:
            yield job(part)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = [pool.submit(job, part) for part in parts[:workers]]
        for nxt in parts[workers:] + [None] * workers:
            if not pending:
                break
            done = pending.pop(0).result()
            if nxt is not None:
                pending.append(pool.submit(job, nxt))
            yield done


def run_ensemble(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    chunk_size: int = 5000,
    workers: int = 1,
    keep_trajectories: bool = True,
    k_adoptions: int = 3,
    on_chunk: Callable[[ChunkResult], None] | None = None,
) -> tuple[Trajectories | None, dict[str, np.ndarray]]:
    """Run an ensemble; return trajectories (if kept) and per-run summaries.

    ``on_chunk`` receives each chunk as it completes (e.g. to stream it to Parquet);
    with ``keep_trajectories=False`` only summaries are held in memory.
    """
    t0 = time.perf_counter()
    trajs: list[Trajectories] = []
    sums: list[dict[str, np.ndarray]] = []
    for chunk in iter_chunks(
        config,
        seeds,
        chunk_size=chunk_size,
        workers=workers,
        keep_trajectories=keep_trajectories,
        k_adoptions=k_adoptions,
    ):
        if on_chunk is not None:
            on_chunk(chunk)
        if chunk[1] is not None:
            trajs.append(chunk[1])
        sums.append(chunk[2])
    summary = {k: np.concatenate([s[k] for s in sums]) for k in sums[0]} if sums else {}
    log.debug("%d runs in %.2f s", len(seeds), time.perf_counter() - t0)
    return (Trajectories.concatenate(trajs) if trajs else None), summary
