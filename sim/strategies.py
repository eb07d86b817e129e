"""Japan's diplomatic strategies: functions from the observed state to an allocation.

A strategy receives an :class:`Observation` (arrays with a leading replicate axis) and
returns the budget it wants to spend on each instrument and country, shape ``(K, R, N)``:
one ``(R, N)`` block per instrument, so that each instrument's spending is contiguous (for
the ASEAN channel and G7 coordination only the total over countries matters). The
engine drops spending on instruments a country cannot receive and scales the rest down
to the available budget, so a strategy cannot overspend.

Adding a strategy: write one function here decorated with ``@register("name")`` and add
``conf/strategy/name.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.params import Event, Instrument, ModelParams
from sim.rules import by_country, sum_countries


@dataclass(frozen=True)
class Observation:
    """What Japan sees at the start of a week (all arrays batched over replicates)."""

    step: int
    date: dt.date
    stance: np.ndarray  # (R, N)
    level: np.ndarray  # (R, N)
    target: np.ndarray  # (R, N) last week's target stance
    weight_total: np.ndarray  # (R, N) last week's total force weight
    outreach_stock: np.ndarray  # (R, N)
    visible: np.ndarray  # (R, N) last week's visible pressure
    boundary: np.ndarray  # (R, N) extra stance needed to reach the sanction rung
    credibility: np.ndarray  # (R,)
    available: np.ndarray  # (R,) budget available this week
    visibility_mult: np.ndarray  # (R,)
    attrs: dict[str, np.ndarray]  # (R, N) or (1, N) each
    leverage: np.ndarray  # (K, R, N) effect multiplier, 0 where unusable
    member: np.ndarray  # (N,) bool
    centrality: np.ndarray  # (N,) eigenvector centrality in the ASEAN network
    instruments: tuple[Instrument, ...]
    events: tuple[Event, ...]  # events in the week ending now
    codes: tuple[str, ...]
    sanction_level: int
    top: float
    params: ModelParams

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of an allocation: ``(K, R, N)``."""
        return (len(self.instruments), *self.stance.shape)

    def k(self, name: str) -> int:
        for k, ins in enumerate(self.instruments):
            if ins.name == name:
                return k
        raise ValueError(
            f"instrument: unknown {name!r}; allowed: {', '.join(i.name for i in self.instruments)}"
        )

    @property
    def adopted(self) -> np.ndarray:
        return self.level >= self.sanction_level


StrategyFn = Callable[[Observation, dict[str, Any]], np.ndarray]
STRATEGIES: dict[str, StrategyFn] = {}
"""The registry: strategy name -> function(observation, options) -> allocation."""

STRATEGY_OPTIONS: dict[str, dict[str, Any]] = {}
"""Options each strategy accepts, with defaults (unknown options are rejected)."""


def register(name: str, **defaults: Any) -> Callable[[StrategyFn], StrategyFn]:
    """Register a strategy under ``name`` with its options and their defaults."""

    def deco(fn: StrategyFn) -> StrategyFn:
        STRATEGIES[name] = fn
        STRATEGY_OPTIONS[name] = dict(defaults)
        return fn

    return deco


def get_strategy(name: str) -> StrategyFn:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"strategy: unknown {name!r}; allowed: {', '.join(sorted(STRATEGIES))}"
        ) from None


def resolve_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Defaults of a strategy's options updated with ``options``; unknown keys rejected."""
    get_strategy(name)
    allowed = STRATEGY_OPTIONS[name]
    for key in options:
        if key not in allowed:
            raise ValueError(
                f"strategy.options.{key}: not an option of {name!r}; "
                f"allowed: {', '.join(allowed) or '(none)'}"
            )
    return {**allowed, **options}


# --------------------------------------------------------------------------- helpers
def _spread(
    obs: Observation, weights: np.ndarray, instrument: str, share: float = 1.0
) -> np.ndarray:
    """Allocate ``share`` of the budget on one instrument in proportion to ``weights``."""
    alloc = np.zeros(obs.shape)
    w = np.maximum(np.broadcast_to(weights, obs.stance.shape), 0.0)
    if not obs.member.all():
        w[:, ~obs.member] = 0.0  # observers get nothing
    n = w.shape[-1]
    total = by_country(sum_countries(w), n)
    frac = np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)
    alloc[obs.k(instrument)] = frac * by_country(share * obs.available, n)
    return alloc


