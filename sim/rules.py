"""The model's equations, written once: each a small function of one country or one run.

Both drivers call these functions: the Mesa model (:mod:`sim.model`) from Python, with
an agent as the country ``c``; the ensemble kernel (:mod:`sim.kernel`) compiled, with a
record of the same field names. Names used throughout:

- ``p``: the model parameters (:class:`sim.params.ModelParams`, or a record of them);
- ``c``: one country (:data:`sim.state.COUNTRY_FIELDS`): its attributes
  (:data:`sim.countries.ATTRIBUTES`), its per-run constants (``member``, ``threshold``,
  ``russia_ties``, ``tolerance``, ``deterred``, ``static_num``, ``static_den``) and its
  state at the start of the week (``stance``, ``level``, ``outreach_stock``, ``visible``);
- ``s``: what the country perceives this week (:class:`Signals`);
- ``lad``: the ladder as plain numbers (:class:`sim.ladder.LadderSpec`).

A country's target stance is the weight-averaged anchor of every force acting on it;
each force is one function below returning ``(weight, anchor)`` (:func:`force`). Adding
a mechanism: a parameter in :mod:`sim.params` and a force here (added to
:func:`fixed_pull` or :func:`weekly_pull`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sim import material, rng
from sim.numerics import hot_rule, rule

Signals = namedtuple(
    "Signals",
    [
        "coalition",
        "regional_share",
        "peer_mean",
        "peer_pulling",
        "collective",
        "boundary",
        "institution",
    ],
)
"""What a country perceives at the start of a week, all from the levels of that week:
coalition share, share of ASEAN members at 'sanction', tie-weighted mean level of its
neighbours and the tie weight pulling it, ASEAN's collective level, its sanction boundary
and the institutional backing."""

Draws = namedtuple("Draws", ["shock", "slip_u"])
"""A country's random numbers of the week: stance shock and backsliding uniform."""


@rule
def weekly_draws(key, week, i, level, lad):  # noqa: ANN001, ANN201
    """Country ``i``'s :class:`Draws` of the week (counter-based, :mod:`sim.rng`). The
    backsliding uniform only matters from the 'principle' rung on (:func:`backslide`);
    below it is not drawn (1.0), which changes no other number."""
    shock = rng.centred_shock(rng.uniform(key, rng.STREAM_SHOCK, week, i))
    slip_u = 1.0
    if level >= lad.principle_level:
        slip_u = rng.uniform(key, rng.STREAM_BACKSLIDE, week, i)
    return Draws(shock, slip_u)


FORCES: list[dict[str, Any]] = []
"""Every force in the order its terms are added: name, kind (``fixed`` or ``weekly``),
anchor in words, mechanism (``MODEL_NOTES`` numbering), source and the function (its
docstring is the equation). The ODD's force table is generated from this list."""


def force(
    kind: str, anchor: str, mechanism: str, source: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a force (documented in the ODD) and make it a :func:`rule`."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        FORCES.append(
            {
                "name": fn.__name__,
                "kind": kind,
                "anchor": anchor,
                "mechanism": mechanism,
                "source": source,
                "fn": fn,
            }
        )
        return rule(fn)

    return deco


# --------------------------------------------------------------------------- initial state
@rule
def initial_threshold(p, u):  # noqa: ANN001, ANN201
    """Sanction threshold (rungs): uniform in ``threshold_mean +- threshold_spread``, >= 0."""
    return max(p.threshold_mean + p.threshold_spread * (2.0 * u - 1.0), 0.0)


@rule
def initial_stance(p, c, u, lad):  # noqa: ANN001, ANN201
    """Stance in the first week: the declared position (``c.initial_stance``, from the
    national statements) +- ``initial_spread``, on the scale."""
    spread = p.initial_spread * (2.0 * u - 1.0)
    return min(max(c.initial_stance + spread, 0.0), lad.stance_max)


@rule
def russia_ties(c):  # noqa: ANN001, ANN201
    """Mean of the arms, energy and party ties to Russia (0-1)."""
    return (c.arms_russia + c.energy_russia + c.party_affinity) / 3.0


