"""Benchmark: the Mesa model against the vectorized ensemble engine (issue 4).

``python -m experiments.bench`` (or ``make bench``). One command, one config: the default
scenario (``experiments.workflow.scenario.default_table()``), the calibrated model parameters
(``experiments.workflow.store.load_model_params()``), strategy ``uniform`` (``--strategy``),
the default 53-week horizon, seeds from ``replicate_seeds(root_seed, n)``.

Measured per row: wall-clock seconds, runs per second, peak memory and, for the 10,000
replicate run, the time to write its trajectories to Parquet. Each row runs in a child
process forked from this one (explicit ``fork`` start method) after all imports, so
that memory is measured cleanly: ``peak_rss_mb`` is the peak resident set size
(``ru_maxrss``) of that child (the bench process's own resident size is printed first for
reference); with worker processes it is the child plus its largest worker (each worker is
a fork of the child). ``numpy_peak_mb`` is the peak of memory traced by ``tracemalloc``
(NumPy reports its array buffers to it) in an untimed re-run after the timed one, so that
tracing never slows a timed run: 20 runs for the Mesa row, the whole ensemble for one
process, one chunk (what each worker holds) for rows with workers. ``cpu_s`` is the CPU
time of the child and its finished workers: well below ``workers x seconds`` means other
jobs were using the cores.

The last line is ``speedup_vs_mesa_at_10k: <ratio>``: runs/s of the vectorized engine at
10,000 replicates (one process, trajectories kept) over runs/s of the Mesa model.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import mesa  # noqa: F401 (imported before forking, so children do not pay for it)
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.workflow.scenario import default_table
from experiments.workflow.store import load_model_params
from sim.config import SimulationConfig
from sim.engine import run_ensemble
from sim.model import OutreachModel
from sim.results import Trajectories
from sim.rng import replicate_seeds

log = logging.getLogger(__name__)
MB = 1024.0 * 1024.0


@dataclass
class Row:
    """One measurement."""

    engine: str
    runs: int
    workers: int
    mode: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    numpy_peak_mb: float
    write_seconds: float | None = None
    written_mb: float | None = None

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (workers), user + system."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_trajectories(traj: Trajectories, codes: tuple[str, ...], folder: Path) -> float:
    """Write tidy per-country and per-run tables to Parquet; return megabytes written."""
    r, t1, n = traj.stance.shape
    seed_col = np.repeat(traj.seeds, t1)
    step_col = np.tile(np.arange(t1, dtype=np.int16), r)
    per_country = pa.table(
        {
            "seed": np.repeat(seed_col, n),
            "step": np.repeat(step_col, n),
            "country": pa.DictionaryArray.from_arrays(
                np.tile(np.arange(n, dtype=np.int8), r * t1), pa.array(codes)
            ),
            "stance": traj.stance.reshape(-1),
            "level": traj.level.reshape(-1),
            "outreach": traj.outreach.reshape(-1),
        }
    )
    per_run = pa.table(
        {
            "seed": seed_col,
            "step": step_col,
            **{
                name: getattr(traj, name).reshape(-1)
                for name in (
                    "asean_level",
                    "leakage",
                    "spent",
                    "available",
                    "pressure",
                    "coalition",
                )
            },
        }
    )
    pq.write_table(per_country, folder / "countries.parquet", compression="lz4")
    pq.write_table(per_run, folder / "runs.parquet", compression="lz4")
    return sum(f.stat().st_size for f in folder.iterdir()) / MB


def measure_mesa(config: SimulationConfig, seeds: np.ndarray) -> Row:
    """Run the Mesa model once per seed, releasing each finished model."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    for seed in seeds:
        model = OutreachModel(config, int(seed))
        model.run()
        model.release()
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    # Memory of a few more runs under tracemalloc (after timing: tracing slows Python).
    tracemalloc.start()
    for seed in seeds[:20]:
        model = OutreachModel(config, int(seed))
        model.run()
        model.release()
    numpy_peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return Row("mesa", len(seeds), 1, "trajectories", seconds, cpu, _rss_mb(), numpy_peak)


