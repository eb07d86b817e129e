"""The calibration's vote step: simulate, choose the noise by LOO, fit the final cuts, record.

:func:`vote_step` runs after the search (``python -m experiments.calibrate``) or on its
own on the existing calibration (``votes.only=true``):

1. **Blocks.** Each accepted parameter set (evenly spaced, at most ``max_sets``) is
   simulated on the same ``set_seeds`` replicates (common random numbers), with the
   uncertain country attributes sampled per run when ``sample_priors``; with no accepted
   set, the installed point alone is the block.
2. **Noise by LOO** (:func:`~experiments.calibration.voteloo.leave_one_out`) on those
   blocks, each with its own cuts, predictions averaged over all runs; baselines scored on
   the same cells.
3. **Final cuts** at the chosen noise, fitted on ES-11/1-3: per accepted set (used by
   ``python -m experiments.votes propagate_uncertainty=true``) and for the installed point
   on ``seeds`` runs of the default configuration (written into the store by the install
   step).

The record (:data:`RECORD_FILE`, next to ``calibration.json``) holds the noise grid, the LOO
curve, the scores of the model and the baselines, the held-out and in-sample
probabilities, the fitted rules and the settings; the validation report reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from experiments.calibration.facts import ASEAN_2022, resolutions
from experiments.calibration.votefit import (
    PUNITIVE_PRIOR,
    VoteBlock,
    actual_votes,
    fit_cuts,
    vote_block,
)
from experiments.calibration.voteloo import CONFIDENT, LooResult, Score, leave_one_out
from experiments.workflow import atomic, store
from experiments.workflow.errors import ConfigError
from sim.config import SimulationConfig
from sim.engine import simulate
from sim.rng import replicate_seeds
from sim.votes import VOTES, VoteRule

log = logging.getLogger(__name__)

RECORD_FILE = "votes_loo.json"
CUTS = ("principle_yes", "principle_no", "punitive_yes", "punitive_no", "legalism_shift")


@dataclass(frozen=True)
class VoteStepSettings:
    """Settings of the vote step (``votes`` in ``conf/calibrate.yaml``, where each is
    documented)."""

    seeds: int  # runs of the installed point for the store's cuts
    set_seeds: int  # runs per accepted set (LOO and per-set cuts)
    max_sets: int  # accepted sets used, evenly spaced
    sample_priors: bool  # sample uncertain country attributes per run (accepted sets)
    noise_low: float  # the noise grid: n_noise values evenly spaced on a log scale
    noise_high: float
    n_noise: int

    def grid(self) -> tuple[float, ...]:
        """The candidate noises (3 significant digits)."""
        return tuple(
            float(f"{x:.3g}") for x in np.geomspace(self.noise_low, self.noise_high, self.n_noise)
        )

    def check(self) -> None:
        """One-line errors naming the key (``votes.<name>``)."""
        for name in ("seeds", "set_seeds", "max_sets", "n_noise"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"votes.{name}", f"must be an integer >= 1, got {getattr(self, name)}"
                )
        hi = next(f for f in fields(VoteRule) if f.name == "noise").metadata["range"][1]
        if not 0.0 < self.noise_low <= self.noise_high <= hi:
            raise ConfigError(
                "votes.noise_low",
                f"need 0 < noise_low <= noise_high <= {hi} (the range of VoteRule.noise), "
                f"got {self.noise_low}, {self.noise_high}",
            )


def sets_fingerprint(sets: Sequence[Mapping[str, float]]) -> str:
    """A digest of the accepted sets' model parameters (detects a stale record)."""
    model = [{k: float(v) for k, v in s.items() if k.startswith("model.")} for s in sets]
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()


def chosen_rows(n_sets: int, max_sets: int) -> list[int]:
    """Rows of the accepted sets used: all, or ``max_sets`` evenly spaced."""
    if n_sets <= max_sets:
        return list(range(n_sets))
    return sorted({int(i) for i in np.linspace(0, n_sets - 1, max_sets)})


def set_blocks(
    config: SimulationConfig,
    sets: Sequence[Mapping[str, float]],
    rows: Sequence[int],
    seeds: np.ndarray,
    sample_priors: bool,
) -> list[VoteBlock]:
    """One block per accepted set (its model parameters; common seeds)."""
    rule = store.load_vote_rule()  # only to build the pair; the set's cuts are not used
    blocks = []
    for k in rows:
        params, _ = store.split_point(sets[k], config.params, rule)
        cfg = replace(config, params=params, sample_priors=sample_priors)
        blocks.append(vote_block(simulate(cfg, seeds), cfg))
    return blocks


def _number(x: float) -> float | str:
    return float(x) if math.isfinite(x) else "inf"


def _score(s: Score) -> dict[str, Any]:
    d = asdict(s)
    d["log_loss"] = _number(s.log_loss)
    d["per_resolution"] = {k: _number(v) for k, v in s.per_resolution.items()}
    return d


def _cells(names: Sequence[str], probs: np.ndarray) -> dict[str, dict[str, list[float]]]:
    return {
        name: {c: [round(float(p), 6) for p in probs[v, i]] for i, c in enumerate(ASEAN_2022)}
        for v, name in enumerate(names)
    }


def _rule(rule: VoteRule) -> dict[str, float]:
    return {f: float(getattr(rule, f)) for f in (*CUTS, "noise")}


