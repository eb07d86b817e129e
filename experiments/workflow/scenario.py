"""Build the model's country table from a scenario mapping (the edge: config -> sim).

The scenario file says which of its countries a run simulates by default (``simulated``)
and which are ASEAN members (``members``; the others are observers); no country is a
special case in code. A country of the file outside ``simulated`` is optional
(:func:`optional_countries`): the analysis lever ``optional_countries`` and the dashboard's
country switches add it. A country's ``map`` ([longitude, latitude]) is where the dashboard
draws it; the model does not read it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from experiments.workflow.errors import ConfigError, sim_errors
from experiments.workflow.paths import CONF_DIR
from sim.countries import ATTRIBUTE_NAMES, CountryProfile, CountryTable
from sim.rng import MAX_COUNTRIES

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = CONF_DIR / "scenario" / "asean_2022.yaml"
_ENTRY_KEYS = {"value", "range", "C", "source"}
_CONFIDENCE = {"V", "D", "U"}
_SCENARIO_KEYS = {
    "name",
    "data_file",
    "simulated",
    "members",
    "countries",
    "default_tie",
    "ties",
    "restrictions",
}
_RESTRICTION_KEYS = {"instruments", "since", "C", "source"}
_DISPLAY_KEYS = ("name", "map")
"""Keys of a country entry that are not model attributes (its name, its map position)."""


def _number(key: str, value: Any) -> float:
    """``value`` as a float (YAML's ``.nan`` included); a one-line error for a string, a
    boolean, a list or a mapping."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, f"must be a number, got {value!r}")
    return float(value)


def _entry(code: str, attr: str, spec: Any) -> tuple[float, tuple[float, float] | None]:
    where = f"scenario.countries.{code}.{attr}"
    if not isinstance(spec, Mapping):
        raise ConfigError(where, "expected a mapping with value, C, source (and range)")
    unknown = set(spec) - _ENTRY_KEYS
    if unknown:
        raise ConfigError(where, f"unknown key {sorted(unknown)[0]!r}", sorted(_ENTRY_KEYS))
    if "value" not in spec:
        raise ConfigError(f"{where}.value", "missing")
    if spec.get("C") not in _CONFIDENCE:
        raise ConfigError(
            f"{where}.C", f"unknown confidence {spec.get('C')!r}", sorted(_CONFIDENCE)
        )
    value = _number(f"{where}.value", spec["value"])
    rng = spec.get("range")
    if rng is None:
        return value, None
    if not isinstance(rng, list | tuple) or len(rng) != 2:
        raise ConfigError(f"{where}.range", f"must be [low, high], got {rng!r}")
    lo, hi = _number(f"{where}.range", rng[0]), _number(f"{where}.range", rng[1])
    if lo > hi:
        raise ConfigError(f"{where}.range", f"low {lo} > high {hi}")
    return value, (lo, hi)


def table_from_mapping(
    scenario: Mapping[str, Any], countries: list[str] | None = None
) -> CountryTable:
    """Country table for the countries simulated by ``scenario``.

    Without ``countries`` the scenario's ``simulated`` list (every country of the file when
    it has none); a country is a member when ``members`` lists it (every country when it
    has no such list). More countries than ``sim`` can number are refused.
    """
    unknown = sorted(set(scenario) - _SCENARIO_KEYS)
    if unknown:
        raise ConfigError(f"scenario.{unknown[0]}", "unknown key", sorted(_SCENARIO_KEYS))
    data = scenario.get("countries")
    if not isinstance(data, Mapping) or not data:
        raise ConfigError("scenario.countries", "missing or empty")
    members = set(_codes(scenario, "members", data))
    if countries is None:
        countries = _codes(scenario, "simulated", data)
    if len(countries) > MAX_COUNTRIES:
        raise ConfigError(
            "scenario.countries",
            f"{len(countries)} countries; at most {MAX_COUNTRIES} can be simulated (the "
            "tie matrix grows with the square): list the ones to run in countries=[..]",
        )
    profiles = []
    for code in countries:
        if code not in data:
            raise ConfigError("scenario.countries", f"unknown country {code!r}", list(data))
        spec = data[code]
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"scenario.countries.{code}",
                f"expected a mapping of attributes (name, {ATTRIBUTE_NAMES[0]}, ...), got {spec!r}",
            )
        values: dict[str, float] = {}
        ranges: dict[str, tuple[float, float]] = {}
        for attr, entry in spec.items():
            if attr in _DISPLAY_KEYS:
                continue
            if attr not in ATTRIBUTE_NAMES:
                raise ConfigError(
                    f"scenario.countries.{code}.{attr}",
                    "unknown attribute",
                    [*_DISPLAY_KEYS, *ATTRIBUTE_NAMES],
                )
            value, rng = _entry(code, attr, entry)
            values[attr] = value
            if rng is not None and not (attr == "un_seat_stance" and math.isnan(value)):
                ranges[attr] = rng
        member = code in members
        with sim_errors("scenario"):
            profiles.append(
                CountryProfile(code, str(spec.get("name", code)), values, ranges, member=member)
            )
    default_tie = _number("scenario.default_tie", scenario.get("default_tie", 0.0))
    ties: dict[tuple[str, str], float] = {}
    for i, a in enumerate(countries):
        for b in countries[i + 1 :]:
            ties[(a, b)] = default_tie
    for item in scenario.get("ties", []) or []:
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise ConfigError("scenario.ties", f"each tie must be [A, B, weight], got {item!r}")
        a, b, w = item
        for c in (a, b):
            if c not in data:
                raise ConfigError("scenario.ties", f"unknown country {c!r}", list(data))
        ties.pop((b, a), None)
        ties[(a, b)] = _number("scenario.ties", w)  # sim checks every tie weight
    with sim_errors("scenario"):
        return CountryTable.from_profiles(profiles, ties)


