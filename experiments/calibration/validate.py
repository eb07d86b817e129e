"""The validation report (``docs/validation.md``): patterns and what they discriminate,
what the record identifies, what each mechanism does, the reach of outreach, the UN
mandate counterfactual, outcomes over the plausible space, peer spillover and co-movement,
parameters at an end of their range, and the votes.

Every number is simulated when the report is built; every sentence is computed from them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from experiments.calibration.comovement import comovement_markdown
from experiments.calibration.edges import Edge, edge_text, edges, probe_markdown, probe_table
from experiments.calibration.facts import historical_config, load_facts
from experiments.calibration.identification import (
    IDENTIFIED_BELOW,
    NOT_IDENTIFIED_FROM,
    identification_markdown,
    load_identification,
    load_prior_pass_rates,
)
from experiments.calibration.model_report import (
    mandate_markdown,
    mandate_table,
    mechanism_markdown,
    mechanism_table,
    plausible_markdown,
    plausible_space,
    reach_markdown,
    reach_table,
)
from experiments.calibration.observables_report import (
    material_markdown,
    spillover_markdown,
    spillover_points,
    spillover_range_markdown,
    spillover_table,
)
from experiments.calibration.patterns import score, vote_fit
from experiments.calibration.validation_tables import (
    accuracy,
    calibration_text,
    discrimination_text,
    figure_stances,
    figure_votes,
    parameter_uncertainty,
    pattern_rows,
    uncertainty_rows,
    vote_rows,
    vote_table,
)
from experiments.calibration.votefeatures import (
    confidence_section,
    features_section,
    miss_section,
)
from experiments.calibration.votenestedreport import (
    earlier_section,
    load_bound,
    load_nested,
    nested_section,
)
from experiments.calibration.votereport import vote_section
from experiments.calibration.votestep import load_record
from experiments.workflow import atomic, cli, errors, folders, store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CALIBRATION_DIR, CONF_DIR, resolve
from experiments.workflow.schema import EdgeProbeConf, ValidateConf
from sim.config import SimulationConfig
from sim.countries import ATTRIBUTE_NAMES
from sim.engine import simulate
from sim.rng import replicate_seeds
from sim.strategies import STRATEGIES
from sim.votes import VOTE_RULE_DOC, VoteRule

log = logging.getLogger(__name__)

MANDATE_VALUES = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
"""Values of ``mandate_compliance`` the UN-mandate table spans (its documented range)."""


def _identification_text(edge_probes: dict[str, str] | None = None) -> str:
    rows = load_identification()
    statuses = ("identified", "weakly identified", "not identified", "not calibrated", "sourced")
    counts = {s: sum(r.status == s for r in rows) for s in statuses}
    deep = [r.name for r in rows if r.deep]
    return (
        f"For each model parameter: its documented prior range and the 5%, 50% and 95% "
        f"quantiles over the accepted sets of the calibration. A 90% interval covering less "
        f"than {IDENTIFIED_BELOW:.0%} of the prior range counts as identified by the 2022 "
        f"record, {NOT_IDENTIFIED_FROM:.0%} or more as not identified. The accepted sets pool "
        "every fully passing point the search met (not a weighted posterior), so narrow "
        "intervals may partly reflect where the search went. "
        f"{counts['identified']} identified, {counts['weakly identified']} weakly identified, "
        f"{counts['not identified']} not identified, {counts['not calibrated']} not "
        f"calibrated, {counts['sourced']} set from a source. The {len(deep)} not identified "
        "or not calibrated are deep "
        "uncertainties: their whole range stays in play in sweeps and in the analysis "
        "(`python -m experiments.analyse`), never a single calibrated value: "
        + ", ".join(f"`{n}`" for n in deep)
        + ".\n\n"
        + identification_markdown(rows)
        + edge_text(edges(rows), edge_probes or {})
    )


def _edge_probes(
    config: SimulationConfig, found: list[Edge], probe: EdgeProbeConf, seed: int
) -> dict[str, str]:
    """For each parameter at an upper end with no recorded reason: the main job's outcomes
    with it at ``probe.factor`` x its bound, over evenly spaced accepted sets."""
    try:
        sets = store.load_accepted_sets()
    except ConfigError:
        sets = []
    rows = np.unique(np.linspace(0, len(sets) - 1, probe.sets).astype(int)) if sets else []
    chosen = [sets[k] for k in rows]
    cfg = replace(config, budget=float(probe.budget))
    seeds = replicate_seeds(seed + 3, probe.seeds)
    where = (
        f"the main job's settings (budget {cfg.budget:g} units a week, `historical` replaying "
        f"its calendar), {len(chosen)} evenly spaced accepted sets x {probe.seeds} seeds, each "
        "set at its own values ('sets') and with this one parameter past its bound ('probe'), "
        "at the end of the horizon"
    )
    out = {}
    for e in found:
        if e.reason is None and e.end == "high":
            value = probe.factor * e.bound
            table = probe_table(cfg, chosen, probe.strategies, seeds, e.row.name, value)
            out[e.row.name] = probe_markdown(e, value, table, where)
    return out


def build_report(
    n_seeds: int = 500,
    seed: int = 20220224,
    n_boot: int = 200,
    config: SimulationConfig | None = None,
    rule: VoteRule | None = None,
    set_seeds: int = 50,
    max_sets: int = 60,
    reach_plausible: dict[str, float] | None = None,
    spillover: tuple[str, float, dict[str, float]] | None = None,
    edge_probe: EdgeProbeConf | None = None,
) -> tuple[str, dict[str, Figure], dict[str, object]]:
    """The Markdown report, its figures, and a summary of the numbers."""
    config = config or historical_config()
    rule = rule or store.load_vote_rule()
    store.check_vote_cuts(rule, config.params)
    seeds = replicate_seeds(seed, n_seeds)
    traj = simulate(config, seeds)
    null_cfg = config.with_strategy("none")
    null_traj = simulate(null_cfg, seeds)
    results = score(traj, config, rule, n_boot=n_boot, seed=seed)
    null_results = score(null_traj, null_cfg, rule)
    prior = load_prior_pass_rates()
    bound = load_bound(CALIBRATION_DIR)
    votes = vote_table(traj, config, rule, bound)
    null_votes = vote_table(null_traj, null_cfg, rule, bound)
    failed = [r.name for r in results if not r.passed]
    spread = parameter_uncertainty(config, rule, replicate_seeds(seed + 1, set_seeds), max_sets)
    uncertainty = (
        f"Each of {spread['set'].nunique()} accepted sets (evenly spaced), with its own model "
        f"parameters and vote rule, on {set_seeds} common seeds (not the calibration's):\n\n"
        + uncertainty_rows(spread, results)
        if len(spread)
        else "No accepted parameter set found (run `python -m experiments.calibrate`)."
    )
    few = replicate_seeds(seed + 2, 200)
    strategies = [s for s in STRATEGIES if s not in ("none", "historical")]
    mechanisms = mechanism_markdown(mechanism_table(config, seeds))
    sustained = replace(config.with_strategy("uniform"), budget=8.0)
    mechanisms_sustained = mechanism_markdown(mechanism_table(sustained, few))
    reach = reach_markdown(reach_table(config, few, strategies))
    if reach_plausible:
        check_reach_point(reach_plausible)
        values = ", ".join(f"`{k}` = {v:g}" for k, v in reach_plausible.items())
        changed = ", ".join(
            f"`{k}` = {v:g} (installed {getattr(config.params, k):.4g})"
            for k, v in reach_plausible.items()
        )
        plausible = replace(config, params=replace(config.params, **reach_plausible))
        reach += (
            f"\nThe same at another point of the plausible range: the installed values with "
            f"{changed}; each is not identified by the 2022 record, so its whole documented "
            f"range is plausible (`reach_plausible` in `conf/validate.yaml`):\n\n"
            + reach_markdown(reach_table(plausible, few, strategies), f"with {values}")  # fmt: skip
        )
    material = material_markdown(traj, null_traj, config)
    spill = "No spillover point configured (`spillover_point` in `conf/validate.yaml`)."
    if spillover:
        target, budget, point = spillover
        values = ", ".join(f"`{k}` = {v:g}" for k, v in point.items())
        spill = spillover_markdown(
            spillover_table(config, few, target, budget, point), target, budget,
            f"the installed values with {values}, 200 seeds",
        )  # fmt: skip
        others = {k: v for k, v in point.items() if not k.startswith("peer_")}
        tables = [
            (label, spillover_table(config, few, target, budget, p))
            for label, p in spillover_points(load_identification(), others)
        ]
        spill += "\n" + spillover_range_markdown(tables, target, others)
    mandate = mandate_markdown(
        mandate_table(config, few, MANDATE_VALUES), config.params.mandate_compliance
    )
    try:
        accepted = store.load_accepted_sets()
    except ConfigError:
        accepted = []
    space = plausible_space(
        config, accepted, load_identification(), strategies, 400, 32, seed
    )  # fmt: skip
    default_mean = float((traj.level[:, -1] >= config.ladder.sanction_level).sum(axis=1).mean())
    plausible = plausible_markdown(space, default_mean)
    figures = {
        "validation_votes.png": figure_votes(votes),
        "validation_stances.png": figure_stances(traj, config),
    }
    loo = load_record(CALIBRATION_DIR)
    k = ATTRIBUTE_NAMES.index("un_legalism")
    ct = config.countries
    legalism = {
        c: (float(ct.values[k, i]), float(ct.lower[k, i]), float(ct.upper[k, i]))
        for i, c in enumerate(ct.codes)
    }
    confident = loo["in_sample"]["installed"]["confident_cells"] if loo else None
    votes_md = "\n".join(
        [
            nested_section(load_nested(CALIBRATION_DIR), confident),
            confidence_section(load_nested(CALIBRATION_DIR), loo, votes),
            miss_section(load_facts(), loo, load_nested(CALIBRATION_DIR), rule, legalism),
            features_section(load_facts(), rule),
            earlier_section(load_facts()),
            vote_section(loo, votes),
        ]
    )
    probes = (
        _edge_probes(config, edges(load_identification()), edge_probe, seed) if edge_probe else {}
    )
    identification = _identification_text(probes)
    text = f"""# Validation against 2022

