"""Sealed vote forecasts: frozen before the outcome is known, scored after it.

``python -m experiments.votes date=.. kind=..`` writes ``forecast.json`` next to
``votes.csv``: the model's probabilities, the sceptic's baselines
(:mod:`~experiments.calibration.votebaselines`, fitted on the encoded 2022 votes), the
composed config, the SHA-256 of the data and calibration files, the code version, all under
one SHA-256 of their canonical JSON. The user keeps the file.

``python -m experiments.votes score forecast=FILE votes=FILE`` reads a votes file the user
supplies (CSV ``country,vote``; vote ``yes``/``abstain``/``no`` or ``Y``/``A``/``N``, one row
per member of the forecast), refuses a forecast whose content no longer matches its SHA-256
(one line, exit 2) and prints log-loss, Brier, accuracy and recall per vote of the model and
of every baseline. The project never encodes the outcome: the votes file stays the user's.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.facts import resolutions
from experiments.calibration.votebaselines import BASELINES, fitted_baselines, scores
from experiments.calibration.votefit import actual_votes
from experiments.workflow import atomic, errors
from experiments.workflow.errors import ConfigError
from experiments.workflow.ledger import file_sha256
from experiments.workflow.manifest import git_state, now_iso
from experiments.workflow.paths import ROOT
from sim.votes import VOTES, resolution_features

FORMAT = "sealed-vote-forecast/1"
FORECAST_FILE = "forecast.json"
INPUTS = (
    "data/asean_2022.yaml",
    "conf/model/default.yaml",
    "conf/vote_rule/default.yaml",
    "data/calibration/accepted.parquet",
    "data/calibration/votes_loo.json",
)
"""Files whose SHA-256 a forecast records (those that exist)."""
_CODES = {"y": "yes", "yes": "yes", "a": "abstain", "abstain": "abstain", "n": "no", "no": "no"}


def canonical(payload: Any) -> bytes:
    """The canonical JSON bytes that are hashed (sorted keys, no spaces, ASCII)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def seal(forecast: Mapping[str, Any]) -> dict[str, Any]:
    """``{"format", "forecast", "sha256"}`` with the digest of the canonical forecast."""
    return {
        "format": FORMAT,
        "forecast": dict(forecast),
        "sha256": hashlib.sha256(canonical(forecast)).hexdigest(),
    }


