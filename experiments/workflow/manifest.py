"""What a manifest records besides results: code state, packages, input files, time.

A run's ``manifest.json`` is written last, as the mark of a complete run (see
:mod:`experiments.workflow.run`); other Hydra apps get :func:`app_manifest` through
:func:`experiments.workflow.cli.run_cli`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from experiments.workflow.ledger import file_sha256
from experiments.workflow.paths import ROOT

MANIFEST = "manifest.json"
PACKAGES = (
    "asean-outreach-sim",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "networkx",
    "PyYAML",
    "numba",
    "llvmlite",
    "mesa",
    "hydra-core",
    "omegaconf",
    "matplotlib",
    "tqdm",
)
"""Always listed; every other installed distribution imported by the process is added."""


def package_versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Versions of :data:`PACKAGES`, ``extra`` and every distribution whose top-level
    module this process imported (``importlib.metadata.packages_distributions``)."""
    imported = {name.split(".")[0] for name in list(sys.modules)}
    by_module = metadata.packages_distributions()
    names = list(dict.fromkeys([*PACKAGES, *extra]))
    found = sorted(
        {dist for mod in imported & set(by_module) for dist in by_module[mod]}
        - {n.lower() for n in names},
        key=str.lower,
    )
    out = {}
    for name in [*names, *found]:
        if name.lower() in {k.lower() for k in out}:
            continue
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """Commit hash and dirty flag of the working tree (read-only git commands)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def file_record(path: Path) -> dict[str, str]:
    """``{"path", "sha256"}`` of an input file."""
    return {"path": str(path), "sha256": file_sha256(Path(path))}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def environment() -> dict[str, Any]:
    """Code state and packages: ``git``, ``packages``, ``python``."""
    return {
        "git": git_state(ROOT),
        "packages": package_versions(),
        "python": sys.version.split()[0],
    }


def app_manifest(
    app: str,
    config: Mapping[str, Any],
    overrides: Sequence[str],
    folder: Path,
    inputs: Mapping[str, Path],
    started: str,
    seconds: float,
) -> dict[str, Any]:
    """The manifest of a Hydra app other than ``run``: its resolved config, overrides,
    input files and the files it wrote (with SHA-256), code state, packages and timing."""
    written = sorted(
        p
        for p in Path(folder).iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST
    )
    return {
        "app": app,
        "overrides": list(overrides),
        "config": dict(config),
        "inputs": {k: file_record(p) for k, p in inputs.items() if Path(p).is_file()},
        "files": {p.name: file_sha256(p) for p in written if not p.name.endswith(".log")},
        **environment(),
        "started": started,
        "finished": now_iso(),
        "timings_s": {"total": round(seconds, 3)},
    }
