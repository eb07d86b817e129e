"""The compiled ensemble driver: the weekly schedule of :mod:`sim.model`, one run at a time.

:func:`simulate_batch` is compiled by numba (cached on disk, see
:func:`sim.numerics.jit_cache_dir`) and calls the rules of :mod:`sim.rules` and
:mod:`sim.strategies` in the same order as the Mesa model's ``step``, so both drivers
give bit-identical runs. Everything a run needs arrives as plain arrays in a
:data:`World` (built once per config by :func:`build_world`).
"""

from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np
from numba import njit

from sim import japan, rng, rules
from sim.config import INSTITUTIONS, SimulationConfig
from sim.countries import ATTRIBUTE_NAMES, sample_attribute
from sim.numerics import block_sum, generate_rule, rule
from sim.results import RunRecord, summarise_run
from sim.rules import Signals
from sim.strategies import (
    INSTRUMENT_KINDS,
    STRATEGY_IDS,
    InstrumentIndex,
    InstrumentSpec,
    Observation,
    allocate,
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
        "budget",
        "institution",  # backing from the start
        "strategy",  # position in the registry
        "options",  # sim.strategies.StrategyOptions
        "lad",  # sim.ladder.LadderSpec
        "k_adoptions",
    ],
)
"""Everything the kernel needs about one experiment point, as plain arrays and numbers."""

COUNTRY_FIELDS: tuple[tuple[str, type], ...] = (
    *((a, np.float64) for a in ATTRIBUTE_NAMES),
    ("member", np.bool_),  # ASEAN member (observers are simulated but not asked)
    ("threshold", np.float64),  # sanction threshold drawn for the run
    ("russia_ties", np.float64),  # per-run constants of the rules (sim.rules)
    ("tolerance", np.float64),
    ("deterred", np.float64),
    ("static_num", np.float64),  # sums of the fixed forces (sim.rules.fixed_pull)
    ("static_den", np.float64),
    ("stance", np.float64),  # state at the start of the week
    ("level", np.int64),
    ("outreach_stock", np.float64),
    ("visible", np.float64),
    ("target", np.float64),  # last week's target stance and total force weight
    ("weight_total", np.float64),
    ("boundary", np.float64),  # extra stance needed to reach the sanction rung
    ("received", np.float64),  # budget Japan spent on the country this week
    ("peer_mean", np.float64),  # peer signal (kernel only: recomputed when levels change)
    ("peer_pulling", np.float64),
)
"""A country's fields as the rules read them: a Mesa agent has the same attributes."""

COUNTRY_DTYPE = np.dtype(list(COUNTRY_FIELDS), align=True)

set_attributes = generate_rule(
    "set_attributes",
    "countries, attrs",
    [
        "for i in range(attrs.shape[1]):",
        *(f"    countries[i].{a} = attrs[{k}, i]" for k, a in enumerate(ATTRIBUTE_NAMES)),
    ],
    {},
)
"""Copy the attribute rows ``attrs`` ``(A, N)`` into the country records."""


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
        budget=float(config.budget),
        institution=float(INSTITUTIONS[config.institution]),
        strategy=STRATEGY_IDS[config.strategy],
        options=strategy_options(config.strategy, config.strategy_options, names),
        lad=config.ladder.spec(),
        k_adoptions=int(k_adoptions),
    )
    return world, params_record(config.params.values())


JAPAN_DTYPE = np.dtype(
    [("week", np.int64), ("credibility", np.float64), ("available", np.float64),
     ("visibility_mult", np.float64)]
)  # fmt: skip
"""Japan's weekly values a strategy reads (a Mesa ``JapanAgent`` has the same attributes)."""

Scratch = namedtuple(
    "Scratch",
    ["attrs", "countries", "levels", "leverage", "usable", "wanted", "spend", "totals", "flows",
     "work", "leak", "japan", "wanted_bits", "last_bits"],
)  # fmt: skip
"""Working arrays of one run, allocated once per batch and reused run after run."""


@rule
def new_scratch(a, k, n):  # noqa: ANN001, ANN201
    wanted = np.empty((k, n))
    return Scratch(
        np.empty((a, n)), np.empty(n, COUNTRY_DTYPE), np.empty(n, np.int64), np.empty((k, n)),
        np.empty((k, n), np.bool_), wanted, np.empty((k, n)), np.empty(k),
        np.empty((3, n)), np.empty((8, n)), np.empty(n), np.empty(1, JAPAN_DTYPE),
        wanted.view(np.uint64), np.empty((k, n), np.uint64),
    )  # fmt: skip


