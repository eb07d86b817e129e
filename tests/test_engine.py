"""The ensemble engine reproduces the Mesa model bit for bit, and its batching is invisible.

Unmarked tests: every strategy on the default scenario over the full horizon (a few
seeds), every scenario variant (short horizon), chunking, workers, streaming, summaries,
determinism and the layout-independence of the optimised rule kernels. The slow set
compares every strategy on every variant with 50 seeds each: the default scenario over
the full 53-week horizon, the other variants over a shorter one (the historical
calendar over 14 weeks, enough for every dated event).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from experiments.scenario import default_table
from sim import rules
from sim.engine import iter_chunks, run_ensemble, simulate
from sim.model import OutreachModel, run_mesa
from sim.params import Calendar, Event, SimulationConfig
from sim.results import Trajectories, summarise
from sim.rng import replicate_seeds
from sim.strategies import STRATEGIES

ASEAN = default_table()
ASEAN_TL = default_table(include_timor_leste=True)

HISTORICAL_2022 = Calendar(
    n_steps=14,
    events=(
        Event(dt.date(2022, 3, 2), "institution", name="unga"),
        Event(dt.date(2022, 3, 20), "japan_visit", country="KH", instrument="visit"),
        Event(dt.date(2022, 4, 9), "japan_visit", country="PH", instrument="two_plus_two"),
        Event(dt.date(2022, 4, 29), "japan_visit", country="ID", instrument="visit"),
        Event(dt.date(2022, 4, 29), "japan_visit", country="ID", instrument="aid", amount=2.0),
        Event(dt.date(2022, 5, 1), "japan_visit", country="VN", instrument="visit"),
        Event(dt.date(2022, 5, 2), "japan_visit", country="TH", instrument="visit"),
        Event(dt.date(2022, 5, 2), "japan_visit", country="TH", instrument="aid", amount=2.0),
        Event(dt.date(2022, 5, 26), "japan_visit", country="SG", instrument="visit"),
    ),
)

SHORT = 4
VARIANTS: dict[str, dict] = {
    "default": {},
    "timor_leste": {"countries": ASEAN_TL},
    "un_mandate": {"institution": "unsc"},
    "budget_low": {"budget": 0.5},
    "budget_high": {"budget": 16.0},
    "no_outreach": {"budget": 0.0},
    "sample_priors": {"sample_priors": True},
    "historical_calendar": {"calendar": HISTORICAL_2022},
}
"""Scenario variants of the experiment presets (keyword changes to the default config)."""


def config_for(strategy: str, variant: str, n_steps: int | None = None) -> SimulationConfig:
    changes = {"countries": ASEAN, **VARIANTS[variant]}
    config = SimulationConfig(strategy=strategy, **changes)
    if n_steps is not None:
        config = replace(config, calendar=replace(config.calendar, n_steps=n_steps))
    return config


def mesa_on_two_cores(config: SimulationConfig, seeds: np.ndarray) -> Trajectories:
    """``run_mesa`` on two forked processes (halves in seed order)."""
    halves = np.array_split(seeds, 2)
    with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as pool:
        parts = list(pool.map(run_mesa, [config, config], halves))
    return Trajectories.concatenate(parts)


# --------------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_engines_identical_for_every_strategy_full_horizon(strategy: str) -> None:
    config = config_for(strategy, "default")
    seeds = replicate_seeds(11, 3)
    vectorized, mesa = simulate(config, seeds), run_mesa(config, seeds)
    assert vectorized.stance.shape == (3, config.calendar.n_steps + 1, ASEAN.n)
    assert vectorized.equals(mesa)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_engines_identical_for_every_variant(variant: str) -> None:
    strategy = "historical" if variant == "historical_calendar" else "adaptive"
    config = config_for(strategy, variant, None if variant == "historical_calendar" else SHORT)
    seeds = replicate_seeds(12, 4)
    assert simulate(config, seeds).equals(run_mesa(config, seeds))


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_engines_identical_exhaustive(strategy: str, variant: str) -> None:
    """50 seeds per strategy and variant; the default scenario over the full horizon."""
    n_steps = None if variant in ("default", "historical_calendar") else SHORT
    config = config_for(strategy, variant, n_steps)
    seeds = replicate_seeds(2022, 50)
    assert simulate(config, seeds).equals(mesa_on_two_cores(config, seeds))


def test_historical_calendar_moves_the_world() -> None:
    """The calendar variant is not vacuous: the UNGA vote and the visits take effect."""
    config = config_for("historical", "historical_calendar")
    traj = simulate(config, replicate_seeds(5, 20))
    assert traj.outreach[:, 4].sum() > 0  # KH visit, 2022-03-20, week 3 -> recorded at 4
    plain = simulate(config_for("none", "default", 14), replicate_seeds(5, 20))
    assert not traj.equals(plain)


def test_mesa_agents_expose_their_state() -> None:
    model = OutreachModel(config_for("uniform", "default", 3), seed=7)
    model.run()
    stances = np.array([a.stance for a in model.countries])
    np.testing.assert_array_equal(stances, model.state.stance[0])
    assert {a.level_name for a in model.countries} <= set(model.config.ladder.names)
    model.release()


# --------------------------------------------------------------------------- batching
@pytest.fixture(scope="module")
def ensemble_config() -> SimulationConfig:
    return config_for("adaptive", "sample_priors", 12)


@pytest.fixture(scope="module")
def reference(ensemble_config: SimulationConfig) -> Trajectories:
    return simulate(ensemble_config, replicate_seeds(3, 240))


def test_results_independent_of_chunk_size(ensemble_config, reference) -> None:
    for chunk_size in (7, 100, 1000):
        traj, _ = run_ensemble(ensemble_config, reference.seeds, chunk_size=chunk_size)
        assert traj.equals(reference), chunk_size
    one_by_one, _ = run_ensemble(ensemble_config, reference.seeds[:12], chunk_size=1)
    assert one_by_one.equals(simulate(ensemble_config, reference.seeds[:12]))


def test_results_independent_of_workers(ensemble_config, reference) -> None:
    traj, summary = run_ensemble(
        ensemble_config, reference.seeds, chunk_size=50, workers=2, start_method="fork"
    )
    assert traj.equals(reference)
    expected = summarise(reference, ensemble_config.ladder, ensemble_config.countries.member)
    for key, values in expected.items():
        np.testing.assert_array_equal(summary[key], values, err_msg=key)


def test_streaming_chunks_carry_the_same_data(ensemble_config, reference) -> None:
    streamed: list = []
    run_ensemble(
        ensemble_config,
        reference.seeds,
        chunk_size=64,
        keep_trajectories=False,
        on_chunk=streamed.append,
    )
    assert [len(seeds) for seeds, _, _ in streamed] == [64, 64, 64, 48]
    assert all(traj is None for _, traj, _ in streamed)
    chunks = list(iter_chunks(ensemble_config, reference.seeds, chunk_size=64))
    assert Trajectories.concatenate([traj for _, traj, _ in chunks]).equals(reference)
    np.testing.assert_array_equal(np.concatenate([s for s, _, _ in streamed]), reference.seeds)


def test_summaries_identical_without_trajectories(ensemble_config, reference) -> None:
    kept_traj, kept = run_ensemble(ensemble_config, reference.seeds, chunk_size=100)
    none_traj, lean = run_ensemble(
        ensemble_config, reference.seeds, chunk_size=100, keep_trajectories=False
    )
    assert kept_traj is not None and none_traj is None
    assert kept.keys() == lean.keys()
    for key in kept:
        np.testing.assert_array_equal(kept[key], lean[key], err_msg=key)


def test_simulate_views_equal_contiguous_copies(ensemble_config, reference) -> None:
    views = simulate(ensemble_config, reference.seeds[:30], contiguous=False)
    assert views.equals(simulate(ensemble_config, reference.seeds[:30]))
    assert reference.stance.flags.c_contiguous and views.leakage.flags.c_contiguous
    cfg = ensemble_config
    expected = summarise(reference, cfg.ladder, cfg.countries.member)
    from_views = summarise(
        simulate(cfg, reference.seeds, contiguous=False), cfg.ladder, cfg.countries.member
    )
    for key, values in expected.items():
        np.testing.assert_array_equal(from_views[key], values, err_msg=key)


def test_bad_chunking_is_rejected(ensemble_config) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        run_ensemble(ensemble_config, replicate_seeds(1, 3), chunk_size=0)
    with pytest.raises(ValueError, match="workers"):
        run_ensemble(ensemble_config, replicate_seeds(1, 3), workers=0)


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_run_different_seed_different_run(ensemble_config) -> None:
    seeds = replicate_seeds(8, 20)
    first, again = simulate(ensemble_config, seeds), simulate(ensemble_config, seeds)
    assert first.equals(again)
    other = simulate(ensemble_config, replicate_seeds(9, 20))
    assert not np.array_equal(first.stance, other.stance)
    # a run does not depend on its neighbours in the batch
    alone = simulate(ensemble_config, seeds[5:6])
    np.testing.assert_array_equal(alone.stance[0], first.stance[5])


# --------------------------------------------------------------------------- kernels
def test_country_sums_match_numpy_bit_for_bit() -> None:
    """``sum_countries`` adds columns in NumPy's pairwise order; counts and minima too."""
    gen = np.random.default_rng(0)
    for n in (*range(1, 30), 64, 127, 128, 129, 200):
        x = gen.random((300, n)) * gen.choice([1e-6, 1.0, 1e6], (300, n))
        assert np.array_equal(rules.sum_countries(x), x.sum(axis=-1)), n
        mask = x > 0.5
        assert np.array_equal(rules.count_countries(mask), mask.sum(axis=-1)), n
        cols = np.flatnonzero(gen.random(n) > 0.4) if n > 2 else np.arange(n)
        if len(cols):
            assert np.array_equal(rules.min_countries(x, cols), x[:, cols].min(axis=-1)), n


