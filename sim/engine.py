"""The ensemble engine: many replicates advanced together as ``(R, N)`` arrays.

It runs the same schedule phases and rule functions as the Mesa model
(:mod:`sim.model`), so both produce identical trajectories for the same seeds.
Replicates are split into chunks; chunks may run on several worker processes. Each
run's numbers depend only on its seed, so results do not depend on chunking or workers.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim import schedule
from sim.params import SimulationConfig
from sim.results import Trajectories, summarise

log = logging.getLogger(__name__)


def simulate(config: SimulationConfig, seeds: np.ndarray) -> Trajectories:
    """Simulate one run per seed, all at once; returns every step of every run."""
    seeds = np.asarray(seeds, dtype=np.int64)
    n, n_steps = config.countries.n, config.calendar.n_steps
    setup, state = schedule.prepare(config, seeds)
    traj = Trajectories.empty(seeds, n_steps, n)
    traj.record(0, state)
    for t in range(n_steps):
        schedule.calendar(config, state, t)
        spend = schedule.japan_allocate(config, setup, state, t)
        schedule.apply_outreach(config, setup, state, spend)
        sig = schedule.environment(config, setup, state)
        shock, slip_u = schedule.draws(setup, t, n)
        stance, level, target, weight = schedule.respond(
            config, setup.attrs, state.stance, state.level, state.outreach_stock,
            state.visible, sig.peer_mean, sig.peer_pulling, sig.boundary, setup.member,
            sig.coalition, sig.collective, state.institution, shock, slip_u,
        )
        schedule.conclude(config, setup, state, sig, stance, level, target, weight)
        traj.record(t + 1, state)
    return traj


ChunkResult = tuple[np.ndarray, Trajectories | None, dict[str, np.ndarray]]


def _run_chunk(args: tuple[SimulationConfig, np.ndarray, bool, int]) -> ChunkResult:
    config, seeds, keep, k = args
    traj = simulate(config, seeds)
    summary = summarise(traj, config.ladder, config.countries.member, k)
    return seeds, (traj if keep else None), summary


def iter_chunks(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    chunk_size: int = 5000,
    workers: int = 1,
    keep_trajectories: bool = True,
    k_adoptions: int = 3,
    start_method: str = "fork",
) -> Iterator[ChunkResult]:
    """Yield ``(seeds, trajectories or None, summary)`` chunk by chunk, in seed order.

    With ``workers > 1`` chunks run on a process pool with an explicit start method;
    results are identical to ``workers=1``. Memory is bounded by a few chunks.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size: must be >= 1, got {chunk_size}")
    if workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    seeds = np.asarray(seeds, dtype=np.int64)
    jobs = [
        (config, seeds[i : i + chunk_size], keep_trajectories, k_adoptions)
        for i in range(0, len(seeds), chunk_size)
    ]
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            yield _run_chunk(job)
        return
    ctx = mp.get_context(start_method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        yield from pool.map(_run_chunk, jobs)


def run_ensemble(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    chunk_size: int = 5000,
    workers: int = 1,
    keep_trajectories: bool = True,
    k_adoptions: int = 3,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    start_method: str = "fork",
) -> tuple[Trajectories | None, dict[str, np.ndarray]]:
    """Run an ensemble; return trajectories (if kept) and per-run summaries.

    ``on_chunk`` receives each chunk as it completes (e.g. to stream it to Parquet);
    with ``keep_trajectories=False`` only summaries are held in memory.
    """
    trajs: list[Trajectories] = []
    sums: list[dict[str, np.ndarray]] = []
    for chunk in iter_chunks(
        config, seeds, chunk_size=chunk_size, workers=workers,
        keep_trajectories=keep_trajectories, k_adoptions=k_adoptions,
        start_method=start_method,
    ):
        if on_chunk is not None:
            on_chunk(chunk)
        if chunk[1] is not None:
            trajs.append(chunk[1])
        sums.append(chunk[2])
    summary = {k: np.concatenate([s[k] for s in sums]) for k in sums[0]} if sums else {}
    return (Trajectories.concatenate(trajs) if trajs else None), summary
