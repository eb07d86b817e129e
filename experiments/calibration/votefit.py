"""The vote rule's cut points fitted (not searched) to the three UN votes of 2022.

At every simulated point the cut points of :class:`sim.votes.VoteRule` are fitted on grids
within their documented ranges to the members' votes on ES-11/1, ES-11/2 and ES-11/3,
read from the simulated stances on the vote dates; the noise is kept. In-sample by
construction: these are the only UN votes the project encodes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from experiments.calibration.facts import resolutions, vote_attributes, vote_step
from experiments.workflow.scenario import ASEAN_2022
from sim.config import SimulationConfig
from sim.results import Trajectories
from sim.votes import KINDS, VOTES, VoteRule, _above, voting_stance

PRINCIPLE_YES_GRID = np.round(np.arange(0.8, 2.5001, 0.05), 2)
PRINCIPLE_NO_GRID = np.round(np.arange(0.0, 1.5001, 0.05), 2)
PUNITIVE_YES_GRID = np.round(np.arange(1.0, 4.0001, 0.05), 2)
PUNITIVE_NO_GRID = np.round(np.arange(0.0, 2.5001, 0.05), 2)
LEGALISM_SHIFT_GRID = np.round(np.arange(0.0, 8.0001, 1.0), 2)
"""Grids (within the documented ranges) on which the cut points are fitted."""


def _share_above(stance: np.ndarray, cuts: np.ndarray, noise: float) -> np.ndarray:
    """Mean over runs of P(stance >= cut) for each cut: ``cuts (..., 1, N)`` against
    ``stance (R, N)`` gives ``(..., N)``."""
    return _above(stance, cuts[..., None, :], noise).mean(axis=-2)


def _fit_kind(
    shares: list[tuple[np.ndarray, np.ndarray]],
    actual: list[np.ndarray],
    no_grid: np.ndarray,
    yes_grid: np.ndarray,
) -> tuple[tuple[int, ...], float]:
    """Best (no index, yes index, ...) for resolutions of one kind; shares are
    ``F_no (G_no, N)`` and ``F_yes (G_yes, ..., N)`` per resolution."""
    correct = 0.0
    fit = 0.0
    for (f_no, f_yes), act in zip(shares, actual, strict=True):
        extra = f_yes.ndim - 2
        fn = f_no.reshape(f_no.shape[0], *([1] * (extra + 1)), f_no.shape[-1])
        fy = f_yes[None]
        fn = np.maximum(fn, fy)  # P(not no) >= P(yes) run by run
        probs = np.stack([fy + 0 * fn, fn - fy, 1.0 - fn], axis=-1)  # (Gn, Gy, ..., N, 3)
        modal = np.argmax(probs, axis=-1)
        correct = correct + (modal == act).sum(axis=-1)
        hit = np.take_along_axis(probs, np.broadcast_to(act, modal.shape)[..., None], axis=-1)
        fit = fit + hit[..., 0].sum(axis=-1)
    valid = no_grid[:, None] <= yes_grid[None, :]
    valid = valid.reshape(*valid.shape, *([1] * (np.ndim(correct) - 2)))
    # fit rounded to 0.01 (summed probabilities): cut points that fit equally well tie
    objective = np.where(valid, correct * 1000.0 + np.round(fit, 2), -np.inf)
    ties = np.argwhere(objective >= objective.max() - 1e-9)
    centre = np.median(ties, axis=0)  # the middle of the equally good cut points
    best = ties[int(np.argmin(((ties - centre) ** 2).sum(axis=1)))]
    return tuple(int(i) for i in best), float(np.max(correct * valid))


def fit_vote_rule(traj: Trajectories, config: SimulationConfig, base: VoteRule) -> VoteRule:
    """Cut points fitted to ES-11/1, ES-11/2 (principle) and ES-11/3 (punitive) from the
    simulated stances on the vote dates: on grids within the documented ranges, the cuts
    that maximise the number of members whose modal vote is right, ties broken by the
    summed probability of the actual votes (to 0.01), then by the middle of the equally
    good cuts (a maximum-margin choice: e.g. no member voted no on ES-11/1-2, so the
    principle no cut is placed halfway below the lowest abstainer, not at 0). ``noise``
    is kept from ``base`` (an assumption). In-sample by construction: these three votes
    are the only UN votes the project encodes."""
    cols = [config.countries.index(c) for c in ASEAN_2022]
    legalism, seat = vote_attributes(config, traj.seeds)
    out: dict[str, float] = {}
    for kind in KINDS:
        shares, actual = [], []
        for res in resolutions():
            if res.kind != kind:
                continue
            step = vote_step(config.calendar, res.date)
            s = voting_stance(traj.stance[:, step], seat)[:, cols]
            leg = np.broadcast_to(legalism, traj.stance[:, step].shape)[:, cols]
            act = np.array([VOTES.index(res.votes[c]) for c in ASEAN_2022])
            if kind == "principle":
                f_no = _share_above(
                    s,
                    np.broadcast_to(
                        PRINCIPLE_NO_GRID[:, None], (len(PRINCIPLE_NO_GRID), len(cols))
                    ),
                    base.noise,
                )
                f_yes = _share_above(
                    s,
                    np.broadcast_to(
                        PRINCIPLE_YES_GRID[:, None], (len(PRINCIPLE_YES_GRID), len(cols))
                    ),
                    base.noise,
                )
            else:
                f_no = _share_above(
                    s,
                    np.broadcast_to(PUNITIVE_NO_GRID[:, None], (len(PUNITIVE_NO_GRID), len(cols))),
                    base.noise,
                )
                cut = (
                    PUNITIVE_YES_GRID[:, None, None, None]
                    + LEGALISM_SHIFT_GRID[None, :, None, None] * leg[None, None]
                )
                f_yes = _above(s[None, None], cut, base.noise).mean(axis=-2)  # (Gy, K, N)
            shares.append((f_no, f_yes))
            actual.append(act)
        if kind == "principle":
            (i, j), _ = _fit_kind(shares, actual, PRINCIPLE_NO_GRID, PRINCIPLE_YES_GRID)
            out["principle_no"] = float(PRINCIPLE_NO_GRID[i])
            out["principle_yes"] = float(PRINCIPLE_YES_GRID[j])
        else:
            (i, j, k), _ = _fit_kind(shares, actual, PUNITIVE_NO_GRID, PUNITIVE_YES_GRID)
            out["punitive_no"] = float(PUNITIVE_NO_GRID[i])
            out["punitive_yes"] = float(PUNITIVE_YES_GRID[j])
            out["legalism_shift"] = float(LEGALISM_SHIFT_GRID[k])
    return replace(base, **out)