Generated by `python -m experiments.validate` (n_seeds={n_seeds}, seed={seed}, bootstrap
{n_boot} resamples for the 90% intervals). Do not edit by hand.

The calibrated configuration (conf/scenario/asean_2022.yaml, the calibrated values of
conf/model/default.yaml and conf/vote_rule/default.yaml, the historical calendar of
conf/calendar/default.yaml, strategy `historical`) is compared with the patterns of 2022
listed in `data/asean_2022.yaml` (targets and scoring: `experiments/calibration/patterns.py`;
calibration: `experiments/calibration/search.py`, results in `data/calibration/`). The null
model runs the same seeds with no outreach (`none`).

**Result: {sum(r.passed for r in results)} of {len(results)} patterns pass.**
{"Failing: " + ", ".join(failed) + "." if failed else "No pattern fails."}

## Patterns

{pattern_rows(results, null_results, prior)}

{discrimination_text(null_results, prior)}

"Passes at random prior points": the share of the calibration's first wave (a Latin
hypercube over every searched parameter's documented range, country attributes drawn from
their priors) passing the pattern. Myanmar: its government (junta) policy is the simulated
stance; its UN votes use the UN seat's own stance (`un_seat_stance`, the ousted
government's envoy). Singapore announced sanctions on 2022-02-28, inside the first weekly
step, so its declared stance is read at `sanction`: the pattern checks that the model keeps
it there.