@rule
def reactance_tolerance(p, c):  # noqa: ANN001, ANN201
    """Visible outreach a state tolerates per week, higher in democracies."""
    return p.reactance_tolerance * (0.5 + c.democracy)


@rule
def deterred_share(p, c):  # noqa: ANN001, ANN201
    """Share of a state's Russia trade that survives US secondary-sanction risk."""
    return 1.0 - p.secondary_risk * c.west_trade_share


# --------------------------------------------------------------------------- fixed forces
@force("fixed", "declared stance", "inertia", "national statements, 24 Feb - 3 Mar 2022")
def status_quo(p, c, lad):  # noqa: ANN001, ANN201
    """Inertia: ``status_quo_weight`` toward the country's declared position
    ``initial_stance`` (its statement in the first week of the war)."""
    return p.status_quo_weight, c.initial_stance


@force("fixed", "oppose (0)", "1 exposure costs", "Early 2015; Early 2009, 2012; SIPRI arms data")
def exposure(p, c, lad):  # noqa: ANN001, ANN201
    """Exposure costs (Early 2015): ``exposure_trade x russia_trade_pct + exposure_arms x
    arms_russia + exposure_energy x energy_russia + exposure_party x party_affinity``."""
    w = (
        p.exposure_trade * c.russia_trade_pct
        + p.exposure_arms * c.arms_russia
        + p.exposure_energy * c.energy_russia
        + p.exposure_party * c.party_affinity
    )
    return w, 0.0


@force(
    "fixed",
    "neutral (1.5)",
    "11 counter-forces",
    "China first or second trade partner of every member",
)
def china(p, c, lad):  # noqa: ANN001, ANN201
    """China's pull to neutrality: ``china_pull x china_trade_share``."""
    return p.china_pull * c.china_trade_share, 1.5


@force("fixed", "hedge_point", "9 hedging", "Kuik 2008, 2016, 2020")
def hedging(p, c, lad):  # noqa: ANN001, ANN201
    """Hedging without a security partner (Kuik): ``hedge_weight x (1 - security_partner)``."""
    return p.hedge_weight * (1.0 - c.security_partner), p.hedge_point


@force("fixed", "top of the scale", "12 legitimacy / norms", "small-state norm (SG rationale)")
def norm(p, c, lad):  # noqa: ANN001, ANN201
    """Small-state norm against conquest, acted on only by states whose statements cite it:
    ``norm_strength x norm_weight x norm_cited``."""
    return p.norm_strength * c.norm_weight * c.norm_cited, lad.top


@force("fixed", "1.5 + 2 x public_support", "12 legitimacy", "Schneider, Finke & Bailer 2010; Kuik")
def public(p, c, lad):  # noqa: ANN001, ANN201
    """Domestic legitimacy: ``public_weight x salience x democracy`` toward the public's
    preferred rung ``1.5 + 2 x public_support``."""
    return p.public_weight * c.salience * c.democracy, 1.5 + 2.0 * c.public_support


@force("fixed", "top of the scale", "11 counter-forces", "US/EU coalition; trade data")
def west(p, c, lad):  # noqa: ANN001, ANN201
    """US/EU pull: ``west_weight x west_trade_share x (0.5 + 0.5 x security_partner)``."""
    return p.west_weight * c.west_trade_share * (0.5 + 0.5 * c.security_partner), lad.top


@force("fixed", "top of the scale", "8 busting / 11 counter-forces", "PH Mi-17 cancellation")
def secondary(p, c, lad):  # noqa: ANN001, ANN201
    """Fear of US secondary sanctions: ``secondary_weight x secondary_risk x
    west_trade_share x (arms_russia + transit_hub)``."""
    w = p.secondary_weight * p.secondary_risk * c.west_trade_share * (c.arms_russia + c.transit_hub)
    return w, lad.top


@rule
def fixed_pull(p, c, lad):  # noqa: ANN001, ANN201
    """Sums ``(sum w x anchor, sum w)`` of the forces set by fixed attributes (once a run)."""
    num = 0.0
    den = 0.0
    w, a = status_quo(p, c, lad)
    num += w * a
    den += w
    w, a = exposure(p, c, lad)
    num += w * a
    den += w
    w, a = china(p, c, lad)
    num += w * a
    den += w
    w, a = hedging(p, c, lad)
    num += w * a
    den += w
    w, a = norm(p, c, lad)
    num += w * a
    den += w
    w, a = public(p, c, lad)
    num += w * a
    den += w
    w, a = west(p, c, lad)
    num += w * a
    den += w
    w, a = secondary(p, c, lad)
    num += w * a
    den += w
    return num, den


