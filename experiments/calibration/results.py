"""What a calibration run leaves behind: its tables and record, and the install step.

:func:`write_results` writes ``accepted.parquet``, ``evaluated.parquet`` and
``calibration.json``; :func:`install` writes the chosen point into the store
(``conf/model/default.yaml``, ``conf/vote_rule/default.yaml``: YAML data only) and its
provenance into ``data/calibration/installed.json`` (which accepted set, when, from which
run; never a copy of the values).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.calibration.space import NOT_IDENTIFIED, Dimension
from experiments.calibration.votefit import (
    GAP_NO_GRID,
    GAP_YES_GRID,
    LEGALISM_SHIFT_GRID,
    PRINCIPLE_NO_GRID,
    PRINCIPLE_YES_GRID,
)
from experiments.calibration.votestep import RECORD_FILE
from experiments.workflow import atomic, store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CALIBRATION_DIR, ROOT
from sim.votes import VoteRule

log = logging.getLogger(__name__)

METHOD = (
    "history matching (one wave: Latin hypercube over the model parameters' ranges, "
    "implausibility cut-off), then ABC population Monte Carlo (Beaumont et al. 2009; Toni "
    "et al. 2009) started from the not-ruled-out points and the previous defaults, "
    "local Gaussian kernel of twice the weighted variance of the particles within epsilon "
    "(Filippi et al. 2013), reflected at the ranges (uniform prior), epsilon shrinking to "
    "a quantile of the population's "
    "distances; final acceptance (epsilon = 0): every pattern passes on fresh seeds"
)
VOTE_FIT_NOTE = (
    "not searched: at every simulated point the cut points (principle_yes, principle_no, "
    "punitive_yes, punitive_no, legalism_shift) are fitted to the votes of the ten members "
    "on ES-11/1, ES-11/2 (principle) and ES-11/3 (punitive), the only UN votes encoded: "
    "posterior means under uniform priors on grids within their ranges, the punitive cuts "
    "written as the principle cuts plus gaps (experiments/calibration/votefit.py), at the "
    "noise of conf/vote_rule/default.yaml. The vote patterns are therefore in-sample. "
    f"The noise is then chosen by leave-one-resolution-out log-loss ({RECORD_FILE}); later "
    "UN votes are out of sample and encoded nowhere"
)


def summary_record(
    settings: Mapping[str, Any],
    dims: Sequence[Dimension],
    start_point: Sequence[float],
    base_rule: VoteRule,
    generations: list[dict[str, Any]],
    final: pd.DataFrame,
    table: pd.DataFrame,
) -> dict[str, Any]:
    """The record of a calibration run written to ``calibration.json`` (the search adds
    the chosen point, the posterior median and intervals, and the runtime)."""
    seen = table[table["stage"] != "final"]
    ok = table[table["accepted"]]
    return {
        "method": METHOD,
        "why_this_method": (
            "a global search over the model parameters and the cut points together drifts "
            "to regions where the vote patterns conflict with the others and accepts nothing; "
            "fitting the cut points at each point removes the vote rule from "
            "the search (its fit is a cheap in-sample optimisation), history matching rules "
            "out most of the model space in one wave, and ABC population Monte Carlo started "
            "from the not-ruled-out points and a known valid point concentrates the proposals "
            "where every pattern can hold, while the uniform prior on the documented ranges "
            "is respected throughout"
        ),
        "engine": "sim.engine.simulate, strategy historical, common random numbers per stage",
        "settings": dict(settings),
        "parameters": {d.key: [d.low, d.high] for d in dims},
        "start_point": {d.key: float(v) for d, v in zip(dims, start_point, strict=True)},
        "vote_rule": VOTE_FIT_NOTE,
        "vote_grids": {
            "principle_yes": PRINCIPLE_YES_GRID.tolist(),
            "principle_no": PRINCIPLE_NO_GRID.tolist(),
            "punitive_yes_gap": GAP_YES_GRID.tolist(),
            "punitive_no_gap": GAP_NO_GRID.tolist(),
            "legalism_shift": LEGALISM_SHIFT_GRID.tolist(),
            "noise": float(base_rule.noise),
        },
        "not_calibrated": {
            name: "counterfactual: acts only under a binding UN Security "
            "Council mandate, which did not exist in 2022; not identified "
            "by the data, the value of conf/model/default.yaml kept"
            for name in NOT_IDENTIFIED
        },
        "generations": generations,
        "final": {
            "n_candidates": len(final),
            "n_seeds": settings["final_seeds"],
            "n_accepted": len(ok),
            "acceptance_rate": len(ok) / len(final) if len(final) else 0.0,
        },
        "n_evaluated": len(table),
        "n_accepted": len(ok),
        "pattern_pass_rate_smc": {
            c[5:]: float(seen.loc[seen["stage"] == "abc_smc", c].mean())
            for c in seen.columns
            if c.startswith("pass.")
        },
    }


def installed_values(summary: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """The installed point as ``{"model": {...}, "votes": {...}}`` (rounded to 4
    significant digits, the precision written into the defaults). The vote rule is the
    vote step's (``installed.vote_rule``: noise by leave-one-out, cuts fitted at it) when
    the summary has one, else the point's fitted cuts."""
    installed = summary.get("installed") or {}
    point = installed.get("point") or {}
    out: dict[str, dict[str, float]] = {"model": {}, "votes": {}}
    for key, value in point.items():
        group, name = key.split(".", 1)
        out[group][name] = float(f"{value:.4g}")
    if installed.get("vote_rule"):
        out["votes"] = {k: float(f"{v:.4g}") for k, v in installed["vote_rule"].items()}
    # the sampler draws cut points independently; the rule keeps no <= yes
    votes = out["votes"]
    for kind in ("principle", "punitive"):
        if f"{kind}_no" in votes and f"{kind}_yes" in votes:
            votes[f"{kind}_no"] = min(votes[f"{kind}_no"], votes[f"{kind}_yes"])
    return out