@rule
def request_changed(bits, last):  # noqa: ANN001, ANN201
    """Whether Japan's request (its bits ``bits``, a view of ``wanted``) differs from the
    last one ``last`` in any bit; ``last`` becomes the request. Within a run, spending and
    what it buys are pure functions of the request and the budget (the run's usable
    instruments and leverage are fixed by :func:`prepare_run`; ``run_one`` buys afresh in
    every run's first week), so an unchanged request need not be bought again."""
    changed = False
    for k in range(bits.shape[0]):
        for i in range(bits.shape[1]):
            b = bits[k, i]
            changed |= b != last[k, i]
            last[k, i] = b
    return changed


@rule
def prepare_run(world, p, key, w, first):  # noqa: ANN001, ANN201
    """A run's attributes, instrument leverage, per-run constants and initial state. The
    attributes and what follows from them are the same in every run unless priors are
    sampled, so they are set only for the ``first`` run of a batch then."""
    lad, n = world.lad, world.member.shape[0]
    if first or world.sample_priors:
        for a in range(world.values.shape[0]):
            for i in range(n):
                if world.sample_priors:
                    w.attrs[a, i] = sample_attribute(
                        key, a, i, world.lower[a, i], world.upper[a, i]
                    )
                else:
                    w.attrs[a, i] = world.values[a, i]
        set_attributes(w.countries, w.attrs)
        japan.instrument_reach(
            w.attrs, world.lev_row, world.req_row, world.inst.kind, w.leverage, w.usable
        )
        for i in range(n):
            c = w.countries[i]
            c.member = world.member[i]
            c.russia_ties = rules.russia_ties(c)
            c.tolerance = rules.reactance_tolerance(p, c)
            c.deterred = rules.deterred_share(p, c)
            c.static_num, c.static_den = rules.fixed_pull(p, c, lad)
    for i in range(n):
        c = w.countries[i]
        c.threshold = rules.initial_threshold(p, rng.uniform(key, rng.STREAM_THRESHOLD, 0, i))
        c.stance = rules.initial_stance(p, c, rng.uniform(key, rng.STREAM_INITIAL, 0, i), lad)
        c.outreach_stock = 0.0
        c.visible = 0.0
        c.received = 0.0
        c.target = c.stance
        c.weight_total = 1.0
        c.boundary = rules.sanction_boundary(p, c, p.coalition_base, world.institution)
        c.level = rules.rungs_below(c.stance, c.boundary, lad)
        w.levels[i] = c.level


@rule
def leakage(p, countries, leak, coalition, lad):  # noqa: ANN001, ANN201
    """Russian trade through non-adopters, summed over countries."""
    for i in range(leak.shape[0]):
        leak[i] = rules.leakage_flow(p, countries[i], coalition, lad)
    return block_sum(leak, 0, leak.shape[0])


