"""The measurement rule (sim.observe), the material track (sim.material) and the
small-state norm's restriction to the states that cite it (issue 19)."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest

from sim import material, observe
from sim.config import Calendar
from sim.engine import simulate
from sim.params import ModelParams
from sim.votes import VoteRule
from tests.helpers import HOSTILE, LAD, SEEDS, P, config, countries_as_rules_see_them, table
from tests.helpers import weight as force_weight


def _range(cls: type, name: str) -> tuple[float, float]:
    return next(f.metadata["range"] for f in fields(cls) if f.name == name)


def test_naming_russia_implies_a_yes_on_a_principle_text_over_the_whole_ranges() -> None:
    """Own words name Russia from stance condemn - hysteresis, joint texts from condemn -
    joint_drafting; the vote rule's yes cut can never lie above either."""
    yes_hi = _range(VoteRule, "principle_yes")[1]
    hyst_hi = _range(ModelParams, "hysteresis")[1]
    joint_hi = _range(ModelParams, "joint_drafting")[1]
    observe.check_cut_order(yes_hi, hyst_hi, joint_hi)  # the worst corner passes
    with pytest.raises(ValueError, match="vote_rule.principle_yes"):
        observe.check_cut_order(2.9, hyst_hi, joint_hi)


def test_own_naming_implies_joint_naming() -> None:
    p = replace(P, joint_drafting=0.4)
    stance = np.array([2.5, 2.7, 2.95, 3.2])
    level = np.array([2, 2, 3, 3])
    own = observe.names_russia_own(level, LAD)
    joint = observe.names_russia_joint(p, stance, level, LAD)
    assert list(own) == [False, False, True, True]
    assert list(joint) == [False, True, True, True]
    assert not np.any(own & ~joint)


def test_material_track_moves_with_risk_and_ties_and_leakage_follows_it() -> None:
    """A state with Western trade and security ties distances; one with arms, energy and
    party ties to Russia deepens; leakage falls short of sanctions once a state distances."""
    p = replace(
        P,
        material_risk=30.0,
        material_ties=10.0,
        material_inertia=0.5,
        shock_sd=0.0,
        west_weight=0.0,
        norm_strength=0.0,
    )  # the stance held below 'sanction': only the material track moves
    west = {"west_trade_share": 0.6, "security_partner": 1.0, "arms_russia": 0.0,
            "energy_russia": 0.0, "initial_stance": 1.5}  # fmt: skip
    c = table(west, {**HOSTILE, "west_trade_share": 0.0, "initial_stance": 1.5, "norm_cited": 0.0})
    traj = simulate(config(c, params=p, calendar=Calendar(n_steps=20)), SEEDS[:2])
    assert np.all(traj.material[:, -1, 0] >= material.DISTANCING)
    assert np.all(traj.material[:, -1, 1] == 0)
    assert np.all(traj.level[:, -1] < LAD.sanction_level)  # no sanctions, yet:
    off = simulate(config(c, params=replace(p, leak_distancing=0.0), calendar=Calendar(n_steps=20)),
                   SEEDS[:2])  # fmt: skip
    with_cut = simulate(
        config(c, params=replace(p, leak_distancing=0.5), calendar=Calendar(n_steps=20)), SEEDS[:2]
    )
    assert np.all(with_cut.leakage[:, -1] < off.leakage[:, -1])


def test_leak_factor_is_ordered_along_the_track() -> None:
    p = replace(P, leak_distancing=0.3, leak_anti_circumvention=0.7)
    shares = [material.leak_factor(p, step) for step in range(5)]
    assert shares == [1.0, 1.0, pytest.approx(0.7), pytest.approx(0.3), 0.0]
    c = countries_as_rules_see_them(table({}), p, level=2)[0]
    c.material_level = material.DISTANCING
    assert observe.material_reading(c.level, c.material_level, LAD) == material.DISTANCING


def test_small_state_norm_acts_only_where_statements_cite_it() -> None:
    p = replace(P, norm_strength=10.0)
    c = table({"norm_weight": 1.0, "norm_cited": 1.0}, {"norm_weight": 1.0, "norm_cited": 0.0})
    w = force_weight("norm", c, p)
    assert w[0] == pytest.approx(10.0) and w[1] == 0.0


def test_peer_influence_spreads_outreach_to_a_member_japan_does_not_visit() -> None:
    """At the named point of conf/validate.yaml (plausible: checked by the validation's
    check_reach_point), weekly visits to one member move another one; with peers off,
    nobody else moves at all."""
    import yaml

    from experiments.calibration.facts import historical_config
    from experiments.calibration.observables_report import spillover_table
    from experiments.calibration.validate import check_reach_point
    from experiments.workflow.paths import ROOT
    from sim.rng import replicate_seeds

    conf = yaml.safe_load((ROOT / "conf" / "validate.yaml").read_text())
    point = conf["spillover_point"]
    check_reach_point(point, "spillover_point")
    config = historical_config()
    target = conf["spillover_target"]
    table = spillover_table(
        config, replicate_seeds(5, 120), target, conf["spillover_budget"], point
    ).drop(index=target)
    assert table["lift peers off"].abs().max() == 0.0
    assert table["lift with peers"].abs().max() > 0.02
    assert table["level differs with peers"].max() > 0.0
