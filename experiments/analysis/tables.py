"""The tables of an analysis, computed from its runs: scenarios, robustness, sensitivity.

Every written file follows :data:`SCHEMAS` (column -> (type, meaning)); the README documents
the same dict and the tests check written files against it. Outcomes named ``weeks_to_*``
are NaN in a run that never gets there; here such a run counts as the horizon plus one
week (censored), and the share of runs that got there is reported beside the mean.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.design import Design
from experiments.analysis.robustness import Outcome, robustness_summary
from experiments.analysis.sensitivity import average_replicates, morris_screening, sobol_indices
from experiments.analysis.space import AnalysisSpace, entry_as
from experiments.workflow.errors import ConfigError
from experiments.workflow.schema import OutcomeConf
from sim import SUMMARY_COLUMNS
from sim.results import SUMMARY_DTYPES

log = logging.getLogger(__name__)

RUNS, SCENARIOS = "runs.parquet", "scenarios.parquet"
ROBUSTNESS, SENSITIVITY, DISCOVERY = "robustness.csv", "sensitivity.csv", "discovery.json"
PAIRWISE, EFFORT = "pairwise.csv", "effort.csv"
KEYS = ("design", "point", "strategy")
Z95 = 1.959963984540054

_KEY_DOCS: dict[str, tuple[str, str]] = {
    "design": (
        "dictionary<string>",
        "design: explore, effort, mandate (Latin hypercubes), morris or sobol",
    ),
    "point": ("int32", "row of the design (0-based)"),
    "strategy": ("dictionary<string>", "Japan's strategy (conf/strategy/<name>.yaml)"),
}
SCHEMAS: dict[str, dict[str, tuple[str, str]]] = {
    RUNS: {
        **_KEY_DOCS,
        "seed": ("int64", "replicate seed (the same for every point and strategy)"),
        **{
            name: (np.dtype(SUMMARY_DTYPES[name]).name, doc)
            for name, doc in SUMMARY_COLUMNS.items()
        },
    },
    SCENARIOS: {
        **_KEY_DOCS,
        "<dimension>": (
            "as sampled",
            "one column per dimension of the uncertainty space "
            "(accepted_set, model.<name>, budget, institution, optional_countries, ...)",
        ),
        "<model.parameter from the set>": (
            "float64",
            "value the point's accepted set gives a parameter the 2022 record identifies",
        ),
        "n_seeds": ("int32", "replicates at the point (the same seeds for every strategy)"),
        "<outcome>": ("float64", "mean over seeds (weeks_to_*: never = horizon + 1 week)"),
        "<outcome>_low": (
            "float64",
            "95% interval of the mean over seeds (normal "
            "approximation, clipped to the range of the runs)",
        ),
        "<outcome>_high": ("float64", "upper end of that interval"),
        "<weeks_to_*>_reached": ("float64", "share of runs that got there within the horizon"),
    },  # fmt: skip
    ROBUSTNESS: {
        "design": ("string", "worlds: explore (as Japan faced them) or mandate (what-if)"),
        "strategy": ("string", "strategy"),
        "outcome": ("string", "outcome column (conf/analyse.yaml `outcomes`)"),
        "direction": ("string", "higher or lower is better"),
        "n_points": ("int64", "points of the design (plausible worlds)"),
        "mean": ("float64", "mean over points of the point means"),
        "p05": ("float64", "5th percentile over points"),
        "p50": ("float64", "median over points"),
        "p95": ("float64", "95th percentile over points"),
        "reference": ("string", "strategy compared with (`reference`, default none)"),
        "p_better": (
            "float64",
            "share of (point, seed) pairs where the strategy is strictly "
            "better than the reference (empty for the reference)",
        ),
        "p_better_low": ("float64", "95% interval of p_better (bootstrap over points)"),
        "p_better_high": ("float64", "upper end of that interval"),
        "p_tied": ("float64", "share of pairs where the strategy ties the reference"),
        "mean_regret": (
            "float64",
            "mean over points of the shortfall from the best strategy at the point",
        ),
        "max_regret": ("float64", "largest shortfall over points"),
        "share_best": ("float64", "share of points where the strategy is best or tied best"),
        "target": ("float64", "satisficing target (empty: none)"),
        "share_meeting": ("float64", "share of points whose mean meets the target"),
    },  # fmt: skip
    SENSITIVITY: {
        "method": ("string", "morris or sobol"),
        "strategy": ("string", "strategy whose outcome is explained"),
        "outcome": ("string", "outcome column"),
        "versus": (
            "string",
            "reference strategy of a paired difference (empty: the outcome "
            "itself; else strategy minus versus, per seed)",
        ),
        "dimension": ("string", "input (dimension of the uncertainty space)"),
        "rank": ("int64", "1 = most influential (by mu_star or ST)"),
        "mu_star": ("float64", "Morris: mean absolute elementary effect of a full-range change"),
        "mu_star_low": ("float64", "Morris: 95% bootstrap interval of mu_star"),
        "mu_star_high": ("float64", "upper end of that interval"),
        "mu": ("float64", "Morris: mean signed elementary effect"),
        "sigma": ("float64", "Morris: spread of the elementary effects"),
        "S1": ("float64", "Sobol: first-order index (share of variance, alone)"),
        "S1_low": ("float64", "Sobol: 95% bootstrap interval of S1"),
        "S1_high": ("float64", "upper end of that interval"),
        "ST": ("float64", "Sobol: total index (with every interaction)"),
        "ST_low": ("float64", "Sobol: 95% bootstrap interval of ST"),
        "ST_high": ("float64", "upper end of that interval"),
        "n_points": ("int64", "design points the indices are computed on"),
        "n_seeds": ("int64", "replicates averaged per point"),
        "seed_se": ("float64", "mean standard error of the point means (seed noise)"),
        "seed_noise_share": (
            "float64",
            "share of the variance of the point means that is "
            "seed noise (near 0: the indices read signal)",
        ),
    },  # fmt: skip
    PAIRWISE: {
        "design": ("string", "worlds: explore (as faced, budget varies), effort, mandate"),
        "budget": ("float64", "budget of the effort design's worlds (empty: it varies)"),
        "outcome": ("string", "headline outcome (conf/analyse.yaml `decision.headline`)"),
        "strategy_a": ("string", "first strategy of the pair"),
        "strategy_b": ("string", "second strategy of the pair"),
        "n_worlds": ("int64", "worlds (design points) compared"),
        "mean_difference": ("float64", "mean over worlds of a minus b (outcome units)"),
        "share_a_better": (
            "float64",
            "share of worlds where a is better: 95% interval of the paired difference over "
            "seeds excludes 0",
        ),
        "share_b_better": ("float64", "the same for b"),
        "better": ("string", "the better strategy of a distinguishable pair (else empty)"),
        "decider": ("string", "depends: input whose one split best predicts the sign"),
        "decider_rule": ("string", "that split, e.g. `>= 3.2` or `in {aid}`"),
        "decider_score": ("float64", "share of the sign's Gini impurity the split removes"),
        "share_a_better_in": ("float64", "share of worlds inside the split where a is better"),
        "share_b_better_in": ("float64", "share of worlds inside the split where b is better"),
        "share_a_better_out": ("float64", "the same outside the split, for a"),
        "share_b_better_out": ("float64", "the same outside the split, for b"),
        "verdict": (
            "string",
            "distinguishable (one better in >= decision.verdict_share of worlds), "
            "indistinguishable (separated in < decision.min_separated) or depends",
        ),
    },  # fmt: skip
    EFFORT: {
        "design": ("string", "explore (budget bands, doublings) or effort (fixed budgets)"),
        "budget_low": ("float64", "lowest budget of the band, units a week"),
        "budget_high": ("float64", "highest budget of the band (= budget_low: one budget)"),
        "strategy": ("string", "strategy"),
        "outcome": ("string", "outcome column"),
        "n_worlds": ("int64", "worlds in the band"),
        "mean": ("float64", "mean over worlds of the point means"),
        "gain": ("float64", "mean minus the reference's mean (same worlds and seeds)"),
        "spent": ("float64", "mean budget spent over the year, budget units"),
        "gain_per_100": ("float64", "gain per 100 budget units spent"),
        "share_better": (
            "float64",
            "share of worlds where the strategy beats the reference (95% interval over seeds "
            "excludes 0)",
        ),
        "share_best": ("float64", "share of worlds where its point mean is best or tied best"),
        "target": ("float64", "satisficing target (empty: none)"),
        "share_meeting": ("float64", "share of worlds whose point mean meets the target"),
    },  # fmt: skip
}
"""Every column of every analysis table: (type, meaning). ``discovery.json`` is described
in the README."""


# --------------------------------------------------------------------------- outcomes
def outcomes_from_conf(conf: Mapping[str, Any]) -> list[Outcome]:
    """The configured outcomes (first = headline); one-line error on a bad one."""
    if not conf:
        raise ConfigError("outcomes", "at least one outcome is needed", list(SUMMARY_COLUMNS))
    out = []
    for name, raw in conf.items():
        entry = entry_as(OutcomeConf, f"outcomes.{name}", raw)
        if name not in SUMMARY_COLUMNS:
            raise ConfigError(f"outcomes.{name}", "not an outcome measure", list(SUMMARY_COLUMNS))
        if entry.direction not in ("higher", "lower"):
            raise ConfigError(
                f"outcomes.{name}.direction", f"got {entry.direction!r}", ["higher", "lower"]
            )
        if entry.target is not None and not _number(entry.target):
            raise ConfigError(f"outcomes.{name}.target", f"must be a number, got {entry.target!r}")
        target = None if entry.target is None else float(entry.target)
        out.append(Outcome(name, entry.direction, target, entry.unit, entry.label))  # type: ignore[arg-type]
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def censor(runs: pd.DataFrame, n_steps: int) -> pd.DataFrame:
    """``weeks_to_*`` columns with never (NaN) as ``n_steps + 1``, and ``<name>_reached``."""
    frame = runs.copy()
    for name in [c for c in frame.columns if c.startswith("weeks_to_")]:
        reached = frame[name].notna()
        frame[f"{name}_reached"] = reached.astype(float)
        frame[name] = frame[name].where(reached, float(n_steps + 1))
    return frame


def scenarios_table(
    runs: pd.DataFrame,
    designs: Mapping[str, Design],
    space: AnalysisSpace,
    outcomes: Sequence[Outcome],
) -> pd.DataFrame:
    """One row per design point x strategy: inputs, seeds, outcome means and intervals.

    ``runs`` must be censored (:func:`censor`)."""
    names = [o.name for o in outcomes]
    extra = [f"{n}_reached" for n in names if f"{n}_reached" in runs.columns]
    grouped = runs.groupby(list(KEYS), sort=False, observed=True)
    stats = grouped[names].agg(["mean", "std", "min", "max", "size"])
    table = pd.DataFrame(index=stats.index)
    table["n_seeds"] = stats[(names[0], "size")].astype(np.int32)
    for name in names:
        mean, sd = stats[(name, "mean")], stats[(name, "std")].fillna(0.0)
        half = Z95 * sd / np.sqrt(table["n_seeds"])
        table[name] = mean
        table[f"{name}_low"] = np.maximum(mean - half, stats[(name, "min")])
        table[f"{name}_high"] = np.minimum(mean + half, stats[(name, "max")])
    for name in extra:
        table[name] = grouped[name].mean()
    table = table.reset_index()
    inputs = []
    for design_name, design in designs.items():
        values = design.values
        from_set = pd.DataFrame(
            [space.set_values(r) for _, r in values.iterrows()], index=values.index
        )
        frame = pd.concat([values, from_set], axis=1).reset_index()
        frame.insert(0, "design", design_name)
        inputs.append(frame)
    inputs_table = pd.concat(inputs, ignore_index=True)
    table["design"] = table["design"].astype(str)
    table = inputs_table.merge(table, on=["design", "point"], how="right", validate="one_to_many")
    columns = [*KEYS, *[c for c in inputs_table.columns if c not in KEYS]]
    columns += [c for c in table.columns if c not in columns]
    return table[columns].sort_values(list(KEYS[:2]), kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- robustness
def robustness_table(
    scenarios: pd.DataFrame,
    runs: pd.DataFrame,
    outcomes: Sequence[Outcome],
    reference: str,
    seed: int,
    n_boot: int = 1000,
    design: str = "explore",
) -> pd.DataFrame:
    """Per strategy and outcome over a design's points (``SCHEMAS[ROBUSTNESS]``)."""
    names = [o.name for o in outcomes]
    points = scenarios.loc[scenarios["design"] == design, ["point", "strategy", *names]]
    per_seed = runs.loc[runs["design"] == design, ["point", "strategy", "seed", *names]]
    points = points.assign(strategy=points["strategy"].astype(str))
    per_seed = per_seed.assign(strategy=per_seed["strategy"].astype(str))
    table = robustness_summary(
        points, outcomes, reference, per_seed=per_seed, n_boot=n_boot, seed=seed
    )
    table = table.rename(columns={"ci_low": "p_better_low", "ci_high": "p_better_high"})
    direction = {o.name: o.direction for o in outcomes}
    table["direction"] = table["outcome"].map(direction)
    table["reference"] = reference
    table["design"] = design
    return table[list(SCHEMAS[ROBUSTNESS])]


