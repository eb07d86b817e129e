"""The nested leave-one-out part of the validation report's vote section.

:func:`nested_section` turns ``data/calibration/votes_nested.json`` (written by
:mod:`experiments.calibration.votenested`) into Markdown: the held-out scores of the model
and of every baseline per resolution and pooled, and sentences whose every claim is
computed from those numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from experiments.calibration.facts import load_facts
from experiments.calibration.votebaselines import BASELINES
from experiments.workflow.errors import ConfigError

NESTED_FILE = "votes_nested.json"
CONFIDENT = 0.99
SHORT = {
    "uniform": "uniform",
    "majority": "majority class",
    "persistence": "persistence by kind",
    "repeat_last_smoothed": "old repeat-last baseline",
}
"""Short names of the baselines for sentences."""


def _str_keys(x: Any) -> Any:
    """Keys as text (YAML 1.1 reads ``yes:``/``no:`` keys as booleans)."""
    if isinstance(x, dict):
        return {str(k): _str_keys(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_str_keys(v) for v in x]
    return x


def unga_digest(facts: Mapping[str, Any]) -> str:
    """SHA-256 of the encoded votes (the facts file's ``unga`` section without the
    descriptive ``asks`` and ``asks_read``, canonical JSON): what the calibration reads,
    unchanged when other sections of the file are edited."""
    unga = {
        n: {k: v for k, v in spec.items() if not k.startswith("asks")}
        for n, spec in facts["unga"].items()
    }
    text = json.dumps(_str_keys(unga), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_nested(folder: Path) -> dict[str, Any] | None:
    """The nested record of a calibration folder, or None."""
    path = Path(folder) / NESTED_FILE
    return json.loads(path.read_text()) if path.exists() else None


BOUND_RULE = (
    "rule of succession: with n held-out member-votes, all right, the record supports a "
    "probability of at most (n + 1) / (n + 2) on one vote; every forecast row is mixed with "
    "the uniform with the smallest weight that keeps its largest probability within it "
    "(sim.votes.bounded_shares)"
)


def confidence_bound(pooled: Mapping[str, Any]) -> dict[str, Any]:
    """The confidence bound the nested record supports (``BOUND_RULE``), from its pooled
    held-out model score: stored in the record as ``confidence_bound``."""
    n = int(pooled["model"]["n_cells"])
    return {"rule": BOUND_RULE, "n_held_out": n, "bound": (n + 1) / (n + 2)}


def load_bound(folder: Path) -> float:
    """The ``confidence_bound`` of the nested record in ``folder``; one-line
    ``ConfigError`` if the record or its bound is missing."""
    record = load_nested(folder)
    if record is None or "confidence_bound" not in record:
        raise ConfigError(
            "calibration_dir",
            f"{Path(folder) / NESTED_FILE} with a confidence_bound not found; run "
            "python -m experiments.calibration.votenested",
        )
    return float(record["confidence_bound"]["bound"])


def _loss(s: Mapping[str, Any] | None) -> float:
    return math.inf if s is None or s["log_loss"] == "inf" else float(s["log_loss"])


def _f(x: float | str | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    v = float(x)
    return "inf" if math.isinf(v) else f"{v:.{digits}f}"


def _labels() -> dict[str, str]:
    return {"model": "model (nested)", **BASELINES}


def pooled_table(record: Mapping[str, Any]) -> str:
    """Pooled held-out scores over every resolution, one row per predictor."""
    lines = [
        "| predictor | member-votes | log-loss (nats per vote) | Brier | accuracy | "
        "recall yes | recall abstain | recall no |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in _labels().items():
        s = record["pooled"].get(key)
        if s is None:
            lines.append(f"| {label} | — | not every resolution predicted | — | — | — | — | — |")
            continue
        r = s["recall"]
        lines.append(
            f"| {label} | {s['n_cells']} | {_f(s['log_loss'])} | {_f(s['brier'])} | "
            f"{_f(s['accuracy'], 2)} | {_f(r['yes'], 2)} | {_f(r['abstain'], 2)} | "
            f"{_f(r['no'], 2)} |"
        )
    return "\n".join(lines)


def fold_table(record: Mapping[str, Any]) -> str:
    """Per held-out resolution: log-loss / Brier / accuracy of every predictor."""
    folds = record["folds"]
    lines = [
        "| predictor | " + " | ".join(f"{f['name']} ({f['kind']})" for f in folds) + " |",
        "|---|" + "---|" * len(folds),
    ]
    for key, label in _labels().items():
        cells = []
        for f in folds:
            s = f["predictors"][key]["scores"]
            cells.append(
                "—"
                if s is None
                else f"{_f(s['log_loss'])} / {_f(s['brier'])} / {_f(s['accuracy'], 2)}"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _best_baseline(scores: Mapping[str, Any]) -> tuple[str, float]:
    losses = {k: _loss(scores.get(k)) for k in BASELINES}
    best = min(losses, key=lambda k: losses[k])
    return best, losses[best]


def verdict(record: Mapping[str, Any]) -> str:
    """Whether the model beats the best baseline, pooled and per resolution (computed)."""
    labels = _labels()
    model = _loss(record["pooled"]["model"])
    best, best_loss = _best_baseline(record["pooled"])
    if model < best_loss:
        pooled = (
            f"Pooled over the {record['pooled']['model']['n_cells']} held-out member-votes, "
            f"the model ({_f(model)} nats per vote) **beats** the best baseline, "
            f"{labels[best]} ({_f(best_loss)}), by {_f(best_loss - model)} nats per vote."
        )
    else:
        pooled = (
            f"Pooled over the {record['pooled']['model']['n_cells']} held-out member-votes, "
            f"the model ({_f(model)} nats per vote) **does not beat** the best baseline, "
            f"{labels[best]} ({_f(best_loss)})."
        )
    won, lost = [], []
    for f in record["folds"]:
        scores = {k: v["scores"] for k, v in f["predictors"].items()}
        b, b_loss = _best_baseline(scores)
        m = _loss(scores["model"])
        (won if m < b_loss else lost).append(
            f"{f['name']} ({_f(m)} against {_f(b_loss)}, {SHORT[b]})"
        )
    per = []
    if won:
        per.append("The model beats the best baseline of the resolution on " + "; ".join(won))
    if lost:
        per.append("it does not on " + "; ".join(lost))
    return pooled + " " + ", and ".join(per) + "."


def confidence(record: Mapping[str, Any], in_sample: int | None = None) -> str:
    """How many held-out cells got more than 0.99 on one vote, how many of those were
    right, and (given ``in_sample``, the in-sample count of the installed rule) how many
    in-sample cells are that confident only in sample (computed)."""
    text = _held_out_confidence(record)
    if in_sample is None:
        return text
    n = _confident_count(record)
    if in_sample > n:
        return text + (
            f" In sample the installed rule gives more than {CONFIDENT} to {in_sample} "
            f"member-votes before the confidence bound: {in_sample - n} more than held out, "
            "a confidence the held-out score does not support (bounded below, 'Confidence "
            "bound')."
        )
    return text + (
        f" In sample the installed rule gives more than {CONFIDENT} to {in_sample} "
        "member-votes, no more than held out."
    )


def _confident_count(record: Mapping[str, Any]) -> int:
    return sum(
        max(probs) > CONFIDENT
        for f in record["folds"]
        for probs in f["predictors"]["model"]["probabilities"].values()
    )


def _held_out_confidence(record: Mapping[str, Any]) -> str:
    n = right = 0
    for f in record["folds"]:
        for m, probs in f["predictors"]["model"]["probabilities"].items():
            top = max(range(3), key=lambda k: probs[k])
            if probs[top] > CONFIDENT:
                n += 1
                right += record["votes"][top] == f["actual"][m]
    total = sum(len(f["actual"]) for f in record["folds"])
    if n == 0:
        return f"No held-out member-vote gets more than {CONFIDENT} on one vote."
    wrong = n - right
    if wrong == 0:
        low = 0.05 ** (1.0 / n)  # one-sided 95% lower bound of the hit rate, n of n right
        tail = (
            f"every one of them was right ({n} of {n} right is still consistent, at 5%, "
            f"with a hit rate as low as {low:.2f})."
        )
    else:
        tail = f"{wrong} of them were wrong, so such confidence is not justified."
    return f"{n} of {total} held-out member-votes get more than {CONFIDENT} on one vote; {tail}"


def nested_section(record: Mapping[str, Any] | None, in_sample: int | None = None) -> str:
    """The Markdown of the nested comparison, or how to produce it; ``in_sample``: the
    installed rule's in-sample cells above 0.99 (from ``votes_loo.json``)."""
    if record is None:
        return (
            "### Nested leave-one-resolution-out\n\nNo nested record "
            f"(`data/calibration/{NESTED_FILE}`); run "
            "`python -m experiments.calibration.votenested`.\n"
        )
    folds = record["folds"]
    prov = record["provenance"]
    lines = []
    for f in folds:
        left = ", ".join(f"`{p}`" for p in f["left_out_patterns"])
        curve = {c["noise"]: c["log_loss"] for c in f["inner_curve"]}
        if f["noise"] == 0.0:
            edge = " (0, the bottom of the noise's range: the deterministic rule)"
        elif f["noise_at_grid_edge"]:
            edge = " (at the edge of the grid)"
        else:
            edge = ""
        lines.append(
            f"- {f['name']} held out: acceptance without {left} ({f['n_accepted']} accepted "
            f"sets, {f['sets_used']} used); noise {f['noise']:.3g}{edge}, chosen by "
            f"leave-one-out within the training resolutions over {len(curve)} values from "
            f"{min(curve):.3g} to {max(curve):.3g} (inner log-loss {_f(curve[f['noise']])} "
            f"there, {_f(curve[max(curve)])} at {max(curve):.3g})"
        )
    fold_lines = "\n".join(lines)
    commit = (prov["code"].get("commit") or "unknown")[:12]
    dirty = " (uncommitted changes)" if prov["code"].get("dirty") else ""
    unga = ""
    if prov.get("unga_sha256"):
        now = unga_digest(load_facts())
        same = "the same as now" if now == prov["unga_sha256"] else "DIFFERENT from now: rerun"
        unga = f", of its encoded votes (`unga`) `{prov['unga_sha256'][:16]}…` ({same})"
    qs = ", ".join(
        f"{f['name']}: majority q = {f['predictors']['majority']['q']}, persistence q = "
        f"{f['predictors']['persistence']['q']}"
        for f in folds
    )
    return f"""### Nested leave-one-resolution-out against a sceptic's baselines

For each resolution, its votes and every acceptance pattern derived from them are left out
of the whole calibration (history matching, ABC, final acceptance: `python -m
experiments.calibration.votenested`, settings of `conf/calibrate.yaml`), the vote noise is
chosen and the cut points fitted on the other resolutions only, and the held-out votes are
scored. The baselines are fitted on the same training resolutions (smoothing q chosen by
leave-one-out within them; {qs}).

{fold_lines}

Pooled over the three held-out resolutions:

{pooled_table(record)}

Per held-out resolution (log-loss / Brier / accuracy):

{fold_table(record)}

{verdict(record)} {confidence(record, in_sample)}

Record: `data/calibration/{NESTED_FILE}`, created {prov["created"]} at commit
`{commit}`{dirty}; SHA-256 of the facts file then `{prov["data"]["sha256"][:16]}…`{unga}.
"""


