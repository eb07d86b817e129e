"""Structured-config schemas for ``conf/`` and their one-time conversion to plain sim values.

Hydra composes ``conf/config.yaml`` against :class:`ExperimentConf` (registered in the
ConfigStore as ``base_config``), so a typo in a key or a value of the wrong type is rejected
when the config is composed. :func:`to_simulation_configs` then converts the composed config
once (``OmegaConf.to_object``), checks ranges, and returns plain :class:`ExperimentPoint`
values holding a :class:`sim.SimulationConfig`; ``sim`` never sees a DictConfig.

Run ``python -m experiments.config`` to print ``conf/model/default.yaml`` and the strategy
files regenerated from the code (field metadata of :class:`sim.ModelParams`, options of
:data:`sim.strategies.STRATEGY_OPTIONS`).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import itertools
import logging
import math
from dataclasses import asdict, dataclass, field, fields, make_dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from experiments.workflow.paths import resolve
from experiments.workflow.scenario import (
    load_scenario_file,
    load_yaml_mapping,
    table_from_mapping,
)
from sim import INSTITUTIONS, Calendar, Event, Instrument, ModelParams, SimulationConfig
from sim.strategies import STRATEGIES, STRATEGY_OPTIONS, resolve_options

log = logging.getLogger(__name__)

Engine = enum.Enum("Engine", {"vectorized": "vectorized", "mesa": "mesa"})
"""Which driver runs the ensemble: the vectorized engine or the Mesa model (bit-identical)."""

Institution = enum.Enum("Institution", {name: name for name in INSTITUTIONS})
"""Institutional backing of the sanctions from the start: none, g7, unga, unsc."""


# --------------------------------------------------------------------------- schemas
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


ModelConf = make_dataclass(
    "ModelConf",
    [(f.name, float, field(default=float(f.default))) for f in fields(ModelParams)],
    namespace={"__doc__": "Every field of sim.ModelParams (ranges checked at conversion)."},
)


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
class ExperimentConf:
    """The top-level config of ``python -m experiments.run``."""

    experiment: str = MISSING
    strategies: list[str] = MISSING
    strategy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_seeds: int = 200
    seed: int = 20220224
    engine: Engine = Engine.vectorized
    workers: int = 1
    chunk_size: int = 1000
    keep_trajectories: bool = True
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


def register_configs() -> None:
    """Register the schema; ``conf/config.yaml`` names it first in its defaults list."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=ExperimentConf)


register_configs()


# --------------------------------------------------------------------------- conversion
SWEEPABLE_TOP = ("budget", "institution", "sample_priors", "accepted_set")
"""Top-level keys a ``sweep`` may vary (besides ``model.<field>``). ``accepted_set`` is an
index into the calibration's accepted parameter sets (``data/calibration/accepted.parquet``):
that set's model parameters replace the defaults at the point (explicit ``model.<field>``
sweep values still win), so experiments propagate parameter uncertainty."""


def _accepted_model_params(index: Any) -> dict[str, float]:
    """Model parameters of accepted calibration set ``index``."""
    from experiments.calibration.calibrate import load_accepted  # imported lazily (pandas, scipy)

    sets = load_accepted()
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(sets):
        raise ValueError(
            f"sweep.accepted_set: must be an integer in [0, {len(sets) - 1}] "
            f"(accepted calibration sets), got {index!r}"
        )
    return {k.removeprefix("model."): v for k, v in sets[index].items() if k.startswith("model.")}


@dataclass(frozen=True)
class ExperimentPoint:
    """One strategy at one parameter point: the plain config ``sim`` runs."""

    strategy: str
    point: int
    params: dict[str, Any]  # swept parameter path -> value at this point
    config: SimulationConfig


def _positive_int(name: str, value: int, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"{name}: must be an integer >= {lo}, got {value!r}")


def _date(where: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"{where}: expected a date YYYY-MM-DD, got {text!r}") from None


