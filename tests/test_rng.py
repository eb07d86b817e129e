"""Counter-based random numbers: range, independence of streams, replicate seeds."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim import rng
from sim.config import Calendar, SimulationConfig
from sim.engine import simulate
from tests.helpers import ASEAN, default_params


def test_uniforms_lie_in_unit_interval_and_look_uniform() -> None:
    keys = rng.run_keys(np.arange(2000))
    u = rng.uniforms(keys, rng.STREAM_SHOCK, 3, 50)
    assert u.shape == (2000, 50)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=10, range=(0.0, 1.0))
    assert np.all(np.abs(counts / u.size - 0.1) < 0.005)  # 100,000 draws: +-5 s.e.
    assert abs(u.mean() - 0.5) < 0.005


def test_streams_steps_and_countries_are_independent() -> None:
    keys = rng.run_keys(np.arange(5000))
    shock = rng.uniforms(keys, rng.STREAM_SHOCK, 0, 10)
    slip = rng.uniforms(keys, rng.STREAM_BACKSLIDE, 0, 10)
    later = rng.uniforms(keys, rng.STREAM_SHOCK, 1, 10)
    for other in (slip, later):
        assert not np.array_equal(shock, other)
        corr = np.corrcoef(shock.ravel(), other.ravel())[0, 1]
        assert abs(corr) < 0.02  # 50,000 pairs: s.e. 0.0045
    country_corr = np.corrcoef(shock[:, 0], shock[:, 1])[0, 1]
    assert abs(country_corr) < 0.06  # 5,000 pairs: s.e. 0.014


def test_draws_depend_only_on_the_run_not_the_batch() -> None:
    keys = rng.run_keys(np.array([5, 9, 123456789]))
    batch = rng.uniforms(keys, rng.STREAM_INITIAL, 0, 11)
    alone = rng.uniforms(keys[2:], rng.STREAM_INITIAL, 0, 11)
    np.testing.assert_array_equal(batch[2:], alone)


def test_centred_shock_has_zero_mean_unit_variance() -> None:
    u = rng.uniforms(rng.run_keys(np.arange(20000)), rng.STREAM_SHOCK, 0, 10)
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
    starts = []
    for strategy in ("none", "uniform", "adaptive"):
        config = SimulationConfig(
            countries=ASEAN,
            params=default_params(),
            strategy=strategy,
            calendar=Calendar(n_steps=1),
        )
        starts.append(simulate(config, seeds).stance[:, 0])
    np.testing.assert_array_equal(starts[0], starts[1])
    np.testing.assert_array_equal(starts[0], starts[2])


@pytest.mark.parametrize("bad", [-1, -(2**40)])
def test_negative_seeds_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="seed"):
        rng.run_keys([bad])
    with pytest.raises(ValueError, match="seed"):
        rng.replicate_seeds(bad, 3)


@njit
def _compiled_uniform(key, stream, step, index):  # noqa: ANN001, ANN202
    return rng.uniform(key, stream, step, index)


def test_one_draw_rule_for_python_and_compiled_code() -> None:
    """The Mesa model draws in Python, the kernel compiled: the same numbers."""
    keys = rng.run_keys(np.array([0, 7, 2**62, 2**63 - 1]))
    table = rng.uniforms(keys, rng.STREAM_SHOCK, 9, 12)
    for r, key in enumerate(keys):
        assert rng.run_key(int(rng.MAX_SEED if r == 3 else [0, 7, 2**62][r])) == int(key)
        for i in range(12):
            python = rng.uniform(int(key), rng.STREAM_SHOCK, 9, i)
            assert python == table[r, i] == _compiled_uniform(key, rng.STREAM_SHOCK, 9, i)


def _first_layout(key: int, stream: int, step: int, index: int) -> float:
    """The counter layout of the first kernels (at most 256 countries), written out."""
    counter = ((stream * 2**24 + step) * 2**8 + index) & rng.MASK64
    z = rng.mix64((key + rng.GOLDEN * counter) & rng.MASK64)
    return float(z >> 11) * 2.0**-53


def test_the_first_256_countries_keep_the_numbers_of_the_first_layout() -> None:
    """Lifting the 256-country cap changed no stored number: below 256 the counter is the
    old one."""
    keys = rng.run_keys(np.array([3, 2**40 + 5]))
    for key in keys:
        for stream, step, i in ((rng.STREAM_SHOCK, 52, 255), (rng.STREAM_PRIORS, 0, 0),
                                (rng.STREAM_MATERIAL, 2**24 - 1, 17)):  # fmt: skip
            old = _first_layout(int(key), stream, step, i)
            assert rng.uniform(int(key), stream, step, i) == old
            assert _compiled_uniform(key, stream, step, i) == old


def test_countries_beyond_256_draw_their_own_numbers() -> None:
    """Country 256 + i is not country i (nor the next step's country i); 1,000 countries
    draw 1,000 distinct, uniform-looking numbers, alike in Python and compiled."""
    keys = rng.run_keys(np.arange(200))
    u = rng.uniforms(keys, rng.STREAM_SHOCK, 4, 1000)
    assert u.shape == (200, 1000) and len(np.unique(u)) == u.size
    assert not np.array_equal(u[:, :256], u[:, 256:512])
    nxt = rng.uniforms(keys, rng.STREAM_SHOCK, 5, 256)
    assert not np.array_equal(u[:, 256:512], nxt)
    assert abs(np.corrcoef(u[:, 3], u[:, 259])[0, 1]) < 0.25  # 200 pairs: s.e. 0.07
    assert abs(u.mean() - 0.5) < 0.005
    key = int(keys[7])
    for i in (256, 511, 999):
        assert rng.uniform(key, rng.STREAM_SHOCK, 4, i) == u[7, i]
        assert _compiled_uniform(keys[7], rng.STREAM_SHOCK, 4, i) == u[7, i]
