"""The composed config, converted once into plain ``sim`` values.

:func:`to_simulation_configs` turns a config composed against
:class:`~experiments.workflow.schema.ExperimentConf` (``OmegaConf.to_object``) into
:class:`ExperimentPoint` values holding a :class:`sim.SimulationConfig`; ``sim`` never sees
a DictConfig. One validation layer: the schema checks types when the config is composed,
``sim``'s dataclasses check ranges (their ``ValueError`` is re-raised as a
:class:`~experiments.workflow.errors.ConfigError` naming the config key), and this module
checks only what ``sim`` cannot know: replicate counts, workers, files, and the names of
strategies, options and countries. A swept value goes through the same schema type and
the same checks as the plain key.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import logging
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, make_dataclass, replace
from typing import Any

import numpy as np
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments.workflow import resources, store
from experiments.workflow.errors import ConfigError, omegaconf_message, sim_errors
from experiments.workflow.paths import resolve
from experiments.workflow.scenario import (
    load_scenario_file,
    load_yaml_mapping,
    restrictions_from_mapping,
    table_from_mapping,
)
from experiments.workflow.schema import CalendarConf, ExperimentConf, InstrumentConf, PlotFormat
from sim import Calendar, Event, Instrument, ModelParams, SimulationConfig, replicate_seeds
from sim.strategies import STRATEGIES, STRATEGY_OPTIONS, make_options

log = logging.getLogger(__name__)

SWEEPABLE_TOP = ("budget", "institution", "sample_priors", "accepted_set")
"""Top-level keys a ``sweep`` may vary (besides ``model.<field>``). ``accepted_set`` is an
index into the calibration's accepted parameter sets (``data/calibration/accepted.parquet``):
that set's model parameters replace the configured ones at the point (explicit
``model.<field>`` sweep values still win), so experiments propagate parameter uncertainty."""

_SWEPT = ("budget", "institution", "sample_priors", "model")
SweepPoint = make_dataclass(
    "SweepPoint",
    [
        (name, typing.get_type_hints(ExperimentConf)[name], field(default=MISSING))
        for name in _SWEPT
    ],
    namespace={
        "__doc__": "The keys a sweep varies, typed as in ExperimentConf.",
        "__module__": __name__,
    },
)
"""Swept values are assigned to this node, so they get the plain keys' schema types."""


@dataclass(frozen=True)
class ExperimentPoint:
    """One strategy at one parameter point: the plain config ``sim`` runs."""

    strategy: str
    point: int
    params: dict[str, Any]  # swept parameter path -> value at this point
    config: SimulationConfig


def as_plain(cfg: DictConfig | ExperimentConf) -> Any:
    """The composed config as plain dataclasses (``OmegaConf.to_object``), converted once."""
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_object(cfg)
    return cfg


# --------------------------------------------------------------------------- run settings
def _at_least(key: str, value: int, lo: int) -> None:
    if value < lo:
        raise ConfigError(key, f"must be an integer >= {lo}, got {value!r}")


def check_seeds(c: Any) -> None:
    """``n_seeds >= 1`` and a root seed ``sim.rng`` accepts (no seed is generated)."""
    _at_least("n_seeds", c.n_seeds, 1)
    with sim_errors():
        replicate_seeds(c.seed, 0)


def replicate(c: Any) -> np.ndarray:
    """Every replicate seed, ``replicate_seeds(seed, n_seeds)``, for an ensemble held whole
    in memory (refused with a one-line error if it cannot fit; runs stream chunks instead,
    see :mod:`experiments.workflow.run`)."""
    check_seeds(c)
    n_steps = max(c.calendar.n_steps, 2 * 53)  # votes extend the horizon up to two years
    resources.check_ensemble(c.n_seeds, n_steps, len(c.countries or c.scenario.countries or ()))
    with sim_errors():
        return replicate_seeds(c.seed, c.n_seeds)


def strategy_names(names: Sequence[str]) -> list[str]:
    """The strategies a config runs, validated against the registry (``all`` = every one)."""
    names = list(names)
    allowed = ["all", *STRATEGIES]
    if names == ["all"]:
        return list(STRATEGIES)
    if not names:
        raise ConfigError("strategies", "must not be empty", allowed)
    for name in names:
        if name not in STRATEGIES:
            raise ConfigError("strategies", f"unknown strategy {name!r}", allowed)
    if len(set(names)) != len(names):
        raise ConfigError("strategies", f"duplicate names in {names}")
    return names


def strategy_options(name: str, given: Mapping[str, Any]) -> Any:
    """The options of strategy ``name`` (its options dataclass, checked by ``sim``): the
    defaults updated with ``given``."""
    key = f"strategy_options.{name}"
    allowed = STRATEGY_OPTIONS[name]
    for option in given:
        if option not in allowed:
            raise ConfigError(
                f"{key}.{option}", f"not an option of {name!r}", list(allowed) or ["(none)"]
            )
    with sim_errors():
        return make_options(name, dict(given))