def write_results(table: pd.DataFrame, summary: Mapping[str, Any], folder: Path) -> None:
    """Write ``accepted.parquet``, ``evaluated.parquet`` and ``calibration.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    accepted = table[table["accepted"]].drop(columns=["accepted"]).reset_index(drop=True)
    atomic.atomic_write(folder / "accepted.parquet", lambda p: accepted.to_parquet(p, index=False))
    atomic.atomic_write(folder / "evaluated.parquet", lambda p: table.to_parquet(p, index=False))
    atomic.atomic_write(
        folder / "calibration.json",
        lambda p: p.write_text(json.dumps(summary, indent=2, default=float) + "\n"),
    )


def install(
    summary: Mapping[str, Any],
    calibration_dir: Path,
    run_dir: Path,
    *,
    stores: Mapping[str, Path] | None = None,
    provenance_file: Path | None = None,
) -> dict[str, Any]:
    """Install the chosen point of a calibration: write its values into the store
    (``conf/model/default.yaml``, ``conf/vote_rule/default.yaml``; YAML data only, every
    other value kept) and its provenance into ``data/calibration/installed.json``: which
    accepted set of ``calibration_dir/accepted.parquet``, when, by which run. ``stores``
    and ``provenance_file`` redirect the files (tests). Returns the provenance."""
    if not summary.get("installed"):
        raise ConfigError("install", "no accepted parameter set to install")
    values = installed_values(summary)
    stores = stores or {}
    written = [
        store.write_store(store.MODEL, values["model"], stores.get("model")),
        store.write_store(store.VOTE_RULE, values["votes"], stores.get("vote_rule")),
    ]
    provenance = {
        "accepted_set": summary["installed"]["accepted_set"],
        "accepted_file": _project_path(calibration_dir / "accepted.parquet"),
        "calibration": _project_path(calibration_dir / "calibration.json"),
        "calibration_run": _project_path(run_dir),
        "installed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stores": [_project_path(p) for p in written],
        "why": summary["installed"]["why"],
    }
    if summary["installed"].get("vote_rule"):
        provenance["vote_rule"] = _vote_provenance(calibration_dir, run_dir)
    atomic.write_json(provenance_file or CALIBRATION_DIR / "installed.json", provenance)
    log.info(
        "installed accepted set %d: %d model and %d vote-rule values",
        provenance["accepted_set"],
        len(values["model"]),
        len(values["votes"]),
    )
    return provenance


def _project_path(path: Path) -> str:
    """``path`` relative to the project root when it lies inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _vote_provenance(calibration_dir: Path, run_dir: Path) -> dict[str, str]:
    return {
        "record": _project_path(calibration_dir / RECORD_FILE),
        "calibration_run": _project_path(run_dir),
        "installed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "why": "noise chosen by leave-one-resolution-out log-loss on ES-11/1-3, cut points "
        "fitted on all three at that noise on runs of the installed model point",
    }


def install_vote_rule(
    record: Mapping[str, Any],
    calibration_dir: Path,
    run_dir: Path,
    *,
    store_file: Path | None = None,
    provenance_file: Path | None = None,
) -> dict[str, Any]:
    """Install only the vote rule of a vote record (``votes.only=true``): its values into
    ``conf/vote_rule/default.yaml`` and its provenance under ``vote_rule`` in
    ``installed.json`` (the model point's provenance kept). Returns the provenance."""
    path = provenance_file or CALIBRATION_DIR / "installed.json"
    provenance = json.loads(path.read_text()) if path.exists() else {}
    values = {k: float(f"{v:.4g}") for k, v in record["rule"].items()}
    store.write_store(store.VOTE_RULE, values, store_file)
    provenance["vote_rule"] = _vote_provenance(calibration_dir, run_dir)
    atomic.write_json(path, provenance)
    log.info("installed the vote rule: noise %g", values["noise"])
    return provenance
