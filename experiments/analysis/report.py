"""The plain-words report of an analysis (``analysis.md``) and its figures.

Every sentence is computed from the tables (robustness, sensitivity, discovery cases): a
strategy is called robust only by a named measure, an input influential only by its
index and interval, a failure region only by a PRIM box with its coverage and density.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.analysis import figures
from experiments.analysis.cases import CaseResult
from experiments.analysis.effort import Effort
from experiments.analysis.report_decision import (
    answer,
    choices_sentence,
    coverage_statement,
    effort_section,
    pairwise_section,
    verdict_matrix,
)
from experiments.analysis.report_text import (
    case_section,
    conclusion,
    institution_split,
    pct,
    sensitivity_words,
)
from experiments.analysis.robustness import Outcome
from experiments.analysis.space import AnalysisSpace
from sim import ModelParams

log = logging.getLogger(__name__)

PREFIX = "analysis_"
"""Figure files are named ``analysis_<what>.png`` (in ``figures/`` beside the report)."""


@dataclass(frozen=True)
class ReportInputs:
    """What the report is computed from."""

    meta: dict[str, Any]  # experiment, uncertainty, seed, n_seeds, strategies, designs, ...
    space: AnalysisSpace
    outcomes: list[Outcome]
    scenarios: pd.DataFrame
    robustness: pd.DataFrame | None
    sensitivity: pd.DataFrame | None
    cases: list[CaseResult]
    pairwise: pd.DataFrame | None = None
    effort: pd.DataFrame | None = None
    headline: tuple[Outcome, ...] = ()  # outcomes of the pair verdicts (default: the first)
    effort_info: Effort | None = None  # Japan's 2022 effort


def labels_for(space: AnalysisSpace) -> dict[str, str]:
    """Short figure labels: ``model.<name>`` -> ``<name>``."""
    names = [*space.names, *(f"model.{n}" for n in space.from_set)]
    return {n: n.removeprefix("model.") for n in names}


def pick_robust(robustness: pd.DataFrame, outcome: str, reference: str) -> dict[str, str | None]:
    """The strategy ranked first by each robustness measure on ``outcome``."""
    rows = robustness[robustness["outcome"] == outcome]
    regret = rows.sort_values(["mean_regret", "max_regret"], kind="stable").iloc[0]["strategy"]
    others = rows[rows["strategy"] != reference]
    beat = others.sort_values("p_better", ascending=False, kind="stable").iloc[0]["strategy"]
    meeting = None
    if rows["share_meeting"].notna().any():
        meeting = rows.sort_values(
            ["share_meeting", "mean_regret"], ascending=[False, True], kind="stable"
        ).iloc[0]["strategy"]
    return {"regret": regret, "beat": beat, "meeting": meeting}


def _robustness_rows(rob: pd.DataFrame, outcome: Outcome) -> str:
    rows = rob[rob["outcome"] == outcome.name].sort_values("mean_regret", kind="stable")
    target = "share meeting target" + (
        f" ({'>=' if outcome.direction == 'higher' else '<='} {outcome.target:g})"
        if outcome.target is not None
        else ""
    )
    lines = [
        f"| strategy | mean [5%, 95%] over worlds | P(better than `{rows['reference'].iloc[0]}`) "
        f"[95% CI] | P(tied) | mean regret | max regret | share best | {target} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows.itertuples(index=False):
        beat = "-" if np.isnan(r.p_better) else (
            f"{pct(r.p_better)} [{pct(r.p_better_low)}, {pct(r.p_better_high)}]"
        )  # fmt: skip
        tied = "-" if np.isnan(r.p_tied) else pct(r.p_tied)
        meeting = "-" if np.isnan(r.share_meeting) else pct(r.share_meeting)
        lines.append(
            f"| `{r.strategy}` | {r.mean:.2f} [{r.p05:.2f}, {r.p95:.2f}] | {beat} | {tied} | "
            f"{r.mean_regret:.2f} | {r.max_regret:.2f} | {pct(r.share_best)} | {meeting} |"
        )
    return "\n".join(lines)


def _explored(space: Any) -> str:
    """What the explore design's worlds hold fixed and over which budgets they range, for
    the robustness title: budgets beyond Japan's 2022 effort are counterfactual efforts."""
    fixed = space.space.fixed
    parts = []
    if fixed.get("institution") == "none":
        parts.append("no Security Council mandate")
    if fixed.get("optional_countries") is False:
        parts.append("the 2022 members only")
    budget = next((d for d in space.space.dimensions if d.name == "budget"), None)
    if budget is not None and "budget" not in fixed and budget.lo is not None:
        parts.append(
            f"budgets {budget.lo:g} to {budget.hi:g} units a week, counterfactual efforts "
            "included; Japan's 2022 effort is the opening paragraph's"
        )
    elif "budget" in fixed:
        parts.append(f"budget {fixed['budget']:g} units a week")
    return f" ({'; '.join(parts)})" if parts else ""


