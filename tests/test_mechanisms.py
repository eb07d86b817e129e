"""One test per mechanism of issue 2, on small hand-made scenarios.

Each test builds ``CountryProfile``s directly (2-4 countries, simple values, own ties),
calls the rule functions of :mod:`sim.rules` on tiny arrays, or runs the whole model
(:func:`sim.engine.simulate`) on common seeds, and asserts the direction or the exact
value of the mechanism's effect. Several tests also check that setting the mechanism's
weight to 0 switches it off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from sim import rules
from sim.countries import ATTRIBUTE_NAMES, CountryProfile, CountryTable
from sim.engine import simulate
from sim.ladder import Ladder
from sim.model import OutreachModel
from sim.params import (
    DEFAULT_INSTRUMENTS,
    Calendar,
    Event,
    ModelParams,
    SimulationConfig,
)
from sim.rng import replicate_seeds
from sim.rules import FORCES, Signals
from sim.strategies import STRATEGIES, InstrumentSpec
from tests.helpers import default_params

TOP = 5.0  # default ladder: stance in [0, 5)
SANCTION = 4
LAD = Ladder().spec()
P = default_params()
FORCE = {f["name"]: f for f in FORCES}

BASE: dict[str, float] = {
    "russia_trade_pct": 0.5,
    "russia_trade_bn": 1.0,
    "japan_trade_share": 0.1,
    "china_trade_share": 0.2,
    "west_trade_share": 0.3,
    "arms_russia": 0.05,
    "energy_russia": 0.1,
    "party_affinity": 0.0,
    "security_partner": 0.6,
    "transit_hub": 0.2,
    "democracy": 0.6,
    "public_support": 0.6,
    "salience": 0.5,
    "norm_weight": 0.6,
    "un_legalism": 0.5,
    "aid_leverage": 0.3,
    "un_seat_stance": float("nan"),
}
"""A middling Southeast Asian state: every hand-made country starts from these values."""

HOSTILE = {"arms_russia": 0.6, "party_affinity": 0.6, "energy_russia": 0.4}
"""Strong arms and party ties to Moscow (a Laos-like state)."""

EAGER = {
    "russia_trade_pct": 0.0,
    "arms_russia": 0.0,
    "energy_russia": 0.0,
    "transit_hub": 0.0,
    "china_trade_share": 0.0,
    "west_trade_share": 0.9,
    "security_partner": 0.9,
    "public_support": 1.0,
    "salience": 1.0,
    "democracy": 1.0,
    "norm_weight": 0.2,
    "un_legalism": 0.8,
}
"""A state close to sanctioning but for its insistence on UN authority."""


def table(
    *overrides: Mapping[str, float],
    ties: Mapping[tuple[str, str], float] | None = None,
    members: tuple[bool, ...] | None = None,
) -> CountryTable:
    """Countries C0, C1, ... each ``BASE`` updated with its overrides."""
    members = members or (True,) * len(overrides)
    profiles = [
        CountryProfile(f"C{i}", f"Country {i}", {**BASE, **o}, member=m)
        for i, (o, m) in enumerate(zip(overrides, members, strict=True))
    ]
    return CountryTable.from_profiles(profiles, ties or {})


def countries_as_rules_see_them(
    countries: CountryTable,
    p: ModelParams = P,
    *,
    level: float | list[float] = 2,
    stock: float | list[float] = 0.0,
    visible: float | list[float] = 0.0,
) -> list[SimpleNamespace]:
    """Each country with its attributes, per-run constants and a given weekly state."""
    n = countries.n
    levels = np.broadcast_to(np.asarray(level, dtype=np.int64), (n,))
    stocks = np.broadcast_to(np.asarray(stock, dtype=float), (n,))
    seen = np.broadcast_to(np.asarray(visible, dtype=float), (n,))
    out = []
    for i in range(n):
        c = SimpleNamespace(
            **{a: float(countries.values[k, i]) for k, a in enumerate(ATTRIBUTE_NAMES)}
        )
        c.member, c.threshold = bool(countries.member[i]), 0.0
        c.level, c.stance = int(levels[i]), float(levels[i]) + 0.5
        c.outreach_stock, c.visible = float(stocks[i]), float(seen[i])
        c.russia_ties = rules.russia_ties(c)
        c.tolerance = rules.reactance_tolerance(p, c)
        c.deterred = rules.deterred_share(p, c)
        c.static_num, c.static_den = rules.fixed_pull(p, c, LAD)
        out.append(c)
    return out


def situation(
    countries: CountryTable,
    p: ModelParams = P,
    *,
    coalition: float = 0.58,
    collective: int | None = None,
    institution: float = 0.0,
    network: np.ndarray | None = None,
    **state: Any,
) -> tuple[list[SimpleNamespace], list[Signals]]:
    """Countries and what each perceives in a given week of one run."""
    cs = countries_as_rules_see_them(countries, p, **state)
    levels = np.array([c.level for c in cs], dtype=np.int64)
    net = countries.network if network is None else network
    ties = np.rint(net * rules.TIE_RESOLUTION).astype(np.int64)
    coll = rules.collective_level(levels, countries.member) if collective is None else collective
    signals = []
    for i in range(len(cs)):
        mean, pulling = rules.peer_signal(ties, i, levels)
        signals.append(Signals(coalition, mean, pulling, coll, 0.0, institution))
    return cs, signals


def pulls(countries: CountryTable, p: ModelParams = P, **kw: Any) -> dict[str, list[tuple]]:
    """``(weight, anchor)`` of every force on every country."""
    cs, signals = situation(countries, p, **kw)
    out: dict[str, list[tuple]] = {}
    for f in FORCES:
        if f["kind"] == "fixed":
            out[f["name"]] = [f["fn"](p, c, LAD) for c in cs]
        else:
            out[f["name"]] = [f["fn"](p, c, s, LAD) for c, s in zip(cs, signals, strict=True)]
    return out


def target(countries: CountryTable, p: ModelParams = P, **kw: Any) -> np.ndarray:
    """Target stance of every country, shape ``(N,)``."""
    cs, signals = situation(countries, p, **kw)
    sums = [rules.weekly_pull(p, c, s, LAD) for c, s in zip(cs, signals, strict=True)]
    return np.array([num / den for num, den in sums])


def weight(force: str, countries: CountryTable, p: ModelParams = P, **kw: Any) -> np.ndarray:
    return np.array([w for w, _ in pulls(countries, p, **kw)[force]])


def config(countries: CountryTable, **kw: Any) -> SimulationConfig:
    kw.setdefault("calendar", Calendar(n_steps=20))
    kw.setdefault("params", P)
    return SimulationConfig(countries=countries, **kw)


SEEDS = replicate_seeds(7, 24)


def model_at_week_0(countries: CountryTable, seed: int = 11, **kw: Any) -> OutreachModel:
    return OutreachModel(config(countries, **kw), seed)


def allocate(
    countries: CountryTable,
    strategy: str,
    *,
    stance: list[float] | None = None,
    level: list[int] | None = None,
    budget: float = 4.0,
    **kw: Any,
) -> tuple[SimulationConfig, np.ndarray]:
    """Japan's enforced allocation ``(N, K)`` in week 0 of one run."""
    model = model_at_week_0(countries, strategy=strategy, budget=budget, **kw)
    for i, agent in enumerate(model.countries):
        if stance is not None:
            agent.stance = agent.target = float(stance[i])
        if level is not None:
            agent.level = int(level[i])
    spend = model.japan.allocate(0)  # (K, N)
    model.release()
    return model.config, spend.T


