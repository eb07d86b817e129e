"""Global sensitivity: Morris screening and Sobol' indices (SALib 1.6), and seed noise.

Both analysers read the unit face of a design (:mod:`experiments.analysis.design`) and one
outcome value per design row, in design row order. A stochastic model gives an outcome per
row and seed: average the seeds with :func:`average_replicates` first, and read its
:class:`SeedNoise` to tell signal from Monte Carlo noise (ten Broeke et al., JASSS 2016).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

POINT, SEED = "point", "seed"


def _outcome_vector(outcome: np.ndarray | pd.Series, n_rows: int | None = None) -> np.ndarray:
    values = np.asarray(outcome, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"outcome must be one value per design row, got shape {values.shape}")
    if n_rows is not None and len(values) != n_rows:
        raise ValueError(f"outcome has {len(values)} values for {n_rows} design rows")
    if not np.isfinite(values).all():
        raise ValueError(f"outcome has {int((~np.isfinite(values)).sum())} non-finite values")
    return values


def _salib_seed(seed: int) -> int:
    """A positive seed for SALib: ``sobol.analyze`` treats a seed of 0 as no seed at all and
    then draws its bootstrap from numpy's global state."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(np.random.SeedSequence(int(seed)).generate_state(1)[0]) | 1


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def morris_screening(
    unit: np.ndarray,
    outcome: np.ndarray | pd.Series,
    names: Sequence[str],
    num_levels: int = 4,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris elementary effects (``SALib.analyze.morris``) per unit of each dimension's range.

    Args:
        unit: the design's unit sample (``Design.unit``), rows x dimensions.
        outcome: one value per design row.
        names: dimension names, in ``unit``'s column order (``Design.names``).
        num_levels: the grid levels the design was drawn with.

    Returns:
        DataFrame sorted by ``mu_star`` (largest first) with columns ``dimension``, ``mu``
        (mean effect, signed), ``mu_star`` (mean absolute effect: overall influence),
        ``mu_star_conf`` (half-width of the bootstrap interval of ``mu_star``), ``sigma``
        (spread of effects: non-linearity or interactions), ``rank`` (1 = most
        influential).
    """
    from SALib.analyze import morris

    unit = np.asarray(unit, dtype=float)
    if unit.ndim != 2 or unit.shape[1] != len(names):
        raise ValueError(f"unit sample of shape {unit.shape} for {len(names)} names")
    if unit.shape[0] % (len(names) + 1):
        raise ValueError(f"{unit.shape[0]} rows is not a whole number of (D+1) trajectories")
    values = _outcome_vector(outcome, unit.shape[0])
    result = morris.analyze(
        _problem(names),
        unit,
        values,
        num_resamples=num_resamples,
        conf_level=confidence,
        num_levels=num_levels,
        seed=_salib_seed(seed),
    )
    table = pd.DataFrame(
        {
            "dimension": list(names),
            "mu": np.asarray(result["mu"], dtype=float),
            "mu_star": np.asarray(result["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=float),
            "sigma": np.asarray(result["sigma"], dtype=float),
        }
    )
    table = table.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    log.info(
        "Morris: %d trajectories, most influential %s",
        unit.shape[0] // (len(names) + 1),
        ", ".join(table["dimension"].head(3)),
    )
    return table


@dataclass(frozen=True)
class SobolIndices:
    """Sobol' indices of one outcome.

    Attributes:
        indices: DataFrame, one row per dimension in design order, columns ``dimension``,
            ``S1`` (first order: share of variance from the dimension alone), ``S1_conf``
            (half-width of its bootstrap interval), ``S1_low``, ``S1_high``, ``ST`` (total:
            including every interaction), ``ST_conf``, ``ST_low``, ``ST_high``.
        second_order: DataFrame with columns ``dimension_a``, ``dimension_b``, ``S2``,
            ``S2_conf``, one row per pair; None when the design has no second order.
        n_base: the base sample size N.
    """

    indices: pd.DataFrame
    second_order: pd.DataFrame | None
    n_base: int

    @property
    def sum_first_order(self) -> float:
        """Sum of S1: near 1 for an additive model, well below 1 with interactions."""
        return float(self.indices["S1"].sum())


def sobol_indices(
    outcome: np.ndarray | pd.Series,
    names: Sequence[str],
    calc_second_order: bool = True,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SobolIndices:
    """Sobol' first-order and total indices (``SALib.analyze.sobol``) with bootstrap intervals.

    ``outcome`` holds one value per row of a :func:`~experiments.analysis.design.sobol_design`
    made with the same ``calc_second_order``, in row order; ``names`` is ``Design.names``.
    Intervals are SALib's: estimate +/- z times the bootstrap standard deviation.
    """
    from SALib.analyze import sobol

    values = _outcome_vector(outcome)
    d = len(names)
    per_base = 2 * d + 2 if calc_second_order else d + 2
    if len(values) % per_base:
        raise ValueError(
            f"{len(values)} outcome values is not a multiple of {per_base} "
            f"({'2D+2' if calc_second_order else 'D+2'} for D={d}): wrong design or "
            "calc_second_order"
        )
    if np.ptp(values) == 0:
        raise ValueError("outcome is constant over the design: no variance to apportion")
    result = sobol.analyze(
        _problem(names),
        values,
        calc_second_order=calc_second_order,
        num_resamples=num_resamples,
        conf_level=confidence,
        seed=_salib_seed(seed),
    )
    indices = pd.DataFrame({"dimension": list(names)})
    for key in ("S1", "ST"):
        estimate = np.asarray(result[key], dtype=float)
        half = np.asarray(result[f"{key}_conf"], dtype=float)
        indices[key] = estimate
        indices[f"{key}_conf"] = half
        indices[f"{key}_low"] = estimate - half
        indices[f"{key}_high"] = estimate + half
    second = None
    if calc_second_order:
        pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
        second = pd.DataFrame(
            {
                "dimension_a": [names[i] for i, _ in pairs],
                "dimension_b": [names[j] for _, j in pairs],
                "S2": [float(result["S2"][i, j]) for i, j in pairs],
                "S2_conf": [float(result["S2_conf"][i, j]) for i, j in pairs],
            }
        )
    n_base = len(values) // per_base
    log.info("Sobol: N=%d, %d dimensions, sum of S1 %.2f", n_base, d, indices["S1"].sum())
    return SobolIndices(indices, second, n_base)


@dataclass(frozen=True)
class SeedNoise:
    """How much of an outcome's variation is Monte Carlo noise between seeds.

    Attributes:
        outcome: the outcome column.
        n_points: design points.
        n_seeds_min, n_seeds_max: replicates per point (equal in a balanced design).
        mean_standard_error: mean over points of the standard error of the point mean
            (within-point standard deviation / sqrt(seeds)), outcome units.
        within_variance: mean within-point variance of single runs.
        total_variance: variance of all single runs.
        noise_share_runs: ``within_variance / total_variance``: the share of single-run
            variance that is seed noise.
        noise_share_means: mean squared standard error / variance of the point means: the
            share of the variance left in the averaged outcome (what the indices are computed
            on) that is still seed noise. Near 0: the indices read signal; near 1: noise.
    """

    outcome: str
    n_points: int
    n_seeds_min: int
    n_seeds_max: int
    mean_standard_error: float
    within_variance: float
    total_variance: float
    noise_share_runs: float
    noise_share_means: float


def average_replicates(per_seed: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, SeedNoise]:
    """Average an outcome's seeds per design point and measure the seed noise.

    ``per_seed`` has one row per point x seed (filter to one strategy first) with columns
    ``point``, ``seed`` and ``outcome``.

    Returns:
        (means, noise): ``means`` is a DataFrame sorted by ``point`` with columns ``point``,
        ``mean``, ``sd`` (within-point standard deviation of runs, NaN with one seed),
        ``n_seeds``, ``se`` (``sd / sqrt(n_seeds)``); ``noise`` is a :class:`SeedNoise`.
    """
    missing = [c for c in (POINT, SEED, outcome) if c not in per_seed.columns]
    if missing:
        raise ValueError(f"per-seed table lacks columns {missing}")
    if per_seed.duplicated([POINT, SEED]).any():
        raise ValueError("per-seed table repeats (point, seed) rows: filter to one strategy")
    values = _outcome_vector(per_seed[outcome])
    frame = pd.DataFrame({POINT: per_seed[POINT].to_numpy(), "value": values})
    grouped = frame.groupby(POINT, sort=True)["value"]
    means = pd.DataFrame(
        {"mean": grouped.mean(), "sd": grouped.std(ddof=1), "n_seeds": grouped.size()}
    ).reset_index()
    means["se"] = means["sd"] / np.sqrt(means["n_seeds"])
    within = float((grouped.var(ddof=1)).mean())
    total = float(np.var(values, ddof=1)) if len(values) > 1 else float("nan")
    between = float(means["mean"].var(ddof=1)) if len(means) > 1 else float("nan")
    mean_se2 = float((means["se"] ** 2).mean())
    if means["n_seeds"].min() < 2:
        log.warning("%s: some points have a single seed: seed noise cannot be measured", outcome)
    noise = SeedNoise(
        outcome=outcome,
        n_points=len(means),
        n_seeds_min=int(means["n_seeds"].min()),
        n_seeds_max=int(means["n_seeds"].max()),
        mean_standard_error=float(means["se"].mean()),
        within_variance=within,
        total_variance=total,
        noise_share_runs=within / total if total > 0 else float("nan"),
        noise_share_means=mean_se2 / between if between > 0 else float("nan"),
    )
    if noise.noise_share_means > 0.2:
        log.warning(
            "%s: seed noise is %.0f%% of the variance of the point means; add seeds before "
            "reading sensitivity indices",
            outcome,
            100 * noise.noise_share_means,
        )
    return means, noise
