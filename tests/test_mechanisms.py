"""One test per mechanism of issue 2, on small hand-made scenarios.

Each test builds ``CountryProfile``s directly (2-4 countries, simple values, own ties),
calls the rule functions of :mod:`sim.rules` on tiny arrays, or runs the whole model
(:func:`sim.engine.simulate`) on common seeds, and asserts the direction or the exact
value of the mechanism's effect. Several tests also check that setting the mechanism's
weight to 0 switches it off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from sim import japan, rules, week
from sim.config import DEFAULT_INSTRUMENTS, Calendar, Event
from sim.engine import simulate
from sim.ladder import Ladder
from sim.params import ModelParams
from sim.rng import replicate_seeds
from sim.rules import FORCES
from tests.helpers import (
    EAGER,
    HOSTILE,
    SEEDS,
    P,
    config,
    flows,
    leakage,
    model_at_week_0,
    pulls,
    table,
    target,
    weight,
)

TOP = 5.0  # default ladder: stance in [0, 5)
SANCTION = 4
LAD = Ladder().spec()
FORCE = {f["name"]: f for f in FORCES}


# --------------------------------------------------------------------------- 1 exposure
def test_more_arms_dependence_lowers_target_and_stance() -> None:
    t = target(table({}, {"arms_russia": 0.6}))
    assert t[1] < t[0]
    # Whole model, common random numbers: the arms-dependent state ends lower.
    base = simulate(config(table({}, {})), SEEDS).stance[:, -1, 1].mean()
    armed = simulate(config(table({}, {"arms_russia": 0.6})), SEEDS).stance[:, -1, 1].mean()
    assert armed < base - 0.2


def test_more_trade_exposure_lowers_target() -> None:
    t = target(table({"russia_trade_pct": 0.2}, {"russia_trade_pct": 2.0}))
    assert t[1] < t[0]


def test_exposure_weights_at_zero_switch_exposure_off() -> None:
    c = table(
        {"arms_russia": 0.0, "russia_trade_pct": 0.0}, {"arms_russia": 0.9, "russia_trade_pct": 3.0}
    )
    off = replace(P, exposure_arms=0.0, exposure_trade=0.0)
    w = weight("exposure", c, off)
    assert w[0] == w[1]
    assert weight("exposure", c)[1] > weight("exposure", c)[0]


# --------------------------------------------------------------------------- 2 coalition
def test_coalition_size_lowers_sanction_boundary() -> None:
    c = SimpleNamespace(threshold=0.6, un_legalism=0.0)
    small = rules.sanction_boundary(P, c, 0.58, 0.0)
    large = rules.sanction_boundary(P, c, 0.9, 0.0)
    assert large < small
    assert small == pytest.approx(0.6 * (1 - P.coalition_return * 0.58))
    off = replace(P, coalition_return=0.0)
    assert rules.sanction_boundary(off, c, 0.9, 0.0) == 0.6


def test_regional_adopters_raise_coalition_share() -> None:
    none_adopt = rules.coalition_share(P, rules.count_at_least(np.array([2, 2, 2, 2]), 4), 4)
    two_adopt = rules.coalition_share(P, rules.count_at_least(np.array([4, 4, 2, 2]), 4), 4)
    assert none_adopt == pytest.approx(P.coalition_base)
    base, w = P.coalition_base, P.coalition_regional_weight
    assert two_adopt == pytest.approx(base + (1 - base) * w * 0.5)
    off = replace(P, coalition_regional_weight=0.0)
    assert rules.coalition_share(off, 2, 4) == P.coalition_base


# --------------------------------------------------------------------------- 3 thresholds
def test_threshold_spread_sets_heterogeneity() -> None:
    u = [0.0, 0.5, 0.75]
    same = [rules.initial_threshold(replace(P, threshold_spread=0.0), x) for x in u]
    assert all(t == P.threshold_mean for t in same)
    wide = replace(P, threshold_mean=0.6, threshold_spread=0.3)
    spread = [rules.initial_threshold(wide, x) for x in u]
    np.testing.assert_allclose(spread, [0.3, 0.6, 0.75])
    # The same stance sanctions only where the threshold is low.
    assert [rules.rungs_below(4.5, b, LAD) for b in spread] == [4, 3, 3]


# --------------------------------------------------------------------------- 4 peers
def test_peer_influence_pulls_toward_neighbours() -> None:
    c = table({}, {}, ties={("C0", "C1"): 1.0})
    up = target(c, level=[2, 4])[0]
    down = target(c, level=[2, 0])[0]
    alone = target(table({}, {}), level=[2, 4])[0]
    assert down < alone < up
    off = replace(P, peer_weight=0.0)
    assert target(c, off, level=[2, 4])[0] == target(table({}, {}), off, level=[2, 4])[0]


def test_peer_reinforcement_two_neighbours_pull_harder_than_one() -> None:
    one = table({}, {}, {}, ties={("C0", "C1"): 1.0})
    two = table({}, {}, {}, ties={("C0", "C1"): 1.0, ("C0", "C2"): 1.0})
    levels = np.array([2, 4, 4])
    mean1, pull1 = rules.peer_signal(np.rint(one.network * 1000).astype(int), 0, levels)
    mean2, pull2 = rules.peer_signal(np.rint(two.network * 1000).astype(int), 0, levels)
    assert mean1 == mean2 == 4.0  # same neighbourhood mean
    assert (pull1, pull2) == (1.0, 2.0)
    p = replace(P, peer_reinforcement=2.0)
    w1 = weight("peer", one, p, level=[2, 4, 4])[0]
    w2 = weight("peer", two, p, level=[2, 4, 4])[0]
    assert (w1, w2) == (P.peer_weight * 0.5, P.peer_weight)
    assert target(one, p, level=[2, 4, 4])[0] < target(two, p, level=[2, 4, 4])[0]


# --------------------------------------------------------------------------- 5 linkage
def test_aid_works_more_where_aid_leverage_is_higher() -> None:
    c = table({"aid_leverage": 0.2}, {"aid_leverage": 0.6})
    model = model_at_week_0(c)
    spend = np.zeros((len(DEFAULT_INSTRUMENTS), 2))
    spend[2, :] = 1.0  # one unit of aid each
    out = flows(spend, model.japan.leverage, c.member)
    impact = out[0] + out[3]  # on the stance and on the material track
    assert impact[1] == pytest.approx(3.0 * impact[0])
    assert impact[0] == pytest.approx(0.2 * 3.0 / 2.0)
    # aid acts mostly on the material track (its share, conf/instruments)
    share = DEFAULT_INSTRUMENTS[2].material
    assert share > 0.5 and out[3, 0] == pytest.approx(share * impact[0])
    model.release()


def test_two_plus_two_only_with_security_partners() -> None:
    c = table({"security_partner": 0.8}, {"security_partner": 0.3})
    model = model_at_week_0(c)
    k = model.config.instrument_index("two_plus_two")
    usable = model.japan.usable
    assert usable[k, 0] and not usable[k, 1]
    wanted = np.zeros((len(model.config.instruments), 2))
    wanted[k, :] = 1.5  # 3.0 requested, budget 2.0
    spend = np.empty_like(wanted)
    japan.enforce_budget(wanted, usable, 2.0, spend, np.empty(wanted.shape[0]))
    assert spend[k, 1] == 0.0  # dropped on the non-partner
    assert spend[k, 0] == 1.5  # and not charged: the partner's 1.5 fits the budget
    assert spend.sum() == 1.5
    model.release()


def test_outreach_weight_zero_switches_linkage_off() -> None:
    c = table({}, {})
    assert np.all(weight("outreach", c, replace(P, outreach_weight=0.0), stock=[5.0, 0.0]) == 0)
    assert target(c, stock=[5.0, 0.0])[0] > target(c, stock=[5.0, 0.0])[1]


# --------------------------------------------------------------------------- 6 credibility
def test_g7_coordination_raises_credibility() -> None:
    c0 = japan.credibility(P, 0.0, 0.0)
    c1 = japan.credibility(P, 1.0, 0.0)
    assert c0 == 1.0 and c1 == pytest.approx(1.0 + P.credibility_g7 * 0.5)
    assert japan.credibility(replace(P, credibility_g7=0.0), 1.0, 0.0) == 1.0
    assert japan.credibility(P, 0.0, 1.0) == 1.0 + P.credibility_institution
    # G7 spending builds the stock that multiplies country outreach.
    model = model_at_week_0(table({}, {}), strategy="g7_coalition")
    model.japan.reach_out(*model.japan.allocate(0))
    assert model.japan.g7_stock > 0
    assert japan.credibility(P, model.japan.g7_stock, model.institution) > c0
    model.release()


def test_un_mandate_gives_more_adoption_than_none() -> None:
    c = table(
        {},
        HOSTILE,
        EAGER,
        {**EAGER, "un_legalism": 0.3},
        ties={("C0", "C1"): 0.5, ("C0", "C2"): 0.5, ("C2", "C3"): 0.8},
    )
    p = replace(P, west_weight=12.0, threshold_mean=0.3)
    seeds = replicate_seeds(3, 24)
    adopted = {
        inst: (simulate(config(c, params=p, institution=inst), seeds).level[:, -1] >= SANCTION)
        .sum(axis=1)
        .mean()
        for inst in ("none", "unsc")
    }
    assert adopted["unsc"] > adopted["none"] + 0.5
    # The mandate lowers the UN-legalist's boundary; with every institutional weight at 0
    # the switch has no effect at all.
    legalist = SimpleNamespace(threshold=0.3, un_legalism=0.8)
    legal = replace(P, legalism_barrier=1.2, mandate_relief=1.0)
    assert rules.sanction_boundary(legal, legalist, 0.58, 1.0) < rules.sanction_boundary(
        legal, legalist, 0.58, 0.0
    )
    off = replace(
        P,
        west_weight=12.0,
        threshold_mean=0.3,
        mandate_relief=0.0,
        credibility_institution=0.0,
        institution_damping=0.0,
    )
    unbound = table(
        {"unsc_compliance": 0.0},
        {**HOSTILE, "unsc_compliance": 0.0},
        {**EAGER, "unsc_compliance": 0.0},
        {**EAGER, "un_legalism": 0.3, "unsc_compliance": 0.0},
        ties={("C0", "C1"): 0.5, ("C0", "C2"): 0.5, ("C2", "C3"): 0.8},
    )
    short = Calendar(n_steps=8)
    a = simulate(
        config(unbound, params=off, institution="none", calendar=short, strategy="uniform"), seeds
    )
    b = simulate(
        config(unbound, params=off, institution="unsc", calendar=short, strategy="uniform"), seeds
    )
    assert a.equals(b)


def test_binding_mandate_pulls_un_legalists_toward_sanction() -> None:
    """Only a UNSC mandate (backing 1) binds; the share of the decision it settles scales
    with the state's readiness to comply, and moves the target toward the top."""
    c = table({"unsc_compliance": 0.2}, {"unsc_compliance": 0.9})

    def compliance(institution: float, p: ModelParams = P) -> np.ndarray:
        return weight("un_compliance", c, p, level=1, institution=institution)

    assert np.all(compliance(0.0) == 0.0) and np.all(compliance(0.5) == 0.0)
    share = compliance(1.0)
    assert share[1] == pytest.approx(P.mandate_compliance * 0.9) and share[1] > share[0] > 0
    free = target(c, P, level=1, institution=0.5)
    bound = target(c, P, level=1, institution=1.0)
    np.testing.assert_allclose(bound, (1 - share) * free + share * LAD.top, rtol=1e-12)