def baseline_forecast(kind: str, members: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each baseline fitted on every encoded 2022 vote and its probabilities for a new
    resolution of ``kind`` (later than all of them)."""
    history = resolutions()
    kinds = [r.kind for r in history] + [kind]
    actual = actual_votes(history, members)
    padded = np.vstack([actual, np.zeros((1, actual.shape[1]), dtype=int)])  # never read
    out = {}
    for name, pred in fitted_baselines(kinds, padded, len(history)).items():
        if pred["probs"] is not None:
            out[name] = {
                "q": pred["q"],
                "probabilities": _cells(pred["probs"], members),
            }
    return out


def _cells(probs: np.ndarray, members: Sequence[str]) -> dict[str, dict[str, float]]:
    return {m: {v: float(probs[i, k]) for k, v in enumerate(VOTES)} for i, m in enumerate(members)}


def freeze(
    table: pd.DataFrame,
    date: str,
    kind: str,
    config: Mapping[str, Any],
    folder: Path,
    features: Mapping[str, int] | None = None,
    bound: float | None = None,
) -> Path:
    """Write the sealed forecast of ``table`` (``country,p_yes,p_abstain,p_no``) into
    ``folder``; return its path. ``features``: the resolution as described (default: the
    kind's preset); ``bound``: the confidence bound the probabilities were kept within;
    the baselines know only the kind."""
    members = list(table["country"])
    probs = table[["p_yes", "p_abstain", "p_no"]].to_numpy(dtype=np.float64)
    inputs = {p: file_sha256(ROOT / p) for p in INPUTS if (ROOT / p).exists()}
    forecast = {
        "created": now_iso(),
        "resolution": {
            "date": date,
            "kind": kind,
            "features": dict(features) if features else resolution_features(kind),
        },
        "members": members,
        "votes": list(VOTES),
        "model": {"probabilities": _cells(probs, members), "confidence_bound": bound},
        "baselines": baseline_forecast(kind, members),
        "config": dict(config),
        "data_sha256": inputs,
        "code": git_state(),
    }
    return atomic.write_json(Path(folder) / FORECAST_FILE, seal(forecast))


def load_sealed(path: Path) -> dict[str, Any]:
    """The forecast of a sealed file; ``ConfigError`` if unreadable or edited."""
    try:
        sealed = json.loads(Path(path).read_text())
        forecast, digest = sealed["forecast"], sealed["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError("forecast", f"cannot read a sealed forecast from {path}: {exc}") from None
    if sealed.get("format") != FORMAT or hashlib.sha256(canonical(forecast)).hexdigest() != digest:
        raise ConfigError(
            "forecast", f"{path} was edited after freezing (SHA-256 mismatch); refused"
        )
    return forecast


def load_votes(path: Path, members: Sequence[str]) -> np.ndarray:
    """The actual votes (indices into VOTES) of ``members`` from a CSV ``country,vote``."""
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        raise ConfigError("votes", f"cannot read {path}: {exc}") from None
    if list(table.columns) != ["country", "vote"]:
        raise ConfigError("votes", f"{path}: expected columns country,vote, got {list(table)}")
    given = {str(c).strip(): str(v).strip().lower() for c, v in zip(*table.values.T, strict=True)}
    missing = [m for m in members if m not in given]
    unknown = sorted(set(given) - set(members))
    if missing or unknown:
        raise ConfigError(
            "votes", f"{path}: missing members {missing}, unknown {unknown}; allowed: {members}"
        )
    bad = {c: v for c, v in given.items() if v not in _CODES}
    if bad:
        raise ConfigError(
            "votes", f"{path}: unknown votes {bad}; allowed: yes, abstain, no, Y, A, N"
        )
    return np.array([VOTES.index(_CODES[given[m]]) for m in members])


def score_forecast(forecast: Mapping[str, Any], actual: np.ndarray) -> dict[str, dict[str, Any]]:
    """Scores of the model and of every baseline of a forecast against ``actual``."""
    members = forecast["members"]
    predictors = {"model": forecast["model"], **forecast["baselines"]}
    out = {}
    for name, pred in predictors.items():
        probs = np.array([[pred["probabilities"][m][v] for v in VOTES] for m in members])
        out[name] = scores(probs, actual)
    return out


def score_table(result: Mapping[str, Mapping[str, Any]]) -> str:
    """The scores as a plain-text table."""
    labels = {"model": "model", **BASELINES}
    lines = [f"{'predictor':<72} log-loss  Brier  accuracy  recall yes/abstain/no"]
    for name, s in result.items():
        loss = s["log_loss"]
        loss_s = "inf" if loss == "inf" else f"{loss:.3f}"
        rec = "/".join("—" if r is None else f"{r:.2f}" for r in s["recall"].values())
        label = labels.get(name, name)
        lines.append(f"{label:<72} {loss_s:>8} {s['brier']:6.3f} {s['accuracy']:9.2f}  {rec}")
    return "\n".join(lines)


def _option(args: Sequence[str], key: str) -> str:
    found = [a.split("=", 1)[1] for a in args if a.startswith(f"{key}=")]
    if len(found) != 1:
        raise ConfigError(key, f"expected exactly one {key}=FILE")
    return found[0]


def score_main(args: Sequence[str]) -> None:
    """``score forecast=FILE votes=FILE``: refuse an edited forecast, else print scores."""
    with errors.reporting():
        unknown = [a for a in args if not a.startswith(("forecast=", "votes="))]
        if unknown:
            raise ConfigError("score", f"unknown arguments {unknown}; allowed: forecast=, votes=")
        forecast = load_sealed(Path(_option(args, "forecast")))
        actual = load_votes(Path(_option(args, "votes")), forecast["members"])
        res = forecast["resolution"]
        sys.stdout.write(
            f"{res['kind']} resolution of {res['date']}, {len(actual)} members, forecast "
            f"frozen {forecast['created']}:\n{score_table(score_forecast(forecast, actual))}\n"
        )
