"""The Mesa model: country agents respond to Japan's outreach each week.

This is the reference implementation and what an interactive view would use. It runs
the schedule of :mod:`sim.schedule` with one replicate; each :class:`CountryAgent`
computes its own response from what it perceives, with the same rule functions the
ensemble engine applies to all countries of all replicates at once.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent, DataCollector, Model

from sim import schedule
from sim.params import SimulationConfig
from sim.results import Trajectories


class CountryAgent(Agent):
    """A Southeast Asian state with a continuous stance and a rung on the ladder."""

    def __init__(self, model: OutreachModel, index: int, code: str, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code
        self.country_name = name
        self.column = slice(index, index + 1)
        # What the agent knows of itself: views of its column, fixed for the run.
        self.attributes = {k: v[:, self.column] for k, v in model.setup.attrs.items()}
        self.is_member = model.setup.member[index]
        num, den = model.setup.static
        self.static_pull = (num[:, self.column], den[:, self.column])
        self.constants = {k: v[:, self.column] for k, v in model.setup.constants.items()}
        self._pending: tuple[np.ndarray, ...] | None = None

    @property
    def stance(self) -> float:
        return float(self.model.state.stance[0, self.index])

    @property
    def level(self) -> int:
        return int(self.model.state.level[0, self.index])

    @property
    def level_name(self) -> str:
        return self.model.config.ladder.name(self.level)

    def respond(self, signals: schedule.Signals, shock: np.ndarray, slip_u: np.ndarray) -> None:
        """Move the stance toward the target set by the forces this agent perceives."""
        m, i = self.model, self.column
        st = m.state
        self._pending = schedule.respond(
            m.config,
            self.attributes,
            st.stance[:, i],
            st.level[:, i],
            st.outreach_stock[:, i],
            st.visible[:, i],
            signals.peer_mean[:, i],
            signals.peer_pulling[:, i],
            signals.boundary[:, i],
            self.is_member,
            signals.coalition,
            signals.collective,
            st.institution,
            shock[:, i],
            slip_u[:, i],
            self.static_pull,
            self.constants,
        )


class JapanAgent(Agent):
    """Japan: spends a weekly diplomatic budget according to its strategy."""

    def allocate(self) -> None:
        m = self.model
        m.spend = schedule.japan_allocate(m.config, m.setup, m.state, m.steps - 1)


# Named reporters (not lambdas, so models pickle).
def n_sanctioning(model: OutreachModel) -> int:
    lev = model.state.level[0, model.setup.member]
    return int((lev >= model.config.ladder.sanction_level).sum())


def asean_level(model: OutreachModel) -> int:
    return int(model.state.collective[0])


def leakage(model: OutreachModel) -> float:
    return float(model.state.leakage[0])


def budget_spent(model: OutreachModel) -> float:
    return float(model.state.spent[0])


def budget_available(model: OutreachModel) -> float:
    return float(model.state.available[0])


def japan_pressure(model: OutreachModel) -> float:
    return float(model.state.pressure[0])


def coalition_share(model: OutreachModel) -> float:
    return float(model.state.coalition[0])


def agent_stance(agent: Agent) -> float | None:
    return agent.stance if isinstance(agent, CountryAgent) else None


def agent_level(agent: Agent) -> int | None:
    return agent.level if isinstance(agent, CountryAgent) else None


def agent_outreach(agent: Agent) -> float | None:
    if not isinstance(agent, CountryAgent):
        return None
    return float(agent.model.state.outreach[0, agent.index])


class OutreachModel(Model):
    """Japan's outreach to Southeast Asian states for sanctions on Russia.

    Args:
        config: the scenario, parameters, strategy and calendar.
        seed: the run's seed; all model randomness derives from it.
    """

    def __init__(self, config: SimulationConfig, seed: int = 0) -> None:
        super().__init__(rng=np.random.default_rng(seed))
        self.config = config
        self.seed_value = int(seed)
        self.setup, self.state = schedule.prepare(config, np.array([seed]))
        self.spend = np.zeros((len(config.instruments), 1, config.countries.n))
        self.japan = JapanAgent(self)
        self.countries = [
            CountryAgent(self, i, code, name)
            for i, (code, name) in enumerate(
                zip(config.countries.codes, config.countries.names, strict=True)
            )
        ]
        self.datacollector = DataCollector(
            model_reporters={
                "n_sanctioning": n_sanctioning,
                "asean_level": asean_level,
                "leakage": leakage,
                "budget_spent": budget_spent,
                "budget_available": budget_available,
                "japan_pressure": japan_pressure,
                "coalition_share": coalition_share,
            },
            agent_reporters={
                "stance": agent_stance,
                "level": agent_level,
                "outreach": agent_outreach,
            },
        )
        self.datacollector.collect(self)

    @property
    def country_agents(self):  # noqa: ANN201 (mesa AgentSet)
        return self.agents_by_type[CountryAgent]

    def step(self) -> None:
        """One week: events, Japan allocates, outreach lands, countries respond."""
        t = self.steps - 1  # mesa increments ``steps`` before calling ``step``
        cfg = self.config
        schedule.calendar(cfg, self.state, t)
        self.japan.allocate()
        schedule.apply_outreach(cfg, self.setup, self.state, self.spend)
        signals = schedule.environment(cfg, self.setup, self.state)
        shock, slip_u = schedule.draws(self.setup, t, cfg.countries.n)
        self.country_agents.do("respond", signals, shock, slip_u)
        stance, level, target, weight = (
            np.concatenate(parts, axis=1)
            for parts in zip(*(a._pending for a in self.countries), strict=True)
        )
        schedule.conclude(cfg, self.setup, self.state, signals, stance, level, target, weight)
        self.datacollector.collect(self)
        if self.steps >= cfg.calendar.n_steps:
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
            vals = adf[col].to_numpy(dtype=dtype).reshape(t, n)[:, order]
            return vals[None]

        traj = Trajectories.empty(np.array([self.seed_value]), t - 1, n)
        traj.stance = per_country("stance", np.float64)
        traj.level = per_country("level", np.int8)
        traj.outreach = per_country("outreach", np.float64)
        traj.asean_level = mdf["asean_level"].to_numpy(dtype=np.int8)[None]
        traj.leakage = mdf["leakage"].to_numpy(dtype=np.float64)[None]
        traj.spent = mdf["budget_spent"].to_numpy(dtype=np.float64)[None]
        traj.available = mdf["budget_available"].to_numpy(dtype=np.float64)[None]
        traj.pressure = mdf["japan_pressure"].to_numpy(dtype=np.float64)[None]
        traj.coalition = mdf["coalition_share"].to_numpy(dtype=np.float64)[None]
        return traj

    def release(self) -> None:
        """Free framework references (mesa 3.3.1 keeps every model alive, issue #3179)."""
        Agent._ids.pop(self, None)


def run_mesa(config: SimulationConfig, seeds: np.ndarray) -> Trajectories:
    """Run the Mesa model once per seed and stack the trajectories."""
    parts = []
    for seed in np.asarray(seeds, dtype=np.int64):
        model = OutreachModel(config, int(seed))
        parts.append(model.run())
        model.release()
    return Trajectories.concatenate(parts)