# --------------------------------------------------------------------------- weekly forces
@force("weekly", "oppose (0)", "11 counter-forces", "Early (black knights); Drezner 2000")
def russia_counter(p, c, s, lad):  # noqa: ANN001, ANN201
    """Russia's counter-pressure, rising as a state moves away from it: ``russia_counter x
    russia_ties x (1 + russia_response x max(level - 1, 0))``."""
    above_neutral = max(c.level - 1.0, 0.0)
    return p.russia_counter * c.russia_ties * (1.0 + p.russia_response * above_neutral), 0.0


@force("weekly", "oppose (0)", "8 busting", "Early 2015; Early & Spice 2011, 2015")
def busting(p, c, s, lad):  # noqa: ANN001, ANN201
    """Rent of sanctions busting foregone by joining: ``busting_rent x transit_hub x
    coalition``."""
    return p.busting_rent * c.transit_hub * s.coalition, 0.0


@force("weekly", "top of the scale", "2 coalition returns", "Chowdhry et al.; Granovetter")
def bandwagon(p, c, s, lad):  # noqa: ANN001, ANN201
    """Returns to coalition size: ``bandwagon_weight x`` the share of ASEAN members
    already at 'sanction' (joining costs less the more neighbours have joined)."""
    return p.bandwagon_weight * s.regional_share, lad.top


@force("weekly", "top of the scale", "5 issue linkage, 6 credibility", "Martin 1992, 1993")
def outreach(p, c, s, lad):  # noqa: ANN001, ANN201
    """Japan's outreach (issue linkage, Martin 1992), saturating: ``outreach_weight x
    stock / (stock + outreach_saturation)``."""
    stock = c.outreach_stock
    return p.outreach_weight * stock / (stock + p.outreach_saturation), lad.top


@force(
    "weekly",
    "neighbours' mean level + 0.5",
    "4 peer influence",
    "Centola & Macy 2007; Centola 2010",
)
def peer(p, c, s, lad):  # noqa: ANN001, ANN201
    """Peer influence needing reinforcement (Centola & Macy): ``peer_weight x
    min(pulling tie weight / peer_reinforcement, 1)``."""
    return p.peer_weight * min(s.peer_pulling / p.peer_reinforcement, 1.0), s.peer_mean + 0.5


@force("weekly", "ASEAN collective level + 0.5", "10 ASEAN consensus", "ASEAN Charter practice")
def asean(p, c, s, lad):  # noqa: ANN001, ANN201
    """ASEAN consensus: ``asean_weight`` for members, toward the collective level."""
    return p.asean_weight * c.member, s.collective + 0.5


@force("weekly", "min(reactance_anchor, stance)", "10 reactance", "Brehm; article")
def reactance(p, c, s, lad):  # noqa: ANN001, ANN201
    """Reactance to coercive, visible demands, at any time: ``reactance_weight x
    max(visible - tolerance, 0) x gap``, where ``gap`` is what the state is being asked:
    the distance from its stance to the ask ('sanction') as a share of the scale up to it.
    Pressure on a state far from the ask provokes more than the same pressure on one
    close to it; a state at the ask feels none. It pulls toward ``reactance_anchor``,
    never up."""
    gap = max(lad.sanction_level - c.stance, 0.0) / lad.sanction_level
    weight = p.reactance_weight * max(c.visible - c.tolerance, 0.0) * gap
    return weight, min(p.reactance_anchor, c.stance)


@force("weekly", "top of the scale", "6 institutions", "UN Charter arts. 25, 41; MY, ID")
def un_compliance(p, c, s, lad):  # noqa: ANN001, ANN201
    """Compliance with a binding UN Security Council mandate (Charter arts. 25, 41): while
    the backing is a mandate (1), a share ``q = mandate_compliance x unsc_compliance`` of
    the decision is settled by the legal obligation: its weight is ``q / (1 - q)`` times
    the sum of the other weights, so the target becomes ``(1 - q) x target + q x top``.
    Returns ``(q, anchor)``."""
    binding = 1.0 if s.institution >= 1.0 else 0.0
    return p.mandate_compliance * c.unsc_compliance * binding, lad.top


