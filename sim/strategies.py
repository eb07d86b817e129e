"""Japan's diplomatic strategies: from what Japan observes to the budget it wants to spend.

A strategy is a :func:`~sim.numerics.rule` ``fn(obs, opts, out)`` for one run: it reads
the :class:`Observation` (arrays over the ``N`` countries) and its options, and writes
the wanted spending per instrument and country into ``out`` (shape ``(K, N)``, zeros on
entry). The schedule then drops spending on instruments a country cannot receive and
scales the rest down to the available budget, so a strategy cannot overspend.

Adding a strategy: write the function here, decorate it with
``@register("name", OptionsClass)`` (a frozen dataclass of its options, each declared
with :func:`option`), and add ``conf/strategy/name.yaml``. Both drivers pick it up.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.numerics import block_sum, generate_rule, rule
from sim.options import (
    Coordination,
    Dialogue,
    Greedy,
    HubTargeted,
    NoOptions,
    OneInstrument,
    Replay,
    Targeted,
    compiled_options,
    values_type,
)

Observation = namedtuple(
    "Observation",
    [
        "japan",  # Japan this week: ``week``, ``credibility`` (multiplier of its outreach),
        # ``available`` (budget), ``visibility_mult`` (how visible its outreach is)
        "countries",  # the N countries (agents, or records with the same fields): their
        # attributes, stance, level, target, weight_total, outreach_stock, visible, boundary
        "leverage",  # (K, N) effect multiplier of each instrument, 0 where unusable
        "centrality",  # (N,) eigenvector centrality in the ASEAN network
        "visits",  # (T, K, N) Japan's dated visits by week (calendar), budget units
        "inst",  # InstrumentSpec
        "index",  # InstrumentIndex
        "lad",  # sim.ladder.LadderSpec
        "p",  # model parameters
        "work",  # (8 + K, N) scratch rows a strategy may overwrite (row 7: top_k's;
        # rows 8 + k: adaptive's gain of instrument k)
        "eligibility",  # the shared eligibility rule, a value of ELIGIBILITY
    ],
)
"""What Japan sees at the start of a week (one run)."""

InstrumentSpec = namedtuple("InstrumentSpec", ["efficiency", "visibility", "kind", "material"])
"""Instruments as arrays over ``K``: effect per budget unit, visibility per budget unit and
kind (0 country, 1 ASEAN channel, 2 global)."""

INSTRUMENT_KINDS = {"country": 0, "asean": 1, "global": 2}

ELIGIBILITY = {"not_at_ask": 0, "not_heading": 1}
"""The eligibility rule every targeting strategy shares (run config ``eligibility``): which
members Japan spends on. ``not_at_ask``: every member not at Japan's ask (the sanction
rung), what a desk officer observes; ``not_heading``: those, less the members already
heading there on their own (last week's target at or above the sanction edge, a latent
quantity of the model)."""

InstrumentIndex = namedtuple(
    "InstrumentIndex", ["visit", "two_plus_two", "aid", "g7_coordination", "asean_channel"]
)
"""Positions of the standard instruments among the configured ones (-1 if absent)."""


@dataclass(frozen=True)
class Strategy:
    """A registered strategy: its allocation rule, its options class and the standard
    instruments it spends on (besides an ``instrument`` option)."""

    name: str
    fn: Callable[..., None]
    options: type
    requires: tuple[str, ...] = ()
    capped: bool = True  # spending is scaled down to the weekly budget (not a replay)

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]


STRATEGIES: dict[str, Strategy] = {}
"""The registry: strategy name -> :class:`Strategy` (registration order is kept)."""


def register(
    name: str, options: type = NoOptions, requires: tuple[str, ...] = (), capped: bool = True
) -> Callable[[Callable], Callable]:
    """Register a strategy rule under ``name`` with its options dataclass, the standard
    instruments (:data:`InstrumentIndex` fields) it needs and whether its spending is
    capped by the weekly budget (``False``: a replay of dated spending)."""

    def deco(fn: Callable) -> Callable:
        compiled = rule(fn)
        values_type(options)
        STRATEGIES[name] = Strategy(name, compiled, options, requires, capped)
        return compiled

    return deco


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"strategy: unknown {name!r}; allowed: {', '.join(sorted(STRATEGIES))}"
        ) from None


def make_options(name: str, given: dict[str, Any] | None = None) -> Any:
    """The options of strategy ``name``: defaults updated with ``given`` (checked)."""
    cls = get_strategy(name).options
    allowed = [f.name for f in fields(cls)]
    for key in given or {}:
        if key not in allowed:
            raise ValueError(
                f"strategy_options.{name}.{key}: not an option of {name!r}; "
                f"allowed: {', '.join(allowed) or '(none)'}"
            )
    try:
        return cls(**(given or {}))
    except ValueError as exc:
        raise ValueError(f"strategy_options.{name}.{exc}") from None


def option_defaults(name: str) -> dict[str, Any]:
    """The options of strategy ``name`` and their defaults."""
    return {f.name: f.default for f in fields(get_strategy(name).options)}


def resolve_options(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options of strategy ``name`` as a dict: defaults updated with ``given`` (checked)."""
    options = make_options(name, dict(given))
    return {f.name: getattr(options, f.name) for f in fields(options)}