def restrictions_from_mapping(
    scenario: Mapping[str, Any], codes: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """The scenario's feasibility restrictions as (country, instrument) pairs, for the
    simulated countries ``codes`` (a restriction on a country not simulated is dropped).
    Each entry: ``instruments`` (list), ``since`` (date), ``C`` and ``source``."""
    data = scenario.get("countries") or {}
    pairs: list[tuple[str, str]] = []
    for code, spec in (scenario.get("restrictions") or {}).items():
        where = f"scenario.restrictions.{code}"
        if code not in data:
            raise ConfigError("scenario.restrictions", f"unknown country {code!r}", list(data))
        if not isinstance(spec, Mapping):
            raise ConfigError(where, "expected a mapping with instruments, since, C, source")
        unknown = sorted(set(spec) - _RESTRICTION_KEYS)
        if unknown:
            raise ConfigError(where, f"unknown key {unknown[0]!r}", sorted(_RESTRICTION_KEYS))
        missing = sorted(_RESTRICTION_KEYS - set(spec))
        if missing:
            raise ConfigError(f"{where}.{missing[0]}", "missing")
        if spec["C"] not in _CONFIDENCE:
            raise ConfigError(f"{where}.C", f"unknown mark {spec['C']!r}", sorted(_CONFIDENCE))
        instruments = spec["instruments"]
        if not isinstance(instruments, list | tuple) or not instruments:
            raise ConfigError(
                f"{where}.instruments", f"must be a non-empty list, got {instruments!r}"
            )
        if code in codes:
            pairs.extend((str(code), str(name)) for name in instruments)
    return tuple(pairs)


def _codes(scenario: Mapping[str, Any], key: str, data: Mapping[str, Any]) -> list[str]:
    """The country codes listed under ``key`` (every country of the file when absent)."""
    codes = scenario.get(key)
    if codes is None:
        return list(data)
    if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
        raise ConfigError(f"scenario.{key}", f"must be a list of country codes, got {codes!r}")
    for code in codes:
        if code not in data:
            raise ConfigError(f"scenario.{key}", f"unknown country {code!r}", list(data))
    return list(codes)


def not_simulated(scenario: Mapping[str, Any], table: CountryTable) -> list[str]:
    """Countries of the scenario file a run does not simulate (logged once per job)."""
    left = [c for c in scenario.get("countries") or {} if c not in table.codes]
    if left:
        log.info("scenario: %s in the file, not simulated (scenario.simulated)", ", ".join(left))
    return left


def optional_countries(scenario: Mapping[str, Any]) -> list[str]:
    """Countries of the scenario file outside its default set (``simulated``), in file
    order (none when the file has no ``simulated`` list: every country is simulated)."""
    every = [str(c) for c in scenario.get("countries") or {}]
    default = scenario.get("simulated")
    return [] if default is None else [c for c in every if c not in default]


def with_countries(scenario: Mapping[str, Any], extra: Sequence[str]) -> list[str]:
    """The default set and the optional countries ``extra``, in file order."""
    default = scenario.get("simulated")
    chosen = set(extra) | set(default if default is not None else scenario.get("countries") or {})
    return [str(c) for c in scenario.get("countries") or {} if c in chosen]


def describe_countries(scenario: Mapping[str, Any], codes: Sequence[str]) -> str:
    """``codes`` by name, each marked member or observer (``members``), e.g.
    "Brunei (member) and Newland (observer)"; "none" for no code."""
    data = scenario.get("countries") or {}
    members = scenario.get("members")
    words = [
        f"{(data.get(c) or {}).get('name', c)} "
        f"({'member' if members is None or c in members else 'observer'})"
        for c in codes
    ]
    if len(words) < 2:
        return words[0] if words else "none"
    return ", ".join(words[:-1]) + " and " + words[-1]


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """A safe YAML loader that refuses a key given twice in one mapping (PyYAML keeps the
    last one silently: a country listed twice would lose its first entry)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (lines {seen[key] + 1} and "
                    f"{key_node.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_yaml_mapping(path: Path, key: str) -> dict[str, Any]:
    """Read a YAML file holding a mapping; one-line error naming ``key`` if it is missing,
    unreadable, malformed or gives a key twice in one mapping."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(key, f"{path} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            key, f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.constructor.ConstructorError as exc:
        if "duplicate key" not in str(exc.problem):
            raise ConfigError(key, f"{path} is malformed YAML ({exc.problem})") from None
        raise ConfigError(
            key, f"{path}: {exc.problem}; each key (each country) may appear once"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(key, f"{path} is malformed YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(key, f"{path} must hold a mapping at the top level")
    return data


def load_scenario_file(path: Path = DEFAULT_SCENARIO, key: str = "scenario_file") -> dict[str, Any]:
    """Read a scenario YAML file; a one-line error naming ``key`` if missing or malformed."""
    return load_yaml_mapping(path, key)


def default_table(countries: list[str] | None = None) -> CountryTable:
    """The default scenario's country table, its ``simulated`` countries unless
    ``countries`` are given (for tests, benchmarks and notebooks)."""
    return table_from_mapping(load_scenario_file(), countries)