def _dask(d: Any) -> None:
    """The Dask settings of ``executor=dask`` (checked whatever the executor)."""
    _at_least("dask.n_workers", d.n_workers, 1)
    _at_least("dask.threads_per_worker", d.threads_per_worker, 1)
    _at_least("dask.jobs", d.jobs, 1)
    if d.address is not None and "://" not in d.address:
        raise ConfigError(
            "dask.address", f"expected a scheduler address like tcp://host:8786, got {d.address!r}"
        )


# --------------------------------------------------------------------------- model inputs
def _date(key: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(key, f"expected a date YYYY-MM-DD, got {text!r}") from None


def _instruments(instruments: Mapping[str, InstrumentConf]) -> tuple[Instrument, ...]:
    with sim_errors():
        return tuple(Instrument(name, **asdict(i)) for name, i in instruments.items())


def _calendar(cal: CalendarConf, codes: Sequence[str], known: Sequence[str]) -> Calendar:
    """The calendar; an event for a country of the scenario not simulated in this run is
    dropped, one for a country the scenario does not know is an error."""
    events = []
    for k, e in enumerate(cal.events):
        where = f"calendar.events[{k}]"
        with sim_errors(where, sim_root="events"):
            event = Event(
                _date(f"{where}.date", e.date), e.kind, e.country, e.instrument, e.amount, e.name
            )
        if e.kind == "un_vote" and e.name not in cal.un_votes:
            raise ConfigError(
                f"{where}.name",
                f"UN vote {e.name!r} has no kind in calendar.un_votes",
                cal.un_votes,
            )
        if e.country is not None and e.country not in known:
            raise ConfigError(f"{where}.country", f"unknown country {e.country!r}", known)
        if e.country is not None and e.country not in codes:
            log.debug("%s: %s is not simulated; event dropped", where, e.country)
            continue
        events.append(event)
    with sim_errors():
        return Calendar(_date("calendar.start", cal.start), cal.n_steps, tuple(events))


def scenario_mapping(c: Any) -> dict[str, Any]:
    """The scenario a plain config names: its ``scenario_file`` or the composed scenario."""
    if c.scenario_file is not None:
        return load_scenario_file(resolve(c.scenario_file), "scenario_file")
    load_yaml_mapping(resolve(c.scenario.data_file), "scenario.data_file")
    return asdict(c.scenario)


def _table(c: Any, scenario: Mapping[str, Any]) -> Any:
    """The country table; an error in a scenario file names the file."""
    try:
        return table_from_mapping(scenario, _countries(c.countries, scenario))
    except ConfigError as exc:
        if c.scenario_file is None:
            raise
        where = f" (in scenario_file {resolve(c.scenario_file)})"
        raise ConfigError(exc.key, exc.message + where, exc.allowed) from None


def _countries(requested: list[str] | None, scenario: Mapping[str, Any]) -> list[str] | None:
    if requested is None:
        return None
    known = list(scenario.get("countries") or {})
    if not requested:
        raise ConfigError("countries", "must not be empty", known)
    for code in requested:
        if code not in known:
            raise ConfigError("countries", f"unknown country {code!r}", known)
    return list(requested)


# --------------------------------------------------------------------------- sweeps
def _flatten(sweep: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sweep.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def sweep_points(sweep: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parameter grid of ``sweep``: one mapping path -> value per point (cartesian).

    ``{model: {peer_weight: [..]}}`` (from ``+sweep.model.peer_weight=[..]``) and
    ``{"model.peer_weight": [..]}`` are the same sweep.
    """
    sweep = _flatten(sweep)
    model_fields = [f.name for f in fields(ModelParams)]
    allowed = [*SWEEPABLE_TOP, *(f"model.{n}" for n in model_fields)]
    for path, values in sweep.items():
        if path not in allowed:
            raise ConfigError(
                f"sweep.{path}",
                "not a sweepable parameter",
                [*SWEEPABLE_TOP, f"model.<field> ({', '.join(model_fields)})"],
            )
        if not isinstance(values, list | tuple) or not values:
            raise ConfigError(
                f"sweep.{path}", f"must be a non-empty list of values, got {values!r}"
            )
    keys = list(sweep)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*sweep.values())]


def with_accepted_sets(sweep: Mapping[str, Any], wanted: int, available: int) -> dict:
    """``sweep`` with ``wanted`` accepted sets evenly spaced over the ``available`` ones
    (all of them if fewer) as an ``accepted_set`` sweep, unless it sweeps them already."""
    if not wanted or "accepted_set" in sweep:
        return dict(sweep)
    n = min(wanted, available)
    spaced = sorted({round(k * (available - 1) / max(n - 1, 1)) for k in range(n)})
    return {**sweep, "accepted_set": spaced}


def _accepted_model_values(index: Any, sets: list[dict[str, float]]) -> dict[str, float]:
    """Model parameters of accepted calibration set ``index``."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(sets):
        raise ConfigError(
            "sweep.accepted_set",
            f"must be an integer in [0, {len(sets) - 1}] (accepted calibration sets), "
            f"got {index!r}",
        )
    return {k.removeprefix("model."): v for k, v in sets[index].items() if k.startswith("model.")}


def _plain_point(c: Any) -> DictConfig:
    """The plain keys a sweep may change, as a typed ``SweepPoint`` node."""
    return OmegaConf.structured(
        SweepPoint(
            budget=c.budget, institution=c.institution, sample_priors=c.sample_priors, model=c.model
        )
    )


def _point_values(
    c: Any, values: Mapping[str, Any], sets: list[dict[str, float]], plain: DictConfig | None = None
) -> Any:
    """The swept keys at one point, assigned through their schema types (a ``SweepPoint``;
    ``plain``: :func:`_plain_point` of ``c``, built once, copied here)."""
    node = copy.deepcopy(plain) if plain is not None else _plain_point(c)
    updates = [(path, value) for path, value in values.items() if path != "accepted_set"]
    if "accepted_set" in values:
        accepted = _accepted_model_values(values["accepted_set"], sets)
        updates.insert(0, ("model", accepted))
    for path, value in updates:
        key = "sweep.accepted_set" if path == "model" else f"sweep.{path}"
        try:
            OmegaConf.update(node, path, value, merge=True)
        except OmegaConfBaseException as exc:
            raise ConfigError(key, omegaconf_message(exc)) from None
    return OmegaConf.to_object(node)


def _simulation_config(point: Any, prefix: str, common: Mapping[str, Any]) -> SimulationConfig:
    """The ``SimulationConfig`` of a point's swept-key values; ``prefix`` is the config key
    those values came from (``""`` for the plain keys, ``sweep`` for swept ones)."""
    if not math.isfinite(point.budget):
        raise ConfigError(
            ".".join(k for k in (prefix, "budget") if k),
            f"must be a finite number >= 0, got {point.budget}",
        )
    with sim_errors(prefix):
        return SimulationConfig(
            **common,
            params=ModelParams(**asdict(point.model)),
            budget=float(point.budget),
            institution=point.institution.value,
            sample_priors=point.sample_priors,
        )


def to_simulation_configs(cfg: DictConfig | ExperimentConf) -> list[ExperimentPoint]:
    """Convert a composed config into the experiment's points, strategy by strategy.

    Raises :class:`~experiments.workflow.errors.ConfigError` (one line naming the key).
    """
    c = as_plain(cfg)
    check_seeds(c)
    _at_least("workers", c.workers, 1)
    _at_least("chunk_size", c.chunk_size, 1)
    _at_least("k_adoptions", c.k_adoptions, 1)
    _dask(c.dask)
    if c.plots and not c.plot_formats:
        raise ConfigError(
            "plot_formats",
            "names no format: give one or more, or plots=false",
            list(PlotFormat.__members__),
        )
    names = strategy_names(c.strategies)
    for name in c.strategy_options:
        if name not in STRATEGIES:
            raise ConfigError("strategy_options", f"unknown strategy {name!r}", STRATEGIES)
    options = {name: strategy_options(name, c.strategy_options.get(name, {})) for name in names}
    scenario = scenario_mapping(c)
    table = _table(c, scenario)
    if c.k_adoptions > table.n:
        raise ConfigError(
            "k_adoptions", f"must be <= {table.n} (the simulated countries), got {c.k_adoptions}"
        )
    restrictions = restrictions_from_mapping(scenario, table.codes)  # checked either way
    common = {
        "countries": table,
        "instruments": _instruments(c.instruments),
        "calendar": _calendar(c.calendar, table.codes, [str(k) for k in scenario["countries"]]),
        "eligibility": c.eligibility.value,
        "effort": c.effort.value,
        "restrictions": restrictions if c.feasibility else (),
    }
    unswept = _simulation_config(_point_values(c, {}, []), "", common)  # checks the plain keys
    _at_least("accepted_sets", c.accepted_sets, 0)
    pooled = c.accepted_sets if not c.sweep else 0  # a sweep's grid is the user's own
    if c.accepted_sets and c.sweep:
        log.info("accepted_sets=%d not applied: the run has a sweep", c.accepted_sets)
    sets = store.load_accepted_sets() if pooled or "accepted_set" in c.sweep else []
    grid = sweep_points(with_accepted_sets(c.sweep, pooled, len(sets)))
    plain = _plain_point(c) if grid != [{}] else None
    points = []
    for p, values in enumerate(grid):
        config = (
            _simulation_config(_point_values(c, values, sets, plain), "sweep", common)
            if values
            else unswept
        )
        for name in names:
            with sim_errors():
                strategy = replace(config, strategy=name, strategy_options=options[name])
            points.append(ExperimentPoint(name, p, values, strategy))
    return points
