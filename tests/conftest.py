"""Shared fixtures: compose configs with Hydra's compose API, on tiny ensembles."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from experiments.workflow.paths import CONF_DIR, ROOT

_PARSED: dict[tuple[str, int, int], Any] = {}


@pytest.fixture(autouse=True, scope="session")
def _parse_each_config_file_once() -> Iterator[None]:
    """Hydra re-reads every YAML file of conf/ at each compose (about half of a compose's
    time, and the catalogues compose hundreds of times): in tests, each file (by path,
    size and modification time) is parsed once and a fresh copy of the parse is composed."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra.core.object_type import ObjectType  # noqa: F401  (hydra's own imports first)
    from hydra.plugins.config_source import ConfigResult, ConfigSource
    from omegaconf import OmegaConf
    from omegaconf._utils import get_yaml_loader

    original = FileConfigSource.load_config

    def load_config(self: FileConfigSource, config_path: str) -> ConfigResult:
        full = os.path.realpath(os.path.join(self.path, self._normalize_file_name(config_path)))
        try:
            stat = os.stat(full)
        except OSError:
            return original(self, config_path)
        key = (full, stat.st_size, stat.st_mtime_ns)
        if key not in _PARSED:
            with open(full, encoding="utf-8") as f:
                text = f.read()
            _PARSED[key] = (ConfigSource._get_header_dict(text[:512]),
                            yaml.load(text, Loader=get_yaml_loader()))  # fmt: skip
        header, obj = _PARSED[key]
        cfg = OmegaConf.create() if obj is None else OmegaConf.create(copy.deepcopy(obj))
        return ConfigResult(
            config=cfg, path=f"{self.scheme()}://{self.path}", provider=self.provider,
            header=dict(header),
        )  # fmt: skip

    FileConfigSource.load_config = load_config  # type: ignore[method-assign]
    yield
    FileConfigSource.load_config = original  # type: ignore[method-assign]


SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false")
"""Overrides that keep an ensemble tiny: a few seeds and weeks, no figures."""


@pytest.fixture
def compose_cfg() -> Callable[..., DictConfig]:
    """``compose_cfg(*overrides)``: the composed main config (not converted)."""

    def _compose(*overrides: str, hydra: bool = False) -> DictConfig:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return compose("config", overrides=list(overrides), return_hydra_config=hydra)

    return _compose


def _run_cli(
    args: Sequence[str], env: dict[str, str] | None = None, module: str = "experiments.run"
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "SIM_TRACEBACK")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli(args, env=None)``: an entry point in a subprocess (no TTY: no progress bar)."""
    return _run_cli


@pytest.fixture
def small() -> tuple[str, ...]:
    return SMALL


@pytest.fixture
def project_root() -> Path:
    return ROOT
