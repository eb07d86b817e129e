"""Benchmark: the idiomatic Mesa model against the compiled ensemble engine (issue 13).

``python -m experiments.bench`` (or ``make bench``). One config for every row: the default
scenario, the calibrated model parameters, strategy ``uniform`` (``--strategy``), budget 4,
the default 53-week calendar, seeds ``replicate_seeds(20220224, n)``.

Every row runs in this process, one after the other, and reports CPU time (user + system
of the process, so work on other threads counts) next to wall time: on a shared machine
wall time includes waiting for a core, CPU time does not, so the ratios use CPU time.

- ``mesa``: :class:`sim.model.OutreachModel` (agents hold Python floats, ``step`` reads
  like the schedule, a DataCollector records every step), ``--mesa-runs`` runs (>= 200).
- ``compiled``: :func:`sim.engine.run_ensemble` at 1,000, 10,000 and 100,000 replicates
  keeping every trajectory, 100,000 with summaries only (one thread: the line
  ``ns_per_replicate_step``), and 1,000,000 with summaries only on ``--workers`` threads.
- ``write``: the 10,000-replicate ensemble written as the experiment runner writes it
  (trajectories, steps and summary tables to zstd Parquet through
  :class:`experiments.workflow.outputs.OutputSet`).
- ``tune``: runs per CPU-second and wall time over chunk sizes and thread counts at
  100,000 replicates, summaries only (how the defaults were chosen).
- workflow (:mod:`experiments.tools.bench_workflow`, ``--no-workflow`` skips it): the real
  commands in child processes: 1,000,000 replicates summaries-only through
  ``python -m experiments.run`` (ledger, Parquet parts, published tables), and
  ``python -m experiments.plot`` on a 20,000-seed run of every strategy; wall time and
  peak resident memory of each.

``peak_rss_mb`` is the largest resident set size of this process while the row ran
(sampled every 5 ms from ``/proc/self/statm``); ``base_rss_mb`` what it held before. The
1,000,000-replicate row also runs in a fresh process that imports only the engine
(``--child``), whose ``VmHWM`` (peak resident set) is the memory a summaries-only user
pays.

- countries: the summaries-only engine (one thread) on 50 and 200 synthetic countries
  (:func:`synthetic_table`: the scenario's countries repeated, each copy's uncertain
  attributes drawn in their priors), with the cost per replicate-step and per country-week.
- ``--all-strategies``: ``ns_per_replicate_step`` of every strategy (each as below).

The last two lines are ``ns_per_replicate_step: <n>`` (compiled engine, 100,000 replicates,
summaries only, one thread, CPU time per replicate and week; measured three times before
any other row, the median; its table row is that median run) and
``speedup_vs_mesa_at_10k: <ratio>`` (runs per CPU-second of the compiled engine at 10,000
replicates with trajectories, one thread, over the Mesa model's).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from experiments.tools import bench_workflow
from experiments.workflow.errors import OneLineParser, int_in
from experiments.workflow.paths import ROOT
from experiments.workflow.scenario import default_table
from experiments.workflow.store import load_model_params
from sim.config import SimulationConfig
from sim.countries import CountryTable
from sim.engine import run_ensemble
from sim.rng import replicate_seeds

log = logging.getLogger(__name__)
MB = 1024.0 * 1024.0
ROOT_SEED = 20220224
PAGE = os.sysconf("SC_PAGE_SIZE")
COUNTRY_ROWS = ((50, 20_000), (200, 2_000))
"""(countries, replicates) of the rows on synthetic countries."""


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / MB


def _high_water_mb() -> float:
    """Peak resident set size of this process image (``VmHWM``; unlike ``ru_maxrss`` it
    does not carry over the parent's peak into a forked and exec'd child)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("bench: no VmHWM in /proc/self/status")


def _cpu() -> float:
    return time.process_time()  # user + system CPU of every thread of this process


@dataclass
class Row:
    """One measurement."""

    engine: str
    runs: int
    workers: int
    mode: str
    wall_s: float
    cpu_s: float
    base_rss_mb: float
    peak_rss_mb: float
    chunk_size: int | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def runs_per_cpu_s(self) -> float:
        return self.runs / self.cpu_s

    @property
    def runs_per_wall_s(self) -> float:
        return self.runs / self.wall_s


