"""``python -m experiments.analyse``: which strategy is robust, what drives the outcomes,
and where each strategy fails.

    python -m experiments.analyse                        # the default analysis
    python -m experiments.analyse --dry-run              # runs, timed estimate, disk; no run
    python -m experiments.analyse experiment=robustness  # presets: conf/analyse/experiment/
    python -m experiments.analyse uncertainty=as_in_2022 n_seeds=32
    python -m experiments.analyse publish=true           # also docs/analysis.md + figures

Every point of every design is run for every strategy on the same seeds, chunk by chunk,
each chunk recorded in the run ledger of the folder (:mod:`experiments.workflow.ledger`,
keyed by :func:`~experiments.analysis.settings.fingerprint`): a stopped or failed analysis
is finished by the same command with the same folder (``hydra.run.dir=<folder>``), which
skips the chunks already done; a folder holding another analysis is refused. When every
chunk is done, ``runs.parquet`` is published (chunks in plan order), then
``scenarios.parquet``, ``robustness.csv``, ``sensitivity.csv``, ``discovery.json``, the
figures, ``analysis.md`` and, last, ``manifest.json`` are written into Hydra's run folder.
A folder whose runs were published reuses them (only the tables and report are remade).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from importlib import metadata
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
import pyarrow.parquet as pq
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from experiments.analysis import tables
from experiments.analysis.decision import decision_tables
from experiments.analysis.effort import SPENT
from experiments.analysis.report import ReportInputs, build_report
from experiments.analysis.runner import run_plan
from experiments.analysis.settings import Settings, design_info, fingerprint, settings
from experiments.workflow import atomic, cli, errors
from experiments.workflow.ledger import Ledger, check_folder, ledger_key
from experiments.workflow.manifest import file_sha256, git_state, now_iso, package_versions
from experiments.workflow.paths import CONF_DIR, ROOT, resolve
from experiments.workflow.schema import AnalyseConf

log = logging.getLogger(__name__)

SEARCH_PATH = f"hydra.searchpath=['file://{CONF_DIR / 'analyse'}']"
"""The analysis presets live in ``conf/analyse/experiment/`` (the group ``experiment``)."""
MANIFEST = "manifest.json"
REPORT = "analysis.md"
FIGURES = "figures"


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        atomic.atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        atomic.atomic_write(path, lambda tmp: frame.to_parquet(tmp, compression="zstd"))


def _write_figures(figs: dict[str, Figure], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in figs.items():
        atomic.atomic_write(folder / name, lambda tmp, f=fig: f.savefig(tmp, format="png", dpi=110))


def _scenarios_for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Documented types: keys dictionary-encoded, ``point`` int32."""
    return frame.assign(
        design=frame["design"].astype("category"),
        point=frame["point"].astype("int32"),
        strategy=pd.Categorical(frame["strategy"].astype(str), categories=frame.attrs["order"]),
    )


def _start_cases(s: Settings, scenarios: pd.DataFrame, stack: ExitStack) -> Callable[[], list]:
    """The PRIM cases of the explore design (the world Japan faced): with ``workers`` > 1,
    started at once in a forked process, so that PRIM (a third of the tables' time) runs
    beside the other tables; the call returned gives them."""
    c = s.c
    if "explore" not in s.designs or not c.discovery.cases:
        return list
    from experiments.analysis.cases import discover_cases  # imports the workbench on use

    args = (scenarios, s.space, c.discovery, s.strategies)
    if c.workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: discover_cases(*args)
    pool = stack.enter_context(ProcessPoolExecutor(1, multiprocessing.get_context("fork")))
    return pool.submit(discover_cases, *args).result


def compute_tables(s: Settings, runs: pd.DataFrame) -> dict[str, Any]:
    """Scenarios, robustness, sensitivity and discovery cases from the runs."""
    c = s.c
    runs = tables.censor(runs, c.calendar.n_steps)
    scenarios = tables.scenarios_table(runs, s.designs, s.space, s.outcomes)
    out: dict[str, Any] = {"scenarios": scenarios, "robustness": None, "sensitivity": None}
    with ExitStack() as stack:
        cases = _start_cases(s, scenarios, stack)
        worlds = [d for d in ("explore", "mandate") if d in s.designs]
        if worlds:
            out["robustness"] = pd.concat([
                tables.robustness_table(
                    scenarios, runs, s.outcomes, c.reference, c.seed, c.sensitivity.n_boot, d
                )
                for d in worlds
            ], ignore_index=True)  # fmt: skip
        out.update(decision_tables(s, runs, scenarios))
        if {"morris", "sobol"} & set(s.designs):
            reference = c.reference if c.sensitivity.paired else None
            out["sensitivity"] = tables.sensitivity_table(
                runs, s.designs, s.strategies, c.sensitivity.outcomes, reference,
                c.sensitivity.n_boot, c.seed,
            )  # fmt: skip
        out["cases"] = cases()
    # set last: pandas deep-copies a frame's attrs into every frame derived from it
    scenarios.attrs["order"] = s.strategies
    return out


