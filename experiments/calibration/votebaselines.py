"""Baselines a sceptic would pick for UN vote forecasts, and the scores they are judged by.

Every baseline is fitted on training resolutions only (its smoothing chosen by
leave-one-out within them) and predicts one held-out resolution ``(N, 3)`` (columns
``sim.votes.VOTES``):

- ``uniform``: 1/3 on each vote.
- ``majority``: the most frequent vote of the training resolutions (all members pooled)
  gets ``q``, each other vote ``(1 - q) / 2``.
- ``persistence``: a member repeats its last vote on a resolution of principle (the latest
  training one before the held-out date; for the first resolution, the earliest later
  one); a punitive text is predicted one step lower (yes -> abstain, abstain -> no,
  no -> no); ``q`` on that vote, ``(1 - q) / 2`` on each other.
- ``repeat_last_smoothed``: the old baseline (last earlier training vote of the same
  kind, else of any kind; 0.9 / 0.05 / 0.05); none for the first resolution.

``q`` of ``majority`` and ``persistence`` is chosen on :data:`Q_GRID` by the log-loss of
leave-one-out within the training resolutions (ties: the smaller, the more cautious).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.votes import VOTES

Q_GRID: tuple[float, ...] = tuple(round(float(q), 2) for q in np.arange(0.34, 0.995, 0.01))
"""Candidate probabilities of the predicted vote (1/3 is uniform; at most 0.99)."""
SMOOTHED = 0.9
"""Probability the old repeat-last-vote baseline puts on the repeated vote."""
BASELINES: dict[str, str] = {
    "uniform": "uniform (1/3 each)",
    "majority": "majority class of the training votes (smoothed)",
    "persistence": "persistence by kind (last principle vote, one step lower if punitive)",
    "repeat_last_smoothed": "repeat last vote, smoothed 0.9 (old baseline)",
}
"""The baselines, with their report labels."""


def spread(choice: np.ndarray, q: float) -> np.ndarray:
    """Probabilities ``(N, 3)``: ``q`` on ``choice`` (indices into VOTES), the rest even."""
    probs = np.full((len(choice), len(VOTES)), (1.0 - q) / 2.0)
    probs[np.arange(len(choice)), choice] = q
    return probs


def _log_lik(probs: np.ndarray, actual: np.ndarray) -> float:
    return float(np.log(probs[np.arange(len(actual)), actual]).sum())


def _choose_q(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """The ``q`` of :data:`Q_GRID` of highest log-likelihood over (choice, actual) pairs;
    1/3 (uniform) when there is no pair."""
    if not pairs:
        return Q_GRID[0]
    lik = [sum(_log_lik(spread(c, q), a) for c, a in pairs) for q in Q_GRID]
    return Q_GRID[int(np.argmax(lik))]


def majority_choice(actual: np.ndarray, train: Sequence[int], n: int) -> np.ndarray:
    """The most frequent training vote (ties: the earlier in VOTES), for ``n`` members."""
    counts = np.bincount(actual[list(train)].ravel(), minlength=len(VOTES))
    return np.full(n, int(np.argmax(counts)))


def persistence_choice(
    kinds: Sequence[str], actual: np.ndarray, train: Sequence[int], target: int
) -> np.ndarray | None:
    """The persistence vote of every member on ``target`` from the ``train`` resolutions
    (indices in date order), or None when no training resolution is of principle."""
    principle = [u for u in train if kinds[u] == "principle" and u != target]
    if not principle:
        return None
    before = [u for u in principle if u < target]
    source = before[-1] if before else min(principle)
    vote = actual[source].copy()
    if kinds[target] == "punitive":
        vote = np.minimum(vote + 1, len(VOTES) - 1)
    return vote


def repeat_last_choice(
    kinds: Sequence[str], actual: np.ndarray, train: Sequence[int], target: int
) -> np.ndarray | None:
    """The old baseline's repeated vote: last earlier training vote of the same kind,
    else of any kind; None when no training resolution is earlier."""
    earlier = [u for u in train if u < target]
    if not earlier:
        return None
    same = [u for u in earlier if kinds[u] == kinds[target]]
    return actual[same[-1] if same else earlier[-1]]


def fitted_baselines(
    kinds: Sequence[str], actual: np.ndarray, held_out: int
) -> dict[str, dict[str, Any]]:
    """Each baseline fitted without resolution ``held_out`` and its prediction of it:
    ``{name: {"probs": (N, 3) or None, "q": float | None}}``."""
    n = actual.shape[1]
    train = [u for u in range(len(kinds)) if u != held_out]
    out: dict[str, dict[str, Any]] = {
        "uniform": {"probs": np.full((n, len(VOTES)), 1.0 / len(VOTES)), "q": None}
    }
    inner = [(majority_choice(actual, [w for w in train if w != u], n), actual[u]) for u in train]
    q = _choose_q(inner)
    out["majority"] = {"probs": spread(majority_choice(actual, train, n), q), "q": q}
    pairs = []
    for u in train:
        choice = persistence_choice(kinds, actual, [w for w in train if w != u], u)
        if choice is not None:
            pairs.append((choice, actual[u]))
    q = _choose_q(pairs)
    choice = persistence_choice(kinds, actual, train, held_out)
    out["persistence"] = {
        "probs": None if choice is None else spread(choice, q),
        "q": q,
    }
    choice = repeat_last_choice(kinds, actual, train, held_out)
    out["repeat_last_smoothed"] = {
        "probs": None if choice is None else spread(choice, SMOOTHED),
        "q": SMOOTHED,
    }
    return out


def scores(probs: np.ndarray, actual: np.ndarray) -> dict[str, Any]:
    """Mean log-loss (nats per vote), Brier (0-2), accuracy of the most probable vote
    (ties: yes > abstain > no) and recall per actual vote (None: no such vote) over the
    cells ``probs (..., 3)`` against ``actual (...)``."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1, len(VOTES))
    a = np.asarray(actual).ravel()
    hit = np.clip(p[np.arange(len(a)), a], 0.0, 1.0)
    with np.errstate(divide="ignore"):
        loss = -np.log(hit)
    brier = ((p - np.eye(len(VOTES))[a]) ** 2).sum(axis=-1)
    modal = np.argmax(p, axis=-1)
    recall = {
        v: (float((modal[a == k] == k).mean()) if (a == k).any() else None)
        for k, v in enumerate(VOTES)
    }
    return {
        "log_loss": float(loss.mean()) if np.isfinite(loss).all() else "inf",
        "brier": float(brier.mean()),
        "accuracy": float((modal == a).mean()),
        "recall": recall,
        "n_cells": int(len(a)),
    }
