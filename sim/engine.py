"""The ensemble engine: many runs of one config through the compiled kernel.

Runs are split into chunks; chunks may run on several threads (the kernel releases the
GIL). Each run's numbers depend only on its seed, so results do not depend on chunking
or workers, and they equal the Mesa model's (:mod:`sim.model`) bit for bit.

:class:`WorldCache` serves many configs that differ only in what a design point changes
(budget, eligibility rule, strategy options, model parameters): their worlds are built
once per template and each run set is one kernel call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any

import numpy as np

from sim.config import SimulationConfig
from sim.kernel import TrajectoryArrays, simulate_batch
from sim.numerics import jit_cache_dir
from sim.options import compiled_options
from sim.results import Summary, Trajectories, empty_summary
from sim.strategies import ELIGIBILITY
from sim.world import build_world, params_record

log = logging.getLogger(__name__)

ChunkResult = tuple[np.ndarray, Trajectories | None, dict[str, np.ndarray]]

_COMPILED: list[bool] = []


def _announce_compilation() -> None:
    """Say once per process when the kernel is compiled rather than read from the cache."""
    if _COMPILED:
        return
    _COMPILED.append(True)
    if not any(jit_cache_dir().rglob("kernel.simulate_batch-*.nbi")):
        log.info(
            "compiling the ensemble kernel (once after each change of its sources, about 30 s)"
        )


def _compile_count() -> int:
    """Kernel versions numba has compiled (not read from its cache) in this process."""
    return sum(simulate_batch.stats.cache_misses.values())


def _log_first_call(took: float, misses_before: int) -> None:
    """After a kernel call: say how long compiling took if numba compiled for it."""
    if _compile_count() > misses_before:
        log.info(
            "compiled the ensemble kernel in %.1f s (cached in %s for later runs)",
            took,
            jit_cache_dir(),
        )


def _kernel_views(traj: Trajectories | None) -> TrajectoryArrays:
    """The kernel's view of ``traj`` (empty arrays when trajectories are not kept)."""
    if traj is None:
        traj = Trajectories.empty(np.empty(0, np.int64), 0, 0)
    return TrajectoryArrays(*(getattr(traj, f) for f in TrajectoryArrays._fields))


def _run_into(
    world: tuple,
    params: np.ndarray,
    seeds: np.ndarray,
    traj: Trajectories | None,
    summary: Summary,
) -> None:
    """Simulate ``seeds`` into the given (possibly sliced) output arrays."""
    misses, t0 = _compile_count(), time.perf_counter()
    simulate_batch(world, params, seeds, _kernel_views(traj), summary)
    _log_first_call(time.perf_counter() - t0, misses)


def _slice(traj: Trajectories | None, summary: Summary, part: slice) -> tuple:
    sub = None
    if traj is not None:
        sub = Trajectories(**{f.name: getattr(traj, f.name)[part] for f in fields(traj)})
    return sub, Summary(*(a[part] for a in summary))


