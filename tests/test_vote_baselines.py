"""The sceptic's baselines and the nested noise choice on hand-made votes
(experiments.calibration.votebaselines, experiments.calibration.votenested)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.calibration.patterns import derived_from
from experiments.calibration.votebaselines import (
    Q_GRID,
    fitted_baselines,
    persistence_choice,
    scores,
)
from experiments.calibration.votefit import VoteBlock
from experiments.calibration.votenested import inner_noise

Y, A, N = 0, 1, 2  # indices into sim.votes.VOTES
KINDS = ("principle", "principle", "punitive")
ACTUAL = np.array([[Y, Y, A, Y], [Y, A, A, Y], [A, N, N, Y]])


def test_persistence_steps_one_vote_down_on_a_punitive_text() -> None:
    choice = persistence_choice(KINDS, ACTUAL, [0, 1], 2)
    np.testing.assert_array_equal(choice, [A, N, N, A])  # from R2: Y->A, A->N, A->N, Y->A
    first = persistence_choice(KINDS, ACTUAL, [1, 2], 0)  # no earlier: the earliest later
    np.testing.assert_array_equal(first, ACTUAL[1])
    assert persistence_choice(KINDS, ACTUAL, [2], 0) is None  # no principle vote to repeat


@pytest.mark.parametrize("held_out", [0, 1, 2])
def test_baselines_never_see_the_held_out_votes(held_out: int) -> None:
    before = fitted_baselines(KINDS, ACTUAL, held_out)
    changed = ACTUAL.copy()
    changed[held_out] = (changed[held_out] + 1) % 3
    after = fitted_baselines(KINDS, changed, held_out)
    for name, pred in before.items():
        assert pred["q"] == after[name]["q"]
        if pred["probs"] is not None:
            np.testing.assert_array_equal(pred["probs"], after[name]["probs"])


def test_smoothing_is_chosen_on_the_training_folds() -> None:
    # held out R3: persistence predicts R1 from R2 (3 of 4 right) and R2 from R1 (3 of 4)
    q = fitted_baselines(KINDS, ACTUAL, 2)["persistence"]["q"]
    assert q == pytest.approx(0.75, abs=0.01)
    assert q in Q_GRID
    uniform = fitted_baselines(KINDS, ACTUAL, 2)["uniform"]["probs"]
    np.testing.assert_allclose(uniform, 1.0 / 3.0)


def test_scores_report_log_loss_brier_accuracy_and_recall() -> None:
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    actual = np.array([Y, A, N])
    s = scores(probs, actual)
    assert s["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.1)) / 3)
    assert s["brier"] == pytest.approx((0.06 + 0.14 + (0.36 + 0.09 + 0.81)) / 3)
    assert s["accuracy"] == pytest.approx(2 / 3)
    assert s["recall"] == {"yes": 1.0, "abstain": 1.0, "no": 0.0}
    assert scores(np.array([[1.0, 0.0, 0.0]]), np.array([A]))["log_loss"] == "inf"


def _block(stance: list[list[float]]) -> VoteBlock:
    s = np.asarray(stance, dtype=float)[:, None, :] + np.linspace(-0.01, 0.01, 4)[:, None]
    return VoteBlock(s, np.full((4, s.shape[-1]), 0.5))


def test_the_nested_noise_ignores_the_held_out_resolution() -> None:
    blocks = [_block([[3.0, 2.0, 1.5, 3.5]] * 3)]
    grid = (0.02, 0.1, 0.5)
    noise, curve = inner_noise(blocks, KINDS, ACTUAL, [0, 1], grid)
    changed = ACTUAL.copy()
    changed[2] = (changed[2] + 1) % 3
    assert inner_noise(blocks, KINDS, changed, [0, 1], grid) == (noise, curve)
    # member 2 at one stance votes yes on R1 and abstains on R2: sharp cuts cost dearly
    assert noise > min(grid)
    assert set(curve) == set(grid)


def test_a_held_out_resolution_leaves_its_patterns_out() -> None:
    assert derived_from(None) == ()
    assert set(derived_from("ES-11/3")) == {"votes_ES-11/3", "vn_la_most_resistant"}
    with pytest.raises(ValueError, match="held_out"):
        derived_from("nonesuch")