def _cpu() -> float:
    """CPU seconds of this process's threads and of its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def run_analysis(cfg: DictConfig, out: Path, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Run (or finish) the analysis ``cfg`` in ``out``; return the manifest (written last).

    The chunks are kept in the run ledger of ``out``: chunks already done are not rerun, a
    chunk that raises is recorded as failed (and the error raised again), and ``out``
    holding another analysis is refused (one-line ``ConfigError``)."""
    started, t0 = now_iso(), time.perf_counter()
    s = settings(cfg)
    c, plan = s.c, s.plan
    ledger_meta = {"experiment": c.experiment, "overrides": list(overrides)}
    with Ledger.open(out, fingerprint(s), plan.ledger_chunks(), ledger_meta) as ledger:
        t1, c1 = time.perf_counter(), _cpu()
        damaged = ledger.damaged()
        if damaged:  # nothing is built on a runs table that is not the one published
            log.warning(
                "%s differs from the file the ledger published (SHA-256): recomputing in %s",
                damaged[0].name,
                out,
            )
            ledger.invalidate("damaged: " + ", ".join(p.name for p in damaged))
        if ledger.finalized:
            resumed = len(ledger.plan)
            log.info("runs already published (nothing rerun): %s", out / tables.RUNS)
        else:
            resumed = run_plan(plan, s.configs, ledger, c.k_adoptions, c.workers, c.experiment)
            ledger.finalize({tables.RUNS: out / tables.RUNS})
        names = dict.fromkeys([*(o.name for o in s.outcomes), SPENT])
        needed = ["design", "point", "strategy", "seed", *names]
        runs = pq.read_table(out / tables.RUNS, columns=needed).to_pandas()
        t_simulate, c_simulate = time.perf_counter() - t1, _cpu() - c1

        t2, c2 = time.perf_counter(), _cpu()
        result = compute_tables(s, runs)
        files = {tables.RUNS: len(runs)}
        _write_table(out / tables.SCENARIOS, _scenarios_for_parquet(result["scenarios"]))
        files[tables.SCENARIOS] = len(result["scenarios"])
        for name, key in (
            (tables.ROBUSTNESS, "robustness"), (tables.SENSITIVITY, "sensitivity"),
            (tables.PAIRWISE, "pairwise"), (tables.EFFORT, "effort"),
        ):  # fmt: skip
            if result[key] is not None:
                _write_table(out / name, result[key])
                files[name] = len(result[key])
        if result["cases"]:
            records = [case.as_dict() for case in result["cases"]]
            atomic.write_json(out / tables.DISCOVERY, {"cases": records})
            files[tables.DISCOVERY] = len(records)
        t_tables, c_tables = time.perf_counter() - t2, _cpu() - c2

        t3, c3 = time.perf_counter(), _cpu()
        meta = _meta(s, overrides, plan.n_runs, t_simulate, t_tables, resumed)
        inputs = ReportInputs(meta, s.space, s.outcomes, result["scenarios"], result["robustness"],
                              result["sensitivity"], result["cases"], result["pairwise"],
                              result["effort"], s.headline, s.effort)  # fmt: skip
        text, figs = build_report(inputs)
        _write_figures(figs, out / FIGURES)
        atomic.write_text(out / REPORT, text)
        if c.publish:
            _write_figures(figs, resolve(c.figures_dir))
            atomic.write_text(resolve(c.report), text)
            log.info("published %s and %d figures in %s", c.report, len(figs), c.figures_dir)
        t_report, c_report = time.perf_counter() - t3, _cpu() - c3

        manifest = {
            "experiment": c.experiment,
            "uncertainty": {
                "name": c.uncertainty.name,
                "dimensions": [_dimension(d, s) for d in s.space.space.dimensions],
                "fixed": dict(s.space.space.fixed),
                "from_accepted_set": list(s.space.from_set),
                "accepted_sets": len(s.space.sets),
            },
            "designs": design_info(s),
            "strategies": s.strategies,
            "reference": c.reference,
            "root_seed": c.seed,
            "n_seeds": len(plan.seeds),
            "seeds": plan.seeds.tolist(),
            "n_points": plan.n_points,
            "n_runs": plan.n_runs,
            "ledger_key": ledger.key,
            "chunks": {"planned": len(ledger.plan), "records": sum(ledger.records().values())},
            "chunks_resumed": resumed,
            "overrides": list(overrides),
            "config": OmegaConf.to_container(cfg, resolve=True, enum_to_str=True),
            "accepted_sets_file": _file(
                resolve(c.uncertainty.calibration_dir) / "accepted.parquet"
            ),
            "data_file": _file(resolve(c.scenario.data_file)),
            "git": git_state(ROOT),
            "packages": {**package_versions(), **_versions("SALib", "ema-workbench")},
            "python": sys.version.split()[0],
            "files": files,
            "figures": sorted(figs),
            "started": started,
            "finished": now_iso(),
            "timings_s": {
                "simulate": round(t_simulate, 3),
                "tables": round(t_tables, 3),
                "report": round(t_report, 3),
                "total": round(time.perf_counter() - t0, 3),
            },
            "cpu_s": {  # CPU of the process's threads and children (the machine may be shared)
                "simulate": round(c_simulate, 3),
                "tables": round(c_tables, 3),
                "report": round(c_report, 3),
                "process": round(_cpu(), 3),  # since the process started
            },
        }
        atomic.write_json(out / MANIFEST, manifest, default=str)
        wall, cpu = manifest["timings_s"], manifest["cpu_s"]
        log.info(
            "done in %s: %s (wall / CPU s: simulate %.1f / %.1f, tables %.1f / %.1f, "
            "report %.1f / %.1f)",
            _duration(wall["total"]), out, wall["simulate"], cpu["simulate"],
            wall["tables"], cpu["tables"], wall["report"], cpu["report"],
        )  # fmt: skip
        return manifest


