"""The analysis's worlds from templates: equal to ``build_world`` field by field, and the
runs of a chunk equal to ``run_ensemble`` point by point and strategy by strategy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.analysis import runner
from experiments.analysis.command import SEARCH_PATH
from experiments.analysis.settings import settings
from experiments.workflow.paths import CONF_DIR
from sim import SUMMARY_COLUMNS, run_ensemble
from sim.engine import WorldCache
from sim.world import build_world

SMALL = (
    "n_seeds=3",
    "calendar.n_steps=6",
    "strategies=[all]",
    "designs.explore=6",
    "designs.effort=3",
    "designs.mandate=3",
    "designs.morris_trajectories=1",
    "designs.sobol_n=2",
    "~uncertainty.fixed.optional_countries",
)
"""Every design and strategy, over the default space with the optional countries varied
(both memberships, both eligibility rules, the strategies' design choices, the effort
budgets and the mandate)."""


@pytest.fixture(scope="module")
def small():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return settings(compose("analyse", overrides=[*SMALL, SEARCH_PATH]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return type(a) is type(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    return type(a) is type(b) and a == b


def test_a_world_from_its_template_equals_the_built_world(small) -> None:
    cache = WorldCache(3)
    seen = set()
    for design in small.designs.values():
        for row in design.values.to_dict("records"):
            for strategy, config in small.configs.at(row):
                world, params = cache.world(config)
                built, built_params = build_world(config, 3)
                assert set(world._fields) == set(built._fields)
                for name in built._fields:
                    assert _same(getattr(world, name), getattr(built, name)), (strategy, name)
                assert params.tobytes() == built_params.tobytes()
                seen.add((config.countries.n, config.eligibility, config.institution))
    for part in range(3):  # both memberships, both rules and both institutions were compared
        assert len({key[part] for key in seen}) == 2, seen


def test_a_chunk_runs_as_run_ensemble_point_by_point(small) -> None:
    design = small.designs["effort"]
    points = range(1, design.n_rows)
    seeds = small.plan.seeds
    strategies = small.plan.strategies
    summary = runner.run_points(small.configs, design, points, seeds, 3, workers=2)
    table = runner.runs_table("effort", points, strategies, seeds, summary).to_pandas()
    n, k = len(seeds), len(strategies)
    assert len(table) == len(points) * k * n
    for i, point in enumerate(points):
        row = design.values.iloc[point].to_dict()
        for j, (strategy, config) in enumerate(small.configs.at(row)):
            _, expected = run_ensemble(config, seeds, keep_trajectories=False, k_adoptions=3)
            rows = table.iloc[(i * k + j) * n : (i * k + j + 1) * n]
            assert (rows["point"] == point).all() and (rows["strategy"] == strategy).all()
            assert rows["seed"].tolist() == list(seeds)
            for name in SUMMARY_COLUMNS:
                got = rows[name].to_numpy()
                assert got.dtype == expected[name].dtype, name
                assert np.array_equal(got, expected[name], equal_nan=got.dtype.kind == "f")
