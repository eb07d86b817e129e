"""Nested leave-one-resolution-out of the vote forecasts, against the sceptic's baselines.

``python -m experiments.calibration.votenested [calibrate overrides]`` (settings of
``conf/calibrate.yaml``; record: ``data/calibration/votes_nested.json``).

For each resolution ``r`` of ES-11/1-3 (held out):

1. **Acceptance without r.** The whole calibration
   (:func:`~experiments.calibration.search.calibrate`) is rerun with ``held_out=r``: at every
   point the cut points are fitted without r's votes and every pattern derived from them
   (:func:`~experiments.calibration.patterns.derived_from`: ``votes_r`` and
   ``vn_la_most_resistant``) is left out of the distance and of acceptance.
2. **Noise without r.** The accepted sets are simulated (``votes.set_seeds`` common
   runs each, at most ``votes.max_sets``); the vote noise is chosen on the grid
   ``votes.noise_low``-``votes.noise_high`` by leave-one-out within the training
   resolutions (inner folds whose training part still holds a resolution of principle).
3. **Prediction of r.** Cut points fitted per set on the training resolutions at that
   noise; r's vote probabilities = mean over every run of every set.
4. **Baselines** (:mod:`~experiments.calibration.votebaselines`) fitted on the training
   resolutions only and scored on the same cells.

Only r's stances (simulated, not its votes) reach step 3. The record holds the held-out
probabilities, the scores of the model and of every baseline, the chosen noises, the
number of accepted sets per fold, the settings and the provenance (commit, data hash).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from hydra import compose, initialize_config_dir

from experiments.calibration.facts import historical_config, load_facts, resolutions
from experiments.calibration.patterns import derived_from
from experiments.calibration.votebaselines import BASELINES, fitted_baselines, scores
from experiments.calibration.votefit import VoteBlock, actual_votes, vote_block
from experiments.calibration.voteloo import held_out_prediction, log_loss
from experiments.calibration.votenestedreport import NESTED_FILE, confidence_bound, unga_digest
from experiments.calibration.votestep import VoteStepSettings, chosen_rows, set_blocks
from experiments.workflow import atomic, errors
from experiments.workflow.manifest import file_record, git_state, now_iso
from experiments.workflow.paths import CONF_DIR, resolve
from sim.engine import simulate
from sim.rng import replicate_seeds
from sim.votes import VOTES

log = logging.getLogger(__name__)

FACTS = "data/asean_2022.yaml"


MIN_NOISE = 1e-4
"""Below this the grid is widened straight to 0 (the deterministic rule, the range's edge)."""


def inner_noise(
    blocks: Sequence[VoteBlock],
    kinds: Sequence[str],
    actual: np.ndarray,
    train: Sequence[int],
    grid: Sequence[float],
) -> tuple[float, dict[float, float]]:
    """The noise of lowest log-loss by leave-one-out within ``train`` (ties: the larger)
    and the inner curve (nats per vote); inner folds need a principle vote left to fit.
    When the smallest noise is chosen the grid is widened downwards (halving, then 0) until
    the choice is inside it or 0; the top of ``grid`` is the top of the documented range."""
    sub = [b.subset(list(train)) for b in blocks]
    k = [kinds[v] for v in train]
    a = actual[list(train)]
    folds = [j for j in range(len(k)) if any(k[i] == "principle" for i in range(len(k)) if i != j)]

    def loss(n: float) -> float:
        return float(np.mean([log_loss(held_out_prediction(sub, k, a, j, n), a[j]) for j in folds]))

    curve = {float(n): loss(float(n)) for n in grid}
    while True:
        best = min(curve.values())
        noise = max(n for n, v in curve.items() if v <= best + 1e-9)
        low = min(curve)
        if noise > low or low == 0.0:
            return noise, dict(sorted(curve.items()))
        more = [low / 4.0, low / 2.0] if low / 4.0 >= MIN_NOISE else [0.0]
        curve.update({float(f"{n:.3g}"): loss(float(f"{n:.3g}")) for n in more})


def _cells(probs: np.ndarray, members: Sequence[str]) -> dict[str, list[float]]:
    return {c: [round(float(p), 6) for p in probs[i]] for i, c in enumerate(members)}


def nested_fold(
    c: Any, held_out: int, settings: VoteStepSettings, members: Sequence[str]
) -> dict[str, Any]:
    """One fold of the nested leave-one-out (see the module docstring), JSON-ready."""
    from experiments.calibration.search import SearchSettings, calibrate

    history = resolutions()
    names = [r.name for r in history]
    kinds = [r.kind for r in history]
    actual = actual_votes(history, members)
    name = names[held_out]
    t0 = time.perf_counter()
    config = replace(historical_config(), sample_priors=c.sample_priors)
    table, _ = calibrate(SearchSettings.of(c), config=config, held_out=name)
    accepted = table[table["accepted"]]
    keys = [k for k in accepted.columns if k.startswith(("model.", "votes."))]
    sets = [{k: float(row[k]) for k in keys} for row in accepted[keys].to_dict("records")]
    rows = chosen_rows(len(sets), settings.max_sets)
    seeds = replicate_seeds(c.seed + 3000, settings.set_seeds)
    base = historical_config()
    if rows:
        blocks = set_blocks(base, sets, rows, seeds, settings.sample_priors)
    else:
        log.warning("fold %s: no accepted set; the installed point stands in", name)
        cfg = replace(base, sample_priors=settings.sample_priors)
        blocks = [vote_block(simulate(cfg, seeds), cfg)]
    train = [v for v in range(len(names)) if v != held_out]
    noise, curve = inner_noise(blocks, kinds, actual, train, settings.grid())
    probs = held_out_prediction(blocks, kinds, actual, held_out, noise)
    predictors: dict[str, Any] = {"model": {"probs": probs, "q": None}}
    predictors.update(fitted_baselines(kinds, actual, held_out))
    out: dict[str, Any] = {
        "name": name,
        "kind": kinds[held_out],
        "left_out_patterns": list(derived_from(name)),
        "n_accepted": len(sets),
        "sets_used": len(rows),
        "noise": noise,
        "noise_at_grid_edge": noise in (min(curve), max(curve)),
        "grid_widened_to": min(curve),
        "inner_curve": [{"noise": n, "log_loss": v} for n, v in curve.items()],
        "actual": {m: VOTES[int(actual[held_out, i])] for i, m in enumerate(members)},
        "predictors": {},
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }
    for key, pred in predictors.items():
        if pred["probs"] is None:
            out["predictors"][key] = {"q": pred["q"], "scores": None}
            continue
        out["predictors"][key] = {
            "q": pred["q"],
            "scores": scores(pred["probs"], actual[held_out]),
            "probabilities": _cells(pred["probs"], members),
        }
    log.info(
        "fold %s: %d accepted sets, noise %.3g, model log-loss %s",
        name,
        len(sets),
        noise,
        out["predictors"]["model"]["scores"]["log_loss"],
    )
    return out


def nested(c: Any, members: Sequence[str]) -> dict[str, Any]:
    """Every fold and the pooled scores (cells every predictor scores), JSON-ready."""
    from experiments.calibration.calibrate import vote_settings

    settings = vote_settings(c)
    settings.check()
    history = resolutions()
    folds = [nested_fold(c, v, settings, members) for v in range(len(history))]
    pooled: dict[str, Any] = {}
    for key in ("model", *BASELINES):
        scored = [f for f in folds if f["predictors"][key]["scores"] is not None]
        if len(scored) < len(folds):
            pooled[key] = None
            continue
        probs = np.array(
            [[f["predictors"][key]["probabilities"][m] for m in members] for f in folds]
        )
        actual = np.array([[VOTES.index(f["actual"][m]) for m in members] for f in folds])
        pooled[key] = scores(probs, actual)
    return {
        "method": sys.modules[__name__].__doc__,
        "members": list(members),
        "votes": list(VOTES),
        "baselines": BASELINES,
        "folds": folds,
        "pooled": pooled,
        "confidence_bound": confidence_bound(pooled),
        "settings": {
            "calibrate": {k: v for k, v in asdict(c).items() if k not in ("start",)},
            "vote_step": asdict(settings),
        },
        "provenance": {
            "created": now_iso(),
            "code": git_state(),
            "data": file_record(resolve(FACTS)),
            "unga_sha256": unga_digest(load_facts()),
            "command": "python -m experiments.calibration.votenested " + " ".join(sys.argv[1:]),
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the nested leave-one-out with ``conf/calibrate.yaml`` and overrides; write the
    record into ``publish_dir``."""
    from experiments.calibration.calibrate import settings as calibrate_settings
    from experiments.calibration.facts import ASEAN_2022
    from experiments.workflow.schema import CalibrateConf

    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with errors.reporting(CalibrateConf):
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            cfg = compose("calibrate", overrides=args)
        c = calibrate_settings(cfg)
        record = nested(c, ASEAN_2022)
        path = Path(resolve(c.publish_dir)) / NESTED_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_json(path, record)
        log.info("wrote %s", path)


if __name__ == "__main__":
    main()