TrajectoryArrays = namedtuple(
    "TrajectoryArrays",
    ["stance", "level", "outreach", "asean_level", "leakage", "spent", "available",
     "pressure", "coalition"],
)  # fmt: skip
"""The kernel's view of :class:`sim.results.Trajectories` (empty arrays: not kept)."""


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def run_one(world, p, seed, w, rec, traj, r):  # noqa: ANN001, ANN201
    """Simulate run ``r`` (seed ``seed``) over the calendar; record into ``rec`` (and
    ``traj`` when trajectories are kept). The order is the Mesa model's ``step``.

    Compiled without numba's reference counting (it allocates nothing: the arrays come
    from :func:`simulate_batch`). What depends only on the levels (coalition, ASEAN's
    level and share, leakage, peer signals) is recomputed only in weeks they moved.
    """
    lad, n, countries = world.lad, world.member.shape[0], w.countries
    keep = traj.level.shape[0] > 0
    key = rng.run_key(seed)
    prepare_run(world, p, key, w, r == 0)
    institution = world.institution
    g7 = 0.0
    pressure = p.japan_pressure_initial
    coalition = p.coalition_base
    collective = rules.collective_level(w.levels, world.member)
    leak = leakage(p, countries, w.leak, coalition, lad)
    available = japan.budget_available(p, world.budget, pressure)
    spent = 0.0
    g7_flow = 0.0
    bought_with = -1.0  # the budget of the request last bought (none yet)
    japan_week = w.japan[0]
    levels_moved = True
    adopters = rules.members_at_least(w.levels, world.member, lad.sanction_level)
    record = float(adopters)
    perceived = rules.coalition_share(p, rules.count_at_least(w.levels, lad.sanction_level), n)
    share = rules.regional_share(w.levels, world.member, lad)
    obs = Observation(
        japan_week, countries, w.leverage, world.centrality, world.visits, world.inst, world.index,
        lad, p, w.work,
    )  # fmt: skip
    for t in range(world.institution_events.shape[0] + 1):
        if t > 0:  # the week t - 1 -> t
            week = t - 1
            event = world.institution_events[week]
            signals_moved = levels_moved or week == 0  # (week 0 still has the base share)
            if not np.isnan(event):  # calendar
                signals_moved = signals_moved or event != institution
                institution = event
            vmult = japan.visibility_multiplier(p, pressure)
            available = japan.budget_available(p, world.budget, pressure)  # Japan allocates
            cred = japan.credibility(p, g7, institution)
            japan_week.week, japan_week.credibility = week, cred
            japan_week.available, japan_week.visibility_mult = available, vmult
            for k in range(w.wanted.shape[0]):
                for i in range(n):
                    w.wanted[k, i] = 0.0
            allocate(world.strategy, obs, world.options, w.wanted)
            changed = request_changed(w.wanted_bits, w.last_bits)
            if changed or t == 1 or available != bought_with:  # else last week's purchase
                japan.enforce_budget(w.wanted, w.usable, available, w.spend, w.totals)
                g7_flow, spent = japan.outreach_flows(
                    w.spend, w.totals, world.inst, w.leverage, world.member_share, w.flows
                )
                bought_with = available
            decay = japan.decay_rate(p, institution)
            g7 = japan.grown_stock(g7, decay, 1.0, g7_flow)
            for i in range(n):  # outreach lands, the country perceives and responds; what
                c = countries[i]  # it reads is its own state and the week-t levels
                c.outreach_stock = japan.grown_stock(c.outreach_stock, decay, cred, w.flows[0, i])
                c.visible = japan.felt_pressure(vmult, w.flows[1, i], c.level, lad)
                c.received = w.flows[2, i]
                if levels_moved:
                    c.peer_mean, c.peer_pulling = rules.peer_signal(world.ties, i, w.levels)
                if signals_moved:
                    c.boundary = rules.sanction_boundary(p, c, perceived, institution)
                s = Signals(
                    perceived, share, c.peer_mean, c.peer_pulling, collective, c.boundary,
                    institution,
                )  # fmt: skip
                d = rules.weekly_draws(key, week, i, c.level, lad)
                rules.respond(p, c, s, d, lad)
            levels_moved = False
            for i in range(n):
                levels_moved = levels_moved or w.levels[i] != countries[i].level
                w.levels[i] = countries[i].level
            if levels_moved:
                adopters = rules.members_at_least(w.levels, world.member, lad.sanction_level)
            pressure, record = japan.japan_pressure(p, pressure, record, float(adopters))
            if levels_moved or t == 1:  # (week 0 starts from the base coalition share)
                coalition = rules.coalition_share(
                    p, rules.count_at_least(w.levels, lad.sanction_level), n
                )
                perceived = coalition
                share = rules.regional_share(w.levels, world.member, lad)
                collective = rules.collective_level(w.levels, world.member)
                leak = leakage(p, countries, w.leak, coalition, lad)
        for i in range(n):  # record
            rec.level[t, i] = w.levels[i]
        rec.asean_level[t] = collective
        rec.leakage[t] = leak
        rec.spent[t] = spent
        rec.pressure[t] = pressure
        if keep:
            for i in range(n):
                traj.stance[r, t, i] = countries[i].stance
                traj.outreach[r, t, i] = countries[i].received
            traj.available[r, t] = available
            traj.coalition[r, t] = coalition


@njit(cache=True, nogil=True, error_model="numpy")
def simulate_batch(world, params, seeds, traj, summary):  # noqa: ANN001, ANN201
    """Simulate one run per seed; write trajectories (if ``traj`` holds them) and the
    per-run :data:`sim.results.SUMMARY_COLUMNS` into ``summary``."""
    a, n = world.values.shape
    k, steps = world.inst.efficiency.shape[0], world.institution_events.shape[0] + 1
    p = params[0]
    w = new_scratch(a, k, n)
    own = RunRecord(
        np.empty((steps, n), np.int8), np.empty(steps, np.int8), np.empty(steps),
        np.empty(steps), np.empty(steps),
    )  # fmt: skip
    keep = traj.level.shape[0] > 0
    for r in range(seeds.shape[0]):
        rec = own
        if keep:
            rec = RunRecord(
                traj.level[r], traj.asean_level[r], traj.leakage[r], traj.spent[r],
                traj.pressure[r],
            )  # fmt: skip
        run_one(world, p, seeds[r], w, rec, traj, r)
        summarise_run(rec, world.member, world.lad, world.k_adoptions, summary, r)
