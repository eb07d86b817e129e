"""The uncertainty space of an analysis and the simulation config of each of its points.

:func:`build_space` reads ``conf/uncertainty/<name>.yaml`` (an ``UncertaintyConf``): the
dimension ``accepted_set`` (an index into the calibration's accepted sets, which supply
every parameter the 2022 record identifies), one ``model.<name>`` dimension per parameter
the record does not identify (its whole documented range; statuses from
:func:`experiments.calibration.identification.load_identification`), the ``model``
entries of the file, the scenario levers ``budget``, ``institution`` and
``optional_countries`` (the scenario's countries outside its default set simulated too;
which they are is data), the shared ``eligibility`` rule and ``strategy.<option>``
design choices.
:class:`PointConfigs` turns a design row into one
:class:`sim.SimulationConfig` per strategy: the default composed config (calibrated store,
default calendar from 2022-02-24) with ``dataclasses.replace`` of the parameters, budget,
institution and members.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import product
from typing import Any, TypeVar

from experiments.analysis.design import Dimension, UncertaintySpace
from experiments.calibration.identification import load_identification
from experiments.workflow import store
from experiments.workflow.convert import to_simulation_configs
from experiments.workflow.errors import ConfigError, sim_errors
from experiments.workflow.paths import resolve
from experiments.workflow.scenario import describe_countries, optional_countries
from experiments.workflow.schema import (
    AnalyseConf,
    DimensionConf,
    Engine,
    ExperimentConf,
    ScenarioConf,
    UncertaintyConf,
)
from sim import INSTITUTIONS, ModelParams, SimulationConfig
from sim.config import MAX_BUDGET
from sim.strategies import ELIGIBILITY, STRATEGY_OPTIONS, make_options

log = logging.getLogger(__name__)
T = TypeVar("T")

ACCEPTED_SET = "accepted_set"
OPTIONAL = "optional_countries"
"""The lever that simulates the scenario's optional countries (in its file, outside its
default ``simulated`` set) besides the default ones: false or true."""
LEVERS = ("budget", "institution", OPTIONAL, "eligibility")
"""Levers an uncertainty space may vary (besides model parameters): scenario levers and the
strategies' shared eligibility rule (a design choice of every targeting strategy)."""
STRATEGY_PREFIX = "strategy."
"""Levers ``strategy.<option>``: a strategy design choice (e.g. targeting depth ``k`` or the
``instrument``) varied as an input, applied to every strategy that has the option."""
DESIGN_OPTIONS = sorted({o for options in STRATEGY_OPTIONS.values() for o in options})
FROM_SET = ("identified", "weakly identified")
"""Identification statuses whose values come from an accepted set (the rest is deep)."""
_RANGES = {f.name: tuple(float(x) for x in f.metadata["range"]) for f in fields(ModelParams)}


@dataclass(frozen=True)
class AnalysisSpace:
    """The sampled space and what its dimensions stand for.

    Attributes:
        space: the dimensions and fixed values (``experiments.analysis.design``).
        sets: model values of each accepted set (``{name: value}``; empty without sets).
        from_set: parameters read from the accepted set of a point, in field order.
        deep: parameters varied over their whole documented range as deep uncertainties.
        origin: dimension name -> where it comes from (for the report).
        meaning: what a lever stands for in this scenario (for the report), e.g. which
            countries ``optional_countries`` adds.
    """

    space: UncertaintySpace
    sets: tuple[dict[str, float], ...]
    from_set: tuple[str, ...]
    deep: tuple[str, ...]
    origin: dict[str, str]
    meaning: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every dimension (sampled or fixed), in design column order."""
        return [d.name for d in self.space.dimensions]

    def set_values(self, row: Mapping[str, Any]) -> dict[str, float]:
        """``model.<name>`` values the point's accepted set supplies (empty without sets)."""
        if not self.sets:
            return {}
        chosen = self.sets[int(row[ACCEPTED_SET])]
        return {f"model.{n}": chosen[n] for n in self.from_set}


