"""Supported Pythons: what pyproject.toml declares, what each Python installs, and the
Makefile's choice of interpreter (run on a copy of the Makefile in a temporary folder)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
MAKEFILE = (ROOT / "Makefile").read_text()
SUPPORTED = re.search(r"^SUPPORTED := (.+)$", MAKEFILE, re.M).group(1).split()


def test_the_makefile_tries_every_supported_python_newest_first() -> None:
    allowed = SpecifierSet(PROJECT["requires-python"])
    declared = [f"3.{m}" for m in range(8, 30) if f"3.{m}" in allowed]
    classifiers = [
        c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"] if c.count(".") == 1
    ]  # "Programming Language :: Python :: 3.13"
    assert declared == classifiers == sorted(SUPPORTED, key=lambda v: int(v[2:]))
    assert SUPPORTED == sorted(SUPPORTED, key=lambda v: -int(v[2:]))
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in SUPPORTED


def _pins(python: str) -> dict[str, str]:
    """The exact pin of each dependency (and extra) that applies on ``python``."""
    env = {"python_version": python, "python_full_version": f"{python}.0"}
    pins: dict[str, str] = {}
    extras = [r for reqs in PROJECT["optional-dependencies"].values() for r in reqs]
    for line in [*PROJECT["dependencies"], *extras]:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
            assert req.name not in pins or pins[req.name] == str(req.specifier), req.name
            pins[req.name] = str(req.specifier)
    return pins


@pytest.mark.parametrize("python", SUPPORTED)
def test_each_python_gets_one_pin_of_mesa_and_the_workbench(python: str) -> None:
    pins = _pins(python)
    old = python == "3.11"  # Mesa 3.4+ and the workbench 3 need Python >= 3.12
    assert pins["mesa"] == ("==3.3.1" if old else "==3.5.1")
    assert pins["ema-workbench"] == ("==2.5.3" if old else "==3.0.0")
    assert all(spec.startswith("==") for spec in pins.values()), pins


def _make(tmp_path: Path, path: str, python: str | None = None) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS")}
    env["PATH"] = path
    args = ["make", "--no-print-directory", "-C", str(tmp_path), "python"]
    args += [f"PYTHON={python}"] if python else []
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def _shim(folder: Path, name: str) -> None:
    """A pyenv shim of a version that is not installed: it exists but fails."""
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(
        f"#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n"
    )
    (folder / name).chmod(0o755)


def test_make_skips_a_python_that_does_not_run_and_says_which_it_uses(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _shim(bin_dir, "python3.14")
    (bin_dir / "python3.13").symlink_to(sys.executable)
    done = _make(tmp_path, f"{bin_dir}:{os.environ['PATH']}")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Python {version}: ")
    assert lines[0].endswith(f"(environment .venv-{version})")
    assert os.readlink(tmp_path / ".venv") == f".venv-{version}"


def test_make_says_what_to_install_when_no_python_runs(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    for version in SUPPORTED:
        _shim(bin_dir, f"python{version}")
    done = _make(tmp_path, f"{bin_dir}:{os.environ['PATH']}")
    assert done.returncode != 0
    assert done.stdout.splitlines() == [
        "error: no Python 3.11 to 3.14 found on PATH: install python3.13 "
        "(or pass PYTHON=/path/to/python3.x)"
    ]


def test_make_refuses_a_given_python_outside_the_range_or_not_running(tmp_path: Path) -> None:
    old = tmp_path / "bin" / "python3.10"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho '3.10 /usr/bin/python3.10'\n")  # answers as 3.10 would
    old.chmod(0o755)
    done = _make(tmp_path, os.environ["PATH"], python=str(old))
    assert done.returncode != 0
    assert "is Python 3.10; supported are 3.11 to 3.14" in done.stdout
    done = _make(tmp_path, os.environ["PATH"], python=str(tmp_path / "missing"))
    assert done.returncode != 0 and "does not run" in done.stdout
    assert not (tmp_path / ".venv").exists()