def _design_lines(meta: Mapping[str, Any]) -> str:
    lines = []
    for name, d in meta["designs"].items():
        lines.append(f"- `{name}`: {d['description']} = {d['rows']} points")
    return "\n".join(lines)


def build_report(inputs: ReportInputs) -> tuple[str, dict[str, Figure]]:
    """The Markdown report and its figures (file name -> Figure)."""
    meta, space, outcomes = inputs.meta, inputs.space, inputs.outcomes
    reference, headline = meta["reference"], outcomes[0]
    labels = labels_for(space)
    figs: dict[str, Figure] = {}
    sections: list[str] = []
    robust: dict[str, str | None] = {}
    explore = inputs.scenarios[inputs.scenarios["design"] == "explore"]
    every = inputs.robustness
    rob = None if every is None else every[every["design"] == "explore"]
    headlines = inputs.headline or (headline,)
    if rob is not None and len(rob):
        robust = pick_robust(rob, headline.name, reference)
        points = explore.assign(strategy=explore["strategy"].astype(str))
        figs[f"{PREFIX}outcomes.png"] = figures.outcome_distributions(
            points, outcomes, reference=reference
        )
        figs[f"{PREFIX}regret.png"] = figures.regret_chart(rob, outcomes, reference=reference)
        other = []
        for o in outcomes[1:]:
            pick = pick_robust(rob, o.name, reference)
            best = rob[(rob["outcome"] == o.name) & (rob["strategy"] == pick["beat"])]
            beat = (
                f"most often better than `{reference}`: `{pick['beat']}` "
                f"({pct(best['p_better'].iloc[0])} of paired runs)"
                if best["p_better"].iloc[0] > 0
                else f"no strategy is ever better than `{reference}`"
            )
            other.append(
                f"- {o.label or o.name} ({o.direction} is better): lowest mean regret "
                f"`{pick['regret']}`; {beat}."
            )
        split = institution_split(explore, headline, reference)
        sections.append(
            f"## Which strategy is robust over the explored worlds{_explored(space)}\n\n"
            f"Over the {meta['designs']['explore']['rows']} worlds of the explore design "
            f"(headline outcome: {headline.label or headline.name}):\n\n"
            f"{_robustness_rows(rob, headline)}\n\n"
            "Regret: shortfall from the best strategy in the same world. P(better): share of "
            "(world, seed) pairs, on common seeds, where the strategy strictly beats "
            f"`{reference}`; P(tied): share where both end equal.\n\n"
            + "\n".join(other)
            + (f"\n\n{split}" if split else "")
            + f"\n\n![outcomes](figures/{PREFIX}outcomes.png)\n\n"
            f"![regret](figures/{PREFIX}regret.png)\n"
        )
    else:
        sections.append("## Which strategy is robust\n\nNo explore design in this analysis.\n")
    main = robust.get("regret") or meta["strategies"][0]
    sections += _decision_sections(inputs, headlines, labels, figs, main)
    sens = inputs.sensitivity
    if sens is not None and len(sens):
        text, sens_figs = sensitivity_words(sens, headline, main, reference, labels, PREFIX)
        figs.update(sens_figs)
        sections.append("## Which inputs matter\n\n" + text)
    else:
        sections.append("## Which inputs matter\n\nNo Morris or Sobol' design in this analysis.\n")
    if inputs.cases:
        n_worlds = meta["designs"].get("explore", {}).get("rows", 0)
        pooled = [c for c in inputs.cases if c.strategy == "all"]
        regimes = "\n".join(f"- {coverage_statement(c, n_worlds, space, labels)}" for c in pooled)
        if regimes:
            sections.append("## Where cascades happen\n\n" + regimes + "\n")
        text, case_figs = case_section(inputs.cases, main, labels, PREFIX)
        figs.update(case_figs)
        sections.append("## Where each strategy fails\n\n" + text)
    first = answer(inputs.effort, inputs.pairwise, every, headlines, inputs.effort_info, meta,
                   labels, inputs.scenarios)  # fmt: skip
    top = (
        first
        + "\n\n"
        + conclusion(explore, rob, sens, inputs.cases, headline, reference, robust, labels)
    )
    priors = (
        "country attributes drawn from their priors in every run"
        if meta["sample_priors"]
        else "country attributes at their stated values"
    )
    body = (
        f"# What could Japan have done? Decision analysis\n\n"
        f"Generated by `python -m experiments.analyse{meta['command']}` (experiment "
        f"`{meta['experiment']}`, uncertainty space `{meta['uncertainty']}`, seed "
        f"{meta['seed']}); {meta['n_runs']:,} runs, {meta['runtime']}. Do not edit by hand.\n\n"
        f"{top}\n\n"
        "## What was run\n\n"
        f"{_space_lines(space, meta)}\n\n"
        f"Designs over the {len(space.space.free)} sampled dimensions (D):\n\n"
        f"{_design_lines(meta)}\n\n"
        f"Every point was run for each of {len(meta['strategies'])} strategies "
        f"({', '.join(f'`{s}`' for s in meta['strategies'])}) on the same {meta['n_seeds']} "
        f"seeds, over the full year from {meta['start']} ({meta['n_steps']} weeks); "
        f"{priors}. Outcomes: {_outcome_list(outcomes, meta)}.\n\n" + "\n".join(sections)
    )
    named = top + "\n".join(sections)
    return body + "\n## Inputs named in this report\n\n" + glossary(space, named), figs