def entry_as(cls: type[T], key: str, entry: Any) -> T:
    """A config mapping as the dataclass ``cls`` (one-line error on an unknown key). The
    schema types such entries as plain mappings so that new ones can be added on the
    command line (``+outcomes.<name>={...}``)."""
    allowed = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if not isinstance(entry, Mapping):
        raise ConfigError(key, f"expected a mapping with keys {allowed}, got {entry!r}")
    for name in entry:
        if name not in allowed:
            raise ConfigError(f"{key}.{name}", "unknown key", allowed)
    return cls(**entry)


def _dimension(key: str, name: str, raw: Any) -> Dimension:
    entry = entry_as(DimensionConf, key, raw)
    if entry.values is not None and not isinstance(entry.values, list | tuple):
        raise ConfigError(f"{key}.values", f"must be a list, got {entry.values!r}")
    for bound in ("lo", "hi"):
        value = getattr(entry, bound)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"{key}.{bound}", f"must be a number, got {value!r}")
    with sim_errors(key):
        return Dimension(
            name,
            entry.kind,  # type: ignore[arg-type]  # Dimension checks the kind
            lo=None if entry.lo is None else float(entry.lo),
            hi=None if entry.hi is None else float(entry.hi),
            values=tuple(entry.values or ()),
        )


def _model_dimension(name: str, entry: Any) -> Dimension:
    key = f"uncertainty.model.{name}"
    if name not in _RANGES:
        raise ConfigError(key, "not a model parameter", list(_RANGES))
    dim = _dimension(key, f"model.{name}", entry)
    lo, hi = _RANGES[name]
    if dim.kind != "real" or not lo <= dim.lo <= dim.hi <= hi:  # type: ignore[operator]
        raise ConfigError(key, f"must be a real range within the documented [{lo}, {hi}]")
    return dim


def _lever_dimension(name: str, entry: Any) -> Dimension:
    key = f"uncertainty.levers.{name}"
    option = name.removeprefix(STRATEGY_PREFIX)
    if name.startswith(STRATEGY_PREFIX) and option not in DESIGN_OPTIONS:
        raise ConfigError(key, "not an option of any strategy", DESIGN_OPTIONS)
    if name not in LEVERS and not name.startswith(STRATEGY_PREFIX):
        raise ConfigError(
            key, "unknown lever", [*LEVERS, *(STRATEGY_PREFIX + o for o in DESIGN_OPTIONS)]
        )
    dim = _dimension(key, name, entry)
    if name.startswith(STRATEGY_PREFIX):
        return dim
    if name == "budget":
        values = dim.values if dim.kind == "categorical" else (dim.lo, dim.hi)
        if not all(_budget_ok(v) for v in values):
            raise ConfigError(
                key, f"budgets must be finite numbers in [0, {MAX_BUDGET:g}], got {list(values)}"
            )
    elif name == "institution":
        bad = [v for v in dim.values if v not in INSTITUTIONS]
        if dim.kind != "categorical" or bad:
            raise ConfigError(
                key, f"must be categorical over institutions, got {bad}", INSTITUTIONS
            )
    elif name == "eligibility":
        bad = [v for v in dim.values if v not in ELIGIBILITY]
        if dim.kind != "categorical" or bad:
            raise ConfigError(key, f"must be categorical over eligibility rules, got {bad}",
                              list(ELIGIBILITY))  # fmt: skip
    elif dim.kind != "categorical" or any(not isinstance(v, bool) for v in dim.values):
        raise ConfigError(key, "must be categorical over [false, true]")
    return dim


