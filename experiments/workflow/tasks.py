"""One chunk of a run: a strategy at a parameter point over a range of replicate seeds.

:class:`ChunkTask` holds plain values only (a :class:`sim.SimulationConfig` and numbers),
so it is pickled as is to a thread, a process or a Dask worker; :func:`compute` runs it and
returns its tables (name -> Arrow table). The seeds are regenerated from the root seed
(``replicate_seeds(root, n, start)``): a chunk's results depend only on the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from experiments.workflow import curves, outputs
from sim import SimulationConfig, replicate_seeds, summarise


@dataclass(frozen=True)
class ChunkTask:
    """What one chunk computes."""

    config: SimulationConfig
    strategy: str
    point: int
    params: dict[str, Any]
    root_seed: int
    start: int  # index of the first replicate
    stop: int  # one past the last replicate
    k_adoptions: int
    engine: str  # "compiled" | "mesa"
    tables: tuple[str, ...]  # per-run tables to produce besides summary and curves

    @property
    def seeds(self) -> np.ndarray:
        return replicate_seeds(self.root_seed, self.stop - self.start, self.start)


def simulate_chunk(task: ChunkTask) -> tuple[np.ndarray, Any, dict[str, np.ndarray]]:
    """(seeds, trajectories, summary) of the chunk on the task's engine."""
    seeds = task.seeds
    if task.engine == "mesa":
        from sim.model import run_mesa  # imported lazily: mesa is slow to import

        traj = run_mesa(task.config, seeds)
        return (
            seeds,
            traj,
            summarise(traj, task.config.ladder, task.config.countries.member, task.k_adoptions),
        )
    from sim.engine import iter_chunks

    ((_, traj, summary),) = iter_chunks(
        task.config,
        seeds,
        chunk_size=max(len(seeds), 1),
        workers=1,
        keep_trajectories=True,
        k_adoptions=task.k_adoptions,
    )
    return seeds, traj, summary


def compute(task: ChunkTask) -> dict[str, pa.Table]:
    """The chunk's tables: ``summary.parquet``, the partial ``curves.parquet`` and the
    per-run tables in ``task.tables`` (``steps.parquet``, ``trajectories.parquet``)."""
    seeds, traj, summary = simulate_chunk(task)
    args = (task.strategy, task.point, task.params)
    out = {outputs.SUMMARY: outputs.summary_table(summary, seeds, *args)}
    if outputs.STEPS in task.tables:
        out[outputs.STEPS] = outputs.steps_table(traj, task.config, *args)
    if outputs.TRAJECTORIES in task.tables:
        out[outputs.TRAJECTORIES] = outputs.trajectory_table(traj, task.config, *args)
    keys = outputs.key_arrays(*args, np.zeros(1, np.int64), 1)
    keys.pop("seed")
    dates = outputs.step_dates(task.config, traj.level.shape[1])
    out[curves.CURVES] = curves.partial(traj, task.config, keys, dates)
    return out
