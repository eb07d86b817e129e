"""Per-step rules, written once over numpy arrays with a leading batch (replicate) axis.

Shapes: ``R`` replicates, ``N`` countries, ``K`` instruments. Per-country inputs are
``(R, N)`` or broadcastable to it. The Mesa model calls these functions with ``R = 1``
(and each country agent with its own column), the ensemble engine with ``R`` up to
100,000; every operation is elementwise or reduces in a fixed order, so both drivers
produce bit-identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import INSTITUTIONS, Instrument, ModelParams

Attrs = dict[str, np.ndarray]


PAIRWISE_BLOCK = 128
"""NumPy sums a contiguous axis of up to this many elements with 8 partial sums."""


def by_country(per_run: np.ndarray, n: int) -> np.ndarray:
    """A per-run value ``(R,)`` repeated for each of ``n`` countries: ``(R, n)``, contiguous.

    The same numbers as broadcasting ``per_run[:, None]``; NumPy combines two arrays of
    one shape about three times faster than it broadcasts a column over short rows.
    """
    return np.repeat(per_run, n).reshape(-1, n)


def sum_countries(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1)`` of an ``(R, N)`` array, bit for bit, by adding columns.

    NumPy reduces a short contiguous axis pairwise: fewer than 8 elements left to
    right, otherwise 8 partial sums over strides of 8, combined as a tree, then the
    remainder in order. Adding whole columns in that order gives the same numbers in a
    few vectorised operations instead of one short reduction per row.
    """
    r, n = x.shape
    if n > PAIRWISE_BLOCK:
        return x.sum(axis=-1)
    if n < 8:
        total = np.zeros(r, dtype=x.dtype)
        for i in range(n):
            total += x[:, i]
        return total
    acc = [x[:, j].copy() for j in range(8)]
    tail = n - n % 8
    for i in range(8, tail, 8):
        for j in range(8):
            acc[j] += x[:, i + j]
    total = (acc[0] + acc[1] + (acc[2] + acc[3])) + (acc[4] + acc[5] + (acc[6] + acc[7]))
    for i in range(tail, n):
        total += x[:, i]
    return total


