"""Containers for simulated trajectories and per-run outcome measures."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from sim.ladder import Ladder
from sim.material import DISTANCING
from sim.numerics import pairwise_sum, rule


@dataclass
class Trajectories:
    """Recorded state of ``R`` runs over ``T + 1`` steps (step 0 = 2022-02-24).

    Per country ``(R, T + 1, N)``: ``stance``, ``level``, ``outreach`` (budget spent on the
    country that week), ``material`` (observed step of the material track, 0 deepening ..
    4 sanctions, :func:`sim.observe.material_steps`). Per run ``(R, T + 1)``:
    ``asean_level`` (collective statement, lowest common level of members), ``leakage``
    (USD bn/yr of Russian trade through non-adopters), ``spent`` and ``available``
    (Japan's budget), ``pressure`` (Japan's domestic pressure, 0-1), ``coalition``
    (coalition share).
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
    material: np.ndarray

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
            material=np.empty((r, t, n), dtype=np.int8),
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


Measure = namedtuple("Measure", ["dtype", "unit", "meaning"])
"""An output measure: the type it is stored with, its unit and its meaning."""

SUMMARY_MEASURES: dict[str, Measure] = {
    "final_sanctioning": Measure(
        np.int64, "members", "members at 'sanction' or above at the last step"
    ),
    "final_condemn_or_higher": Measure(
        np.int64,
        "members",
        "members at 'condemn' or above at the last step: naming Russia in their own "
        "statements (sim.observe)",
    ),
    "ever_naming_russia": Measure(
        np.int64, "members", "members naming Russia in their own statements at any step"
    ),
    "naming_russia_by_week18": Measure(
        np.int64,
        "members",
        "members naming Russia in their own statements at any step through week 18 "
        "(2022-06-30; the horizon if shorter)",
    ),
    "final_distancing_or_more": Measure(
        np.int64,
        "members",
        "members at 'distancing' or beyond on the material track at the last step (cut "
        "arms deals, banks or shippers dropping Russian business, export controls, sanctions)",
    ),
    "final_deepening": Measure(
        np.int64,
        "members",
        "members deepening their ties with Russia (material track) at the last step",
    ),
    "max_sanctioning": Measure(
        np.int64, "members", "largest number of members at 'sanction' at any step"
    ),
    "weeks_to_first_adoption": Measure(
        np.float64, "weeks", "first step with at least one member at 'sanction' (NaN: never)"
    ),
    "weeks_to_kth_adoption": Measure(
        np.float64, "weeks", "first step with at least k members at 'sanction' (NaN: never)"
    ),
    "final_asean_level": Measure(np.int64, "rung", "ASEAN collective level at the last step"),
    "max_asean_level": Measure(np.int64, "rung", "highest ASEAN collective level reached"),
    "mean_leakage": Measure(np.float64, "USD bn/yr", "mean leakage over the horizon, USD bn/yr"),
    "final_leakage": Measure(np.float64, "USD bn/yr", "leakage at the last step, USD bn/yr"),
    "budget_spent": Measure(
        np.float64, "budget units", "Japan's total outreach spending, budget units"
    ),
    "final_pressure": Measure(np.float64, "0-1", "Japan's domestic pressure at the last step, 0-1"),
}
"""Per-run outcome measures (``summary.parquet``), written by :func:`summarise_run`."""

STEP_MEASURES: dict[str, Measure] = {
    "n_sanctioning": Measure(np.int16, "members", "ASEAN members at 'sanction' or above"),
    "n_condemn_or_higher": Measure(np.int16, "members", "ASEAN members at 'condemn' or above"),
    "asean_level": Measure(
        np.int8, "rung", "ASEAN collective statement level (lowest common rung)"
    ),
    "leakage": Measure(
        np.float64, "USD bn/yr", "Russian trade through non-adopting members, USD bn/yr"
    ),
    "spent": Measure(
        np.float64, "budget units", "Japan's outreach spending that week, budget units"
    ),
    "available": Measure(
        np.float64, "budget units", "Japan's budget available that week, budget units"
    ),
    "pressure": Measure(np.float64, "0-1", "Japan's domestic political pressure, 0-1"),
    "coalition": Measure(np.float64, "0-1", "share of a global sanctions coalition, 0-1"),
}
"""Per-run, per-step measures (``steps.parquet``); the member counts come from the levels
(:func:`member_counts`), the others are :class:`Trajectories` fields of the same name."""