# --------------------------------------------------------------------------- helpers
@rule
def eligible(obs, i, k):  # noqa: ANN001, ANN201
    """The one eligibility rule of every targeting strategy: country ``i`` is a member not
    at Japan's ask (the sanction rung), instrument ``k`` can reach it (``k < 0``: any) and,
    under ``not_heading``, it is not already heading to the ask on its own (last week's
    target below the sanction edge). Feasibility restrictions act through ``leverage``."""
    c, lad = obs.countries[i], obs.lad
    if not c.member or c.level >= lad.sanction_level:
        return False
    if k >= 0 and obs.leverage[k, i] <= 0.0:
        return False
    return obs.eligibility == 0 or c.target < lad.sanction_level + c.boundary


@rule
def spread(countries, weights, k, budget, out):  # noqa: ANN001, ANN201
    """Spend ``budget`` on instrument ``k`` in proportion to ``weights`` (negative weights
    count as 0, observers get nothing). Overwrites ``weights``."""
    n = weights.shape[0]
    for i in range(n):
        v = weights[i]
        weights[i] = (v if v >= 0.0 else 0.0) if countries[i].member else 0.0
    total = block_sum(weights, 0, n)
    for i in range(n):
        frac = weights[i] / total if total > 0 else 0.0
        out[k, i] = frac * budget


@rule
def top_k(obs, score, k, inst, chosen):  # noqa: ANN001, ANN201
    """``chosen[i]`` = 1 for the ``k`` highest-scoring eligible members for instrument
    ``inst`` (ties: first listed). Eligibility is read once per country (work row 7)."""
    n = score.shape[0]
    able = obs.work[7]
    for i in range(n):
        able[i] = 1.0 if eligible(obs, i, inst) else 0.0
    for i in range(n):
        chosen[i] = 0.0
        if able[i] == 0.0:
            continue
        rank = 0
        for j in range(n):
            if able[j] != 0.0 and (score[j] > score[i] or (score[j] == score[i] and j < i)):
                rank += 1  # (j == i counts neither: its score is not above its own)
        if rank < k:
            chosen[i] = 1.0


@rule
def eligible_weights(obs, inst, weights):  # noqa: ANN001, ANN201
    """``weights[i]`` = 1 for each member eligible for instrument ``inst``, else 0."""
    for i in range(weights.shape[0]):
        weights[i] = 1.0 if eligible(obs, i, inst) else 0.0


# --------------------------------------------------------------------------- strategies
@register("none")
def none(obs, opts, out):  # noqa: ANN001, ANN201
    """Null model: no outreach at all."""
    return None


@register("uniform", OneInstrument)
def uniform(obs, opts, out):  # noqa: ANN001, ANN201
    """The same effort on every eligible member."""
    w = obs.work[0]
    eligible_weights(obs, opts.instrument, w)
    spread(obs.countries, w, opts.instrument, 1.0 * obs.japan.available, out)


@register("receptive_first", Targeted)
def receptive_first(obs, opts, out):  # noqa: ANN001, ANN201
    """Concentrate on the ``k`` eligible members whose stance is highest (closest to yes)."""
    score, w = obs.work[1], obs.work[0]
    for i in range(score.shape[0]):
        score[i] = obs.countries[i].stance
    top_k(obs, score, opts.k, opts.instrument, w)
    spread(obs.countries, w, opts.instrument, 1.0 * obs.japan.available, out)


@register("hard_cases_first", Targeted)
def hard_cases_first(obs, opts, out):  # noqa: ANN001, ANN201
    """Concentrate on the ``k`` members whose stance is lowest (the hardest cases)."""
    score, w = obs.work[1], obs.work[0]
    for i in range(score.shape[0]):
        score[i] = -obs.countries[i].stance
    top_k(obs, score, opts.k, opts.instrument, w)
    spread(obs.countries, w, opts.instrument, 1.0 * obs.japan.available, out)