def _dimension(d: Any, s: Settings) -> dict[str, Any]:
    span = {"values": list(d.values)} if d.kind == "categorical" else {"lo": d.lo, "hi": d.hi}
    return {"name": d.name, "kind": d.kind, **span, "origin": s.space.origin.get(d.name, "")}


def _file(path: Path) -> dict[str, Any]:
    return {"path": str(path), "sha256": file_sha256(path) if path.exists() else None}


def _versions(*names: str) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _meta(
    s: Settings, overrides: Sequence[str], n_runs: int, t_sim: float, t_tab: float, resumed: int
) -> dict[str, Any]:
    c = s.c
    runtime = f"simulated in {_duration(t_sim)}, tables in {_duration(t_tab)}"
    if resumed:
        runtime += f" ({resumed} chunks from an earlier start)"
    return {
        "experiment": c.experiment,
        "uncertainty": c.uncertainty.name,
        "seed": c.seed,
        "n_seeds": len(s.plan.seeds),
        "strategies": s.strategies,
        "reference": c.reference,
        "designs": design_info(s),
        "n_runs": n_runs,
        "runtime": runtime,
        "command": "".join(f" {o}" for o in overrides),
        "start": c.calendar.start,
        "n_steps": c.calendar.n_steps,
        "k_adoptions": c.k_adoptions,
        "sample_priors": c.sample_priors,
        "feasibility": c.feasibility,
        "restrictions": [list(r) for r in next(iter(s.configs.bases.values()))[0][1].restrictions],
        "decision": {
            "mandate": c.decision.mandate,
            "multiples": list(c.decision.effort_multiples),
            "verdict_share": c.decision.verdict_share,
            "min_separated": c.decision.min_separated,
            "reach": c.decision.reach,
            "historical": c.decision.historical,
        },
    }


# --------------------------------------------------------------------------- entry point
def _task_overrides(task: Sequence[str]) -> list[str]:
    return [o for o in task if not o.startswith("hydra.searchpath")]


def _check_run_dir(cfg: DictConfig, args: Sequence[str]) -> None:
    """Refuse ``hydra.run.dir`` holding another analysis before Hydra writes into it."""
    given = [a.split("=", 1)[1] for a in args if a.startswith("hydra.run.dir=")]
    if given:
        folder = Path(given[-1]).absolute()
        found = ledger_key(folder)  # the key is computed only for a folder with a ledger
        check_folder(folder, fingerprint(settings(cfg)) if found else "", found=found)


@hydra.main(config_path=str(CONF_DIR), config_name="analyse", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    with errors.reporting(AnalyseConf):
        run_analysis(cfg, Path(hc.runtime.output_dir), _task_overrides(hc.overrides.task))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.analyse [--dry-run] [overrides]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--dry-run" in args:
        args = [a for a in args if a != "--dry-run"] + ["dry_run=true"]
    args.insert(0, SEARCH_PATH)  # before any flag: argparse takes overrides first
    if not any(a.startswith("-") for a in args):
        with errors.reporting(AnalyseConf):
            with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
                cfg = compose("analyse", overrides=args)
                cli.check_keys(cfg)
                cli.check_empty_merges(cfg, args)
            if cfg.dry_run:
                from experiments.analysis.dryrun import dry_run_text

                sys.stdout.write(dry_run_text(settings(cfg)))
                return
            _check_run_dir(cfg, args)
    cli.run_cli("analyse", settings, _task, AnalyseConf, args, write_manifest=False)
