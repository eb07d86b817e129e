"""The response ladder: ordered rungs from siding with Russia to sanctioning it."""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

LEVEL_NAMES: tuple[str, ...] = ("oppose", "neutral", "principle", "condemn", "sanction")
"""Default rungs. 0 sides with Russia, 1 abstains, 2 condemns aggression without naming
Russia, 3 names Russia, 4 imposes export controls or financial measures."""

RUNG_OBSERVABLES: dict[str, str] = {
    "oppose": "support of Russia in the state's own words (data: direction 'support')",
    "neutral": "calls on 'all parties' only; no side taken (data: rung 1 readings)",
    "principle": "sovereignty or UN-Charter language, or regret of the war, without naming "
    "Russia (data: names_russia false, direction condemn)",
    "condemn": "names Russia as the aggressor in the state's own statements (data: "
    "names_russia true, attribution own)",
    "sanction": "the state's own sanctions on Russian entities (data: material_measures, "
    "step sanctions), the top step of the material track too",
}
"""The observable behaviour each default rung stands for, in the terms of the data's
definitions (``observables_2022_2023.definitions``); how a rung is read off the stance,
and the joint statements, votes and ASEAN texts it implies: :mod:`sim.observe`."""

SANCTION_LEVEL = 4
CONDEMN_LEVEL = 3
PRINCIPLE_LEVEL = 2


LadderSpec = namedtuple(
    "LadderSpec", ["n_levels", "sanction_level", "principle_level", "top", "stance_max"]
)
"""The ladder as plain numbers for the rules: rungs, the sanction rung, the rung from which
states can backslide, the top of the stance scale and the largest stance below it."""


@dataclass(frozen=True)
class Ladder:
    """Names of the rungs and the rung that counts as having adopted sanctions.

    Stance is continuous in ``[0, n_levels)``; rung ``k`` spans ``[k, k + 1)`` before
    thresholds and hysteresis are applied. More rungs above ``sanction`` are allowed.
    """

    names: tuple[str, ...] = LEVEL_NAMES
    sanction_level: int = SANCTION_LEVEL

    def __post_init__(self) -> None:
        if len(self.names) < 2:
            raise ValueError(f"ladder.names: need at least 2 rungs, got {len(self.names)}")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"ladder.names: rung names must be unique, got {list(self.names)}")
        if not 1 <= self.sanction_level < len(self.names):
            raise ValueError(
                f"ladder.sanction_level: must be in [1, {len(self.names) - 1}], "
                f"got {self.sanction_level}"
            )

    @property
    def n_levels(self) -> int:
        return len(self.names)

    @property
    def top(self) -> float:
        """Upper bound of the stance scale (exclusive)."""
        return float(self.n_levels)

    def name(self, level: int) -> str:
        return self.names[int(level)]

    def spec(self) -> LadderSpec:
        """The ladder as plain numbers (what the rules read)."""
        return LadderSpec(
            self.n_levels,
            self.sanction_level,
            min(PRINCIPLE_LEVEL, self.sanction_level),
            self.top,
            math.nextafter(self.top, 0.0),
        )
