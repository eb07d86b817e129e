"""Run one experiment: every strategy and parameter point it names, over ``n_seeds`` replicates.

    python -m experiments.run                          # the main job (strategy_comparison)
    python -m experiments.run strategy=hub_first n_seeds=500
    python -m experiments.run experiment=budget_sweep executor=dask
    python -m experiments.run -m budget=1,2,4 hydra/launcher=joblib_local

A run is a plan of chunks (a strategy at a point over a range of seeds), kept in a ledger
(:mod:`experiments.workflow.ledger`) keyed by a content hash of the resolved config, the
input files and the code. Chunks run on the local or the Dask executor and are recorded as
Arrow parts; when all are done, the tables are published (parts in plan order), then the
figures are drawn from them, then ``manifest.json`` is written: the mark of a complete run.
An interrupted run is finished by running the same command again (or ``resume=<folder>``):
finished chunks are not recomputed, and the tables are those of an uninterrupted run.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from tqdm import tqdm

from experiments.workflow import (  # comparison, countries (pandas): where used
    atomic,
    cli,
    curves,
    errors,
    executor,
    folders,
    manifest,
    outputs,
)
from experiments.workflow.convert import (
    ExperimentPoint,
    as_plain,
    scenario_mapping,
    to_simulation_configs,
)
from experiments.workflow.ledger import (
    Chunk,
    Ledger,
    content_key,
    file_sha256,
    ledger_key,
    published_files,
)
from experiments.workflow.paths import CALIBRATION_DIR, CONF_DIR, ROOT, resolve
from experiments.workflow.resources import (
    MAX_CHUNKS,
    RunSize,
    check_run,
    check_time,
    describe,
    estimated_seconds,
)
from experiments.workflow.scenario import not_simulated
from experiments.workflow.schema import Executor, ExperimentConf
from experiments.workflow.tasks import ChunkTask
from sim import replicate_seeds

log = logging.getLogger(__name__)

NON_RESULT_KEYS = (
    "workers", "chunk_size", "plots", "plot_formats", "executor", "dask", "resume",
)  # fmt: skip
"""Keys that do not change a run's tables (left out of its ledger key)."""
RESULT_CODE = (
    "sim",
    *(
        f"experiments/workflow/{name}.py"
        for name in ("convert", "curves", "outputs", "scenario", "store", "tasks")
    ),
)
"""Code that makes the tables: a change starts a fresh run instead of resuming one."""
MAX_MANIFEST_SEEDS = 100_000
"""Seeds listed in the manifest; beyond, their SHA-256 and the rule that makes them."""
_CODE_KEY: list[str] = []


def code_key() -> str:
    """SHA-256 of the Python sources under :data:`RESULT_CODE` (once per process)."""
    if not _CODE_KEY:
        files = sorted(
            p
            for d in RESULT_CODE
            for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py"))
        )
        _CODE_KEY.append(content_key([(str(p.relative_to(ROOT)), file_sha256(p)) for p in files]))
    return _CODE_KEY[0]


def input_files(c: Any, points: Sequence[ExperimentPoint]) -> dict[str, Path]:
    """The files a run reads besides ``conf/``: data file, scenario file, accepted sets."""
    files = {"data_file": resolve(c.scenario.data_file)}
    if c.scenario_file is not None:
        files["scenario_file"] = resolve(c.scenario_file)
    if any("accepted_set" in p.params for p in points):
        files["accepted_sets"] = CALIBRATION_DIR / "accepted.parquet"
    return files


@dataclass(frozen=True)
class RunPlan:
    """A run's chunks, in plan order, with the ledger key they belong to."""

    key: str
    points: list[ExperimentPoint]
    chunks: list[tuple[Chunk, ChunkTask]]
    tables: tuple[str, ...]
    size: RunSize
    inputs: dict[str, Path]


def run_size(c: Any, points: Sequence[ExperimentPoint], tables: Sequence[str]) -> RunSize:
    in_flight = c.workers * executor.IN_FLIGHT_PER_WORKER + 1
    if c.executor is Executor.dask:
        in_flight = c.dask.n_workers * c.dask.threads_per_worker * executor.IN_FLIGHT_PER_WORKER
    first = points[0].config
    return RunSize(
        n_seeds=c.n_seeds,
        jobs=len(points),
        chunk_size=c.chunk_size,
        in_flight=in_flight,
        n_steps=max(p.config.calendar.n_steps for p in points),
        n_countries=first.countries.n,
        steps=outputs.STEPS in tables,
        trajectories=outputs.TRAJECTORIES in tables,
    )


