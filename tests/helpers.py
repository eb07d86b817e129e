"""Shared test values: scenario tables, calibrated parameters, hand-made countries."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from experiments.workflow.scenario import default_table
from experiments.workflow.store import load_model_params
from sim import japan, rules, week
from sim.config import DEFAULT_INSTRUMENTS, Calendar, SimulationConfig
from sim.countries import ATTRIBUTE_NAMES, CountryProfile, CountryTable
from sim.ladder import Ladder
from sim.model import OutreachModel
from sim.params import ModelParams
from sim.rng import replicate_seeds
from sim.rules import FORCES, Signals
from sim.strategies import InstrumentSpec

ASEAN = default_table()
ASEAN_TL = default_table([*ASEAN.codes, "TL"])


def default_params() -> ModelParams:
    """The calibrated model parameters, from the project's store (conf/model/default.yaml)."""
    return load_model_params()


P = default_params()
LAD = Ladder().spec()

BASE: dict[str, float] = {
    "russia_trade_pct": 0.5,
    "russia_trade_bn": 1.0,
    "japan_trade_share": 0.1,
    "china_trade_share": 0.2,
    "west_trade_share": 0.3,
    "arms_russia": 0.05,
    "energy_russia": 0.1,
    "party_affinity": 0.0,
    "security_partner": 0.6,
    "transit_hub": 0.2,
    "democracy": 0.6,
    "public_support": 0.6,
    "salience": 0.5,
    "norm_weight": 0.6,
    "un_legalism": 0.5,
    "aid_leverage": 0.3,
    "un_seat_stance": float("nan"),
    "unsc_compliance": 0.7,
    "initial_stance": 1.5,
    "norm_cited": 1.0,
}
"""A middling Southeast Asian state: every hand-made country starts from these values."""

HOSTILE = {"arms_russia": 0.6, "party_affinity": 0.6, "energy_russia": 0.4}
"""Strong arms and party ties to Moscow (a Laos-like state)."""

EAGER = {
    "russia_trade_pct": 0.0,
    "arms_russia": 0.0,
    "energy_russia": 0.0,
    "transit_hub": 0.0,
    "china_trade_share": 0.0,
    "west_trade_share": 0.9,
    "security_partner": 0.9,
    "public_support": 1.0,
    "salience": 1.0,
    "democracy": 1.0,
    "norm_weight": 0.2,
    "un_legalism": 0.8,
}
"""A state close to sanctioning but for its insistence on UN authority."""


def table(
    *overrides: Mapping[str, float],
    ties: Mapping[tuple[str, str], float] | None = None,
    members: tuple[bool, ...] | None = None,
) -> CountryTable:
    """Countries C0, C1, ... each ``BASE`` updated with its overrides."""
    members = members or (True,) * len(overrides)
    profiles = [
        CountryProfile(f"C{i}", f"Country {i}", {**BASE, **o}, member=m)
        for i, (o, m) in enumerate(zip(overrides, members, strict=True))
    ]
    return CountryTable.from_profiles(profiles, ties or {})


def config(countries: CountryTable, **kw: Any) -> SimulationConfig:
    kw.setdefault("calendar", Calendar(n_steps=20))
    kw.setdefault("params", P)
    return SimulationConfig(countries=countries, **kw)


SEEDS = replicate_seeds(7, 24)


def model_at_week_0(countries: CountryTable, seed: int = 11, **kw: Any) -> OutreachModel:
    return OutreachModel(config(countries, **kw), seed)


def allocate(
    countries: CountryTable,
    strategy: str,
    *,
    stance: list[float] | None = None,
    level: list[int] | None = None,
    budget: float = 4.0,
    **kw: Any,
) -> tuple[SimulationConfig, np.ndarray]:
    """Japan's enforced allocation ``(N, K)`` in week 0 of one run."""
    model = model_at_week_0(countries, strategy=strategy, budget=budget, **kw)
    for i, agent in enumerate(model.countries):
        if stance is not None:
            agent.stance = agent.target = float(stance[i])
        if level is not None:
            agent.level = int(level[i])
    spend, _ = model.japan.allocate(0)  # (K, N)
    config = model.config
    model.release()
    return config, spend.T


