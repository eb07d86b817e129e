"""The kernel's worlds of an analysis's points, built from templates rather than afresh.

:func:`sim.world.build_world` turns a config into the arrays the kernel reads; most of
them (country tables, ties, centrality, the calendar's dated visits and institution
events) do not change from one design point to the next. :class:`WorldCache` builds the
world of each (country table, strategy, institution) once and gives each point's config
the template with the few fields a point changes: budget, eligibility rule and the
strategy's options (the model parameters travel apart, as the record
:func:`sim.world.params_record`). The result equals ``build_world(config)`` field by field
(``tests/test_analysis_worlds.py``). :meth:`WorldCache.simulate` runs the kernel on it.

This module reads ``sim.world`` and ``sim.kernel`` (not sim's public API; allowed in
``tests/test_architecture.py``): its place is ``sim.engine``, as a public entry point
taking prebuilt worlds, when ``sim/`` is next open for changes.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from sim import SimulationConfig, Trajectories
from sim.engine import _announce_compilation
from sim.kernel import TrajectoryArrays, simulate_batch
from sim.options import compiled_options
from sim.results import Summary
from sim.strategies import ELIGIBILITY
from sim.world import build_world, params_record

_EMPTY = Trajectories.empty(np.empty(0, np.int64), 0, 0)
NO_TRAJECTORIES = TrajectoryArrays(*(getattr(_EMPTY, f) for f in TrajectoryArrays._fields))
"""The kernel's trajectory arguments when only summaries are kept (empty arrays)."""


class WorldCache:
    """``(world, params)`` of configs that differ from a template only in what a design
    point changes (see the module docstring).

    Args:
        k_adoptions: ``k`` of ``weeks_to_kth_adoption`` (a world field).
    """

    def __init__(self, k_adoptions: int) -> None:
        self.k_adoptions = k_adoptions
        self._templates: dict[tuple, tuple[SimulationConfig, Any, tuple[str, ...]]] = {}
        self._params: tuple[Any, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _template(self, config: SimulationConfig) -> tuple[Any, tuple[str, ...]]:
        """The world of ``config``'s constant parts (built on first use)."""
        key = (
            id(config.countries), id(config.calendar), id(config.instruments),
            id(config.ladder), config.restrictions, config.sample_priors,
            config.strategy, config.institution,
        )  # fmt: skip
        found = self._templates.get(key)
        if found is None:
            _announce_compilation()
            world, _ = build_world(config, self.k_adoptions)
            names = tuple(i.name for i in config.instruments)
            with self._lock:  # the template keeps the config alive: its ids stay unique
                found = self._templates.setdefault(key, (config, world, names))
        return found[1], found[2]

    def params(self, config: SimulationConfig) -> np.ndarray:
        """The model parameters of ``config`` as the kernel's record (the last one is
        reused: every strategy of a point shares its parameters object)."""
        last = self._params
        if last is not None and last[0] is config.params:
            return last[1]
        record = params_record(config.params.values())
        self._params = (config.params, record)
        return record

    def world(self, config: SimulationConfig) -> tuple[Any, np.ndarray]:
        """``build_world(config, k_adoptions)``, from the template of ``config``."""
        template, names = self._template(config)
        own = compiled_options(config.strategy_options, names, strict=True)
        world = template._replace(
            budget=float(config.budget),
            eligibility=ELIGIBILITY[config.eligibility],
            options=template.options._replace(**{config.strategy: own}),
        )
        return world, self.params(config)

    def simulate(self, config: SimulationConfig, seeds: np.ndarray, out: Summary) -> None:
        """One run of ``config`` per seed (``int64``), summaries into ``out`` (arrays of
        ``len(seeds)``): ``run_ensemble(config, seeds, keep_trajectories=False)`` in one
        kernel call."""
        world, params = self.world(config)
        simulate_batch(world, params, seeds, NO_TRAJECTORIES, out)
