"""The Mesa model: country agents respond to Japan's outreach each week.

This is the reference implementation (and what an interactive view steps through). Each
:class:`CountryAgent` owns its attributes and state as Python numbers and applies the
rules of :mod:`sim.rules` to itself; :class:`JapanAgent` observes the countries and
spends its budget with the strategy's rule. The compiled ensemble kernel
(:mod:`sim.kernel`) runs the same rules in the same order, so both give identical runs.

Random numbers: every draw is ``sim.rng.uniform(key, stream, step, index)``, a pure
function of the run's seed (counter-based), so a draw does not depend on the order in
which agents act or on the driver. Mesa's own ``model.rng``/``model.random`` are seeded
with the same seed but the rules never use them.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent, DataCollector, Model

from sim import japan, rng, rules
from sim.config import SimulationConfig
from sim.countries import ATTRIBUTE_NAMES, sample_attribute
from sim.kernel import build_world
from sim.numerics import pairwise_sum
from sim.results import Trajectories
from sim.rules import Signals
from sim.strategies import Observation, get_strategy


class CountryAgent(Agent):
    """A Southeast Asian state with a continuous stance and a rung on the ladder."""

    def __init__(self, model: OutreachModel, index: int) -> None:
        super().__init__(model)
        world, table = model.world, model.config.countries
        self.index = index
        self.code = table.codes[index]
        self.country_name = table.names[index]
        for row, attr in enumerate(ATTRIBUTE_NAMES):
            if world.sample_priors:
                value = sample_attribute(
                    model.key, row, index, float(world.lower[row, index]),
                    float(world.upper[row, index]),
                )  # fmt: skip
            else:
                value = float(world.values[row, index])
            setattr(self, attr, value)
        self.member = bool(world.member[index])
        p, lad = model.p, model.lad
        self.threshold = rules.initial_threshold(p, model.draw(rng.STREAM_THRESHOLD, 0, index))
        self.stance = rules.initial_stance(p, self, model.draw(rng.STREAM_INITIAL, 0, index), lad)
        self.outreach_stock = 0.0
        self.visible = 0.0
        self.received = 0.0
        self.russia_ties = rules.russia_ties(self)
        self.tolerance = rules.reactance_tolerance(p, self)
        self.deterred = rules.deterred_share(p, self)
        self.static_num, self.static_den = rules.fixed_pull(p, self, lad)
        self.target = self.stance
        self.weight_total = 1.0
        self.boundary = rules.sanction_boundary(p, self, p.coalition_base, model.institution)
        self.level = rules.rungs_below(self.stance, self.boundary, lad)
        self.signals: Signals | None = None

    @property
    def level_name(self) -> str:
        return self.model.config.ladder.name(self.level)

    def receive(self, effect: float, seen: float, received: float, decay: float) -> None:
        """Japan's outreach lands: the stock decays and grows; visible pressure is felt
        unless the state already does what Japan asks."""
        m = self.model
        credibility = m.japan.credibility
        self.outreach_stock = japan.grown_stock(self.outreach_stock, decay, credibility, effect)
        self.visible = japan.felt_pressure(m.japan.visibility_mult, seen, self.level, m.lad)
        self.received = received

    def perceive(self) -> None:
        """Read the week's signals: coalition, neighbours (a loop over ties), ASEAN, the
        sanction boundary; all from the levels at the start of the week."""
        m = self.model
        peer_mean, peer_pulling = rules.peer_signal(m.world.ties, self.index, m.levels())
        self.boundary = rules.sanction_boundary(m.p, self, m.perceived_coalition, m.institution)
        self.signals = Signals(
            m.perceived_coalition, m.regional_share, peer_mean, peer_pulling, m.collective,
            self.boundary, m.institution,
        )  # fmt: skip

    def respond(self) -> None:
        """Move the stance toward the target set by the forces this state perceives."""
        m = self.model
        draws = rules.weekly_draws(m.key, m.steps - 1, self.index, self.level, m.lad)
        rules.respond(m.p, self, self.signals, draws, m.lad)


class JapanAgent(Agent):
    """Japan: spends a weekly diplomatic budget according to its strategy."""

    def __init__(self, model: OutreachModel) -> None:
        super().__init__(model)
        p, world = model.p, model.world
        self.pressure = p.japan_pressure_initial
        self.record = 0.0  # most members ever at 'sanction' (set once the countries exist)
        self.g7_stock = 0.0
        self.available = japan.budget_available(p, world.budget, self.pressure)
        self.spent = 0.0
        self.week = 0
        self.credibility = 1.0
        self.visibility_mult = 1.0
        countries = model.countries
        attrs = np.array([[getattr(a, attr) for a in countries] for attr in ATTRIBUTE_NAMES])
        self.leverage = np.empty((len(world.lev_row), len(countries)))
        self.usable = np.empty(self.leverage.shape, dtype=bool)
        japan.instrument_reach(
            attrs, world.lev_row, world.req_row, world.inst.kind, self.leverage, self.usable
        )

    def allocate(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Observe the countries; return this week's spending ``(K, N)`` and its total per
        instrument ``(K,)``."""
        m, p = self.model, self.model.p
        world, countries = m.world, m.countries
        self.week = week
        self.visibility_mult = japan.visibility_multiplier(p, self.pressure)
        self.available = japan.budget_available(p, world.budget, self.pressure)
        self.credibility = japan.credibility(p, self.g7_stock, m.institution)
        obs = Observation(
            self, countries, self.leverage, world.centrality, world.visits, world.inst,
            world.index, m.lad, p, np.empty((8, len(countries))),
        )  # fmt: skip
        wanted = np.zeros(self.leverage.shape)
        m.strategy(obs, m.strategy_options, wanted)
        spend = np.empty_like(wanted)
        totals = np.empty(wanted.shape[0])
        japan.enforce_budget(wanted, self.usable, self.available, spend, totals)
        return spend, totals

    def reach_out(self, spend: np.ndarray, totals: np.ndarray) -> None:
        """Spend: each country receives its outreach; G7 coordination builds credibility."""
        m = self.model
        flows = np.empty((3, spend.shape[1]))
        g7_flow, self.spent = japan.outreach_flows(
            spend, totals, m.world.inst, self.leverage, m.world.member_share, flows
        )
        decay = japan.decay_rate(m.p, m.institution)
        for a in m.countries:
            a.receive(flows[0, a.index], flows[1, a.index], flows[2, a.index], decay)
        self.g7_stock = japan.grown_stock(self.g7_stock, decay, 1.0, g7_flow)

    def feel_pressure(self, adopters: float) -> None:
        """Ruling-party pressure follows real progress: new members at 'sanction'."""
        self.pressure, self.record = japan.japan_pressure(
            self.model.p, self.pressure, self.record, adopters
        )