@hot_rule
def weekly_pull(p, c, s, lad):  # noqa: ANN001, ANN201
    """Sums ``(sum w x anchor, sum w)`` of every force, the fixed ones from the run's
    ``c.static_num`` and ``c.static_den``."""
    num = c.static_num
    den = c.static_den
    w, a = russia_counter(p, c, s, lad)
    num += w * a
    den += w
    w, a = busting(p, c, s, lad)
    num += w * a
    den += w
    w, a = bandwagon(p, c, s, lad)
    num += w * a
    den += w
    w, a = outreach(p, c, s, lad)
    num += w * a
    den += w
    w, a = peer(p, c, s, lad)
    num += w * a
    den += w
    w, a = asean(p, c, s, lad)
    num += w * a
    den += w
    w, a = reactance(p, c, s, lad)
    num += w * a
    den += w
    share, a = un_compliance(p, c, s, lad)
    w = share / (1.0 - share) * den
    num += w * a
    den += w
    return num, den


# --------------------------------------------------------------------------- response
@rule
def rung_edge(k, boundary, lad):  # noqa: ANN001, ANN201
    """Lower edge of rung ``k`` on the stance scale: ``k``, plus the sanction boundary from
    the sanction rung on."""
    return k + boundary if k >= lad.sanction_level else float(k)


@rule
def rungs_below(stance, boundary, lad):  # noqa: ANN001, ANN201
    """Number of rung edges (:func:`rung_edge`) at or below a stance: the rung it reaches.
    The edges below the sanction rung are whole numbers, so they are counted at once."""
    count = min(max(int(stance), 0), lad.sanction_level - 1) if stance >= 0.0 else 0
    for k in range(lad.sanction_level, lad.n_levels):
        if stance >= rung_edge(k, boundary, lad):
            count += 1
    return count


@hot_rule
def next_level(p, stance, level, boundary, lad):  # noqa: ANN001, ANN201
    """Level with hysteresis: it moves only once the stance is past an edge by
    ``hysteresis``, to the nearest rung consistent with the stance."""
    low_x = stance - p.hysteresis
    high_x = stance + p.hysteresis
    if (level + 1 >= lad.n_levels or low_x < rung_edge(level + 1, boundary, lad)) and (
        level == 0 or high_x >= rung_edge(level, boundary, lad)
    ):  # within hysteresis of its rung: it stays (the same as the clamp below)
        return level
    return min(max(level, rungs_below(low_x, boundary, lad)), rungs_below(high_x, boundary, lad))


@rule
def backslide(p, u, level, institution, lad):  # noqa: ANN001, ANN201
    """Stance lost by a state at 'principle' or above that slips back (Drezner 2000): with
    probability ``backslide_hazard x (1 - institution_damping x backing)``."""
    hazard = p.backslide_hazard * (1.0 - p.institution_damping * institution)
    return p.backslide_drop if level >= lad.principle_level and u < hazard else 0.0


@rule
def next_stance(p, stance, target, shock, slip, lad):  # noqa: ANN001, ANN201
    """Partial adjustment toward the target, plus a shock, minus a slip, on the scale."""
    new = stance + p.adjustment_speed * (target - stance) + p.shock_sd * shock - slip
    return min(max(new, 0.0), lad.stance_max)


@hot_rule
def respond(p, c, s, d, lad):  # noqa: ANN001, ANN201
    """A country's response: sets its new stance and level, and the week's target stance
    and total force weight (``c.stance``, ``c.level``, ``c.target``, ``c.weight_total``).

    The target maximises ``-sum_f w_f (x - a_f)^2``: each force makes positions far from
    its anchor convexly costlier (Early 2015 on exposure costs).
    """
    num, den = weekly_pull(p, c, s, lad)
    target = num / den
    slip = backslide(p, d.slip_u, c.level, s.institution, lad)
    stance = next_stance(p, c.stance, target, d.shock, slip, lad)
    c.level = next_level(p, stance, c.level, s.boundary, lad)
    c.stance = stance
    c.target = target
    c.weight_total = den


