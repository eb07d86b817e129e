"""The compiled ensemble kernel reproduces the Mesa model bit for bit; batching is invisible.

Unmarked tests: every strategy on the default scenario over the full horizon (a few
seeds), every scenario variant (short horizon), chunking, workers, streaming, summaries
and determinism. The slow set compares every strategy on every variant with 50 seeds.
"""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
import weakref
from dataclasses import fields, replace

import numpy as np
import pytest

from sim.config import Calendar, Event, SimulationConfig
from sim.engine import iter_chunks, run_ensemble, simulate
from sim.model import OutreachModel, run_mesa
from sim.numerics import block_sum, pairwise_sum
from sim.params import ModelParams
from sim.results import SUMMARY_COLUMNS, Trajectories, summarise
from sim.rng import replicate_seeds
from sim.strategies import STRATEGIES
from tests.helpers import ASEAN, ASEAN_TL, default_params

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
    "not_heading": {"eligibility": "not_heading"},
    "matched_effort": {"effort": "matched"},
    "myanmar_restricted": {
        "restrictions": (("MM", "visit"), ("MM", "two_plus_two"), ("MM", "aid"))
    },
}
"""Scenario variants of the experiment presets (keyword changes to the default config)."""


def mid_range_params() -> ModelParams:
    """Every parameter at the middle of its plausible range: every weight switched on, so
    a mechanism placed differently in one driver shows (at the stored values a new
    weight is 0)."""
    return ModelParams(**{f.name: sum(f.metadata["range"]) / 2 for f in fields(ModelParams)})


def config_for(
    strategy: str, variant: str, n_steps: int | None = None, params: ModelParams | None = None
) -> SimulationConfig:
    params = default_params() if params is None else params
    changes = {"countries": ASEAN, "params": params, **VARIANTS[variant]}
    config = SimulationConfig(strategy=strategy, **changes)
    if n_steps is not None:
        config = replace(config, calendar=replace(config.calendar, n_steps=n_steps))
    return config


# --------------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_drivers_identical_for_every_strategy_full_horizon(strategy: str) -> None:
    config = config_for(strategy, "default")
    seeds = replicate_seeds(11, 3)
    compiled, mesa = simulate(config, seeds), run_mesa(config, seeds)
    assert compiled.stance.shape == (3, config.calendar.n_steps + 1, ASEAN.n)
    assert compiled.equals(mesa)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_drivers_identical_for_every_variant(variant: str) -> None:
    strategy = "historical" if variant == "historical_calendar" else "adaptive"
    config = config_for(strategy, variant, None if variant == "historical_calendar" else SHORT)
    seeds = replicate_seeds(12, 4)
    assert simulate(config, seeds).equals(run_mesa(config, seeds))


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_drivers_identical_at_mid_range_parameters(strategy: str) -> None:
    config = config_for(strategy, "default", 16, mid_range_params())
    seeds = replicate_seeds(13, 3)
    assert simulate(config, seeds).equals(run_mesa(config, seeds))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_drivers_identical_for_every_variant_at_mid_range_parameters(variant: str) -> None:
    strategy = "historical" if variant == "historical_calendar" else "adaptive"
    n_steps = None if variant == "historical_calendar" else SHORT
    config = config_for(strategy, variant, n_steps, mid_range_params())
    seeds = replicate_seeds(14, 3)
    compiled = simulate(config, seeds)
    assert compiled.equals(run_mesa(config, seeds))
    assert not compiled.equals(simulate(config_for(strategy, variant, n_steps), seeds))


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_drivers_identical_exhaustive(strategy: str, variant: str) -> None:
    """50 seeds per strategy and variant; the default scenario over the full horizon."""
    n_steps = None if variant in ("default", "historical_calendar") else SHORT
    config = config_for(strategy, variant, n_steps)
    seeds = replicate_seeds(2022, 50)
    assert simulate(config, seeds).equals(run_mesa(config, seeds))


def test_historical_calendar_moves_the_world() -> None:
    """The calendar variant is not vacuous: the UNGA vote and the visits take effect."""
    config = config_for("historical", "historical_calendar")
    traj = simulate(config, replicate_seeds(5, 20))
    assert traj.outreach[:, 4].sum() > 0  # KH visit, 2022-03-20, week 3 -> recorded at 4
    plain = simulate(config_for("none", "default", 14), replicate_seeds(5, 20))
    assert not traj.equals(plain)


def test_matched_effort_holds_the_budget_and_leaves_the_replay_alone() -> None:
    """Matched effort: a strategy spends ``budget`` every week, whatever the pressure and
    ``japan_budget_gain``; responsive: more; the replay spends its dated amounts under both."""
    seeds = replicate_seeds(7, 3)
    spent = {}
    for effort in ("matched", "responsive"):
        for strategy in ("uniform", "historical"):
            config = replace(config_for(strategy, "historical_calendar"), effort=effort)
            spent[effort, strategy] = simulate(config, seeds).spent[:, 1:]
    budget = config_for("uniform", "default").budget
    assert np.allclose(spent["matched", "uniform"], budget)
    assert spent["responsive", "uniform"].sum() > 1.2 * spent["matched", "uniform"].sum()
    assert np.array_equal(spent["matched", "historical"], spent["responsive", "historical"])


def test_mesa_agents_own_their_state() -> None:
    model = OutreachModel(config_for("uniform", "default", 3), seed=7)
    traj = model.run()
    stances = np.array([a.stance for a in model.countries])
    np.testing.assert_array_equal(stances, traj.stance[0, -1])
    assert all(isinstance(a.stance, float) and isinstance(a.level, int) for a in model.countries)
    assert {a.level_name for a in model.countries} <= set(model.config.ladder.names)
    model.release()