def count_countries(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per run, the number (or integer total ``weights``) of countries where ``mask``
    holds: ``(R, N)`` -> ``(R,)`` float64. Sums of small integers are exact in any order,
    so a matrix-vector product gives the same numbers for one run or a batch."""
    w = np.ones(mask.shape[-1]) if weights is None else np.asarray(weights, dtype=np.float64)
    return mask.astype(np.float64) @ w


def min_countries(x: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Per run, the minimum of ``x`` over the given country columns, ``(R,)``."""
    out = x[:, columns[0]].copy()
    for c in columns[1:]:
        np.minimum(out, x[:, c], out=out)
    return out


# --------------------------------------------------------------------------- outreach
@dataclass(frozen=True)
class InstrumentArrays:
    """Instrument specifications as arrays over ``K`` for vectorised use."""

    efficiency: np.ndarray  # (K,) effect per budget unit
    visibility: np.ndarray  # (K,) visibility per budget unit
    is_country: np.ndarray  # (K,) bool
    is_asean: np.ndarray  # (K,) bool
    is_global: np.ndarray  # (K,) bool
    leverage: tuple[str | None, ...]
    requires: tuple[str | None, ...]

    @classmethod
    def from_specs(cls, instruments: tuple[Instrument, ...]) -> InstrumentArrays:
        return cls(
            efficiency=np.array([i.effect / i.cost for i in instruments]),
            visibility=np.array([i.visibility for i in instruments]),
            is_country=np.array([i.target == "country" for i in instruments]),
            is_asean=np.array([i.target == "asean" for i in instruments]),
            is_global=np.array([i.target == "global" for i in instruments]),
            leverage=tuple(i.leverage for i in instruments),
            requires=tuple(i.requires for i in instruments),
        )

    def leverage_matrix(self, attrs: Attrs) -> np.ndarray:
        """Effect multiplier per instrument and country, ``(K, R, N)`` (``R`` may be 1);
        0 where unusable."""
        ref = attrs["democracy"]
        cols = []
        for lev, req in zip(self.leverage, self.requires, strict=True):
            col = attrs[lev] if lev is not None else np.ones_like(ref)
            if req is not None:
                col = col * (attrs[req] >= 0.5)
            cols.append(np.broadcast_to(col, ref.shape))
        return np.stack(cols)


def budget_available(budget: float, pressure: np.ndarray, p: ModelParams) -> np.ndarray:
    """Japan's budget this week: base budget raised by domestic pressure, ``(R,)``."""
    return budget * (1.0 + p.japan_budget_gain * pressure)


def active_instruments(spend: np.ndarray) -> list[int]:
    """Instruments with any spending in the batch. Skipping the others is exact: their
    terms are zeros, and adding zero changes no sum."""
    return [k for k in range(spend.shape[0]) if spend[k].any()]


def enforce_budget(
    allocation: np.ndarray, usable: np.ndarray, available: np.ndarray, *, in_place: bool = False
) -> np.ndarray:
    """Drop spending on unusable instruments and scale down to the available budget.

    ``allocation`` and ``usable`` are ``(K, R, N)``; country instruments are usable where
    their requirement holds, asean/global instruments always. Negative requests are 0.
    The total of a run adds instruments in order, each summed over countries. With
    ``in_place`` the (float64) allocation itself is trimmed and returned.
    """
    spend = allocation if in_place else np.zeros(allocation.shape)
    active = active_instruments(allocation)
    total = np.zeros(allocation.shape[1])
    for k in active:
        np.maximum(allocation[k], 0.0, out=spend[k])
        spend[k] *= usable[k]  # 0 where unusable (requests are >= 0 here: no -0.0 or NaN)
        total += sum_countries(spend[k])
    scale = np.where(total > available, available / np.where(total > 0, total, 1.0), 1.0)
    if (scale != 1.0).any():
        for k in active:
            spend[k] *= by_country(scale, spend.shape[-1])
    return spend


def usable_mask(inst: InstrumentArrays, leverage: np.ndarray) -> np.ndarray:
    """Where spending is possible, ``(K, R, N)``: country instruments need a non-zero
    leverage."""
    return np.where(inst.is_country[:, None, None], leverage > 0, True)


@dataclass(frozen=True)
class OutreachFlows:
    """What one week's spending does: all arrays batched over replicates."""

    impact: np.ndarray  # (R, N) growth of each country's outreach stock
    g7: np.ndarray  # (R,) growth of the G7 coordination stock
    visible: np.ndarray  # (R, N) visible outside pressure on each country
    outreach: np.ndarray  # (R, N) budget spent on each country (country instruments)
    spent: np.ndarray  # (R,) total budget spent


def outreach_flows(
    spend: np.ndarray,
    inst: InstrumentArrays,
    leverage: np.ndarray,
    member: np.ndarray,
    credibility: np.ndarray,
    visibility_mult: np.ndarray,
) -> OutreachFlows:
    """Impact, visibility and accounting of this week's spending ``(K, R, N)``.

    Country instruments act on their target scaled by the country's leverage (issue
    linkage); the ASEAN channel is shared equally by all members; G7 coordination adds
    to a stock that raises credibility. Terms are added instrument by instrument.
    """
    _, r, n = spend.shape
    share = member / max(int(member.sum()), 1)
    asean_effect = np.zeros(r)
    asean_seen = np.zeros(r)
    g7 = np.zeros(r)
    spent = np.zeros(r)
    asean_used = False
    country_terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in active_instruments(spend):
        s_k = spend[k]
        total_k = sum_countries(s_k)  # (R,)
        spent += total_k
        if inst.is_country[k]:
            country_terms.append(
                (s_k * inst.efficiency[k] * leverage[k], s_k * inst.visibility[k], s_k)
            )
        elif inst.is_asean[k]:
            asean_used = True
            asean_effect += total_k * inst.efficiency[k]
            asean_seen += total_k * inst.visibility[k]
        else:
            g7 += total_k * inst.efficiency[k]
    # Sums start from the first term (0 + x = x for the non-negative spending here).
    direct, seen, outreach = (_sum_terms([t[i] for t in country_terms], (r, n)) for i in range(3))
    if asean_used:  # otherwise the shared terms are zeros: adding them changes nothing
        direct += asean_effect[:, None] * share
        seen += asean_seen[:, None] * share
    return OutreachFlows(
        impact=by_country(credibility, n) * direct,
        g7=g7,
        visible=by_country(visibility_mult, n) * seen,
        outreach=outreach,
        spent=spent,
    )


def _sum_terms(terms: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Left-to-right sum of same-shape terms as a new array (zeros if there are none)."""
    if not terms:
        return np.zeros(shape)
    if len(terms) == 1:
        return terms[0] if terms[0].base is None else terms[0].copy()
    total = terms[0] + terms[1]
    for term in terms[2:]:
        total += term
    return total


def outreach_impact(
    spend: np.ndarray,
    inst: InstrumentArrays,
    leverage: np.ndarray,
    member: np.ndarray,
    credibility: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Impact of this week's spending: per country ``(R, N)`` and on G7 coordination ``(R,)``."""
    flows = outreach_flows(spend, inst, leverage, member, credibility, np.ones(spend.shape[1]))
    return flows.impact, flows.g7


def visible_pressure(
    spend: np.ndarray, inst: InstrumentArrays, member: np.ndarray, visibility_mult: np.ndarray
) -> np.ndarray:
    """Visible outside pressure on each country this week, ``(R, N)``."""
    ones = np.ones(spend.shape[1])
    return outreach_flows(spend, inst, np.ones(spend.shape), member, ones, visibility_mult).visible


def credibility(g7_stock: np.ndarray, institution: np.ndarray, p: ModelParams) -> np.ndarray:
    """Credibility multiplier of Japan's outreach (Martin 1993), ``(R,)``."""
    return (
        1.0
        + p.credibility_g7 * g7_stock / (1.0 + g7_stock)
        + p.credibility_institution * institution
    )


def decay_rate(institution: np.ndarray, p: ModelParams) -> np.ndarray:
    """Weekly decay of outreach effects, damped by institutional backing (Drezner 2000)."""
    return p.outreach_decay * (1.0 - p.institution_damping * institution)


# --------------------------------------------------------------------------- environment
def coalition_share(level: np.ndarray, sanction_level: int, p: ModelParams) -> np.ndarray:
    """Share of a global coalition sanctioning, including regional adopters, ``(R,)``."""
    adopters = count_countries(level >= sanction_level) / level.shape[-1]
    return p.coalition_base + (1.0 - p.coalition_base) * p.coalition_regional_weight * adopters


def collective_level(level: np.ndarray, member: np.ndarray) -> np.ndarray:
    """ASEAN's collective statement: the lowest level among members (consensus), ``(R,)``."""
    if not member.any():
        return np.full(level.shape[0], -1, dtype=level.dtype)
    return min_countries(level, np.flatnonzero(member))


TIE_RESOLUTION = 1000
"""Tie weights are used at a resolution of 1/1000, so peer sums are exact integers."""


def peer_signal(level: np.ndarray, network: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tie-weighted mean level of neighbours, and tie weight of neighbours on the side
    they pull (above or below own level); both ``(R, N)``.

    Weights are rounded to multiples of 1/1000, so every peer sum is an exact integer
    (below 2**24, hence exact in float32 too): the result does not depend on summation
    order or on how many replicates are batched together. ``at_least[v]``, the tie
    weight of neighbours at level ``v`` or higher, comes from one matrix product.
    """
    r, n = level.shape
    ties = np.rint(network * TIE_RESOLUTION).T  # (N, N), integer-valued: ties[j, i] = w_ij
    total = ties.sum(axis=0)
    n_levels = int(level.max()) + 1 if level.size else 1
    if total.max(initial=0.0) * max(n_levels - 1, 1) >= 2**24:
        raise ValueError("peer_signal: tie weights too large for exact float32 sums")
    at_least = np.empty((n_levels + 1, r, n), dtype=np.float32)
    at_least[0] = total
    at_least[n_levels] = 0.0
    if n_levels > 1:
        at_or_above_v = level >= np.arange(1, n_levels)[:, None, None]  # (V - 1, R, N)
        np.matmul(
            at_or_above_v.reshape(-1, n).astype(np.float32),
            ties.astype(np.float32),
            out=at_least[1:n_levels].reshape(-1, n),
        )
    # sum over neighbours of w_ij * level_j = sum over v >= 1 of at_least[v], exactly
    weighted = at_least[1:n_levels].sum(axis=0).astype(np.float64)
    lev = level.astype(np.float64)
    mean = weighted / np.where(total > 0, total, 1.0)
    if not total.all():
        mean = np.where(total > 0, mean, lev)
    # Pulled up: weight of neighbours above, at_least[level + 1]; pulled down: weight
    # below, total - at_least[level]. One gather reads whichever applies.
    up = mean >= lev
    index = (level.reshape(-1).astype(np.intp) + up.reshape(-1)) * (r * n) + np.arange(r * n)
    side = np.take(at_least.reshape(-1), index).reshape(r, n)
    pulling = np.where(up, side, total - side) / TIE_RESOLUTION
    return mean, pulling


def sanction_boundary(
    threshold: np.ndarray,
    coalition: np.ndarray,
    un_legalism: np.ndarray,
    institution: np.ndarray,
    p: ModelParams,
) -> np.ndarray:
    """Extra stance needed above the sanction rung's lower edge, ``(R, N)``.

    Heterogeneous thresholds (Granovetter) fall with coalition size (coalition returns)
    and rise with insistence on UN authority unless an institution provides it.
    """
    n = threshold.shape[-1]
    coalition_term = threshold * by_country(1.0 - p.coalition_return * coalition, n)
    legal_term = (
        p.legalism_barrier * un_legalism * by_country(1.0 - p.mandate_relief * institution, n)
    )
    return np.maximum(coalition_term + legal_term, 0.0)


def initial_thresholds(u: np.ndarray, p: ModelParams) -> np.ndarray:
    """Per-country sanction thresholds from uniforms ``u``: uniform around the mean."""
    return np.maximum(p.threshold_mean + p.threshold_spread * (2.0 * u - 1.0), 0.0)


# --------------------------------------------------------------------------- response
STATIC_FORCES: tuple[str, ...] = (
    "status_quo",
    "exposure",
    "china",
    "hedging",
    "norm",
    "public",
    "west",
    "secondary",
)
"""Forces that depend only on a country's fixed attributes (computed once per run)."""

DYNAMIC_FORCES: tuple[str, ...] = (
    "russia_counter",
    "busting",
    "outreach",
    "peer",
    "asean",
    "reactance",
    "un_compliance",
)
"""Forces that depend on the state of the week."""

FORCES: tuple[str, ...] = STATIC_FORCES + DYNAMIC_FORCES
"""Forces on a country's target stance, each a weight and an anchor on the ladder, in the
order their terms are added."""

Pulls = dict[str, tuple[np.ndarray, np.ndarray | float]]


def static_forces(attrs: Attrs, p: ModelParams, top: float) -> Pulls:
    """Weight and anchor of the forces set by fixed attributes (mechanisms 1, 9, 11, 12)."""
    return {
        "status_quo": (np.full(attrs["democracy"].shape, p.status_quo_weight), p.initial_stance),
        "exposure": (
            p.exposure_trade * attrs["russia_trade_pct"]
            + p.exposure_arms * attrs["arms_russia"]
            + p.exposure_energy * attrs["energy_russia"]
            + p.exposure_party * attrs["party_affinity"],
            0.0,
        ),
        "china": (p.china_pull * attrs["china_trade_share"], 1.5),
        "hedging": (p.hedge_weight * (1.0 - attrs["security_partner"]), p.hedge_point),
        # anchor at the top: the norm against conquest is acted on, not only voiced
        # (data: positions.SG rationale; calibration showed a 3.5 anchor cannot reach sanction)
        "norm": (p.norm_strength * attrs["norm_weight"], top),
        "public": (
            p.public_weight * attrs["salience"] * attrs["democracy"],
            1.5 + 2.0 * attrs["public_support"],
        ),
        "west": (
            p.west_weight * attrs["west_trade_share"] * (0.5 + 0.5 * attrs["security_partner"]),
            top,
        ),
        "secondary": (
            p.secondary_weight
            * p.secondary_risk
            * attrs["west_trade_share"]
            * (attrs["arms_russia"] + attrs["transit_hub"]),
            top,
        ),
    }


def run_constants(attrs: Attrs, p: ModelParams) -> Attrs:
    """Per-country terms of the weekly rules that depend only on fixed attributes and
    parameters. The drivers compute them once per run (``Setup.constants``) and pass
    them back; called without them, the rules compute them on the spot."""
    return {
        "ties": (attrs["arms_russia"] + attrs["energy_russia"] + attrs["party_affinity"]) / 3.0,
        "tolerance": p.reactance_tolerance * (0.5 + attrs["democracy"]),
        "deterred": 1.0 - p.secondary_risk * attrs["west_trade_share"],
    }


def dynamic_forces(
    attrs: Attrs,
    level: np.ndarray,
    outreach_stock: np.ndarray,
    visible: np.ndarray,
    coalition: np.ndarray,
    peer_mean: np.ndarray,
    peer_pulling: np.ndarray,
    collective: np.ndarray,
    member: np.ndarray,
    p: ModelParams,
    top: float,
    institution: np.ndarray | None = None,
    constants: Attrs | None = None,
) -> Pulls:
    """Weight and anchor of the forces that change week by week (mechanisms 4-11).

    ``institution`` (``(R,)``, backing 0-1) switches on compliance with a binding UN
    Security Council mandate (backing 1) for states that insist on UN authority.
    ``constants`` are the run's :func:`run_constants`.
    """
    c = run_constants(attrs, p) if constants is None else constants
    ties = c["ties"]
    above_neutral = np.maximum(level - 1.0, 0.0)
    tolerance = c["tolerance"]
    stock = outreach_stock
    binding = np.zeros(stock.shape[0]) if institution is None else (institution >= 1.0) * 1.0
    # With no run bound, a broadcast zero (skipped when the forces are summed).
    compliance = (
        p.mandate_compliance * attrs["un_legalism"] * binding[:, None]
        if binding.any()
        else np.zeros(1)
    )
    return {
        "russia_counter": (
            p.russia_counter * ties * (1.0 + p.russia_response * above_neutral),
            0.0,
        ),
        "busting": (
            p.busting_rent * attrs["transit_hub"] * by_country(coalition, stock.shape[-1]),
            0.0,
        ),
        "outreach": (p.outreach_weight * stock / (stock + p.outreach_saturation), top),
        "peer": (
            p.peer_weight * np.minimum(peer_pulling / p.peer_reinforcement, 1.0),
            peer_mean + 0.5,
        ),
        "asean": (
            np.broadcast_to(p.asean_weight * member, stock.shape).copy(),
            by_country(collective + 0.5, stock.shape[-1]),
        ),
        "reactance": (
            p.reactance_weight * np.maximum(visible - tolerance, 0.0),
            p.reactance_anchor,
        ),
        # UNSC sanctions bind every UN member (Charter arts. 25, 41); UN-legalist states
        # (MY, ID: "sanctions must go through the UN") comply with a binding mandate.
        "un_compliance": (np.broadcast_to(compliance, stock.shape), top),
    }


def forces(
    attrs: Attrs,
    level: np.ndarray,
    outreach_stock: np.ndarray,
    visible: np.ndarray,
    coalition: np.ndarray,
    peer_mean: np.ndarray,
    peer_pulling: np.ndarray,
    collective: np.ndarray,
    member: np.ndarray,
    p: ModelParams,
    top: float,
    institution: np.ndarray | None = None,
    constants: Attrs | None = None,
) -> Pulls:
    """Weight and anchor of every force on each country (mechanisms 1-12)."""
    return {
        **static_forces(attrs, p, top),
        **dynamic_forces(
            attrs,
            level,
            outreach_stock,
            visible,
            coalition,
            peer_mean,
            peer_pulling,
            collective,
            member,
            p,
            top,
            institution,
            constants,
        ),
    }


def _is_zero(x: np.ndarray | float) -> bool:
    """True for a scalar zero or a broadcast (zero-stride) view of one, without a pass."""
    arr = np.asarray(x)
    return not any(arr.strides) and arr.size > 0 and arr.flat[0] == 0.0


def accumulate(
    pulls: Pulls,
    names: tuple[str, ...],
    num: np.ndarray | float = 0.0,
    den: np.ndarray | float = 0.0,
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Add ``w * a`` and ``w`` of the named forces, in order, to running sums.

    Terms that are exactly zero (a zero anchor, or a weight that is a broadcast zero)
    are skipped: adding zero changes no sum. The sums passed in are not modified.
    """
    own_num = own_den = False
    for name in names:
        w, a = pulls[name]
        if _is_zero(w):
            continue
        if not _is_zero(a):
            num, own_num = _add(num, w * a, own_num)
        den, own_den = _add(den, w, own_den)
    return num, den


def _add(total: np.ndarray | float, term: np.ndarray | float, owned: bool) -> tuple:
    """``total + term``, in place when ``total`` is an array this sum already owns."""
    if owned and (np.ndim(term) == 0 or np.shape(term) == np.shape(total)):
        total += term
        return total, True
    out = total + term
    return out, isinstance(out, np.ndarray) and out.base is None and out is not term


def target_stance(
    pulls: Pulls, static: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Target stance: the weight-averaged anchor of all forces; and the total weight.

    This is the maximiser of a quadratic utility ``-sum_f w_f (x - a_f)^2``: each force
    makes positions far from its anchor costlier, convexly (Early 2015 on exposure costs).
    ``static`` holds the sums of the static forces computed once per run (the same
    numbers as accumulating them from ``pulls``), so they are not recomputed weekly.
    """
    num, den = accumulate(pulls, STATIC_FORCES) if static is None else static
    num, den = accumulate(pulls, DYNAMIC_FORCES, num, den)
    return num / den, den


def next_stance(
    stance: np.ndarray,
    target: np.ndarray,
    shock: np.ndarray,
    slip: np.ndarray,
    p: ModelParams,
    top: float,
) -> np.ndarray:
    """Partial adjustment toward the target plus a shock, minus a backsliding slip."""
    new = stance + p.adjustment_speed * (target - stance) + p.shock_sd * shock - slip
    return np.clip(new, 0.0, np.nextafter(top, 0.0))


def backslide(
    u: np.ndarray,
    level: np.ndarray,
    institution: np.ndarray,
    principle_level: int,
    p: ModelParams,
) -> np.ndarray:
    """Stance lost this week by states that slip back (hazard damped by institutions)."""
    hazard = p.backslide_hazard * (1.0 - p.institution_damping * institution)
    slips = (level >= principle_level) & (u < by_country(hazard, u.shape[-1]))
    return np.where(slips, p.backslide_drop, 0.0)


def _rung_edges(
    boundary: np.ndarray, n_levels: int, sanction_level: int
) -> list[np.ndarray | float]:
    """Lower edge of each rung ``1 .. n_levels - 1`` on the stance scale."""
    return [k + boundary if k >= sanction_level else float(k) for k in range(1, n_levels)]


def _count_rungs(stance: np.ndarray, edges: list[np.ndarray | float]) -> np.ndarray:
    """Number of rung edges at or below the stance (small integers, counted in int8)."""
    count = np.zeros(stance.shape, dtype=np.int8 if len(edges) < 128 else np.int64)
    for edge in edges:
        count += stance >= edge
    return count


def level_of(
    stance: np.ndarray, boundary: np.ndarray, n_levels: int, sanction_level: int
) -> np.ndarray:
    """Rung reached by a stance: the count of rung boundaries at or below it.

    Rung ``k`` starts at ``k`` below the sanction rung and at ``k + boundary`` from it on.
    """
    edges = _rung_edges(boundary, n_levels, sanction_level)
    return _count_rungs(stance, edges).astype(np.int64)


def next_level(
    stance: np.ndarray,
    level: np.ndarray,
    boundary: np.ndarray,
    n_levels: int,
    sanction_level: int,
    hysteresis: float,
) -> np.ndarray:
    """New level with hysteresis: it moves only once the stance is past a boundary by
    ``hysteresis``, and then to the nearest rung consistent with the stance."""
    edges = _rung_edges(boundary, n_levels, sanction_level)
    low = _count_rungs(stance - hysteresis, edges)
    high = _count_rungs(stance + hysteresis, edges)
    return np.clip(level, low, high).astype(np.int64, copy=False)


# --------------------------------------------------------------------------- outcomes
def leakage(
    level: np.ndarray,
    attrs: Attrs,
    coalition: np.ndarray,
    sanction_level: int,
    p: ModelParams,
    constants: Attrs | None = None,
) -> np.ndarray:
    """Trade with Russia flowing through non-adopting states, USD bn per year, ``(R,)``.

    Non-adopters keep their own trade and, where they are hubs, attract diverted trade
    that grows with the coalition (Early 2015); US secondary sanctions deter part of it
    (``deterred`` = 1 - secondary_risk x west_trade_share, from :func:`run_constants`).
    """
    c = run_constants(attrs, p) if constants is None else constants
    non_adopter = level < sanction_level
    flow = (
        attrs["russia_trade_bn"]
        * (1.0 + p.diversion * attrs["transit_hub"] * by_country(coalition, level.shape[-1]))
        * c["deterred"]
    )
    return sum_countries(flow * non_adopter)


def japan_pressure(
    pressure: np.ndarray, n_before: np.ndarray, n_after: np.ndarray, p: ModelParams
) -> np.ndarray:
    """Ruling-party pressure: rises while no state moves up to 'condemn', eases with gains."""
    gained = np.maximum(n_after - n_before, 0)
    stalled = gained == 0
    return np.clip(
        pressure + p.japan_pressure_gain * stalled - p.japan_pressure_relief * gained, 0.0, 1.0
    )


def institution_level(name: str) -> float:
    return INSTITUTIONS[name]
