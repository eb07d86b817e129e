"""Sensitivity indices on functions with known answers, and seed noise by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.design import Dimension, UncertaintySpace, morris_design, sobol_design
from experiments.analysis.sensitivity import average_replicates, morris_screening, sobol_indices

# Ishigami (a=7, b=0.1) on [-pi, pi]^3: analytic indices (Saltelli et al. 2008)
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray, a=7.0, b=0.1) -> np.ndarray:
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def _ishigami_space() -> UncertaintySpace:
    return UncertaintySpace(tuple(Dimension.real(f"x{i}", -np.pi, np.pi) for i in (1, 2, 3)))


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_recovers_ishigami_indices(second_order: bool) -> None:
    design = sobol_design(_ishigami_space(), 1024, seed=2, calc_second_order=second_order)
    v = design.values
    result = sobol_indices(
        ishigami(v["x1"], v["x2"], v["x3"]),
        design.names,
        calc_second_order=second_order,
        num_resamples=200,
        seed=4,
    )
    table = result.indices
    assert table["dimension"].tolist() == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=0.05)
    assert ((table["S1_high"] - table["S1_low"]) > 0).all()
    assert (table["ST_conf"] < 0.15).all()
    assert result.n_base == 1024
    if second_order:
        # the only interaction is x1 x x3: S13 = ST1 - S1 = 0.2437
        s2 = result.second_order.set_index(["dimension_a", "dimension_b"])["S2"]
        assert s2[("x1", "x3")] == pytest.approx(0.2437, abs=0.08)
        assert abs(s2[("x1", "x2")]) < 0.08 and abs(s2[("x2", "x3")]) < 0.08
    else:
        assert result.second_order is None


def test_sobol_seed_fixes_the_bootstrap() -> None:
    design = sobol_design(_ishigami_space(), 64, seed=1, calc_second_order=False)
    v = design.values
    y = ishigami(v["x1"], v["x2"], v["x3"])
    first = sobol_indices(y, design.names, calc_second_order=False, num_resamples=50, seed=0)
    again = sobol_indices(y, design.names, calc_second_order=False, num_resamples=50, seed=0)
    pd.testing.assert_frame_equal(first.indices, again.indices)


def test_sobol_refuses_wrong_length_and_constant_outcome() -> None:
    with pytest.raises(ValueError, match="not a multiple of 8"):
        sobol_indices(np.arange(20.0), ["a", "b", "c"])
    with pytest.raises(ValueError, match="constant"):
        sobol_indices(np.ones(16), ["a", "b", "c"])


def test_morris_ranks_influential_inputs_first() -> None:
    space = UncertaintySpace(tuple(Dimension.real(f"x{i}", 0.0, 1.0) for i in range(1, 7)))
    design = morris_design(space, 30, seed=3, num_levels=4)
    v = design.values
    # x1, x2 strong (and interacting), x3 weak, x4..x6 inert
    y = 10 * v["x1"] + 8 * v["x2"] + 4 * v["x1"] * v["x2"] + 1 * v["x3"]
    table = morris_screening(design.unit, y, design.names, num_levels=4, seed=5)
    assert table["dimension"].tolist()[:3] == ["x1", "x2", "x3"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    by_dim = table.set_index("dimension")
    # a linear term's elementary effect per unit range is exact: x3 -> 1, sigma 0
    assert by_dim.loc["x3", "mu_star"] == pytest.approx(1.0)
    assert by_dim.loc["x3", "sigma"] == pytest.approx(0.0, abs=1e-9)
    # x1's effect is 10 + 4 x2 with x2 in [0, 1]: between 10 and 14, spread by the interaction
    assert 10.0 <= by_dim.loc["x1", "mu_star"] <= 14.0
    assert by_dim.loc["x1", "sigma"] > 0.1
    assert (by_dim.loc[["x4", "x5", "x6"], "mu_star"] == 0).all()
    assert (by_dim["mu_star_conf"] >= 0).all()


def test_morris_refuses_ragged_trajectories() -> None:
    with pytest.raises(ValueError, match="trajectories"):
        morris_screening(np.zeros((5, 2)), np.zeros(5), ["a", "b"])


def test_average_replicates_and_seed_noise_by_hand() -> None:
    # point 0 runs (1, 3), point 1 runs (5, 7): means 2, 6
    per_seed = pd.DataFrame(
        {"point": [1, 0, 1, 0], "seed": [8, 8, 9, 9], "adopters": [5.0, 1.0, 7.0, 3.0]}
    )
    means, noise = average_replicates(per_seed, "adopters")
    assert means["point"].tolist() == [0, 1]
    assert means["mean"].tolist() == [2.0, 6.0]
    assert means["n_seeds"].tolist() == [2, 2]
    # within-point variance (ddof 1) is 2 at both points; se = sqrt(2 / 2) = 1
    assert means["se"].tolist() == pytest.approx([1.0, 1.0])
    assert noise.mean_standard_error == pytest.approx(1.0)
    assert noise.within_variance == pytest.approx(2.0)
    # variance of (1, 3, 5, 7) = 20 / 3; of the means (2, 6) = 8
    assert noise.total_variance == pytest.approx(20 / 3)
    assert noise.noise_share_runs == pytest.approx(2 / (20 / 3))
    assert noise.noise_share_means == pytest.approx(1 / 8)
    assert (noise.n_points, noise.n_seeds_min, noise.n_seeds_max) == (2, 2, 2)


def test_average_replicates_refuses_several_strategies() -> None:
    per_seed = pd.DataFrame({"point": [0, 0], "seed": [1, 1], "adopters": [1.0, 2.0]})
    with pytest.raises(ValueError, match="one strategy"):
        average_replicates(per_seed, "adopters")
