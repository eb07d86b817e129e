"""The compiled ensemble driver: the week of :mod:`sim.week`, one run after another.

:func:`simulate_batch` is compiled by numba (cached on disk, see
:func:`sim.numerics.jit_cache_dir`) and calls the same phases as the Mesa model's
``step`` (:func:`sim.week.step`), so both drivers give bit-identical runs. Everything a run
needs arrives as plain arrays in a :data:`sim.world.World` (built once per config by
:func:`sim.world.build_world`); the run's state lives in the records of :mod:`sim.state`.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from sim import rng, week
from sim.material import material_reading
from sim.results import RunRecord, summarise_run

TrajectoryArrays = namedtuple(
    "TrajectoryArrays",
    ["stance", "level", "outreach", "asean_level", "leakage", "spent", "available",
     "pressure", "coalition", "material"],
)  # fmt: skip
"""The kernel's view of :class:`sim.results.Trajectories` (empty arrays: not kept)."""


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def run_one(world, p, seed, w, rec, traj, r):  # noqa: ANN001, ANN201
    """Simulate run ``r`` (seed ``seed``) over the calendar; record into ``rec`` (and
    ``traj`` when trajectories are kept).

    Compiled without numba's reference counting (it allocates nothing: the arrays come
    from :func:`simulate_batch`).
    """
    n, countries, run, jp = world.member.shape[0], w.countries, w.run[0], w.japan[0]
    keep = traj.level.shape[0] > 0
    key = rng.run_key(seed)
    week.start_run(world, p, key, run, jp, countries, w, r == 0)
    for t in range(world.institution_events.shape[0] + 1):
        if t > 0:  # the week t - 1 -> t
            week.step(world, p, key, run, jp, countries, w, t - 1)
        for i in range(n):  # record
            rec.level[t, i] = w.levels[i]
            rec.material[t, i] = material_reading(
                w.levels[i], countries[i].material_level, world.lad
            )
        rec.asean_level[t] = run.collective
        rec.leakage[t] = run.leakage
        rec.spent[t] = jp.spent
        rec.pressure[t] = jp.pressure
        if keep:
            for i in range(n):
                traj.stance[r, t, i] = countries[i].stance
                traj.outreach[r, t, i] = countries[i].received
            traj.available[r, t] = jp.available
            traj.coalition[r, t] = run.coalition


@njit(cache=True, nogil=True, error_model="numpy")
def simulate_batch(world, params, seeds, traj, summary):  # noqa: ANN001, ANN201
    """Simulate one run per seed; write trajectories (if ``traj`` holds them) and the
    per-run :data:`sim.results.SUMMARY_COLUMNS` into ``summary``."""
    a, n = world.values.shape
    k, steps = world.inst.efficiency.shape[0], world.institution_events.shape[0] + 1
    p = params[0]
    w = week.new_scratch(a, k, n)
    own = RunRecord(
        np.empty((steps, n), np.int8), np.empty(steps, np.int8), np.empty(steps),
        np.empty(steps), np.empty(steps), np.empty((steps, n), np.int8),
    )  # fmt: skip
    keep = traj.level.shape[0] > 0
    for r in range(seeds.shape[0]):
        rec = own
        if keep:
            rec = RunRecord(
                traj.level[r], traj.asean_level[r], traj.leakage[r], traj.spent[r],
                traj.pressure[r], traj.material[r],
            )  # fmt: skip
        run_one(world, p, seeds[r], w, rec, traj, r)
        summarise_run(rec, world.member, world.lad, world.k_adoptions, summary, r)
