"""Containers for simulated trajectories and per-run outcome measures."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from sim.ladder import Ladder
from sim.numerics import pairwise_sum, rule


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

SUMMARY_DTYPES: dict[str, type] = {
    "final_sanctioning": np.int64,
    "final_condemn_or_higher": np.int64,
    "max_sanctioning": np.int64,
    "weeks_to_first_adoption": np.float64,
    "weeks_to_kth_adoption": np.float64,
    "final_asean_level": np.int64,
    "max_asean_level": np.int64,
    "mean_leakage": np.float64,
    "final_leakage": np.float64,
    "budget_spent": np.float64,
    "final_pressure": np.float64,
}

Summary = namedtuple("Summary", list(SUMMARY_COLUMNS))
"""Per-run outcome measures (:data:`SUMMARY_COLUMNS`): arrays ``(R,)`` in the drivers."""

RunRecord = namedtuple("RunRecord", ["level", "asean_level", "leakage", "spent", "pressure"])
"""One run's recorded series: levels ``(T + 1, N)``, ASEAN level, leakage, spending and
Japan's pressure ``(T + 1,)``."""


def empty_summary(n_runs: int) -> Summary:
    return Summary(*(np.empty(n_runs, dtype=d) for d in SUMMARY_DTYPES.values()))


@rule
def summarise_run(run, member, lad, k, out, r):  # noqa: ANN001, ANN201
    """Write run ``r``'s outcome measures (:data:`SUMMARY_COLUMNS`) into ``out``."""
    steps, n = run.level.shape
    first = np.nan
    kth = np.nan
    max_sanction = 0
    n_sanction = 0
    n_condemn = 0
    for t in range(steps):
        n_sanction = 0
        n_condemn = 0
        for i in range(n):
            if member[i]:
                if run.level[t, i] >= lad.sanction_level:
                    n_sanction += 1
                if run.level[t, i] >= lad.sanction_level - 1:
                    n_condemn += 1
        max_sanction = max(max_sanction, n_sanction)
        if n_sanction >= 1 and np.isnan(first):
            first = float(t)
        if n_sanction >= k and np.isnan(kth):
            kth = float(t)
    max_asean = run.asean_level[0]
    for t in range(1, steps):
        max_asean = max(max_asean, run.asean_level[t])
    out.final_sanctioning[r] = n_sanction
    out.final_condemn_or_higher[r] = n_condemn
    out.max_sanctioning[r] = max_sanction
    out.weeks_to_first_adoption[r] = first
    out.weeks_to_kth_adoption[r] = kth
    out.final_asean_level[r] = run.asean_level[steps - 1]
    out.max_asean_level[r] = max_asean
    out.mean_leakage[r] = pairwise_sum(run.leakage, 0, steps) / steps
    out.final_leakage[r] = run.leakage[steps - 1]
    out.budget_spent[r] = pairwise_sum(run.spent, 0, steps)
    out.final_pressure[r] = run.pressure[steps - 1]


@njit(cache=True)
def _summarise_all(runs, member, lad, k, out):  # noqa: ANN001, ANN202
    for r in range(runs.level.shape[0]):
        run = RunRecord(
            runs.level[r], runs.asean_level[r], runs.leakage[r], runs.spent[r], runs.pressure[r]
        )
        summarise_run(run, member, lad, k, out, r)


def summarise(
    traj: Trajectories, ladder: Ladder, member: np.ndarray, k: int = 3
) -> dict[str, np.ndarray]:
    """Outcome measures per run (see ``SUMMARY_COLUMNS``), arrays of shape ``(R,)``."""
    out = empty_summary(traj.n_runs)
    runs = RunRecord(
        np.ascontiguousarray(traj.level, dtype=np.int8),
        np.ascontiguousarray(traj.asean_level, dtype=np.int8),
        *(
            np.ascontiguousarray(a, dtype=np.float64)
            for a in (traj.leakage, traj.spent, traj.pressure)
        ),
    )
    _summarise_all(runs, np.asarray(member, dtype=np.bool_), ladder.spec(), int(k), out)
    return out._asdict()
