"""Run one experiment: every strategy and parameter point it names, over ``n_seeds`` replicates.

    python -m experiments.run                          # the main job (strategy_comparison)
    python -m experiments.run strategy=hub_first n_seeds=500
    python -m experiments.run experiment=budget_sweep
    python -m experiments.run -m budget=1,2,4 hydra/launcher=joblib_local

Each Hydra job runs a whole ensemble in-process and streams ``trajectories.parquet``,
``steps.parquet`` and ``summary.parquet`` chunk by chunk into its output folder, then draws
the figures and writes ``manifest.json`` (the mark of a complete run). Bad input stops the
run before anything is written, with a one-line message and exit status 2.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from experiments.workflow import atomic, cli, errors, outputs
from experiments.workflow.convert import ExperimentPoint, as_plain, replicate, to_simulation_configs
from experiments.workflow.paths import CONF_DIR, ROOT, resolve
from experiments.workflow.schema import Engine, ExperimentConf
from sim import SimulationConfig, summarise
from sim.engine import ChunkResult, iter_chunks

log = logging.getLogger(__name__)


def _chunks(config: SimulationConfig, seeds: np.ndarray, c: Any) -> Iterator[ChunkResult]:
    """The ensemble chunk by chunk (memory bounded by a few chunks), on either engine."""
    if c.engine is Engine.compiled:
        yield from iter_chunks(
            config,
            seeds,
            chunk_size=c.chunk_size,
            workers=c.workers,
            keep_trajectories=True,
            k_adoptions=c.k_adoptions,
        )
        return
    from sim.model import run_mesa  # imported lazily: mesa is slow to import

    for i in range(0, len(seeds), c.chunk_size):
        part = seeds[i : i + c.chunk_size]
        traj = run_mesa(config, part)
        yield part, traj, summarise(traj, config.ladder, config.countries.member, c.k_adoptions)


def _log_results(points: list[ExperimentPoint], outputs_dir: Path) -> None:
    import pandas as pd

    summary = pd.read_parquet(outputs_dir / outputs.SUMMARY)
    table = summary.groupby(["point", "strategy"], observed=True)[
        ["final_sanctioning", "final_condemn_or_higher", "mean_leakage", "budget_spent"]
    ].mean()
    log.info("mean outcomes per strategy and point:\n%s", table.round(2).to_string())


def run_experiment(
    cfg: DictConfig, output_dir: Path, overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """Run the experiment ``cfg`` into ``output_dir``; return the manifest.

    Raises ``ConfigError`` (one-line message naming the key) on bad input, before any
    file is written.
    """
    started, t0 = outputs.now_iso(), time.perf_counter()
    c = as_plain(cfg)
    points = to_simulation_configs(c)
    seeds = replicate(c)
    n_chunks = -(-len(seeds) // c.chunk_size)
    t_convert = time.perf_counter() - t0
    log.info(
        "%s: %d strategies x %d points x %d seeds (%s engine) -> %s",
        c.experiment,
        len({p.strategy for p in points}),
        len({p.point for p in points}),
        len(seeds),
        c.engine.value,
        output_dir,
    )

    output_dir = Path(output_dir)
    files = outputs.OutputSet(output_dir)
    t1 = time.perf_counter()
    with (
        files.publishing(),
        tqdm(
            total=len(points) * n_chunks,
            unit="chunk",
            desc=c.experiment,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):
        for ep in points:
            bar.set_postfix_str(f"{ep.strategy} point {ep.point}")
            for chunk_seeds, traj, summary in _chunks(ep.config, seeds, c):
                assert traj is not None  # chunks always carry trajectories here
                files.write(
                    outputs.SUMMARY,
                    outputs.summary_table(summary, chunk_seeds, ep.strategy, ep.point, ep.params),
                )
                files.write(
                    outputs.STEPS,
                    outputs.steps_table(traj, ep.config, ep.strategy, ep.point, ep.params),
                )
                if c.keep_trajectories:
                    files.write(
                        outputs.TRAJECTORIES,
                        outputs.trajectory_table(traj, ep.config, ep.strategy, ep.point, ep.params),
                    )
                bar.update()
    t_simulate = time.perf_counter() - t1

    t2 = time.perf_counter()
    figures: list[str] = []
    if c.plots:
        from experiments.workflow import plot

        try:
            figures = [p.name for p in plot.draw_all(output_dir)]
        except BaseException:
            for name in outputs.TABLES:  # a run without its figures is not complete
                (output_dir / name).unlink(missing_ok=True)
            raise
    t_plot = time.perf_counter() - t2

    data_file = resolve(c.scenario.data_file)
    first = points[0].config
    manifest = {
        "experiment": c.experiment,
        "engine": c.engine.value,
        "strategies": list(dict.fromkeys(p.strategy for p in points)),
        "strategy_options": {p.strategy: asdict(p.config.strategy_options) for p in points},
        "points": [
            {"point": p.point, **p.params} for p in points if p.strategy == points[0].strategy
        ],
        "countries": list(first.countries.codes),
        "root_seed": c.seed,
        "n_seeds": c.n_seeds,
        "seeds": seeds.tolist(),
        "k_adoptions": c.k_adoptions,
        "calendar": {
            "start": first.calendar.start.isoformat(),
            "n_steps": first.calendar.n_steps,
            "end": first.calendar.date(first.calendar.n_steps).isoformat(),
        },
        "overrides": list(overrides),
        "config": OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
        if isinstance(cfg, DictConfig)
        else None,
        "data_file": {"path": str(data_file), "sha256": outputs.file_sha256(data_file)},
        "git": outputs.git_state(ROOT),
        "packages": outputs.package_versions(),
        "python": sys.version.split()[0],
        "files": {name: rows for name, rows in files.rows.items()},
        "figures": figures,
        "started": started,
        "finished": outputs.now_iso(),
        "timings_s": {
            "convert": round(t_convert, 3),
            "simulate_and_write": round(t_simulate, 3),
            "plot": round(t_plot, 3),
            "total": round(time.perf_counter() - t0, 3),
        },
    }
    atomic.write_json(output_dir / outputs.MANIFEST, manifest, default=str)
    _log_results(points, output_dir)
    log.info("done in %.1f s: %s", manifest["timings_s"]["total"], output_dir)
    return manifest


# --------------------------------------------------------------------------- entry point
@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    with errors.reporting(ExperimentConf):
        run_experiment(cfg, Path(hc.runtime.output_dir), list(hc.overrides.task))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.run [overrides]``: every job checked, then run by Hydra."""
    cli.run_cli("config", to_simulation_configs, _task, ExperimentConf, argv)
