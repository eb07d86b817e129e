"""Dataclass schemas of every primary config, registered in Hydra's ConfigStore.

Each primary config names its schema first in its defaults list (``base_config``,
``votes_config``, ``calibrate_config``, ``validate_config``, ``analyse_config``), so an
unknown key or a value of the wrong type is rejected when the config is composed. Ranges
are not checked here: ``sim``'s dataclasses check them when
:mod:`experiments.workflow.convert` builds them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from sim import EFFORT, INSTITUTIONS, ModelParams
from sim.strategies import ELIGIBILITY
from sim.votes import FEATURES, KINDS, VoteRule

Engine = enum.Enum("Engine", {"compiled": "compiled", "mesa": "mesa"})
"""Which driver runs the ensemble: the compiled kernel or the Mesa model (bit-identical)."""

Institution = enum.Enum("Institution", {name: name for name in INSTITUTIONS})
"""Institutional backing of the sanctions from the start: none, g7, unga, unsc."""

Eligibility = enum.Enum("Eligibility", {name: name for name in ELIGIBILITY})
"""The strategies' shared eligibility rule: not_at_ask | not_heading."""

Effort = enum.Enum("Effort", {name: name for name in EFFORT})
"""How Japan's weekly budget is set: matched (held at the budget) | responsive."""

VoteKind = enum.Enum("VoteKind", {name: name for name in KINDS})
"""Kind of a UN General Assembly resolution: principle or punitive."""

Executor = enum.Enum("Executor", {"local": "local", "dask": "dask"})
"""Where a run's chunks are computed: threads of this process, or Dask tasks."""

DaskCluster = enum.Enum("DaskCluster", {"local": "local", "slurm": "slurm"})
"""The Dask cluster started when no ``dask.address`` is given."""

PlotFormat = enum.Enum("PlotFormat", {"png": "png", "svg": "svg"})
"""A file format of the run figures (each figure drawn once per format asked for)."""


def _fields_of(cls: type, name: str, doc: str, neutral: bool = False) -> type:
    """A schema with one float per field of ``cls``: the values live in the store
    (``conf/<group>/default.yaml``), never in the dataclass defaults. With ``neutral``, a
    field not yet stored (a new model parameter) takes its neutral default (mechanism
    off), so that it runs from the command line before a value is stored; otherwise every
    field is required."""
    return make_dataclass(
        name,
        [
            (f.name, float, field(default=float(f.default) if neutral else MISSING))
            for f in fields(cls)
        ],
        namespace={"__doc__": doc, "__module__": __name__},  # pickled by reference
    )


ModelConf = _fields_of(
    ModelParams, "ModelConf", "Every field of sim.params.ModelParams.", neutral=True
)
VoteRuleConf = _fields_of(VoteRule, "VoteRuleConf", "Every field of sim.votes.VoteRule.")
FeaturesConf = make_dataclass(
    "FeaturesConf",
    [(name, bool | None, field(default=None)) for name in FEATURES],
    namespace={
        "__doc__": "What a resolution asks (sim.votes.FEATURES); null: the kind's preset.",
        "__module__": __name__,
    },
)


@dataclass
class ScenarioConf:
    """Countries, their attributes with sources, and the intra-ASEAN network."""

    name: str = MISSING
    data_file: str = MISSING  # the facts file the scenario is derived from (checked to exist)
    simulated: list[str] | None = None  # countries a run simulates (None: all of the file)
    members: list[str] | None = None  # ASEAN members among them (None: all)
    countries: dict[str, Any] = MISSING  # code -> {name, attribute: {value, range, C, source}}
    default_tie: float = 0.0
    ties: list[Any] = field(default_factory=list)
    restrictions: dict[str, Any] = field(default_factory=dict)  # code -> {instruments, ...}


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
    material: float = 0.0  # share of the effect on the material track (sim.material)


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
    workers: int = 2
    chunk_size: int = 1000
    keep_trajectories: bool = True
    keep_steps: bool = True
    executor: Executor = Executor.local
    dask: DaskConf = field(default_factory=DaskConf)
    resume: str = "auto"  # auto | never | <run folder>
    budget: float = 4.0
    institution: Institution = Institution.none
    sample_priors: bool = False
    eligibility: Eligibility = Eligibility.not_at_ask
    effort: Effort = Effort.matched  # matched: the weekly budget held at `budget` | responsive
    feasibility: bool = True  # apply the scenario's feasibility restrictions
    accepted_sets: int = 0  # without a sweep: this many evenly spaced accepted sets (0: none)
    sweep: dict[str, Any] = field(default_factory=dict)  # path -> list (nested keys allowed)
    k_adoptions: int = 3
    countries: list[str] | None = None
    scenario_file: str | None = None
    plots: bool = True
    plot_formats: list[PlotFormat] = field(default_factory=lambda: [PlotFormat.png])
    scenario: ScenarioConf = MISSING
    model: ModelConf = MISSING  # type: ignore[valid-type]
    calendar: CalendarConf = MISSING
    instruments: dict[str, InstrumentConf] = MISSING


