"""Containers for simulated trajectories and per-run outcome measures."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.ladder import Ladder


@dataclass
class Trajectories:
    """Recorded state of ``R`` runs over ``T + 1`` steps (step 0 = 2022-02-24).

    Per country ``(R, T + 1, N)``: ``stance``, ``level``, ``outreach`` (budget spent on the
    country that week). Per run ``(R, T + 1)``: ``asean_level`` (collective statement,
    lowest common level of members), ``leakage`` (USD bn/yr of Russian trade through
    non-adopters), ``spent`` and ``available`` (Japan's budget), ``pressure`` (Japan's
    domestic pressure, 0-1), ``coalition`` (coalition share).
    """

    seeds: np.ndarray
    stance: np.ndarray
    level: np.ndarray
    outreach: np.ndarray
    asean_level: np.ndarray
    leakage: np.ndarray
    spent: np.ndarray
    available: np.ndarray
    pressure: np.ndarray
    coalition: np.ndarray

    @classmethod
    def empty(cls, seeds: np.ndarray, n_steps: int, n: int) -> Trajectories:
        r, t = len(seeds), n_steps + 1
        return cls(
            seeds=np.asarray(seeds, dtype=np.int64),
            stance=np.empty((r, t, n)),
            level=np.empty((r, t, n), dtype=np.int8),
            outreach=np.empty((r, t, n)),
            asean_level=np.empty((r, t), dtype=np.int8),
            leakage=np.empty((r, t)),
            spent=np.empty((r, t)),
            available=np.empty((r, t)),
            pressure=np.empty((r, t)),
            coalition=np.empty((r, t)),
        )

    def record(self, step: int, state) -> None:  # noqa: ANN001 (WorldState, avoids a cycle)
        self.stance[:, step] = state.stance
        self.level[:, step] = state.level
        self.outreach[:, step] = state.outreach
        self.asean_level[:, step] = state.collective
        self.leakage[:, step] = state.leakage
        self.spent[:, step] = state.spent
        self.available[:, step] = state.available
        self.pressure[:, step] = state.pressure
        self.coalition[:, step] = state.coalition

    @property
    def n_runs(self) -> int:
        return len(self.seeds)

    @classmethod
    def concatenate(cls, parts: list[Trajectories]) -> Trajectories:
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def equals(self, other: Trajectories) -> bool:
        """Bit-for-bit equality of every recorded array."""
        return all(
            np.array_equal(getattr(self, f.name), getattr(other, f.name), equal_nan=True)
            for f in fields(self)
        )


SUMMARY_COLUMNS: dict[str, str] = {
    "final_sanctioning": "members at 'sanction' or above at the last step",
    "final_condemn_or_higher": "members at 'condemn' or above at the last step",
    "max_sanctioning": "largest number of members at 'sanction' at any step",
    "weeks_to_first_adoption": "first step with at least one member at 'sanction' (NaN: never)",
    "weeks_to_kth_adoption": "first step with at least k members at 'sanction' (NaN: never)",
    "final_asean_level": "ASEAN collective level at the last step",
    "max_asean_level": "highest ASEAN collective level reached",
    "mean_leakage": "mean leakage over the horizon, USD bn/yr",
    "final_leakage": "leakage at the last step, USD bn/yr",
    "budget_spent": "Japan's total outreach spending, budget units",
    "final_pressure": "Japan's domestic pressure at the last step, 0-1",
}


def first_step(mask: np.ndarray) -> np.ndarray:
    """First index along axis 1 where ``mask`` holds, NaN where never; ``(R,)``."""
    hit = mask.any(axis=1)
    return np.where(hit, mask.argmax(axis=1), np.nan)


def summarise(
    traj: Trajectories, ladder: Ladder, member: np.ndarray, k: int = 3
) -> dict[str, np.ndarray]:
    """Outcome measures per run (see ``SUMMARY_COLUMNS``), arrays of shape ``(R,)``."""
    lev = traj.level[:, :, member]
    n_sanction = (lev >= ladder.sanction_level).sum(axis=-1)
    n_condemn = (lev >= ladder.sanction_level - 1).sum(axis=-1)
    return {
        "final_sanctioning": n_sanction[:, -1],
        "final_condemn_or_higher": n_condemn[:, -1],
        "max_sanctioning": n_sanction.max(axis=1),
        "weeks_to_first_adoption": first_step(n_sanction >= 1),
        "weeks_to_kth_adoption": first_step(n_sanction >= k),
        "final_asean_level": traj.asean_level[:, -1].astype(np.int64),
        "max_asean_level": traj.asean_level.max(axis=1).astype(np.int64),
        "mean_leakage": traj.leakage.mean(axis=1),
        "final_leakage": traj.leakage[:, -1],
        "budget_spent": traj.spent.sum(axis=1),
        "final_pressure": traj.pressure[:, -1],
    }
