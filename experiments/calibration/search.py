"""Calibration against the patterns of 2022: history matching, ABC-SMC, final acceptance.

``python -m experiments.calibrate [seed=..] [install=true]`` (about 3.5 minutes on 2 cores);
the entry point is :mod:`experiments.calibration.calibrate`.

Every point is simulated with the fast engine (:func:`sim.engine.simulate`, strategy
``historical``, the default configuration) and common random numbers: every point of a
stage runs the same replicate seeds, so differences between points are not noise.

0. **Vote rule fitted, not searched.** At every simulated point the cut points of
   :class:`sim.votes.VoteRule` (``principle_yes``, ``principle_no``, ``punitive_yes``,
   ``punitive_no``, ``legalism_shift``) are fitted on grids inside their documented ranges
   to the votes of the ten members on ES-11/1, ES-11/2 and ES-11/3 from the simulated
   stances on the vote dates (:func:`~experiments.calibration.votefit.fit_vote_rule`: most
   right modal votes, ties broken by the probability of the actual votes, then by the middle
   of the equally good cuts); ``noise`` keeps its value in the store. The vote
   patterns are therefore in-sample. These are the only UN votes the project encodes;
   later votes are out of sample and appear nowhere.
1. **History matching** (one wave): a Latin hypercube (scipy ``qmc``, seeded) over the
   model parameters within their documented ranges, plus the start point. Each pattern
   gets an implausibility ``I = shortfall / scale`` of its near-miss value
   (:mod:`experiments.calibration.patterns`); points with ``max I <= hm_cutoff`` are *not
   ruled out yet* (NROY). If fewer than ``min_start`` are, the least implausible are used.
2. **ABC population Monte Carlo** (Beaumont et al. 2009; Toni et al. 2009) started from
   the NROY points and the start point (``start`` in ``conf/calibrate.yaml``: the defaults
   before this calibration, a valid prior point; fixed so that a rerun after
   ``install=true`` reproduces the same result), uniform prior on the
   documented ranges. Each generation draws ``proposals`` parents by weight and moves
   them with a Gaussian kernel of twice the weighted variance of the particles already
   within the tolerance (a local kernel, Filippi et al. 2013; ``start_sd`` of each range
   while fewer than two are), reflected at the range bounds (the prior's support). A proposal joins
   the population when its distance (:func:`distance`: ``sqrt(sum I^2)`` plus the number
   of failed patterns, 0 exactly when every pattern passes) is within epsilon; weights
   are ``1 / sum_j w_j K(theta | theta_j)``; the next epsilon is the ``quantile`` of the
   population's distances (never rising), down to 0.
3. **Final acceptance** (epsilon = 0 on fresh seeds): every distinct point that passed
   every pattern during the search, rounded to the 4 significant digits written into the
   store, is simulated again on ``final_seeds`` fresh seeds (cut points refitted there);
   those passing every pattern again form the accepted set. It pools the fully passing
   proposals of all generations, so it is a set of plausible points rather than a weighted
   posterior sample.

``mandate_compliance`` is never searched: it acts only under a binding UN Security Council
mandate (institution ``unsc``), which did not exist in 2022, so the data cannot identify it.

Outputs (:mod:`experiments.calibration.results`; in the Hydra run folder and, with
``publish=true``, ``data/calibration/``): ``accepted.parquet`` (one row per accepted set:
``model.<param>``, fitted ``votes.<param>``, pattern values, implausibilities, distance,
vote fit), ``evaluated.parquet`` (every point of every stage) and ``calibration.json``
(settings, ranges, vote grids, generations, counts, acceptance rate, the chosen point and
why). The chosen point (:func:`choose_point`) is the accepted set nearest the median of the
accepted sets (model parameters scaled by their ranges) that also passes every pattern on
``check_seeds`` further seeds with its fitted cut points. With ``install=true`` it is
written into the store (``conf/model/default.yaml``, ``conf/vote_rule/default.yaml``) and
its provenance into ``data/calibration/installed.json``.
:func:`experiments.workflow.store.load_accepted_sets` returns the accepted sets so that
experiments can propagate parameter uncertainty.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.facts import historical_config
from experiments.calibration.patterns import derived_from, score, vote_fit
from experiments.calibration.results import summary_record
from experiments.calibration.space import (
    MODEL_PARAMS,
    Dimension,
    bounds,
    kernel_sd,
    kernel_weights,
    latin_hypercube,
    parameter_space,
    perturb,
    round_point,
)
from experiments.calibration.votefit import fit_vote_rule
from experiments.workflow import store
from experiments.workflow.errors import ConfigError, sim_errors
from sim.config import SimulationConfig
from sim.engine import simulate
from sim.params import ModelParams
from sim.rng import replicate_seeds
from sim.votes import VoteRule

log = logging.getLogger(__name__)


def distance(results: Sequence[Any]) -> float:
    """ABC distance of a scored point: ``sqrt(sum I^2)`` over the patterns (near-miss
    implausibilities) plus the number of failed patterns; 0 exactly when every pattern
    passes."""
    imp = np.array([r.implausibility for r in results])
    return float(math.sqrt((imp**2).sum()) + sum(not r.passed for r in results))


def evaluate(
    config: SimulationConfig,
    point: Mapping[str, float],
    seeds: np.ndarray,
    rule: VoteRule,
    *,
    fit: bool = True,
    held_out: str | None = None,
) -> dict[str, float]:
    """Scores at one point: with ``fit`` the vote cut points are fitted to the three
    calibration votes on these runs (:func:`fit_vote_rule`, ``rule`` gives the noise),
    else ``rule`` is used as is. Returns the ``votes.*`` values, pattern values,
    implausibilities, pass flags, distance and vote fit. ``held_out`` (a resolution's
    name): its votes are left out of the cut points and every pattern derived from them
    (:func:`~experiments.calibration.patterns.derived_from`) out of the scores (nested
    leave-one-resolution-out)."""
    model = {k[6:]: float(v) for k, v in point.items() if k.startswith("model.")}
    cfg = replace(config, params=replace(config.params, **model))
    traj = simulate(cfg, seeds)
    vote_rule = fit_vote_rule(traj, cfg, rule, held_out=held_out) if fit else rule
    results = score(traj, cfg, vote_rule, skip=derived_from(held_out))
    row: dict[str, float] = {
        f"votes.{f.name}": float(getattr(vote_rule, f.name)) for f in fields(VoteRule)
    }
    for r in results:
        row[f"value.{r.name}"] = r.simulated
        row[f"I.{r.name}"] = r.implausibility
        row[f"pass.{r.name}"] = float(r.passed)
    imp = np.array([r.implausibility for r in results])
    row["max_implausibility"] = float(imp.max())
    row["distance"] = distance(results)
    row["n_passed"] = float(sum(r.passed for r in results))
    row["all_passed"] = float(all(r.passed for r in results))
    row["vote_fit"] = vote_fit(traj, cfg, vote_rule)
    return row


def _evaluate_all(
    config: SimulationConfig,
    rule: VoteRule,
    dims: Sequence[Dimension],
    points: np.ndarray,
    seeds: np.ndarray,
    wave: int,
    stage: str,
    held_out: str | None = None,
) -> pd.DataFrame:
    rows = []
    t0 = time.perf_counter()
    for i, x in enumerate(points):
        point = {d.key: float(v) for d, v in zip(dims, x, strict=True)}
        rows.append(
            {
                "wave": wave,
                "stage": stage,
                "point": i,
                **point,
                **evaluate(config, point, seeds, rule, held_out=held_out),
            }
        )
        if (i + 1) % 500 == 0:
            log.info(
                "%s %d: %d/%d points (%.0f s)",
                stage,
                wave,
                i + 1,
                len(points),
                time.perf_counter() - t0,
            )
    return pd.DataFrame(rows)


def not_ruled_out(
    table: pd.DataFrame, cutoff: float, min_survivors: int
) -> tuple[pd.DataFrame, bool]:
    """Points with ``max I <= cutoff``; if fewer than ``min_survivors``, the least
    implausible ``min_survivors`` by distance (second value True: refocused)."""
    keep = table[table["max_implausibility"] <= cutoff]
    if len(keep) >= min_survivors:
        return keep, False
    n = min(min_survivors, len(table))
    return table.sort_values(["distance", "max_implausibility"]).head(n), True


COUNTS = (
    "n_samples",
    "n_seeds",
    "population",
    "generations",
    "proposals",
    "smc_seeds",
    "final_max",
    "final_seeds",
    "check_seeds",
)
"""Settings that count points, seeds or generations (each >= 1)."""


@dataclass(frozen=True)
class SearchSettings:
    """The search's settings (``conf/calibrate.yaml``, schema ``CalibrateConf``): history
    matching, ABC-SMC and the final acceptance and check; ``start`` is the known valid
    point the search starts from (model parameter name -> value)."""

    n_samples: int = 500
    n_seeds: int = 16
    seed: int = 2022
    hm_cutoff: float = 3.0
    population: int = 80
    generations: int = 12
    proposals: int = 200
    smc_seeds: int = 24
    quantile: float = 0.3
    min_start: int = 2
    start_sd: float = 0.05
    final_max: int = 150
    final_seeds: int = 64
    check_seeds: int = 256
    model_params: tuple[str, ...] = tuple(MODEL_PARAMS)
    start: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, conf: Any) -> SearchSettings:
        """The settings of a ``CalibrateConf`` (its fields of the same names)."""
        values = {f.name: getattr(conf, f.name) for f in fields(cls)}
        values["model_params"] = tuple(values["model_params"])
        values["start"] = dict(values["start"])
        return cls(**values)


def check_settings(s: SearchSettings, params: ModelParams) -> tuple[list[Dimension], ModelParams]:
    """Reject bad settings before anything runs: every count >= 1, ``quantile`` in (0, 1],
    searched parameters known and identified, ``start`` naming searched parameters only
    (sim checks their ranges). Returns the dimensions and the start point's parameters."""
    for key in COUNTS:
        value = getattr(s, key)
        if value < 1:
            raise ConfigError(key, f"must be an integer >= 1, got {value}")
    if not 0.0 < s.quantile <= 1.0:
        raise ConfigError("quantile", f"must be in (0, 1], got {s.quantile}")
    dims = parameter_space(s.model_params, ())
    searched = [d.key[6:] for d in dims]
    start = dict(s.start)
    unknown = sorted(set(start) - set(searched))
    if unknown:
        raise ConfigError("start", f"unknown {unknown}", [f"model_params: {', '.join(searched)}"])
    with sim_errors("start", sim_root="model"):
        return dims, replace(params, **{k: float(v) for k, v in start.items()})