def test_dated_event_never_lowers_the_configured_backing() -> None:
    c = table({}, {})
    cal = Calendar(n_steps=4, events=(Event(dt.date(2022, 3, 2), "institution", name="unga"),))
    for configured, expected in (("unsc", 1.0), ("none", 0.5)):
        model = model_at_week_0(c, institution=configured, calendar=cal)
        week.start_of_week(model.world, model, 0)
        assert model.institution == expected
        model.release()


# --------------------------------------------------------------------------- 7 backsliding
def test_backsliding_hazard_drops_stance_and_institutions_damp_it() -> None:
    p = replace(P, backslide_hazard=0.02, backslide_drop=0.5, institution_damping=0.8)
    u, levels = [0.01, 0.01, 0.5, 0.01], [2, 3, 3, 1]
    slip = [rules.backslide(p, x, lv, 0.0, LAD) for x, lv in zip(u, levels, strict=True)]
    assert slip == [0.5, 0.5, 0.0, 0.0]  # only at 'principle' and above
    # Hazard 0.02 without institutions, 0.02 * 0.2 = 0.004 with a UNSC mandate.
    assert rules.backslide(p, 0.01, 3, 0.0, LAD) == 0.5
    assert rules.backslide(p, 0.01, 3, 1.0, LAD) == 0.0
    off = replace(P, backslide_hazard=0.0)
    assert all(rules.backslide(off, 0.0, lv, 0.0, LAD) == 0.0 for lv in (2, 3, 4))
    assert rules.next_stance(P, 3.5, 3.5, 0.0, 0.5, LAD) == 3.0


