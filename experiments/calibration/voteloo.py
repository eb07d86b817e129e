"""Leave-one-resolution-out (LOO) choice of the vote noise, and the baselines it is judged by.

For each noise on :data:`NOISE_GRID` and each resolution held out, the cut points are
fitted on the other resolutions only (:func:`~experiments.calibration.votefit.fit_cuts`:
the held-out votes and stances are never passed to the fit) and the held-out resolution's
vote probabilities are predicted per member: the mean over the runs of every block (one
block per parameter set; runs may carry sampled country priors), each block with its own
fitted cuts. The noise with the lowest total held-out log-loss is chosen (ties: the larger
noise). Pure numpy on :class:`~experiments.calibration.votefit.VoteBlock` arrays.

Baselines, scored on the same held-out cells: each member repeats its last earlier vote on
a resolution of the same kind; for the first resolution of a kind, its last earlier vote
of any kind; for the first resolution of all there is no earlier vote, so no baseline
prediction: the baselines are scored from the second resolution on (the model is reported
on those cells too). ``one-hot`` puts probability 1 on the repeated vote (log-loss infinite
at the first miss); ``smoothed`` puts 0.9 on it and 0.05 on each other vote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.calibration.votefit import CutFit, VoteBlock, fit_cuts

NOISE_GRID: tuple[float, ...] = tuple(float(f"{x:.3g}") for x in np.geomspace(0.02, 1.0, 15))
"""Candidate noises (rungs): 15 values evenly spaced on a log scale from 0.02 (a member 0.1
rung from a cut gets 0.993: the rule is nearly a step) to 1.0 (the top of the documented
range of ``VoteRule.noise``: one rung of noise blurs neighbouring rungs)."""
SMOOTHED = 0.9
"""Probability the smoothed baseline puts on the repeated vote (0.05 on each other)."""
CONFIDENT = 0.99
"""A cell is confident when its most probable vote gets more than this."""


def fold_fits(
    blocks: Sequence[VoteBlock],
    kinds: Sequence[str],
    actual: np.ndarray,
    held_out: int,
    noise: float,
) -> list[CutFit]:
    """The cuts of each block fitted without resolution ``held_out``: only the other
    resolutions' stances, kinds and votes reach the fit."""
    train = [v for v in range(len(kinds)) if v != held_out]
    return [
        fit_cuts(b.subset(train), [kinds[v] for v in train], actual[train], noise) for b in blocks
    ]


