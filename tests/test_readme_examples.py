"""Every command of the README's code blocks runs from the project root, shrunk: tiny
``n_seeds`` and calendar (tiny designs for the analysis) in a temporary folder. Commands
that would rewrite the project's files (``install=true``, ``publish=true``, the
calibration and validation), reach another machine (a scheduler address, SLURM) or never
return (the dashboard) are composed only (``--cfg job``, ``--help``)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from experiments.workflow.paths import ROOT

TINY_RUN = {"n_seeds": "2", "calendar.n_steps": "3"}
TINY_ANALYSE = {
    "n_seeds": "2",
    "calendar.n_steps": "4",
    "designs.explore": "8",
    "designs.morris_trajectories": "2",
    "designs.sobol_n": "2",
    "sensitivity.n_boot": "10",
    "chunk_points": "16",
}
TINY_VOTES = {"n_seeds": "4"}
TINY_NESTED = ["n_samples=20", "n_seeds=4", "generations=1", "proposals=20", "smc_seeds=4",
               "final_max=5", "final_seeds=8", "check_seeds=8", "votes.set_seeds=4",
               "votes.max_sets=2", "votes.n_noise=3"]  # fmt: skip
ONLY_COMPOSED = ("install=true", "publish=true", "dask.address=", "dask=slurm", "launcher=slurm")


def readme_commands() -> list[tuple[str, list[str]]]:
    """(module, arguments) of every ``python -m experiments.<cmd>`` line of a code block."""
    text = (ROOT / "README.md").read_text()
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            m = re.match(r"\s*(?:\.venv/bin/)?python -m (experiments(?:\.\w+)+)(.*)", line)
            if m:
                args = shlex.split(m.group(2).split(" #")[0])
                found.append((m.group(1), args))
    return found


def _merge(args: list[str], tiny: dict[str, str]) -> list[str]:
    """``args`` with the values of ``tiny`` (a swept list keeps its first two values)."""
    kept = [a for a in args if a.split("=", 1)[0].lstrip("+") not in tiny]
    return [*kept, *(f"{k}={v}" for k, v in tiny.items())]


def shrunk(module: str, args: list[str], folder: Path) -> tuple[list[str], str]:
    """The arguments to run and what the run is checked for (``ran`` or ``composed``)."""
    multirun = "-m" in args
    if module == "experiments.calibration.votenested":  # tiny settings, its own publish_dir
        return [*args, *TINY_NESTED, f"publish_dir={folder}", f"hydra.run.dir={folder}"], "ran"
    if module in ("experiments.calibrate", "experiments.validate") or any(
        flag in a for a in args for flag in ONLY_COMPOSED
    ):
        return [*args, "--cfg", "job"] if "--cfg" not in args else args, "composed"
    if module == "experiments.app":
        return ["--help"], "composed"
    if "--cfg" in args or "--dry-run" in args:
        return args, "composed"
    if module == "experiments.analyse":
        args = [a for a in args if not a.startswith("hydra.run.dir=")]
        return [*_merge(args, TINY_ANALYSE), f"hydra.run.dir={folder}"], "ran"
    if module == "experiments.votes" and args[:1] == ["score"]:
        return ["score", f"forecast={folder}/forecast.json", f"votes={folder}/votes.csv"], "scored"
    if module == "experiments.votes":
        return [*_merge(args, TINY_VOTES), f"hydra.run.dir={folder}"], "ran"
    args = [a for a in args if not a.startswith("resume=")]  # a folder of the README's machine
    where = f"hydra.sweep.dir={folder}" if multirun else f"hydra.run.dir={folder}"
    return [*_merge(args, TINY_RUN), where], "ran"


COMMANDS = readme_commands()


def test_the_readme_has_commands() -> None:
    modules = {m for m, _ in COMMANDS}
    assert {"experiments.run", "experiments.analyse", "experiments.votes"} <= modules
    grid = [a for m, a in COMMANDS if "+sweep.model.peer_weight=[0.5,2.0]" in a]
    assert grid, "the model-parameter grid example"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "args"), COMMANDS, ids=[f"{m} {' '.join(a)}"[:80] for m, a in COMMANDS]
)
def test_a_readme_command_runs(module: str, args: list[str], tmp_path, run_cli) -> None:
    folder = tmp_path / "out"
    argv, what = shrunk(module, args, folder)
    if what == "scored":  # the README's placeholder: a tiny sealed forecast, then made-up votes
        tiny = ["date=2022-09-01", "kind=principle", "n_seeds=4", f"hydra.run.dir={folder}"]
        made = run_cli(tiny, module=module)
        assert made.returncode == 0, made.stderr[-3000:]
        members = pd.read_csv(folder / "votes.csv")["country"]
        pd.DataFrame({"country": members, "vote": "Y"}).to_csv(folder / "votes.csv", index=False)
    proc = run_cli(argv, module=module)
    assert proc.returncode == 0, (argv, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
    if what == "ran" and module == "experiments.run":
        assert (folder / "manifest.json").exists() or (folder / "multirun.json").exists()
    if "+sweep.model.peer_weight=[0.5,2.0]" in args:  # the grid draws its figures
        assert (folder / "adoption_curves.png").exists()
        assert (folder / "strategy_comparison.png").exists()


@pytest.mark.slow  # a process importing the analysis
def test_the_analysis_config_is_shown_with_cfg_job(run_cli) -> None:
    proc = run_cli(["publish=true", "--cfg", "job"], module="experiments.analyse")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "publish: true" in proc.stdout