@contextmanager
def measured(row: dict) -> Iterator[None]:
    """Time a block (wall and CPU) and sample this process's peak resident memory."""
    stop = threading.Event()
    peak = [_rss_mb()]
    row["base_rss_mb"] = peak[0]

    def sample() -> None:
        while not stop.wait(0.005):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu, wall = _cpu(), time.perf_counter()
    try:
        yield
    finally:
        row["wall_s"] = time.perf_counter() - wall
        row["cpu_s"] = _cpu() - cpu
        stop.set()
        sampler.join()
        row["peak_rss_mb"] = max(peak[0], _rss_mb())


def bench_config(strategy: str, countries: CountryTable | None = None) -> SimulationConfig:
    return SimulationConfig(
        countries=default_table() if countries is None else countries,
        params=load_model_params(),
        strategy=strategy,
        budget=4.0,
    )


def synthetic_table(base: CountryTable, n: int, seed: int = ROOT_SEED) -> CountryTable:
    """``n`` countries for the scale rows: country ``j`` is a copy of the scenario's country
    ``j % N`` (code suffixed with ``j // N``), its uncertain attributes drawn uniformly in
    their prior ranges (``seed``), all members; ties as between the originals (none
    between copies of one country)."""
    src = np.arange(n) % base.n
    lower, upper = base.lower[:, src], base.upper[:, src]
    draw = lower + np.random.default_rng(seed).random(lower.shape) * (upper - lower)
    values = np.where(upper > lower, draw, base.values[:, src])
    network = base.network[np.ix_(src, src)] * (src[:, None] != src[None, :])
    codes = tuple(f"{base.codes[b]}{j // base.n}" for j, b in enumerate(src))
    names = tuple(f"{base.names[b]} {j // base.n}" for j, b in enumerate(src))
    return CountryTable(codes, names, values, lower, upper, network, np.ones(n, dtype=bool))


def measure_countries(strategy: str, n: int, runs: int, chunk_size: int) -> Row:
    """The summaries-only engine, one thread, on ``n`` synthetic countries; ``extra``
    holds the CPU cost per replicate-step and per country-week in nanoseconds."""
    config = bench_config(strategy, synthetic_table(default_table(), n))
    run_ensemble(config, replicate_seeds(ROOT_SEED, 10), keep_trajectories=False)
    row, _ = measure_compiled(config, runs, keep=False, chunk_size=chunk_size)
    per_step = row.cpu_s / (runs * config.calendar.n_steps) * 1e9
    row.engine = f"compiled, {n} countries"
    row.extra = {"ns_per_step": per_step, "ns_per_country_week": per_step / n}
    return row


def per_step_ns(config: SimulationConfig, runs: int, chunk_size: int) -> float:
    """CPU nanoseconds per replicate-step, summaries only, one thread: median of three."""
    rows = [measure_compiled(config, runs, keep=False, chunk_size=chunk_size)[0]
            for _ in range(3)]  # fmt: skip
    cpu = sorted(r.cpu_s for r in rows)[1]
    return cpu / (runs * config.calendar.n_steps) * 1e9


def measure_mesa(config: SimulationConfig, runs: int) -> Row:
    """The Mesa model, one run per seed, each finished model released."""
    from sim.model import OutreachModel  # mesa is imported only for this row

    seeds = replicate_seeds(ROOT_SEED, runs)
    OutreachModel(config, int(seeds[0])).release()  # imports and first-use costs
    m: dict = {}
    with measured(m):
        for seed in seeds:
            model = OutreachModel(config, int(seed))
            model.run()
            model.release()
    return Row("mesa", runs, 1, "trajectories", m["wall_s"], m["cpu_s"], m["base_rss_mb"],
               m["peak_rss_mb"])  # fmt: skip


