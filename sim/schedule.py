"""The weekly schedule, as phases shared by both drivers (Mesa model and ensemble engine).

Order within a week ``t -> t + 1`` (ODD "process overview and scheduling"):

1. ``calendar``: dated events of week ``t`` take effect (institutional backing).
2. ``japan_allocate``: Japan observes the state and its strategy allocates the budget.
3. ``apply_outreach``: outreach stocks decay and grow; visible pressure is computed.
4. ``environment``: every country perceives coalition size, peers, the ASEAN collective
   level and its sanction threshold, all computed from the levels of week ``t``.
5. ``respond``: each country moves its stance toward its target and updates its level
   (synchronous update: all from week ``t`` values).
6. ``conclude``: leakage, ASEAN collective level and Japan's domestic pressure.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from sim import rng as rngmod
from sim import rules
from sim.params import INSTITUTIONS, SimulationConfig
from sim.strategies import Observation, get_strategy, resolve_options


@dataclass(frozen=True)
class Setup:
    """Per-batch constants: attributes, thresholds and instrument arrays."""

    keys: np.ndarray  # (R,) run keys
    attrs: dict[str, np.ndarray]  # (R, N) each
    thresholds: np.ndarray  # (R, N)
    leverage: np.ndarray  # (K, R, N)
    usable: np.ndarray  # (K, R, N)
    instruments: rules.InstrumentArrays
    member: np.ndarray  # (N,)
    network: np.ndarray  # (N, N)
    centrality: np.ndarray  # (N,)
    options: dict = field(default_factory=dict)
    static: tuple[np.ndarray, np.ndarray] | None = None  # sums of static forces (num, den)
    constants: dict[str, np.ndarray] = field(default_factory=dict)  # rules.run_constants


@dataclass
class WorldState:
    """State of ``R`` replicates at the start of a week."""

    stance: np.ndarray  # (R, N) float64
    level: np.ndarray  # (R, N) int64
    outreach_stock: np.ndarray  # (R, N)
    g7_stock: np.ndarray  # (R,)
    pressure: np.ndarray  # (R,)
    institution: np.ndarray  # (R,)
    target: np.ndarray  # (R, N)
    weight_total: np.ndarray  # (R, N)
    visible: np.ndarray  # (R, N)
    boundary: np.ndarray  # (R, N)
    collective: np.ndarray  # (R,)
    coalition: np.ndarray  # (R,)
    leakage: np.ndarray  # (R,)
    spent: np.ndarray  # (R,)
    available: np.ndarray  # (R,)
    outreach: np.ndarray  # (R, N) budget spent on each country this week


@dataclass(frozen=True)
class Signals:
    """What each country perceives this week (computed from week-``t`` levels)."""

    coalition: np.ndarray  # (R,)
    peer_mean: np.ndarray  # (R, N)
    peer_pulling: np.ndarray  # (R, N)
    collective: np.ndarray  # (R,)
    boundary: np.ndarray  # (R, N)


def eigenvector_centrality(network: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Eigenvector centrality by power iteration (deterministic), scaled to max 1."""
    n = network.shape[0]
    x = np.ones(n)
    if not network.any():
        return np.zeros(n)
    for _ in range(iterations):
        x = (network + np.eye(n)) @ x
        x = x / x.max()
    return x


