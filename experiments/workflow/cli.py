"""Entry points of the Hydra apps: every job is checked before Hydra creates a folder.

A command line may launch several jobs (``-m budget=1,2``); :func:`expand_jobs` lists
them with Hydra's own sweep expansion (``BasicSweeper.split_arguments``), and
:func:`run_cli` composes and converts each before handing the same arguments to Hydra, so
bad input is reported in one line and leaves no output folder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

from experiments.workflow.errors import reporting
from experiments.workflow.paths import CONF_DIR

MAX_PRECHECKED_JOBS = 64
"""Jobs checked before launching (a larger sweep's later jobs are checked when they run)."""


def expand_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """The override lists of the jobs a (multi)run launches, as Hydra's sweeper expands them."""
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    batches = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    return [job for batch in batches for job in batch][:MAX_PRECHECKED_JOBS]


def precheck(config_name: str, convert: Callable[[DictConfig], Any], argv: Sequence[str]) -> None:
    """Compose and ``convert`` every job's config; raise the first bad-input error.

    Command lines with Hydra flags other than ``-m`` (``--cfg``, ``--help`` ...) are left
    to Hydra."""
    overrides = [a for a in argv if a not in ("-m", "--multirun")]
    if any(a.startswith("-") for a in overrides):
        return
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for job in expand_jobs(overrides):
            convert(compose(config_name, overrides=job))


def run_cli(
    config_name: str,
    convert: Callable[[DictConfig], Any],
    task: Callable[[], None],
    schema: type,
    argv: Sequence[str] | None = None,
) -> None:
    """Check every job (one-line report, exit 2, on bad input), then run the Hydra app
    ``task`` on the same arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    with reporting(schema):
        precheck(config_name, convert, args)
    sys.argv = [sys.argv[0], *args]
    task()
