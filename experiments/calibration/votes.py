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
from dataclasses import dataclass, field, fields, make_dataclass, replace
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import MISSING, DictConfig

from experiments.calibration.patterns import vote_attributes, vote_step
from experiments.workflow import atomic, errors
from experiments.workflow.config import ExperimentConf, as_plain, to_simulation_configs
from experiments.workflow.paths import CONF_DIR, resolve
from sim.engine import simulate
from sim.params import SimulationConfig
from sim.rng import replicate_seeds
from sim.votes import KINDS, VoteRule, vote_probabilities, vote_shares

log = logging.getLogger(__name__)

EARLIEST = dt.date(2022, 2, 24)
COLUMNS = ("country", "p_yes", "p_abstain", "p_no")

VoteRuleConf = make_dataclass(
    "VoteRuleConf",
    [(f.name, float, field(default=float(f.default))) for f in fields(VoteRule)],
    namespace={"__doc__": "Cut points of sim.votes.VoteRule (ranges checked at conversion)."},
)


@dataclass
class VotesConf(ExperimentConf):
    """``conf/votes.yaml``: the experiment schema plus the vote to predict."""

    date: str = MISSING  # YYYY-MM-DD, on or after 2022-02-24
    kind: str = MISSING  # principle | punitive
    propagate_uncertainty: bool = False  # cycle over the calibration's accepted sets
    calibration_dir: str = "data/calibration"
    rule: VoteRuleConf = field(default_factory=VoteRuleConf)  # type: ignore[valid-type]


ConfigStore.instance().store(name="votes_config", node=VotesConf)


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
        raise ValueError(f"date: expected a date YYYY-MM-DD, got {text!r}") from None
    if date < EARLIEST:
        raise ValueError(f"date: must be on or after {EARLIEST} (the invasion), got {date}")
    return date


def request_from_config(cfg: DictConfig | VotesConf) -> VoteRequest:
    """Validate a composed ``votes`` config and build the simulation it asks for."""
    c = as_plain(cfg)
    date = parse_date(c.date)
    if c.kind not in KINDS:
        raise ValueError(f"kind: unknown {c.kind!r}; allowed: {', '.join(KINDS)}")
    if list(c.strategies) != ["historical"]:
        raise ValueError(f"strategies: votes are predicted for [historical], got {c.strategies}")
    point = to_simulation_configs(c)[0]
    config = point.config
    step = vote_step(config.calendar, date)
    if step > config.calendar.n_steps:
        config = replace(config, calendar=replace(config.calendar, n_steps=step))
    rule = VoteRule(**{f.name: getattr(c.rule, f.name) for f in fields(VoteRule)})
    sets: tuple[Mapping[str, float], ...] = ()
    if c.propagate_uncertainty:
        from experiments.calibration.calibrate import load_accepted

        sets = tuple(load_accepted(resolve(c.calibration_dir)))
    return VoteRequest(config, date, c.kind, replicate_seeds(c.seed, c.n_seeds), rule, sets)


def predict(request: VoteRequest) -> pd.DataFrame:
    """Vote probabilities of every member: mean over runs (and parameter sets)."""
    from experiments.calibration.calibrate import split_point

    config = request.config
    blocks: list[tuple[SimulationConfig, VoteRule, np.ndarray]] = []
    if request.parameter_sets:
        n_sets = len(request.parameter_sets)
        for k, point in enumerate(request.parameter_sets):
            seeds = request.seeds[k::n_sets]
            if len(seeds):
                params, rule = split_point(point, config.params, request.rule)
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


def precheck(argv: Sequence[str]) -> None:
    """Compose and validate the config before Hydra creates the run folder."""
    if any(a.startswith("-") for a in argv):
        return
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        request_from_config(compose("votes", overrides=list(argv)))


@hydra.main(config_path=str(CONF_DIR), config_name="votes", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting():
        request = request_from_config(cfg)
        table = predict(request)
        path = write_votes(table, Path(HydraConfig.get().runtime.output_dir))
        log.info(
            "%s vote on %s (%d runs): %s", request.kind, request.date, len(request.seeds), path
        )


def main(argv: Sequence[str] | None = None) -> None:
    errors.run_cli(precheck, _task, argv)
