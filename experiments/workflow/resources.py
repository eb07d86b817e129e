"""Resource guard: estimate a run's memory and disk before anything is allocated.

Estimates are deliberately generous (per-row sizes measured on zstd Parquet of the default
scenario, rounded up). A run that would not fit is refused with one line naming the key,
the estimate and what fits, before a folder is created.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from experiments.workflow.errors import ConfigError

MB = 1e6
GB = 1e9
BASE_MEMORY = 400 * MB
"""The process itself: Python, NumPy, Arrow, numba, Hydra (measured about 250 MB)."""
DISK_BYTES = {"summary": 64.0, "steps": 4.0, "trajectories": 6.0}
"""Parquet bytes per row: per run (summary), per run-step, per run-step-country."""
MAX_CHUNKS = 1_000_000
"""Chunks a ledger plans at most (its plan is held in memory and written to disk)."""
SECONDS_PER_RUN_WEEK = {"compiled": 5e-7, "mesa": 4e-4}
"""CPU seconds per run and week of ten countries, rounded up from ``make bench`` (README):
420 ns for the compiled engine; 200 Mesa runs of 53 weeks in 3.8 s."""
MAX_MESA_SECONDS = 3600.0
"""Longest run ``engine=mesa`` accepts (estimated): the Mesa driver is the readable
reference, bit-identical to ``engine=compiled``, which runs the same ensemble ~900x faster."""


def _human(nbytes: float) -> str:
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", GB), ("MB", MB)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes / 1e3:.0f} kB"


def available_memory() -> int:
    """Memory available to new allocations, bytes (``MemAvailable``)."""
    import psutil

    return int(psutil.virtual_memory().available)


def free_disk(folder: Path) -> int:
    """Free bytes on the file system that holds (or will hold) ``folder``."""
    path = Path(folder).absolute()
    while not path.exists():
        path = path.parent
    return int(shutil.disk_usage(path).free)


@dataclass(frozen=True)
class RunSize:
    """The shape of a run: what its memory and disk depend on."""

    n_seeds: int
    jobs: int  # strategies x points
    chunk_size: int
    in_flight: int  # chunks held at once
    n_steps: int
    n_countries: int
    steps: bool  # steps.parquet kept
    trajectories: bool  # trajectories.parquet kept

    def chunk_bytes(self, replicates: int) -> float:
        """Memory of one chunk of ``replicates`` while it is simulated and tabulated."""
        t, n = self.n_steps + 1, self.n_countries
        per_run = 17 * t * n + 41 * t + 40 * t * n + 600  # engine, curves temporaries, summary
        if self.steps:
            per_run += 2 * 70 * t
        if self.trajectories:
            per_run += 2 * 45 * t * n
        return per_run * replicates

    def held(self) -> int:
        """Chunks held at once: ``in_flight``, or fewer if the run has fewer chunks."""
        return min(self.in_flight, self.chunks())

    def memory(self) -> float:
        return BASE_MEMORY + self.held() * self.chunk_bytes(min(self.chunk_size, self.n_seeds))

    def disk_per_seed(self) -> float:
        """Final tables per seed (all strategies and points); parts double it while the
        tables are assembled."""
        t, n = self.n_steps + 1, self.n_countries
        per_seed = DISK_BYTES["summary"]
        if self.steps:
            per_seed += DISK_BYTES["steps"] * t
        if self.trajectories:
            per_seed += DISK_BYTES["trajectories"] * t * n
        return 2 * per_seed * self.jobs

    def chunks(self) -> int:
        return -(-self.n_seeds // self.chunk_size) * self.jobs


def check_run(size: RunSize, folder: Path) -> None:
    """Refuse a run that would not fit on disk under ``folder`` or in memory."""
    disk = size.disk_per_seed() * size.n_seeds + size.jobs * 2 * MB
    free = free_disk(folder)
    if disk > 0.9 * free:
        fits = max(0, int((0.9 * free - size.jobs * 2 * MB) / size.disk_per_seed()))
        hint = (
            ""
            if not (size.steps or size.trajectories)
            else ("; keep_steps=false keep_trajectories=false keep only summary.parquet")
        )
        raise ConfigError(
            "n_seeds",
            f"{size.n_seeds} seeds x {size.jobs} strategies and points need about "
            f"{_human(disk)} of disk (tables and their parts); {_human(free)} free at "
            f"{folder}: at most {fits} seeds fit{hint}",
        )
    if size.chunks() > MAX_CHUNKS:
        least = -(-size.n_seeds * size.jobs // MAX_CHUNKS)
        raise ConfigError(
            "chunk_size",
            f"{size.n_seeds} seeds in chunks of {size.chunk_size} make {size.chunks()} chunks "
            f"over {size.jobs} strategies and points; at most {MAX_CHUNKS}: use chunk_size >= "
            f"{least}",
        )
    memory, available = size.memory(), available_memory()
    if memory > 0.8 * available:
        per = size.chunk_bytes(1) * size.in_flight  # smaller chunks: every slot held
        fits = max(1, int((0.8 * available - BASE_MEMORY) / per))
        raise ConfigError(
            "chunk_size",
            f"{size.held()} chunk(s) of {min(size.chunk_size, size.n_seeds)} replicates in "
            f"flight need about {_human(memory)} of memory; {_human(available)} available: "
            f"at most chunk_size={fits} fits (or fewer workers)",
        )


def check_ensemble(n_seeds: int, n_steps: int, n_countries: int) -> None:
    """Refuse an ensemble held whole in memory (every step of every run) that cannot fit."""
    need = BASE_MEMORY + n_seeds * ((17 * n_countries + 41) * (n_steps + 1) + 16)
    available = available_memory()
    if need > 0.8 * available:
        per = (17 * n_countries + 41) * (n_steps + 1) + 16
        fits = max(1, int((0.8 * available - BASE_MEMORY) / per))
        raise ConfigError(
            "n_seeds",
            f"{n_seeds} runs of {n_steps} weeks held in memory need about {_human(need)}; "
            f"{_human(available)} available: at most {fits} fit",
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def estimated_seconds(size: RunSize, engine: str, workers: int) -> float:
    """Wall seconds to simulate a run, from :data:`SECONDS_PER_RUN_WEEK` (the compiled
    engine's threads share the work; the Mesa driver holds the interpreter lock)."""
    runs = size.n_seeds * size.jobs
    cpu = runs * size.n_steps * max(size.n_countries, 10) / 10 * SECONDS_PER_RUN_WEEK[engine]
    return cpu / (max(1, workers) if engine == "compiled" else 1)


def describe(size: RunSize, engine: str, workers: int) -> str:
    """``<runs> runs (<jobs> strategies and points x <seeds> seeds), about <time>``."""
    seconds = estimated_seconds(size, engine, workers)
    return (
        f"{size.n_seeds * size.jobs:,} runs ({size.jobs:,} strategies and points x "
        f"{size.n_seeds:,} seeds, {size.n_steps} weeks), about {_duration(seconds)} "
        f"with engine={engine}"
    )


def check_time(size: RunSize, engine: str) -> None:
    """Refuse an ``engine=mesa`` run estimated above :data:`MAX_MESA_SECONDS`."""
    if engine != "mesa":
        return
    seconds = estimated_seconds(size, engine, 1)
    if seconds > MAX_MESA_SECONDS:
        per_seed = seconds / size.n_seeds
        fits = max(1, int(MAX_MESA_SECONDS / per_seed))
        raise ConfigError(
            "engine",
            f"mesa: {describe(size, engine, 1)}; at most {_duration(MAX_MESA_SECONDS)} with "
            f"the Mesa driver: use engine=compiled (bit-identical, ~900x faster) or "
            f"n_seeds <= {fits}",
        )
