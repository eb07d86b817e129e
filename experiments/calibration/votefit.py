"""The vote rule's cut points fitted to UN votes, and the predictions made from them.

**Parametrisation.** Resolutions of principle have two cuts on the stance scale,
``principle_no <= principle_yes``, with a uniform prior on grids within their documented
ranges (:class:`sim.votes.VoteRule` metadata). Punitive cuts are written relative to them:

    punitive_no  = principle_no  + gap_no
    punitive_yes = principle_yes + gap_yes   (a state's yes cut: + legalism_shift * un_legalism)

with uniform priors on ``gap_no``, ``gap_yes`` and ``legalism_shift`` (:data:`PUNITIVE_PRIOR`),
truncated to the ``VoteRule`` ranges and to ``punitive_no <= punitive_yes``.

**Fit** (the noise is given): the posterior mean of the cuts under these priors, the
likelihood being the product over members and resolutions of the run-mean probability of
the actual vote. The principle cuts are fitted on the principle votes, then the gaps and
the shift on the punitive votes given the principle cuts. Where the likelihood is flat
(e.g. no member voted no on a resolution of principle) the posterior mean is the middle of
the equally good cuts, never the edge of the range.

**Prediction.** A kind of resolution with votes in the training set is predicted with the
fitted cuts. A punitive resolution with no punitive vote in the training set (ES-11/3
held out) is predicted by integrating over the prior of the gaps and the shift: the mean
of the predictions over the prior grid, given the fitted principle cuts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from experiments.calibration.facts import (
    ASEAN_2022,
    Resolution,
    resolutions,
    vote_attributes,
    vote_step,
)
from sim.config import SimulationConfig
from sim.results import Trajectories
from sim.votes import KINDS, VOTES, VoteRule, vote_probabilities, voting_stance

PRINCIPLE_YES_GRID = np.round(np.arange(0.8, 2.5001, 0.05), 2)
PRINCIPLE_NO_GRID = np.round(np.arange(0.0, 1.5001, 0.05), 2)
GAP_YES_GRID = np.round(np.arange(0.0, 2.0001, 0.1), 2)
GAP_NO_GRID = np.round(np.arange(0.0, 2.0001, 0.1), 2)
LEGALISM_SHIFT_GRID = np.round(np.arange(0.0, 8.0001, 1.0), 2)
"""Grids of the priors (uniform on each grid, within the documented ranges)."""

PUNITIVE_PRIOR: dict[str, tuple[float, float, str]] = {
    "gap_yes": (
        0.0,
        2.0,
        "rise of the yes cut from a resolution of principle to a punitive one (rungs): "
        "never negative (a measure against Russia asks more than deploring the aggression: "
        "the ladder's order, Kuik 2008, 2016); at most the two rungs from 'principle' to "
        "'sanction' (sim.ladder.LEVEL_NAMES)",
    ),
    "gap_no": (
        0.0,
        2.0,
        "rise of the no cut from a resolution of principle to a punitive one (rungs): "
        "never negative (a state that does not vote no on deploring the aggression may vote "
        "no on punishing it, not the reverse); at most two rungs, as gap_yes",
    ),
    "legalism_shift": (
        0.0,
        8.0,
        "rise of the punitive yes cut per unit of un_legalism: the documented range of "
        "sim.votes.VoteRule.legalism_shift (positions MY, ID 'UN-only'; SG)",
    ),
}
"""Prior ranges (low, high, why) of the punitive parameters relative to the principle cuts.
Set from the ladder and the members' stated positions, not from any vote."""

_RANGES: dict[str, tuple[float, float]] = {f.name: f.metadata["range"] for f in fields(VoteRule)}

TINY = 1e-12
"""Probability floor inside the fit's log-likelihood only (a noise of 0 stays usable)."""


@dataclass(frozen=True)
class VoteBlock:
    """The runs of one parameter set at the vote dates of some resolutions.

    ``stance`` ``(V, R, N)``: the voting stance (UN seat applied) of the members on each
    resolution's date; ``legalism`` ``(R, N)``: their ``un_legalism`` in each run."""

    stance: np.ndarray
    legalism: np.ndarray

    @property
    def n_runs(self) -> int:
        return int(self.stance.shape[1])

    def subset(self, index: Sequence[int]) -> VoteBlock:
        """The block restricted to some resolutions."""
        return VoteBlock(self.stance[list(index)], self.legalism)