@register("hub_first", HubTargeted)
def hub_first(obs, opts, out):  # noqa: ANN001, ANN201
    """Target where leakage is largest: hubs with Russian trade, weighted by centrality."""
    score, w = obs.work[1], obs.work[0]
    for i in range(score.shape[0]):
        c = obs.countries[i]
        score[i] = (
            c.russia_trade_bn
            * (0.1 + c.transit_hub)
            * (1.0 + opts.centrality_weight * obs.centrality[i])
        )
    top_k(obs, score, opts.k, opts.instrument, w)
    spread(obs.countries, w, opts.instrument, 1.0 * obs.japan.available, out)


@register("security_partners", Dialogue, requires=("two_plus_two", "visit"))
def security_partners(obs, opts, out):  # noqa: ANN001, ANN201
    """2+2 dialogues with security partners, the rest as visits to the same partners."""
    k2 = obs.index.two_plus_two
    w = obs.work[0]
    for i in range(w.shape[0]):
        c = obs.countries[i]
        partner = eligible(obs, i, k2) and eligible(obs, i, obs.index.visit)
        w[i] = c.security_partner if partner else 0.0
    spread(obs.countries, w, k2, opts.dialogue_share * obs.japan.available, out)
    visits_share = 1.0 - opts.dialogue_share
    spread(obs.countries, w, obs.index.visit, visits_share * obs.japan.available, out)


@register("incentives", requires=("aid",))
def incentives(obs, opts, out):  # noqa: ANN001, ANN201
    """Aid and loans (side payments) in proportion to each non-adopter's aid leverage."""
    k = obs.index.aid
    w = obs.work[0]
    for i in range(w.shape[0]):
        w[i] = obs.leverage[k, i] if eligible(obs, i, k) else 0.0
    spread(obs.countries, w, k, 1.0 * obs.japan.available, out)


@register("asean_multilateral", requires=("asean_channel",))
def asean_multilateral(obs, opts, out):  # noqa: ANN001, ANN201
    """Everything through the ASEAN multilateral channel (low cost, low visibility)."""
    out[obs.index.asean_channel, 0] = obs.japan.available


@register("g7_coalition", Coordination, requires=("visit", "g7_coordination"))
def g7_coalition(obs, opts, out):  # noqa: ANN001, ANN201
    """Coordinate with the US/EU (credibility) and visit every eligible member."""
    w = obs.work[0]
    eligible_weights(obs, obs.index.visit, w)
    visits_share = 1.0 - opts.coordination_share
    spread(obs.countries, w, obs.index.visit, visits_share * obs.japan.available, out)
    out[obs.index.g7_coordination, 0] += opts.coordination_share * obs.japan.available


@rule
def marginal_gain(obs, extra_stock, extra_visible, proximity, i, w):  # noqa: ANN001, ANN201
    """Country ``i``'s marginal terms for :func:`adaptive` into the work rows ``w``: the
    target gain per unit of outreach (row 3), the reactance it provokes (row 4) and the
    gain counted for the ASEAN channel (row 5, members only)."""
    p, c = obs.p, obs.countries[i]
    w_total = max(c.weight_total, 1e-9)
    stock = c.outreach_stock + extra_stock[i]
    slope = (
        p.outreach_weight
        * p.outreach_saturation
        / ((stock + p.outreach_saturation) * (stock + p.outreach_saturation))
    )
    chosen = 1.0 if eligible(obs, i, -1) else 0.0
    w[3, i] = slope * (obs.lad.top - c.target) / w_total * proximity[i] * chosen
    tolerance = p.reactance_tolerance * (0.5 + c.democracy)
    over = 1.0 if c.visible + extra_visible[i] >= tolerance else 0.0
    gap = max(c.target - p.reactance_anchor, 0.0)
    w[4, i] = p.reactance_weight * gap / w_total * over
    w[5, i] = w[3, i] * (1.0 if c.member else 0.0)


