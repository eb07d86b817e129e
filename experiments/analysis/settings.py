"""An analysis config, converted and checked once: the space, the point configs, the
outcomes, the designs and the run plan.

:func:`settings` is the conversion the command line checks before Hydra creates a folder:
bad input raises a one-line :class:`~experiments.workflow.errors.ConfigError` naming the
key (exit status 2, nothing written).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from experiments.analysis.cases import check_cases
from experiments.analysis.design import Design
from experiments.analysis.effort import Effort, historical_effort
from experiments.analysis.robustness import Outcome
from experiments.analysis.runner import Plan, make_designs
from experiments.analysis.space import AnalysisSpace, PointConfigs, build_space, experiment_conf
from experiments.analysis.tables import outcomes_from_conf
from experiments.workflow import folders
from experiments.workflow.convert import replicate
from experiments.workflow.errors import ConfigError, sim_errors
from experiments.workflow.manifest import file_sha256
from experiments.workflow.paths import ROOT, resolve
from experiments.workflow.schema import AnalyseConf
from sim import INSTITUTIONS
from sim.strategies import STRATEGIES, resolve_options


@dataclass(frozen=True)
class Settings:
    """Everything an analysis needs, as plain values."""

    c: AnalyseConf
    space: AnalysisSpace
    configs: PointConfigs
    outcomes: list[Outcome]
    designs: dict[str, Design]
    plan: Plan
    effort: Effort | None = None  # Japan's 2022 effort (None: no `historical` strategy known)
    headline: tuple[Outcome, ...] = ()  # outcomes of the pair verdicts (first: the lead)

    @property
    def strategies(self) -> list[str]:
        return list(self.plan.strategies)


def _at_least(key: str, value: int, lo: int) -> None:
    if value < lo:
        raise ConfigError(key, f"must be an integer >= {lo}, got {value!r}")


def settings(cfg: DictConfig | AnalyseConf) -> Settings:
    """Convert and check a composed analysis config (one-line ``ConfigError`` on bad input)."""
    c: AnalyseConf = OmegaConf.to_object(cfg) if isinstance(cfg, DictConfig) else cfg  # type: ignore[assignment]
    _at_least("workers", c.workers, 1)
    _at_least("chunk_points", c.chunk_points, 1)
    _at_least("pilot_points", c.pilot_points, 1)
    _at_least("k_adoptions", c.k_adoptions, 1)
    _at_least("sensitivity.n_boot", c.sensitivity.n_boot, 10)
    if c.publish:  # before any run, not after the analysis
        folders.writable("report", resolve(c.report).parent, keep=False)
        folders.writable("figures_dir", resolve(c.figures_dir), keep=False)
    seeds = replicate(experiment_conf(c))
    space = build_space(c.uncertainty, c.scenario)
    configs = PointConfigs(c, space)
    if c.reference not in configs.strategies:
        raise ConfigError(
            "reference", f"{c.reference!r} is not among the strategies", configs.strategies
        )
    if len(configs.strategies) < 2:
        raise ConfigError(
            "strategies",
            f"the analysis compares strategies with the reference {c.reference!r} (regret, "
            "paired differences): name at least one other strategy",
            ["all", *STRATEGIES],
        )
    outcomes = outcomes_from_conf(c.outcomes)
    names = [o.name for o in outcomes]
    for name in c.sensitivity.outcomes:
        if name not in names:
            raise ConfigError("sensitivity.outcomes", f"{name!r} is not an outcome", names)
    check_cases(c.discovery, configs.strategies, names)
    headline, effort = _decision(c, configs, outcomes)
    budgets = [effort.per_week * m for m in c.decision.effort_multiples]
    designs = make_designs(space.space, c.designs, c.seed, budgets, c.decision.mandate)
    plan = Plan(designs, tuple(configs.strategies), seeds, c.chunk_points)
    return Settings(c, space, configs, outcomes, designs, plan, effort, headline)


def _decision(
    c: AnalyseConf, configs: PointConfigs, outcomes: list[Outcome]
) -> tuple[tuple[Outcome, ...], Effort]:
    """The headline outcomes and Japan's 2022 effort (one-line errors on bad keys)."""
    d = c.decision
    by_name = {o.name: o for o in outcomes}
    for name in d.headline:
        if name not in by_name:
            raise ConfigError("decision.headline", f"{name!r} is not an outcome", list(by_name))
    headline = tuple(by_name[n] for n in d.headline) or (outcomes[0],)
    if d.historical not in STRATEGIES:
        raise ConfigError("decision.historical", f"unknown strategy {d.historical!r}",
                          list(STRATEGIES))  # fmt: skip
    bad = [m for m in d.effort_multiples if not _positive(m)]
    if bad or not d.effort_multiples:
        raise ConfigError("decision.effort_multiples", f"needs numbers > 0, got {bad or '[]'}")
    if d.mandate not in INSTITUTIONS:
        raise ConfigError("decision.mandate", f"unknown institution {d.mandate!r}", INSTITUTIONS)
    for key, lo in (("verdict_share", 0.5), ("min_separated", 0.0), ("reach", 0.0)):
        value = getattr(d, key)
        if not (_positive(value) or value == 0) or not lo <= value <= 1 or value == 0.5 == lo:
            raise ConfigError(f"decision.{key}", f"must be a number in [{lo}, 1], got {value!r}")
    with sim_errors("strategy_options"):
        options = resolve_options(d.historical, c.strategy_options.get(d.historical, {}))
    base = configs.bases[next(iter(configs.bases))][0][1]
    return headline, historical_effort(base, d.historical, options)