@dataclass
class VotesConf(ExperimentConf):
    """``conf/votes.yaml``: the experiment schema plus the vote to predict."""

    date: str = MISSING  # YYYY-MM-DD, from 2022-02-24 to 2 years after calendar.start
    kind: VoteKind = MISSING  # type: ignore[assignment]
    features: FeaturesConf = field(default_factory=FeaturesConf)  # type: ignore[valid-type]
    propagate_uncertainty: bool = False  # cycle over the accepted sets of votes_loo.json
    calibration_dir: str = "data/calibration"
    rule: VoteRuleConf = MISSING  # type: ignore[valid-type]  # group vote_rule@rule


@dataclass
class EdgeProbeConf:
    """``edge_probe`` of ``conf/validate.yaml``: the main job's outcomes with a parameter
    at an upper end of its range (and no recorded reason) past its bound."""

    factor: float = 1.5  # the probe sets the parameter to factor x its upper bound (> 1)
    budget: float = 0.3  # weekly budget units, as the main job (conf/config.yaml)
    sets: int = 10  # evenly spaced accepted calibration sets
    seeds: int = 40  # common seeds per set
    strategies: list[str] = field(
        default_factory=lambda: ["none", "uniform", "adaptive", "historical", "g7_coalition"]
    )


@dataclass
class ValidateConf:
    """``conf/validate.yaml``: the validation report against 2022."""

    n_seeds: int = MISSING
    seed: int = MISSING
    n_boot: int = MISSING
    report: str = MISSING  # relative to the project root
    figures_dir: str = MISSING
    # a point of the plausible range for the second reach table: not-identified parameters
    reach_plausible: dict[str, float] = field(default_factory=dict)
    # peer spillover: weekly visits to one member only, at a named point of the range
    spillover_target: str = "ID"
    spillover_budget: float = 4.0
    spillover_point: dict[str, float] = field(default_factory=dict)
    edge_probe: EdgeProbeConf = field(default_factory=EdgeProbeConf)


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


@dataclass
class DimensionConf:
    """One uncertain input: a ``real`` or ``integer`` range ``[lo, hi]``, or the
    ``values`` of a ``categorical`` one (see ``experiments.analysis.design.Dimension``)."""

    kind: str = "real"  # real | integer | categorical
    lo: float | None = None
    hi: float | None = None
    values: list[Any] | None = None


@dataclass
class UncertaintyConf:
    """``conf/uncertainty/<name>.yaml``: which inputs an analysis varies, over what range."""

    name: str = MISSING
    accepted_sets: bool = True  # dimension `accepted_set`: what the 2022 record identifies
    deep: bool = True  # what it does not identify varies over its whole documented range
    # name -> a DimensionConf mapping, checked when converted (plain dicts, so that
    # `+uncertainty.model.<name>={kind: real, lo: .., hi: ..}` works on the command line)
    model: dict[str, Any] = field(default_factory=dict)  # more parameters / ranges
    levers: dict[str, Any] = field(default_factory=dict)  # budget, optional_countries, ...
    fixed: dict[str, Any] = field(default_factory=dict)  # dimension -> value held fixed
    calibration_dir: str = "data/calibration"


@dataclass
class DesignsConf:
    """Sizes of the three designs of an analysis (0 leaves a design out)."""

    explore: int = 400  # Latin hypercube points: robustness and scenario discovery
    morris_trajectories: int = 20  # Morris screening: rows = trajectories x (D + 1)
    morris_levels: int = 4
    sobol_n: int = 64  # Sobol' base sample N (a power of two): rows N x (D + 2) or N x (2D + 2)
    sobol_second_order: bool = False
    effort: int = 0  # Latin hypercube points run at each budget of `decision.effort_multiples`
    mandate: int = 0  # Latin hypercube points with `decision.mandate` as the institution


