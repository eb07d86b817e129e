"""The material track (issue 19): what a state does about its ties to Russia, apart from
what it says.

A second latent position per country, ``material`` in ``[0, 4)``, read as a step of the
track (data: ``observables_2022_2023.definitions.material_track``): 0 deepening, 1 status
quo, 2 distancing, 3 anti-circumvention. The track's top step, sanctions (4), is the
ladder's 'sanction' rung: a state at it has adopted its own sanctions. Its own forces:
inertia toward the status quo, Russia's offers to states with arms, energy and party ties
(toward deepening), secondary-sanction risk and security ties (toward distancing), and
Japan's material stock (security cooperation and aid: toward anti-circumvention).
Leakage follows the track (:func:`leak_factor`), so a state can narrow Russia's loophole
short of sanctions.
"""

from __future__ import annotations

from sim import japan, rng
from sim.numerics import hot_rule, rule

MATERIAL_STEPS: tuple[str, ...] = (
    "deepening",
    "status_quo",
    "distancing",
    "anti_circumvention",
    "sanctions",
)
"""The steps of the track, in order (data: definitions.material_track and track_order)."""

MATERIAL_OBSERVABLES: dict[str, str] = {
    "deepening": "new or expanded ties with Russia: purchases (fuel, arms), payment links, "
    "nuclear or state agreements",
    "status_quo": "ties kept as they were; a purchase or link considered but not taken up",
    "distancing": "a tie cut or suspended for fear of sanctions or pressure: cancelled arms "
    "deals, banks or shippers dropping Russian business",
    "anti_circumvention": "export, transit and transhipment bans on controlled goods to Russia",
    "sanctions": "the state's own sanctions on Russian entities (the ladder's 'sanction' rung)",
}
"""The observable behaviour each step stands for (data: definitions.material_track)."""

STATUS_QUO, DISTANCING, ANTI_CIRCUMVENTION, SANCTIONS = 1, 2, 3, 4
MATERIAL_START = 1.5
"""Every state starts in the middle of the status quo (its ties as they were in 2021)."""
MATERIAL_MAX = 3.9999999999999996
"""Largest material position (below 4: sanctions are read from the ladder)."""


@rule
def fixed_material(p, c):  # noqa: ANN001, ANN201
    """Sums ``(sum w x anchor, sum w)`` of the material forces set by fixed attributes (once
    a run): inertia (``material_inertia``, to the status quo 1.5), Russia's offers
    (``material_ties x russia_ties``, to 0), secondary-sanction risk and security ties
    (``material_risk x west_trade_share x (0.5 + 0.5 x security_partner)``, to distancing
    2.5)."""
    w_in = p.material_inertia
    w_ties = p.material_ties * c.russia_ties
    w_risk = p.material_risk * c.west_trade_share * (0.5 + 0.5 * c.security_partner)
    return w_in * MATERIAL_START + w_risk * 2.5, w_in + w_ties + w_risk


@rule
def material_target(p, c):  # noqa: ANN001, ANN201
    """Target position: ``sum w x anchor / sum w`` of the fixed material forces
    (:func:`fixed_material`) and Japan's material stock (``material_outreach x stock /
    (stock + outreach_saturation)``, to anti-circumvention 3.5)."""
    stock = c.material_stock
    if stock == 0.0:
        return c.material_num / c.material_den
    w_jp = p.material_outreach * stock / (stock + p.outreach_saturation)
    return (c.material_num + w_jp * 3.5) / (c.material_den + w_jp)


@rule
def next_material_level(p, x, level):  # noqa: ANN001, ANN201
    """The step read from position ``x`` with the stance's hysteresis: it moves only once
    ``x`` is past a step's edge by ``hysteresis`` (steps 0-3; sanctions come from the
    ladder)."""
    if x - p.hysteresis >= level + 1.0:
        return min(int(x - p.hysteresis), ANTI_CIRCUMVENTION)
    if x + p.hysteresis < level:
        return max(int(x + p.hysteresis), 0)
    return level


@rule
def material_reading(level, material_level, lad):  # noqa: ANN001, ANN201
    """The observed step: sanctions (4) at the ladder's 'sanction' rung, else the track."""
    return SANCTIONS if level >= lad.sanction_level else material_level


@rule
def leak_factor(p, reading):  # noqa: ANN001, ANN201
    """Share of a state's Russian trade flow left open at a material step: all of it up to
    the status quo, ``1 - leak_distancing`` when distancing, ``1 - max(leak_distancing,
    leak_anti_circumvention)`` under anti-circumvention controls, none under sanctions."""
    if reading >= SANCTIONS:
        return 0.0
    if reading >= ANTI_CIRCUMVENTION:
        return 1.0 - max(p.leak_distancing, p.leak_anti_circumvention)
    if reading >= DISTANCING:
        return 1.0 - p.leak_distancing
    return 1.0


@rule
def start_material(countries):  # noqa: ANN001, ANN201
    """Week 0: every state at the status quo."""
    for i in range(len(countries)):
        countries[i].material = MATERIAL_START
        countries[i].material_level = STATUS_QUO


@hot_rule
def material_week(p, key, run, jp, countries, flows, week):  # noqa: ANN001, ANN201
    """The week on the material track: Japan's material stock decays and grows (row 3 of
    ``flows``, with its credibility), each position moves toward its target with a shock
    and its step follows; ``run.material_moved`` says whether a step changed."""
    decay = japan.decay_rate(p, run.institution)
    moved = False
    for i in range(len(countries)):
        c = countries[i]
        if c.material_stock != 0.0 or flows[3, i] != 0.0:
            c.material_stock = japan.grown_stock(
                c.material_stock, decay, jp.credibility, flows[3, i]
            )
        shock = rng.centred_shock(rng.uniform(key, rng.STREAM_MATERIAL, week, i))
        x = c.material + p.adjustment_speed * (material_target(p, c) - c.material)
        x = min(max(x + p.shock_sd * shock, 0.0), MATERIAL_MAX)
        level = next_material_level(p, x, c.material_level)
        moved = moved or level != c.material_level
        c.material = x
        c.material_level = level
    run.material_moved = moved