def measure_vectorized(
    config: SimulationConfig,
    seeds: np.ndarray,
    workers: int,
    keep: bool,
    chunk_size: int,
    write: bool,
) -> Row:
    """Run the ensemble engine; optionally write the trajectories to Parquet.

    The timed run is not traced (``tracemalloc`` slows every NumPy allocation, and
    forked workers would inherit it). ``numpy_peak_mb`` comes from an untimed traced
    re-run: the whole ensemble in one process, or with workers one chunk (what each
    worker holds at a time).
    """
    cpu, start = _cpu_seconds(), time.perf_counter()
    traj, summary = run_ensemble(
        config,
        seeds,
        chunk_size=chunk_size,
        workers=workers,
        keep_trajectories=keep,
        start_method="fork",
    )
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    if len(summary["final_sanctioning"]) != len(seeds):
        raise RuntimeError("bench: the ensemble lost runs")
    rss = _rss_mb() + (_rss_mb(resource.RUSAGE_CHILDREN) if workers > 1 else 0.0)
    write_seconds = written = None
    if write and traj is not None:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            written = write_trajectories(traj, config.countries.codes, Path(tmp))
            write_seconds = time.perf_counter() - start
    del traj, summary
    tracemalloc.start()
    run_ensemble(
        config,
        seeds if workers == 1 else seeds[:chunk_size],
        chunk_size=chunk_size,
        keep_trajectories=keep,
    )
    numpy_peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    mode = "trajectories" if keep else "summaries"
    return Row(
        "vectorized",
        len(seeds),
        workers,
        mode,
        seconds,
        cpu,
        rss,
        numpy_peak,
        write_seconds,
        written,
    )


def _child(conn, fn, args) -> None:  # noqa: ANN001 (a Connection and a measure function)
    conn.send(fn(*args))
    conn.close()


def isolated(fn, *args) -> Row:  # noqa: ANN001
    """Run one measurement in a forked child process and return its row."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    row = parent.recv()
    proc.join()
    return row


def format_table(rows: list[Row], base_mb: float) -> str:
    head = (
        f"{'engine':<11}{'runs':>8}{'workers':>8}  {'mode':<13}{'seconds':>9}{'cpu_s':>8}"
        f"{'runs/s':>11}{'peak_rss_mb':>13}{'numpy_peak_mb':>15}{'write_s':>9}"
    )
    lines = [f"baseline rss of the bench process: {base_mb:.0f} MB", head, "-" * len(head)]
    for r in rows:
        write = f"{r.write_seconds:9.2f}" if r.write_seconds is not None else f"{'-':>9}"
        lines.append(
            f"{r.engine:<11}{r.runs:>8}{r.workers:>8}  {r.mode:<13}"
            f"{r.seconds:>9.2f}{r.cpu_seconds:>8.2f}{r.runs_per_second:>11.0f}{r.peak_rss_mb:>13.0f}{r.numpy_peak_mb:>15.1f}{write}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesa-runs", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes for sizes above 10,000 (fork start method)",
    )
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--strategy", default="uniform")
    parser.add_argument("--seed", type=int, default=2022, help="root seed of the replicates")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("MESA").setLevel(logging.WARNING)

    config = SimulationConfig(
        countries=default_table(), params=load_model_params(), strategy=args.strategy
    )
    log.info(
        "bench: strategy=%s, horizon=%d weeks, %d countries",
        args.strategy,
        config.calendar.n_steps,
        config.countries.n,
    )
    base_mb = _rss_mb()
    rows = [isolated(measure_mesa, config, replicate_seeds(args.seed, args.mesa_runs))]
    log.info("mesa: %.1f runs/s", rows[-1].runs_per_second)
    for size in args.sizes:
        large = size > 10000
        rows.append(
            isolated(
                measure_vectorized,
                config,
                replicate_seeds(args.seed, size),
                args.workers if large else 1,
                not large,
                args.chunk_size,
                size == 10000,
            )
        )
        log.info("vectorized %d: %.0f runs/s", size, rows[-1].runs_per_second)

    mesa_rate = rows[0].runs_per_second
    at_10k = [r for r in rows if r.engine == "vectorized" and r.runs == 10000]
    speedup = at_10k[0].runs_per_second / mesa_rate if at_10k else float("nan")
    sys.stdout.write(format_table(rows, base_mb) + "\n")
    for r in rows:
        if r.write_seconds is not None:
            sys.stdout.write(
                f"parquet write of the {r.runs} runs' trajectories: {r.written_mb:.0f} MB in "
                f"{r.write_seconds:.2f} s ({r.write_seconds / r.seconds:.2f} x simulation time)\n"
            )
    sys.stdout.write(f"speedup_vs_mesa_at_10k: {speedup:.0f}\n")
    return speedup