def measure_compiled(
    config: SimulationConfig, runs: int, *, keep: bool, workers: int = 1, chunk_size: int = 5000
) -> tuple[Row, tuple]:
    """The compiled engine; returns the row and the ensemble (for the write row)."""
    seeds = replicate_seeds(ROOT_SEED, runs)
    m: dict = {}
    with measured(m):
        out = run_ensemble(
            config, seeds, chunk_size=chunk_size, workers=workers, keep_trajectories=keep
        )
    if len(out[1]["final_sanctioning"]) != runs:
        raise RuntimeError("bench: the ensemble lost runs")
    mode = "trajectories" if keep else "summaries"
    row = Row("compiled", runs, workers, mode, m["wall_s"], m["cpu_s"], m["base_rss_mb"],
              m["peak_rss_mb"], chunk_size)  # fmt: skip
    return row, (seeds, *out)


def measure_write(config: SimulationConfig, ensemble: tuple) -> Row:
    """Write an ensemble as the experiment runner does (zstd Parquet, three tables)."""
    from experiments.workflow import outputs

    seeds, traj, summary = ensemble
    m: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = outputs.OutputSet(Path(tmp))
        name = config.strategy
        with measured(m), files.publishing():
            files.write(outputs.TRAJECTORIES, outputs.trajectory_table(traj, config, name, 0, {}))
            files.write(outputs.STEPS, outputs.steps_table(traj, config, name, 0, {}))
            files.write(outputs.SUMMARY, outputs.summary_table(summary, seeds, name, 0, {}))
        written = sum(f.stat().st_size for f in Path(tmp).iterdir()) / MB
    return Row("write", len(seeds), 1, "parquet", m["wall_s"], m["cpu_s"], m["base_rss_mb"],
               m["peak_rss_mb"], extra={"written_mb": written})  # fmt: skip


def measure_child(strategy: str, runs: int, workers: int, chunk_size: int) -> Row:
    """The summaries-only ensemble in a fresh process that imports only the engine."""
    cmd = [sys.executable, "-m", "experiments.bench", "--child", str(runs), "--workers",
           str(workers), "--chunk-size", str(chunk_size), "--strategy", strategy]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return Row("compiled (fresh process)", runs, workers, "summaries", got["wall_s"],
               got["cpu_s"], got["base_rss_mb"], got["max_rss_mb"], chunk_size)  # fmt: skip


def child(strategy: str, runs: int, workers: int, chunk_size: int) -> None:
    """``--child``: one summaries-only ensemble; prints its figures as JSON."""
    config = bench_config(strategy)
    run_ensemble(config, replicate_seeds(ROOT_SEED, 10), keep_trajectories=False)  # cache load
    m: dict = {}
    with measured(m):
        measure_compiled(config, runs, keep=False, workers=workers, chunk_size=chunk_size)
    m["max_rss_mb"] = _high_water_mb()
    sys.stdout.write(json.dumps(m) + "\n")