INSTRUMENTS = InstrumentSpec(
    efficiency=np.array([i.effect / i.cost for i in DEFAULT_INSTRUMENTS]),
    visibility=np.array([i.visibility for i in DEFAULT_INSTRUMENTS]),
    kind=np.array([{"country": 0, "asean": 1, "global": 2}[i.target] for i in DEFAULT_INSTRUMENTS]),
)


def leakage(
    countries: CountryTable, level: list[int], coalition: float, p: ModelParams = P
) -> float:
    """Russian trade through non-adopters (USD bn/yr) at given levels."""
    cs = countries_as_rules_see_them(countries, p, level=level)
    return sum(rules.leakage_flow(p, c, coalition, LAD) for c in cs)


def flows(spend: np.ndarray, leverage: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Rows: direct effect, seen pressure, budget received, for a ``(K, N)`` spending."""
    out = np.empty((3, spend.shape[1]))
    rules.outreach_flows(spend, INSTRUMENTS, leverage, member / max(member.sum(), 1), out)
    return out


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
    w1 = weight("peer", one, level=[2, 4, 4])[0]
    w2 = weight("peer", two, level=[2, 4, 4])[0]
    assert (w1, w2) == (P.peer_weight * 0.5, P.peer_weight)
    assert target(one, level=[2, 4, 4])[0] < target(two, level=[2, 4, 4])[0]


# --------------------------------------------------------------------------- 5 linkage
def test_aid_works_more_where_aid_leverage_is_higher() -> None:
    c = table({"aid_leverage": 0.2}, {"aid_leverage": 0.6})
    model = model_at_week_0(c)
    spend = np.zeros((len(DEFAULT_INSTRUMENTS), 2))
    spend[2, :] = 1.0  # one unit of aid each
    impact = flows(spend, model.japan.leverage, c.member)[0]
    assert impact[1] == pytest.approx(3.0 * impact[0])
    assert impact[0] == pytest.approx(0.2 * 3.0 / 2.0)
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
    rules.enforce_budget(wanted, usable, 2.0, spend)
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
    c0 = rules.credibility(P, 0.0, 0.0)
    c1 = rules.credibility(P, 1.0, 0.0)
    assert c0 == 1.0 and c1 == pytest.approx(1.0 + P.credibility_g7 * 0.5)
    assert rules.credibility(replace(P, credibility_g7=0.0), 1.0, 0.0) == 1.0
    assert rules.credibility(P, 0.0, 1.0) == 1.0 + P.credibility_institution
    # G7 spending builds the stock that multiplies country outreach.
    model = model_at_week_0(table({}, {}), strategy="g7_coalition")
    model.japan.reach_out(model.japan.allocate(0))
    assert model.japan.g7_stock > 0
    assert rules.credibility(P, model.japan.g7_stock, model.institution) > c0
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
        mandate_compliance=0.0,
    )
    short = Calendar(n_steps=8)
    a = simulate(
        config(c, params=off, institution="none", calendar=short, strategy="uniform"), seeds
    )
    b = simulate(
        config(c, params=off, institution="unsc", calendar=short, strategy="uniform"), seeds
    )
    assert a.equals(b)


def test_binding_mandate_pulls_un_legalists_toward_sanction() -> None:
    """Only a UNSC mandate (backing 1) binds; the pull scales with UN legalism."""
    c = table({"un_legalism": 0.2}, {"un_legalism": 0.9})

    def compliance(institution: float, p: ModelParams = P) -> np.ndarray:
        return weight("un_compliance", c, p, level=1, institution=institution)

    assert np.all(compliance(0.0) == 0.0) and np.all(compliance(0.5) == 0.0)
    w = compliance(1.0)
    assert w[1] == pytest.approx(P.mandate_compliance * 0.9) and w[1] > w[0] > 0
    assert np.all(compliance(1.0, replace(P, mandate_compliance=0.0)) == 0.0)


def test_dated_event_never_lowers_the_configured_backing() -> None:
    c = table({}, {})
    cal = Calendar(n_steps=4, events=(Event(dt.date(2022, 3, 2), "institution", name="unga"),))
    for configured, expected in (("unsc", 1.0), ("none", 0.5)):
        model = model_at_week_0(c, institution=configured, calendar=cal)
        model.apply_calendar(0)
        assert model.institution == expected
        model.release()


# --------------------------------------------------------------------------- 7 backsliding
def test_backsliding_hazard_drops_stance_and_institutions_damp_it() -> None:
    slip = [
        rules.backslide(P, u, lv, 0.0, LAD)
        for u, lv in zip([0.01, 0.01, 0.5, 0.01], [2, 3, 3, 1], strict=True)
    ]
    assert slip == [P.backslide_drop, P.backslide_drop, 0.0, 0.0]  # only at 'principle'+
    # Hazard 0.02 without institutions, 0.02 * 0.2 = 0.004 with a UNSC mandate.
    assert rules.backslide(P, 0.01, 3, 0.0, LAD) == P.backslide_drop
    assert rules.backslide(P, 0.01, 3, 1.0, LAD) == 0.0
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
        model.japan.reach_out(np.zeros((len(model.config.instruments), 2)))
        kept[inst] = model.countries[0].outreach_stock
        model.release()
    damping = P.institution_damping
    assert kept["none"] == pytest.approx(1.0 - P.outreach_decay)
    assert kept["none"] < kept["unsc"] == pytest.approx(1.0 - P.outreach_decay * (1 - damping))
    assert rules.decay_rate(replace(P, outreach_decay=0.0), 0.0) == 0.0


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
        assert rules.collective_level(lv, members) == lv[:3].min()
    assert rules.collective_level(np.array([2, 3]), np.array([False, False])) == -1


def test_asean_consensus_pulls_members_toward_the_collective() -> None:
    c = table({}, {}, members=(True, False))
    w = weight("asean", c, level=[3, 3], collective=1)
    assert (w[0], w[1]) == (P.asean_weight, 0.0)
    assert target(c, level=[3, 3], collective=1)[0] < target(c, level=[3, 3], collective=3)[0]


def test_reactance_past_tolerance_moves_a_state_away() -> None:
    p = replace(P, reactance_weight=1.0, reactance_tolerance=1.0)  # pinned, not calibrated
    c = table({"norm_weight": 1.0, "democracy": 0.5})  # tolerance = 1.0 * (0.5 + 0.5) = 1
    quiet = target(c, p, visible=0.0)[0]
    below = target(c, p, visible=0.9)[0]
    above = target(c, p, visible=3.0)[0]
    assert quiet > p.reactance_anchor
    assert below == quiet  # below tolerance: no effect
    assert p.reactance_anchor < above < quiet  # pulled toward non-alignment
    assert weight("reactance", c, p, visible=3.0)[0] == pytest.approx(2.0)
    assert target(c, replace(p, reactance_weight=0.0), visible=3.0)[0] == quiet
    # More democratic states tolerate more visible pressure.
    d = table({"democracy": 0.1}, {"democracy": 0.9})
    w = weight("reactance", d, p, visible=1.0)
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
    stalled = rules.japan_pressure(P, 0.3, 0.0, 0.0)
    gained = rules.japan_pressure(P, 0.3, 0.0, 1.0)
    assert stalled == pytest.approx(0.3 + P.japan_pressure_gain)
    assert gained == pytest.approx(0.3 - P.japan_pressure_relief)
    lo = rules.budget_available(P, 4.0, 0.0)
    hi = rules.budget_available(P, 4.0, 1.0)
    assert (lo, hi) == (4.0, 4.0 * (1 + P.japan_budget_gain))
    spend = np.zeros((len(DEFAULT_INSTRUMENTS), 1))
    spend[0, 0] = 1.0
    seen = flows(spend, np.ones((len(DEFAULT_INSTRUMENTS), 1)), np.array([True]))[1, 0]
    v_lo = rules.felt_pressure(1.0, seen, 2, LAD)
    v_hi = rules.felt_pressure(2.0, seen, 2, LAD)
    assert v_hi == 2 * v_lo > 0 and rules.felt_pressure(2.0, seen, SANCTION, LAD) == 0.0
    # Whole model: hostile states never reach 'condemn', so pressure climbs every week.
    c = table(HOSTILE, HOSTILE)
    traj = simulate(config(c, strategy="uniform", calendar=Calendar(n_steps=10)), SEEDS[:4])
    expected = P.japan_pressure_initial + P.japan_pressure_gain * np.arange(10)
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


# --------------------------------------------------------------------------- strategies
def test_none_strategy_spends_nothing() -> None:
    traj = simulate(config(table({}, {}, {}), strategy="none"), SEEDS[:4])
    assert np.all(traj.spent == 0.0) and np.all(traj.outreach == 0.0)
    _, spend = allocate(table({}, {}), "none")
    assert not spend.any()


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_allocates_within_budget(strategy: str) -> None:
    c = table(
        {}, HOSTILE, EAGER, {"security_partner": 0.2}, ties={("C0", "C1"): 0.5, ("C2", "C3"): 0.5}
    )
    events = (Event(dt.date(2022, 2, 25), "japan_visit", country="C2", amount=9.0),)
    cfg, spend = allocate(c, strategy, calendar=Calendar(n_steps=2, events=events))
    available = rules.budget_available(P, cfg.budget, P.japan_pressure_initial)
    assert np.all(spend >= 0.0)
    assert spend.sum() <= available * (1 + 1e-9)


def test_hub_first_targets_the_hub() -> None:
    c = table({}, {"transit_hub": 0.9, "russia_trade_bn": 5.0}, {})
    _, spend = allocate(c, "hub_first", strategy_options={"k": 1})
    assert spend[1].sum() > 0 and spend[[0, 2]].sum() == 0.0


def test_receptive_and_hard_cases_first_target_by_stance() -> None:
    c = table({}, {}, {})
    _, rec = allocate(c, "receptive_first", stance=[1.2, 3.5, 2.0], strategy_options={"k": 1})
    _, hard = allocate(c, "hard_cases_first", stance=[1.2, 3.5, 2.0], strategy_options={"k": 1})
    assert rec[1].sum() > 0 and rec[[0, 2]].sum() == 0.0
    assert hard[0].sum() > 0 and hard[[1, 2]].sum() == 0.0


def test_uniform_spreads_equally_over_non_adopters() -> None:
    _, spend = allocate(table({}, {}, {}), "uniform", level=[2, 4, 1])
    per_country = spend.sum(axis=1)
    assert per_country[1] == 0.0 and per_country[0] == per_country[2] > 0


def test_security_partners_uses_two_plus_two_only_on_partners() -> None:
    c = table({"security_partner": 0.9}, {"security_partner": 0.2}, {"security_partner": 0.6})
    cfg, spend = allocate(c, "security_partners")
    k2 = cfg.instrument_index("two_plus_two")
    assert spend[1].sum() == 0.0  # nothing at all on the non-partner
    assert spend[0, k2] > 0 and spend[2, k2] > 0
    used = {cfg.instruments[k].name for k in np.nonzero(spend.sum(axis=0))[0]}
    assert used == {"two_plus_two", "visit"}


def test_asean_multilateral_uses_only_the_asean_channel() -> None:
    cfg, spend = allocate(table({}, {}, {}), "asean_multilateral")
    ka = cfg.instrument_index("asean_channel")
    pressure = P.japan_pressure_initial
    assert spend[:, ka].sum() == pytest.approx(4.0 * (1 + P.japan_budget_gain * pressure))
    assert np.delete(spend, ka, axis=1).sum() == 0.0


def test_incentives_spend_aid_in_proportion_to_aid_leverage() -> None:
    cfg, spend = allocate(table({"aid_leverage": 0.2}, {"aid_leverage": 0.6}), "incentives")
    ka = cfg.instrument_index("aid")
    assert spend[1, ka] == pytest.approx(3.0 * spend[0, ka])
    assert np.delete(spend, ka, axis=1).sum() == 0.0


def test_g7_coalition_splits_coordination_and_visits() -> None:
    cfg, spend = allocate(table({}, {}), "g7_coalition")
    kg, kv = cfg.instrument_index("g7_coordination"), cfg.instrument_index("visit")
    assert spend[:, kg].sum() == pytest.approx(spend[:, kv].sum())


def test_adaptive_spends_the_budget_on_the_best_marginal_gain() -> None:
    c = table({}, {}, {})
    cfg, spend = allocate(c, "adaptive", stance=[2.9, 2.3, 3.0], level=[2, 2, 4])
    available = rules.budget_available(P, cfg.budget, P.japan_pressure_initial)
    assert spend.sum() == pytest.approx(available)
    per_country = spend.sum(axis=1)
    assert per_country[2] == 0.0  # an adopter gains nothing
    assert per_country[0] > per_country[1]  # closest to the next rung boundary first


def test_historical_replays_dated_visits() -> None:
    events = (
        Event(dt.date(2022, 2, 26), "japan_visit", country="C1", instrument="aid", amount=1.0),
    )
    cfg, spend = allocate(table({}, {}), "historical", calendar=Calendar(n_steps=2, events=events))
    kg = cfg.instrument_index("g7_coordination")
    assert spend[1, cfg.instrument_index("aid")] == 1.0
    assert np.delete(spend[0], kg).sum() == 0.0  # no visit where none is dated
    assert spend[:, kg].sum() == 0.5  # steady G7 coordination in the background