def simulate(config: SimulationConfig, seeds: np.ndarray, k_adoptions: int = 3) -> Trajectories:
    """Simulate one run per seed; returns every step of every run."""
    seeds = np.asarray(seeds, dtype=np.int64)
    _announce_compilation()
    world, params = build_world(config, k_adoptions)
    traj = Trajectories.empty(seeds, config.calendar.n_steps, config.countries.n)
    _run_into(world, params, seeds, traj, empty_summary(len(seeds)))
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
        traj = Trajectories.empty(part, steps, config.countries.n) if keep_trajectories else None
        summary = empty_summary(len(part))
        _run_into(world, params, part, traj, summary)
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

    The outputs are allocated once and each chunk is simulated into its slice (no
    concatenation, so memory is the outputs plus the kernel's per-thread scratch).
    ``on_chunk`` receives each chunk, in seed order, once it is done (e.g. to stream it
    to Parquet). Results do not depend on ``chunk_size`` or ``workers``.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size: must be >= 1, got {chunk_size}")
    if workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    t0 = time.perf_counter()
    seeds = np.asarray(seeds, dtype=np.int64)
    _announce_compilation()
    world, params = build_world(config, k_adoptions)
    steps, n = config.calendar.n_steps, config.countries.n
    traj = Trajectories.empty(seeds, steps, n) if keep_trajectories else None
    summary = empty_summary(len(seeds))
    parts = [slice(i, i + chunk_size) for i in range(0, len(seeds), chunk_size)]

    def job(part: slice) -> slice:
        sub_traj, sub_summary = _slice(traj, summary, part)
        _run_into(world, params, seeds[part], sub_traj, sub_summary)
        return part

    def done(part: slice) -> None:
        if on_chunk is not None:
            sub_traj, sub_summary = _slice(traj, summary, part)
            on_chunk((seeds[part], sub_traj, sub_summary._asdict()))

    if workers == 1 or len(parts) <= 1:
        for part in parts:
            done(job(part))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(job, parts):  # in order, as each finishes
                done(part)
    log.debug("%d runs in %.2f s", len(seeds), time.perf_counter() - t0)
    return traj, summary._asdict()


_NO_TRAJECTORIES = _kernel_views(None)
"""The kernel's trajectory arguments when only summaries are kept (empty arrays)."""


class WorldCache:
    """Worlds of configs that differ from a template only in what a design point changes.

    The world of each (country table, calendar, instruments, ladder, restrictions, priors,
    strategy, institution) is built once; a config then gets it with its own budget,
    eligibility rule and strategy options, and its model parameters as the kernel's
    record. :meth:`world` equals ``build_world(config, k_adoptions)`` field by field.
    Thread-safe; a template keeps its config alive, so the identities in its key stay
    unique.

    Args:
        k_adoptions: ``k`` of ``weeks_to_kth_adoption``.
    """

    def __init__(self, k_adoptions: int = 3) -> None:
        self.k_adoptions = k_adoptions
        self._templates: dict[tuple, tuple[SimulationConfig, Any, tuple[str, ...]]] = {}
        self._params: tuple[Any, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _template(self, config: SimulationConfig) -> tuple[Any, tuple[str, ...]]:
        """The world of ``config``'s constant parts and its instrument names."""
        key = (
            id(config.countries), id(config.calendar), id(config.instruments),
            id(config.ladder), config.restrictions, config.sample_priors,
            config.strategy, config.institution,
        )  # fmt: skip
        found = self._templates.get(key)
        if found is None:
            _announce_compilation()
            world, _ = build_world(config, self.k_adoptions)
            names = tuple(i.name for i in config.instruments)
            with self._lock:
                found = self._templates.setdefault(key, (config, world, names))
        return found[1], found[2]

    def params(self, config: SimulationConfig) -> np.ndarray:
        """``config``'s model parameters as the kernel's record (the last record is reused
        while configs share their parameters object, as a point's strategies do)."""
        last = self._params
        if last is not None and last[0] is config.params:
            return last[1]
        record = params_record(config.params.values())
        self._params = (config.params, record)
        return record

    def world(self, config: SimulationConfig) -> tuple[Any, np.ndarray]:
        """``(world, params)`` as ``build_world(config, k_adoptions)``, from the template."""
        template, names = self._template(config)
        own = compiled_options(config.strategy_options, names, strict=True)
        world = template._replace(
            budget=float(config.budget),
            eligibility=ELIGIBILITY[config.eligibility],
            options=template.options._replace(**{config.strategy: own}),
        )
        return world, self.params(config)

    def simulate(self, config: SimulationConfig, seeds: np.ndarray, out: Summary) -> None:
        """One run of ``config`` per seed (``int64``), summaries only, into ``out`` (arrays
        of ``len(seeds)``, e.g. slices of :func:`sim.results.empty_summary`): the numbers
        of ``run_ensemble(config, seeds, keep_trajectories=False)``, in one kernel call."""
        world, params = self.world(config)
        simulate_batch(world, params, seeds, _NO_TRAJECTORIES, out)