def test_outreach_decays_without_institutions() -> None:
    c = table({}, {})
    kept = {}
    for inst in ("none", "unsc"):
        model = model_at_week_0(c, institution=inst)
        for agent in model.countries:
            agent.outreach_stock = 1.0
        k = len(model.config.instruments)
        model.japan.reach_out(np.zeros((k, 2)), np.zeros(k))
        kept[inst] = model.countries[0].outreach_stock
        model.release()
    damping = P.institution_damping
    assert kept["none"] == pytest.approx(1.0 - P.relationship_decay)
    expected = 1.0 - P.relationship_decay * (1 - damping)
    assert kept["none"] < kept["unsc"] == pytest.approx(expected)
    assert japan.decay_rate(replace(P, relationship_decay=0.0), 0.0) == 0.0


# --------------------------------------------------------------------------- 8 busting
def test_leakage_falls_when_a_hub_adopts() -> None:
    c = table({"transit_hub": 0.9, "russia_trade_bn": 5.0}, {"transit_hub": 0.1})
    both = leakage(c, [2, 2], 0.58)
    hub_adopts = leakage(c, [4, 2], 0.58)
    hub_flow = 5.0 * (1 + P.diversion * 0.9 * 0.58) * (1 - P.secondary_risk * 0.3)
    assert both - hub_adopts == pytest.approx(hub_flow)
    assert leakage(c, [4, 4], 0.58) == 0.0


