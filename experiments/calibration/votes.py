"""Predict the ten members' votes on a UN General Assembly resolution.

``python -m experiments.votes date=YYYY-MM-DD kind=principle|punitive n_seeds=N``

Simulates the ``historical`` strategy with the default configuration (``conf/``) up to the
vote date (the horizon is extended if the date lies beyond it), reads each state's stance
at the step nearest the date and applies the vote rule (:mod:`sim.votes`). Writes
``votes.csv`` (``country,p_yes,p_abstain,p_no``, one row per member) to Hydra's run
folder. With ``propagate_uncertainty=true`` the replicates are spread over the accepted
parameter sets of the calibration (``data/calibration/accepted.parquet``), each set with
its own model parameters and vote rule.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.calibration.facts import vote_attributes, vote_step
from experiments.workflow import atomic, cli, errors, store
from experiments.workflow.convert import as_plain, replicate, to_simulation_configs
from experiments.workflow.errors import ConfigError, sim_errors
from experiments.workflow.paths import CONF_DIR, resolve
from experiments.workflow.schema import VotesConf
from sim.config import SimulationConfig
from sim.engine import simulate
from sim.votes import VoteRule, vote_probabilities, vote_shares

log = logging.getLogger(__name__)

EARLIEST = dt.date(2022, 2, 24)
COLUMNS = ("country", "p_yes", "p_abstain", "p_no")


@dataclass(frozen=True)
class VoteRequest:
    """A validated vote prediction request."""

    config: SimulationConfig
    date: dt.date
    kind: str
    seeds: np.ndarray
    rule: VoteRule
    parameter_sets: tuple[Mapping[str, float], ...] = ()


def parse_date(text: object) -> dt.date:
    """The vote date; one-line error if malformed or before the invasion."""
    try:
        date = dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError("date", f"expected a date YYYY-MM-DD, got {text!r}") from None
    if date < EARLIEST:
        raise ConfigError("date", f"must be on or after {EARLIEST} (the invasion), got {date}")
    return date


def request_from_config(cfg: DictConfig | VotesConf) -> VoteRequest:
    """Validate a composed ``votes`` config and build the simulation it asks for."""
    c = as_plain(cfg)
    date = parse_date(c.date)
    if list(c.strategies) != ["historical"]:
        raise ConfigError("strategies", f"votes are predicted for [historical], got {c.strategies}")
    point = to_simulation_configs(c)[0]
    config = point.config
    step = vote_step(config.calendar, date)
    if step > config.calendar.n_steps:
        config = replace(config, calendar=replace(config.calendar, n_steps=step))
    with sim_errors("rule", sim_root="votes"):
        rule = VoteRule(**asdict(c.rule))
    sets: tuple[Mapping[str, float], ...] = ()
    if c.propagate_uncertainty:
        sets = tuple(store.load_accepted_sets(resolve(c.calibration_dir)))
    return VoteRequest(config, date, c.kind.value, replicate(c), rule, sets)


def predict(request: VoteRequest) -> pd.DataFrame:
    """Vote probabilities of every member: mean over runs (and parameter sets)."""
    config = request.config
    blocks: list[tuple[SimulationConfig, VoteRule, np.ndarray]] = []
    if request.parameter_sets:
        n_sets = len(request.parameter_sets)
        for k, point in enumerate(request.parameter_sets):
            seeds = request.seeds[k::n_sets]
            if len(seeds):
                params, rule = store.split_point(point, config.params, request.rule)
                blocks.append((replace(config, params=params), rule, seeds))
    else:
        blocks.append((config, request.rule, request.seeds))
    step = vote_step(config.calendar, request.date)
    probs = []
    for cfg, rule, seeds in blocks:
        traj = simulate(cfg, seeds)
        legalism, seat = vote_attributes(cfg, seeds)
        probs.append(vote_probabilities(traj.stance[:, step], request.kind, legalism, seat, rule))
    shares = vote_shares(np.concatenate(probs, axis=0))
    member = np.flatnonzero(config.countries.member)
    return pd.DataFrame(
        {
            "country": [config.countries.codes[i] for i in member],
            "p_yes": shares[member, 0],
            "p_abstain": shares[member, 1],
            "p_no": shares[member, 2],
        },
        columns=list(COLUMNS),
    )


def write_votes(table: pd.DataFrame, folder: Path) -> Path:
    """Write ``votes.csv`` atomically (temporary file, then rename)."""
    return atomic.atomic_write(
        folder / "votes.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.4f")
    )


@hydra.main(config_path=str(CONF_DIR), config_name="votes", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting(VotesConf):
        request = request_from_config(cfg)
        table = predict(request)
        path = write_votes(table, Path(HydraConfig.get().runtime.output_dir))
        log.info(
            "%s vote on %s (%d runs): %s", request.kind, request.date, len(request.seeds), path
        )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.votes date=.. kind=..``: checked, then run by Hydra."""
    cli.run_cli("votes", request_from_config, _task, VotesConf, argv)
