"""The ensemble engine: many replicates advanced together as ``(R, N)`` arrays.

It runs the same schedule phases and rule functions as the Mesa model
(:mod:`sim.model`), so both produce identical trajectories for the same seeds.
Replicates are split into chunks; chunks may run on several worker processes. Each
run's numbers depend only on its seed, so results do not depend on chunking or workers.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields

import numpy as np
from threadpoolctl import threadpool_limits

from sim import schedule
from sim.params import SimulationConfig
from sim.results import Trajectories, summarise

log = logging.getLogger(__name__)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_ALLOCATOR_TUNED: list[bool] = []


def tune_allocator() -> bool:
    """Keep freed memory in the process heap (glibc only; once per process).

    Each week allocates a few dozen NumPy temporaries of ``R x N`` doubles. By default
    glibc serves such blocks with ``mmap`` and returns them on ``free``, so every week
    pays page faults on fresh memory (costly in virtual machines: about a quarter of
    the run time at 5,000 replicates here). A fixed mmap threshold of 32 MiB and a
    trim threshold of 512 MiB keep them in the heap for reuse. No effect on results.
    """
    if _ALLOCATOR_TUNED:
        return _ALLOCATOR_TUNED[0]
    ok = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None)
            ok = bool(
                libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
                and libc.mallopt(_M_TRIM_THRESHOLD, 512 * 1024 * 1024)
            )
        except (OSError, AttributeError):
            ok = False
    _ALLOCATOR_TUNED.append(ok)
    log.debug("allocator tuned: %s", ok)
    return ok


_NOT_SUMMARISED = ("stance", "outreach")
"""Per-country records :func:`sim.results.summarise` does not read."""


def _time_major(
    seeds: np.ndarray, n_steps: int, n: int, scratch: tuple[str, ...] = ()
) -> Trajectories:
    """Empty trajectories whose arrays are ``(R, T + 1, ...)`` views of ``(T + 1, R, ...)``
    buffers, so that recording a step writes one contiguous block.

    Fields in ``scratch`` get a single slot that every step overwrites (a zero time
    stride): they hold only the last step and must not be read.
    """
    template = Trajectories.empty(seeds[:0], n_steps, n)
    arrays = {}
    for f in fields(Trajectories):
        if f.name == "seeds":
            continue
        like = getattr(template, f.name)
        steps = 1 if f.name in scratch else like.shape[1]
        buffer = np.empty((steps, len(seeds), *like.shape[2:]), dtype=like.dtype)
        view = np.moveaxis(buffer, 0, 1)
        if f.name in scratch:
            view = np.lib.stride_tricks.as_strided(
                view,
                (len(seeds), like.shape[1], *like.shape[2:]),
                (view.strides[0], 0, *view.strides[2:]),
                writeable=True,
            )
        arrays[f.name] = view
    return Trajectories(seeds=seeds, **arrays)


def simulate(
    config: SimulationConfig, seeds: np.ndarray, *, contiguous: bool = True
) -> Trajectories:
    """Simulate one run per seed, all at once; returns every step of every run.

    Steps are recorded time-major; with ``contiguous=False`` the per-country arrays are
    returned as ``(R, T + 1, N)`` views of those buffers (no final copy; enough for
    summaries). Per-run arrays are always C-contiguous: NumPy sums a contiguous axis
    pairwise and a strided one in sequence, so summaries would otherwise depend on it.
    """
    return _simulate(config, seeds, contiguous=contiguous)


def _simulate(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    contiguous: bool = True,
    scratch: tuple[str, ...] = (),
) -> Trajectories:
    tune_allocator()
    # One BLAS thread: the matrix products are small, and with worker processes (or
    # parallel sweep jobs) a BLAS thread pool per process would oversubscribe the cores.
    with threadpool_limits(1, user_api="blas"):
        return _run_steps(config, seeds, contiguous=contiguous, scratch=scratch)


def _run_steps(
    config: SimulationConfig,
    seeds: np.ndarray,
    *,
    contiguous: bool,
    scratch: tuple[str, ...],
) -> Trajectories:
    seeds = np.asarray(seeds, dtype=np.int64)
    n, n_steps = config.countries.n, config.calendar.n_steps
    setup, state = schedule.prepare(config, seeds)
    traj = _time_major(seeds, n_steps, n, scratch)
    traj.record(0, state)
    for t in range(n_steps):
        schedule.calendar(config, state, t)
        spend = schedule.japan_allocate(config, setup, state, t)
        schedule.apply_outreach(config, setup, state, spend)
        sig = schedule.environment(config, setup, state)
        shock, slip_u = schedule.draws(setup, t, n)
        stance, level, target, weight = schedule.respond(
            config,
            setup.attrs,
            state.stance,
            state.level,
            state.outreach_stock,
            state.visible,
            sig.peer_mean,
            sig.peer_pulling,
            sig.boundary,
            setup.member,
            sig.coalition,
            sig.collective,
            state.institution,
            shock,
            slip_u,
            setup.static,
            setup.constants,
        )
        schedule.conclude(config, setup, state, sig, stance, level, target, weight)
        traj.record(t + 1, state)
    for f in fields(Trajectories):
        values = getattr(traj, f.name)
        if f.name in scratch:
            continue
        if contiguous or values.ndim < 3:  # float sums over steps depend on the layout
            setattr(traj, f.name, np.ascontiguousarray(values))
    return traj


ChunkResult = tuple[np.ndarray, Trajectories | None, dict[str, np.ndarray]]


def _run_chunk(args: tuple[SimulationConfig, np.ndarray, bool, int]) -> ChunkResult:
    config, seeds, keep, k = args
    # Without kept trajectories, stance and outreach are not stored (summaries skip them).
    traj = _simulate(config, seeds, contiguous=False, scratch=() if keep else _NOT_SUMMARISED)
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
        config,
        seeds,
        chunk_size=chunk_size,
        workers=workers,
        keep_trajectories=keep_trajectories,
        k_adoptions=k_adoptions,
        start_method=start_method,
    ):
        if on_chunk is not None:
            on_chunk(chunk)
        if chunk[1] is not None:
            trajs.append(chunk[1])
        sums.append(chunk[2])
    summary = {k: np.concatenate([s[k] for s in sums]) for k in sums[0]} if sums else {}
    return (Trajectories.concatenate(trajs) if trajs else None), summary
