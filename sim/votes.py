"""How a state votes on a UN General Assembly resolution, from its simulated stance.

Pure numpy. The rule is an ordered-response model on the stance scale: two cut points,
set by what the resolution asks, split the stance line into no / abstain / yes, with an optional
logistic noise that turns the step into smooth probabilities. Myanmar's UN seat (held in
2022 by the envoy of the ousted civilian government) votes on its own ``un_seat_stance``,
not on the junta's simulated stance (data: ``meta.myanmar_note``).

**Resolution features.** A resolution is described by what it asks (:data:`FEATURES`, 0/1
each; the data file's ``unga.*.asks``); the two kinds are presets of them
(:data:`KIND_FEATURES`). The cuts depend on the features through a coercion level
``c = max(suspension_from_body, reparations_weight * reparations)`` that moves both cuts
from the principle to the punitive cuts, with ``un_legalism`` raising the yes cut only in
proportion to ``c`` (coercion voted outside the Security Council), and through shifts of
both cuts for a text that does not name Russia and for a text that sets peace terms.

The votes the rule is fitted on (ES-11/1-3, all before 2022-04-08) identify one contrast:
ES-11/3 differs from ES-11/1-2 in territorial_integrity, human_rights and
suspension_from_body together, and the rule assigns that joint effect to
``suspension_from_body`` (the stated mechanism: coercion voted outside the Security
Council); ``territorial_integrity`` and ``human_rights`` describe a text but carry no
weight. Every 2022 text names Russia and none asks reparations or sets peace terms, so
``reparations_weight``, ``unnamed_shift`` and ``peace_terms_shift`` stay at their prior
centres (not fitted). The earlier votes are not training votes. A/RES/68/262 (2014) differs
from ES-11/1 only in not naming Russia and serves as a sign check of ``unnamed_shift``
(the sign it gives is computed in docs/validation.md, "Resolution features"); the invasion
moved the stances between the two votes, so the 2022 initial stances are no proxy for 2014
and the pair cannot size the weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

VOTES: tuple[str, ...] = ("yes", "abstain", "no")
"""Vote options, in the column order of every probability array."""

KINDS: tuple[str, ...] = ("principle", "punitive")  # presets: KIND_FEATURES
"""Kinds of resolution: ``principle`` (deplores the aggression, humanitarian demands) and
``punitive`` (a measure against Russia, e.g. suspension from the Human Rights Council)."""


FEATURES: tuple[str, ...] = (
    "territorial_integrity",
    "names_russia",
    "human_rights",
    "suspension_from_body",
    "reparations",
    "peace_terms",
)
"""What a resolution may ask or say (0/1 each): reaffirms Ukraine's territorial integrity;
names Russia (as aggressor or occupier); human rights in Ukraine; suspends Russia from a
UN body; asks reparations; sets terms of a peace."""

KIND_FEATURES: dict[str, dict[str, int]] = {
    "principle": {"territorial_integrity": 1, "names_russia": 1},
    "punitive": {"names_russia": 1, "human_rights": 1, "suspension_from_body": 1},
}
"""The two kinds as feature presets (ES-11/1-2 and ES-11/3 as the data file describes them);
a feature not named is 0."""


def resolution_features(kind_or_features: str | Mapping[str, Any]) -> dict[str, int]:
    """Every feature of :data:`FEATURES` as 0/1, from a kind preset or a mapping (missing
    features are 0); one-line ``ValueError`` naming an unknown kind or feature."""
    if isinstance(kind_or_features, str):
        if kind_or_features not in KIND_FEATURES:
            raise ValueError(
                f"kind: unknown {kind_or_features!r}; allowed: {', '.join(KIND_FEATURES)}"
            )
        given: Mapping[str, Any] = KIND_FEATURES[kind_or_features]
    else:
        given = kind_or_features
    unknown = sorted(set(given) - set(FEATURES))
    if unknown:
        raise ValueError(f"features.{unknown[0]}: unknown feature; allowed: {', '.join(FEATURES)}")
    out = {}
    for name in FEATURES:
        v = given.get(name, 0)
        if v not in (0, 1, True, False):
            raise ValueError(f"features.{name}: must be 0/1 or true/false, got {v!r}")
        out[name] = int(v)
    return out


def _param(default: float, lo: float, hi: float, doc: str, source: str) -> Any:
    return field(default=default, metadata={"doc": doc, "range": (lo, hi), "source": source})


@dataclass(frozen=True)
class VoteRule:
    """Cut points of the vote rule on the stance scale (rungs), with their ranges.

    The defaults are uninformed placeholders (no at 'oppose', yes from 'principle' or
    'condemn', wide noise); the fitted values are data (``conf/vote_rule/default.yaml``)."""

    principle_yes: float = _param(
        2.0,
        0.8,
        2.5,
        "stance from which a state votes yes on a resolution of principle",
        "fitted on ES-11/1, ES-11/2: posterior mean at the leave-one-out noise (in-sample, "
        "experiments.calibrate)",
    )
    principle_no: float = _param(
        1.0,
        0.0,
        1.5,
        "stance below which a state votes no on a resolution of principle",
        "fitted on ES-11/1, ES-11/2: posterior mean at the leave-one-out noise (in-sample, "
        "experiments.calibrate)",
    )
    punitive_yes: float = _param(
        3.0,
        1.0,
        4.0,
        "stance from which a state with no UN legalism votes yes on a punitive resolution",
        "fitted on ES-11/3 as principle_yes plus a gap (prior: PUNITIVE_PRIOR of "
        "experiments/calibration/votefit.py), posterior mean at "
        "the leave-one-out noise (in-sample, experiments.calibrate)",
    )
    punitive_no: float = _param(
        1.0,
        0.0,
        2.5,
        "stance below which a state votes no on a punitive resolution",
        "fitted on ES-11/3 as principle_no plus a gap (prior: PUNITIVE_PRIOR of "
        "experiments/calibration/votefit.py), posterior mean at "
        "the leave-one-out noise (in-sample, experiments.calibrate)",
    )
    legalism_shift: float = _param(
        0.0,
        0.0,
        8.0,
        "rise of the yes cut per unit of un_legalism and of coercion (a UN-legalist "
        "state abstains on coercion voted outside the Security Council)",
        "fitted on ES-11/3 (in-sample); mechanism from data: positions MY, ID "
        "('UN-only'), SG ('normally acts only on UNSC authority')",
    )
    reparations_weight: float = _param(
        0.5,
        0.0,
        1.0,
        "coercion of a text asking reparations, relative to a suspension from a UN body "
        "(1 = as coercive)",
        "not identified (no vote before 2022-04-08 asks reparations): prior centre, not fitted",
    )
    unnamed_shift: float = _param(
        0.0,
        -1.0,
        1.0,
        "shift of both cuts for a text that does not name Russia (negative: easier yes)",
        "not identified (ES-11/1-3 all name Russia; A/RES/68/262 of 2014 is a sign check "
        "only, docs/validation.md): prior centre, not fitted",
    )
    peace_terms_shift: float = _param(
        0.0,
        -1.0,
        1.0,
        "shift of both cuts for a text that sets terms of a peace",
        "not identified (no vote before 2022-04-08 sets peace terms): prior centre, not fitted",
    )
    noise: float = _param(
        0.5,
        0.0,
        1.0,
        "scale of the logistic vote noise (rungs; 0 = deterministic cut points)",
        "chosen by leave-one-resolution-out log-loss on ES-11/1-3 (experiments.calibrate; "
        "data/calibration/votes_loo.json)",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise ValueError(f"votes.{f.name}: must be a number in [{lo}, {hi}], got {v!r}")
        if self.principle_no > self.principle_yes:
            raise ValueError(
                f"votes.principle_no: must be <= principle_yes ({self.principle_yes}), "
                f"got {self.principle_no}"
            )
        if self.punitive_no > self.punitive_yes:
            raise ValueError(
                f"votes.punitive_no: must be <= punitive_yes ({self.punitive_yes}), "
                f"got {self.punitive_no}"
            )

    def cuts(
        self, kind_or_features: str | Mapping[str, Any], un_legalism: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(no cut, yes cut) for each state, broadcast like ``un_legalism``, for a kind
        preset or a feature mapping (module docstring)."""
        f = resolution_features(kind_or_features)
        legalism = np.asarray(un_legalism, dtype=np.float64)
        c = max(float(f["suspension_from_body"]), self.reparations_weight * f["reparations"])
        shift = (
            self.unnamed_shift * (1 - f["names_russia"])
            + self.peace_terms_shift * (f["peace_terms"])
        )
        no_cut = self.principle_no + c * (self.punitive_no - self.principle_no) + shift
        yes_cut = self.principle_yes + c * (self.punitive_yes - self.principle_yes) + shift
        return (
            np.full_like(legalism, no_cut),
            yes_cut + c * self.legalism_shift * legalism,
        )