def prepare(config: SimulationConfig, seeds: np.ndarray) -> tuple[Setup, WorldState]:
    """Initial state of a batch of runs, one per seed (documented draw order)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    keys = rngmod.run_keys(seeds)
    r, n = len(seeds), config.countries.n
    p = config.params
    # Per-country constants are stored at full (R, N) size: NumPy is several times
    # faster on two arrays of one shape than when broadcasting a (1, N) row over runs.
    attrs = {
        k: np.ascontiguousarray(np.broadcast_to(v, (r, n)))
        for k, v in config.countries.attributes(keys if config.sample_priors else None).items()
    }
    inst = rules.InstrumentArrays.from_specs(config.instruments)
    leverage = inst.leverage_matrix(attrs)  # (K, R, N)
    usable = rules.usable_mask(inst, leverage)
    thresholds = rules.initial_thresholds(rngmod.uniform(keys, rngmod.STREAM_THRESHOLD, 0, n), p)
    u0 = rngmod.uniform(keys, rngmod.STREAM_INITIAL, 0, n)
    stance = np.clip(
        p.initial_stance + p.initial_spread * (2.0 * u0 - 1.0),
        0.0,
        np.nextafter(config.ladder.top, 0.0),
    )
    institution = np.full(r, INSTITUTIONS[config.institution])
    member = config.countries.member
    coalition = np.full(r, p.coalition_base)
    un_legalism = np.broadcast_to(attrs["un_legalism"], (r, n))
    boundary = rules.sanction_boundary(thresholds, coalition, un_legalism, institution, p)
    level = rules.level_of(stance, boundary, config.ladder.n_levels, config.ladder.sanction_level)
    pressure = np.full(r, p.japan_pressure_initial)
    constants = rules.run_constants(attrs, p)
    setup = Setup(
        keys=keys,
        attrs=attrs,
        thresholds=thresholds,
        leverage=leverage,
        usable=usable,
        instruments=inst,
        member=member,
        network=config.countries.network,
        centrality=eigenvector_centrality(config.countries.network),
        options=resolve_options(config.strategy, config.options),
        static=rules.accumulate(
            rules.static_forces(attrs, p, config.ladder.top), rules.STATIC_FORCES
        ),
        constants=constants,
    )
    state = WorldState(
        stance=stance,
        level=level,
        outreach_stock=np.zeros((r, n)),
        g7_stock=np.zeros(r),
        pressure=pressure,
        institution=institution,
        target=stance.copy(),
        weight_total=np.ones((r, n)),
        visible=np.zeros((r, n)),
        boundary=boundary,
        collective=rules.collective_level(level, member),
        coalition=coalition,
        leakage=rules.leakage(level, attrs, coalition, config.ladder.sanction_level, p, constants),
        spent=np.zeros(r),
        available=rules.budget_available(config.budget, pressure, p),
        outreach=np.zeros((r, n)),
    )
    return setup, state


def calendar(config: SimulationConfig, state: WorldState, step: int) -> None:
    """Apply dated institutional changes of week ``step``.

    A dated event raises the backing; it never lowers it below the configured
    ``institution`` (so a UNSC-mandate counterfactual is not undone by a later UNGA vote).
    """
    baseline = INSTITUTIONS[config.institution]
    for e in config.calendar.events_at(step, "institution"):
        state.institution = np.full_like(state.institution, max(baseline, INSTITUTIONS[e.name]))


def japan_allocate(
    config: SimulationConfig, setup: Setup, state: WorldState, step: int
) -> np.ndarray:
    """Japan's spending this week, ``(K, R, N)``, within the available budget."""
    p = config.params
    available = rules.budget_available(config.budget, state.pressure, p)
    obs = Observation(
        step=step,
        date=config.calendar.date(step),
        stance=state.stance,
        level=state.level,
        target=state.target,
        weight_total=state.weight_total,
        outreach_stock=state.outreach_stock,
        visible=state.visible,
        boundary=state.boundary,
        credibility=rules.credibility(state.g7_stock, state.institution, p),
        available=available,
        visibility_mult=1.0 + p.japan_visibility_gain * state.pressure,
        attrs=setup.attrs,
        leverage=setup.leverage,
        member=setup.member,
        centrality=setup.centrality,
        instruments=config.instruments,
        events=config.calendar.events_at(step),
        codes=config.countries.codes,
        sanction_level=config.ladder.sanction_level,
        top=config.ladder.top,
        params=p,
    )
    wanted = get_strategy(config.strategy)(obs, setup.options)
    if wanted.shape != obs.shape:
        raise ValueError(
            f"strategy {config.strategy!r} returned shape {wanted.shape}, expected {obs.shape}"
        )
    state.available = available
    # A fresh float array that only this frame refers to (a temporary the strategy built)
    # is trimmed in place; anything else (a view, or an array the strategy keeps) is copied.
    fresh = (
        sys.getrefcount(wanted) == 2
        and wanted.base is None
        and wanted.dtype == np.float64
        and wanted.flags.writeable
    )
    return rules.enforce_budget(wanted, setup.usable, available, in_place=fresh)