def countries_as_rules_see_them(
    countries: CountryTable,
    p: ModelParams = P,
    *,
    level: float | list[float] = 2,
    stock: float | list[float] = 0.0,
    visible: float | list[float] = 0.0,
) -> list[SimpleNamespace]:
    """Each country with its attributes, per-run constants and a given weekly state."""
    n = countries.n
    levels = np.broadcast_to(np.asarray(level, dtype=np.int64), (n,))
    stocks = np.broadcast_to(np.asarray(stock, dtype=float), (n,))
    seen = np.broadcast_to(np.asarray(visible, dtype=float), (n,))
    out = []
    for i in range(n):
        c = SimpleNamespace(
            **{a: float(countries.values[k, i]) for k, a in enumerate(ATTRIBUTE_NAMES)}
        )
        c.member, c.threshold = bool(countries.member[i]), 0.0
        c.level, c.stance = int(levels[i]), float(levels[i]) + 0.5
        c.outreach_stock, c.visible = float(stocks[i]), float(seen[i])
        c.material, c.material_level, c.material_stock = 1.5, 1, 0.0
        c.russia_ties = rules.russia_ties(c)
        c.tolerance = rules.reactance_tolerance(p, c)
        c.deterred = rules.deterred_share(p, c)
        c.static_num, c.static_den = rules.fixed_pull(p, c, LAD)
        out.append(c)
    return out


def situation(
    countries: CountryTable,
    p: ModelParams = P,
    *,
    coalition: float = 0.58,
    regional_share: float = 0.0,
    collective: int | None = None,
    institution: float = 0.0,
    network: np.ndarray | None = None,
    **state: Any,
) -> tuple[list[SimpleNamespace], list[Signals]]:
    """Countries and what each perceives in a given week of one run."""
    cs = countries_as_rules_see_them(countries, p, **state)
    levels = np.array([c.level for c in cs], dtype=np.int64)
    net = countries.network if network is None else network
    ties = np.rint(net * rules.TIE_RESOLUTION).astype(np.int64)
    coll = rules.collective_level(levels, countries.member) if collective is None else collective
    run = SimpleNamespace(
        perceived=coalition, share=regional_share, collective=coll, institution=institution
    )
    signals = []
    for i, c in enumerate(cs):
        c.peer_mean, c.peer_pulling = rules.peer_signal(ties, i, levels)
        c.boundary = 0.0
        signals.append(week.signals(run, c))
    return cs, signals


def pulls(countries: CountryTable, p: ModelParams = P, **kw: Any) -> dict[str, list[tuple]]:
    """``(weight, anchor)`` of every force on every country."""
    cs, signals = situation(countries, p, **kw)
    out: dict[str, list[tuple]] = {}
    for f in FORCES:
        if f["kind"] == "fixed":
            out[f["name"]] = [f["fn"](p, c, LAD) for c in cs]
        else:
            out[f["name"]] = [f["fn"](p, c, s, LAD) for c, s in zip(cs, signals, strict=True)]
    return out


def target(countries: CountryTable, p: ModelParams = P, **kw: Any) -> np.ndarray:
    """Target stance of every country, shape ``(N,)``."""
    cs, signals = situation(countries, p, **kw)
    sums = [rules.weekly_pull(p, c, s, LAD) for c, s in zip(cs, signals, strict=True)]
    return np.array([num / den for num, den in sums])


def weight(force: str, countries: CountryTable, p: ModelParams = P, **kw: Any) -> np.ndarray:
    return np.array([w for w, _ in pulls(countries, p, **kw)[force]])


INSTRUMENTS = InstrumentSpec(
    efficiency=np.array([i.effect / i.cost for i in DEFAULT_INSTRUMENTS]),
    visibility=np.array([i.visibility for i in DEFAULT_INSTRUMENTS]),
    kind=np.array([{"country": 0, "asean": 1, "global": 2}[i.target] for i in DEFAULT_INSTRUMENTS]),
    material=np.array([i.material for i in DEFAULT_INSTRUMENTS]),
)


def leakage(
    countries: CountryTable, level: list[int], coalition: float, p: ModelParams = P
) -> float:
    """Russian trade through non-adopters (USD bn/yr) at given levels."""
    cs = countries_as_rules_see_them(countries, p, level=level)
    return sum(rules.leakage_flow(p, c, coalition, LAD) for c in cs)


def flows(spend: np.ndarray, leverage: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Rows: direct effect on the stance, seen pressure, budget received, effect on the
    material track, for a ``(K, N)`` spending."""
    out = np.empty((4, spend.shape[1]))
    totals = spend.sum(axis=1)
    japan.outreach_flows(spend, totals, INSTRUMENTS, leverage, member / max(member.sum(), 1), out)
    return out