VOTE_RULE_DOC = """\
**Vote rule (UN General Assembly).** A state's vote on a resolution is read from its
simulated stance on the vote date (the state at the weekly step nearest the date), with
two cut points per kind of resolution: it votes *no* below the lower cut, *yes* from the
upper cut, and *abstains* in between.

- Resolutions of **principle** (deploring the aggression, humanitarian demands, e.g.
  ES-11/1, ES-11/2): no below `principle_no`, yes from `principle_yes`.
- **Punitive** resolutions (measures against Russia, e.g. ES-11/3 suspending it from the
  Human Rights Council): no below `punitive_no`; yes from
  `punitive_yes + legalism_shift * un_legalism`. Insistence on UN Security Council
  authority raises only the bar for *yes*: a UN-legalist state that disapproves of the
  aggression abstains on coercion voted outside the Security Council; it does not vote no
  (data: positions of Malaysia and Indonesia, "UN-only"; Singapore "normally acts only on
  UNSC authority").
- **Features** (what a text asks; `sim.votes.FEATURES`): a coercion level
  `c = max(suspension_from_body, reparations_weight * reparations)` moves both cuts from
  the principle to the punitive ones (`legalism_shift * un_legalism` scaled by `c`); a text
  not naming Russia shifts both cuts by `unnamed_shift`, one setting peace terms by
  `peace_terms_shift`. The kinds are presets: principle = territorial integrity + names
  Russia; punitive = names Russia + human rights + suspension from a body. The votes
  before 2022-04-08 identify only the joint effect of what ES-11/3 adds (assigned to the
  suspension); the other weights stay at their prior centres.
- **Noise**: with `noise` > 0 the step becomes a logistic curve of scale `noise` (an
  ordered logit), so a run's vote is a probability rather than a certainty; 0 gives the
  deterministic rule. The noise is chosen out of sample: each of ES-11/1-3 is predicted
  from cut points fitted on the other two (the punitive cuts integrated over the prior of
  their gaps to the principle cuts when ES-11/3 is held out), and the noise with the lowest
  held-out log-loss is kept; the cut points are then fitted on all three at that noise.
- **Myanmar's UN seat**: where a state's `un_seat_stance` is set (Myanmar in 2022: the
  seat was held by the envoy of the ousted civilian government), its votes use that stance
  instead of the simulated government stance; the junta's policy (its level on the ladder)
  still follows the simulated stance.
- **Probabilities** of yes/abstain/no are the means over runs (and over accepted
  parameter sets, each with its own cut points, and sampled country priors when parameter
  uncertainty is propagated). The rule is monotone: a
  higher stance never lowers the probability of yes nor raises that of no.
- **Confidence bound**: a reported or frozen forecast keeps each state's largest
  probability within the bound the nested held-out record supports (its `confidence_bound`:
  (n + 1) / (n + 2) for n held-out votes); a row above it is mixed with the uniform with the
  smallest weight that brings it to the bound (`bounded_shares`).

| parameter | meaning | range |
|---|---|---|
"""


