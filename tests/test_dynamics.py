"""Declared stances, relationships that build and decay, bandwagons, and strategies that
leave alone the states already heading to Japan's ask."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest

from sim import rules
from sim.config import Calendar, Event
from sim.engine import simulate
from sim.ladder import Ladder
from tests.helpers import SEEDS, P, config, model_at_week_0, pulls, table, target, weight

LAD = Ladder().spec()


def test_states_start_at_and_are_held_by_their_declared_stance() -> None:
    c = table({"initial_stance": 1.2}, {"initial_stance": 2.7})
    p = replace(P, initial_spread=0.2)
    lad = LAD
    starts = [rules.initial_stance(p, SimpleNamespace(initial_stance=1.2), u, lad) for u in (0, 1)]
    assert starts == [pytest.approx(1.0), pytest.approx(1.4)]
    anchors = [a for _, a in pulls(c)["status_quo"]]
    assert anchors == [1.2, 2.7]  # inertia toward each state's own declared position


def test_bandwagon_pulls_toward_sanction_with_the_share_of_adopters() -> None:
    c = table({}, {})
    p = replace(P, bandwagon_weight=3.0)
    alone = target(c, p, regional_share=0.0)[0]
    joined = target(c, p, regional_share=0.4)[0]
    assert weight("bandwagon", c, p, regional_share=0.4)[0] == pytest.approx(1.2)
    assert joined > alone
    assert target(c, replace(p, bandwagon_weight=0.0), regional_share=0.4)[0] == alone


def test_outreach_builds_a_relationship_that_outlasts_the_visits() -> None:
    """Ten weeks of visits, then none: the stance rises over several weeks (not in one
    step) and decays at the relationship's rate after the visits stop."""
    c = table({"initial_stance": 2.0, "security_partner": 0.6})
    visits = tuple(
        Event(dt.date(2022, 2, 24) + dt.timedelta(weeks=w), "japan_visit", country="C0", amount=4.0)
        for w in range(10)
    )
    p = replace(P, outreach_weight=6.0, outreach_saturation=10.0, relationship_decay=0.05,
                adjustment_speed=0.2, shock_sd=0.0, backslide_hazard=0.0)  # fmt: skip
    cal = Calendar(n_steps=40, events=visits)
    on = simulate(config(c, params=p, strategy="historical", calendar=cal), SEEDS[:4]).stance[
        0, :, 0
    ]
    off = simulate(config(c, params=p, strategy="none", calendar=cal), SEEDS[:4]).stance[0, :, 0]
    lift = on - off
    assert lift[1] < lift[5] < lift[10]  # builds week after week
    assert lift[10] > 0.05  # (a visit acts mostly, not only, on the rhetorical track)
    assert 0 < lift[39] < lift[12]  # decays once the visits stop, but not at once


def test_strategies_skip_states_already_heading_to_the_ask_under_not_heading() -> None:
    """Under eligibility=not_heading a member whose own target already reaches the sanction
    edge gets no outreach; under the default not_at_ask it does (Japan sees its level)."""
    for eligibility, skipped in (("not_heading", True), ("not_at_ask", False)):
        model = model_at_week_0(table({}, {}), strategy="uniform", eligibility=eligibility)
        heading, other = model.countries
        heading.target = 4.9
        spend, _ = model.japan.allocate(0)
        assert (spend[:, 0].sum() == 0.0) == skipped and spend[:, 1].sum() > 0.0
        model.release()