def _chunks(
    c: Any, points: Sequence[ExperimentPoint], key: str, tables: tuple[str, ...]
) -> list[tuple[Chunk, ChunkTask]]:
    """Every (strategy, point) over seed ranges of ``chunk_size``, in plan order; a chunk's
    id is its index and a hash of the run key, strategy, point and seed range."""
    chunks: list[tuple[Chunk, ChunkTask]] = []
    for ep in points:
        for start in range(0, c.n_seeds, c.chunk_size):
            stop = min(start + c.chunk_size, c.n_seeds)
            digest = content_key(key, ep.strategy, ep.point, start, stop)[:16]
            spec = {"strategy": ep.strategy, "point": ep.point, "seeds": [start, stop]}
            task = ChunkTask(
                config=ep.config,
                strategy=ep.strategy,
                point=ep.point,
                params=ep.params,
                root_seed=c.seed,
                start=start,
                stop=stop,
                k_adoptions=c.k_adoptions,
                engine=c.engine.value,
                tables=tables,
            )
            chunks.append((Chunk(f"{len(chunks):06d}-{digest}", spec), task))
    return chunks


_PLANS: dict[str, RunPlan] | None = None
"""Plans built by this command (:func:`main`), by resolved config: a job is planned once,
though the launcher checks it, finds its folder and Hydra then runs it."""


def plan_run(cfg: DictConfig | ExperimentConf) -> RunPlan:
    """Convert ``cfg`` (one-line errors on bad input) and plan its chunks (once per
    resolved config within one command)."""
    if _PLANS is None or not isinstance(cfg, DictConfig):
        return _plan(cfg)
    resolved = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    job = {k: v for k, v in resolved.items() if k != "hydra"}
    memo = json.dumps(job, sort_keys=True, default=str)
    if memo not in _PLANS:
        _PLANS[memo] = _plan(cfg)
    return _PLANS[memo]


def _plan(cfg: DictConfig | ExperimentConf) -> RunPlan:
    c = as_plain(cfg)
    points = to_simulation_configs(c)
    tables = tuple(
        name
        for name, keep in (
            (outputs.TRAJECTORIES, c.keep_trajectories),
            (outputs.STEPS, c.keep_steps),
            (outputs.SUMMARY, True),
            (outputs.CURVES, True),
        )
        if keep
    )
    size = run_size(c, points, tables)
    inputs = input_files(c, points)
    resolved = (
        OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
        if isinstance(cfg, DictConfig)
        else asdict(c)
    )
    resolved = {k: v for k, v in resolved.items() if k not in (*NON_RESULT_KEYS, "hydra")}
    key = content_key(
        resolved,
        {name: file_sha256(path) for name, path in inputs.items() if path.is_file()},
        code_key(),
    )
    chunks = _chunks(c, points, key, tables) if size.chunks() <= MAX_CHUNKS else []
    return RunPlan(key, points, chunks, tables, size, inputs)


def check(cfg: DictConfig, folder: Path) -> RunPlan:
    """Convert and plan ``cfg``, and refuse it if it cannot fit under ``folder``."""
    plan = plan_run(cfg)
    check_time(plan.size, as_plain(cfg).engine.value)
    check_run(plan.size, folder)
    c = as_plain(cfg)
    if c.executor is Executor.dask:
        executor.check_dask(c.dask)
    return plan