def test_a_released_model_frees_its_agents_and_records() -> None:
    """Mesa 3.3.1 keeps every model alive (mesa issue #3179); a released model holds
    nothing, so a loop of Mesa runs does not keep their agents and records."""
    model = OutreachModel(config_for("uniform", "default", 3), seed=7)
    model.run()
    held = [weakref.ref(x) for x in (*model.countries, model.japan, model.datacollector)]
    model.release()
    gc.collect()
    assert [ref() for ref in held] == [None] * len(held)


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


@pytest.mark.slow
def test_results_independent_of_workers(ensemble_config, reference) -> None:
    traj, summary = run_ensemble(ensemble_config, reference.seeds, chunk_size=50, workers=2)
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
    chunks = list(iter_chunks(ensemble_config, reference.seeds, chunk_size=64, workers=2))
    assert Trajectories.concatenate([traj for _, traj, _ in chunks]).equals(reference)
    np.testing.assert_array_equal(np.concatenate([s for s, _, _ in streamed]), reference.seeds)


def test_summaries_identical_without_trajectories(ensemble_config, reference) -> None:
    """The kernel's own summaries equal those computed from kept trajectories (Mesa's)."""
    kept_traj, kept = run_ensemble(ensemble_config, reference.seeds, chunk_size=100)
    none_traj, lean = run_ensemble(
        ensemble_config, reference.seeds, chunk_size=100, keep_trajectories=False
    )
    assert kept_traj is not None and none_traj is None
    from_mesa = summarise(
        run_mesa(ensemble_config, reference.seeds[:6]),
        ensemble_config.ladder,
        ensemble_config.countries.member,
    )
    assert kept.keys() == lean.keys() == from_mesa.keys()
    for key in kept:
        np.testing.assert_array_equal(kept[key], lean[key], err_msg=key)
        np.testing.assert_array_equal(kept[key][:6], from_mesa[key], err_msg=key)


def _streamed_peak(config: SimulationConfig, seeds: np.ndarray) -> int:
    """Peak traced allocation while streaming ``seeds`` summaries-only, checking that no
    summary column is a view of anything larger than one value per run."""
    tracemalloc.start()
    try:
        for part, traj, summary in iter_chunks(
            config, seeds, chunk_size=500, workers=2, keep_trajectories=False
        ):
            assert traj is None
            for key, column in summary.items():
                owner = column if column.base is None else column.base
                assert owner.shape[0] == len(part) and owner.nbytes <= 8 * len(part), key
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_summaries_only_memory_does_not_grow_with_runs(ensemble_config) -> None:
    """Issue 12, defect 9: summaries-only chunks hold one value per run and column, no
    per-step arrays, and streaming ten times more runs does not raise the peak by more than
    a tenth of the extra runs' per-step data (one float per run, week and country), nor by
    a quarter of what keeping their summaries would cost."""
    _streamed_peak(ensemble_config, replicate_seeds(5, 2000))  # first-use allocations
    small = _streamed_peak(ensemble_config, replicate_seeds(5, 2000))
    large = _streamed_peak(ensemble_config, replicate_seeds(5, 20000))
    steps, n = ensemble_config.calendar.n_steps + 1, ensemble_config.countries.n
    extra_per_step_bytes = 18000 * steps * n * 8
    extra_summary_bytes = 18000 * len(SUMMARY_COLUMNS) * 8  # kept summaries would cost this
    assert large - small < min(extra_per_step_bytes / 10, extra_summary_bytes / 4), (
        small, large, extra_per_step_bytes, extra_summary_bytes,
    )  # fmt: skip


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
    alone = simulate(ensemble_config, seeds[5:6])  # a run does not depend on its batch
    np.testing.assert_array_equal(alone.stance[0], first.stance[5])


# --------------------------------------------------------------------------- numerics
def test_pairwise_sum_matches_numpy_bit_for_bit() -> None:
    """Sums in the kernel add in NumPy's order, so they equal ``ndarray.sum``."""
    gen = np.random.default_rng(0)
    for n in (*range(1, 40), 64, 127, 128, 129, 200, 513, 1000):
        x = gen.standard_normal(n + 3) * gen.choice([1e-6, 1.0, 1e6], n + 3)
        assert pairwise_sum(x, 2, n) == x[2 : 2 + n].sum(), n
        if n <= 128:
            assert block_sum(x, 1, n) == x[1 : 1 + n].sum(), n


# --------------------------------------------------------------------------- presets
def _preset_points() -> list[tuple[str, str, int]]:
    """(preset, strategy, point) for every strategy of every experiment preset, at the
    first and last point of its sweep."""
    from experiments.workflow.paths import CONF_DIR

    out = []
    for path in sorted((CONF_DIR / "experiment").glob("*.yaml")):
        swept = "sweep:" in path.read_text()
        for strategy in sorted(STRATEGIES):
            out += [(path.stem, strategy, 0)] + ([(path.stem, strategy, -1)] if swept else [])
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "strategy", "point"), _preset_points())
def test_drivers_identical_on_every_preset(compose_cfg, preset: str, strategy: str, point: int):
    """The composed preset (its scenario, calendar, institution, budget, sweep point), 50
    seeds over the full horizon, and the same runs chunked on two threads."""
    from experiments.workflow.convert import to_simulation_configs

    cfg = compose_cfg(f"experiment={preset}", "strategies=[all]")
    points = [p for p in to_simulation_configs(cfg) if p.strategy == strategy]
    config = points[point].config
    seeds = replicate_seeds(2024, 50)
    compiled = simulate(config, seeds)
    assert compiled.equals(run_mesa(config, seeds))
    chunked, _ = run_ensemble(config, seeds, chunk_size=7, workers=2)
    assert chunked is not None and chunked.equals(compiled)