def _check_data_file(path_text: str) -> Path:
    """The facts file exists and is a YAML mapping (one-line error otherwise)."""
    path = resolve(path_text)
    load_yaml_mapping(path, "scenario.data_file")
    return path


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strategy_names(cfg: Any) -> list[str]:
    """The strategies a config runs, validated against the registry (``all`` = every one)."""
    names = list(cfg.strategies)
    if names == ["all"]:
        return list(STRATEGIES)
    if not names:
        raise ValueError(f"strategies: must not be empty; allowed: all, {', '.join(STRATEGIES)}")
    for name in names:
        if name not in STRATEGIES:
            raise ValueError(
                f"strategies: unknown strategy {name!r}; allowed: all, {', '.join(STRATEGIES)}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"strategies: duplicate names in {names}")
    return names


def _strategy_options(cfg: Any, names: list[str]) -> dict[str, tuple[tuple[str, Any], ...]]:
    for name in cfg.strategy_options:
        if name not in STRATEGIES:
            raise ValueError(
                f"strategy_options: unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}"
            )
    out = {}
    for name in names:
        given = dict(cfg.strategy_options[name]) if name in cfg.strategy_options else {}
        try:
            opts = resolve_options(name, given)
        except ValueError as exc:
            message = str(exc).replace("strategy.options.", f"strategy_options.{name}.")
            raise ValueError(message) from None
        for key, value in opts.items():
            default = STRATEGY_OPTIONS[name][key]
            if isinstance(default, int | float) and not isinstance(default, bool):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ValueError(
                        f"strategy_options.{name}.{key}: must be a number, got {value!r}"
                    )
                if key.endswith("_share") and not 0.0 <= value <= 1.0:
                    raise ValueError(
                        f"strategy_options.{name}.{key}: must be a share in [0, 1], got {value}"
                    )
                if isinstance(default, int) and (value != int(value) or value < 1):
                    raise ValueError(
                        f"strategy_options.{name}.{key}: must be an integer >= 1, got {value}"
                    )
                if isinstance(default, int):
                    value = int(value)
            opts[key] = value
        out[name] = tuple(sorted(opts.items()))
    return out


def _instruments(cfg: Any) -> tuple[Instrument, ...]:
    return tuple(
        Instrument(
            name,
            cost=i.cost,
            effect=i.effect,
            visibility=i.visibility,
            target=i.target,
            leverage=i.leverage,
            requires=i.requires,
        )
        for name, i in cfg.instruments.items()
    )


def _calendar(cfg: Any, codes: tuple[str, ...], institution: str) -> Calendar:
    cal = cfg.calendar
    _positive_int("calendar.n_steps", cal.n_steps, 1)
    events = []
    for k, e in enumerate(cal.events):
        where = f"calendar.events[{k}]"
        if e.kind not in Event.KINDS:
            raise ValueError(f"{where}.kind: unknown {e.kind!r}; allowed: {', '.join(Event.KINDS)}")
        if e.country is not None and e.country not in codes:
            log.debug("%s: %s is not simulated; event dropped", where, e.country)
            continue
        if e.kind == "un_vote" and e.name not in cal.un_votes:
            raise ValueError(
                f"{where}.name: UN vote {e.name!r} has no kind in calendar.un_votes; "
                f"allowed: {', '.join(cal.un_votes)}"
            )
        events.append(
            Event(_date(f"{where}.date", e.date), e.kind, e.country, e.instrument, e.amount, e.name)
        )
    return Calendar(_date("calendar.start", cal.start), cal.n_steps, tuple(events))


def _scenario(cfg: Any) -> dict[str, Any]:
    if cfg.scenario_file is not None:
        try:
            data = load_scenario_file(resolve(cfg.scenario_file))
        except ValueError as exc:
            raise ValueError(f"scenario_file: {exc}") from None
    else:
        data = asdict(cfg.scenario)
        _check_data_file(cfg.scenario.data_file)
    return data


def _countries(cfg: Any, scenario: dict[str, Any]) -> list[str] | None:
    if cfg.countries is None:
        return None
    known = list(scenario.get("countries") or {})
    if not cfg.countries:
        raise ValueError(f"countries: must not be empty; allowed: {', '.join(known)}")
    for code in cfg.countries:
        if code not in known:
            raise ValueError(f"countries: unknown country {code!r}; allowed: {', '.join(known)}")
    return list(cfg.countries)


def _flatten(sweep: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sweep.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def sweep_points(sweep: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameter grid of ``sweep``: one mapping path -> value per point (cartesian).

    ``{model: {peer_weight: [..]}}`` (from ``+sweep.model.peer_weight=[..]``) and
    ``{"model.peer_weight": [..]}`` are the same sweep.
    """
    sweep = _flatten(sweep)
    model_fields = [f.name for f in fields(ModelParams)]
    allowed = [*SWEEPABLE_TOP, *(f"model.{n}" for n in model_fields)]
    for path, values in sweep.items():
        if path not in allowed:
            raise ValueError(
                f"sweep.{path}: not a sweepable parameter; allowed: "
                f"{', '.join(SWEEPABLE_TOP)}, model.<field> ({', '.join(model_fields)})"
            )
        if not isinstance(values, list | tuple) or not values:
            raise ValueError(f"sweep.{path}: must be a non-empty list of values, got {values!r}")
    keys = list(sweep)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*sweep.values())]


def as_plain(cfg: DictConfig | ExperimentConf) -> Any:
    """The composed config as plain dataclasses (``OmegaConf.to_object``), converted once."""
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_object(cfg)
    return cfg


def to_simulation_configs(cfg: DictConfig | ExperimentConf) -> list[ExperimentPoint]:
    """Convert a composed config into the experiment's points, strategy by strategy.

    Raises ``ValueError`` with a one-line message naming the offending key.
    """
    c = as_plain(cfg)
    _positive_int("n_seeds", c.n_seeds, 1)
    _positive_int("seed", c.seed, 0)
    _positive_int("workers", c.workers, 1)
    _positive_int("chunk_size", c.chunk_size, 1)
    _positive_int("k_adoptions", c.k_adoptions, 1)
    if not math.isfinite(c.budget) or c.budget < 0:
        raise ValueError(f"budget: must be a number >= 0, got {c.budget}")
    names = strategy_names(c)
    options = _strategy_options(c, names)
    scenario = _scenario(c)
    codes = _countries(c, scenario)
    table = table_from_mapping(scenario, codes)
    instruments = _instruments(c)
    base_model = {f.name: getattr(c.model, f.name) for f in fields(ModelParams)}
    points = []
    for p, values in enumerate(sweep_points(c.sweep)):
        model = dict(base_model)
        top = {
            "budget": c.budget,
            "institution": c.institution.value,
            "sample_priors": c.sample_priors,
        }
        if "accepted_set" in values:
            model.update(_accepted_model_params(values["accepted_set"]))
        for path, value in values.items():
            if path.startswith("model."):
                model[path.removeprefix("model.")] = value
            elif path != "accepted_set":
                top[path] = value
        if top["institution"] not in INSTITUTIONS:
            raise ValueError(
                f"sweep.institution: unknown {top['institution']!r}; "
                f"allowed: {', '.join(INSTITUTIONS)}"
            )
        if not isinstance(top["sample_priors"], bool):
            raise ValueError(
                f"sweep.sample_priors: must be true or false, got {top['sample_priors']!r}"
            )
        if (
            isinstance(top["budget"], bool)
            or not isinstance(top["budget"], int | float)
            or (top["budget"] < 0)
        ):
            raise ValueError(f"sweep.budget: must be a number >= 0, got {top['budget']!r}")
        for key, value in model.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"model.{key}: must be a number, got {value!r}")
        params = ModelParams(**{k: float(v) for k, v in model.items()})
        calendar = _calendar(c, table.codes, top["institution"])
        for name in names:
            config = SimulationConfig(
                countries=table,
                params=params,
                instruments=instruments,
                calendar=calendar,
                strategy=name,
                strategy_options=options[name],
                budget=float(top["budget"]),
                institution=top["institution"],
                sample_priors=top["sample_priors"],
            )
            points.append(ExperimentPoint(name, p, values, config))
    return points


# --------------------------------------------------------------------------- generators
def render_model_defaults() -> str:
    """``conf/model/default.yaml`` from the field metadata of :class:`sim.ModelParams`."""
    lines = [
        "# Model parameters: every field of sim.params.ModelParams with its default.",
        "# Format (kept by the calibration contributor, who overwrites values):",
        "#   key: value  # meaning; range [lo, hi]; source: ...",
        "# Ranges are checked when the config is converted; a weight of 0 switches its",
        "# mechanism off. Generated by `python -m experiments.config model`.",
    ]
    mechanism = None
    for f in fields(ModelParams):
        md = f.metadata
        if md["mechanism"] != mechanism:
            mechanism = md["mechanism"]
            lines.append(f"# --- {mechanism}")
        lo, hi = md["range"]
        lines.append(
            f"{f.name}: {f.default}  # {md['doc']}; range [{lo}, {hi}]; source: {md['source']}"
        )
    return "\n".join(lines) + "\n"


def render_strategy(name: str) -> str:
    """``conf/strategy/<name>.yaml``: selecting it narrows the run to this strategy."""
    doc = (STRATEGIES[name].__doc__ or "").strip().splitlines()[0]
    lines = [
        "# @package _global_",
        f"# Strategy '{name}': {doc}",
        f"# Selecting this file (strategy={name}) runs this strategy only, with these options.",
        f"strategies: [{name}]",
        "strategy_options:",
    ]
    opts = STRATEGY_OPTIONS[name]
    if not opts:
        lines.append(f"  {name}: {{}}  # no options")
    else:
        lines.append(f"  {name}:")
        for key, value in opts.items():
            lines.append(f"    {key}: {value}  # {_OPTION_DOCS.get(key, '')}")
    return "\n".join(lines) + "\n"


_OPTION_DOCS = {
    "instrument": "instrument used: visit, two_plus_two or aid",
    "k": "number of countries targeted at once, integer >= 1",
    "centrality_weight": "weight of network centrality in the hub score, >= 0",
    "dialogue_share": "share of the budget spent on 2+2 dialogues, [0, 1]; rest on visits",
    "coordination_share": "share of the budget spent on G7 coordination, [0, 1]",
    "chunks": "number of budget chunks reallocated greedily each week, integer >= 1",
    "background_g7": "G7 coordination spent every week besides the dated visits, budget units",
}


def main(argv: list[str] | None = None) -> None:
    """Print ``conf/model/default.yaml`` (``model``) or ``conf/strategy/<name>.yaml``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    what = args[0] if args else "model"
    if what == "model":
        sys.stdout.write(render_model_defaults())
    else:
        sys.stdout.write(render_strategy(what))