# --------------------------------------------------------------------------- sensitivity
Groups = dict[tuple[str, str], pd.DataFrame]


def _per_seed(groups: Groups, design: str, strategy: str, name: str) -> pd.DataFrame:
    rows = groups[(design, strategy)]
    return rows[["point", "seed", name]].sort_values(["point", "seed"], kind="stable")


def _paired(groups: Groups, design: str, strategy: str, versus: str, name: str) -> pd.DataFrame:
    a = _per_seed(groups, design, strategy, name).set_index(["point", "seed"])[name]
    b = _per_seed(groups, design, versus, name).set_index(["point", "seed"])[name]
    return (a - b.reindex(a.index)).rename(name).reset_index()


def _indices(method: str, design: Design, means: pd.Series, n_boot: int, seed: int):
    """Morris (by mu*) or Sobol' (by ST) indices of one outcome, ranked, with intervals."""
    if method == "morris":
        index = morris_screening(
            design.unit, means, design.names, design.num_levels or 4,
            num_resamples=n_boot, seed=seed,
        )  # fmt: skip
        index["mu_star_low"] = index["mu_star"] - index["mu_star_conf"]
        index["mu_star_high"] = index["mu_star"] + index["mu_star_conf"]
        return index
    result = sobol_indices(
        means, design.names, bool(design.calc_second_order), num_resamples=n_boot, seed=seed
    )
    index = result.indices.sort_values("ST", ascending=False, kind="stable")
    index["rank"] = np.arange(1, len(index) + 1)
    return index


