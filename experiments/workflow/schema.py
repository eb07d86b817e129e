"""Dataclass schemas of every primary config, registered in Hydra's ConfigStore.

Each primary config names its schema first in its defaults list (``base_config``,
``votes_config``, ``calibrate_config``, ``validate_config``), so an unknown key or a value
of the wrong type is rejected when the config is composed. Ranges are not checked here:
``sim``'s dataclasses check them when :mod:`experiments.workflow.convert` builds them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from sim import INSTITUTIONS, ModelParams
from sim.votes import KINDS, VoteRule

Engine = enum.Enum("Engine", {"compiled": "compiled", "mesa": "mesa"})
"""Which driver runs the ensemble: the compiled kernel or the Mesa model (bit-identical)."""

Institution = enum.Enum("Institution", {name: name for name in INSTITUTIONS})
"""Institutional backing of the sanctions from the start: none, g7, unga, unsc."""

VoteKind = enum.Enum("VoteKind", {name: name for name in KINDS})
"""Kind of a UN General Assembly resolution: principle or punitive."""

Executor = enum.Enum("Executor", {"local": "local", "dask": "dask"})
"""Where a run's chunks are computed: threads of this process, or Dask tasks."""

DaskCluster = enum.Enum("DaskCluster", {"local": "local", "slurm": "slurm"})
"""The Dask cluster started when no ``dask.address`` is given."""


def _fields_of(cls: type, name: str, doc: str) -> type:
    """A schema with one required float per field of ``cls``: the values live in the store
    (``conf/<group>/default.yaml``), never in the dataclass defaults."""
    return make_dataclass(
        name,
        [(f.name, float, field(default=MISSING)) for f in fields(cls)],
        namespace={"__doc__": doc, "__module__": __name__},  # pickled by reference
    )


ModelConf = _fields_of(ModelParams, "ModelConf", "Every field of sim.params.ModelParams.")
VoteRuleConf = _fields_of(VoteRule, "VoteRuleConf", "Every field of sim.votes.VoteRule.")


@dataclass
class ScenarioConf:
    """Countries, their attributes with sources, and the intra-ASEAN network."""

    name: str = MISSING
    data_file: str = MISSING  # the facts file the scenario is derived from (checked to exist)
    include_timor_leste: bool = False
    timor_leste_member: bool = True
    countries: dict[str, Any] = MISSING  # code -> {name, attribute: {value, range, C, source}}
    default_tie: float = 0.0
    ties: list[Any] = field(default_factory=list)


@dataclass
class EventConf:
    """A dated event of the calendar (see ``sim.Event``)."""

    date: str = MISSING  # YYYY-MM-DD
    kind: str = MISSING  # japan_visit | asean_meeting | un_vote | institution
    country: str | None = None
    instrument: str | None = None
    amount: float = 1.0
    name: str | None = None
    note: str = ""


@dataclass
class CalendarConf:
    """Weekly steps from ``start`` and the dated events."""

    start: str = "2022-02-24"
    n_steps: int = 53
    events: list[EventConf] = field(default_factory=list)
    un_votes: dict[str, str] = field(default_factory=dict)  # resolution name -> kind


@dataclass
class InstrumentConf:
    """One of Japan's instruments (see ``sim.Instrument``); the key is its name."""

    cost: float = MISSING
    effect: float = MISSING
    visibility: float = MISSING
    target: str = "country"
    leverage: str | None = None
    requires: str | None = None


@dataclass
class DaskConf:
    """``conf/dask/*.yaml``: the Dask cluster of ``executor=dask``."""

    address: str | None = None  # tcp://host:8786: an existing scheduler (no cluster started)
    cluster: DaskCluster = DaskCluster.local
    n_workers: int = 2  # LocalCluster worker processes
    threads_per_worker: int = 1
    dashboard: bool = False  # LocalCluster dashboard on :8787
    jobs: int = 1  # SLURM jobs to start (cluster=slurm)
    jobqueue: dict[str, Any] = field(default_factory=dict)  # dask_jobqueue.SLURMCluster(**)


