"""Japan's strategies on small hand-made scenarios: whom they target and how they spend."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from sim import japan
from sim.config import Calendar, Event
from sim.engine import simulate
from sim.strategies import STRATEGIES
from tests.helpers import EAGER, HOSTILE, SEEDS, P, allocate, config, table


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
    available = japan.budget_available(P, cfg.budget, P.japan_pressure_initial, True)
    assert np.all(spend >= 0.0)
    if STRATEGIES[strategy].capped:
        assert spend.sum() <= available * (1 + 1e-9)
    else:  # a replay spends its dated amounts in full, whatever the weekly budget
        assert spend.sum() == 9.0 > available


def test_historical_replays_a_busy_week_in_full_at_any_budget() -> None:
    events = tuple(
        Event(dt.date(2022, 2, 25), "japan_visit", country=f"C{i}", amount=3.0) for i in range(3)
    )
    cal = Calendar(n_steps=2, events=events)
    for budget in (0.0, 1.0, 4.0):
        _, spend = allocate(table({}, {}, {}), "historical", calendar=cal, budget=budget)
        assert spend.sum(axis=1).tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "strategy",
    ["uniform", "receptive_first", "hard_cases_first", "hub_first", "g7_coalition", "adaptive"],
)
def test_eligibility_rule_is_shared_and_switchable(strategy: str) -> None:
    """A member heading to the ask on its own (target past the sanction edge, level below)
    is spent on under not_at_ask and passed over under not_heading, by every strategy."""
    c = table({}, {}, {})
    stance, level = [2.0, 4.5, 2.0], [2, 3, 2]  # C1 at 'condemn', its target past the edge
    if strategy == "adaptive":  # C1 the only member below the ask: the rule alone decides
        stance, level = [4.5, 4.5, 4.5], [4, 3, 4]
    _, both = allocate(c, strategy, stance=stance, level=level, strategy_options={})
    _, skip = allocate(
        c, strategy, stance=stance, level=level, eligibility="not_heading", strategy_options={}
    )
    if strategy in ("receptive_first", "hard_cases_first", "hub_first"):
        k = 3  # everyone is chosen: the rule alone decides
        _, both = allocate(c, strategy, stance=stance, level=level, strategy_options={"k": k})
        _, skip = allocate(
            c, strategy, stance=stance, level=level, strategy_options={"k": k},
            eligibility="not_heading",
        )  # fmt: skip
    assert both[1].sum() > 0.0
    assert skip[1].sum() == 0.0


MM_BARRED = (("C1", "visit"), ("C1", "two_plus_two"), ("C1", "aid"))


@pytest.mark.parametrize("strategy", sorted(set(STRATEGIES) - {"none", "historical"}))
def test_restricted_country_gets_no_country_instrument(strategy: str) -> None:
    """A feasibility restriction: no visit, 2+2 or aid reaches C1, and the budget goes to
    the members the strategy can reach (nothing is lost to the barred country)."""
    c = table(
        {"security_partner": 0.9, "aid_leverage": 0.5},
        {"security_partner": 0.9, "aid_leverage": 0.9},
        {"security_partner": 0.9, "aid_leverage": 0.5},
    )
    cfg, spend = allocate(c, strategy, restrictions=MM_BARRED)
    country = [cfg.instrument_index(n) for n in ("visit", "two_plus_two", "aid")]
    assert spend[1, country].sum() == 0.0
    _, free = allocate(c, strategy)
    assert spend.sum() == pytest.approx(free.sum())


def test_restriction_of_an_unknown_instrument_is_refused() -> None:
    with pytest.raises(ValueError, match="restrictions.C1: unknown country instrument"):
        config(table({}, {}), restrictions=(("C1", "g7_coordination"),))


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
    no_reactance = replace(P, reactance_weight=0.0)  # the proximity term alone
    cfg, spend = allocate(
        c, "adaptive", stance=[2.9, 2.3, 3.0], level=[2, 2, 4], params=no_reactance
    )
    available = japan.budget_available(P, cfg.budget, P.japan_pressure_initial, True)
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
    assert spend[:, kg].sum() == 0.0  # no G7 background: it has no dated record