def _top_k(score: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Indicator of the ``k`` highest-scoring eligible countries per replicate (stable)."""
    s = np.where(eligible, score, -np.inf)
    order = np.argsort(-s, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(s.shape[-1])[None, :].repeat(s.shape[0], 0), axis=-1)
    return ((rank < k) & eligible).astype(np.float64)


def _not_adopted(obs: Observation) -> np.ndarray:
    return ~obs.adopted & obs.member


# --------------------------------------------------------------------------- strategies
@register("none")
def none(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Null model: no outreach at all."""
    return np.zeros(obs.shape)


@register("uniform", instrument="visit")
def uniform(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """The same effort on every member that has not adopted sanctions."""
    return _spread(obs, _not_adopted(obs).astype(np.float64), opts["instrument"])


@register("receptive_first", k=3, instrument="visit")
def receptive_first(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Concentrate on the ``k`` non-adopters whose stance is highest (closest to yes)."""
    return _spread(obs, _top_k(obs.stance, _not_adopted(obs), opts["k"]), opts["instrument"])


@register("hard_cases_first", k=3, instrument="visit")
def hard_cases_first(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Concentrate on the ``k`` members whose stance is lowest (the hardest cases)."""
    return _spread(obs, _top_k(-obs.stance, _not_adopted(obs), opts["k"]), opts["instrument"])


@register("hub_first", k=3, instrument="visit", centrality_weight=1.0)
def hub_first(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Target where leakage is largest: hubs with Russian trade, weighted by centrality."""
    a = obs.attrs
    score = (
        a["russia_trade_bn"]
        * (0.1 + a["transit_hub"])
        * (1.0 + opts["centrality_weight"] * obs.centrality)
    )
    score = np.broadcast_to(score, obs.stance.shape)
    return _spread(obs, _top_k(score, _not_adopted(obs), opts["k"]), opts["instrument"])


@register("security_partners", dialogue_share=0.7)
def security_partners(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """2+2 dialogues with security partners, the rest as visits to the same partners."""
    k2 = obs.k("two_plus_two")
    partner = (obs.leverage[k2] > 0) & _not_adopted(obs)
    w = partner * np.broadcast_to(obs.attrs["security_partner"], obs.stance.shape)
    share = float(opts["dialogue_share"])
    return _spread(obs, w, "two_plus_two", share) + _spread(obs, w, "visit", 1.0 - share)


@register("incentives")
def incentives(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Aid and loans (side payments) in proportion to each non-adopter's aid leverage."""
    w = _not_adopted(obs) * obs.leverage[obs.k("aid")]
    return _spread(obs, w, "aid")


@register("asean_multilateral")
def asean_multilateral(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Everything through the ASEAN multilateral channel (low cost, low visibility)."""
    alloc = np.zeros(obs.shape)
    alloc[obs.k("asean_channel"), :, 0] = obs.available
    return alloc


@register("g7_coalition", coordination_share=0.5)
def g7_coalition(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Coordinate with the US/EU (credibility) and visit every non-adopter."""
    share = float(opts["coordination_share"])
    alloc = _spread(obs, _not_adopted(obs).astype(np.float64), "visit", 1.0 - share)
    alloc[obs.k("g7_coordination"), :, 0] += share * obs.available
    return alloc


@register("adaptive", chunks=4)
def adaptive(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Reallocate every week, chunk by chunk, to the best marginal gain in adoption.

    Gain of a budget unit on (country, instrument): the rise of the country's target
    stance it buys (derivative of the attractor), weighted by closeness to the next rung
    boundary, minus the reactance it provokes once visible pressure passes tolerance.
    """
    p, a = obs.params, obs.attrs
    kk, r, n = obs.shape
    leverage = np.moveaxis(obs.leverage, 0, -1)  # (R, N, K)
    chunks = int(opts["chunks"])
    alloc = np.zeros(obs.shape)
    eff = np.array([i.effect / i.cost for i in obs.instruments])
    vis = np.array([i.visibility for i in obs.instruments])
    is_country = np.array([i.target == "country" for i in obs.instruments])
    is_asean = np.array([i.target == "asean" for i in obs.instruments])
    w_total = np.maximum(obs.weight_total, 1e-9)
    gap_top = obs.top - obs.target
    next_edge = np.where(
        obs.level + 1 >= obs.sanction_level, obs.level + 1 + obs.boundary, obs.level + 1.0
    )
    distance = np.maximum(next_edge - obs.stance, 0.0)
    proximity = 1.0 / (1.0 + 4.0 * distance * distance)
    tolerance = p.reactance_tolerance * (0.5 + a["democracy"])
    react_gap = np.maximum(obs.target - p.reactance_anchor, 0.0)
    eligible = _not_adopted(obs)
    extra_stock = np.zeros((r, n))
    extra_visible = np.zeros((r, n))
    chunk = obs.available / chunks
    for _ in range(chunks):
        stock = obs.outreach_stock + extra_stock
        dweight = p.outreach_weight * p.outreach_saturation / (stock + p.outreach_saturation) ** 2
        per_unit = dweight * gap_top / w_total * proximity * eligible  # (R, N)
        over = (obs.visible + extra_visible) >= tolerance
        react = p.reactance_weight * react_gap / w_total * over
        country_gain = (
            per_unit[:, :, None] * obs.credibility[:, None, None] * eff * leverage
            - react[:, :, None] * vis * obs.visibility_mult[:, None, None]
        ) * is_country
        n_members = max(int(obs.member.sum()), 1)
        asean_gain = (
            (per_unit * obs.member).sum(axis=-1)[:, None]
            * obs.credibility[:, None]
            * eff
            / n_members
        ) * is_asean  # (R, K)
        gains = country_gain.copy()
        gains[:, 0, :] = np.where(is_asean, asean_gain, gains[:, 0, :])
        flat = gains.reshape(r, n * kk)
        best = np.argmax(flat, axis=-1)
        positive = flat[np.arange(r), best] > 0
        bi, bk = np.divmod(best, kk)
        add = np.where(positive, chunk, 0.0)
        alloc[bk, np.arange(r), bi] += add
        direct = is_country[bk]
        gain_stock = obs.credibility * eff[bk] * leverage[np.arange(r), bi, bk] * add
        extra_stock[np.arange(r), bi] += np.where(direct, gain_stock, 0.0)
        extra_visible[np.arange(r), bi] += np.where(direct, vis[bk] * add, 0.0)
    return alloc


@register("historical", background_g7=0.5)
def historical(obs: Observation, opts: dict[str, Any]) -> np.ndarray:
    """Replay Japan's dated 2022 outreach (``japan_visit`` events) on their dates, with
    steady G7 coordination in the background."""
    alloc = np.zeros(obs.shape)
    for e in obs.events:
        if e.kind != "japan_visit" or e.country is None:
            continue
        alloc[obs.k(e.instrument or "visit"), :, obs.codes.index(e.country)] += e.amount
    alloc[obs.k("g7_coordination"), :, 0] += float(opts["background_g7"])
    return alloc