# --------------------------------------------------------------------------- running
def _compute(plan: RunPlan, ledger: Ledger, c: Any) -> None:
    """Compute every pending chunk on the configured executor, recording each."""
    tasks = {chunk.id: task for chunk, task in plan.chunks}
    pending = [(chunk.id, tasks[chunk.id]) for chunk in ledger.pending()]
    if not pending:
        return
    total = len(pending)
    done = [0]
    step = max(1, total // 10)
    with tqdm(total=total, unit="chunk", desc=c.experiment, disable=not sys.stderr.isatty()) as bar:

        def on_done(chunk_id: str, tables: dict) -> None:
            ledger.record(chunk_id, tables)
            done[0] += 1
            bar.update()
            if done[0] % step == 0 or done[0] == total:
                log.info("%d of %d chunks done", done[0], total)

        def on_failed(chunk_id: str, exc: BaseException) -> None:
            ledger.fail(chunk_id, exc)
            log.error("chunk %s failed: %s: %s", chunk_id, type(exc).__name__, exc)

        if c.executor is Executor.dask:
            executor.run_dask(pending, c.dask, plan.key, on_done, on_failed)
        else:
            executor.run_local(pending, c.workers, on_done, on_failed)


def _log_results(folder: Path) -> None:
    """The comparison table's main columns, per strategy and group of points."""
    import pandas as pd

    from experiments.workflow import comparison

    table = pd.read_csv(folder / comparison.COMPARISON)
    log.info(
        "outcomes per strategy (comparison.csv): %s:\n%s",
        comparison.CONSOLE_LEGEND,
        comparison.console_table(table),
    )


def _manifest(
    c: Any, cfg: Any, plan: RunPlan, overrides: Sequence[str], files: dict, extra: dict
) -> dict[str, Any]:
    points, first = plan.points, plan.points[0].config
    model_fields = {p.point: asdict(p.config.params) for p in points}
    seeds: dict[str, Any] = {"seeds": None}
    if c.n_seeds <= MAX_MANIFEST_SEEDS:
        seeds["seeds"] = replicate_seeds(c.seed, c.n_seeds).tolist()
    else:
        seeds["seeds_rule"] = "sim.rng.replicate_seeds(root_seed, n_seeds)"
    scenario = (
        {"source": "scenario_file", **manifest.file_record(plan.inputs["scenario_file"])}
        if "scenario_file" in plan.inputs
        else {"source": f"conf/scenario (as composed: config.scenario), name {c.scenario.name}"}
    )
    return {
        "experiment": c.experiment,
        "engine": c.engine.value,
        "executor": c.executor.value,
        "ledger_key": plan.key,
        "strategies": list(dict.fromkeys(p.strategy for p in points)),
        "strategy_options": {p.strategy: asdict(p.config.strategy_options) for p in points},
        "points": [
            {
                "point": p.point,
                **p.params,
                **({"model": model_fields[p.point]} if "accepted_set" in p.params else {}),
            }
            for p in points
            if p.strategy == points[0].strategy
        ],
        "countries": list(first.countries.codes),
        "not_simulated": not_simulated(scenario_mapping(c), first.countries),
        "country_names": dict(zip(first.countries.codes, first.countries.names, strict=True)),
        "root_seed": c.seed,
        "n_seeds": c.n_seeds,
        **seeds,
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
        "scenario": scenario,
        "data_file": manifest.file_record(plan.inputs["data_file"]),
        **(
            {"accepted_sets": manifest.file_record(plan.inputs["accepted_sets"])}
            if "accepted_sets" in plan.inputs
            else {}
        ),
        **manifest.environment(),
        "files": {name: f["rows"] for name, f in files.items()},
        "sha256": {name: f["sha256"] for name, f in files.items()},
        **extra,
    }


def run_experiment(
    cfg: DictConfig, output_dir: Path, overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """Run (or finish) the experiment ``cfg`` in ``output_dir``; return the manifest.

    Raises ``ConfigError`` (one-line message naming the key) on bad input, before any
    file is written.
    """
    started, t0 = manifest.now_iso(), time.perf_counter()
    c = as_plain(cfg)
    output_dir = Path(output_dir)
    plan = check(cfg, output_dir)
    t_convert = time.perf_counter() - t0
    meta = {"experiment": c.experiment, "overrides": list(overrides)}
    with Ledger.open(output_dir, plan.key, [ch for ch, _ in plan.chunks], meta) as ledger:
        manifest_path = output_dir / manifest.MANIFEST
        damaged = ledger.damaged()
        if damaged:  # nothing is built on a file that is not the one published
            log.warning(
                "%s differs from the file the run published (SHA-256 in ledger.jsonl): "
                "recomputing the run in %s",
                ", ".join(p.name for p in damaged),
                output_dir,
            )
            manifest_path.unlink(missing_ok=True)
            ledger.invalidate("damaged: " + ", ".join(p.name for p in damaged))
        complete = cli.complete_manifest(output_dir) if ledger.finalized else None
        if complete is not None:
            log.info("already complete (nothing recomputed): %s", output_dir)
            return complete
        folders.remove_abandoned(output_dir.parent, max_depth=2)
        log.info("to simulate: %s", describe(plan.size, c.engine.value, c.workers))
        log.info(
            "budget %g units a week; Japan's 2022 effort (the calendar's dated visits): %.3f",
            c.budget,
            plan.points[0].config.calendar.dated_effort(),
        )
        log.info(
            "%s: %d strategies x %d points x %d seeds = %d chunks (%s engine, %s executor) -> %s",
            c.experiment,
            len({p.strategy for p in plan.points}),
            len({p.point for p in plan.points}),
            c.n_seeds,
            len(plan.chunks),
            c.engine.value,
            c.executor.value,
            output_dir,
        )
        t1 = time.perf_counter()
        if ledger.finalized:
            files = published_files(output_dir) or {}
        else:
            _compute(plan, ledger, c)
            files = ledger.finalize(
                {name: output_dir / name for name in plan.tables},
                reducers={outputs.CURVES: curves.reduce},
            )
            executor.release_memory()
        from experiments.workflow import comparison, countries

        for write in (countries.write_countries, comparison.write_comparison):
            derived, rows = write(output_dir)  # from the published tables
            files = {**files, derived.name: {"rows": rows, "sha256": file_sha256(derived)}}
        t_simulate = time.perf_counter() - t1
        t2 = time.perf_counter()
        figures: list[str] = []
        if c.plots:  # drawn from the published tables only
            from experiments.workflow import plot

            formats = [f.value for f in c.plot_formats]
            figures = [p.name for p in plot.draw_all(output_dir, formats)]
        t_plot = time.perf_counter() - t2
        record = _manifest(
            c,
            cfg,
            plan,
            overrides,
            files,
            {
                "chunks": {"planned": len(plan.chunks), "records": sum(ledger.records().values())},
                "figures": figures,
                "figure_sha256": {name: file_sha256(output_dir / name) for name in figures},
                "started": started,
                "finished": manifest.now_iso(),
                "timings_s": {
                    "convert": round(t_convert, 3),
                    "simulate_and_write": round(t_simulate, 3),
                    "plot": round(t_plot, 3),
                    "total": round(time.perf_counter() - t0, 3),
                },
            },
        )
        atomic.write_json(manifest_path, record, default=str)
    _log_results(output_dir)
    log.info("done in %.1f s: %s", record["timings_s"]["total"], output_dir)
    return record


# --------------------------------------------------------------------------- multirun jobs
def _job_folder(sweep_dir: str, num: Any, overrides: Any, _root_: DictConfig) -> str:
    """Resolver ``sim_job_folder`` (``hydra.sweep.subdir``): the folder of the same job
    (same overrides and ledger key) in an earlier attempt of the sweep, else a new one."""
    task = copy.deepcopy(_root_)
    with read_write(task), open_dict(task):
        del task["hydra"]
    key = plan_run(task).key
    return folders.job_folder(
        sweep_dir, int(num), list(overrides), lambda f: ledger_key(f) in (key, None)
    )


if not OmegaConf.has_resolver("sim_job_folder"):
    OmegaConf.register_new_resolver("sim_job_folder", _job_folder)


# --------------------------------------------------------------------------- entry point
@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    with errors.reporting(ExperimentConf):
        run_experiment(cfg, Path(hc.runtime.output_dir), list(hc.overrides.task))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.run [overrides]``: every job checked, then run by Hydra."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())  # freed buffers go back (bounded memory)
    global _PLANS
    hooks = cli.RunHooks(
        plan=plan_run,
        check=check,
        key=lambda cfg: plan_run(cfg).key,
        seconds=lambda cfg, plan: estimated_seconds(plan.size, cfg.engine.value, cfg.workers),
    )
    _PLANS = {}
    try:
        cli.run_cli(
            "config", to_simulation_configs, _task, ExperimentConf, argv, hooks,
            write_manifest=False,
        )  # fmt: skip
    finally:
        _PLANS = None