def test_per_run_constants_change_no_force() -> None:
    """Forces from the run's precomputed constants equal forces computed on the spot, and
    leakage likewise (the drivers precompute; direct callers need not)."""
    from sim import schedule

    cfg = config_for("uniform", "sample_priors")
    setup, state = schedule.prepare(cfg, replicate_seeds(3, 40))
    sig = schedule.environment(cfg, setup, state)
    args = (
        setup.attrs, state.level, state.outreach_stock + 1.0, state.visible + 0.5,
        sig.coalition, sig.peer_mean, sig.peer_pulling, sig.collective, setup.member,
        cfg.params, cfg.ladder.top, state.institution,
    )  # fmt: skip
    given = rules.forces(*args, setup.constants)
    spot = rules.forces(*args)
    assert given.keys() == spot.keys()
    for name in given:
        for a, b in zip(given[name], spot[name], strict=True):
            np.testing.assert_array_equal(np.broadcast_to(a, np.shape(b)), b, err_msg=name)
    lk = (state.level, setup.attrs, sig.coalition, cfg.ladder.sanction_level, cfg.params)
    np.testing.assert_array_equal(rules.leakage(*lk, setup.constants), rules.leakage(*lk))


def test_peer_signal_same_for_one_run_and_a_batch() -> None:
    gen = np.random.default_rng(1)
    level = gen.integers(0, 5, size=(300, ASEAN_TL.n))
    mean, pulling = rules.peer_signal(level, ASEAN_TL.network)
    for r in (0, 17, 299):
        m1, p1 = rules.peer_signal(level[r : r + 1], ASEAN_TL.network)
        np.testing.assert_array_equal(m1[0], mean[r])
        np.testing.assert_array_equal(p1[0], pulling[r])
    # the explicit formula (exact up to rounding: peer sums are exact integers in sim)
    lev = level.astype(float)
    w = ASEAN_TL.network
    total = w.sum(axis=1)
    np.testing.assert_allclose(mean, np.where(total > 0, (lev @ w.T) / total, lev), rtol=1e-14)
    above = np.array(
        [[w[i][level[r] > level[r, i]].sum() for i in range(ASEAN_TL.n)] for r in range(len(level))]
    )
    below = np.array(
        [[w[i][level[r] < level[r, i]].sum() for i in range(ASEAN_TL.n)] for r in range(len(level))]
    )
    np.testing.assert_allclose(pulling, np.where(mean >= lev, above, below), atol=1e-12)
