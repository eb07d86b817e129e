"""Parameters of the mechanisms, Japan's instruments, the calendar and the run config.

Every field carries metadata (meaning, unit or range, source, mechanism) from which
``docs/ODD.md`` is generated, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import namedtuple
from dataclasses import astuple, dataclass, field, fields
from typing import Any

from sim.countries import CountryTable
from sim.ladder import Ladder
from sim.strategies import get_strategy, make_options


def param(default: float, lo: float, hi: float, doc: str, source: str, mechanism: str) -> Any:
    """A documented model parameter with its plausible range."""
    return field(
        default=default,
        metadata={"doc": doc, "range": (lo, hi), "source": source, "mechanism": mechanism},
    )


INSTITUTIONS: dict[str, float] = {"none": 0.0, "g7": 0.25, "unga": 0.5, "unsc": 1.0}
"""Institutional backing of the sanctions and its strength (Martin 1993; Drezner 2000):
none, G7 coordination only, a UN General Assembly resolution, a UN Security Council mandate."""


@dataclass(frozen=True)
class ModelParams:
    """Weights and switches of every mechanism. Setting a weight to 0 switches it off."""

    # --- dynamics -----------------------------------------------------------------------
    adjustment_speed: float = param(
        0.9181,
        0.2,
        0.95,
        "share of the gap to the target stance closed each week",
        "calibrated (Singapore sanctioned within 2 weeks)",
        "stance dynamics",
    )
    shock_sd: float = param(
        0.03413,
        0.0,
        0.4,
        "s.d. of the weekly stance shock (rungs)",
        "calibrated",
        "stance dynamics",
    )
    initial_stance: float = param(
        1.5,
        1.0,
        2.0,
        "stance of every country on 2022-02-24 (rungs; 1.5 = mid neutral)",
        "all members neutral before the invasion (data file, positions)",
        "initialisation",
    )
    initial_spread: float = param(
        0.1,
        0.0,
        0.5,
        "half-width of the uniform spread of the initial stance (rungs)",
        "assumption",
        "initialisation",
    )
    status_quo_weight: float = param(
        0.2789,
        0.1,
        5.0,
        "weight of the pull back to the pre-war neutral position",
        "normalising constant of the attractor",
        "inertia",
    )
    hysteresis: float = param(
        0.01382,
        0.0,
        0.5,
        "stance margin beyond a rung boundary before the level changes (rungs)",
        "assumption: statements are sticky",
        "hysteresis",
    )
    # --- 1 exposure costs ---------------------------------------------------------------
    exposure_trade: float = param(
        0.7853,
        0.0,
        3.0,
        "pull to 'oppose' per percentage point of trade with Russia",
        "Early 2015; data: trade_2021",
        "1 exposure costs",
    )
    exposure_arms: float = param(
        4.989,
        0.0,
        10.0,
        "pull to 'oppose' per unit share of arms imports from Russia",
        "Early 2009, 2012; SIPRI via data: arms",
        "1 exposure costs",
    )
    exposure_energy: float = param(
        2.0,
        0.0,
        6.0,
        "pull to 'oppose' per unit of energy/fertiliser/nuclear dependence",
        "data: energy_and_other_ties",
        "1 exposure costs",
    )
    exposure_party: float = param(
        9.125,
        0.0,
        10.0,
        "pull to 'oppose' per unit of party/ideological affinity",
        "data: VN, LA socialist ties; MM junta endorsement",
        "1 exposure costs",
    )
    # --- 2 coalition-size returns -------------------------------------------------------
    coalition_base: float = param(
        0.58,
        0.3,
        0.8,
        "share of a global coalition already sanctioning (G7/EU and partners)",
        "Chowdhry et al. (Economic Policy): real coalition ~58% of a global one",
        "2 coalition returns",
    )
    coalition_regional_weight: float = param(
        0.3,
        0.0,
        1.0,
        "how much regional adopters add to the coalition share",
        "assumption",
        "2 coalition returns",
    )
    coalition_return: float = param(
        0.5,
        0.0,
        1.0,
        "fall in the sanction threshold per unit coalition share",
        "Chowdhry et al.: coalition cuts members' welfare loss",
        "2 coalition returns",
    )
    # --- 3 thresholds -------------------------------------------------------------------
    threshold_mean: float = param(
        0.01635,
        0.0,
        1.0,
        "mean extra stance needed to cross into 'sanction' (rungs)",
        "Granovetter 1978; calibrated",
        "3 thresholds",
    )
    threshold_spread: float = param(
        0.06903,
        0.0,
        0.6,
        "half-width of the uniform spread of sanction thresholds (rungs)",
        "Granovetter 1978: knife-edge sensitivity to spread",
        "3 thresholds",
    )
    # --- 4 peer influence ---------------------------------------------------------------
    peer_weight: float = param(
        0.5811,
        0.0,
        4.0,
        "pull toward the tie-weighted mean level of ASEAN neighbours",
        "Centola & Macy 2007",
        "4 peer influence",
    )
    peer_reinforcement: float = param(
        2.0,
        1.0,
        4.0,
        "tie weight of neighbours above own level needed for full peer pull",
        "Centola 2010: costly acts need reinforcement",
        "4 peer influence",
    )
    # --- 5 issue linkage ----------------------------------------------------------------
    outreach_weight: float = param(
        0.2473,
        0.0,
        6.0,
        "maximum pull of Japan's outreach toward 'sanction'",
        "Martin 1992",
        "5 issue linkage",
    )
    outreach_saturation: float = param(
        5.877,
        0.1,
        10.0,
        "outreach stock at which half the maximum pull is reached",
        "assumption: diminishing returns",
        "5 issue linkage",
    )
    outreach_decay: float = param(
        0.1708,
        0.0,
        0.5,
        "weekly decay of the outreach stock without institutions",
        "Drezner 2000",
        "5 issue linkage / 7 backsliding",
    )
    # --- 6 credibility and institutions -------------------------------------------------
    credibility_g7: float = param(
        0.5,
        0.0,
        2.0,
        "credibility gain per unit of G7 coordination stock",
        "Martin 1993",
        "6 credibility",
    )
    credibility_institution: float = param(
        1.0,
        0.0,
        3.0,
        "credibility gain from full institutional backing (UNSC mandate)",
        "Martin 1993; Bapat & Morgan 2009",
        "6 credibility",
    )
    mandate_relief: float = param(
        1.0,
        0.0,
        1.0,
        "share of the UN-legalism barrier removed by full backing",
        "article: 'no UN Security Council resolution'; MY, ID positions",
        "6 institutions",
    )
    legalism_barrier: float = param(
        0.106,
        0.0,
        3.0,
        "extra sanction threshold for a fully UN-legalist state (rungs)",
        "data: positions MY, ID, SG",
        "6 institutions",
    )
    mandate_compliance: float = param(
        8.0,
        0.0,
        20.0,
        "pull to 'sanction' per unit of UN legalism under a binding UNSC "
        "mandate (institution 'unsc'); not identified by 2022 data (no mandate existed)",
        "UN Charter arts. 25, 41; positions MY, ID; members implement UNSC sanctions on the DPRK",
        "6 institutions",
    )
    # --- 7 backsliding ------------------------------------------------------------------
    backslide_hazard: float = param(
        0.02,
        0.0,
        0.2,
        "weekly probability that a state at 'principle' or above slips",
        "Drezner 2000",
        "7 backsliding",
    )
    backslide_drop: float = param(
        0.5, 0.0, 1.5, "stance lost when a state slips (rungs)", "assumption", "7 backsliding"
    )
    institution_damping: float = param(
        0.8,
        0.0,
        1.0,
        "share of decay and backsliding removed by full institutional backing",
        "Drezner 2000",
        "7 backsliding",
    )
    # --- 8 busting and leakage ----------------------------------------------------------
    busting_rent: float = param(
        0.008479,
        0.0,
        5.0,
        "pull to 'oppose' per unit of hub role times coalition share (rent foregone by joining)",
        "Early 2015",
        "8 busting",
    )
    diversion: float = param(
        1.5,
        0.0,
        5.0,
        "extra trade rerouted through a non-adopting hub per unit coalition",
        "Early & Spice 2015; 2022 'Eurasian carousel'",
        "8 leakage",
    )
    secondary_risk: float = param(
        0.3,
        0.0,
        1.0,
        "credibility of US secondary sanctions (probability-like)",
        "data: PH Mi-17 cancellation",
        "8 busting / 11 counter-forces",
    )
    secondary_weight: float = param(
        2.0,
        0.0,
        6.0,
        "pull to 'sanction' per unit of exposure to secondary sanctions",
        "data: PH Mi-17 cancellation",
        "11 counter-forces",
    )
    # --- 9 hedging ----------------------------------------------------------------------
    hedge_weight: float = param(
        0.5278,
        0.0,
        4.0,
        "pull toward the hedging point for a state with no security partner",
        "Kuik 2008, 2016",
        "9 hedging",
    )
    hedge_point: float = param(
        2.0, 1.0, 3.0, "stance that hedging pulls toward (rungs)", "Kuik 2016", "9 hedging"
    )
    # --- 10 ASEAN consensus and reactance -----------------------------------------------
    asean_weight: float = param(
        1.056,
        0.0,
        3.0,
        "pull of members toward the ASEAN collective (lowest common) level",
        "ASEAN Charter practice",
        "10 ASEAN consensus",
    )
    reactance_weight: float = param(
        1.549,
        0.0,
        5.0,
        "pull to neutrality per unit of visible pressure above tolerance",
        "article: 'we can't force them'",
        "10 reactance",
    )
    reactance_tolerance: float = param(
        3.086,
        0.0,
        5.0,
        "visible outreach per week a fully democratic state tolerates",
        "assumption",
        "10 reactance",
    )
    reactance_anchor: float = param(
        1.5,
        0.0,
        2.5,
        "stance that reactance pulls toward (rungs; 1.5 = mid neutral)",
        "non-alignment as the default answer",
        "10 reactance",
    )
    # --- 11 counter-pressure ------------------------------------------------------------
    russia_counter: float = param(
        1.5,
        0.0,
        6.0,
        "Russia's pull to 'oppose' per unit of mean arms/energy/party ties",
        "Early (black knights)",
        "11 counter-forces",
    )
    russia_response: float = param(
        0.5,
        0.0,
        2.0,
        "rise of Russian counter-pressure per rung above neutral",
        "Drezner (conflict expectations)",
        "11 counter-forces",
    )
    china_pull: float = param(
        3.721,
        0.0,
        10.0,
        "pull toward neutrality per unit share of trade with China",
        "data: China first or second partner of every member",
        "11 counter-forces",
    )
    west_weight: float = param(
        0.6788,
        0.0,
        12.0,
        "US/EU pull toward 'sanction' per unit share of trade with the West",
        "data: trade_2021_approx",
        "11 counter-forces",
    )
    # --- 12 domestic legitimacy ---------------------------------------------------------
    public_weight: float = param(
        0.7264,
        0.0,
        6.0,
        "pull toward the public's preferred rung (x salience x democracy)",
        "Schneider, Finke & Bailer 2010; Ipsos 2023",
        "12 legitimacy",
    )
    norm_strength: float = param(
        13.92,
        0.0,
        30.0,
        "pull toward 'sanction' per unit of small-state norm weight",
        "data: SG rationale; range widened from an arbitrary [0, 10] in calibration (Singapore's "
        "early sanctions need the norm to outweigh the other pulls)",
        "12 legitimacy / norms",
    )
    # --- Japan --------------------------------------------------------------------------
    japan_pressure_initial: float = param(
        0.3,
        0.0,
        1.0,
        "ruling-party pressure on the government at the start (0-1)",
        "article: LDP urging; data: japan_domestic",
        "Japan domestic pressure",
    )
    japan_pressure_gain: float = param(
        0.05,
        0.0,
        0.3,
        "weekly rise in pressure while no state moves to 'condemn' or above",
        "article: 'no major moves' and strong pressure",
        "Japan domestic pressure",
    )
    japan_pressure_relief: float = param(
        0.2,
        0.0,
        1.0,
        "fall in pressure per state newly at 'condemn' or above",
        "assumption",
        "Japan domestic pressure",
    )
    japan_budget_gain: float = param(
        0.5,
        0.0,
        2.0,
        "extra budget share at full domestic pressure ('how much')",
        "article",
        "Japan domestic pressure",
    )
    japan_visibility_gain: float = param(
        1.0,
        0.0,
        3.0,
        "extra visibility of outreach at full domestic pressure ('how visibly')",
        "article",
        "Japan domestic pressure",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise ValueError(f"model.{f.name}: must be a number in [{lo}, {hi}], got {v!r}")
            object.__setattr__(self, f.name, float(v))

    def values(self) -> tuple:
        """The parameters as a plain named tuple (what the compiled kernel takes)."""
        return ModelParamsValues(*(float(v) for v in astuple(self)))


ModelParamsValues = namedtuple("ModelParamsValues", [f.name for f in fields(ModelParams)])
"""Plain tuple of :class:`ModelParams` (same field names), for the compiled kernel."""


@dataclass(frozen=True)
class Instrument:
    """One of Japan's diplomatic instruments.

    ``target``: ``country`` (spent on one state), ``asean`` (the multilateral channel,
    shared by all members) or ``global`` (G7 coordination, raising credibility).
    ``leverage``: the country attribute that scales its effect (issue linkage), if any.
    ``requires``: an attribute that must be at least 0.5 for the instrument to be usable.
    """

    name: str
    cost: float
    effect: float
    visibility: float
    target: str = "country"
    leverage: str | None = None
    requires: str | None = None

    def __post_init__(self) -> None:
        if self.cost <= 0:
            raise ValueError(f"instruments.{self.name}.cost: must be > 0, got {self.cost}")
        if self.effect < 0 or self.visibility < 0:
            raise ValueError(f"instruments.{self.name}: effect and visibility must be >= 0")
        if self.target not in ("country", "asean", "global"):
            raise ValueError(
                f"instruments.{self.name}.target: must be one of country, asean, global; "
                f"got {self.target!r}"
            )


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("visit", cost=1.0, effect=1.0, visibility=1.0),
    Instrument(
        "two_plus_two",
        cost=1.5,
        effect=2.0,
        visibility=0.7,
        leverage="security_partner",
        requires="security_partner",
    ),
    Instrument("aid", cost=2.0, effect=3.0, visibility=0.4, leverage="aid_leverage"),
    Instrument("g7_coordination", cost=1.0, effect=1.0, visibility=0.2, target="global"),
    Instrument("asean_channel", cost=1.0, effect=0.6, visibility=0.1, target="asean"),
)


@dataclass(frozen=True)
class Event:
    """A dated event: ``japan_visit`` (with ``country``, ``instrument``, ``amount``),
    ``asean_meeting``, ``un_vote`` (with ``name`` and ``kind``) or ``institution``
    (``name`` is the new backing: none, g7, unga, unsc)."""

    date: dt.date
    kind: str
    country: str | None = None
    instrument: str | None = None
    amount: float = 1.0
    name: str | None = None

    KINDS = ("japan_visit", "asean_meeting", "un_vote", "institution")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(
                f"events.kind: unknown {self.kind!r}; allowed: {', '.join(self.KINDS)}"
            )
        if self.kind == "institution" and self.name not in INSTITUTIONS:
            raise ValueError(
                f"events.name: unknown institution {self.name!r}; "
                f"allowed: {', '.join(INSTITUTIONS)}"
            )
        if self.amount < 0:
            raise ValueError(f"events.amount: must be >= 0, got {self.amount}")


@dataclass(frozen=True)
class Calendar:
    """Weekly steps from ``start``; step ``t`` is the state on ``start + 7 t`` days."""

    start: dt.date = dt.date(2022, 2, 24)
    n_steps: int = 53
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        if self.n_steps < 1:
            raise ValueError(f"calendar.n_steps: must be >= 1, got {self.n_steps}")

    def date(self, step: int) -> dt.date:
        return self.start + dt.timedelta(weeks=step)

    def step_of(self, date: dt.date) -> int:
        """The step whose week ``[date(t), date(t+1))`` contains ``date`` (may be < 0)."""
        return (date - self.start).days // 7

    def events_at(self, step: int, kind: str | None = None) -> tuple[Event, ...]:
        """Events in week ``step``, i.e. dated in ``[date(step), date(step + 1))``: they
        act on the transition from step ``step`` to ``step + 1``."""
        return tuple(
            e
            for e in self.events
            if self.step_of(e.date) == step and (kind is None or e.kind == kind)
        )


@dataclass(frozen=True)
class SimulationConfig:
    """Everything one simulated experiment point needs, as plain values."""

    countries: CountryTable
    params: ModelParams = field(default_factory=ModelParams)
    instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS
    calendar: Calendar = field(default_factory=Calendar)
    ladder: Ladder = field(default_factory=Ladder)
    strategy: str = "none"
    strategy_options: Any = None  # the strategy's options dataclass (None: its defaults)
    budget: float = 4.0
    institution: str = "none"
    sample_priors: bool = False

    def __post_init__(self) -> None:
        get_strategy(self.strategy)
        options = self.strategy_options
        if options is None or isinstance(options, dict | tuple):
            given = dict(options or ())
            object.__setattr__(self, "strategy_options", make_options(self.strategy, given))
        elif not isinstance(options, get_strategy(self.strategy).options):
            raise ValueError(
                f"strategy_options: expected {get_strategy(self.strategy).options.__name__} "
                f"for {self.strategy!r}, got {type(options).__name__}"
            )
        if (
            isinstance(self.budget, bool)
            or not isinstance(self.budget, int | float)
            or not math.isfinite(self.budget)
            or self.budget < 0
        ):
            raise ValueError(f"budget: must be a finite number >= 0, got {self.budget!r}")
        if self.institution not in INSTITUTIONS:
            raise ValueError(
                f"institution: unknown {self.institution!r}; allowed: {', '.join(INSTITUTIONS)}"
            )
        names = [i.name for i in self.instruments]
        if len(set(names)) != len(names):
            raise ValueError(f"instruments: duplicate names in {names}")
        for e in self.calendar.events:
            if e.country is not None:
                self.countries.index(e.country)
            if e.instrument is not None and e.instrument not in names:
                raise ValueError(
                    f"events.instrument: unknown {e.instrument!r}; allowed: {', '.join(names)}"
                )

    def instrument_index(self, name: str) -> int:
        for k, ins in enumerate(self.instruments):
            if ins.name == name:
                return k
        raise ValueError(
            f"instrument: unknown {name!r}; allowed: {', '.join(i.name for i in self.instruments)}"
        )