# --------------------------------------------------------------------------- environment
@rule
def coalition_share(p, n_adopters, n):  # noqa: ANN001, ANN201
    """Share of a global coalition sanctioning, including the regional adopters."""
    adopters = n_adopters / n
    return p.coalition_base + (1.0 - p.coalition_base) * p.coalition_regional_weight * adopters


TIE_RESOLUTION = 1000
"""Tie weights count in thousandths, so peer sums are exact integers in any order."""


@hot_rule
def peer_signal(ties, i, levels):  # noqa: ANN001, ANN201
    """Tie-weighted mean level of country ``i``'s neighbours, and the tie weight of those on
    the side they pull it (above its level if the mean is at or above it, else below).

    ``ties[i, j]`` is how much ``i`` watches ``j``, in integer thousandths.
    """
    level = levels[i]
    total = 0
    weighted = 0
    above = 0
    below = 0
    for j in range(levels.shape[0]):
        w = ties[i, j]
        total += w
        weighted += w * levels[j]
        if levels[j] > level:
            above += w
        elif levels[j] < level:
            below += w
    mean = weighted / total if total > 0 else float(level)
    pulling = above if mean >= level else below
    return mean, pulling / TIE_RESOLUTION


@rule
def sanction_boundary(p, c, coalition, institution):  # noqa: ANN001, ANN201
    """Extra stance needed above the sanction rung's edge: the threshold, lowered by the
    coalition's size, plus a barrier for UN-legalist states unless an institution lifts it."""
    coalition_term = c.threshold * (1.0 - p.coalition_return * coalition)
    legal_term = p.legalism_barrier * c.un_legalism * (1.0 - p.mandate_relief * institution)
    return max(coalition_term + legal_term, 0.0)


# --------------------------------------------------------------------------- outcomes
@rule
def leakage_flow(p, c, coalition, lad):  # noqa: ANN001, ANN201
    """Russian trade through a non-adopter, USD bn/yr: its own trade and, for hubs, trade
    diverted as the coalition grows (Early 2015), less what secondary sanctions deter;
    times the share its material step leaves open (:func:`sim.material.leak_factor`: 0 at
    the sanction rung)."""
    flow = c.russia_trade_bn * (1.0 + p.diversion * c.transit_hub * coalition) * c.deterred
    return flow * material.leak_factor(p, material.material_reading(c.level, c.material_level, lad))


ASEAN_FLOOR = 1
"""ASEAN's collective statement never goes below `neutral`: its default is non-alignment,
and with Myanmar's junta (which endorsed the invasion) a member in 2022, ASEAN's
statements were neutral (data: asean_statements, 2022-02-26 and 2022-03-03)."""


@rule
def collective_level(levels, member):  # noqa: ANN001, ANN201
    """ASEAN's collective statement: the lowest level among members (consensus), but not
    below :data:`ASEAN_FLOOR`; -1 without members."""
    lowest = -1
    for i in range(levels.shape[0]):
        if member[i] and (lowest < 0 or levels[i] < lowest):
            lowest = levels[i]
    return max(lowest, ASEAN_FLOOR) if lowest >= 0 else -1


@rule
def count_at_least(levels, rung):  # noqa: ANN001, ANN201
    """Number of simulated countries at ``rung`` or above."""
    count = 0
    for i in range(levels.shape[0]):
        if levels[i] >= rung:
            count += 1
    return count


@rule
def regional_share(levels, member, lad):  # noqa: ANN001, ANN201
    """Share of ASEAN members at 'sanction' (0 without members)."""
    n_members = 0
    for i in range(levels.shape[0]):
        if member[i]:
            n_members += 1
    adopters = members_at_least(levels, member, lad.sanction_level)
    return adopters / n_members if n_members > 0 else 0.0


@rule
def members_at_least(levels, member, rung):  # noqa: ANN001, ANN201
    """Number of ASEAN members at ``rung`` or above."""
    count = 0
    for i in range(levels.shape[0]):
        if member[i] and levels[i] >= rung:
            count += 1
    return count
