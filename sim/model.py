"""The Mesa model: country agents respond to Japan's outreach each week.

This is the reference implementation (and what an interactive view steps through). Each
:class:`CountryAgent` owns its attributes and state (:data:`sim.state.COUNTRY_FIELDS`) as
numbers; :class:`JapanAgent` observes the countries and spends its budget with the
strategy's rule; the model holds the run's state (:data:`sim.state.RUN_STATE`). Each week
is :func:`sim.week.step`, the phases the compiled ensemble kernel (:mod:`sim.kernel`) runs
too, so both give identical runs.

Random numbers: every draw is ``sim.rng.uniform(key, stream, step, index)``, a pure
function of the run's seed (counter-based), so a draw does not depend on the order in
which agents act or on the driver. Mesa's own ``model.rng``/``model.random`` are seeded
with the same seed but the rules never use them.
"""

from __future__ import annotations

from functools import partial
from operator import attrgetter

import numpy as np
from mesa import Agent, DataCollector, Model

from sim import japan, rng, week
from sim.config import SimulationConfig
from sim.material import material_reading
from sim.results import COUNTRY_MEASURES, STEP_MEASURES, Trajectories
from sim.state import COUNTRY_FIELDS, JAPAN_STATE, RUN_STATE, as_python, declare
from sim.world import build_world


class CountryAgent(Agent):
    """A Southeast Asian state with a continuous stance and a rung on the ladder; its
    state is :data:`sim.state.COUNTRY_FIELDS`."""

    def __init__(self, model: OutreachModel, index: int) -> None:
        super().__init__(model)
        table = model.config.countries
        self.index = index
        self.code = table.codes[index]
        self.country_name = table.names[index]
        declare(self, COUNTRY_FIELDS)

    @property
    def level_name(self) -> str:
        return self.model.config.ladder.name(self.level)

    @property
    def material_step(self) -> int:
        """The observed step of the material track (:func:`sim.material.material_reading`)."""
        return material_reading(self.level, self.material_level, self.model.lad)

    def perceive(self) -> None:
        """Read the week's signals (:func:`sim.week.perceive`)."""
        m = self.model
        week.perceive(m.world.ties, m.p, m, self, self.index, m.w.levels)

    def respond(self) -> None:
        """Move the stance toward the target set by the forces this state perceives."""
        m = self.model
        week.respond(m.lad, m.p, m.key, m, self, self.index, m.steps - 1)


class JapanAgent(Agent):
    """Japan: spends a weekly diplomatic budget according to its strategy; its state is
    :data:`sim.state.JAPAN_STATE`."""

    def __init__(self, model: OutreachModel) -> None:
        super().__init__(model)
        declare(self, JAPAN_STATE)

    @property
    def leverage(self) -> np.ndarray:
        """``(K, N)`` effect multiplier of each instrument, 0 where unusable."""
        return self.model.w.leverage

    @property
    def usable(self) -> np.ndarray:
        """``(K, N)`` whether each country can receive each instrument."""
        return self.model.w.usable

    def allocate(self, week_: int) -> tuple[np.ndarray, np.ndarray]:
        """Observe the countries; return this week's spending ``(K, N)`` and its total per
        instrument ``(K,)`` (:func:`sim.week.japan_allocates`)."""
        m = self.model
        week.japan_allocates(m.world, m.p, m, self, m.countries, m.w, week_)
        return m.w.spend.copy(), m.w.totals.copy()

    def reach_out(self, spend: np.ndarray, totals: np.ndarray) -> None:
        """Spend: each country receives its outreach (:func:`sim.week.outreach_lands`)."""
        m = self.model
        m.g7_flow, self.spent = japan.outreach_flows(
            spend, totals, m.world.inst, m.w.leverage, m.world.member_share, m.w.flows
        )
        week.outreach_lands(m.p, m, self, m.countries, m.w.flows, m.lad)


REPORTED: dict[str, str] = {
    "n_sanctioning": "adopters",
    "asean_level": "collective",
    "leakage": "leakage",
    "spent": "japan.spent",
    "available": "japan.available",
    "pressure": "japan.pressure",
    "coalition": "coalition",
    "stance": "stance",
    "level": "level",
    "outreach": "received",
    "material": "material_step",
}
"""Where the state (:mod:`sim.state`) holds each declared measure (:mod:`sim.results`) the
DataCollector records; the member count at 'condemn' comes from the levels."""


def report(path: str, model: Model) -> float | int:
    """The value of a declared measure (a model reporter: ``partial(report, path)``)."""
    return attrgetter(path)(model)