def test_leakage_rises_with_coalition_for_non_adopting_hubs() -> None:
    c = table({"transit_hub": 0.9}, {"transit_hub": 0.0})
    small = leakage(c, [2, 4], 0.58)
    large = leakage(c, [2, 4], 0.9)
    assert large > small
    off = replace(P, diversion=0.0)
    assert leakage(c, [2, 4], 0.9, off) == pytest.approx(leakage(c, [2, 4], 0.58, off))


def test_secondary_sanctions_cut_leakage_and_raise_target() -> None:
    c = table({"transit_hub": 0.9, "west_trade_share": 0.5})
    no_risk = leakage(c, [2], 0.58, replace(P, secondary_risk=0.0))
    risk = leakage(c, [2], 0.58, replace(P, secondary_risk=0.6))
    assert risk == pytest.approx(no_risk * (1 - 0.6 * 0.5))
    assert (
        target(c, replace(P, secondary_risk=0.6))[0] > target(c, replace(P, secondary_risk=0.0))[0]
    )


def test_busting_rent_pulls_hubs_down_with_coalition_size() -> None:
    c = table({"transit_hub": 0.0}, {"transit_hub": 0.9})
    w_small = weight("busting", c, coalition=0.58)
    w_large = weight("busting", c, coalition=0.9)
    assert w_small[0] == 0.0 and w_large[1] == pytest.approx(P.busting_rent * 0.9 * 0.9)
    assert w_large[1] > w_small[1]
    no_secondary = replace(P, secondary_risk=0.0)
    t = target(c, no_secondary)
    assert t[1] < t[0]
    assert np.all(weight("busting", c, replace(P, busting_rent=0.0), coalition=0.9) == 0)


# --------------------------------------------------------------------------- 9 hedging
def test_hedging_pulls_toward_the_hedge_point() -> None:
    c = table({"security_partner": 0.0, "norm_weight": 1.0}, {"security_partner": 1.0})
    assert weight("hedging", c)[0] == P.hedge_weight and weight("hedging", c)[1] == 0.0
    weak = target(c, replace(P, hedge_weight=0.5))[0]
    strong = target(c, replace(P, hedge_weight=4.0))[0]
    assert abs(strong - P.hedge_point) < abs(weak - P.hedge_point)
    p_off = replace(P, hedge_weight=0.0)
    assert np.all(weight("hedging", c, p_off) == 0)