def earlier_section(facts: Mapping[str, Any]) -> str:
    """The earlier Russia/Ukraine votes of the facts file (``unga_earlier``) beside the
    2022 votes, and what a member offset learned from the earlier human-rights texts would
    say about ES-11/3 (computed); none of it enters the model."""
    earlier = facts.get("unga_earlier") or {}
    if not earlier:
        return ""
    members = list(facts["meta"]["asean_2022_members"])
    later = facts["unga"]
    head = [*earlier, *later]
    lines = [
        "| member | "
        + " | ".join(f"{n} ({earlier.get(n, later.get(n))['date']})" for n in head)
        + " |",
        "|---|" + "---|" * len(head),
    ]
    for m in members:
        cells = [str(earlier[n]["votes"][m]) for n in earlier]
        cells += [str(later[n]["votes"][m]).rstrip("?") for n in later]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    rights = [n for n, r in earlier.items() if r.get("asks", {}).get("human_rights")]
    against = [m for m in members if any(earlier[n]["votes"][m] == "N" for n in rights)]
    unknown = sum(earlier[n]["votes"][m] == "U" for n in earlier for m in members)
    total = len(earlier) * len(members)
    punitive = [n for n, r in later.items() if r["kind"] == "punitive"]
    text = (
        f"{unknown} of the {total} earlier member-votes could not be read in a source (U); "
        "notN marks a member not on a source's full list of no votes; absent: did not vote."
    )
    first = next(iter(later))
    for n, r in earlier.items():
        read = {m: v for m, v in r["votes"].items() if v in ("Y", "A", "N")}
        if len(read) < len(members) // 2:
            continue
        same = [m for m, v in read.items() if str(later[first]["votes"][m]) == v]
        moved = [f"{m} {v} to {later[first]['votes'][m]}" for m, v in read.items() if m not in same]
        text += (
            f" Of the {len(read)} members with a vote read on {n}, {len(same)} cast the same "
            f"vote on {first}" + (f"; changed: {', '.join(moved)}." if moved else ".")
        )
    if against and punitive:
        p = punitive[0]
        votes = {m: str(later[p]["votes"][m]) for m in against}
        yes = [m for m in against if votes[m] == "Y"]
        text += (
            f" Members that voted no on an earlier human-rights text on Crimea: "
            f"{', '.join(against)}; on {p} they voted "
            f"{', '.join(f'{m} {v}' for m, v in votes.items())}. A member offset learned "
            "from those texts would lower the yes probability on a human-rights measure for "
            f"all {len(against)}, {len(yes)} of whom voted yes on {p}; with the yes/abstain "
            "split of the other members unread, the earlier record cannot identify such "
            "offsets, so the model does not use it."
        )
        listed = [n for n in rights if earlier[n].get("no_votes")]
        new_no = [
            m
            for m in members
            if str(later[p]["votes"][m]) == "N"
            and listed
            and all(earlier[n]["votes"][m] == "notN" for n in listed)
        ]
        if new_no:
            text += (
                f" {', '.join(new_no)} voted no on {p} but were not among the no votes of "
                f"any earlier human-rights text with a full list ({', '.join(listed)})."
            )
    return (
        "### Earlier votes on Russia and Ukraine (recorded, not used to fit the model)\n\n"
        "Votes of the ten members as read in the sources of `unga_earlier` in "
        "`data/asean_2022.yaml` (Y yes, A abstain, N no), beside the 2022 votes:\n\n"
        + "\n".join(lines)
        + "\n\n"
        + text
        + "\n"
    )
