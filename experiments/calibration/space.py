"""The searched parameter space and the moves of the search within it.

The model parameters searched (:data:`MODEL_PARAMS`) and their documented ranges (field
metadata of :class:`sim.params.ModelParams`), Latin hypercube samples, and the Gaussian
kernel of ABC population Monte Carlo (moves reflected at the range bounds, importance
weights under the uniform prior).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from scipy.stats import qmc

from experiments.workflow.errors import ConfigError
from sim.params import ModelParams
from sim.votes import VoteRule

MODEL_PARAMS: tuple[str, ...] = tuple(
    f.name for f in fields(ModelParams) if f.name not in ("coalition_base", "mandate_compliance")
)
"""Model parameters searched: every one but the counterfactual ``mandate_compliance`` and
``coalition_base`` (a sourced value). Whether the 2022 record identifies each is read off
the accepted sets (the identification table of docs/validation.md)."""
NOT_IDENTIFIED: tuple[str, ...] = ("mandate_compliance",)
"""Counterfactual parameters the 2022 data cannot identify (never searched)."""
VOTE_PARAMS: tuple[str, ...] = tuple(f.name for f in fields(VoteRule))
"""Every parameter of the vote rule (cut points fitted on ES-11/1-3, ``noise`` kept)."""


@dataclass(frozen=True)
class Dimension:
    """One calibrated parameter: ``model.<name>`` or ``votes.<name>``, with its range."""

    key: str
    low: float
    high: float


def parameter_space(
    model_params: Sequence[str] = MODEL_PARAMS, vote_params: Sequence[str] = VOTE_PARAMS
) -> list[Dimension]:
    """The searched parameters with their documented ranges (metadata of the dataclasses)."""
    meta = {f.name: f.metadata["range"] for f in fields(ModelParams)}
    vmeta = {f.name: f.metadata["range"] for f in fields(VoteRule)}
    dims = []
    for name in model_params:
        if name in NOT_IDENTIFIED:
            raise ConfigError(
                "model_params",
                f"{name!r} is not identified by the 2022 data (no UN Security Council "
                "mandate existed); it cannot be calibrated",
            )
        if name not in meta:
            raise ConfigError("model_params", f"unknown {name!r}", list(meta))
        dims.append(Dimension(f"model.{name}", *meta[name]))
    for name in vote_params:
        if name not in vmeta:
            raise ConfigError("vote_params", f"unknown {name!r}", list(vmeta))
        dims.append(Dimension(f"votes.{name}", *vmeta[name]))
    return dims


def latin_hypercube(
    dims: Sequence[Dimension], n: int, seed: int, bounds: np.ndarray | None = None
) -> np.ndarray:
    """``n`` points, shape ``(n, d)``, Latin hypercube within ``bounds`` (default: ranges)."""
    lo = np.array([d.low for d in dims]) if bounds is None else bounds[0]
    hi = np.array([d.high for d in dims]) if bounds is None else bounds[1]
    unit = qmc.LatinHypercube(d=len(dims), seed=np.random.default_rng(seed)).random(n)
    return qmc.scale(unit, lo, hi) if np.any(hi > lo) else np.tile(lo, (n, 1))


def bounds(dims: Sequence[Dimension]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([d.low for d in dims]), np.array([d.high for d in dims])


def perturb(
    dims: Sequence[Dimension],
    particles: np.ndarray,
    weights: np.ndarray,
    n: int,
    rng: np.random.Generator,
    sd: np.ndarray,
) -> np.ndarray:
    """``n`` proposals: a parent drawn by weight, moved by a Gaussian kernel of s.d.
    ``sd``, reflected at the range bounds so that every proposal lies in the support of
    the uniform prior (clipping would pile proposals up on the bounds)."""
    lo, hi = bounds(dims)
    width = np.maximum(hi - lo, 1e-12)
    parents = particles[rng.choice(len(particles), size=n, p=weights)]
    x = parents + rng.normal(size=parents.shape) * sd
    folded = np.mod(x - lo, 2.0 * width)
    return lo + np.where(folded > width, 2.0 * width - folded, folded)


def kernel_sd(
    particles: np.ndarray,
    weights: np.ndarray,
    dist: np.ndarray,
    eps: float,
    width: np.ndarray,
    floor: float = 0.01,
    start_sd: float = 0.05,
) -> np.ndarray:
    """Per-parameter s.d. of the Gaussian kernel: twice the weighted variance (Beaumont
    et al. 2009) of the particles already within the current tolerance ``eps`` (a local
    kernel in the spirit of Filippi et al. 2013, so that the moves shrink with the
    tolerance), at least ``floor`` of each range; ``start_sd`` of each range when fewer
    than two particles are within the tolerance."""
    near = dist <= eps + 1e-12
    if near.sum() >= 2 and weights[near].sum() > 0:
        var = np.cov(particles[near].T, aweights=weights[near]).diagonal()
        sd = np.sqrt(2.0 * np.atleast_1d(var))
    else:
        sd = start_sd * width
    return np.maximum(sd, floor * width)


def kernel_weights(
    new: np.ndarray, old: np.ndarray, old_w: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """Importance weights of ABC population Monte Carlo with a uniform prior:
    ``w_i ~ 1 / sum_j w_j K(theta_i | theta_j)`` (Beaumont et al. 2009), normalised."""
    z = (new[:, None, :] - old[None, :, :]) / sd
    log_k = -0.5 * (z**2).sum(axis=-1)
    shift = log_k.max()
    dens = (np.exp(log_k - shift) * old_w[None, :]).sum(axis=1)
    w = 1.0 / np.maximum(dens, 1e-300)
    return w / w.sum()


def round_point(x: np.ndarray) -> np.ndarray:
    """Round to 4 significant digits (the precision written into the defaults)."""
    return np.array([float(f"{v:.4g}") for v in x])
