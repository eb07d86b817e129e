"""Patterns of the observables of 2022-2023 (issue 19): who named Russia in which setting,
and the material steps, read from ``data/asean_2022.yaml`` ``observables_2022_2023``.

The member sets come from the record's ``coverage`` block (derived from its dated,
sourced entries); the measurement rule that turns the simulated stance into these
observables is :mod:`sim.observe`. Tolerances follow the record's confidence: a fact read
in a source (C: V) must be the modal outcome (share of runs >= 0.5, or >= 0.8 where every
member of a set agrees); an 'unclear' reading only bounds the share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from experiments.calibration.facts import load_facts
from sim.config import SimulationConfig
from sim.ladder import CONDEMN_LEVEL, PRINCIPLE_LEVEL
from sim.material import DISTANCING, STATUS_QUO
from sim.observe import names_russia_joint
from sim.results import Trajectories
from sim.votes import VoteRule

PerRun = Callable[[Trajectories, SimulationConfig, VoteRule], np.ndarray]


def record() -> dict[str, Any]:
    """The ``observables_2022_2023`` section of the facts file."""
    return load_facts()["observables_2022_2023"]


def coverage(setting: str, value: str) -> tuple[str, ...]:
    """Members whose coverage in ``setting`` is ``value`` (or lists it, for 'material')."""
    out = []
    for code, row in record()["coverage"].items():
        if code == "C" or code not in load_facts()["meta"]["asean_2022_members"]:
            continue
        v = row[setting]
        if (isinstance(v, list) and value in v) or v == value:
            out.append(code)
    return tuple(out)


def joint_statement_date(code: str) -> dt.date:
    """Date of the (single) joint statement with Japan that names Russia for ``code``."""
    for s in record()["statements"]:
        if s["kind"] == "bilateral_japan" and s["names_russia"] is True and code in s["countries"]:
            d = s["date"]
            return d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
    raise ValueError(f"observables: no joint statement with Japan naming Russia for {code}")


def material_date(code: str, step: str) -> dt.date:
    """Last day of the month of ``code``'s first recorded ``step`` (dates may be months)."""
    for m in record()["material_measures"]:
        if m["country"] == code and m["step"] == step:
            text = str(m["date"])
            if len(text) == 7:
                y, mo = (int(x) for x in text.split("-"))
                return dt.date(y + mo // 12, mo % 12 + 1, 1) - dt.timedelta(days=1)
            return dt.date.fromisoformat(text)
    raise ValueError(f"observables: no material step {step} for {code}")


def _idx(config: SimulationConfig, codes: tuple[str, ...]) -> list[int]:
    return [config.countries.index(c) for c in codes]


def never_named(neutral_start: tuple[str, ...]) -> PerRun:
    """1 where no member whose own statements never named Russia reaches `condemn` over
    the horizon, and the `neutral` starters are `neutral` in the first week."""
    codes = coverage("national", "not_named")

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        quiet = (traj.level[:, :, _idx(config, codes)] < CONDEMN_LEVEL).all(axis=(1, 2))
        start = traj.level[:, 1, _idx(config, neutral_start)] == PRINCIPLE_LEVEL - 1
        return (quiet & start.all(axis=1)).astype(float)

    return per_run


def ever_named(code: str) -> PerRun:
    """1 where ``code`` names Russia in its own statements at some step."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        j = config.countries.index(code)
        return (traj.level[:, :, j] >= CONDEMN_LEVEL).any(axis=1).astype(float)

    return per_run


def named_at_end(code: str) -> PerRun:
    """1 where ``code`` names Russia in its own statements at the last step."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        return (traj.level[:, -1, config.countries.index(code)] >= CONDEMN_LEVEL).astype(float)

    return per_run


def joint_named(code: str, date: dt.date) -> PerRun:
    """1 where a joint statement of ``code`` with Japan on ``date`` names Russia."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        t = min(config.calendar.step_of(date), traj.level.shape[1] - 1)
        j = config.countries.index(code)
        lad = config.ladder.spec()
        named = names_russia_joint(config.params, traj.stance[:, t, j], traj.level[:, t, j], lad)
        return named.astype(float)

    return per_run


def reached_material(code: str, step: int, until: dt.date | None = None) -> PerRun:
    """1 where ``code``'s material step reaches ``step`` at some step (through ``until``)."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        end = traj.material.shape[1] if until is None else config.calendar.step_of(until) + 1
        j = config.countries.index(code)
        return (traj.material[:, :end, j] >= step).any(axis=1).astype(float)

    return per_run


def at_least_at_end(code: str, step: int) -> PerRun:
    """1 where ``code``'s material step is ``step`` or beyond at the last step."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        return (traj.material[:, -1, config.countries.index(code)] >= step).astype(float)

    return per_run


def deepening_at_end(codes: tuple[str, ...]) -> PerRun:
    """1 where every member of ``codes`` is deepening its ties at the last step."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        return (traj.material[:, -1, _idx(config, codes)] == 0).all(axis=1).astype(float)

    return per_run


def status_quo_throughout(codes: tuple[str, ...]) -> PerRun:
    """1 where every member of ``codes`` stays at the status quo at every step."""

    def per_run(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> np.ndarray:
        m = traj.material[:, :, _idx(config, codes)]
        return (m == STATUS_QUO).all(axis=(1, 2)).astype(float)

    return per_run


def material_sets() -> dict[str, tuple[str, ...]]:
    """Members by their recorded material steps (coverage.material): deepening, distancing
    only, partial distancing (distancing and status quo), status quo only."""
    distancing = coverage("material", "distancing")
    status = coverage("material", "status_quo")
    return {
        "deepening": coverage("material", "deepening"),
        "distancing": tuple(c for c in distancing if c not in status),
        "partial": tuple(c for c in distancing if c in status),
        "status_quo": tuple(c for c in status if c not in distancing),
    }


__all__ = ["DISTANCING"]