def sensitivity_table(
    runs: pd.DataFrame,
    designs: Mapping[str, Design],
    strategies: Sequence[str],
    outcomes: Sequence[str],
    reference: str | None,
    n_boot: int,
    seed: int,
) -> pd.DataFrame:
    """Morris and Sobol' indices of each outcome of each strategy and, with a
    ``reference``, of each paired difference strategy minus reference
    (``SCHEMAS[SENSITIVITY]``). Seeds are averaged per point first."""
    parts = []
    groups: Groups = {
        (str(d), str(s)): rows
        for (d, s), rows in runs.groupby(["design", "strategy"], observed=True, sort=False)
    }
    for method in ("morris", "sobol"):
        design = designs.get(method)
        if design is None:
            continue
        for strategy in strategies:
            for name in outcomes:
                jobs = [("", _per_seed(groups, method, strategy, name))]
                if reference is not None and strategy != reference:
                    jobs.append((reference, _paired(groups, method, strategy, reference, name)))
                for versus, per_seed in jobs:
                    means, noise = average_replicates(per_seed, name)
                    if len(means) != design.n_rows:
                        raise ValueError(f"{method}: {len(means)} of {design.n_rows} points run")
                    if np.ptp(means["mean"].to_numpy()) == 0:
                        log.info("%s %s %s-%s: constant, no indices", method, strategy, name,
                                 versus)  # fmt: skip
                        continue
                    with warnings.catch_warnings():  # a block of constant runs is not news
                        warnings.filterwarnings("ignore", "Constant values", UserWarning)
                        index = _indices(method, design, means["mean"], n_boot, seed)
                    index = index.assign(
                        method=method, strategy=strategy, outcome=name, versus=versus,
                        n_points=len(means), n_seeds=noise.n_seeds_min,
                        seed_se=noise.mean_standard_error,
                        seed_noise_share=noise.noise_share_means,
                    )  # fmt: skip
                    parts.append(index)
    if not parts:
        return pd.DataFrame(columns=list(SCHEMAS[SENSITIVITY]))
    table = pd.concat(parts, ignore_index=True)
    noise = table.drop_duplicates(["method", "strategy", "outcome", "versus"])
    worst = noise.loc[noise["seed_noise_share"].idxmax()]
    log.info(
        "sensitivity: %d analyses; seed noise above 20%% of the variance of the point means in "
        "%d (largest %.0f%%: %s %s %s%s)",
        len(noise),
        int((noise["seed_noise_share"] > 0.2).sum()),
        100 * worst["seed_noise_share"],
        worst["method"],
        worst["strategy"],
        worst["outcome"],
        f" - {worst['versus']}" if worst["versus"] else "",
    )
    for column in SCHEMAS[SENSITIVITY]:
        if column not in table.columns:
            table[column] = np.nan
    return table[list(SCHEMAS[SENSITIVITY])]