# --------------------------------------------------------------------------- 10 ASEAN
def test_asean_collective_statement_is_the_lowest_member_exactly() -> None:
    levels = np.array([[3, 2, 4, 0], [4, 4, 3, 1], [1, 2, 2, 0]])
    members = np.array([True, True, True, False])
    assert [rules.collective_level(lv, members) for lv in levels] == [2, 3, 1]
    gen = np.random.default_rng(0)
    for lv in gen.integers(0, 5, size=(200, 4)):
        assert rules.collective_level(lv, members) == max(lv[:3].min(), rules.ASEAN_FLOOR)
    # never below neutrality, even with a member siding with Russia (Myanmar's junta)
    assert rules.collective_level(np.array([0, 3]), np.array([True, True])) == 1
    assert rules.collective_level(np.array([2, 3]), np.array([False, False])) == -1


def test_asean_consensus_pulls_members_toward_the_collective() -> None:
    c = table({}, {}, members=(True, False))
    w = weight("asean", c, level=[3, 3], collective=1)
    assert (w[0], w[1]) == (P.asean_weight, 0.0)
    assert target(c, level=[3, 3], collective=1)[0] < target(c, level=[3, 3], collective=3)[0]


def test_reactance_fires_at_any_time_and_scales_with_the_ask() -> None:
    p = replace(P, reactance_weight=1.0, reactance_tolerance=1.0)  # pinned, not calibrated
    c = table({"norm_weight": 1.0, "democracy": 0.5, "initial_stance": 2.5})
    quiet = target(c, p, visible=0.0)[0]  # tolerance = 1.0 * (0.5 + 0.5) = 1
    below = target(c, p, visible=0.9)[0]
    above = target(c, p, visible=3.0)[0]
    assert below == quiet  # below tolerance: no effect
    assert above < quiet  # pulled away from the ask
    # weight: (visible - tolerance) x gap to the ask, for a state at its declared stance
    gap = (4 - 2.5) / 4
    assert weight("reactance", c, p, level=2, visible=3.0)[0] == pytest.approx(2 * gap)
    # it fires at any time: a state that has moved toward the ask (above its declared
    # stance) is provoked as much at the same stance, and less the closer it is to the ask
    moved = table({"democracy": 0.5, "initial_stance": 1.2})
    assert weight("reactance", moved, p, level=2, visible=3.0)[0] == pytest.approx(2 * gap)
    closer = weight("reactance", moved, p, level=3, visible=3.0)[0]
    assert 0.0 < closer < 2 * gap
    # nor is a state at the ask
    assert weight("reactance", c, p, level=4, visible=3.0)[0] == 0.0
    # reactance never pulls up: its anchor is at or below the stance
    _, anchor = pulls(table({"initial_stance": 0.9}), p, level=0, visible=3.0)["reactance"][0]
    assert anchor <= 0.5
    assert target(c, replace(p, reactance_weight=0.0), visible=3.0)[0] == quiet
    # more democratic states tolerate more visible pressure
    d = table({"democracy": 0.1}, {"democracy": 0.9})
    w = weight("reactance", d, p, level=1, visible=1.0)
    assert w[0] > 0.0 and w[1] == 0.0


# --------------------------------------------------------------------------- 11 counter-forces
def test_china_pulls_toward_neutrality() -> None:
    c = table(
        {"china_trade_share": 0.0, "norm_weight": 1.0},
        {"china_trade_share": 0.6, "norm_weight": 1.0},
    )
    t = target(c)
    assert t[0] > t[1] > 1.5
    assert pulls(c)["china"][1][1] == 1.5
    assert np.all(weight("china", c, replace(P, china_pull=0.0)) == 0)


def test_russia_counter_pressure_grows_when_a_state_moves_up() -> None:
    c = table(HOSTILE, HOSTILE)
    w = weight("russia_counter", c, level=[1, 3])
    ties = (0.6 + 0.4 + 0.6) / 3
    assert w[0] == pytest.approx(P.russia_counter * ties)
    assert w[1] == pytest.approx(P.russia_counter * ties * (1 + P.russia_response * 2))
    flat = weight("russia_counter", c, replace(P, russia_response=0.0), level=[1, 3])
    assert flat[0] == flat[1]


def test_west_pull_rises_with_western_trade() -> None:
    t = target(table({"west_trade_share": 0.1}, {"west_trade_share": 0.7}))
    assert t[1] > t[0]