@dataclass
class ExperimentConf:
    """``conf/config.yaml``: the top-level config of ``python -m experiments.run``."""

    experiment: str = MISSING
    strategies: list[str] = MISSING
    strategy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_seeds: int = 200
    seed: int = 20220224
    engine: Engine = Engine.compiled
    workers: int = 1
    chunk_size: int = 1000
    keep_trajectories: bool = True
    keep_steps: bool = True
    executor: Executor = Executor.local
    dask: DaskConf = field(default_factory=DaskConf)
    resume: str = "auto"  # auto | never | <run folder>
    budget: float = 4.0
    institution: Institution = Institution.none
    sample_priors: bool = False
    sweep: dict[str, Any] = field(default_factory=dict)  # path -> list (nested keys allowed)
    k_adoptions: int = 3
    countries: list[str] | None = None
    scenario_file: str | None = None
    plots: bool = True
    scenario: ScenarioConf = MISSING
    model: ModelConf = MISSING  # type: ignore[valid-type]
    calendar: CalendarConf = MISSING
    instruments: dict[str, InstrumentConf] = MISSING


@dataclass
class VotesConf(ExperimentConf):
    """``conf/votes.yaml``: the experiment schema plus the vote to predict."""

    date: str = MISSING  # YYYY-MM-DD, from 2022-02-24 to 2 years after calendar.start
    kind: VoteKind = MISSING  # type: ignore[assignment]
    propagate_uncertainty: bool = False  # cycle over the accepted sets of votes_loo.json
    calibration_dir: str = "data/calibration"
    rule: VoteRuleConf = MISSING  # type: ignore[valid-type]  # group vote_rule@rule


@dataclass
class ValidateConf:
    """``conf/validate.yaml``: the validation report against 2022."""

    n_seeds: int = MISSING
    seed: int = MISSING
    n_boot: int = MISSING
    report: str = MISSING  # relative to the project root
    figures_dir: str = MISSING


@dataclass
class VoteStepConf:
    """``votes`` in ``conf/calibrate.yaml``: the vote noise by leave-one-resolution-out."""

    only: bool = MISSING  # skip the search: rerun the vote step on the existing calibration
    seeds: int = MISSING
    set_seeds: int = MISSING
    max_sets: int = MISSING
    sample_priors: bool = MISSING
    noise_low: float = MISSING
    noise_high: float = MISSING
    n_noise: int = MISSING


@dataclass
class CalibrateConf:
    """``conf/calibrate.yaml``: history matching, ABC population Monte Carlo, acceptance."""

    sample_priors: bool = MISSING
    seed: int = MISSING
    n_samples: int = MISSING
    n_seeds: int = MISSING
    hm_cutoff: float = MISSING
    population: int = MISSING
    generations: int = MISSING
    proposals: int = MISSING
    smc_seeds: int = MISSING
    quantile: float = MISSING
    min_start: int = MISSING
    start_sd: float = MISSING
    final_max: int = MISSING
    final_seeds: int = MISSING
    check_seeds: int = MISSING
    model_params: list[str] = MISSING
    start: dict[str, float] = MISSING
    publish: bool = MISSING
    publish_dir: str = MISSING
    install: bool = MISSING
    votes: VoteStepConf = MISSING


PRIMARY_SCHEMAS: dict[str, type] = {
    "config": ExperimentConf,
    "votes": VotesConf,
    "calibrate": CalibrateConf,
    "validate": ValidateConf,
}
"""Primary config name (``conf/<name>.yaml``) -> its schema."""


def register_configs() -> None:
    """Register the schemas; each primary config names its schema first in its defaults."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=ExperimentConf)
    cs.store(name="votes_config", node=VotesConf)
    cs.store(name="calibrate_config", node=CalibrateConf)
    cs.store(name="validate_config", node=ValidateConf)


register_configs()