def _rows() -> str:
    out = []
    for f in fields(VoteRule):
        lo, hi = f.metadata["range"]
        out.append(f"| `{f.name}` | {f.metadata['doc']} ({f.metadata['source']}) | [{lo}, {hi}] |")
    return "\n".join(out) + "\n"


VOTE_RULE_DOC += _rows()


def _above(stance: np.ndarray, cut: np.ndarray, noise: float) -> np.ndarray:
    """Probability that the stance is at or above a cut (a step, or a logistic curve)."""
    if noise <= 0.0:
        return (stance >= cut).astype(np.float64)
    z = np.clip((stance - cut) / noise, -60.0, 60.0)
    return 1.0 / (1.0 + np.exp(-z))


def voting_stance(stance: np.ndarray, un_seat_stance: np.ndarray) -> np.ndarray:
    """The stance the UN delegation votes on: ``un_seat_stance`` where set, else ``stance``."""
    seat = np.broadcast_to(np.asarray(un_seat_stance, dtype=np.float64), np.shape(stance))
    return np.where(np.isfinite(seat), seat, stance)


def vote_probabilities(
    stance: np.ndarray,
    kind: str | Mapping[str, Any],
    un_legalism: np.ndarray,
    un_seat_stance: np.ndarray,
    rule: VoteRule | None = None,
) -> np.ndarray:
    """Per-run probabilities of (yes, abstain, no), shape ``stance.shape + (3,)``.

    ``stance`` is ``(R, N)`` (or ``(N,)``), the other arrays broadcast to it; ``kind`` is
    a preset of :data:`KIND_FEATURES` or a feature mapping.
    """
    rule = rule or VoteRule()
    s = voting_stance(np.asarray(stance, dtype=np.float64), un_seat_stance)
    no_cut, yes_cut = rule.cuts(kind, np.broadcast_to(un_legalism, s.shape))
    p_yes = _above(s, yes_cut, rule.noise)
    p_not_no = _above(s, no_cut, rule.noise)
    p_not_no = np.maximum(p_not_no, p_yes)  # the no cut is never above the yes cut
    return np.stack([p_yes, p_not_no - p_yes, 1.0 - p_not_no], axis=-1)


