"""Determinism and invariants of the model over many seeds and every strategy."""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import replace

import numpy as np
import pytest

from sim import japan, rules
from sim.config import Calendar, Event, SimulationConfig
from sim.engine import simulate
from sim.ladder import Ladder
from sim.model import CountryAgent, OutreachModel, run_mesa
from sim.results import STEP_MEASURES, Trajectories
from sim.rng import replicate_seeds
from sim.strategies import STRATEGIES
from tests.helpers import ASEAN, default_params

N_STEPS = 26
SEEDS = replicate_seeds(2022, 40)
COUNTRIES = ASEAN
P = default_params()
EVENTS = (
    Event(dt.date(2022, 3, 2), "japan_visit", country="PH", instrument="two_plus_two", amount=2.0),
    Event(dt.date(2022, 4, 29), "japan_visit", country="ID", amount=1.0),
    Event(dt.date(2022, 5, 2), "japan_visit", country="VN", instrument="aid", amount=3.0),
    Event(dt.date(2022, 6, 1), "institution", name="unga"),
)


def config(strategy: str = "adaptive", **kw: object) -> SimulationConfig:
    kw.setdefault("calendar", Calendar(n_steps=N_STEPS, events=EVENTS))
    kw.setdefault("params", P)
    return SimulationConfig(countries=COUNTRIES, strategy=strategy, **kw)  # type: ignore[arg-type]


def check_invariants(traj: Trajectories, cfg: SimulationConfig) -> None:
    """Every invariant a trajectory must satisfy."""
    n_levels = cfg.ladder.n_levels
    member = cfg.countries.member
    assert traj.level.min() >= 0 and traj.level.max() <= n_levels - 1
    assert np.all(traj.stance >= 0.0) and np.all(traj.stance < n_levels)
    assert np.all(np.isfinite(traj.stance))
    assert np.all(traj.spent >= 0.0)
    assert np.all(traj.spent <= traj.available * (1.0 + 1e-9))
    floor = rules.ASEAN_FLOOR  # ASEAN never goes below neutrality
    expected = np.maximum(traj.level[:, :, member].min(axis=-1), floor)
    np.testing.assert_array_equal(traj.asean_level, expected)
    assert np.all(traj.leakage >= 0.0)
    assert np.all((traj.pressure >= 0.0) & (traj.pressure <= 1.0))
    assert np.all(traj.outreach >= 0.0)
    assert np.all((traj.coalition >= 0.0) & (traj.coalition <= 1.0))


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_trajectories() -> None:
    cfg = config(sample_priors=True)
    assert simulate(cfg, SEEDS[:10]).equals(simulate(cfg, SEEDS[:10]))


def test_different_seeds_give_different_trajectories() -> None:
    cfg = config()
    a = simulate(cfg, SEEDS[:5])
    b = simulate(cfg, replicate_seeds(2023, 5))
    assert not np.array_equal(a.stance, b.stance)
    # Each replicate differs from the others within one batch too.
    assert len({row.tobytes() for row in a.stance[:, -1]}) == 5


def test_a_run_does_not_depend_on_its_batch() -> None:
    cfg = config()
    together = simulate(cfg, SEEDS[:6])
    alone = simulate(cfg, SEEDS[3:4])
    np.testing.assert_array_equal(together.stance[3], alone.stance[0])


def test_replicate_seeds_are_reproducible() -> None:
    np.testing.assert_array_equal(replicate_seeds(5, 8), replicate_seeds(5, 8))
    np.testing.assert_array_equal(replicate_seeds(5, 8)[4:], replicate_seeds(5, 4, start=4))
    assert len(set(replicate_seeds(5, 1000).tolist())) == 1000


# --------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_invariants_hold_for_every_strategy(strategy: str) -> None:
    for cfg in (
        config(strategy),
        config(
            strategy,
            sample_priors=True,
            institution="unsc",
            budget=9.0,
            params=replace(P, shock_sd=0.3, backslide_hazard=0.1),
        ),
    ):
        check_invariants(simulate(cfg, SEEDS), cfg)


def test_invariants_hold_with_timor_leste_as_observer() -> None:
    from experiments.workflow.scenario import load_scenario_file, table_from_mapping

    data = load_scenario_file()
    data["simulated"] = [*data["simulated"], "TL"]
    data["members"] = [c for c in data["members"] if c != "TL"]
    countries = table_from_mapping(data)
    assert countries.n == 11 and not countries.member[-1]
    cfg = SimulationConfig(
        countries=countries, params=P, strategy="uniform", calendar=Calendar(n_steps=N_STEPS)
    )
    check_invariants(simulate(cfg, SEEDS[:10]), cfg)


def test_enforce_budget_never_overspends() -> None:
    gen = np.random.default_rng(1)
    for _ in range(500):
        wanted = gen.exponential(3.0, size=(5, 10)) - 0.5  # (K, N)
        usable = gen.random((5, 10)) > 0.3
        available = gen.uniform(0.0, 10.0)
        spend = np.empty_like(wanted)
        japan.enforce_budget(wanted, usable, available, spend, np.empty(wanted.shape[0]))
        assert np.all(spend >= 0.0) and not spend[~usable].any()
        assert spend.sum() <= available * (1.0 + 1e-9)
        if (np.maximum(wanted, 0) * usable).sum() <= available:  # within budget: as asked
            np.testing.assert_array_equal(spend, np.maximum(wanted, 0) * usable)


def test_extra_rungs_ladder_runs() -> None:
    ladder = Ladder(
        names=("oppose", "neutral", "principle", "condemn", "sanction", "embargo"),
        sanction_level=4,
    )
    cfg = config("adaptive", ladder=ladder, calendar=Calendar(n_steps=12))
    traj = simulate(cfg, SEEDS[:10])
    check_invariants(traj, cfg)
    assert traj.stance.max() < 6.0
    assert run_mesa(cfg, SEEDS[:2]).equals(simulate(cfg, SEEDS[:2]))


# --------------------------------------------------------------------------- Mesa model
MODEL_REPORTERS = set(STEP_MEASURES) - {"n_condemn_or_higher"}  # (counted from the levels)


def test_mesa_model_steps_and_collects_named_reporters() -> None:
    cfg = config("uniform", calendar=Calendar(n_steps=5))
    model = OutreachModel(cfg, seed=int(SEEDS[0]))
    try:
        assert len(model.agents_by_type[CountryAgent]) == COUNTRIES.n
        model.step()
        model.step()
        assert model.steps == 2
        traj = model.run()
        assert model.steps == 5 and not model.running
        mdf = model.datacollector.get_model_vars_dataframe()
        assert set(mdf.columns) == MODEL_REPORTERS
        assert len(mdf) == 6  # initial state plus one row per step
        adf = model.datacollector.get_agent_vars_dataframe()
        assert {"stance", "level", "outreach"} <= set(adf.columns)
        for name in MODEL_REPORTERS:
            assert callable(model.datacollector.model_reporters[name])
            pickle.dumps(model.datacollector.model_reporters[name])  # (a lambda would not)
        check_invariants(traj, cfg)
        assert traj.equals(simulate(cfg, SEEDS[:1]))
        assert all(0 <= a.level < cfg.ladder.n_levels for a in model.countries)
    finally:
        model.release()