# Named reporters (not lambdas, so models pickle).
def n_sanctioning(model: OutreachModel) -> int:
    return rules.members_at_least(model.levels(), model.world.member, model.lad.sanction_level)


def asean_level(model: OutreachModel) -> int:
    return model.collective


def leakage(model: OutreachModel) -> float:
    return model.leakage


def budget_spent(model: OutreachModel) -> float:
    return model.japan.spent


def budget_available(model: OutreachModel) -> float:
    return model.japan.available


def japan_pressure(model: OutreachModel) -> float:
    return model.japan.pressure


def coalition_share(model: OutreachModel) -> float:
    return model.coalition


def agent_stance(agent: Agent) -> float | None:
    return agent.stance if isinstance(agent, CountryAgent) else None


def agent_level(agent: Agent) -> int | None:
    return agent.level if isinstance(agent, CountryAgent) else None


def agent_outreach(agent: Agent) -> float | None:
    return agent.received if isinstance(agent, CountryAgent) else None


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
        self.strategy = get_strategy(config.strategy).fn
        self.strategy_options = getattr(self.world.options, config.strategy)
        self.institution = self.world.institution
        self.countries = [CountryAgent(self, i) for i in range(config.countries.n)]
        self.japan = JapanAgent(self)
        self.japan.record = self.adopters()
        self.perceived_coalition = self.p.coalition_base
        self.coalition = self.p.coalition_base
        self.collective = rules.collective_level(self.levels(), self.world.member)
        self.leakage = self.total_leakage()
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

    def draw(self, stream: int, step: int, index: int) -> float:
        """The run's uniform number for a stream, week and country (counter-based)."""
        return rng.uniform(self.key, stream, step, index)

    def levels(self) -> np.ndarray:
        """Every country's rung this week, in scenario order."""
        return np.array([a.level for a in self.countries], dtype=np.int64)

    def coalition_now(self) -> float:
        adopters = rules.count_at_least(self.levels(), self.lad.sanction_level)
        return rules.coalition_share(self.p, adopters, len(self.countries))

    def total_leakage(self) -> float:
        """Russian trade through non-adopters, summed over countries."""
        flows = np.array(
            [rules.leakage_flow(self.p, a, self.coalition, self.lad) for a in self.countries]
        )
        return pairwise_sum(flows, 0, len(flows))

    def step(self) -> None:
        """One week ``t -> t + 1``; the ensemble kernel runs the same phases in this order:

        1. calendar: dated institutional events of week ``t`` take effect (never below
           the configured backing);
        2. Japan allocates: it observes every country and its strategy spends the week's
           budget (raised by domestic pressure), trimmed to what is usable and available;
        3. outreach lands: outreach stocks decay and grow with credibility; visible
           pressure is felt by states not yet doing what Japan asks;
        4. countries perceive: the coalition share, their neighbours' levels, ASEAN's
           collective level and their sanction boundary, all from week-``t`` levels;
        5. countries respond: each moves its stance toward its target and updates its
           level (synchronous update);
        6. conclude: Japan's domestic pressure follows the members' moves; the coalition
           share, ASEAN's collective level and leakage are updated.
        """
        week = self.steps - 1  # mesa increments ``steps`` before calling ``step``
        self.apply_calendar(week)
        spend, totals = self.japan.allocate(week)
        self.japan.reach_out(spend, totals)
        self.perceived_coalition = self.coalition_now()
        self.regional_share = rules.regional_share(self.levels(), self.world.member, self.lad)
        self.agents_by_type[CountryAgent].do("perceive")
        self.agents_by_type[CountryAgent].do("respond")
        self.japan.feel_pressure(self.adopters())
        self.coalition = self.coalition_now()
        self.collective = rules.collective_level(self.levels(), self.world.member)
        self.leakage = self.total_leakage()
        self.datacollector.collect(self)
        if self.steps >= self.config.calendar.n_steps:
            self.running = False

    def apply_calendar(self, week: int) -> None:
        """Dated institutional events of the week (never below the configured backing)."""
        event = self.world.institution_events[week]
        if not np.isnan(event):
            self.institution = float(event)

    def adopters(self) -> float:
        """Members at 'sanction' (what Japan asks of them)."""
        return float(
            rules.members_at_least(self.levels(), self.world.member, self.lad.sanction_level)
        )

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