def vote_block(
    traj: Trajectories,
    config: SimulationConfig,
    history: Sequence[Resolution] | None = None,
    members: Sequence[str] = ASEAN_2022,
) -> VoteBlock:
    """The voting stances and legalism of ``members`` on the dates of ``history``
    (default: the calibration resolutions), read from simulated trajectories."""
    history = resolutions() if history is None else history
    cols = [config.countries.index(c) for c in members]
    legalism, seat = vote_attributes(config, traj.seeds)
    shape = traj.stance[:, 0].shape
    stance = np.stack(
        [
            voting_stance(traj.stance[:, vote_step(config.calendar, r.date)], seat)[:, cols]
            for r in history
        ]
    )
    return VoteBlock(stance, np.broadcast_to(legalism, shape)[:, cols].astype(np.float64))


def actual_votes(history: Sequence[Resolution], members: Sequence[str] = ASEAN_2022) -> np.ndarray:
    """The actual votes as indices into ``sim.votes.VOTES``, ``(V, N)``."""
    return np.array([[VOTES.index(r.votes[c]) for c in members] for r in history])


def _share_above(stance: np.ndarray, cuts: np.ndarray, noise: float) -> np.ndarray:
    """Mean over runs of P(stance >= cut): ``stance (R, N)``, ``cuts (..., R or 1, N)``
    gives ``(..., N)``; a logistic of scale ``noise`` (a step for 0)."""
    if noise <= 0.0:
        return (stance >= cuts).mean(axis=-2)
    z = np.clip((stance - cuts) / noise, -60.0, 60.0)
    return (1.0 / (1.0 + np.exp(-z))).mean(axis=-2)


