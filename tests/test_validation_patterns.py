"""The calibrated configuration reproduces the patterns of 2022 (slow end-to-end check)."""

from __future__ import annotations

import pytest

from experiments.calibration.facts import historical_config
from experiments.calibration.patterns import PatternResult, patterns, score
from experiments.workflow.store import load_vote_rule
from sim.engine import simulate
from sim.rng import replicate_seeds


@pytest.fixture(scope="module")
def results() -> dict[str, PatternResult]:
    config = historical_config()
    traj = simulate(config, replicate_seeds(20220224, 400))
    return {r.name: r for r in score(traj, config, load_vote_rule())}


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in patterns()])
def test_pattern_is_reproduced(results: dict[str, PatternResult], name: str) -> None:
    r = results[name]
    assert r.passed, f"{name}: simulated {r.simulated:.2f}, tolerance {r.tolerance}"