@dataclass
class DecisionConf:
    """The decision read off the tables: headline outcomes, Japan's effort, pair verdicts."""

    headline: list[str] = field(default_factory=list)  # outcomes of the verdicts (first: lead)
    historical: str = "historical"  # strategy replaying Japan's dated 2022 outreach
    effort_multiples: list[float] = field(default_factory=lambda: [1.0, 4.0])  # x 2022 effort
    mandate: str = "unsc"  # institution of the what-if design `mandate`
    verdict_share: float = 0.95  # share of worlds a paired difference must exclude zero in
    min_separated: float = 0.1  # below this share of separated worlds: indistinguishable
    reach: float = 0.5  # a target counts as reached when met in at least this share of worlds


@dataclass
class OutcomeConf:
    """How an outcome column is read: better direction, satisficing target, label."""

    direction: str = ""  # higher | lower
    target: float | None = None
    label: str = ""
    unit: str = ""


@dataclass
class SensitivityConf:
    """Which outcomes the Morris and Sobol' analyses explain."""

    outcomes: list[str] = MISSING
    paired: bool = True  # also the paired difference strategy minus the reference
    n_boot: int = 1000


@dataclass
class CaseConf:
    """A case of interest for PRIM: ``outcome`` (or its difference against ``versus`` at
    the same point) at least / at most a threshold, for one strategy, ``each`` or ``all``."""

    label: str = ""  # default: the case's name
    outcome: str = "final_sanctioning"
    strategy: str = "all"  # all (pooled, strategy an input) | each | a strategy name
    versus: str | None = None
    at_least: float | None = None
    at_most: float | None = None


@dataclass
class DiscoveryConf:
    """PRIM settings and the cases of interest."""

    cases: dict[str, Any] = field(default_factory=dict)  # name -> a CaseConf mapping
    threshold: float = 0.8
    peel_alpha: float = 0.05
    mass_min: float = 0.05
    prune_alpha: float | None = 0.05  # lift restrictions with a larger quasi-p-value (null: keep)


@dataclass
class AnalyseConf:
    """``conf/analyse.yaml``: the decision analysis of ``python -m experiments.analyse``."""

    experiment: str = MISSING
    strategies: list[str] = MISSING
    strategy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: str = "none"
    n_seeds: int = MISSING
    seed: int = 20220224
    workers: int = 2
    chunk_points: int = 50
    k_adoptions: int = 3
    budget: float = 4.0
    institution: Institution = Institution.none
    sample_priors: bool = True
    eligibility: Eligibility = Eligibility.not_at_ask  # where the space does not vary it
    effort: Effort = Effort.responsive  # the weekly budget: responsive (pressure-raised) | matched
    feasibility: bool = True  # the scenario's feasibility restrictions (no outreach to the junta)
    dry_run: bool = False
    pilot_points: int = 4
    publish: bool = False
    report: str = "docs/analysis.md"
    figures_dir: str = "docs/figures"
    designs: DesignsConf = field(default_factory=DesignsConf)
    outcomes: dict[str, Any] = MISSING  # name -> an OutcomeConf mapping (checked when converted)
    sensitivity: SensitivityConf = MISSING
    discovery: DiscoveryConf = field(default_factory=DiscoveryConf)
    decision: DecisionConf = field(default_factory=DecisionConf)
    uncertainty: UncertaintyConf = MISSING
    scenario: ScenarioConf = MISSING
    model: ModelConf = MISSING  # type: ignore[valid-type]
    calendar: CalendarConf = MISSING
    instruments: dict[str, InstrumentConf] = MISSING


PRIMARY_SCHEMAS: dict[str, type] = {
    "config": ExperimentConf,
    "votes": VotesConf,
    "calibrate": CalibrateConf,
    "validate": ValidateConf,
    "analyse": AnalyseConf,
}
"""Primary config name (``conf/<name>.yaml``) -> its schema."""


def register_configs() -> None:
    """Register the schemas; each primary config names its schema first in its defaults."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=ExperimentConf)
    cs.store(name="votes_config", node=VotesConf)
    cs.store(name="calibrate_config", node=CalibrateConf)
    cs.store(name="validate_config", node=ValidateConf)
    cs.store(name="analyse_config", node=AnalyseConf)


register_configs()
