"""Shared fixtures: compose configs with Hydra's compose API, on tiny ensembles."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from experiments.workflow.paths import CONF_DIR, ROOT


@pytest.fixture(autouse=True)
def _no_log_handler_on_a_closed_stream() -> Iterator[None]:
    """Hydra's job logging binds its console handler to the ``sys.stderr`` of the test that
    ran an app (a capture, closed after that test): such a handler is dropped, or a later
    test's log line would print a "Logging error" traceback into its captured stderr (an
    order dependence between test files on one xdist worker)."""
    yield
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in list(getattr(logger, "handlers", ())):
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and getattr(stream, "closed", False):
                logger.removeHandler(handler)


@pytest.fixture(scope="module")
def composed() -> DictConfig:
    """The main config as ``python -m experiments.run`` composes it without overrides
    (once per module: the bad-input catalogues set each row's values on a copy)."""
    from experiments.workflow import cli

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return cli._compose("config", [])[0]


SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")
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
