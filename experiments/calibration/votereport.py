"""The vote section of the validation report, computed from the vote record.

:func:`vote_section` turns the calibration's vote record (``votes_loo.json``, written by
:mod:`experiments.calibration.votestep`) and the report's own in-sample vote table into
Markdown: the held-out scores of the model and the two baselines, the noise curve, the
held-out probability of each actual vote, and sentences whose every claim is computed from
those numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.facts import resolutions
from experiments.calibration.votebaselines import BASELINES, fitted_baselines
from experiments.calibration.votebaselines import scores as sceptic_scores
from experiments.calibration.votefit import actual_votes
from experiments.calibration.voteloo import CONFIDENT

PREDICTORS: dict[str, str] = {
    "model": "model, leave-one-out",
    "repeat_last": "repeat last vote, one-hot",
    "repeat_last_smoothed": "repeat last vote, smoothed (0.9 / 0.05 / 0.05)",
}
"""Predictors compared on the cells every one of them predicts, with their labels."""


def _num(x: Any) -> float:
    return float(x)  # "inf" (written for an infinite log-loss) reads as inf


def _f(x: Any, digits: int = 3) -> str:
    v = _num(x)
    return "inf" if math.isinf(v) else f"{v:.{digits}f}"


def _list(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def score_table(record: Mapping[str, Any]) -> str:
    """Log-loss and Brier of the model and the baselines, overall and per resolution."""
    names = [r["name"] for r in record["resolutions"]]
    lines = [
        "| predictor | member-votes scored | log-loss (nats per vote) | Brier | "
        + " | ".join(f"log-loss {n}" for n in names)
        + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    rows = {**PREDICTORS, "model_all": "model, leave-one-out, every resolution"}
    for key, label in rows.items():
        s = record["scores"][key]
        misses = f" ({s['misses']} at p = 0)" if s["misses"] else ""
        per = [_f(s["per_resolution"][n]) if n in s["per_resolution"] else "—" for n in names]
        lines.append(
            f"| {label} | {s['n_cells']} | {_f(s['log_loss'])}{misses} | {_f(s['brier'])} | "
            + " | ".join(per)
            + " |"
        )
    return "\n".join(lines + sceptic_rows(record))


def sceptic(record: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The sceptic's baselines (:mod:`~experiments.calibration.votebaselines`, each fitted
    without the held-out resolution) on the cells the model row scores: key -> (pooled
    scores, per-resolution log-loss); empty if the record's resolutions are not encoded."""
    history = {r.name: r for r in resolutions()}
    names = [r["name"] for r in record["resolutions"]]
    if not set(names) <= set(history):
        return {}
    ordered = [history[n] for n in names]
    kinds, actual = [r.kind for r in ordered], actual_votes(ordered, record["members"])
    scored = [v for v, n in enumerate(names) if n in record["scores"]["model"]["per_resolution"]]
    out = {}
    for key in ("uniform", "majority", "persistence"):
        probs = [fitted_baselines(kinds, actual, v)[key]["probs"] for v in scored]
        if any(p is None for p in probs):
            continue
        per = {
            names[v]: sceptic_scores(p, actual[v])["log_loss"]
            for v, p in zip(scored, probs, strict=True)
        }
        out[key] = (sceptic_scores(np.stack(probs), actual[scored]), per)
    return out


def sceptic_rows(record: Mapping[str, Any]) -> list[str]:
    """Table rows of :func:`sceptic`."""
    names = [r["name"] for r in record["resolutions"]]
    return [
        f"| {BASELINES[key]} | {pooled['n_cells']} | {_f(pooled['log_loss'])} | "
        f"{_f(pooled['brier'])} | "
        + " | ".join(_f(per[n]) if n in per else "—" for n in names)
        + " |"
        for key, (pooled, per) in sceptic(record).items()
    ]


def curve_table(record: Mapping[str, Any]) -> str:
    """The held-out log-loss and Brier score at each candidate noise."""
    lines = ["| noise (rungs) | held-out log-loss | held-out Brier | |", "|---|---|---|---|"]
    for point in record["curve"]:
        mark = "chosen" if point["noise"] == record["noise"] else ""
        lines.append(
            f"| {point['noise']:g} | {_f(point['log_loss'], 4)} | {_f(point['brier'], 4)} "
            f"| {mark} |"
        )
    return "\n".join(lines)