def _budget_ok(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and 0 <= value <= MAX_BUDGET


def _flat(entries: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Levers or fixed values with the nested ``strategy: {option: ...}`` (what
    ``uncertainty.levers.strategy.k.lo=2`` gives on the command line) as ``strategy.<option>``."""
    out = {}
    for name, entry in entries.items():
        if name == STRATEGY_PREFIX[:-1]:
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{key}.{name}", "must map strategy options to their values")
            out.update({f"{STRATEGY_PREFIX}{option}": v for option, v in entry.items()})
        else:
            out[name] = entry
    return out


def build_space(u: UncertaintyConf, scenario: ScenarioConf | None = None) -> AnalysisSpace:
    """The uncertainty space of ``u`` (its levers' meaning read from ``scenario``); a
    one-line :class:`ConfigError` names a bad key."""
    folder = resolve(u.calibration_dir)
    rows = load_identification(folder)
    dims: list[Dimension] = []
    origin: dict[str, str] = {}
    sets: list[dict[str, float]] = []
    from_set: list[str] = []
    if u.accepted_sets:
        try:
            raw = store.load_accepted_sets(folder)
        except ConfigError as exc:
            raise ConfigError("uncertainty.accepted_sets", exc.message) from None
        sets = [{k[6:]: v for k, v in s.items() if k.startswith("model.")} for s in raw]
        from_set = [r.name for r in rows if r.status in FROM_SET and r.name in sets[0]]
        dims.append(Dimension.integer(ACCEPTED_SET, 0, len(sets) - 1))
        origin[ACCEPTED_SET] = f"one of {len(sets)} accepted calibration sets"
    explicit = {name: _model_dimension(name, entry) for name, entry in u.model.items()}
    deep = [r for r in rows if r.deep and r.name not in explicit] if u.deep else []
    for r in deep:
        dims.append(Dimension.real(f"model.{r.name}", r.low, r.high))
        origin[f"model.{r.name}"] = f"deep uncertainty ({r.status}), whole range"
    for name, dim in explicit.items():
        dims.append(dim)
        origin[dim.name] = "uncertainty.model"
        if name in from_set:
            from_set.remove(name)
    for name, entry in _flat(u.levers, "uncertainty.levers").items():
        dims.append(_lever_dimension(name, entry))
        design = name.startswith(STRATEGY_PREFIX) or name == "eligibility"
        origin[name] = "strategy design choice" if design else "scenario lever"
    names = [d.name for d in dims]
    fixed = _flat(u.fixed, "uncertainty.fixed")
    for key in fixed:
        if key not in names:
            raise ConfigError(f"uncertainty.fixed.{key}", "not a dimension of the space", names)
    try:
        space = UncertaintySpace(tuple(dims), fixed)
    except ValueError as exc:
        key = next((f"uncertainty.fixed.{k}" for k in fixed if repr(k) in str(exc)), "")
        raise ConfigError(key or "uncertainty", str(exc)) from None
    log.info(
        "uncertainty space %r: %d dimensions (%d sampled): %d accepted sets, %d deep, levers %s",
        u.name,
        len(dims),
        len(space.free),
        len(sets),
        len(deep),
        ", ".join(n for n in names if n in LEVERS) or "none",
    )
    meaning = {}
    if OPTIONAL in names and scenario is not None:
        data = {"countries": scenario.countries, "simulated": scenario.simulated,
                "members": scenario.members}  # fmt: skip
        added = describe_countries(data, optional_countries(data))
        meaning[OPTIONAL] = f"{added} simulated besides the scenario's default countries"
    return AnalysisSpace(
        space, tuple(sets), tuple(from_set), tuple(r.name for r in deep), origin, meaning
    )


# --------------------------------------------------------------------------- point configs
def experiment_conf(c: AnalyseConf, optional: bool | None = None) -> ExperimentConf:
    """The run schema's view of an analysis config (what ``to_simulation_configs`` reads);
    ``optional``: the lever ``optional_countries`` (true: every country of the file)."""
    scenario = c.scenario
    if optional is not None:
        every = list(scenario.countries)  # the default set and the optional countries
        scenario = replace(scenario, simulated=every if optional else scenario.simulated)
    return ExperimentConf(
        experiment=c.experiment,
        strategies=list(c.strategies),
        strategy_options=dict(c.strategy_options),
        n_seeds=c.n_seeds,
        seed=c.seed,
        engine=Engine.compiled,
        workers=1,
        chunk_size=max(c.n_seeds, 1),
        keep_trajectories=False,
        budget=c.budget,
        institution=c.institution,
        sample_priors=c.sample_priors,
        eligibility=c.eligibility,
        effort=c.effort,
        feasibility=c.feasibility,
        sweep={},
        k_adoptions=c.k_adoptions,
        plots=False,
        scenario=scenario,
        model=c.model,
        calendar=c.calendar,
        instruments=c.instruments,
    )


class PointConfigs:
    """One ``SimulationConfig`` per strategy at each design row.

    Args:
        c: the analysis config (plain dataclasses).
        space: its :class:`AnalysisSpace`.
    """

    def __init__(self, c: AnalyseConf, space: AnalysisSpace) -> None:
        self.space = space
        lever = next((d for d in space.space.dimensions if d.name == OPTIONAL), None)
        variants: Sequence[bool | None] = [None]
        if lever is not None:
            variants = (
                [bool(space.space.fixed[OPTIONAL])]
                if lever.name in space.space.fixed
                else lever.values
            )
        self.bases: dict[bool | None, list[tuple[str, SimulationConfig]]] = {}
        for variant in variants:
            points = to_simulation_configs(experiment_conf(c, variant))
            self.bases[variant] = [(p.strategy, p.config) for p in points]
        self.strategies = [s for s, _ in next(iter(self.bases.values()))]
        self.choices = [d for d in space.space.dimensions if d.name.startswith(STRATEGY_PREFIX)]
        for d in self.choices:  # every value must suit every strategy with the option
            values = d.values if d.kind == "categorical" else (d.lo, d.hi)
            option = d.name.removeprefix(STRATEGY_PREFIX)
            users = [name for name, opts in STRATEGY_OPTIONS.items() if option in opts]
            for value, name in product(values, users):
                try:
                    make_options(name, {option: _plain(d, value)})
                except ValueError as exc:
                    raise ConfigError(f"uncertainty.levers.{d.name}", str(exc)) from None

    def _with_choices(self, row: Mapping[str, Any]) -> list[tuple[str, SimulationConfig]]:
        """The base configs (of any variant) with the row's design choices applied to every
        strategy that has the option."""
        base = next(iter(self.bases.values()))
        out = []
        for strategy, config in base:
            options = STRATEGY_OPTIONS[strategy]
            given = {
                k.removeprefix(STRATEGY_PREFIX): v
                for k, v in row.items()
                if k.startswith(STRATEGY_PREFIX) and k.removeprefix(STRATEGY_PREFIX) in options
            }
            if given:
                current = {f.name: getattr(config.strategy_options, f.name)
                           for f in fields(config.strategy_options)}  # fmt: skip
                config = config.with_strategy(strategy, {**current, **given})
            out.append((strategy, config))
        return out

    def at(self, row: Mapping[str, Any]) -> list[tuple[str, SimulationConfig]]:
        """``(strategy, config)`` for every strategy at design row ``row``."""
        variant = bool(row[OPTIONAL]) if OPTIONAL in row else None
        base = self.bases[variant]
        model = {k[6:]: v for k, v in self.space.set_values(row).items()}
        model.update({k[6:]: float(v) for k, v in row.items() if k.startswith("model.")})
        first = base[0][1]
        changes: dict[str, Any] = {"params": replace(first.params, **model)}
        if "budget" in row:
            changes["budget"] = float(row["budget"])
        if "institution" in row:
            changes["institution"] = str(row["institution"])
        if "eligibility" in row:
            changes["eligibility"] = str(row["eligibility"])
        choices = {d.name: _plain(d, row[d.name]) for d in self.choices if d.name in row}
        with sim_errors():
            if choices:
                chosen = dict(self._with_choices(choices))
                base = [(s, replace(config, strategy_options=chosen[s].strategy_options))
                        for s, config in base]  # fmt: skip
            return [(s, replace(config, **changes)) for s, config in base]


def _plain(d: Dimension, value: Any) -> Any:
    """A design value as the plain Python type a strategy option takes."""
    if d.kind == "integer":
        return int(value)
    if d.kind in ("real", "log"):
        return float(value)
    return value.item() if hasattr(value, "item") else value
