"""Sampling designs: row counts, ranges, mapping of integers and categoricals, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.design import (
    Dimension,
    UncertaintySpace,
    design_table,
    latin_hypercube,
    morris_design,
    sobol_design,
    sobol_row_count,
)

INSTITUTIONS = ("none", "g7", "unga", "unsc")


@pytest.fixture
def space() -> UncertaintySpace:
    return UncertaintySpace(
        (
            Dimension.real("peer_weight", 0.2, 0.8),
            Dimension.integer("budget", 1, 5),
            Dimension.categorical("institution", INSTITUTIONS),
            Dimension.real("reactance", 0.0, 1.0),
        ),
        fixed={"reactance": 0.3, "n_steps": 40},
    )


def test_space_samples_only_unpinned_dimensions(space: UncertaintySpace) -> None:
    assert space.names == ["peer_weight", "budget", "institution"]
    assert space.salib_problem()["num_vars"] == 3


@pytest.mark.parametrize("second_order, per_base", [(True, 2 * 3 + 2), (False, 3 + 2)])
def test_sobol_row_count(space: UncertaintySpace, second_order: bool, per_base: int) -> None:
    design = sobol_design(space, 16, seed=1, calc_second_order=second_order)
    assert design.n_rows == 16 * per_base == sobol_row_count(16, 3, second_order)
    assert design.unit.shape == (16 * per_base, 3)
    assert len(design.values) == design.n_rows
    assert design.calc_second_order is second_order


def test_sobol_rejects_non_power_of_two(space: UncertaintySpace) -> None:
    with pytest.raises(ValueError, match="power of two"):
        sobol_design(space, 12, seed=1)


def test_morris_row_count(space: UncertaintySpace) -> None:
    design = morris_design(space, 10, seed=2, num_levels=4)
    assert design.n_rows == 10 * (3 + 1)
    # each step of a trajectory moves exactly one dimension by one grid step (2/3 for 4 levels)
    steps = np.diff(design.unit.reshape(10, 4, 3), axis=1)
    assert ((np.abs(steps) > 1e-12).sum(axis=2) == 1).all()
    np.testing.assert_allclose(np.abs(steps).sum(axis=2), 2 / 3)
    kept = morris_design(space, 20, seed=2, optimal_trajectories=5)
    assert kept.n == 5 and kept.n_rows == 5 * 4


@pytest.mark.parametrize("make", ["lhs", "sobol", "morris"])
def test_values_respect_ranges_and_fixed(space: UncertaintySpace, make: str) -> None:
    design = _make(make, space, seed=5)
    values = design.values
    assert list(values.columns) == [
        "peer_weight",
        "budget",
        "institution",
        "reactance",
        "n_steps",
    ]
    assert values.index.name == "point"
    assert values["peer_weight"].between(0.2, 0.8).all()
    assert values["budget"].dtype == np.int64
    assert set(values["budget"]) <= {1, 2, 3, 4, 5}
    assert set(values["institution"]) <= set(INSTITUTIONS)
    assert (values["reactance"] == 0.3).all() and (values["n_steps"] == 40).all()
    assert ((design.unit >= 0) & (design.unit <= 1)).all()


def test_lhs_covers_every_integer_and_category_equally(space: UncertaintySpace) -> None:
    design = latin_hypercube(space, 20, seed=3)
    # one point per 1/20 stratum: each of 5 integers gets exactly 4, each of 4 values 5
    assert design.values["budget"].value_counts().to_dict() == {b: 4 for b in range(1, 6)}
    assert design.values["institution"].value_counts().to_dict() == {
        name: 5 for name in INSTITUTIONS
    }


def test_unit_mapping_by_hand() -> None:
    unit = np.array([0.0, 0.19, 0.2, 0.5, 0.99, 1.0])
    assert Dimension.integer("k", 1, 5).from_unit(unit).tolist() == [1, 1, 2, 3, 5, 5]
    cats = Dimension.categorical("c", ["a", "b"]).from_unit(unit).tolist()
    assert cats == ["a", "a", "a", "b", "b", "b"]
    np.testing.assert_allclose(
        Dimension.real("r", -1, 3).from_unit(unit), [-1, -0.24, -0.2, 1, 2.96, 3]
    )
    with pytest.raises(ValueError, match="outside"):
        Dimension.real("r", 0, 1).from_unit(np.array([1.2]))


@pytest.mark.parametrize("make", ["lhs", "sobol", "morris"])
def test_same_seed_same_design_other_seed_other_design(space: UncertaintySpace, make: str) -> None:
    first, again, other = (_make(make, space, seed=s) for s in (11, 11, 12))
    np.testing.assert_array_equal(first.unit, again.unit)
    pd.testing.assert_frame_equal(first.values, again.values)
    assert not np.array_equal(first.unit, other.unit)


def test_design_table_has_values_and_unit_columns(space: UncertaintySpace) -> None:
    design = latin_hypercube(space, 6, seed=0)
    table = design_table(design)
    assert list(table.columns[-3:]) == ["unit:peer_weight", "unit:budget", "unit:institution"]
    np.testing.assert_array_equal(table[list(table.columns[-3:])].to_numpy(), design.unit)


def test_from_dict_and_validation() -> None:
    space = UncertaintySpace.from_dict(
        {
            "budget": {"kind": "integer", "lo": 0, "hi": 3},
            "institution": {"kind": "categorical", "values": ["none", "g7"]},
        },
        fixed={"institution": "g7"},
    )
    assert space.names == ["budget"]
    with pytest.raises(ValueError, match="unknown keys"):
        UncertaintySpace.from_dict({"b": {"kind": "real", "lo": 0, "high": 1}})
    with pytest.raises(ValueError, match="outside its range"):
        UncertaintySpace((Dimension.integer("b", 0, 3),), fixed={"b": 7})
    with pytest.raises(ValueError, match="lo 2.0 > hi"):
        Dimension.real("b", 2, 1)
    with pytest.raises(ValueError, match="nothing to sample"):
        UncertaintySpace((Dimension.real("b", 0, 1),), fixed={"b": 0.5})
    with pytest.raises(ValueError, match="seed"):
        latin_hypercube(space, 4, seed=-1)


def _make(method: str, space: UncertaintySpace, seed: int):
    if method == "lhs":
        return latin_hypercube(space, 12, seed=seed)
    if method == "sobol":
        return sobol_design(space, 8, seed=seed)
    return morris_design(space, 6, seed=seed)
