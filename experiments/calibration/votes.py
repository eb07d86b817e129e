"""Predict the ten members' votes on a UN General Assembly resolution.

``python -m experiments.votes date=YYYY-MM-DD kind=principle|punitive n_seeds=N
[features.NAME=true|false ...]``: the kind is a preset of the resolution's features
(:data:`sim.votes.KIND_FEATURES`); ``features.*`` describe the text over it (names:
:data:`sim.votes.FEATURES`; an unknown name is a one-line error, exit 2).

Simulates the ``historical`` strategy with the default configuration (``conf/``) up to the
vote date (the horizon is extended if the date lies beyond it), reads each state's stance
at the step nearest the date and applies the vote rule (:mod:`sim.votes`): the store's
cut points and its noise, chosen by leave-one-resolution-out in the calibration
(:mod:`experiments.calibration.votestep`). Writes ``votes.csv``
(``country,p_yes,p_abstain,p_no``, one row per member) to Hydra's run folder. The date
must lie between the invasion (2022-02-24) and two years after the calendar start: the
model is not extrapolated further. With ``propagate_uncertainty=true`` the replicates are
spread over the accepted parameter sets of the calibration
(``data/calibration/accepted.parquet``), each set with its own model parameters and its own
cut points fitted at that noise (``votes_loo.json``), the country priors sampled as in
the leave-one-out that chose the noise; probabilities are the mean over every run. No
probability exceeds the confidence bound of the nested held-out record
(``votes_nested.json``, ``confidence_bound``): a member's row above it is mixed with the
uniform with the smallest weight that brings it to the bound.

Each run also writes a sealed ``forecast.json`` (model and baseline probabilities, config,
data hashes, code version under one SHA-256; :mod:`experiments.calibration.votesealed`):
keep it, and once the vote has happened score it with
``python -m experiments.votes score forecast=FILE votes=FILE`` (refused if edited).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments.calibration.facts import vote_attributes, vote_step
from experiments.calibration.votenestedreport import load_bound
from experiments.calibration.votesealed import freeze, score_main
from experiments.calibration.votestep import RECORD_FILE, load_record, set_rules
from experiments.workflow import atomic, cli, errors, store
from experiments.workflow.convert import as_plain, replicate, to_simulation_configs
from experiments.workflow.errors import ConfigError, sim_errors
from experiments.workflow.paths import CONF_DIR, resolve
from experiments.workflow.schema import VotesConf
from sim.config import SimulationConfig
from sim.engine import simulate
from sim.votes import (
    FEATURES,
    KIND_FEATURES,
    VoteRule,
    bounded_shares,
    resolution_features,
    vote_probabilities,
    vote_shares,
)

log = logging.getLogger(__name__)

EARLIEST = dt.date(2022, 2, 24)
HORIZON_YEARS = 2
"""Latest vote date: this many years after the calendar start."""
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
    features: Mapping[str, int] | None = None  # every feature; None: the kind's preset
    bound: float = 1.0  # largest probability on one vote (the nested record's; 1: none)

    def resolution(self) -> dict[str, int]:
        """The features of the resolution to predict (the kind's preset if none given)."""
        return dict(self.features) if self.features else resolution_features(self.kind)


def latest_date(start: dt.date) -> dt.date:
    """``HORIZON_YEARS`` after ``start`` (29 February falls back to the 28th)."""
    try:
        return start.replace(year=start.year + HORIZON_YEARS)
    except ValueError:
        return start.replace(year=start.year + HORIZON_YEARS, day=28)


def parse_date(text: object, start: dt.date = EARLIEST) -> dt.date:
    """The vote date; one-line error if malformed or outside [the invasion, ``start`` +
    ``HORIZON_YEARS`` years]."""
    try:
        date = dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError("date", f"expected a date YYYY-MM-DD, got {text!r}") from None
    latest = latest_date(start)
    if not EARLIEST <= date <= latest:
        raise ConfigError(
            "date",
            f"must be in [{EARLIEST}, {latest}] (from the invasion to {HORIZON_YEARS} years "
            f"after the calendar start {start}; no extrapolation), got {date}",
        )
    return date


def request_from_config(cfg: DictConfig | VotesConf) -> VoteRequest:
    """Validate a composed ``votes`` config and build the simulation it asks for."""
    c = as_plain(cfg)
    try:
        start = dt.date.fromisoformat(str(c.calendar.start))
    except ValueError:
        raise ConfigError(
            "calendar.start", f"expected YYYY-MM-DD, got {c.calendar.start!r}"
        ) from None
    date = parse_date(c.date, start)
    if date < start:
        raise ConfigError(
            "calendar.start",
            f"{start} is after the vote date {date}: the vote is read from the simulated weeks, "
            "so the calendar must start on or before it",
        )
    if list(c.strategies) != ["historical"]:
        raise ConfigError("strategies", f"votes are predicted for [historical], got {c.strategies}")
    point = to_simulation_configs(c)[0]
    config = point.config
    step = vote_step(config.calendar, date)
    if step > config.calendar.n_steps:
        config = replace(config, calendar=replace(config.calendar, n_steps=step))
    with sim_errors("rule", sim_root="votes"):
        rule = VoteRule(**asdict(c.rule))
    store.check_vote_cuts(rule, config.params, "rule")
    sets: tuple[Mapping[str, float], ...] = ()
    if c.propagate_uncertainty:
        sets, sample_priors = propagated_sets(resolve(c.calibration_dir), rule)
        config = replace(config, sample_priors=sample_priors)
    features = described_features(c.kind.value, asdict(c.features))
    bound = load_bound(resolve(c.calibration_dir))
    return VoteRequest(config, date, c.kind.value, replicate(c), rule, sets, features, bound)


def described_features(kind: str, overrides: Mapping[str, object]) -> dict[str, int]:
    """The kind's preset features with the user's ``features.*`` over them; one-line
    ``ConfigError`` naming an unknown feature."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(overrides) - set(FEATURES))
    if unknown:
        raise ConfigError(
            f"features.{unknown[0]}", f"unknown feature; allowed: {', '.join(FEATURES)}"
        )
    return resolution_features(
        {**KIND_FEATURES[kind], **{k: int(bool(v)) for k, v in overrides.items()}}
    )


def propagated_sets(folder: Path, rule: VoteRule) -> tuple[tuple[dict[str, float], ...], bool]:
    """The accepted sets of the vote record in ``folder``, each with its own cut points
    (``votes.*``) and the noise of ``rule``, and whether the record sampled the priors."""
    record = load_record(folder)
    if record is None:
        raise ConfigError(
            "propagate_uncertainty",
            f"{folder / RECORD_FILE} not found; run python -m experiments.calibrate",
        )
    sets = store.load_accepted_sets(folder)
    rules = set_rules(record, sets)
    if rule.noise != record["noise"]:
        log.warning(
            "rule.noise %g differs from the noise chosen by leave-one-out (%g) at which "
            "the accepted sets' cut points were fitted",
            rule.noise,
            record["noise"],
        )
    out = tuple(
        {
            **{k: v for k, v in sets[row].items() if k.startswith("model.")},
            **{f"votes.{k}": v for k, v in cuts.items()},
            "votes.noise": rule.noise,
        }
        for row, cuts in rules.items()
    )
    return out, bool(record["basis"]["sample_priors"])


def predict(request: VoteRequest) -> pd.DataFrame:
    """Vote probabilities of every member: mean over runs (and parameter sets), each
    member's row within ``request.bound`` (:func:`sim.votes.bounded_shares`)."""
    config = request.config
    blocks: list[tuple[SimulationConfig, VoteRule, np.ndarray]] = []
    if request.parameter_sets:
        n_sets = len(request.parameter_sets)
        for k, point in enumerate(request.parameter_sets):
            seeds = request.seeds[k::n_sets]
            if len(seeds):
                params, rule = store.split_point(point, config.params, request.rule)
                store.check_vote_cuts(rule, params, f"calibration_dir.accepted_sets[{k}].votes")
                blocks.append((replace(config, params=params), rule, seeds))
    else:
        blocks.append((config, request.rule, request.seeds))
    step = vote_step(config.calendar, request.date)
    probs = []
    for cfg, rule, seeds in blocks:
        traj = simulate(cfg, seeds)
        legalism, seat = vote_attributes(cfg, seeds)
        probs.append(
            vote_probabilities(traj.stance[:, step], request.resolution(), legalism, seat, rule)
        )
    shares = bounded_shares(vote_shares(np.concatenate(probs, axis=0)), request.bound)
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
        if not request.parameter_sets:
            log.warning(
                "propagate_uncertainty=false: one parameter point, no parameter uncertainty; "
                "most of its probabilities sit at the confidence bound %.4g of the nested "
                "held-out record (docs/validation.md, 'Confidence')",
                request.bound,
            )
        table = predict(request)
        folder = Path(HydraConfig.get().runtime.output_dir)
        path = write_votes(table, folder)
        plain = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
        sealed = freeze(
            table,
            str(request.date),
            request.kind,
            plain,  # type: ignore[arg-type]
            folder,
            features=request.resolution(),
            bound=request.bound,
        )
        log.info(
            "%s vote on %s (%d runs): %s; sealed forecast (keep it; score it later with "
            "python -m experiments.votes score forecast=%s votes=FILE): %s",
            request.kind,
            request.date,
            len(request.seeds),
            path,
            sealed,
            sealed,
        )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.votes date=.. kind=..``: checked, then run by Hydra;
    ``python -m experiments.votes score forecast=FILE votes=FILE`` scores a sealed forecast."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["score"]:
        score_main(args[1:])
        return
    cli.run_cli("votes", request_from_config, _task, VotesConf, argv)