# --------------------------------------------------------------------------- 12 legitimacy
def test_domestic_legitimacy_is_support_times_salience_times_democracy() -> None:
    c = table(
        {"salience": 0.5, "democracy": 0.8, "public_support": 0.9},
        {"salience": 0.5, "democracy": 0.8, "public_support": 0.1},
    )
    w, anchor = np.array(pulls(c)["public"]).T
    np.testing.assert_allclose(w, [P.public_weight * 0.5 * 0.8] * 2)
    np.testing.assert_allclose(anchor, [1.5 + 2 * 0.9, 1.5 + 2 * 0.1])
    t = target(c)
    assert t[0] > t[1]
    autocracy = table(
        {"democracy": 0.0, "public_support": 0.9}, {"democracy": 0.0, "public_support": 0.1}
    )
    t0 = target(autocracy)
    assert t0[0] == t0[1]
    assert np.all(weight("public", c, replace(P, public_weight=0.0)) == 0)


# --------------------------------------------------------------------------- Japan
def test_japan_pressure_rises_when_outreach_stalls_and_raises_budget_and_visibility() -> None:
    p = replace(P, japan_pressure_gain=0.05, japan_pressure_relief=0.2)
    stalled, record = japan.japan_pressure(p, 0.3, 1.0, 1.0)
    assert (stalled, record) == (pytest.approx(0.35), 1.0)
    gained, record = japan.japan_pressure(p, 0.3, 1.0, 2.0)
    assert (gained, record) == (pytest.approx(0.1), 2.0)
    # a member re-crossing to 'sanction' after slipping back is not progress
    again, record = japan.japan_pressure(p, 0.3, 2.0, 2.0)
    assert (again, record) == (pytest.approx(0.35), 2.0)
    lo = japan.budget_available(P, 4.0, 0.0, True)
    hi = japan.budget_available(P, 4.0, 1.0, True)
    assert (lo, hi) == (4.0, 4.0 * (1 + P.japan_budget_gain))
    assert japan.budget_available(P, 4.0, 1.0, False) == 4.0  # matched effort: held
    spend = np.zeros((len(DEFAULT_INSTRUMENTS), 1))
    spend[0, 0] = 1.0
    seen = flows(spend, np.ones((len(DEFAULT_INSTRUMENTS), 1)), np.array([True]))[1, 0]
    v_lo = japan.felt_pressure(1.0, seen, 2, LAD)
    v_hi = japan.felt_pressure(2.0, seen, 2, LAD)
    assert v_hi == 2 * v_lo > 0 and japan.felt_pressure(2.0, seen, SANCTION, LAD) == 0.0
    # Whole model: hostile states never reach 'sanction', so pressure climbs every week.
    c = table(HOSTILE, HOSTILE)
    steady = replace(P, japan_pressure_initial=0.3, japan_pressure_gain=0.05)
    cal = Calendar(n_steps=10)
    traj = simulate(config(c, params=steady, strategy="uniform", calendar=cal), SEEDS[:4])
    expected = 0.3 + 0.05 * np.arange(10)
    np.testing.assert_allclose(traj.pressure[:, :10], np.tile(expected, (4, 1)))
    assert np.all(np.diff(traj.available[:, 1:], axis=1) > 0)
    flat = simulate(
        config(
            c,
            params=replace(P, japan_pressure_gain=0.0),
            strategy="uniform",
            calendar=Calendar(n_steps=10),
        ),
        SEEDS[:4],
    )
    assert np.all(flat.pressure == P.japan_pressure_initial)


# --------------------------------------------------------------------------- hysteresis
def test_hysteresis_keeps_level_near_a_boundary() -> None:
    h = replace(P, hysteresis=0.15)

    def step(stance: float, level: int) -> int:
        return rules.next_level(h, stance, level, 0.0, LAD)

    assert step(2.05, 1) == 1  # just past the boundary: no change
    assert step(2.2, 1) == 2  # past it by more than h
    assert step(1.9, 2) == 2  # just below: still at 'principle'
    assert step(1.8, 2) == 1  # backsliding past the boundary by more than h
    assert step(3.6, 1) == 3  # a big move jumps to the nearest consistent rung
    assert rules.next_level(replace(P, hysteresis=0.0), 2.05, 1, 0.0, LAD) == 2