def vote_shares(probabilities: np.ndarray) -> np.ndarray:
    """Mean over runs (and any leading axes but the last two): ``(N, 3)``."""
    p = np.asarray(probabilities)
    return p.reshape(-1, *p.shape[-2:]).mean(axis=0)


def bounded_shares(shares: np.ndarray, bound: float) -> np.ndarray:
    """Vote shares with no probability above ``bound``: each state's row is mixed with the
    uniform (1/3 each) with the smallest weight that brings its largest probability down to
    ``bound`` (rows within it are unchanged; the order of the votes is kept)."""
    if not 1.0 / len(VOTES) < bound <= 1.0:
        raise ValueError(f"confidence_bound: must be in (1/{len(VOTES)}, 1], got {bound!r}")
    p = np.asarray(shares, dtype=np.float64)
    top = p.max(axis=-1, keepdims=True)
    uniform = 1.0 / p.shape[-1]
    weight = np.clip((top - bound) / np.maximum(top - uniform, 1e-12), 0.0, 1.0)
    return (1.0 - weight) * p + weight * uniform


def modal_vote(shares: np.ndarray) -> list[str]:
    """Most probable vote per state (ties resolved yes > abstain > no)."""
    return [VOTES[int(k)] for k in np.argmax(shares, axis=-1)]


def draw_votes(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One vote per run and state (index into ``VOTES``) from uniforms ``u`` of the
    same shape as ``probabilities[..., 0]``."""
    cum = np.cumsum(probabilities, axis=-1)
    return np.minimum((u[..., None] >= cum).sum(axis=-1), len(VOTES) - 1)
