"""The measurement rule: how the latent stance and material position are observed.

One latent stance per state drives its own statements, its joint statements with Japan
and its UN votes; one material position drives its material steps (:mod:`sim.material`).
Each observable is a cut on the same scale, and the cuts are ordered, so that no two
observables contradict each other by construction (data: ``observables_2022_2023.
definitions``):

- own statements (``national``) name Russia from the 'condemn' rung (the level, read with
  hysteresis, so the stance is at least ``condemn - hysteresis``);
- a joint statement with Japan (``bilateral_japan``) names Russia when the own words do,
  or when the stance is within ``joint_drafting`` of 'condemn' (Japan drafts, the partner
  consents): own naming implies joint naming;
- a yes vote on a UN resolution of principle (a text that names Russia) comes from the
  vote rule's ``principle_yes`` cut, which :func:`check_cut_order` keeps at or below the
  joint statement's cut: naming Russia in any text implies a yes on such a resolution;
- ASEAN's consensus texts name Russia when the collective (lowest member) level does.
"""

from __future__ import annotations

import numpy as np

from sim.ladder import CONDEMN_LEVEL, LadderSpec
from sim.material import DISTANCING, SANCTIONS, material_reading
from sim.numerics import rule

OBSERVABLES: dict[str, str] = {
    "names_russia_own": "the state's own statements name Russia (level >= 'condemn')",
    "names_russia_joint_japan": "a joint statement with Japan names Russia (own naming, or "
    "stance >= 'condemn' - joint_drafting)",
    "principle_language": "sovereignty or UN-Charter language at least (level >= 'principle')",
    "supports_russia": "the state's own words support Russia (level 'oppose')",
    "asean_names_russia": "an ASEAN consensus text names Russia (collective level >= 'condemn')",
    "material_step": "the step of the material track (0 deepening .. 4 sanctions)",
}
"""Every observable the model produces, with its measurement rule."""


@rule
def names_cut(lad):  # noqa: ANN001, ANN201
    """The rung from which own statements name Russia: the one below 'sanction'."""
    return lad.sanction_level - 1


@rule
def names_russia_own(level, lad):  # noqa: ANN001, ANN201
    """Own statements name Russia."""
    return level >= names_cut(lad)


@rule
def joint_cut(p, lad):  # noqa: ANN001, ANN201
    """Stance from which a joint statement with Japan names Russia."""
    return names_cut(lad) - p.joint_drafting


def names_russia_joint(p, stance: np.ndarray, level: np.ndarray, lad: LadderSpec) -> np.ndarray:
    """A joint statement with Japan names Russia (arrays of stances and levels)."""
    return (np.asarray(level) >= names_cut(lad)) | (np.asarray(stance) >= joint_cut(p, lad))


def material_steps(level: np.ndarray, material_level: np.ndarray, lad: LadderSpec) -> np.ndarray:
    """The observed material step (:func:`sim.material.material_reading`) of arrays."""
    return np.where(np.asarray(level) >= lad.sanction_level, SANCTIONS, material_level)


def check_cut_order(principle_yes: float, hysteresis: float, joint_drafting: float) -> None:
    """Refuse a vote cut above the lowest stance at which any text names Russia: naming
    Russia (own words: stance >= 'condemn' - hysteresis; joint: >= 'condemn' -
    joint_drafting) must imply a yes on a resolution of principle."""
    lowest = CONDEMN_LEVEL - max(hysteresis, joint_drafting)
    if principle_yes > lowest:
        raise ValueError(
            f"vote_rule.principle_yes: {principle_yes} is above {lowest}, the lowest stance "
            "at which a statement names Russia; a state naming Russia would vote no or abstain"
        )


__all__ = [
    "DISTANCING",
    "OBSERVABLES",
    "check_cut_order",
    "joint_cut",
    "material_reading",
    "material_steps",
    "names_cut",
    "names_russia_joint",
    "names_russia_own",
]