def _decision_sections(
    inputs: ReportInputs,
    headlines: tuple[Outcome, ...],
    labels: dict[str, str],
    figs: dict[str, Figure],
    main: str,
) -> list[str]:
    """Effort and cost, the pair verdicts and the mandate what-if."""
    meta, out = inputs.meta, []
    reference, d = meta["reference"], meta["decision"]
    if inputs.effort is not None and len(inputs.effort):
        name = f"{PREFIX}effort.png"
        info = inputs.effort_info
        marks = [m * info.per_week for m in d["multiples"]] if info is not None else []
        figs[name] = figures.effort_chart(inputs.effort, headlines[0], reference, marks)
        out.append(
            "## Effort and cost\n\n"
            + effort_section(
                inputs.effort, inputs.outcomes, headlines, info, reference, d["reach"]
            )  # fmt: skip
            + f"\n\n![effort](figures/{name})\n"
        )
    pw = inputs.pairwise
    if pw is not None and len(pw):
        text = pairwise_section(pw, headlines, meta["strategies"], labels, meta)
        text += "\n" + choices_sentence(pw, headlines[0], main, inputs.space, labels) + "\n"
        out.append("## Which pairs of strategies differ\n\n" + text)
    rob = inputs.robustness
    if rob is not None and "mandate" in set(rob["design"]):
        o = headlines[0]
        rows = rob[(rob["design"] == "mandate") & (rob["outcome"] == o.name)]
        n = int(rows["n_points"].iloc[0])
        text = (
            f"What if the Security Council had given a mandate (`institution = {d['mandate']}`; "
            f"Russia's veto ruled it out)? Over {n} worlds of the mandate design, "
            f"{o.label or o.name}:\n\n{_robustness_rows(rows, o)}\n"
        )
        if pw is not None and "mandate" in set(pw["design"]):
            text += "\nPair verdicts under the mandate:\n\n" + verdict_matrix(
                pw, o.name, meta["strategies"], labels, design="mandate"
            ) + "\n"  # fmt: skip
        out.append("## What-if: a Security Council mandate\n\n" + text)
    return out