def vote_step(
    config: SimulationConfig,
    sets: Sequence[Mapping[str, float]],
    settings: VoteStepSettings,
    seed: int,
) -> dict[str, Any]:
    """The vote record (JSON-ready): LOO over the accepted ``sets`` (their ``model.*``
    values replace ``config.params``; with none, ``config`` alone), the chosen noise, the
    final cuts per set and for ``config`` (the installed point), the baselines' scores."""
    settings.check()
    t0 = time.perf_counter()
    history = resolutions()
    names = [r.name for r in history]
    kinds = [r.kind for r in history]
    actual = actual_votes(history)
    rows = chosen_rows(len(sets), settings.max_sets)
    set_seeds = replicate_seeds(seed + 3000, settings.set_seeds)
    if rows:
        blocks = set_blocks(config, sets, rows, set_seeds, settings.sample_priors)
    else:
        cfg = replace(config, sample_priors=settings.sample_priors)
        blocks = [vote_block(simulate(cfg, set_seeds), cfg)]
    loo: LooResult = leave_one_out(blocks, names, kinds, actual, settings.grid())
    installed = vote_block(simulate(config, replicate_seeds(seed + 3001, settings.seeds)), config)
    fit = fit_cuts(installed, kinds, actual, loo.noise)
    probs = np.stack(
        [fit.predict(installed.stance[v], installed.legalism, k) for v, k in enumerate(kinds)]
    )
    scores = loo.scores()
    record = {
        "method": "leave-one-resolution-out: cut points fitted on the other resolutions "
        "(experiments/calibration/votefit.py: posterior mean; punitive cuts = principle cuts "
        "+ gaps, integrated over their prior when no punitive vote is in the training "
        "set), held-out vote probabilities = mean over every run of every accepted set; "
        "the noise of lowest total held-out log-loss is chosen (ties: the larger)",
        "resolutions": [{"name": r.name, "date": str(r.date), "kind": r.kind} for r in history],
        "members": list(ASEAN_2022),
        "votes": list(VOTES),
        "noise_grid": list(loo.grid),
        "curve": [{"noise": n, **_score(s)} for n, s in loo.curve.items()],
        "noise": loo.noise,
        "within_one_se": loo.within_one_se(),
        "scores": {k: _score(s) for k, s in scores.items()},
        "held_out": _cells(names, loo.held_out),
        "in_sample": {
            "threshold": CONFIDENT,
            "sets": {
                "confident_cells": loo.confident_cells(),
                "n_cells": int(actual.size),
                "probabilities": _cells(names, loo.in_sample),
            },
            "installed": {
                "confident_cells": int((probs.max(axis=-1) > CONFIDENT).sum()),
                "n_cells": int(actual.size),
                "probabilities": _cells(names, probs),
            },
        },
        "rule": _rule(fit.rule()),
        "set_rules": [{"row": k, **_rule(f.rule())} for k, f in zip(rows, loo.fits, strict=True)]
        if rows
        else [],
        "basis": {
            "blocks": "accepted sets" if rows else "installed point",
            "n_accepted": len(sets),
            "set_rows": rows,
            "runs_per_set": settings.set_seeds,
            "installed_runs": settings.seeds,
            "sample_priors": settings.sample_priors,
            "seed": seed,
            "accepted_fingerprint": sets_fingerprint(sets),
        },
        "punitive_prior": {
            k: {"range": [lo, hi], "why": why} for k, (lo, hi, why) in PUNITIVE_PRIOR.items()
        },
        "settings": asdict(settings),
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }
    log.info(
        "vote noise %.3g by LOO (log-loss %.3f nats per vote; smoothed baseline %.3f); "
        "%d of %d in-sample cells above %.2f",
        loo.noise,
        scores["model_all"].log_loss,
        scores["repeat_last_smoothed"].log_loss,
        record["in_sample"]["installed"]["confident_cells"],
        actual.size,
        CONFIDENT,
    )
    return record


def write_record(record: Mapping[str, Any], folder: Path) -> Path:
    """Write the vote record into ``folder`` (atomically)."""
    return atomic.write_json(Path(folder) / RECORD_FILE, dict(record))


def load_record(folder: Path) -> dict[str, Any] | None:
    """The vote record of a calibration folder, or None if there is none."""
    path = Path(folder) / RECORD_FILE
    return json.loads(path.read_text()) if path.exists() else None


def set_rules(
    record: Mapping[str, Any], sets: Sequence[Mapping[str, float]]
) -> dict[int, dict[str, float]]:
    """The per-set cuts of a record (row of ``accepted.parquet`` -> cuts), checked
    against the accepted sets they were fitted for."""
    if not record.get("set_rules"):
        raise ConfigError(
            "propagate_uncertainty",
            f"{RECORD_FILE} holds no accepted set; run python -m experiments.calibrate",
        )
    if record["basis"]["accepted_fingerprint"] != sets_fingerprint(sets):
        raise ConfigError(
            "propagate_uncertainty",
            f"{RECORD_FILE} was fitted for other accepted sets; rerun "
            "python -m experiments.calibrate votes.only=true",
        )
    return {int(r["row"]): {k: float(r[k]) for k in CUTS} for r in record["set_rules"]}
