"""Faults and concurrency: runs resume after SIGKILL without recomputing finished chunks,
concurrent runs get their own folders, Dask gives the local executor's tables, multirun
recovery never overwrites a finished job, abandoned temporaries are cleaned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.workflow import folders, multirun, outputs
from experiments.workflow.ledger import read_events
from experiments.workflow.manifest import MANIFEST
from experiments.workflow.paths import ROOT
from experiments.workflow.run import run_experiment

SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")  # as conftest.SMALL
SWEEP = ("strategies=[none,uniform]", "+sweep.budget=[1,4]", "calendar.n_steps=8", "plots=false")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "SIM_TRACEBACK")}
    return {**env, "PYTHONPATH": str(ROOT)}  # this checkout's code, whatever the cwd


def _start(args: list[str], cwd: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.run", *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _done(folder: Path) -> int:
    return sum(1 for e in read_events(folder) if e.get("event") == "done")


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {n: pd.read_parquet(folder / n) for n in (*outputs.TABLES, outputs.CURVES)}


def _run_folder(root: Path, deadline: float) -> Path | None:
    while time.monotonic() < deadline:
        found = [p for p in root.glob("*/*") if (p / "ledger.jsonl").exists()]
        if found:
            return found[0]
        time.sleep(0.02)
    return None


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_to_identical_tables(compose_cfg, tmp_path) -> None:
    """Killed mid-way, then the same command again (default folders: the interrupted run is
    found by its ledger key): identical tables, no finished chunk computed twice."""
    args = [*SWEEP, "engine=mesa", "n_seeds=8", "chunk_size=2"]  # 16 chunks of ~0.3 s
    proc = _start(args, cwd=tmp_path)
    deadline = time.monotonic() + 120
    killed = _run_folder(tmp_path / "outputs", deadline)
    assert killed is not None
    while _done(killed) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _done(killed)
    assert 4 <= before < 16, before  # killed mid-way
    assert not (killed / MANIFEST).exists() and not (killed / outputs.SUMMARY).exists()
    resumed = _start(args, cwd=tmp_path)  # the same command again
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert [p for p in (tmp_path / "outputs").glob("*/*")] == [killed]  # no second folder
    records = [e["chunk"] for e in read_events(killed) if e.get("event") == "done"]
    assert len(records) == len(set(records)) == 16  # no finished chunk computed twice
    reference = tmp_path / "reference"
    manifest = run_experiment(compose_cfg(*args), reference)
    resumed_manifest = json.loads((killed / MANIFEST).read_text())
    assert resumed_manifest["sha256"] == manifest["sha256"]  # byte-identical tables
    for name, table in _tables(reference).items():
        pd.testing.assert_frame_equal(_tables(killed)[name], table)
    assert not list(killed.rglob("*.tmp")) and not (killed / ".parts").exists()
    again = _start(args, cwd=tmp_path)  # complete: reported, nothing recomputed
    assert again.wait(timeout=300) == 0 and "already complete" in again.stderr.read()
    assert len([e for e in read_events(killed) if e.get("event") == "done"]) == 16


@pytest.mark.slow
def test_runs_started_together_get_their_own_folders(tmp_path) -> None:
    """Two different runs, and the same command twice (resume=never: no reuse), started
    together with the default folders."""
    variants = (["seed=1"], ["seed=2", "resume=never"], ["seed=2", "resume=never"])
    procs = [_start([*SMALL, "strategy=none", *v], cwd=tmp_path) for v in variants]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    runs = sorted((tmp_path / "outputs" / "strategy_comparison").iterdir())
    assert len(runs) == 3
    manifests = [json.loads((r / MANIFEST).read_text()) for r in runs]
    assert sorted(m["root_seed"] for m in manifests) == [1, 2, 2]
    for run in runs:  # each folder holds one run's complete, readable tables
        assert len(pd.read_parquet(run / outputs.SUMMARY)) == 3


def test_folders_are_claimed_exclusively(tmp_path) -> None:
    first = folders.claim(tmp_path / "2022-02-24_00-00-00")
    second = folders.claim(tmp_path / "2022-02-24_00-00-00")
    assert first.name == "2022-02-24_00-00-00" and second.name == "2022-02-24_00-00-00_2"


@pytest.mark.slow
def test_dask_executor_gives_the_local_tables(compose_cfg, tmp_path) -> None:
    args = (*SWEEP, "n_seeds=40", "chunk_size=10")
    local = run_experiment(compose_cfg(*args), tmp_path / "local")
    dask = run_experiment(
        compose_cfg(*args, "executor=dask", "dask.n_workers=2"), tmp_path / "dask"
    )
    assert dask["executor"] == "dask" and dask["chunks"]["planned"] == 16
    assert dask["sha256"] == local["sha256"]  # byte-identical tables
    assert "distributed" in dask["packages"]
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        remote = run_experiment(
            compose_cfg(*args, "executor=dask", f"dask.address={cluster.scheduler_address}"),
            tmp_path / "address",
        )
    assert remote["sha256"] == local["sha256"]  # a running scheduler, reached by address


def test_slurm_cluster_is_built_from_dask_slurm(compose_cfg, tmp_path, monkeypatch) -> None:
    """``dask=slurm`` builds a ``dask_jobqueue.SLURMCluster`` with the config's job script
    (not a local cluster); nothing is submitted (no SLURM here: ``sbatch`` is a stub)."""
    from dask_jobqueue import SLURMCluster
    from omegaconf import OmegaConf

    from experiments.workflow import executor

    stub = tmp_path / "bin" / "sbatch"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stub.parent}:{os.environ['PATH']}")
    cfg = compose_cfg("executor=dask", "dask=slurm", "dask.jobqueue.queue=cpu")
    settings = OmegaConf.to_object(cfg).dask
    executor.check_dask(settings)  # sbatch found: accepted
    cluster = executor.make_cluster(settings)
    try:
        assert isinstance(cluster, SLURMCluster)
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p cpu" in script and "--cpus-per-task=4" in script
    assert "#SBATCH --mem=" in script and "-t 02:00:00" in script


@pytest.mark.slow  # a second process
def test_slurm_without_sbatch_is_refused_in_one_line(tmp_path, run_cli, small) -> None:
    folder = tmp_path / "run"
    proc = run_cli(
        [*small, "executor=dask", "dask=slurm", f"hydra.run.dir={folder}"],
        env={"PATH": os.path.dirname(sys.executable)},
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "dask" in lines[0] and "sbatch" in lines[0], proc.stderr
    assert not (folder / "ledger.jsonl").exists()


@pytest.mark.slow
def test_a_run_is_finished_where_it_stopped_and_figures_follow_tables(
    compose_cfg, tmp_path, monkeypatch
) -> None:
    from experiments.workflow import plot

    def broken(directory: Path, *formats: object) -> list[Path]:
        raise KeyboardInterrupt  # SIGINT while plotting

    cfg = compose_cfg(*SMALL, "strategies=[none,uniform]", "plots=true")
    monkeypatch.setattr(plot, "draw_all", broken)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg, tmp_path)
    assert (tmp_path / outputs.SUMMARY).exists()  # tables final before any figure
    assert not (tmp_path / MANIFEST).exists() and not list(tmp_path.glob("*.png"))
    monkeypatch.undo()
    manifest = run_experiment(cfg, tmp_path)  # the same run again: figures, then manifest
    assert (tmp_path / "adoption_curves.png").exists()
    assert manifest["chunks"] == {"planned": 2, "records": 2}  # nothing recomputed
    again = run_experiment(cfg, tmp_path)
    assert again == json.loads(json.dumps(manifest, default=str))  # complete: nothing redone


def test_abandoned_temporaries_are_removed_by_clean_and_later_runs(compose_cfg, tmp_path) -> None:
    from experiments.workflow.folders import clean_main

    root = tmp_path / "outputs" / "x"
    dead = root / "dead"
    (dead / ".parts" / outputs.SUMMARY).mkdir(parents=True)
    (dead / "ledger.jsonl").write_text('{"event": "open", "key": "k"}\n')
    (dead / folders.LOCK).write_text("")
    junk = [dead / "steps.parquet.tmp", dead / ".parts" / outputs.SUMMARY / "a.parquet.tmp"]
    for path in junk:
        path.write_bytes(b"x" * 1000)
    kept = dead / ".parts" / outputs.SUMMARY / "b.parquet"
    kept.write_bytes(b"part")
    live = root / "live"
    folders.hold(live)
    (live / "summary.parquet.tmp").write_bytes(b"being written")
    try:
        clean_main([str(tmp_path / "outputs")])
        assert not any(p.exists() for p in junk) and kept.exists()
        assert (live / "summary.parquet.tmp").exists()  # a running process's file
    finally:
        folders.release(live)
    junk[0].write_bytes(b"x")
    run_experiment(compose_cfg(*SMALL, "strategy=none"), root / "next")
    assert not junk[0].exists()  # a later run cleans its siblings


def test_skipped_jobs_are_reported_on_the_console(tmp_path, capsys) -> None:
    import logging

    job = tmp_path / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- budget=1\n")
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [logging.FileHandler(tmp_path / "job.log")]  # as a job's logging leaves it
    try:
        multirun.combine_tables(multirun.job_dirs(tmp_path), tmp_path)
    finally:
        root.handlers = saved
    assert "job 0 (budget=1) has no manifest.json" in capsys.readouterr().err
    assert json.loads((tmp_path / "multirun.json").read_text())["skipped"][0]["job"] == 0


@pytest.mark.slow
def test_multirun_recovery_never_overwrites_a_finished_job(tmp_path, run_cli) -> None:
    sweep = tmp_path / "sweep"
    common = [*SMALL, "strategy=none", f"hydra.sweep.dir={sweep}"]
    assert run_cli(["-m", "budget=1,2", *common]).returncode == 0
    finished = {p: p.stat().st_mtime_ns for p in (sweep / "0").glob("*.parquet")}
    manifest = (sweep / "1" / MANIFEST).read_text()
    proc = run_cli(["-m", "budget=2,4", *common])  # re-run with one old and one new job
    assert proc.returncode == 0, proc.stderr
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    assert (sweep / "1" / MANIFEST).read_text() == manifest  # budget=2 not redone
    new = json.loads((sweep / "2" / MANIFEST).read_text())
    assert new["config"]["budget"] == 4.0
    combined = pd.read_parquet(sweep / outputs.SUMMARY)
    assert sorted(combined["job"].unique()) == [0, 1, 2]
    assert set(combined["budget"] if "budget" in combined else []) <= {1.0, 2.0, 4.0}


@pytest.mark.slow
def test_submitit_launcher_runs_jobs_in_their_own_processes(tmp_path, run_cli) -> None:
    """The launcher of the README's SLURM example, with submitit's local executor (jobs are
    separate processes, as on a cluster; SLURM itself cannot be tested here)."""
    sweep = tmp_path / "sweep"
    args = ["-m", "hydra/launcher=submitit_local", "budget=1,2", *SMALL, "strategy=none"]
    proc = run_cli([*args, f"hydra.sweep.dir={sweep}"])
    assert proc.returncode == 0, proc.stderr
    combined = pd.read_parquet(sweep / outputs.SUMMARY)
    assert sorted(combined["job"].unique()) == [0, 1]


@pytest.mark.slow  # composes the README's slurm example (the launcher: test_configs)
def test_readme_slurm_example_composes(project_root) -> None:
    readme = (project_root / "README.md").read_text()
    line = next(ln for ln in readme.splitlines() if "hydra/launcher=slurm" in ln and "-m" in ln)
    args = line.split("experiments.run", 1)[1].replace("\\", "").split()
    args += readme.split(line, 1)[1].splitlines()[1].replace("\\", "").split()
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.run", *args, "--cfg", "job"],
        cwd=project_root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("# job ") == 3


@pytest.mark.slow  # composing 65 configs takes Hydra about 25 s
def test_multirun_checks_every_job_before_any_runs(tmp_path, run_cli) -> None:
    """A bad 65th job is refused before the first job runs (no folder is written)."""
    sweep = tmp_path / "sweep"
    budgets = ",".join([*(str(b) for b in range(64)), "-1"])
    args = ["-m", f"budget={budgets}", "n_seeds=1", "calendar.n_steps=2", "strategies=[none]"]
    proc = run_cli([*args, f"hydra.sweep.dir={sweep}"])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [
        "error: budget: must be a finite number >= 0 and <= 1000, got -1.0"
    ]
    assert not sweep.exists()


@pytest.mark.parametrize("key", ["hydra.run.dir", "hydra.sweep.dir"])
def test_an_empty_output_folder_is_refused(run_cli, small, key) -> None:
    before = sorted(p.name for p in ROOT.iterdir())
    proc = run_cli([*(["-m"] if "sweep" in key else []), *small, "strategy=none", f"{key}="])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [
        f"error: {key}: empty; give a folder (e.g. outputs/my_run) or leave it out"
    ]
    assert sorted(p.name for p in ROOT.iterdir()) == before  # nothing in the project root