def cell_table(record: Mapping[str, Any], votes: pd.DataFrame | None) -> str:
    """Per member and resolution: the actual vote, its held-out probability and its
    in-sample probability (this report's runs, if given)."""
    names = [r["name"] for r in record["resolutions"]]
    header = "| member | " + " | ".join(f"{n}: actual, held-out p, in-sample p" for n in names)
    lines = [header + " |", "|---|" + "---|" * len(names)]
    options = record["votes"]
    for member in record["members"]:
        cells = []
        for name in names:
            actual = _actual(votes, name, member)
            held = record["held_out"][name][member][options.index(actual)] if actual else None
            inside = _in_sample(votes, name, member, actual)
            cells.append(
                f"{actual or '?'}, {_f(held, 2) if held is not None else '—'}, "
                f"{_f(inside, 2) if inside is not None else '—'}"
            )
        lines.append(f"| {member} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _actual(votes: pd.DataFrame | None, name: str, member: str) -> str | None:
    if votes is None:
        return None
    row = votes[(votes["resolution"] == name) & (votes["country"] == member)]
    return str(row["actual"].iloc[0]) if len(row) else None


def _in_sample(
    votes: pd.DataFrame | None, name: str, member: str, actual: str | None
) -> float | None:
    if votes is None or actual is None:
        return None
    row = votes[(votes["resolution"] == name) & (votes["country"] == member)]
    return float(row[f"p_{actual}"].iloc[0]) if len(row) else None


def confident(votes: pd.DataFrame) -> int:
    """Cells of a vote table whose most probable vote gets more than 0.99."""
    return int((votes[["p_yes", "p_abstain", "p_no"]].max(axis=1) > CONFIDENT).sum())


def findings(record: Mapping[str, Any], votes: pd.DataFrame | None) -> list[str]:
    """Sentences computed from the record (and the report's vote table)."""
    scores = record["scores"]
    common = scores["model"]
    labels = {**PREDICTORS, **{k: BASELINES[k] for k in sceptic(record)}}
    losses = {k: _num(scores[k]["log_loss"]) for k in PREDICTORS}
    losses.update({k: _num(pooled["log_loss"]) for k, (pooled, _) in sceptic(record).items()})
    ranked = sorted(losses, key=lambda k: losses[k])
    best, second = ranked[0], ranked[1]
    lb, ls = losses[best], losses[second]
    scored = _list(list(common["per_resolution"]))
    out = []
    if math.isinf(lb):
        out.append(
            f"On the {common['n_cells']} member-votes of {scored}, every predictor gives "
            "probability 0 to some actual vote: all log-losses are infinite."
        )
    elif lb == ls:
        out.append(
            f"On the {common['n_cells']} member-votes of {scored}, {labels[best]} and "
            f"{labels[second]} tie for the lowest held-out log-loss ({_f(lb)} nats per vote)."
        )
    else:
        gap = "infinitely" if math.isinf(ls) else f"{ls - lb:.3f} nats per vote"
        out.append(
            f"On the {common['n_cells']} member-votes of {scored} (those every predictor "
            f"predicts), the lowest held-out log-loss is that of the {labels[best]}: "
            f"{_f(lb)} nats per vote, {gap} below the next best, {labels[second]} ({_f(ls)})."
        )
    hot = scores["repeat_last"]
    if hot["misses"]:
        out.append(
            f"The one-hot baseline gives probability 0 to {hot['misses']} of "
            f"{hot['n_cells']} actual votes, so its log-loss is infinite (reported as inf); "
            f"its Brier score is {_f(hot['brier'])}."
        )
    else:
        out.append(f"The one-hot baseline repeats all {hot['n_cells']} actual votes.")
    grid = record["noise_grid"]
    noise = record["noise"]
    where = (
        "the lowest value of the grid: no smaller noise was tried, so this floor is a "
        "modelling choice, not a finding"
        if noise == grid[0]
        else "the highest value of the grid: no larger noise was tried, so this ceiling is a "
        "modelling choice, not a finding"
        if noise == grid[-1]
        else "inside the grid"
    )
    out.append(
        f"Leave-one-out chose the noise {noise:g} rungs, the lowest total held-out log-loss "
        f"over all {len(record['resolutions'])} resolutions among {len(grid)} values from "
        f"{grid[0]:g} to {grid[-1]:g}; it is {where}."
    )
    wider = record["within_one_se"]
    if wider > noise:
        out.append(
            f"The curve is flat: noises up to {wider:g} are within one standard error of "
            "the minimum (paired differences over member-votes)."
        )
    else:
        out.append(
            "Every larger noise on the grid is worse than the chosen one by more than one "
            "standard error (paired differences over member-votes)."
        )
    per = scores["model_all"]["per_resolution"]
    worst = max(per, key=lambda n: _num(per[n]))
    out.append(
        f"The model's held-out loss is largest on {worst} ({_f(per[worst])} nats per vote, "
        f"against {_f(scores['model_all']['log_loss'])} over all resolutions)."
    )
    ins = record["in_sample"]
    sets, inst = ins["sets"], ins["installed"]
    basis = record["basis"]
    text = (
        f"With that noise and the cut points fitted on all {len(record['resolutions'])} "
        f"resolutions, {sets['confident_cells']} of {sets['n_cells']} in-sample cells "
        f"give their most probable vote more than {ins['threshold']:g} "
        f"(mean over {basis['runs_per_set']} runs of each of {len(basis['set_rows'])} "
        f"{basis['blocks']}), and {inst['confident_cells']} of {inst['n_cells']} with the "
        f"installed point alone ({basis['installed_runs']} runs)"
    )
    if votes is not None:
        text += (
            f"; in this report's runs, after the confidence bound, {confident(votes)} of "
            f"{len(votes)}"
        )
    out.append(text + ".")
    return out


def method(record: Mapping[str, Any]) -> str:
    """How the numbers were made, from the record's settings."""
    basis = record["basis"]
    names = [r["name"] for r in record["resolutions"]]
    prior = record["punitive_prior"]
    ranges = ", ".join(f"`{k}` in [{v['range'][0]:g}, {v['range'][1]:g}]" for k, v in prior.items())
    priors = "sampled per run" if basis["sample_priors"] else "at their central values"
    return (
        f"Each of {_list(names)} is held out in turn; the cut points are fitted on the "
        f"others (posterior mean, `experiments/calibration/votefit.py`) for each of "
        f"{len(basis['set_rows'])} {basis['blocks']} ({basis['runs_per_set']} common runs "
        f"each, country priors {priors}), and the held-out probabilities are the mean over "
        "all those runs. Punitive cut points are the principle cut points plus gaps; when no "
        f"punitive vote is left to fit them, the prediction integrates over the gaps' prior "
        f"({ranges}). Baselines: each member repeats its last earlier vote of the same kind "
        f"(of any kind for the first of a kind); {names[0]} has no earlier vote, so the "
        f"baselines, and the model beside them, are scored from {names[1]} on. Brier: sum "
        "over yes/abstain/no of (p - outcome)^2, from 0 to 2, mean per member-vote."
    )


def vote_section(record: Mapping[str, Any] | None, votes: pd.DataFrame | None = None) -> str:
    """The report's vote section (Markdown) from the vote record and, optionally, the
    report's in-sample vote table (``resolution, country, p_yes, p_abstain, p_no,
    actual``)."""
    if record is None:
        return (
            "No vote record (`data/calibration/votes_loo.json`): run "
            "`python -m experiments.calibrate votes.only=true`."
        )
    return "\n\n".join(
        [
            "### Cut points only left out (not nested; chooses the installed noise)",
            "The accepted sets here were selected with every resolution's votes; the nested "
            "comparison above is the out-of-sample test.",
            " ".join(findings(record, votes)),
            score_table(record),
            method(record),
            "Held-out log-loss by noise:\n\n" + curve_table(record),
            "Probability of each actual vote, held out and in-sample:\n\n"
            + cell_table(record, votes),
        ]
    )
