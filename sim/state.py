"""The run's state, declared once: a country's fields, Japan's and the run's.

Each declaration lists ``(name, dtype, meaning)``. The compiled kernel keeps the state in
record arrays of these dtypes (:func:`record_dtype`); the Mesa model gives its agents and
itself the same attributes (:func:`declare`, :func:`as_python`). The week's phases
(:mod:`sim.week`) read and write the state by these names; every state field is zero at
the start of a run (:func:`sim.week.start_run`). A mechanism with its own state adds a
line here and both drivers carry it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.countries import ATTRIBUTE_NAMES

Field = tuple[str, type, str]

COUNTRY_CONSTANTS: tuple[Field, ...] = (
    *((a, np.float64, "attribute (sim.countries.ATTRIBUTES)") for a in ATTRIBUTE_NAMES),
    ("member", np.bool_, "ASEAN member (observers are simulated but not asked)"),
    ("russia_ties", np.float64, "per-run constant (sim.rules.russia_ties)"),
    ("tolerance", np.float64, "per-run constant (sim.rules.reactance_tolerance)"),
    ("deterred", np.float64, "per-run constant (sim.rules.deterred_share)"),
    ("static_num", np.float64, "sums of the fixed forces (sim.rules.fixed_pull)"),
    ("static_den", np.float64, "sums of the fixed forces (sim.rules.fixed_pull)"),
    ("material_num", np.float64, "fixed sums of the material track (sim.material)"),
    ("material_den", np.float64, "fixed sums of the material track (sim.material)"),
)
"""A country's attributes and what follows from them alone (set when they are drawn)."""

COUNTRY_STATE: tuple[Field, ...] = (
    ("threshold", np.float64, "sanction threshold drawn for the run"),
    ("stance", np.float64, "stance at the start of the week"),
    ("level", np.int64, "rung at the start of the week"),
    ("outreach_stock", np.float64, "Japan's accumulated outreach"),
    ("visible", np.float64, "visible pressure felt this week"),
    ("target", np.float64, "last week's target stance"),
    ("weight_total", np.float64, "last week's total force weight"),
    ("boundary", np.float64, "extra stance needed to reach the sanction rung"),
    ("received", np.float64, "budget Japan spent on the country this week"),
    ("peer_mean", np.float64, "tie-weighted mean level of the neighbours"),
    ("peer_pulling", np.float64, "tie weight pulling the country"),
    ("material", np.float64, "position on the material track (sim.material)"),
    ("material_level", np.int64, "step of the material track (0 deepening .. 3)"),
    ("material_stock", np.float64, "Japan's accumulated material outreach"),
)
"""A country's state in a run (zero at the start of every run, then set by
:func:`sim.week.start_run`); a mechanism's per-country state is a line here."""

COUNTRY_FIELDS = COUNTRY_CONSTANTS + COUNTRY_STATE
"""A country's fields as the rules read them (a Mesa ``CountryAgent`` has them all)."""

JAPAN_STATE: tuple[Field, ...] = (
    ("week", np.int64, "the week Japan allocates"),
    ("credibility", np.float64, "multiplier of its outreach"),
    ("available", np.float64, "budget available this week"),
    ("visibility_mult", np.float64, "how visible its outreach is"),
    ("spent", np.float64, "budget spent this week"),
    ("pressure", np.float64, "domestic pressure, 0-1"),
    ("record", np.float64, "most members ever at 'sanction'"),
    ("g7_stock", np.float64, "G7 coordination stock"),
)
"""Japan's state (a Mesa ``JapanAgent`` has it; strategies read the first four fields)."""

RUN_STATE: tuple[Field, ...] = (
    ("institution", np.float64, "institutional backing this week"),
    ("coalition", np.float64, "coalition share"),
    ("perceived", np.float64, "coalition share the countries perceive this week"),
    ("share", np.float64, "share of ASEAN members at 'sanction'"),
    ("collective", np.int64, "ASEAN's collective level"),
    ("leakage", np.float64, "Russian trade through non-adopters, USD bn/yr"),
    ("adopters", np.int64, "members at 'sanction'"),
    ("levels_moved", np.bool_, "a level changed last week"),
    ("signals_moved", np.bool_, "the signals changed this week"),
    ("bought_with", np.float64, "budget of the request last bought (-1: none)"),
    ("g7_flow", np.float64, "this week's G7 coordination flow"),
    ("material_moved", np.bool_, "a material step changed this week"),
)
"""The run's shared state (the Mesa ``OutreachModel`` has these attributes); like every
state here, zero at the start of a run."""


def record_dtype(declared: tuple[Field, ...]) -> np.dtype:
    """The record dtype of a declaration (the kernel's view of the state)."""
    return np.dtype([(name, dtype) for name, dtype, _ in declared], align=True)


COUNTRY_DTYPE = record_dtype(COUNTRY_FIELDS)
JAPAN_DTYPE = record_dtype(JAPAN_STATE)
RUN_DTYPE = record_dtype(RUN_STATE)


def zero(dtype: type) -> str:
    """The zero of a declared type as Python source (``0.0``, ``0`` or ``False``)."""
    return repr(np.dtype(dtype).type(0).item())


def declare(obj: Any, declared: tuple[Field, ...]) -> None:
    """Give ``obj`` every declared field, zero (the Mesa view of the state)."""
    for name, dtype, _ in declared:
        setattr(obj, name, dtype(0).item())


def as_python(obj: Any, declared: tuple[Field, ...]) -> None:
    """Make every declared field of ``obj`` a plain Python number of its declared type."""
    for name, dtype, _ in declared:
        setattr(obj, name, dtype(getattr(obj, name)).item())