def _positive(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


RESULT_KEYS = (
    "strategies", "strategy_options", "n_seeds", "seed", "chunk_points", "k_adoptions",
    "budget", "institution", "sample_priors", "eligibility", "effort", "feasibility",
    "designs", "uncertainty", "scenario", "model", "calendar", "instruments",
)  # fmt: skip
"""Config keys the runs depend on (the rest, e.g. outcomes or workers, does not)."""


def fingerprint(s: Settings) -> str:
    """What the runs depend on: the config keys of :data:`RESULT_KEYS`, the accepted sets
    and the model's source code: the key of the analysis's run ledger (a folder holding
    another key is refused, so chunks of another analysis are never mixed in)."""
    config = asdict(s.c)
    payload: dict[str, Any] = {k: config[k] for k in RESULT_KEYS}
    payload["decision"] = {k: config["decision"][k] for k in ("historical", "effort_multiples",
                                                              "mandate")}  # fmt: skip
    accepted = resolve(s.c.uncertainty.calibration_dir) / "accepted.parquet"
    payload["accepted"] = file_sha256(accepted) if accepted.exists() else None
    digest = hashlib.sha256()
    for path in sorted((ROOT / "sim").glob("*.py")):
        digest.update(path.read_bytes())
    payload["sim"] = digest.hexdigest()
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def design_info(s: Settings) -> dict[str, dict[str, Any]]:
    """Per design: method, size parameters and rows, in words for the report."""
    d = len(s.space.space.free)
    out = {}
    for name, design in s.designs.items():
        if name == "effort" and s.effort is not None:
            budgets = ", ".join(f"{m:g} x {s.effort.per_week:.2f} = {m * s.effort.per_week:.2f}"
                                for m in s.c.decision.effort_multiples)  # fmt: skip
            words = f"Latin hypercube of {design.n} points, each run at budgets {budgets}"
        elif name == "mandate":
            words = (
                f"Latin hypercube of {design.n} points with institution "
                f"`{s.c.decision.mandate}` (what-if)"
            )
        elif design.method == "lhs":
            words = f"Latin hypercube of {design.n} points"
        elif design.method == "morris":
            words = (
                f"Morris screening, {design.n} trajectories x (D + 1 = {d + 1}) on "
                f"{design.num_levels} levels"
            )
        else:
            per = f"2D + 2 = {2 * d + 2}" if design.calc_second_order else f"D + 2 = {d + 2}"
            words = (
                f"Sobol' (Saltelli) design, N = {design.n} x ({per}), second-order indices "
                f"{'on' if design.calc_second_order else 'off'}"
            )
        out[name] = {
            "method": design.method,
            "n": design.n,
            "dimensions": d,
            "rows": design.n_rows,
            "description": words,
        }
    return out