COUNTRY_MEASURES: dict[str, Measure] = {
    "stance": Measure(np.float32, "rungs", "continuous stance in [0, n_levels), rungs"),
    "level": Measure(
        np.int8,
        "rung",
        "rung on the ladder: 0 oppose, 1 neutral, 2 principle, 3 condemn, 4 sanction",
    ),
    "outreach": Measure(
        np.float32, "budget units", "Japan's budget spent on the country that week, budget units"
    ),
    "material": Measure(
        np.int8,
        "step",
        "material track: 0 deepening, 1 status quo, 2 distancing, 3 anti-circumvention, "
        "4 sanctions",
    ),
}
"""Per-country, per-step measures (``trajectories.parquet``), :class:`Trajectories` fields."""

SUMMARY_COLUMNS: dict[str, str] = {name: m.meaning for name, m in SUMMARY_MEASURES.items()}
"""Meaning of each per-run measure (:data:`SUMMARY_MEASURES`)."""

SUMMARY_DTYPES: dict[str, type] = {name: m.dtype for name, m in SUMMARY_MEASURES.items()}
"""Type of each per-run measure (:data:`SUMMARY_MEASURES`)."""

Summary = namedtuple("Summary", list(SUMMARY_COLUMNS))
"""Per-run outcome measures (:data:`SUMMARY_MEASURES`): arrays ``(R,)`` in the drivers."""

RunRecord = namedtuple(
    "RunRecord", ["level", "asean_level", "leakage", "spent", "pressure", "material"]
)
"""One run's recorded series: levels ``(T + 1, N)``, ASEAN level, leakage, spending and
Japan's pressure ``(T + 1,)``, material steps ``(T + 1, N)``."""

WEEK_18 = 18
"""The week of the 'by week 18' measure (2022-06-30: the end of the record's first half)."""


def empty_summary(n_runs: int) -> Summary:
    return Summary(*(np.empty(n_runs, dtype=d) for d in SUMMARY_DTYPES.values()))


@rule
def condemn_level(lad):  # noqa: ANN001, ANN201
    """The 'condemn' rung: the one below 'sanction' (members at it or higher name Russia)."""
    return lad.sanction_level - 1


def member_counts(level: np.ndarray, member: np.ndarray, ladder: Ladder) -> dict[str, np.ndarray]:
    """Members at 'sanction' or higher and at 'condemn' or higher, per run and step, from
    levels ``(R, T + 1, N)`` (the counts :func:`summarise_run` makes at each step)."""
    lev = level[:, :, np.asarray(member, dtype=bool)]
    spec = ladder.spec()
    return {
        "n_sanctioning": (lev >= spec.sanction_level).sum(-1),
        "n_condemn_or_higher": (lev >= condemn_level(spec)).sum(-1),
    }


@rule
def summarise_run(run, member, lad, k, out, r):  # noqa: ANN001, ANN201
    """Write run ``r``'s outcome measures (:data:`SUMMARY_MEASURES`) into ``out``."""
    steps, n = run.level.shape
    first = np.nan
    kth = np.nan
    max_sanction = 0
    n_sanction = 0
    n_condemn = 0
    ever = 0
    by18 = 0
    for i in range(n):
        if member[i]:
            named = False
            named18 = False
            for t in range(steps):
                if run.level[t, i] >= condemn_level(lad):
                    named = True
                    named18 = named18 or t <= WEEK_18
            ever += 1 if named else 0
            by18 += 1 if named18 else 0
    for t in range(steps):
        n_sanction = 0
        n_condemn = 0
        for i in range(n):
            if member[i]:
                if run.level[t, i] >= lad.sanction_level:
                    n_sanction += 1
                if run.level[t, i] >= condemn_level(lad):
                    n_condemn += 1
        max_sanction = max(max_sanction, n_sanction)
        if n_sanction >= 1 and np.isnan(first):
            first = float(t)
        if n_sanction >= k and np.isnan(kth):
            kth = float(t)
    max_asean = run.asean_level[0]
    for t in range(1, steps):
        max_asean = max(max_asean, run.asean_level[t])
    n_distancing = 0
    n_deepening = 0
    for i in range(n):
        if member[i]:
            n_distancing += 1 if run.material[steps - 1, i] >= DISTANCING else 0
            n_deepening += 1 if run.material[steps - 1, i] == 0 else 0
    out.ever_naming_russia[r] = ever
    out.naming_russia_by_week18[r] = by18
    out.final_distancing_or_more[r] = n_distancing
    out.final_deepening[r] = n_deepening
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
            runs.level[r], runs.asean_level[r], runs.leakage[r], runs.spent[r], runs.pressure[r],
            runs.material[r],
        )  # fmt: skip
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
        np.ascontiguousarray(traj.material, dtype=np.int8),
    )
    _summarise_all(runs, np.asarray(member, dtype=np.bool_), ladder.spec(), int(k), out)
    return out._asdict()
