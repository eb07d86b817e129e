"""Strategy options: one small frozen dataclass per strategy, each option declared with
its default, meaning and allowed values (:func:`option`), checked when built."""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass, field, fields
from typing import Any

COUNTRY_INSTRUMENTS = ("visit", "two_plus_two", "aid")


def option(default: Any, doc: str, allowed: str) -> Any:
    """A documented strategy option: default, meaning and what values are allowed."""
    return field(default=default, metadata={"doc": doc, "allowed": allowed})


def _check_int(name: str, value: Any, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"{name}: must be an integer >= {lo}, got {value!r}")


def _check_number(name: str, value: Any, lo: float, hi: float = math.inf) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        what = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        raise ValueError(f"{name}: must be a finite number {what}, got {value!r}")


def _check_instrument(name: str, value: Any) -> None:
    if value not in COUNTRY_INSTRUMENTS:
        raise ValueError(
            f"{name}: unknown instrument {value!r}; allowed: {', '.join(COUNTRY_INSTRUMENTS)}"
        )


@dataclass(frozen=True)
class NoOptions:
    """This strategy has no options."""


@dataclass(frozen=True)
class OneInstrument:
    """Options of a strategy spending on one country instrument."""

    instrument: str = option("visit", "instrument used", "visit | two_plus_two | aid")

    def __post_init__(self) -> None:
        _check_instrument("instrument", self.instrument)


@dataclass(frozen=True)
class Targeted:
    """Options of a strategy concentrating on ``k`` countries at a time."""

    k: int = option(3, "number of countries targeted at once", "integer >= 1")
    instrument: str = option("visit", "instrument used", "visit | two_plus_two | aid")

    def __post_init__(self) -> None:
        _check_int("k", self.k, 1)
        _check_instrument("instrument", self.instrument)


@dataclass(frozen=True)
class HubTargeted(Targeted):
    """Options of ``hub_first``."""

    centrality_weight: float = option(
        1.0, "weight of network centrality in the hub score", "number >= 0"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_number("centrality_weight", self.centrality_weight, 0.0)


@dataclass(frozen=True)
class Dialogue:
    """Options of ``security_partners``."""

    dialogue_share: float = option(
        0.7, "share of the budget spent on 2+2 dialogues (the rest on visits)", "[0, 1]"
    )

    def __post_init__(self) -> None:
        _check_number("dialogue_share", self.dialogue_share, 0.0, 1.0)


@dataclass(frozen=True)
class Coordination:
    """Options of ``g7_coalition``."""

    coordination_share: float = option(
        0.5, "share of the budget spent on G7 coordination (the rest on visits)", "[0, 1]"
    )

    def __post_init__(self) -> None:
        _check_number("coordination_share", self.coordination_share, 0.0, 1.0)


@dataclass(frozen=True)
class Greedy:
    """Options of ``adaptive``."""

    chunks: int = option(4, "budget chunks reallocated greedily each week", "integer >= 1")

    def __post_init__(self) -> None:
        _check_int("chunks", self.chunks, 1)


@dataclass(frozen=True)
class Replay:
    """Options of ``historical``."""

    background_g7: float = option(
        0.0,
        "G7 coordination spent every week besides the dated visits, budget units (no dated "
        "record: 0, a counterfactual above)",
        ">= 0",
    )

    def __post_init__(self) -> None:
        _check_number("background_g7", self.background_g7, 0.0)


_VALUES: dict[type, type] = {}


def values_type(options_cls: type) -> type:
    """The plain tuple type the drivers receive for an options class (defined once, at
    module level, so that compiled kernels can be cached)."""
    if options_cls not in _VALUES:
        name = options_cls.__name__ + "Values"
        cls = namedtuple(name, [f.name for f in fields(options_cls)], module=__name__)
        globals()[name] = cls
        _VALUES[options_cls] = cls
    return _VALUES[options_cls]


def compiled_options(options: Any, instrument_names: tuple[str, ...], strict: bool = True) -> tuple:
    """Options as a plain tuple for the drivers: instrument names become positions (-1 for
    an instrument not configured, an error with ``strict``)."""
    values = []
    for f in fields(options):
        value = getattr(options, f.name)
        if f.name == "instrument":
            if value not in instrument_names and not strict:
                value = -1
            elif value not in instrument_names:
                raise ValueError(
                    f"strategy_options.instrument: {value!r} is not a configured instrument; "
                    f"allowed: {', '.join(instrument_names)}"
                )
            else:
                value = instrument_names.index(value)
        elif isinstance(f.default, float):
            value = float(value)  # one compiled type per option, whatever the input
        values.append(value)
    return values_type(type(options))(*values)
