"""Workflow benchmark: the main job, start-up, a summaries-only run, plotting a large run.

    python -m experiments.bench_workflow                 # make bench-workflow
    python -m experiments.bench_workflow --replicates 200000 --plot-seeds 2000
    python -m experiments.bench_workflow --only-main     # the first two rows only

Prints measured figures only (nothing is asserted): each measurement runs the real
command in a child process (``python -m experiments.run`` / ``experiments.plot``) and
reports its wall time, its CPU time (user + system, every thread) and peak resident memory
(``VmHWM`` of the child's process image, threads included, read at its exit):

1. ``python -m experiments.run --help``.
2. the main job as ``make run`` runs it (default config, figures included), warm: after a
   tiny run has read the compiled kernel's cache; ``--main-repeats`` times, the median.
3. ``--replicates`` replicates (default 1,000,000) at the calibrated point
   (``accepted_sets=0``), one strategy, summaries only (``keep_steps=false
   keep_trajectories=false plots=false``), default chunks, 2 workers; for reference, the
   same ensemble through ``sim.engine.iter_chunks`` alone.
4. a ``--plot-seeds`` run (default 20,000 seeds x 11 strategies at the calibrated point,
   ``keep_trajectories=false``), then ``python -m experiments.plot`` on it.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from experiments.workflow.errors import OneLineParser, int_in
from experiments.workflow.paths import ROOT

log = logging.getLogger(__name__)

ENGINE_ONLY = """
import sys
from experiments.workflow.scenario import default_table
from experiments.workflow.store import load_model_params
from sim import SimulationConfig, replicate_seeds
from sim.engine import iter_chunks
n = int(sys.argv[1])
cfg = SimulationConfig(countries=default_table(), params=load_model_params(), strategy="uniform")
for start in range(0, n, 100_000):
    seeds = replicate_seeds(2022, min(100_000, n - start), start)
    for _ in iter_chunks(cfg, seeds, chunk_size=1000, workers=2, keep_trajectories=False):
        pass
"""


PEAK = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(kb)
atexit.register(_peak)
flag, what, *rest = sys.argv[1:]
sys.argv = [what, *rest]
if flag == "-m":
    runpy.run_module(what, run_name="__main__", alter_sys=True)
else:
    exec(compile(what, "<bench>", "exec"), {"__name__": "__main__"})
"""
"""Runs ``-m module args`` or ``-c code args`` and writes the process image's peak
resident set (``VmHWM``, kB) at exit. ``ru_maxrss`` of a child would not do: Linux carries
the parent's peak into a child forked (or vforked) and exec'd, so a child of a large
process would report the parent's peak."""


class Measured(NamedTuple):
    """One child process: wall seconds, peak resident memory (MB), exit status, CPU seconds."""

    seconds: float
    peak_mb: float
    code: int
    cpu_s: float