@register("adaptive", Greedy)
def adaptive(obs, opts, out):  # noqa: ANN001, ANN201
    """Reallocate every week, chunk by chunk, to the best marginal gain in adoption.

    Gain of a budget unit on (country, instrument): the rise of the country's target
    stance it buys (derivative of the outreach force), weighted by closeness to the next
    rung edge, minus the reactance it provokes once visible pressure passes tolerance.
    """
    inst, lad, countries = obs.inst, obs.lad, obs.countries
    n, kinds = obs.work.shape[1], inst.efficiency.shape[0]
    extra_stock, extra_visible = obs.work[0], obs.work[1]
    proximity, per_unit, react, on_members = obs.work[2], obs.work[3], obs.work[4], obs.work[5]
    n_members = 0
    for i in range(n):
        c = countries[i]
        extra_stock[i] = 0.0
        extra_visible[i] = 0.0
        if c.member:
            n_members += 1
        edge = c.level + 1 + c.boundary if c.level + 1 >= lad.sanction_level else c.level + 1.0
        distance = max(edge - c.stance, 0.0)
        proximity[i] = 1.0 / (1.0 + 4.0 * distance * distance)
    n_members = max(n_members, 1)
    for i in range(n):
        marginal_gain(obs, extra_stock, extra_visible, proximity, i, obs.work)
    chunk = obs.japan.available / opts.chunks
    gains = obs.work  # row 8 + k: the gain of instrument k per country, kept between chunks
    moved = -1  # the country whose marginal terms the last chunk changed (-1: first chunk)
    for _ in range(opts.chunks):
        shared = block_sum(on_members, 0, n)
        best_i, best_k, best = 0, 0, -np.inf
        for i in range(n):
            for k in range(kinds):
                if i == 0 and inst.kind[k] == 1:
                    gain = shared * obs.japan.credibility * inst.efficiency[k] / n_members * 1.0
                elif moved < 0 or i == moved:  # else as in the last chunk
                    gain = (
                        per_unit[i]
                        * obs.japan.credibility
                        * inst.efficiency[k]
                        * obs.leverage[k, i]
                        - react[i] * inst.visibility[k] * obs.japan.visibility_mult
                    ) * (1.0 if inst.kind[k] == 0 else 0.0)
                    gains[8 + k, i] = gain
                else:
                    gain = gains[8 + k, i]
                if gain > best:
                    best_i, best_k, best = i, k, gain
        add = chunk if best > 0 else 0.0
        out[best_k, best_i] += add
        moved = n  # no country's terms changed
        if inst.kind[best_k] == 0:  # only this country's marginal terms change
            moved = best_i
            bought = obs.japan.credibility * inst.efficiency[best_k] * obs.leverage[best_k, best_i]
            extra_stock[best_i] += bought * add
            extra_visible[best_i] += inst.visibility[best_k] * add
            marginal_gain(obs, extra_stock, extra_visible, proximity, best_i, obs.work)


@register("historical", Replay, requires=("g7_coordination",), capped=False)
def historical(obs, opts, out):  # noqa: ANN001, ANN201
    """Replay Japan's dated 2022 outreach (``japan_visit`` events) in full on their dates.

    The weekly budget does not cap a replay; ``background_g7`` (G7 coordination every
    week) has no dated record and is 0 unless set as a counterfactual."""
    for k in range(out.shape[0]):
        for i in range(out.shape[1]):
            out[k, i] = obs.visits[obs.japan.week, k, i]
    out[obs.index.g7_coordination, 0] += opts.background_g7


# --------------------------------------------------------------------------- dispatch
StrategyOptions = namedtuple("StrategyOptions", list(STRATEGIES), module=__name__)
"""One options tuple per registered strategy: what the ensemble kernel's dispatch takes."""

STRATEGY_IDS: dict[str, int] = {name: k for k, name in enumerate(STRATEGIES)}

allocate = generate_rule(
    "allocate",
    "strategy, obs, options, out",
    [
        f"{'if' if k == 0 else 'elif'} strategy == {k}:\n        _{name}(obs, options.{name}, out)"
        for k, name in enumerate(STRATEGIES)
    ],
    {f"_{name}": s.fn for name, s in STRATEGIES.items()},
)
"""``allocate(strategy_id, obs, options, out)``: the registered strategy ``strategy_id``."""


def strategy_options(selected: str, options: Any, instrument_names: tuple[str, ...]) -> tuple:
    """The :data:`StrategyOptions` of a run: ``options`` for the selected strategy, the
    defaults for the others (unused, but every branch of the dispatch needs a value)."""
    missing = [k for k in get_strategy(selected).requires if k not in instrument_names]
    if missing:
        raise ValueError(
            f"instruments: strategy {selected!r} needs instrument {missing[0]!r}; "
            f"configured: {', '.join(instrument_names)}"
        )
    return StrategyOptions(
        *(
            compiled_options(
                options if name == selected else s.options(),
                instrument_names,
                strict=name == selected,
            )
            for name, s in STRATEGIES.items()
        )
    )


STRATEGY_OPTIONS: dict[str, dict[str, Any]] = {name: option_defaults(name) for name in STRATEGIES}
"""Every strategy's options and defaults (for config layers and documentation)."""