def _log_hit(f_not_no: np.ndarray, f_yes: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Log-probability of the actual votes summed over members, from the run-mean
    probabilities of not voting no and of voting yes (broadcast; last axis members)."""
    probs = (f_yes, f_not_no - f_yes, 1.0 - f_not_no)
    hit = np.choose(actual, [np.broadcast_to(p, np.broadcast(*probs).shape) for p in probs])
    return np.log(np.maximum(hit, TINY)).sum(axis=-1)


def _posterior(log_lik: np.ndarray) -> np.ndarray:
    """Normalised weights ``exp(log_lik)`` (``-inf`` excluded)."""
    w = np.exp(log_lik - log_lik.max())
    return w / w.sum()


@dataclass(frozen=True)
class CutFit:
    """The fitted cuts at one noise: principle cuts (posterior means) and the posterior
    weights of the punitive grid (``GAP_NO x GAP_YES x LEGALISM_SHIFT``); with no
    punitive vote in the training set these weights are the prior."""

    principle_no: float
    principle_yes: float
    punitive_weights: np.ndarray
    punitive_identified: bool
    noise: float

    def rule(self) -> VoteRule:
        """The point rule: posterior means of every cut (punitive ones included even if
        not identified: then they are the prior's mean given the principle cuts), rounded
        to 4 decimals and kept inside the ranges and ``no <= yes``."""
        w = self.punitive_weights
        cuts = {
            "principle_yes": self.principle_yes,
            "principle_no": self.principle_no,
            "punitive_yes": self.principle_yes + (w.sum(axis=(0, 2)) * GAP_YES_GRID).sum(),
            "punitive_no": self.principle_no + (w.sum(axis=(1, 2)) * GAP_NO_GRID).sum(),
            "legalism_shift": (w.sum(axis=(0, 1)) * LEGALISM_SHIFT_GRID).sum(),
        }
        for name, value in cuts.items():
            lo, hi = _RANGES[name]
            cuts[name] = min(max(round(float(value), 4), lo), hi)
        for kind in ("principle", "punitive"):
            cuts[f"{kind}_no"] = min(cuts[f"{kind}_no"], cuts[f"{kind}_yes"])
        return VoteRule(**cuts, noise=self.noise)

    def predict(self, stance: np.ndarray, legalism: np.ndarray, kind: str) -> np.ndarray:
        """Vote probabilities ``(N, 3)`` (mean over runs) of a resolution of ``kind`` from
        the voting stances ``(R, N)``; a punitive resolution whose cuts the training set
        did not identify is integrated over the prior."""
        if kind == "principle" or self.punitive_identified:
            seat = np.full(stance.shape, np.nan)
            return vote_probabilities(stance, kind, legalism, seat, self.rule()).mean(axis=0)
        f_no, f_yes = _punitive_shares(
            stance, legalism, self.principle_no, self.principle_yes, self.noise
        )
        w = self.punitive_weights[..., None]
        p_yes = np.clip((w * f_yes[None]).sum(axis=(0, 1, 2)), 0.0, 1.0)
        p_not_no = np.clip((w * f_no[:, None, None]).sum(axis=(0, 1, 2)), p_yes, 1.0)
        return np.stack([p_yes, p_not_no - p_yes, 1.0 - p_not_no], axis=-1)


def _punitive_shares(
    stance: np.ndarray, legalism: np.ndarray, no_p: float, yes_p: float, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Run-mean P(not no) ``(G_no, N)`` and P(yes) ``(G_yes, G_shift, N)`` over the
    punitive grid, given the principle cuts."""
    no_cuts = (no_p + GAP_NO_GRID)[:, None, None]
    yes_cuts = (yes_p + GAP_YES_GRID)[:, None, None, None] + LEGALISM_SHIFT_GRID[
        None, :, None, None
    ] * legalism[None, None]
    return _share_above(stance, no_cuts, noise), _share_above(stance, yes_cuts, noise)


def _punitive_prior(no_p: float, yes_p: float) -> np.ndarray:
    """Where the punitive grid is allowed given the principle cuts: the ``VoteRule``
    ranges and ``punitive_no <= punitive_yes``, ``(G_no, G_yes, G_shift)``."""
    ranges = _RANGES
    no = no_p + GAP_NO_GRID
    yes = yes_p + GAP_YES_GRID
    ok_no = (no >= ranges["punitive_no"][0] - 1e-9) & (no <= ranges["punitive_no"][1] + 1e-9)
    ok_yes = (yes >= ranges["punitive_yes"][0] - 1e-9) & (yes <= ranges["punitive_yes"][1] + 1e-9)
    ok = ok_no[:, None] & ok_yes[None, :] & (no[:, None] <= yes[None, :] + 1e-9)
    return np.broadcast_to(ok[..., None], (*ok.shape, len(LEGALISM_SHIFT_GRID)))


def fit_cuts(block: VoteBlock, kinds: Sequence[str], actual: np.ndarray, noise: float) -> CutFit:
    """Fit the cuts on every resolution of ``block`` (kinds and actual votes ``(V, N)``
    aligned with ``block.stance``). Needs at least one resolution of principle."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"kinds: unknown {unknown}; allowed: {', '.join(KINDS)}")
    principle = [v for v, k in enumerate(kinds) if k == "principle"]
    punitive = [v for v, k in enumerate(kinds) if k == "punitive"]
    if not principle:
        raise ValueError("kinds: the fit needs at least one resolution of principle")
    log_lik = np.zeros((len(PRINCIPLE_NO_GRID), len(PRINCIPLE_YES_GRID)))
    for v in principle:
        f_no = _share_above(block.stance[v], PRINCIPLE_NO_GRID[:, None, None], noise)
        f_yes = _share_above(block.stance[v], PRINCIPLE_YES_GRID[:, None, None], noise)
        log_lik = log_lik + _log_hit(f_no[:, None], f_yes[None, :], actual[v])
    valid = PRINCIPLE_NO_GRID[:, None] <= PRINCIPLE_YES_GRID[None, :]
    w = _posterior(np.where(valid, log_lik, -np.inf))
    no_p = float((w.sum(axis=1) * PRINCIPLE_NO_GRID).sum())
    yes_p = float((w.sum(axis=0) * PRINCIPLE_YES_GRID).sum())
    prior = _punitive_prior(no_p, yes_p)
    pun_lik = np.zeros(prior.shape)
    for v in punitive:
        f_no, f_yes = _punitive_shares(block.stance[v], block.legalism, no_p, yes_p, noise)
        pun_lik = pun_lik + _log_hit(f_no[:, None, None], f_yes[None], actual[v])
    weights = _posterior(np.where(prior, pun_lik, -np.inf))
    return CutFit(no_p, yes_p, weights, bool(punitive), float(noise))


def fit_vote_rule(traj: Trajectories, config: SimulationConfig, base: VoteRule) -> VoteRule:
    """The cuts fitted on ES-11/1, ES-11/2 (principle) and ES-11/3 (punitive) from
    simulated trajectories, with ``base.noise`` (see the module docstring). In-sample by
    construction: these three votes are the only UN votes the project encodes."""
    history = resolutions()
    fit = fit_cuts(
        vote_block(traj, config, history),
        [r.kind for r in history],
        actual_votes(history),
        base.noise,
    )
    return replace(fit.rule(), noise=base.noise)