def _table(rows: list[Row]) -> str:
    head = (f"{'engine':<26}{'runs':>10}{'thr':>4}{'chunk':>7} {'mode':<13}{'wall s':>8}"
            f"{'cpu s':>8}{'runs/cpu-s':>12}{'runs/wall-s':>12}{'base MB':>9}"
            f"{'peak MB':>9}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        chunk = str(r.chunk_size) if r.chunk_size else "-"
        extra = "".join(f"  {k}={v:.1f}" for k, v in r.extra.items())
        lines.append(
            f"{r.engine:<26}{r.runs:>10,}{r.workers:>4}{chunk:>7} {r.mode:<13}{r.wall_s:>8.2f}"
            f"{r.cpu_s:>8.2f}{r.runs_per_cpu_s:>12,.0f}{r.runs_per_wall_s:>12,.0f}"
            f"{r.base_rss_mb:>9.0f}{r.peak_rss_mb:>9.0f}{extra}"
        )
    return "\n".join(lines)


def _tune(config: SimulationConfig, runs: int, emit: Callable[[str], None]) -> list[Row]:
    rows = []
    for chunk_size in (200, 1000, 5000, 20000):
        for workers in (1, 2):
            row, _ = measure_compiled(
                config, runs, keep=False, workers=workers, chunk_size=chunk_size
            )
            rows.append(row)
    emit("tune (summaries only):\n" + _table(rows))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = OneLineParser(prog="python -m experiments.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--strategy", default="uniform")
    ap.add_argument("--mesa-runs", type=int_in(200), default=200)
    ap.add_argument("--workers", type=int_in(1), default=2, help="threads of the 1,000,000 row")
    ap.add_argument("--chunk-size", type=int_in(1), default=5000)
    ap.add_argument("--million", type=int_in(1), default=1_000_000, help="size of the largest row")
    ap.add_argument("--no-tune", action="store_true", help="skip the chunk/thread sweep")
    ap.add_argument(
        "--no-workflow",
        action="store_true",
        help="skip the workflow rows (1,000,000 summaries through experiments.run; plotting "
        "a 20,000-seed run)",
    )
    ap.add_argument("--plot-seeds", type=int_in(1), default=20_000, help="seeds of the plotted run")
    ap.add_argument(
        "--all-strategies",
        action="store_true",
        help="also ns per replicate-step of every strategy (100,000 replicates each)",
    )
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.strategy, args.child, args.workers, args.chunk_size)
        return
    if args.mesa_runs < 200:
        ap.error("--mesa-runs: at least 200 runs, so the Mesa figure is stable")

    def emit(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    config = bench_config(args.strategy)
    run_ensemble(config, replicate_seeds(ROOT_SEED, 10), keep_trajectories=False)  # compile
    emit(f"bench: strategy {args.strategy}, {config.countries.n} countries, "
         f"{config.calendar.n_steps} weeks, {os.cpu_count()} cores; load average "
         f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    # the line ns_per_replicate_step first, before the large rows heat and fill the
    # machine: three repeats, the median reported
    repeats = [
        measure_compiled(config, 100_000, keep=False, chunk_size=args.chunk_size)[0]
        for _ in range(3)
    ]
    one_core = sorted(repeats, key=lambda r: r.cpu_s)[1]
    rows = [measure_mesa(config, args.mesa_runs)]
    for runs in (1_000, 10_000, 100_000):
        row, ensemble = measure_compiled(config, runs, keep=True, chunk_size=args.chunk_size)
        rows.append(row)
        if runs == 10_000:
            at_10k = row
            rows.append(measure_write(config, ensemble))
        del ensemble
    rows.append(one_core)
    rows.append(
        measure_compiled(
            config, args.million, keep=False, workers=args.workers, chunk_size=args.chunk_size
        )[0]  # fmt: skip
    )
    rows.append(measure_child(args.strategy, args.million, args.workers, args.chunk_size))
    scale = [measure_countries(args.strategy, n, runs, args.chunk_size) for n, runs in COUNTRY_ROWS]
    emit(_table(rows + scale))
    for row in scale:
        emit(f"{row.engine}: {row.extra['ns_per_step']:,.0f} ns per replicate-step, "
             f"{row.extra['ns_per_country_week']:.1f} ns per country-week "
             f"(against {config.countries.n} countries in the line below)")  # fmt: skip
    if args.all_strategies:
        from sim.strategies import STRATEGIES

        for name in STRATEGIES:
            ns = per_step_ns(bench_config(name), 100_000, args.chunk_size)
            emit(f"ns_per_replicate_step[{name}]: {ns:.0f}")
    if not args.no_tune:
        _tune(config, 100_000, emit)
    if not args.no_workflow:
        bench_workflow.main(
            [
                "--skip-engine",
                "--replicates",
                str(args.million),
                "--plot-seeds",
                str(args.plot_seeds),
            ]
        )
    per_step = [r.cpu_s / (r.runs * config.calendar.n_steps) * 1e9 for r in repeats]
    emit("ns per replicate-step, 100,000 summaries, one thread, three repeats measured first: "
         + ", ".join(f"{x:.0f}" for x in per_step) + " (median below)")  # fmt: skip
    ns = one_core.cpu_s / (one_core.runs * config.calendar.n_steps) * 1e9
    emit(f"ns_per_replicate_step: {ns:.0f}")
    emit(f"speedup_vs_mesa_at_10k: {at_10k.runs_per_cpu_s / rows[0].runs_per_cpu_s:.0f}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