def calibrate(
    settings: SearchSettings,
    config: SimulationConfig | None = None,
    base_rule: VoteRule | None = None,
    held_out: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """History matching (one wave), ABC population Monte Carlo, then a final acceptance on
    fresh seeds; return every evaluated point (column ``accepted``) and a summary.
    ``config`` (default: :func:`historical_config` with the store's model parameters) is
    the model outside the searched parameters; ``base_rule`` (default: the store's vote
    rule) gives the vote noise. ``start`` is the known valid point the search starts from
    besides the NROY points (model parameter name -> value; missing ones: ``config``'s).
    Deterministic for given settings (``seed``, ``start``). ``held_out``: a resolution left
    out of the cut points and of acceptance (:func:`evaluate`)."""
    s = settings
    config = config or historical_config()
    base_rule = base_rule or store.load_vote_rule()
    dims, start_params = check_settings(s, config.params)
    keys = [d.key for d in dims]
    lo, hi = bounds(dims)
    t0 = time.perf_counter()
    rng = np.random.default_rng(s.seed)
    # 1. history matching, wave 1: Latin hypercube over the ranges, plus the start point
    defaults = np.array([float(getattr(start_params, k[6:])) for k in keys])
    wave1 = np.vstack([latin_hypercube(dims, s.n_samples, s.seed), defaults[None]])
    hm = _evaluate_all(
        config,
        base_rule,
        dims,
        wave1,
        replicate_seeds(s.seed, s.n_seeds),
        1,
        "history_matching",
        held_out,
    )
    hm["is_default"] = np.arange(len(hm)) == len(hm) - 1
    nroy, refocused = not_ruled_out(hm, s.hm_cutoff, s.min_start)
    n_nroy = int((hm["max_implausibility"] <= s.hm_cutoff).sum())
    log.info(
        "history matching: %d of %d points not ruled out (max I <= %.1f)%s",
        n_nroy,
        len(hm),
        s.hm_cutoff,
        "; refocused on the least implausible" if refocused else "",
    )
    # 2. ABC population Monte Carlo, started from the NROY points and the defaults (when
    # they are fewer than the population, the first kernel moves of s.d. ``start_sd`` of
    # each range fill it around them)
    start = nroy.sort_values("distance").head(s.population - 1)
    if not start["is_default"].any():
        start = pd.concat([start, hm[hm["is_default"]]])
    particles = start[keys].to_numpy()
    dist = start["distance"].to_numpy()
    weights = np.full(len(particles), 1.0 / len(particles))
    eps = float(np.quantile(dist, s.quantile))
    frames = [hm.drop(columns=["is_default"])]
    gen_log: list[dict[str, Any]] = [
        {
            "generation": 0,
            "source": "history matching wave 1 (NROY) + the start point",
            "n_points": len(hm),
            "n_seeds": s.n_seeds,
            "n_nroy": n_nroy,
            "refocused": refocused,
            "population": len(particles),
            "n_all_passed": int(hm["all_passed"].sum()),
            "default_distance": float(hm.loc[hm["is_default"], "distance"].iloc[0]),
            "elapsed_s": round(time.perf_counter() - t0, 1),
        }
    ]
    for gen in range(1, s.generations + 1):
        sd = kernel_sd(particles, weights, dist, eps, hi - lo, start_sd=s.start_sd)
        props = perturb(dims, particles, weights, s.proposals, rng, sd)
        frame = _evaluate_all(
            config,
            base_rule,
            dims,
            props,
            replicate_seeds(s.seed + gen, s.smc_seeds),
            gen + 1,
            "abc_smc",
            held_out,
        )
        frame["epsilon"] = eps
        frames.append(frame)
        ok = frame["distance"].to_numpy() <= eps + 1e-12
        n_min = min(max(2, s.population // 10), len(frame))
        refill = int(ok.sum()) < n_min
        if refill:  # too few within epsilon: keep the best proposals (logged)
            ok = np.zeros(len(frame), dtype=bool)
            ok[np.argsort(frame["distance"].to_numpy(), kind="stable")[:n_min]] = True
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(frame["distance"].to_numpy()[idx], kind="stable")][: s.population]
        new = props[idx]
        weights = kernel_weights(new, particles, weights, sd)
        particles, dist = new, frame["distance"].to_numpy()[idx]
        gen_log.append(
            {
                "generation": gen,
                "epsilon": eps,
                "n_points": len(props),
                "n_seeds": s.smc_seeds,
                "n_within_epsilon": int((frame["distance"] <= eps + 1e-12).sum()),
                "refill": refill,
                "population": len(particles),
                "n_all_passed": int(frame["all_passed"].sum()),
                "kernel_sd_scaled": float(np.mean(sd / (hi - lo))),
                "elapsed_s": round(time.perf_counter() - t0, 1),
            }
        )
        log.info(
            "ABC-SMC generation %d: epsilon %.3f, %d of %d within, %d pass all (%.0f s)",
            gen,
            eps,
            gen_log[-1]["n_within_epsilon"],
            len(props),
            gen_log[-1]["n_all_passed"],
            time.perf_counter() - t0,
        )
        eps = min(eps, float(np.quantile(dist, s.quantile)))
    # 3. final acceptance: every point that passed all patterns, rounded to the installed
    # precision, re-simulated on fresh seeds (cut points refitted there)
    seen = pd.concat(frames, ignore_index=True)
    cands = seen[seen["all_passed"] > 0].sort_values("distance", kind="stable")
    pts = np.unique(
        np.array([round_point(x) for x in cands[keys].to_numpy()]).reshape(-1, len(keys)), axis=0
    )[: s.final_max]
    final = _evaluate_all(
        config,
        base_rule,
        dims,
        pts,
        replicate_seeds(s.seed + 1000, s.final_seeds),
        s.generations + 2,
        "final",
        held_out,
    )
    final["accepted"] = final["all_passed"] > 0 if len(final) else pd.Series(dtype=bool)
    table = pd.concat([seen.assign(accepted=False), final], ignore_index=True)
    table["accepted"] = table["accepted"].astype(bool)
    ok = table[table["accepted"]]
    log.info(
        "final: %d of %d candidates pass every pattern on %d fresh seeds",
        len(ok),
        len(final),
        s.final_seeds,
    )
    recorded = {k: v for k, v in asdict(s).items() if k not in ("model_params", "start")}
    summary = summary_record(recorded, dims, defaults, base_rule, gen_log, final, table)
    summary["installed"] = None
    if len(ok):
        check = replicate_seeds(s.seed + 2000, s.check_seeds)
        summary["installed"] = choose_point(config, ok, keys, hi - lo, check, held_out)
        vkeys = [f"votes.{f.name}" for f in fields(VoteRule)]
        summary["posterior_median"] = {k: float(ok[k].median()) for k in keys}
        summary["posterior_interval_90"] = {
            k: [float(ok[k].quantile(0.05)), float(ok[k].quantile(0.95))] for k in keys + vkeys
        }
    if summary["installed"] is None:
        log.warning("no accepted set passed the check: nothing to install")
    summary["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return table, summary


def choose_point(
    config: SimulationConfig,
    ok: pd.DataFrame,
    keys: Sequence[str],
    width: np.ndarray,
    check: np.ndarray,
    held_out: str | None = None,
) -> dict[str, Any] | None:
    """The point to install: the accepted set nearest the median of the accepted sets
    (model parameters scaled by their ranges ``width``) that passes every pattern again on
    the ``check`` seeds with its fitted cut points; None if none does."""
    keys = list(keys)
    vkeys = [f"votes.{f.name}" for f in fields(VoteRule)]
    median = ok[keys].median()
    gap = np.sqrt((((ok[keys] - median) / width) ** 2).sum(axis=1))
    checked = []
    for i in gap.sort_values(kind="stable").index:
        row = ok.loc[i]
        rule = VoteRule(**{k[6:]: float(row[k]) for k in vkeys})
        point = {k: float(row[k]) for k in keys}
        result = evaluate(config, point, check, rule, fit=False, held_out=held_out)
        checked.append(int(i))
        if result["all_passed"] > 0:
            return {
                "accepted_set": int(ok.index.get_loc(i)),  # row of accepted.parquet
                "point": {k: float(row[k]) for k in keys + vkeys},
                "why": "the accepted set nearest the posterior median of the accepted "
                "sets (model parameters scaled by their ranges) that also passes "
                f"every pattern on {len(check)} further independent seeds with "
                "its fitted cut points: central in the accepted set, not an "
                "edge case of the fit",
                "distance": float(row["distance"]),
                "vote_fit": float(row["vote_fit"]),
                "scaled_gap_to_median": float(gap[i]),
                "n_checked": len(checked),
                "check_seeds": len(check),
            }
    return None