## What the 2022 record identifies

{identification}

## What each mechanism does at the installed values

Contribution of each mechanism to each member's mean stance over the year (rungs): the
installed model minus the same model with the mechanism's parameters at 0, strategy
`historical`, {n_seeds} common seeds.

{mechanisms}

The same with sustained outreach (strategy `uniform`, 8 budget units a week, 200 seeds), where
outreach, credibility and reactance have something to act on:

{mechanisms_sustained}

## Reach of outreach

For each member, the strategy and weekly budget (1 to 32 budget units; one unit is one
leaders' visit) that holds its mean level above the `none` run's (same seeds) for the most
consecutive weeks at one rung or more, at the installed values, 200 seeds.

{reach}

## The material track

Share of runs at each step of the material track at the end of the horizon (strategy
`historical`, the report's seeds; step definitions: `data/asean_2022.yaml`
`observables_2022_2023.definitions.material_track`; `sanctions` is the ladder's top rung).
The last column is the share at `distancing` or beyond with no outreach (`none`).

{material}

## Peer spillover to a member Japan does not visit

{spill}

## Peer influence against co-movement in 2022

Strategy `historical`, the report's seeds; UN votes up to 2022-04-07 only:

{comovement_markdown(traj, config, rule, seeds)}
## A UN Security Council mandate (counterfactual)

`mandate_compliance` is not calibrated: no mandate existed in 2022 (Russia's veto). Share of
runs at `sanction` at the end of the horizon under a binding mandate from the start
(`institution=unsc`, strategy `historical`, 200 seeds), across its documented range:

{mandate}

## Outcomes over the plausible space (stylised fact 9)

Final number of members at `sanction` at 400 points of the plausible space: an accepted
calibration set x the whole range of every parameter the record does not identify x a
strategy x a budget from 1 to 32 x no institution or a UNSC mandate (every other point),
32 seeds each. Distribution of the points' means:

{plausible}

{calibration_text()}

## Parameter uncertainty (accepted sets)

{uncertainty}

## Votes on the calibration resolutions

{votes_md}

In-sample probabilities (this report's runs, the store's vote rule, each row within the
confidence bound {bound:.4g} of the nested record, as in `experiments.votes`) against the
actual votes and the null model:

![votes](figures/validation_votes.png)

{vote_rows(votes, null_votes)}

## Simulated stances

![stances](figures/validation_stances.png)

## The vote rule

{VOTE_RULE_DOC}
Installed values: {", ".join(f"`{k}` = {v:.3g}" for k, v in vars(rule).items())}.
"""
    summary = {
        "n_passed": sum(r.passed for r in results),
        "n_patterns": len(results),
        "failed": failed,
        "accuracy_model": accuracy(votes, "modal"),
        "accuracy_null": accuracy(null_votes, "modal"),
        "vote_fit": vote_fit(traj, config, rule),
        "default_mean_sanctioning": default_mean,
        "plausible_3_plus": float(np.mean(space["mean_sanctioning"] >= 3)),
    }
    return text, figures, summary


def write_report(text: str, figures: dict[str, Figure], report: Path, figures_dir: Path) -> None:
    """Write the figures and then the report, each atomically."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    report.parent.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        atomic.atomic_write(
            figures_dir / name, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=110)
        )
    atomic.write_text(report, text)


def settings(cfg: DictConfig) -> ValidateConf:
    """The composed settings as a plain ``ValidateConf``, checked."""
    c: ValidateConf = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    if c.n_seeds < 10:
        raise ConfigError("n_seeds", f"must be an integer >= 10, got {c.n_seeds}")
    if c.n_boot < 10:
        raise ConfigError(
            "n_boot", f"must be an integer >= 10 (bootstrap resamples), got {c.n_boot}"
        )
    check_edge_probe(c.edge_probe)
    store.check_vote_cuts(store.load_vote_rule(), store.load_model_params())
    check_reach_point(c.reach_plausible)
    check_reach_point(c.spillover_point, "spillover_point")
    folders.writable("report", resolve(c.report).parent, keep=False)  # before any run
    folders.writable("figures_dir", resolve(c.figures_dir), keep=False)
    return c


def check_edge_probe(probe: EdgeProbeConf) -> None:
    """The edge probe's settings: past the bound, known strategies, at least one set/seed."""
    if not (np.isfinite(probe.factor) and probe.factor > 1.0):
        raise ConfigError("edge_probe.factor", f"must be a number > 1, got {probe.factor}")
    if not (np.isfinite(probe.budget) and probe.budget >= 0):
        raise ConfigError("edge_probe.budget", f"must be a number >= 0, got {probe.budget}")
    for key in ("sets", "seeds"):
        if getattr(probe, key) < 1:
            raise ConfigError(f"edge_probe.{key}", f"must be >= 1, got {getattr(probe, key)}")
    unknown = [s for s in probe.strategies if s not in STRATEGIES]
    if unknown or not probe.strategies:
        raise ConfigError(
            "edge_probe.strategies", f"unknown {unknown or 'empty list'}", sorted(STRATEGIES)
        )


def check_reach_point(point: dict[str, float], name_of: str = "reach_plausible") -> None:
    """Each parameter of a named point must be plausible: one the 2022 record does not
    identify, within its documented range, or one it (weakly) identifies, within the 5-95%
    interval of the accepted sets."""
    rows = {r.name: r for r in load_identification()}
    for name, value in point.items():
        key = f"{name_of}.{name}"
        if name not in rows:
            raise ConfigError(key, "unknown model parameter", sorted(rows))
        r = rows[name]
        lo, hi = (r.low, r.high) if r.deep or r.status == "sourced" else (r.q05, r.q95)
        if r.status == "sourced":
            raise ConfigError(key, "is set from a source, not a plausible range")
        if not (np.isfinite(value) and lo <= value <= hi):
            where = "documented range" if r.deep else f"accepted sets' 5-95% interval ({r.status})"
            raise ConfigError(
                key, f"must be a number in [{lo:.4g}, {hi:.4g}] (its {where}), got {value}"
            )


@hydra.main(config_path=str(CONF_DIR), config_name="validate", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting(ValidateConf):
        c = settings(cfg)
        text, figures, summary = build_report(
            c.n_seeds,
            c.seed,
            c.n_boot,
            reach_plausible=dict(c.reach_plausible),
            spillover=(c.spillover_target, float(c.spillover_budget), dict(c.spillover_point)),
            edge_probe=c.edge_probe,
        )
        out = Path(HydraConfig.get().runtime.output_dir)
        write_report(text, figures, resolve(c.report), resolve(c.figures_dir))
        write_report(text, figures, out / "validation.md", out / "figures")
        log.info(
            "%d/%d patterns pass; failing: %s",
            summary["n_passed"],
            summary["n_patterns"],
            summary["failed"] or "none",
        )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.validate``: regenerate the report and its figures."""
    cli.run_cli("validate", settings, _task, ValidateConf, argv)