def pooled(blocks: Sequence[VoteBlock], per_block: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over every run of every block: block predictions weighted by their runs."""
    runs = np.array([b.n_runs for b in blocks], dtype=np.float64)
    return np.tensordot(runs / runs.sum(), np.stack(per_block), axes=1)


def held_out_prediction(
    blocks: Sequence[VoteBlock],
    kinds: Sequence[str],
    actual: np.ndarray,
    held_out: int,
    noise: float,
) -> np.ndarray:
    """Vote probabilities ``(N, 3)`` of resolution ``held_out`` from the others."""
    fits = fold_fits(blocks, kinds, actual, held_out, noise)
    return pooled(
        blocks,
        [
            f.predict(b.stance[held_out], b.legalism, kinds[held_out])
            for f, b in zip(fits, blocks, strict=True)
        ],
    )


def loo_predictions(
    blocks: Sequence[VoteBlock], kinds: Sequence[str], actual: np.ndarray, noise: float
) -> np.ndarray:
    """Held-out probabilities of every resolution, ``(V, N, 3)``."""
    return np.stack(
        [held_out_prediction(blocks, kinds, actual, v, noise) for v in range(len(kinds))]
    )


def in_sample(
    blocks: Sequence[VoteBlock], kinds: Sequence[str], actual: np.ndarray, noise: float
) -> tuple[np.ndarray, list[CutFit]]:
    """Probabilities ``(V, N, 3)`` with the cuts of each block fitted on every
    resolution (the final fit), and the fits."""
    fits = [fit_cuts(b, kinds, actual, noise) for b in blocks]
    probs = [
        np.stack([f.predict(b.stance[v], b.legalism, k) for v, k in enumerate(kinds)])
        for f, b in zip(fits, blocks, strict=True)
    ]
    return pooled(blocks, probs), fits


# --------------------------------------------------------------------------- scores
def log_loss(probs: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """``-log p(actual vote)`` per cell (nats; ``inf`` where the actual vote got 0)."""
    hit = np.take_along_axis(probs, actual[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        return -np.log(np.clip(hit, 0.0, 1.0))


def brier(probs: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Brier score per cell: ``sum over the three votes of (p - outcome)^2`` (0 to 2)."""
    outcome = np.eye(probs.shape[-1])[actual]
    return ((probs - outcome) ** 2).sum(axis=-1)


def repeat_last(kinds: Sequence[str], actual: np.ndarray) -> np.ndarray:
    """The repeat-last-vote prediction ``(V, N)`` (index into ``VOTES``; -1: none) for
    resolutions in date order: the last earlier vote of the same kind, else of any kind."""
    out = np.full(actual.shape, -1, dtype=int)
    for v in range(1, len(kinds)):
        same = [u for u in range(v) if kinds[u] == kinds[v]]
        out[v] = actual[same[-1] if same else v - 1]
    return out


def baseline_probabilities(repeated: np.ndarray, on_repeated: float) -> np.ndarray:
    """Probabilities ``(V, N, 3)`` putting ``on_repeated`` on the repeated vote and the
    rest evenly on the others; NaN where there is no prediction."""
    probs = np.full((*repeated.shape, 3), (1.0 - on_repeated) / 2.0)
    np.put_along_axis(probs, np.maximum(repeated, 0)[..., None], on_repeated, axis=-1)
    probs[repeated < 0] = np.nan
    return probs


@dataclass(frozen=True)
class Score:
    """Mean log-loss (nats per member-vote) and Brier score over the scored cells, and per
    resolution; ``misses``: cells whose actual vote got probability 0."""

    log_loss: float
    brier: float
    n_cells: int
    misses: int
    per_resolution: dict[str, float]


def score(
    probs: np.ndarray, actual: np.ndarray, names: Sequence[str], rows: Sequence[int]
) -> Score:
    """Scores of the resolutions ``rows`` (indices into ``names``)."""
    rows = list(rows)
    loss = log_loss(probs[rows], actual[rows])
    return Score(
        log_loss=float(loss.mean()),
        brier=float(brier(probs[rows], actual[rows]).mean()),
        n_cells=int(loss.size),
        misses=int(np.isinf(loss).sum()),
        per_resolution={names[v]: float(loss[i].mean()) for i, v in enumerate(rows)},
    )


# --------------------------------------------------------------------------- the choice
@dataclass(frozen=True)
class LooResult:
    """The LOO curve over the noise grid, the chosen noise and its predictions."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    actual: np.ndarray
    grid: tuple[float, ...]
    curve: dict[float, Score]  # noise -> LOO score over every resolution
    predictions: dict[float, np.ndarray]  # noise -> held-out probabilities (V, N, 3)
    noise: float
    in_sample: np.ndarray  # (V, N, 3): final fit on every resolution at the chosen noise
    fits: list[CutFit]  # final fit of each block

    @property
    def held_out(self) -> np.ndarray:
        """Held-out probabilities ``(V, N, 3)`` at the chosen noise."""
        return self.predictions[self.noise]

    def within_one_se(self) -> float:
        """The largest noise whose held-out log-loss exceeds the chosen one's by less
        than one standard error of the per-cell difference (a diagnostic of how flat the
        LOO curve is: the one-standard-error rule, Hastie, Tibshirani & Friedman 2009,
        7.10; not the choice)."""
        best = log_loss(self.held_out, self.actual).ravel()
        out = self.noise
        for noise, probs in self.predictions.items():
            diff = log_loss(probs, self.actual).ravel() - best
            if not np.isfinite(diff).all():
                continue
            se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else 0.0
            if diff.mean() <= se:
                out = max(out, noise)
        return out

    def scores(self) -> dict[str, Score]:
        """Model and baselines on the cells the baselines predict, and the model on all."""
        repeated = repeat_last(self.kinds, self.actual)
        rows = [v for v in range(len(self.names)) if (repeated[v] >= 0).all()]
        every = range(len(self.names))
        return {
            "model": score(self.held_out, self.actual, self.names, rows),
            "repeat_last": score(
                baseline_probabilities(repeated, 1.0), self.actual, self.names, rows
            ),
            "repeat_last_smoothed": score(
                baseline_probabilities(repeated, SMOOTHED), self.actual, self.names, rows
            ),
            "model_all": score(self.held_out, self.actual, self.names, every),
        }

    def confident_cells(self) -> int:
        """In-sample cells whose most probable vote gets more than :data:`CONFIDENT`."""
        return int((self.in_sample.max(axis=-1) > CONFIDENT).sum())


def choose_noise(curve: Mapping[float, Score]) -> float:
    """The noise of lowest total LOO log-loss; among equal ones (to 1e-9 nats per vote)
    the largest (the more cautious)."""
    best = min(s.log_loss for s in curve.values())
    return max(n for n, s in curve.items() if s.log_loss <= best + 1e-9)


def leave_one_out(
    blocks: Sequence[VoteBlock],
    names: Sequence[str],
    kinds: Sequence[str],
    actual: np.ndarray,
    grid: Sequence[float] = NOISE_GRID,
) -> LooResult:
    """The LOO curve over ``grid``, the chosen noise, its held-out predictions and the
    final fit on every resolution at that noise. Resolutions in date order."""
    every = range(len(names))
    preds = {float(n): loo_predictions(blocks, kinds, actual, float(n)) for n in grid}
    curve = {n: score(p, actual, names, every) for n, p in preds.items()}
    noise = choose_noise(curve)
    final, fits = in_sample(blocks, kinds, actual, noise)
    return LooResult(
        tuple(names), tuple(kinds), actual, tuple(preds), curve, preds, noise, final, fits
    )