def report_country(path: str, agent: Agent) -> float | int | None:
    """A country's value of a declared measure (``None`` for Japan)."""
    return attrgetter(path)(agent) if isinstance(agent, CountryAgent) else None


class OutreachModel(Model):
    """Japan's outreach to Southeast Asian states for sanctions on Russia.

    Args:
        config: the scenario, parameters, strategy and calendar.
        seed: the run's seed; all model randomness derives from it.
    """

    def __init__(self, config: SimulationConfig, seed: int = 0) -> None:
        super().__init__(rng=int(seed))
        self.config = config
        self.seed_value = int(seed)
        self.key = rng.run_key(int(seed))
        self.world, _ = build_world(config)
        self.p = config.params
        self.lad = self.world.lad
        declare(self, RUN_STATE)
        self.countries = [CountryAgent(self, i) for i in range(config.countries.n)]
        self.japan = JapanAgent(self)
        a, n = self.world.values.shape
        self.w = week.new_scratch(a, len(self.world.lev_row), n)
        week.start_run(self.world, self.p, self.key, self, self.japan, self.countries, self.w, True)
        for agent in self.countries:
            as_python(agent, COUNTRY_FIELDS)
        as_python(self.japan, JAPAN_STATE)
        as_python(self, RUN_STATE)
        self.datacollector = DataCollector(
            model_reporters={
                name: partial(report, REPORTED[name]) for name in STEP_MEASURES if name in REPORTED
            },
            agent_reporters={
                name: partial(report_country, REPORTED[name]) for name in COUNTRY_MEASURES
            },
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """One week ``t -> t + 1``: :func:`sim.week.step`, the phases the ensemble kernel
        runs too, in this order (each phase a function of :mod:`sim.week`):

        1. start of week: dated institutional events of week ``t`` take effect (never
           below the configured backing);
        2. Japan allocates: it observes every country and its strategy spends the week's
           budget (raised by domestic pressure), trimmed to what is usable and available;
        3. outreach lands: outreach stocks decay and grow with credibility; visible
           pressure is felt by states not yet doing what Japan asks;
        4. countries perceive: the coalition share, their neighbours' levels, ASEAN's
           collective level and their sanction boundary, all from week-``t`` levels;
        5. countries respond: each moves its stance toward its target and updates its
           level (synchronous update);
        6. end of week: Japan's domestic pressure follows the members' moves; the
           coalition share, ASEAN's collective level and leakage are updated.
        """
        week.step(
            self.world, self.p, self.key, self, self.japan, self.countries, self.w,
            self.steps - 1,  # mesa increments ``steps`` before calling ``step``
        )  # fmt: skip
        self.datacollector.collect(self)
        if self.steps >= self.config.calendar.n_steps:
            self.running = False

    def run(self) -> Trajectories:
        """Run to the calendar's horizon and return the recorded trajectory."""
        while self.running and self.steps < self.config.calendar.n_steps:
            self.step()
        return self.trajectories()

    def trajectories(self) -> Trajectories:
        """The DataCollector's records as arrays, the same layout as the ensemble engine."""
        mdf = self.datacollector.get_model_vars_dataframe()
        adf = self.datacollector.get_agent_vars_dataframe().dropna()
        n, t = self.config.countries.n, len(mdf)
        by_agent = {a.unique_id: a.index for a in self.countries}
        order = np.argsort([by_agent[uid] for uid in adf.index.get_level_values(1)[:n]])

        def per_country(col: str, dtype: type) -> np.ndarray:
            return adf[col].to_numpy(dtype=dtype).reshape(t, n)[:, order][None]

        traj = Trajectories.empty(np.array([self.seed_value]), t - 1, n)
        for name in COUNTRY_MEASURES:
            setattr(traj, name, per_country(name, getattr(traj, name).dtype))
        for name in STEP_MEASURES:
            if hasattr(traj, name):
                setattr(traj, name, mdf[name].to_numpy(dtype=getattr(traj, name).dtype)[None])
        return traj

    def release(self) -> None:
        """Drop everything this finished model holds; it cannot be used afterwards.

        Mesa 3.3.1 keeps every model it has seen alive, as the key of its agent-id counters
        (mesa issue #3179); what stays behind is then an empty object. Mesa 3.5 frees a
        model once unreferenced, and this changes nothing there.
        """
        vars(self).clear()


def run_mesa(config: SimulationConfig, seeds: np.ndarray) -> Trajectories:
    """Run the Mesa model once per seed and stack the trajectories."""
    parts = []
    for seed in np.asarray(seeds, dtype=np.int64):
        model = OutreachModel(config, int(seed))
        parts.append(model.run())
        model.release()
    return Trajectories.concatenate(parts)
