"""The week, written once: the phases of a run that both drivers call.

The Mesa model (:meth:`sim.model.OutreachModel.step`) and the compiled kernel
(:func:`sim.kernel.run_one`) call :func:`start_run` once and :func:`step` once a week,
with the state declared in :mod:`sim.state`: ``run`` (the model, or a record of
:data:`sim.state.RUN_STATE`), ``jp`` (Japan: an agent or a record of
:data:`sim.state.JAPAN_STATE`) and ``countries`` (agents, or records of
:data:`sim.state.COUNTRY_STATE`). ``w`` holds a run's working arrays (:data:`Scratch`).
Every function here is a :func:`~sim.numerics.rule`: plain Python from the Mesa model,
compiled into the kernel.

What depends only on the levels (coalition, ASEAN's level and share, leakage, peer
signals) is recomputed only in weeks the levels moved, and Japan buys again only when
its request or budget changed; the numbers are the same as recomputing every week.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from sim import japan, rng, rules
from sim.countries import ATTRIBUTE_NAMES, sample_attribute
from sim.material import fixed_material, material_week, start_material
from sim.numerics import block_sum, generate_rule, hot_rule, rule
from sim.rules import Signals
from sim.state import (
    COUNTRY_DTYPE,
    COUNTRY_STATE,
    JAPAN_DTYPE,
    JAPAN_STATE,
    RUN_DTYPE,
    RUN_STATE,
    zero,
)
from sim.strategies import Observation, allocate

Scratch = namedtuple(
    "Scratch",
    ["attrs", "countries", "levels", "leverage", "usable", "wanted", "spend", "totals", "flows",
     "work", "leak", "japan", "wanted_bits", "last_bits", "run"],
)  # fmt: skip
"""Working arrays of one run, allocated once per batch and reused run after run (the
kernel's state records ``countries``, ``japan`` and ``run`` are unused by the Mesa model)."""


@rule
def new_scratch(a, k, n):  # noqa: ANN001, ANN201
    wanted = np.empty((k, n))
    return Scratch(
        np.empty((a, n)), np.empty(n, COUNTRY_DTYPE), np.empty(n, np.int64), np.empty((k, n)),
        np.empty((k, n), np.bool_), wanted, np.empty((k, n)), np.empty(k),
        np.empty((4, n)), np.empty((8 + k, n)), np.empty(n), np.empty(1, JAPAN_DTYPE),
        wanted.view(np.uint64), np.empty((k, n), np.uint64), np.empty(1, RUN_DTYPE),
    )  # fmt: skip


set_attributes = generate_rule(
    "set_attributes",
    "countries, attrs",
    [
        "for i in range(attrs.shape[1]):",
        *(f"    countries[i].{a} = attrs[{k}, i]" for k, a in enumerate(ATTRIBUTE_NAMES)),
    ],
    {},
)
"""Copy the attribute rows ``attrs`` ``(A, N)`` into the countries."""

reset_state = generate_rule(
    "reset_state",
    "countries, jp, run",
    [
        "for i in range(len(countries)):",
        "    c = countries[i]",
        *(f"    c.{name} = {zero(t)}" for name, t, _ in COUNTRY_STATE),
        *(f"jp.{name} = {zero(t)}" for name, t, _ in JAPAN_STATE),
        *(f"run.{name} = {zero(t)}" for name, t, _ in RUN_STATE),
    ],
    {},
)
"""Zero every declared state field (:mod:`sim.state`) at the start of a run."""


RunNow = namedtuple(
    "RunNow",
    ["perceived", "share", "collective", "institution", "levels_moved", "signals_moved"],
)
"""The run's state the countries read in a week (fields of :data:`sim.state.RUN_STATE`),
as plain values."""


@hot_rule
def signals(run, c):  # noqa: ANN001, ANN201
    """What country ``c`` perceives this week (:data:`sim.rules.Signals`)."""
    return Signals(
        run.perceived, run.share, c.peer_mean, c.peer_pulling, run.collective, c.boundary,
        run.institution,
    )  # fmt: skip


@hot_rule
def request_changed(bits, last):  # noqa: ANN001, ANN201
    """Whether Japan's request (its bits ``bits``, a view of ``wanted``) differs from the
    last one ``last`` in any bit; ``last`` becomes the request. Within a run, spending and
    what it buys are pure functions of the request and the budget (the run's usable
    instruments and leverage are fixed by :func:`start_run`; the first week always buys),
    so an unchanged request need not be bought again."""
    changed = False
    for k in range(bits.shape[0]):
        for i in range(bits.shape[1]):
            b = bits[k, i]
            changed |= b != last[k, i]
            last[k, i] = b
    return changed


@hot_rule
def total_leakage(p, countries, leak, coalition, lad):  # noqa: ANN001, ANN201
    """Russian trade through non-adopters, summed over countries."""
    for i in range(leak.shape[0]):
        leak[i] = rules.leakage_flow(p, countries[i], coalition, lad)
    return block_sum(leak, 0, leak.shape[0])


# --------------------------------------------------------------------------- start of a run
@rule
def prepare_countries(world, p, key, countries, w, first):  # noqa: ANN001, ANN201
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
        set_attributes(countries, w.attrs)
        japan.instrument_reach(
            w.attrs,
            world.lev_row,
            world.req_row,
            world.inst.kind,
            world.allowed,
            w.leverage,
            w.usable,
        )
        for i in range(n):
            c = countries[i]
            c.member = world.member[i]
            c.russia_ties = rules.russia_ties(c)
            c.tolerance = rules.reactance_tolerance(p, c)
            c.deterred = rules.deterred_share(p, c)
            c.static_num, c.static_den = rules.fixed_pull(p, c, lad)
            c.material_num, c.material_den = fixed_material(p, c)
    for i in range(n):
        c = countries[i]
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
def start_run(world, p, key, run, jp, countries, w, first):  # noqa: ANN001, ANN201
    """Week 0: every state field zero, then the countries (:func:`prepare_countries`),
    Japan and the run's signals."""
    reset_state(countries, jp, run)
    prepare_countries(world, p, key, countries, w, first)
    start_material(countries)
    lad, n = world.lad, world.member.shape[0]
    run.institution = world.institution
    run.coalition = p.coalition_base
    run.perceived = rules.coalition_share(p, rules.count_at_least(w.levels, lad.sanction_level), n)
    run.share = rules.regional_share(w.levels, world.member, lad)
    run.collective = rules.collective_level(w.levels, world.member)
    run.leakage = total_leakage(p, countries, w.leak, run.coalition, lad)
    run.adopters = rules.members_at_least(w.levels, world.member, lad.sanction_level)
    run.levels_moved = True
    run.signals_moved = True
    run.bought_with = -1.0
    run.g7_flow = 0.0
    jp.week = 0
    jp.credibility = 1.0
    jp.visibility_mult = 1.0
    jp.pressure = p.japan_pressure_initial
    jp.record = float(run.adopters)
    jp.g7_stock = 0.0
    jp.available = japan.budget_available(p, world.budget, jp.pressure, world.responsive)
    jp.spent = 0.0


# --------------------------------------------------------------------------- the week
@hot_rule
def start_of_week(world, run, week):  # noqa: ANN001, ANN201
    """1. Calendar: dated institutional events of the week take effect (never below the
    configured backing)."""
    event = world.institution_events[week]
    run.signals_moved = run.levels_moved or week == 0  # (week 0 still has the base share)
    if not np.isnan(event):
        run.signals_moved = run.signals_moved or event != run.institution
        run.institution = event


@hot_rule
def japan_allocates(world, p, run, jp, countries, w, week):  # noqa: ANN001, ANN201
    """2. Japan allocates: it observes every country and its strategy spends the week's
    budget (raised by domestic pressure under responsive effort), trimmed to what is usable
    and available (a replay, ``historical``, spends its dated amounts whatever the budget)."""
    jp.week = week
    jp.visibility_mult = japan.visibility_multiplier(p, jp.pressure)
    jp.available = japan.budget_available(p, world.budget, jp.pressure, world.responsive)
    jp.credibility = japan.credibility(p, jp.g7_stock, run.institution)
    for k in range(w.wanted.shape[0]):
        for i in range(w.wanted.shape[1]):
            w.wanted[k, i] = 0.0
    obs = Observation(
        jp,
        countries,
        w.leverage,
        world.centrality,
        world.visits,
        world.inst,
        world.index,
        world.lad,
        p,
        w.work,
        world.eligibility,
    )  # fmt: skip (the one place Japan's view is built)
    allocate(world.strategy, obs, world.options, w.wanted)
    changed = request_changed(w.wanted_bits, w.last_bits)
    rebudget = world.capped and jp.available != run.bought_with
    if changed or week == 0 or rebudget:  # else last week's purchase
        limit = jp.available if world.capped else np.inf  # a replay is never scaled down
        japan.enforce_budget(w.wanted, w.usable, limit, w.spend, w.totals)
        run.g7_flow, jp.spent = japan.outreach_flows(
            w.spend, w.totals, world.inst, w.leverage, world.member_share, w.flows
        )
        run.bought_with = jp.available


@hot_rule
def outreach_lands(p, run, jp, countries, flows, lad):  # noqa: ANN001, ANN201
    """3. Outreach lands: stocks decay and grow with credibility; visible pressure is felt
    by states not yet doing what Japan asks; G7 coordination builds Japan's stock."""
    decay = japan.decay_rate(p, run.institution)
    jp.g7_stock = japan.grown_stock(jp.g7_stock, decay, 1.0, run.g7_flow)
    cred, vmult = jp.credibility, jp.visibility_mult
    for i in range(flows.shape[1]):
        c = countries[i]
        c.outreach_stock = japan.grown_stock(c.outreach_stock, decay, cred, flows[0, i])
        c.visible = japan.felt_pressure(vmult, flows[1, i], c.level, lad)
        c.received = flows[2, i]


@hot_rule
def perceive(ties, p, run, c, i, levels):  # noqa: ANN001, ANN201
    """4. Country ``i`` perceives: its neighbours' levels and its sanction boundary, from
    the week's levels ``levels``."""
    if run.levels_moved:
        c.peer_mean, c.peer_pulling = rules.peer_signal(ties, i, levels)
    if run.signals_moved:
        c.boundary = rules.sanction_boundary(p, c, run.perceived, run.institution)


@hot_rule
def respond(lad, p, key, run, c, i, week):  # noqa: ANN001, ANN201
    """5. Country ``i`` responds: its stance moves toward its target, its level follows."""
    d = rules.weekly_draws(key, week, i, c.level, lad)
    rules.respond(p, c, signals(run, c), d, lad)


@hot_rule
def end_of_week(world, p, run, jp, countries, w, week):  # noqa: ANN001, ANN201
    """6. End of week: the levels are read (synchronous update); Japan's domestic pressure
    follows the members' moves; the coalition share, ASEAN's collective level and share
    and leakage (also when a material step moved) are updated."""
    lad, n = world.lad, w.levels.shape[0]
    moved = False
    for i in range(n):
        moved = moved or w.levels[i] != countries[i].level
        w.levels[i] = countries[i].level
    run.levels_moved = moved
    if moved:
        run.adopters = rules.members_at_least(w.levels, world.member, lad.sanction_level)
    jp.pressure, jp.record = japan.japan_pressure(p, jp.pressure, jp.record, float(run.adopters))
    if moved or week == 0:  # (week 0 starts from the base coalition share)
        run.coalition = rules.coalition_share(
            p, rules.count_at_least(w.levels, lad.sanction_level), n
        )
        run.perceived = run.coalition
        run.share = rules.regional_share(w.levels, world.member, lad)
        run.collective = rules.collective_level(w.levels, world.member)
        run.leakage = total_leakage(p, countries, w.leak, run.coalition, lad)
    elif run.material_moved:  # leakage follows the material track too
        run.leakage = total_leakage(p, countries, w.leak, run.coalition, lad)


@hot_rule
def step(world, p, key, run, jp, countries, w, week):  # noqa: ANN001, ANN201
    """The week ``week -> week + 1``, phase by phase (both drivers run exactly this)."""
    start_of_week(world, run, week)
    japan_allocates(world, p, run, jp, countries, w, week)
    outreach_lands(p, run, jp, countries, w.flows, world.lad)
    now = RunNow(  # the run's state as the countries read it this week
        run.perceived, run.share, run.collective, run.institution, run.levels_moved,
        run.signals_moved,
    )  # fmt: skip
    for i in range(w.levels.shape[0]):  # (each reads its own state and the week's levels)
        c = countries[i]
        perceive(world.ties, p, now, c, i, w.levels)
        respond(world.lad, p, key, now, c, i, week)
    material_week(p, key, run, jp, countries, w.flows, week)
    end_of_week(world, p, run, jp, countries, w, week)