def apply_outreach(
    config: SimulationConfig, setup: Setup, state: WorldState, spend: np.ndarray
) -> None:
    """Decay and grow outreach stocks with this week's spending; compute visibility."""
    p = config.params
    flows = rules.outreach_flows(
        spend,
        setup.instruments,
        setup.leverage,
        setup.member,
        rules.credibility(state.g7_stock, state.institution, p),
        1.0 + p.japan_visibility_gain * state.pressure,
    )
    decay = rules.decay_rate(state.institution, p)
    n = state.outreach_stock.shape[-1]
    state.outreach_stock = state.outreach_stock * rules.by_country(1.0 - decay, n) + flows.impact
    state.g7_stock = state.g7_stock * (1.0 - decay) + flows.g7
    # Outreach to a state already at Japan's ask (sanctioning) is not felt as pressure.
    state.visible = flows.visible * (state.level < config.ladder.sanction_level)
    state.spent = flows.spent
    state.outreach = flows.outreach


def environment(config: SimulationConfig, setup: Setup, state: WorldState) -> Signals:
    """Signals every country perceives, from the levels at the start of the week."""
    p = config.params
    coalition = rules.coalition_share(state.level, config.ladder.sanction_level, p)
    peer_mean, peer_pulling = rules.peer_signal(state.level, setup.network)
    boundary = rules.sanction_boundary(
        setup.thresholds, coalition, setup.attrs["un_legalism"], state.institution, p
    )
    return Signals(coalition, peer_mean, peer_pulling, state.collective, boundary)


def respond(
    config: SimulationConfig,
    attrs: dict[str, np.ndarray],
    stance: np.ndarray,
    level: np.ndarray,
    outreach_stock: np.ndarray,
    visible: np.ndarray,
    peer_mean: np.ndarray,
    peer_pulling: np.ndarray,
    boundary: np.ndarray,
    member: np.ndarray,
    coalition: np.ndarray,
    collective: np.ndarray,
    institution: np.ndarray,
    shock: np.ndarray,
    slip_u: np.ndarray,
    static: tuple[np.ndarray, np.ndarray] | None = None,
    constants: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A country's (or every country's) response: new stance, level, target, weight.

    Elementwise in countries, so a Mesa agent calls it on its own column and the
    ensemble engine on all columns of all replicates at once. ``static`` are the
    per-run sums of the static forces (``Setup.static``, or the agent's column of it),
    ``constants`` the run's ``Setup.constants`` (or their column).
    """
    p, lad = config.params, config.ladder
    # With the per-run static sums at hand only the weekly forces are computed.
    force_fn = rules.forces if static is None else rules.dynamic_forces
    pulls = force_fn(
        attrs, level, outreach_stock, visible, coalition, peer_mean, peer_pulling,
        collective, member, p, lad.top, institution, constants,
    )  # fmt: skip
    target, weight = rules.target_stance(pulls, static)
    slip = rules.backslide(slip_u, level, institution, min(2, lad.sanction_level), p)
    new_stance = rules.next_stance(stance, target, shock, slip, p, lad.top)
    new_level = rules.next_level(
        new_stance, level, boundary, lad.n_levels, lad.sanction_level, p.hysteresis
    )
    return new_stance, new_level, target, weight


def draws(setup: Setup, step: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """This week's stance shocks and backsliding uniforms, ``(R, N)`` each."""
    shock = rngmod.centred_shock(rngmod.uniform(setup.keys, rngmod.STREAM_SHOCK, step, n))
    slip_u = rngmod.uniform(setup.keys, rngmod.STREAM_BACKSLIDE, step, n)
    return shock, slip_u


def conclude(
    config: SimulationConfig,
    setup: Setup,
    state: WorldState,
    signals: Signals,
    stance: np.ndarray,
    level: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
) -> None:
    """Commit the responses; update leakage, the ASEAN collective level and pressure."""
    lad, p = config.ladder, config.params
    condemn = lad.sanction_level - 1
    before = rules.count_countries(state.level >= condemn, setup.member)
    after = rules.count_countries(level >= condemn, setup.member)
    state.pressure = rules.japan_pressure(state.pressure, before, after, p)
    state.stance, state.level, state.target, state.weight_total = stance, level, target, weight
    state.boundary = signals.boundary
    state.coalition = rules.coalition_share(level, lad.sanction_level, p)
    state.collective = rules.collective_level(level, setup.member)
    state.leakage = rules.leakage(
        level, setup.attrs, state.coalition, lad.sanction_level, p, setup.constants
    )