def measure(args: Sequence[str]) -> Measured:
    """Wall seconds, peak resident memory in MB, exit status and CPU seconds (user +
    system) of ``python args`` in a child process (``args`` starts with ``-m module`` or
    ``-c code``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_peak_") as tmp:
        peak_file = Path(tmp) / "vmhwm_kb"
        proc = subprocess.Popen(
            [sys.executable, "-c", PEAK, *args],
            env={**os.environ, "BENCH_PEAK_FILE": str(peak_file)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        err = proc.communicate()[1] or ""
        seconds = time.perf_counter() - t0
        text = peak_file.read_text().strip() if peak_file.exists() else ""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    code = proc.returncode
    if code != 0:
        sys.stderr.write(err[-2000:])
    return Measured(seconds, int(text) / 1024 if text else float("nan"), code, cpu)


def status(
    seconds: float, peak: float, code: int, max_s: float | None = None, max_mb: float | None = None
) -> str:
    """The status column: ``ok`` only if the child succeeded, reported its peak and stayed
    within its targets (``max_s`` seconds, ``max_mb`` MB); else what went wrong."""
    if code != 0:
        return f"exit {code}"
    if peak != peak:
        return "no peak reported"
    over = []
    if max_mb is not None and peak > max_mb:
        over.append(f"peak {peak:.0f} MB > {max_mb:g} MB")
    if max_s is not None and seconds > max_s:
        over.append(f"{seconds:.1f} s > {max_s:g} s")
    return "OVER TARGET: " + ", ".join(over) if over else "ok"


def _row(
    what: str,
    args: Sequence[str] | Callable[[int], Sequence[str]],
    max_s: float | None = None,
    max_mb: float | None = None,
    repeats: int = 1,
) -> str:
    """Measure ``python args`` in a child process (``repeats`` times, the run of median
    wall time reported; ``args`` may be a function of the repeat); one line of the table."""
    runs = sorted(
        (measure(args(k) if callable(args) else args) for k in range(repeats)),
        key=lambda m: m.seconds,
    )
    seconds, peak, code, cpu = runs[len(runs) // 2]
    code = next((m.code for m in runs if m.code != 0), code)
    target = " ".join(
        [*([f"< {max_s:g} s"] if max_s else []), *([f"peak < {max_mb:g} MB"] if max_mb else [])]
    )
    target = target or ("(reference)" if what.startswith("engine") else "")
    return (
        f"{what:<58} {seconds:8.2f} {cpu:8.2f} {peak:9.0f}   {target:<22} "
        f"{status(seconds, peak, code, max_s, max_mb)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = OneLineParser(
        prog="python -m experiments.bench_workflow", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--replicates", type=int_in(1), default=1_000_000)
    parser.add_argument("--plot-seeds", type=int_in(1), default=20_000)
    parser.add_argument("--main-repeats", type=int_in(1), default=3,
                        help="runs of the main job (the median is reported)")  # fmt: skip
    parser.add_argument("--skip-engine", action="store_true", help="skip the engine-only row")
    parser.add_argument("--only-main", action="store_true",
                        help="only the --help and main-job rows")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = [
        f"{'measurement':<58} {'seconds':>8} {'cpu_s':>8} {'peak_MB':>9}   {'target':<22} status"
    ]
    n, m = args.replicates, args.plot_seeds
    run = ["-m", "experiments.run", "plots=false", "workers=2", "keep_trajectories=false"]
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as tmp:
        log.info("python -m experiments.run --help ...")
        rows.append(_row("help: python -m experiments.run --help",
                         ["-m", "experiments.run", "--help"], 1, repeats=3))  # fmt: skip
        log.info("the main job (make run), warm, %d times ...", args.main_repeats)
        tiny = ["n_seeds=1", "calendar.n_steps=2", "accepted_sets=0", "strategy=none"]
        measure(["-m", "experiments.run", *tiny, f"hydra.run.dir={Path(tmp) / 'warm'}"])

        def main_job(k: int) -> list[str]:
            return ["-m", "experiments.run", f"hydra.run.dir={Path(tmp) / f'main{k}'}"]

        rows.append(_row("main job: python -m experiments.run (make run), warm", main_job, 5,
                         repeats=args.main_repeats))  # fmt: skip
        if args.only_main:
            _print(rows)
            return
        log.info("running %d replicates, summaries only ...", n)
        summaries = [*run, "strategy=uniform", f"n_seeds={n}", "accepted_sets=0",
                     "keep_steps=false", f"hydra.run.dir={Path(tmp) / 'summaries'}"]  # fmt: skip
        rows.append(_row(f"run: {n} replicates, summaries only, 2 workers", summaries,
                         20, 300))  # fmt: skip
        if not args.skip_engine:
            log.info("the same ensemble through sim.engine.iter_chunks alone ...")
            rows.append(_row(f"engine only: iter_chunks, {n} replicates",
                             ["-c", ENGINE_ONLY, str(n)]))  # fmt: skip
        plot_dir = Path(tmp) / "plot"
        log.info("running %d seeds x 11 strategies for the plot ...", m)
        rows.append(_row(f"run: {m} seeds x 11 strategies (no figures)",
                         [*run, f"n_seeds={m}", "accepted_sets=0",
                          f"hydra.run.dir={plot_dir}"]))  # fmt: skip
        log.info("plotting it ...")
        rows.append(_row(f"plot: python -m experiments.plot, {m} seeds",
                         ["-m", "experiments.plot", str(plot_dir)], 10, 1024))  # fmt: skip
    _print(rows)


def _print(rows: Sequence[str]) -> None:
    sys.stdout.write("\n".join(rows) + "\n")
    sys.stdout.write(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared: wall times "
        "grow with it; cpu_s much less). "
        "seconds: wall clock of the child process (Python start and imports included); "
        "cpu_s: its CPU time, user + system, every thread; "
        "peak_MB: its peak resident set size (VmHWM at exit).\n"
    )
