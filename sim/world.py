"""The world of one experiment point: everything the week (:mod:`sim.week`) reads that a
run does not change, as plain arrays and numbers, built once per config."""

from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np

from sim import rules
from sim.config import EFFORT, INSTITUTIONS, SimulationConfig
from sim.countries import ATTRIBUTE_NAMES
from sim.strategies import (
    ELIGIBILITY,
    INSTRUMENT_KINDS,
    STRATEGIES,
    STRATEGY_IDS,
    InstrumentIndex,
    InstrumentSpec,
    strategy_options,
)

World = namedtuple(
    "World",
    [
        "values",  # (A, N) attribute point values
        "lower",  # (A, N) prior lower bounds
        "upper",  # (A, N) prior upper bounds
        "sample_priors",  # draw uncertain attributes per run
        "ties",  # (N, N) int64 tie weights in thousandths (row: the country watching)
        "member",  # (N,) bool
        "member_share",  # (N,) share of the ASEAN channel each member receives
        "centrality",  # (N,)
        "inst",  # InstrumentSpec
        "index",  # InstrumentIndex
        "lev_row",  # (K,) attribute row scaling each instrument, -1 for none
        "req_row",  # (K,) attribute row an instrument requires (>= 0.5), -1 for none
        "institution_events",  # (T,) backing from that week on, NaN without an event
        "visits",  # (T, K, N) Japan's dated visits, budget units
        "allowed",  # (K, N) 1, or 0 where a feasibility restriction bars instrument k
        "eligibility",  # the shared eligibility rule (sim.strategies.ELIGIBILITY)
        "capped",  # the strategy's spending is scaled down to the budget (not a replay)
        "budget",
        "responsive",  # domestic pressure raises the weekly budget (sim.config.EFFORT)
        "institution",  # backing from the start
        "strategy",  # position in the registry
        "options",  # sim.strategies.StrategyOptions
        "lad",  # sim.ladder.LadderSpec
        "k_adoptions",
    ],
)
"""Everything the kernel needs about one experiment point, as plain arrays and numbers."""


def params_record(params: tuple) -> np.ndarray:
    """The model parameters as a one-element record array (the kernel reads ``[0]``)."""
    dtype = np.dtype([(name, np.float64) for name in params._fields])
    return np.array([tuple(params)], dtype=dtype)


def eigenvector_centrality(network: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Eigenvector centrality by power iteration (deterministic), scaled to max 1."""
    network = np.ascontiguousarray(network, dtype=np.float64)
    return _centrality(network.tobytes(), network.shape[0], iterations).copy()


@functools.lru_cache(maxsize=32)
def _centrality(network: bytes, n: int, iterations: int) -> np.ndarray:
    """:func:`eigenvector_centrality` of a network given as bytes (cached: a sweep builds
    thousands of worlds on the same network)."""
    matrix = np.frombuffer(network, dtype=np.float64).reshape(n, n)
    x = np.ones(n)
    if not matrix.any():
        return np.zeros(n)
    step = matrix + np.eye(n)
    for _ in range(iterations):
        x = step @ x
        x = x / x.max()
    return x


def _instrument_arrays(config: SimulationConfig) -> tuple:
    names = tuple(i.name for i in config.instruments)
    spec = InstrumentSpec(
        efficiency=np.array([i.effect / i.cost for i in config.instruments]),
        visibility=np.array([float(i.visibility) for i in config.instruments]),
        kind=np.array([INSTRUMENT_KINDS[i.target] for i in config.instruments], dtype=np.int64),
        material=np.array([float(i.material) for i in config.instruments]),
    )
    index = InstrumentIndex(
        *(names.index(f) if f in names else -1 for f in InstrumentIndex._fields)
    )
    rows = [ATTRIBUTE_NAMES.index(i.leverage) if i.leverage else -1 for i in config.instruments]
    req = [ATTRIBUTE_NAMES.index(i.requires) if i.requires else -1 for i in config.instruments]
    return names, spec, index, np.array(rows, dtype=np.int64), np.array(req, dtype=np.int64)


def _calendar_arrays(config: SimulationConfig, names: tuple[str, ...]) -> tuple:
    cal, n = config.calendar, config.countries.n
    baseline = INSTITUTIONS[config.institution]
    institution = np.full(cal.n_steps, np.nan)
    visits = np.zeros((cal.n_steps, len(names), n))
    for t in range(cal.n_steps):
        for e in cal.events_at(t):
            if e.kind == "institution":
                institution[t] = max(baseline, INSTITUTIONS[e.name])
            elif e.kind == "japan_visit" and e.country is not None:
                k = names.index(e.instrument or "visit")
                visits[t, k, config.countries.index(e.country)] += e.amount
    return institution, visits


def _allowed(config: SimulationConfig, names: tuple[str, ...]) -> np.ndarray:
    """``(K, N)``: 0 where a feasibility restriction bars an instrument, else 1."""
    allowed = np.ones((len(names), config.countries.n))
    for code, instrument in config.restrictions:
        allowed[names.index(instrument), config.countries.index(code)] = 0.0
    return allowed


def build_world(config: SimulationConfig, k_adoptions: int = 3) -> tuple:
    """The :data:`World` of a config, and the model parameters as a record array."""
    table = config.countries
    names, spec, index, lev_row, req_row = _instrument_arrays(config)
    institution_events, visits = _calendar_arrays(config, names)
    ties = np.rint(table.network * rules.TIE_RESOLUTION).astype(np.int64)
    n_members = max(int(table.member.sum()), 1)
    world = World(
        values=np.ascontiguousarray(table.values),
        lower=np.ascontiguousarray(table.lower),
        upper=np.ascontiguousarray(table.upper),
        sample_priors=bool(config.sample_priors),
        ties=ties,
        member=table.member.astype(np.bool_),
        member_share=table.member / n_members,
        centrality=eigenvector_centrality(table.network),
        inst=spec,
        index=index,
        lev_row=lev_row,
        req_row=req_row,
        institution_events=institution_events,
        visits=visits,
        allowed=_allowed(config, names),
        eligibility=ELIGIBILITY[config.eligibility],
        capped=STRATEGIES[config.strategy].capped,
        budget=float(config.budget),
        responsive=EFFORT[config.effort],
        institution=float(INSTITUTIONS[config.institution]),
        strategy=STRATEGY_IDS[config.strategy],
        options=strategy_options(config.strategy, config.strategy_options, names),
        lad=config.ladder.spec(),
        k_adoptions=int(k_adoptions),
    )
    return world, params_record(config.params.values())
