"""The vote fit, the leave-one-resolution-out choice of the noise, and the baselines, on
hand-made stances (experiments.calibration.votefit, experiments.calibration.voteloo)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.calibration.votefit import VoteBlock, fit_cuts
from experiments.calibration.voteloo import (
    baseline_probabilities,
    brier,
    choose_noise,
    held_out_prediction,
    leave_one_out,
    log_loss,
    repeat_last,
    score,
)

Y, A, N = 0, 1, 2  # indices into sim.votes.VOTES
GRID = (0.02, 0.05, 0.1, 0.2, 0.5)


def block(stances: list[list[float]], legalism: list[float], runs: int = 4) -> VoteBlock:
    """Every run at the same stances, ``(V, N)`` -> ``(V, R, N)``, with tiny run spread."""
    s = np.asarray(stances, dtype=float)[:, None, :] + np.linspace(-0.01, 0.01, runs)[:, None]
    return VoteBlock(s, np.broadcast_to(np.asarray(legalism, dtype=float), (runs, s.shape[-1])))


# Three members: an abstainer (1.0), a principle voter (2.8, legalist) and a hawk (3.9).
KINDS = ("principle", "principle", "punitive")
NAMES = ("R1", "R2", "R3")
STANCE = [[1.0, 2.8, 3.9]] * 3
LEGALISM = [0.5, 0.9, 0.1]
ACTUAL = np.array([[A, Y, Y], [A, Y, Y], [N, A, Y]])


@pytest.mark.parametrize("held_out", [0, 1, 2])
@pytest.mark.parametrize("noise", [0.05, 0.3])
def test_the_held_out_votes_never_reach_the_fit(held_out: int, noise: float) -> None:
    blocks = [block(STANCE, LEGALISM)]
    before = held_out_prediction(blocks, KINDS, ACTUAL, held_out, noise)
    changed = ACTUAL.copy()
    changed[held_out] = (changed[held_out] + 1) % 3  # every held-out vote different
    after = held_out_prediction(blocks, KINDS, changed, held_out, noise)
    np.testing.assert_array_equal(before, after)
    train = {0: 1, 1: 0, 2: 0}[held_out]  # a training vote of principle changes it
    changed = ACTUAL.copy()
    changed[train] = (changed[train] + 1) % 3
    assert not np.allclose(before, held_out_prediction(blocks, KINDS, changed, held_out, noise))


def test_a_larger_noise_wins_when_a_member_switches_between_like_votes() -> None:
    # the member at 2.0 votes yes on R1 and abstains on R2 from the same stance: whichever
    # is held out, the other says the opposite, so sharp probabilities cost dearly
    blocks = [block([[0.9, 2.0, 3.0], [0.9, 2.0, 3.0]], [0.5, 0.5, 0.5])]
    actual = np.array([[A, Y, Y], [A, A, Y]])
    result = leave_one_out(blocks, ("R1", "R2"), ("principle", "principle"), actual, GRID)
    assert result.noise > GRID[0]
    assert result.curve[GRID[0]].log_loss > result.curve[result.noise].log_loss + 1.0
    # without the switch, the sharpest noise wins
    steady = np.array([[A, Y, Y], [A, Y, Y]])
    assert leave_one_out(blocks, ("R1", "R2"), ("principle",) * 2, steady, GRID).noise == GRID[0]


def test_ties_choose_the_larger_noise() -> None:
    from experiments.calibration.voteloo import Score

    flat = {n: Score(0.5, 0.2, 10, 0, {}) for n in GRID}
    assert choose_noise(flat) == max(GRID)
    assert choose_noise({**flat, 0.1: Score(0.4, 0.2, 10, 0, {})}) == 0.1


def test_baselines_and_scores_on_a_hand_made_example() -> None:
    kinds = ("principle", "principle", "punitive")
    actual = np.array([[Y, A, Y], [Y, Y, A], [A, N, Y]])
    repeated = repeat_last(kinds, actual)
    # R1: nothing earlier; R2: R1's votes; R3 (first punitive): the last vote of any kind
    np.testing.assert_array_equal(repeated, [[-1, -1, -1], [Y, A, Y], [Y, Y, A]])
    one_hot = score(baseline_probabilities(repeated, 1.0), actual, ("R1", "R2", "R3"), [1, 2])
    # one hit (R2, first member), five misses of six cells
    assert one_hot.n_cells == 6 and one_hot.misses == 5
    assert math.isinf(one_hot.log_loss)
    assert one_hot.brier == pytest.approx(10 / 6)
    smooth = score(baseline_probabilities(repeated, 0.9), actual, ("R1", "R2", "R3"), [1, 2])
    # hit: -ln 0.9 = 0.1053605; miss: -ln 0.05 = 2.9957323
    assert smooth.log_loss == pytest.approx((0.1053605 + 5 * 2.9957323) / 6, abs=1e-6)
    assert smooth.per_resolution["R2"] == pytest.approx((0.1053605 + 2 * 2.9957323) / 3, abs=1e-6)
    assert smooth.per_resolution["R3"] == pytest.approx(2.9957323, abs=1e-6)
    # Brier: hit 0.1^2 + 2 * 0.05^2 = 0.015; miss 0.9^2 + 0.95^2 + 0.05^2 = 1.715
    assert smooth.brier == pytest.approx((0.015 + 5 * 1.715) / 6)
    assert smooth.misses == 0


def test_log_loss_and_brier_of_one_cell() -> None:
    probs = np.array([[0.5, 0.3, 0.2]])
    assert log_loss(probs, np.array([Y]))[0] == pytest.approx(math.log(2))
    assert brier(probs, np.array([Y]))[0] == pytest.approx(0.25 + 0.09 + 0.04)
    assert math.isinf(log_loss(np.array([[0.0, 1.0, 0.0]]), np.array([N]))[0])


@pytest.mark.parametrize("identified", [True, False])
@pytest.mark.parametrize("kind", ["principle", "punitive"])
def test_probabilities_are_monotone_in_stance(kind: str, identified: bool) -> None:
    train = block(STANCE if identified else STANCE[:2], LEGALISM)
    fit = fit_cuts(train, KINDS if identified else KINDS[:2], ACTUAL[: 3 if identified else 2], 0.1)
    assert fit.punitive_identified is identified
    stance = np.linspace(0.0, 4.99, 120)[None, :]
    for legalism in (0.0, 0.6, 1.0):
        p = fit.predict(stance, np.full(stance.shape, legalism), kind)
        assert np.allclose(p.sum(axis=-1), 1.0) and (p >= 0).all()
        assert (np.diff(p[:, Y]) >= -1e-12).all()  # yes never falls as stance rises
        assert (np.diff(p[:, N]) <= 1e-12).all()  # no never rises
        assert p[0, N] > 0.5
    assert p[-1, Y] > 0.5 or kind == "punitive"  # a legalist may abstain at any stance
    assert fit.predict(stance, np.zeros(stance.shape), kind)[-1, Y] > 0.5


def test_the_fit_centres_cuts_the_votes_do_not_pin() -> None:
    # nobody voted no on R1-R2: the principle no cut is the middle of [0, ~1.0], not 0
    fit = fit_cuts(block(STANCE[:2], LEGALISM), KINDS[:2], ACTUAL[:2], 0.02)
    assert 0.35 < fit.principle_no < 0.65
    assert 1.0 < fit.principle_yes < 2.8  # between the abstainer and the lowest yes
    # with no punitive vote, the punitive cuts are the prior's (weights uniform where allowed)
    w = fit.punitive_weights
    assert np.allclose(w[w > 0], w[w > 0].max())
    with pytest.raises(ValueError, match="principle"):
        fit_cuts(block(STANCE[2:], LEGALISM), KINDS[2:], ACTUAL[2:], 0.1)
    with pytest.raises(ValueError, match="kinds: unknown"):
        fit_cuts(block(STANCE[:2], LEGALISM), ("principle", "sanction"), ACTUAL[:2], 0.1)


def test_the_pooled_prediction_is_the_mean_over_every_run() -> None:
    a, b = block(STANCE, LEGALISM, runs=2), block([[1.2, 2.5, 3.5]] * 3, LEGALISM, runs=6)
    both = held_out_prediction([a, b], KINDS, ACTUAL, 0, 0.2)
    alone = [held_out_prediction([x], KINDS, ACTUAL, 0, 0.2) for x in (a, b)]
    np.testing.assert_allclose(both, (2 * alone[0] + 6 * alone[1]) / 8)
