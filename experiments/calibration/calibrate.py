"""``python -m experiments.calibrate [overrides]``: calibrate the model against 2022.

Settings come from ``conf/calibrate.yaml`` (schema ``CalibrateConf``) and are checked
before Hydra creates the run folder. The search (:mod:`experiments.calibration.search`)
writes its results into the run folder and, with ``publish=true``, ``data/calibration/``;
with ``install=true`` the chosen point is written into the store
(:func:`experiments.calibration.results.install`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments.calibration.facts import historical_config
from experiments.calibration.results import install, write_results
from experiments.calibration.search import calibrate, check_settings
from experiments.workflow import cli, errors, store
from experiments.workflow.paths import CONF_DIR, resolve
from experiments.workflow.schema import CalibrateConf

log = logging.getLogger(__name__)

COUNTS = (
    "n_samples",
    "n_seeds",
    "population",
    "generations",
    "proposals",
    "smc_seeds",
    "final_max",
    "final_seeds",
    "check_seeds",
)
"""Settings that count points, seeds or generations (each >= 1)."""


def settings(cfg: DictConfig) -> CalibrateConf:
    """The composed settings as a plain ``CalibrateConf``, checked."""
    c: CalibrateConf = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    counts = {name: getattr(c, name) for name in COUNTS}
    check_settings(counts, c.quantile, c.model_params, c.start, store.load_model_params())
    return c


def run_calibration(c: CalibrateConf, output_dir: Path) -> dict[str, Any]:
    """Calibrate with settings ``c``; write the results (and install); return the summary."""
    table, summary = calibrate(
        **{name: getattr(c, name) for name in COUNTS},
        seed=c.seed,
        hm_cutoff=c.hm_cutoff,
        quantile=c.quantile,
        min_start=c.min_start,
        start_sd=c.start_sd,
        model_params=tuple(c.model_params),
        start=dict(c.start),
        config=replace(historical_config(), sample_priors=c.sample_priors),
    )
    write_results(table, summary, output_dir)
    if c.publish:
        write_results(table, summary, resolve(c.publish_dir))
    log.info(
        "accepted %d of %d final candidates (rate %.3f) in %.0f s",
        summary["n_accepted"],
        summary["final"]["n_candidates"],
        summary["final"]["acceptance_rate"],
        summary["elapsed_s"],
    )
    if c.install:
        install(summary, resolve(c.publish_dir) if c.publish else output_dir, output_dir)
    elif summary.get("installed"):
        log.info("not installed (install=false); calibration.json holds the chosen point")
    return summary


@hydra.main(config_path=str(CONF_DIR), config_name="calibrate", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting(CalibrateConf):
        run_calibration(settings(cfg), Path(HydraConfig.get().runtime.output_dir))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.calibrate``: settings checked, then run by Hydra."""
    cli.run_cli("calibrate", settings, _task, CalibrateConf, argv)
