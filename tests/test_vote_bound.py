"""The confidence bound on vote probabilities (issue 20): the rule, its number from the
nested record, and every place the project reports or freezes vote probabilities."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from experiments.calibration.facts import historical_config
from experiments.calibration.validation_tables import vote_table
from experiments.calibration.votefeatures import bound_text
from experiments.calibration.votenestedreport import (
    NESTED_FILE,
    confidence_bound,
    load_bound,
    load_nested,
)
from experiments.workflow import store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import ROOT
from sim.engine import simulate
from sim.rng import replicate_seeds
from sim.votes import bounded_shares

CALIBRATION = ROOT / "data" / "calibration"


def test_rows_above_the_bound_are_brought_to_it_and_the_others_kept() -> None:
    shares = np.array([[1.0, 0.0, 0.0], [0.2, 0.79, 0.01], [0.0, 0.005, 0.995]])
    out = bounded_shares(shares, 0.9)
    assert np.allclose(out.sum(axis=1), 1.0)
    assert out[0].max() == pytest.approx(0.9) and out[2].max() == pytest.approx(0.9)
    assert np.array_equal(out[1], shares[1])  # within the bound: unchanged
    assert list(out.argmax(axis=1)) == list(shares.argmax(axis=1))  # modal vote kept
    # the mixture with the uniform: (1 - w) * 1 + w / 3 = 0.9 gives w = 0.15
    assert np.allclose(out[0], [0.9, 0.05, 0.05])
    assert np.array_equal(bounded_shares(shares, 1.0), shares)


@pytest.mark.parametrize("bound", [1 / 3, 0.2, 1.5, float("nan")])
def test_a_bound_outside_one_third_to_one_is_refused(bound: float) -> None:
    with pytest.raises(ValueError, match=r"^confidence_bound: must be in \(1/3, 1\]"):
        bounded_shares(np.full((2, 3), 1 / 3), bound)


def test_the_records_bound_is_the_rule_of_succession_of_its_held_out_votes() -> None:
    record = load_nested(CALIBRATION)
    assert record is not None
    n = sum(len(f["actual"]) for f in record["folds"])
    assert record["confidence_bound"] == confidence_bound(record["pooled"])
    assert record["confidence_bound"]["n_held_out"] == n == 30
    assert load_bound(CALIBRATION) == pytest.approx((n + 1) / (n + 2))


def test_a_record_without_a_bound_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^calibration_dir: .*votes_nested.json"):
        load_bound(tmp_path)
    (tmp_path / NESTED_FILE).write_text('{"folds": []}')
    with pytest.raises(ConfigError, match="confidence_bound not found"):
        load_bound(tmp_path)


def test_the_in_sample_table_stays_within_the_bound() -> None:
    config = historical_config()
    rule = store.load_vote_rule()
    traj = simulate(config, replicate_seeds(11, 16))
    bound = load_bound(CALIBRATION)
    raw = vote_table(traj, config, rule)
    table = vote_table(traj, config, rule, bound)
    cols = ["p_yes", "p_abstain", "p_no"]
    assert (raw[cols].max(axis=1) > 0.99).sum() > 0  # the installed point alone: over-confident
    assert table[cols].to_numpy().max() <= bound + 1e-12
    assert np.allclose(table[cols].sum(axis=1), 1.0)
    assert list(table["modal"]) == list(raw["modal"])


def test_the_validation_reports_in_sample_table_has_no_cell_above_the_bound() -> None:
    text = (ROOT / "docs" / "validation.md").read_text()
    cell = r" \| ([\d.]+)"
    rows = re.findall(r"^\| ES-11/\d \| [A-Z]{2}" + cell * 3 + r" \|", text, re.M)
    assert len(rows) == 30
    bound = load_bound(CALIBRATION)
    assert max(float(p) for row in rows for p in row) <= round(bound, 2)
    assert f"= {bound:.4g} on one vote" in text


def _nested(held: dict[str, list[list[float]]], actual: dict[str, list[str]]) -> dict:
    members = ["AA", "BB"]
    folds = [
        {
            "name": name,
            "actual": dict(zip(members, actual[name], strict=True)),
            "predictors": {"model": {"probabilities": dict(zip(members, p, strict=True))}},
        }
        for name, p in held.items()
    ]
    n = sum(len(a) for a in actual.values())
    return {"folds": folds, "confidence_bound": confidence_bound({"model": {"n_cells": n}})}


def test_the_bound_sentence_counts_before_and_after_and_prices_the_bound() -> None:
    held = {"R1": [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], "R2": [[0.0, 0.0, 1.0], [0.2, 0.8, 0.0]]}
    actual = {"R1": ["yes", "abstain"], "R2": ["no", "abstain"]}
    nested = _nested(held, actual)  # n = 4: bound 5/6
    loo = {
        "in_sample": {
            "sets": {"probabilities": {"R1": {"AA": [0.995, 0.005, 0.0], "BB": [0.5, 0.5, 0]}}},
            "installed": {
                "probabilities": {"R1": {"AA": [1.0, 0.0, 0.0], "BB": [0.0, 0.999, 0.001]}}
            },
        }
    }
    probs = np.array([p for f in held.values() for p in f])
    idx = np.array([0, 1, 2, 1])
    text = bound_text(nested, loo, probs, idx, None)
    assert "(4 + 1) / (4 + 2) = 0.8333 on one vote" in text
    assert "the shipped forecast has 1 of 2 cells above 0.99 before the bound and 0 after" in text
    assert "the installed point alone 2 before and 0 after" in text
    before = -np.mean(np.log([1.0, 0.5, 1.0, 0.8]))
    after = -np.mean(np.log([5 / 6, 0.5, 5 / 6, 0.8]))
    assert "moves 2 of 4 member-votes" in text
    assert f"from {before:.3f} to {after:.3f} nats per vote (a cost of {after - before:.3f}" in text
    assert math.isclose(nested["confidence_bound"]["bound"], 5 / 6)
