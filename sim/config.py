"""What one simulated experiment point is made of: countries, parameters, Japan's
instruments, the calendar of dated events, the strategy and the budget (plain values)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any

from sim.countries import ATTRIBUTE_NAMES, CountryTable
from sim.ladder import Ladder
from sim.params import ModelParams
from sim.strategies import ELIGIBILITY, get_strategy, make_options

INSTITUTIONS: dict[str, float] = {"none": 0.0, "g7": 0.25, "unga": 0.5, "unsc": 1.0}
"""Institutional backing of the sanctions and its strength (Martin 1993; Drezner 2000):
none, G7 coordination only, a UN General Assembly resolution, a UN Security Council mandate."""

EFFORT: dict[str, bool] = {"matched": False, "responsive": True}
"""How Japan's weekly budget is set (run config ``effort``; the value: whether domestic
pressure raises it). ``matched``: held at ``budget`` every week, so every strategy spends
the same total (the replay's, ``historical``, at Japan's dated effort); ``responsive``:
raised by domestic pressure, ``budget x (1 + japan_budget_gain x pressure)``, a government
that spends more the longer no member joins (a counterfactual: the record dates no such
rise). A replay spends its dated amounts under either."""

MAX_BUDGET = 1000.0
"""Largest weekly budget (and event amount), budget units: a thousand leaders' visits a
week, a hundred per member, far past the point where more outreach changes a stance; it
keeps every product of budget, effect and weeks finite in float64."""
EARLIEST_START = dt.date(2022, 2, 24)
"""Earliest calendar start: the invasion. Step 0 is the first week of the war (the initial
stances are the declarations of 24 Feb - 3 Mar 2022); an earlier start has no meaning."""
LATEST_START = dt.date(2032, 2, 24)
"""Latest calendar start: ten years after the invasion (the 2022 stances and parameters
say nothing beyond)."""
MAX_STEPS = 520
"""Most weeks simulated: ten years."""


def _finite(
    key: str, value: object, lo: float, hi: float = MAX_BUDGET, strict: bool = False
) -> None:
    """``value`` is a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``strict``)."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (lo < value if strict else lo <= value)
        and value <= hi
    )
    if not ok:
        low = f"> {lo:g}" if strict else f">= {lo:g}"
        raise ValueError(f"{key}: must be a finite number {low} and <= {hi:g}, got {value!r}")


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
    material: float = 0.0
    """Share of its effect that acts on the material track (sim.material), the rest on the
    stance, 0-1."""

    def __post_init__(self) -> None:
        key = f"instruments.{self.name}"
        if not (isinstance(self.material, int | float) and 0.0 <= self.material <= 1.0):
            raise ValueError(f"{key}.material: must be a number in [0, 1], got {self.material!r}")
        _finite(f"{key}.cost", self.cost, 0.0, strict=True)
        _finite(f"{key}.effect", self.effect, 0.0)
        _finite(f"{key}.visibility", self.visibility, 0.0)
        for attr in ("leverage", "requires"):
            value = getattr(self, attr)
            if value is not None and value not in ATTRIBUTE_NAMES:
                raise ValueError(
                    f"{key}.{attr}: unknown country attribute {value!r}; "
                    f"allowed: {', '.join(ATTRIBUTE_NAMES)}"
                )
        if self.target not in ("country", "asean", "global"):
            raise ValueError(
                f"instruments.{self.name}.target: must be one of country, asean, global; "
                f"got {self.target!r}"
            )


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("visit", cost=1.0, effect=1.0, visibility=1.0, material=0.1),
    Instrument(
        "two_plus_two",
        cost=1.5,
        effect=2.0,
        visibility=0.7,
        leverage="security_partner",
        requires="security_partner",
        material=0.6,
    ),
    Instrument("aid", cost=2.0, effect=3.0, visibility=0.4, leverage="aid_leverage", material=0.6),
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
        _finite("events.amount", self.amount, 0.0)


@dataclass(frozen=True)
class Calendar:
    """Weekly steps from ``start``; step ``t`` is the state on ``start + 7 t`` days.
    ``start`` lies in [:data:`EARLIEST_START`, :data:`LATEST_START`], ``n_steps`` in
    [1, :data:`MAX_STEPS`]."""

    start: dt.date = EARLIEST_START
    n_steps: int = 53
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.n_steps <= MAX_STEPS:
            raise ValueError(
                f"calendar.n_steps: must be >= 1 and <= {MAX_STEPS} (ten years of weeks), "
                f"got {self.n_steps}"
            )
        if not EARLIEST_START <= self.start <= LATEST_START:
            raise ValueError(
                f"calendar.start: must be in [{EARLIEST_START}, {LATEST_START}] (from the "
                f"invasion, step 0 being the first week of the war, to ten years after), "
                f"got {self.start}"
            )

    def date(self, step: int) -> dt.date:
        return self.start + dt.timedelta(weeks=step)

    def dated_effort(self) -> float:
        """Japan's dated outreach effort: the amounts of the ``japan_visit`` events within
        the horizon, budget units per week simulated (what ``historical`` spends)."""
        spent = sum(
            e.amount
            for e in self.events
            if e.kind == "japan_visit" and 0 <= self.step_of(e.date) < self.n_steps
        )
        return spent / self.n_steps

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
    eligibility: str = "not_at_ask"  # the strategies' shared eligibility rule (ELIGIBILITY)
    effort: str = "responsive"  # how the weekly budget is set (EFFORT)
    restrictions: tuple[tuple[str, str], ...] = ()  # (country, instrument) pairs not usable

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
        _finite("budget", self.budget, 0.0)
        k = getattr(self.strategy_options, "k", None)
        if k is not None and k > self.countries.n:
            raise ValueError(
                f"strategy_options.{self.strategy}.k: must be <= {self.countries.n} (the "
                f"simulated countries), got {k}"
            )
        if self.institution not in INSTITUTIONS:
            raise ValueError(
                f"institution: unknown {self.institution!r}; allowed: {', '.join(INSTITUTIONS)}"
            )
        if self.eligibility not in ELIGIBILITY:
            raise ValueError(
                f"eligibility: unknown {self.eligibility!r}; allowed: {', '.join(ELIGIBILITY)}"
            )
        if self.effort not in EFFORT:
            raise ValueError(f"effort: unknown {self.effort!r}; allowed: {', '.join(EFFORT)}")
        names = [i.name for i in self.instruments]
        if len(set(names)) != len(names):
            raise ValueError(f"instruments: duplicate names in {names}")
        country_instruments = [i.name for i in self.instruments if i.target == "country"]
        for code, instrument in self.restrictions:
            self.countries.index(code)
            if instrument not in country_instruments:
                raise ValueError(
                    f"restrictions.{code}: unknown country instrument {instrument!r}; "
                    f"allowed: {', '.join(country_instruments)}"
                )
        for e in self.calendar.events:
            if e.country is not None:
                self.countries.index(e.country)
            if e.instrument is not None and e.instrument not in names:
                raise ValueError(
                    f"events.instrument: unknown {e.instrument!r}; allowed: {', '.join(names)}"
                )

    def with_strategy(self, strategy: str, options: Any = None) -> SimulationConfig:
        """The same config with another strategy (its options, or its defaults)."""
        return replace(self, strategy=strategy, strategy_options=options)

    def instrument_index(self, name: str) -> int:
        for k, ins in enumerate(self.instruments):
            if ins.name == name:
                return k
        raise ValueError(
            f"instrument: unknown {name!r}; allowed: {', '.join(i.name for i in self.instruments)}"
        )
