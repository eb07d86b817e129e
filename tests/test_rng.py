"""Counter-based random numbers: range, independence of streams, replicate seeds."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.scenario import default_table
from sim import rng
from sim.engine import simulate
from sim.params import Calendar, SimulationConfig


def test_uniforms_lie_in_unit_interval_and_look_uniform() -> None:
    keys = rng.run_keys(np.arange(2000))
    u = rng.uniform(keys, rng.STREAM_SHOCK, 3, 50)
    assert u.shape == (2000, 50)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=10, range=(0.0, 1.0))
    assert np.all(np.abs(counts / u.size - 0.1) < 0.005)  # 100,000 draws: +-5 s.e.
    assert abs(u.mean() - 0.5) < 0.005


def test_streams_steps_and_countries_are_independent() -> None:
    keys = rng.run_keys(np.arange(5000))
    shock = rng.uniform(keys, rng.STREAM_SHOCK, 0, 10)
    slip = rng.uniform(keys, rng.STREAM_BACKSLIDE, 0, 10)
    later = rng.uniform(keys, rng.STREAM_SHOCK, 1, 10)
    for other in (slip, later):
        assert not np.array_equal(shock, other)
        corr = np.corrcoef(shock.ravel(), other.ravel())[0, 1]
        assert abs(corr) < 0.02  # 50,000 pairs: s.e. 0.0045
    country_corr = np.corrcoef(shock[:, 0], shock[:, 1])[0, 1]
    assert abs(country_corr) < 0.06  # 5,000 pairs: s.e. 0.014


def test_draws_depend_only_on_the_run_not_the_batch() -> None:
    keys = rng.run_keys(np.array([5, 9, 123456789]))
    batch = rng.uniform(keys, rng.STREAM_INITIAL, 0, 11)
    alone = rng.uniform(keys[2:], rng.STREAM_INITIAL, 0, 11)
    np.testing.assert_array_equal(batch[2:], alone)


def test_centred_shock_has_zero_mean_unit_variance() -> None:
    u = rng.uniform(rng.run_keys(np.arange(20000)), rng.STREAM_SHOCK, 0, 10)
    shock = rng.centred_shock(u)
    assert abs(shock.mean()) < 0.01 and abs(shock.var() - 1.0) < 0.01
    assert np.abs(shock).max() <= np.sqrt(3.0)


def test_replicate_seeds_are_distinct_reproducible_and_extendable() -> None:
    seeds = rng.replicate_seeds(2022, 100_000)
    assert seeds.dtype == np.int64 and np.all(seeds >= 0)
    assert len(np.unique(seeds)) == len(seeds)
    np.testing.assert_array_equal(seeds, rng.replicate_seeds(2022, 100_000))
    np.testing.assert_array_equal(seeds[500:600], rng.replicate_seeds(2022, 100, start=500))
    assert not np.intersect1d(seeds, rng.replicate_seeds(2023, 100_000)).size


def test_replicate_seeds_do_not_depend_on_the_strategy() -> None:
    """Common random numbers: strategies share seeds, hence their initial world."""
    seeds = rng.replicate_seeds(4, 30)
    table = default_table()
    starts = []
    for strategy in ("none", "uniform", "adaptive"):
        config = SimulationConfig(countries=table, strategy=strategy, calendar=Calendar(n_steps=1))
        starts.append(simulate(config, seeds).stance[:, 0])
    np.testing.assert_array_equal(starts[0], starts[1])
    np.testing.assert_array_equal(starts[0], starts[2])


@pytest.mark.parametrize("bad", [-1, -(2**40)])
def test_negative_seeds_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="seed"):
        rng.run_keys([bad])
    with pytest.raises(ValueError, match="seed"):
        rng.replicate_seeds(bad, 3)