def _outcome_list(outcomes: Sequence[Outcome], meta: Mapping[str, Any]) -> str:
    parts = []
    for o in outcomes:
        target = ""
        if o.target is not None:
            target = f", target {'>=' if o.direction == 'higher' else '<='} {o.target:g}"
        if o.name == "weeks_to_kth_adoption":
            target += f"; k = {meta['k_adoptions']}"
        if o.name.startswith("weeks_to_"):
            target += f"; never = {meta['n_steps'] + 1} weeks"
        parts.append(f"{o.label or o.name} (`{o.name}`, {o.direction} is better{target})")
    return "; ".join(parts)


def _space_lines(space: AnalysisSpace, meta: Mapping[str, Any]) -> str:
    free = {d.name for d in space.space.free}
    lines = []
    if "accepted_set" in free:
        lines.append(
            f"- `accepted_set`: one of {len(space.sets)} accepted calibration sets, which "
            f"supplies the {len(space.from_set)} parameters the 2022 record identifies "
            f"(identified or weakly identified): {', '.join(f'`{n}`' for n in space.from_set)}."
        )
    deep = [n for n in space.deep if f"model.{n}" in free]
    if deep:
        lines.append(
            f"- {len(deep)} deep uncertainties (not identified by the record, or never "
            "calibrated), each over its whole documented range: "
            + ", ".join(f"`{n}`" for n in deep)
            + "."
        )
    for d in space.space.dimensions:
        if d.name in free and space.origin.get(d.name) in LISTED:
            span = (
                "{" + ", ".join(str(v).lower() for v in d.values) + "}"
                if d.kind == "categorical"
                else f"[{d.lo:g}, {d.hi:g}]"
            )
            lines.append(f"- `{d.name}` ({space.origin[d.name]}): {span}.")
    for name, value in space.space.fixed.items():
        lines.append(f"- `{name}` held at {str(value).lower()}.")
    lines.append(
        "- Constraints a desk officer would impose: "
        + (
            "the scenario's feasibility restrictions apply (`feasibility` true: "
            + (", ".join(f"no {i} to {c}" for c, i in meta["restrictions"]) or "none listed")
            + "); `feasibility=false` lifts them."
            if meta["feasibility"]
            else "none: `feasibility=false`, every instrument reaches every member."
        )
        + " Indonesia's G20 bridge role as a cost of naming Russia is not modelled: the "
        "model has no term for it, so no strategy pays for it here."
    )
    return "\n".join(lines)


LISTED = ("scenario lever", "uncertainty.model", "strategy design choice")
"""Origins of the dimensions listed one by one in "What was run"."""
PARAM_DOCS = {f"model.{f.name}": f.metadata["doc"] for f in fields(ModelParams)}
LEVER_DOCS = {
    "accepted_set": "which accepted calibration set supplies the identified parameters",
    "budget": "Japan's weekly outreach budget, budget units (1 = one leaders' visit a week)",
    "institution": "backing from the start: `none` (as in 2022; UNGA backing from "
    "2022-03-02) or `unsc` (a UN Security Council mandate, counterfactual)",
    "optional_countries": "the scenario's countries outside its default set simulated too",
    "eligibility": "the targeting strategies' shared eligibility rule: `not_at_ask` (members "
    "not yet at the asked rung) or `not_heading` (also not heading there)",
    "strategy": "Japan's strategy",
}


def glossary(space: AnalysisSpace, text: str) -> str:
    """Meaning and range of every input named (in backticks) in ``text``."""
    ranges = {d.name: d for d in space.space.dimensions}
    rows = ["| input | meaning | range |", "|---|---|---|"]
    seen = set(re.findall(r"`([A-Za-z_.]+)`", text))
    for name, doc in {**LEVER_DOCS, **space.meaning, **PARAM_DOCS}.items():
        short = name.removeprefix("model.")
        if short not in seen and name not in seen:
            continue
        d = ranges.get(name)
        if d is None and name.startswith("model."):
            lo, hi = next(f.metadata["range"] for f in fields(ModelParams) if f.name == short)
            span = f"[{lo:g}, {hi:g}] (from the accepted set)"
        elif d is None:
            span = "-"
        elif d.kind == "categorical":
            span = "{" + ", ".join(str(v).lower() for v in d.values) + "}"
        else:
            span = f"[{d.lo:g}, {d.hi:g}]"
        rows.append(f"| `{short}` | {doc} | {span} |")
    return "\n".join(rows) + "\n"
