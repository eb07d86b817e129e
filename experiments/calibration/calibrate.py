"""``python -m experiments.calibrate [overrides]``: calibrate the model against 2022.

Settings come from ``conf/calibrate.yaml`` (schema ``CalibrateConf``) and are checked
before Hydra creates the run folder. The search (:mod:`experiments.calibration.search`)
writes its results into the run folder and, with ``publish=true``, ``data/calibration/``;
the vote step (:mod:`experiments.calibration.votestep`) then chooses the vote noise by
leave-one-resolution-out on the accepted sets and fits the final cut points
(``votes_loo.json``). With ``install=true`` the chosen point and that vote rule are written
into the store (:func:`experiments.calibration.results.install`). ``votes.only=true`` reruns
the vote step alone on ``publish_dir``'s accepted sets and the store's model parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments.calibration.facts import historical_config
from experiments.calibration.results import install, install_vote_rule, write_results
from experiments.calibration.search import SearchSettings, calibrate, check_settings
from experiments.calibration.votestep import VoteStepSettings, vote_step, write_record
from experiments.workflow import cli, errors, store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CONF_DIR, resolve
from experiments.workflow.schema import CalibrateConf

log = logging.getLogger(__name__)


def settings(cfg: DictConfig) -> CalibrateConf:
    """The composed settings as a plain ``CalibrateConf``, checked."""
    c: CalibrateConf = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    check_settings(SearchSettings.of(c), store.load_model_params())
    vote_settings(c).check()
    if c.votes.only and c.install and not c.publish:
        raise ConfigError("votes.only", "with install=true needs publish=true (the record)")
    return c


def vote_settings(c: CalibrateConf) -> VoteStepSettings:
    """The vote step's settings (``votes`` without ``only``)."""
    return VoteStepSettings(**{k: v for k, v in asdict(c.votes).items() if k != "only"})


def run_vote_step(c: CalibrateConf, output_dir: Path) -> dict[str, Any]:
    """``votes.only=true``: the vote step on ``publish_dir``'s accepted sets and the
    store's model parameters; record written (and the vote rule installed)."""
    folder = resolve(c.publish_dir)
    sets = store.load_accepted_sets(folder)
    record = vote_step(historical_config(), sets, vote_settings(c), c.seed)
    write_record(record, output_dir)
    if c.publish:
        write_record(record, folder)
    if c.install:
        install_vote_rule(record, folder, output_dir)
    return record


def run_calibration(c: CalibrateConf, output_dir: Path) -> dict[str, Any]:
    """Calibrate with settings ``c``; write the results (and install); return the summary."""
    if c.votes.only:
        return run_vote_step(c, output_dir)
    table, summary = calibrate(
        SearchSettings.of(c), replace(historical_config(), sample_priors=c.sample_priors)
    )
    record = _votes_after_search(c, table, summary)
    write_results(table, summary, output_dir)
    write_record(record, output_dir)
    if c.publish:
        write_results(table, summary, resolve(c.publish_dir))
        write_record(record, resolve(c.publish_dir))
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


def _votes_after_search(c: CalibrateConf, table: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The vote step on the search's accepted sets and chosen point; the vote rule to
    install goes into ``summary["installed"]["vote_rule"]``."""
    installed = summary.get("installed")
    config = historical_config()
    if installed:
        model = {k[6:]: v for k, v in installed["point"].items() if k.startswith("model.")}
        config = replace(config, params=replace(config.params, **model))
    accepted = table[table["accepted"]]
    keys = [k for k in accepted.columns if k.startswith(("model.", "votes."))]
    sets = [{k: float(row[k]) for k in keys} for row in accepted[keys].to_dict("records")]
    record = vote_step(config, sets, vote_settings(c), c.seed)
    if installed:
        installed["vote_rule"] = record["rule"]
    return record


@hydra.main(config_path=str(CONF_DIR), config_name="calibrate", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting(CalibrateConf):
        run_calibration(settings(cfg), Path(HydraConfig.get().runtime.output_dir))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.calibrate``: settings checked, then run by Hydra."""
    cli.run_cli("calibrate", settings, _task, CalibrateConf, argv)
