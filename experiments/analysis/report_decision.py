"""Sentences and tables of the decision Japan faced, each computed from a table: the
opening answer, effort and cost, the pair verdicts, the mandate what-if and the regimes'
coverage statements. Helpers of :mod:`experiments.analysis.report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.cases import CaseResult
from experiments.analysis.effort import Effort, cheapest
from experiments.analysis.report_text import box_words, informative, pct
from experiments.analysis.robustness import Outcome
from experiments.analysis.space import STRATEGY_PREFIX, AnalysisSpace

SYMBOL = {"distinguishable": "", "indistinguishable": "=", "depends": "~"}


def _what(o: Outcome) -> str:
    return o.label or o.name


def _num(x: float, o: Outcome) -> str:
    return f"{x:+.2f} {o.unit}".rstrip()


def _pair(pairwise: pd.DataFrame, design: str, budget: float, outcome: str, a: str, b: str):
    """The verdict row of ``a`` and ``b`` (either order) as a dict seen from ``a``."""
    rows = pairwise[(pairwise["design"] == design) & (pairwise["outcome"] == outcome)]
    if not np.isnan(budget):
        rows = rows[np.isclose(rows["budget"], budget)]
    hit = rows[(rows["strategy_a"] == a) & (rows["strategy_b"] == b)]
    if len(hit):
        return hit.iloc[0].to_dict()
    r = rows[(rows["strategy_a"] == b) & (rows["strategy_b"] == a)].iloc[0].to_dict()
    swap = {"share_a_better": "share_b_better", "share_a_better_in": "share_b_better_in",
            "share_a_better_out": "share_b_better_out"}  # fmt: skip
    for x, y in swap.items():
        r[x], r[y] = r[y], r[x]
    r["strategy_a"], r["strategy_b"], r["mean_difference"] = a, b, -r["mean_difference"]
    return r


def verdict_words(r: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """A pair's verdict in words, from ``a``'s side."""
    a, b = f"`{r['strategy_a']}`", f"`{r['strategy_b']}`"
    if r["verdict"] == "distinguishable":
        other = r["strategy_b"] if r["better"] == r["strategy_a"] else r["strategy_a"]
        return (
            f"`{r['better']}` is better than `{other}` in "
            f"{pct(max(r['share_a_better'], r['share_b_better']))} of worlds (distinguishable)"
        )
    if r["verdict"] == "indistinguishable":
        separated = r["share_a_better"] + r["share_b_better"]
        return f"{a} and {b} are indistinguishable (separated in {pct(separated)} of worlds)"
    name = labels.get(r["decider"], r["decider"])
    return (
        f"{a} versus {b} depends on `{name}`: where `{name}` {r['decider_rule']}, {a} is better "
        f"in {pct(r['share_a_better_in'])} of worlds and {b} in {pct(r['share_b_better_in'])}; "
        f"elsewhere {pct(r['share_a_better_out'])} and {pct(r['share_b_better_out'])}"
    )


def _at_budget(effort: pd.DataFrame, budget: float, outcome: Outcome) -> pd.DataFrame:
    rows = effort[(effort["design"] == "effort") & (effort["outcome"] == outcome.name)]
    rows = rows[np.isclose(rows["budget_low"], budget)]
    return rows.sort_values("mean", ascending=outcome.direction == "lower", kind="stable")


def _budget_answer(
    effort: pd.DataFrame, pairwise: pd.DataFrame, budget: float, o: Outcome, reference: str,
    labels: Mapping[str, str],
) -> tuple[str, str, str]:  # fmt: skip
    """(what the best strategy does, what would change it, its name) at one budget of the
    effort design."""
    rows = _at_budget(effort, budget, o)
    others = rows[rows["strategy"] != reference]
    best = others.iloc[0]
    does = (
        f"`{best.strategy}`: {_num(best.gain, o)} against `{reference}` on average, better than "
        f"`{reference}` in {pct(best.share_better)} of worlds and best or tied best in "
        f"{pct(best.share_best)}"
    )
    ref = _pair(pairwise, "effort", budget, o.name, best.strategy, reference)
    change = [f"whether it beats `{reference}`: {verdict_words(ref, labels)}"]
    if len(others) > 1:
        second = others.iloc[1]
        pair = _pair(pairwise, "effort", budget, o.name, best.strategy, second.strategy)
        change.append(f"against the runner-up: {verdict_words(pair, labels)}")
    return does, "; ".join(change), str(best.strategy)


def answer(
    effort: pd.DataFrame | None,
    pairwise: pd.DataFrame | None,
    robustness: pd.DataFrame | None,
    headline: Sequence[Outcome],
    info: Effort | None,
    meta: Mapping[str, Any],
    labels: Mapping[str, str],
    scenarios: pd.DataFrame | None = None,
) -> str:
    """The opening paragraph: what Japan should have done with its 2022 effort and with
    more, in the world without a mandate, and the assumption that changes the answer
    (including, from the per-point ``scenarios``, the design choice ``eligibility``)."""
    if effort is None or info is None or pairwise is None or "effort" not in set(effort["design"]):
        return "No effort design in this analysis: no answer at Japan's 2022 effort."
    o, reference = headline[0], meta["reference"]
    d = meta["decision"]
    budgets = sorted(effort.loc[effort["design"] == "effort", "budget_low"].unique())
    parts, changes, picks = [], [], []
    for m, budget in zip(sorted(d["multiples"]), budgets, strict=False):
        does, change, best = _budget_answer(effort, pairwise, budget, o, reference, labels)
        scale = "its 2022 effort" if m == 1 else f"{m:g} times that effort"
        parts.append(f"with {scale} ({budget:.2f} budget units a week), {does}")
        changes.append(f"at {budget:.2f} a week, {change}")
        picks.append(best)
    text = (
        f"**What Japan could have done** for {_what(o)}, in the world without a Security "
        f"Council mandate (General Assembly backing from 2022-03-02), over the worlds of the "
        f"effort design: " + "; ".join(parts) + ". What would change the answer: "
        + "; ".join(changes) + "."
    )  # fmt: skip
    extra = []
    for other in headline[1:]:
        rows = _at_budget(effort, budgets[0], other)
        rows = rows[rows["strategy"] != reference]
        if len(rows):
            r = rows.iloc[0]
            extra.append(
                f"on {_what(other)} the best mean is `{r.strategy}`'s ({_num(r.gain, other)} "
                f"against `{reference}`, better in {pct(r.share_better)} of worlds)"
            )
    if extra:
        text += " At the 2022 effort, " + "; ".join(extra) + "."
    if scenarios is not None:
        text += choice_split(scenarios, o, reference, budgets, CHOICE)
    text += f" Japan's 2022 effort, read off the calendar: {info.words()}."
    return text + _mandate_change(robustness, o, picks, d["mandate"])


CHOICE = "eligibility"
"""The strategy design choice the opening paragraph tests the recommendation against."""


def choice_split(
    scenarios: pd.DataFrame, o: Outcome, reference: str, budgets: Sequence[float], choice: str
) -> str:
    """Whether the best strategy (by mean over the effort design's worlds) at each budget
    is the same under every value of the design choice ``choice``, or which it depends on."""
    rows = scenarios[scenarios["design"] == "effort"]
    if choice not in rows.columns or rows[choice].nunique() < 2:
        return ""
    out = []
    for budget in budgets:
        at = rows[np.isclose(rows["budget"].astype(float), budget)]
        means = at.groupby([choice, at["strategy"].astype(str)], observed=True)[o.name].mean()
        picks = {}
        for value, sub in means.groupby(level=0, observed=True):
            sub = sub.droplevel(0)
            ref = sub.get(reference, np.nan)
            sub = sub.drop(reference, errors="ignore")
            best = sub.idxmax() if o.direction == "higher" else sub.idxmin()
            picks[str(value)] = (best, sub[best] - ref)
        names = {b for b, _ in picks.values()}
        each = " and ".join(f"`{v}` ({_num(g, o)} against `{reference}`)" if len(names) == 1
                            else f"under `{v}` `{b}` ({_num(g, o)})"
                            for v, (b, g) in picks.items())  # fmt: skip
        if len(names) == 1:
            every = "both" if len(picks) == 2 else "each"
            out.append(f"at {budget:.2f} a week `{names.pop()}` is best under {every}, {each}")
        else:
            out.append(f"at {budget:.2f} a week the pick depends on it: {each}")
    survives = all(" depends on it" not in t for t in out)
    head = (
        f" The recommendation survives the eligibility rule (`{choice}`, a strategy design "
        "choice varied over the worlds)"
        if survives
        else f" The eligibility rule (`{choice}`, a strategy design choice) decides the pick"
    )
    return f"{head}: " + "; ".join(out) + "."


def _mandate_change(
    rob: pd.DataFrame | None, o: Outcome, picks: Sequence[str], mandate: str
) -> str:
    if rob is None or "mandate" not in set(rob["design"]):
        return ""
    rows = rob[(rob["design"] == "mandate") & (rob["outcome"] == o.name)]
    best = rows.sort_values("mean_regret", kind="stable").iloc[0]
    ref = rows[rows["strategy"] == rows["reference"]]
    same = "the strategy picked above" if best.strategy in picks else f"`{best.strategy}` instead"
    return (
        f" Under a Security Council mandate (`institution = {mandate}`, the what-if below, budget "
        f"varying), the lowest mean regret on {_what(o)} goes to {same}: mean "
        f"{best['mean']:.2f} {o.unit}".rstrip()
        + (f" against {ref['mean'].iloc[0]:.2f} for `{best.reference}`" if len(ref) else "")
        + "."
    )


# --------------------------------------------------------------------------- effort and cost
def effort_section(
    effort: pd.DataFrame, outcomes: Sequence[Outcome], headline: Sequence[Outcome],
    info: Effort | None, reference: str, reach: float,
) -> str:  # fmt: skip
    """Per budget of the effort design, per strategy: the lead outcome, its gain per 100
    budget units, and the cheapest strategy reaching each target."""
    o = headline[0]
    lines = []
    if info is not None:
        lines.append(f"Japan's 2022 effort, read off the calendar: {info.words()}.\n")
    budgets = sorted(effort.loc[effort["design"] == "effort", "budget_low"].unique())
    if budgets:
        head = " | ".join(
            f"{b:.2f} a week: mean (gain) / per 100 units / P(better)" for b in budgets
        )
        lines += [f"| strategy | {head} |", "|---|" + "---|" * len(budgets)]
        first = _at_budget(effort, budgets[0], o)
        for strategy in first["strategy"]:
            cells = []
            for b in budgets:
                r = _at_budget(effort, b, o).set_index("strategy").loc[strategy]
                per = "-" if np.isnan(r.gain_per_100) else f"{r.gain_per_100:+.2f}"
                better = "-" if strategy == reference else pct(r.share_better)
                cells.append(f"{r['mean']:.2f} ({r.gain:+.2f}) / {per} / {better}")
            lines.append(f"| `{strategy}` | " + " | ".join(cells) + " |")
        lines.append(
            f"\n{_what(o)} over the effort design's worlds; gain: against `{reference}`; per "
            "100 units: gain per 100 budget units spent; P(better): share of worlds where the "
            "95% interval of the paired difference over seeds is above 0.\n"
        )
    for t in [x for x in outcomes if x.target is not None]:
        found = cheapest(effort, t, reference, reach)
        sign = ">=" if t.direction == "higher" else "<="
        if found is None:
            rows = effort[effort["outcome"] == t.name]  # budget bands, else the effort budgets
            if (rows["design"] == "explore").any():
                rows = rows[rows["design"] == "explore"]
            if rows.empty:
                lines.append(f"- {_what(t)} {sign} {t.target:g}: no budget in this analysis.")
                continue
            top = rows.sort_values("share_meeting", ascending=False, kind="stable").iloc[0]
            if not top.share_meeting > 0:
                lines.append(f"- {_what(t)} {sign} {t.target:g}: met in no world of this analysis.")
                continue
            band = (f"{top.budget_low:g}" if top.budget_low == top.budget_high
                    else f"{top.budget_low:g}-{top.budget_high:g}")  # fmt: skip
            lines.append(
                f"- {_what(t)} {sign} {t.target:g}: no strategy meets it in {pct(reach)} of "
                f"the worlds of any budget; the most is `{top.strategy}`'s "
                f"{pct(top.share_meeting)} at {band} units a week."
            )
            continue
        pick, ref = found
        lines.append(
            f"- {_what(t)} {sign} {t.target:g}: cheapest at {pick.budget_low:g}-"
            f"{pick.budget_high:g} units a week, `{pick.strategy}` meets it in "
            f"{pct(pick.share_meeting)} of worlds (`{reference}`: {pct(ref)})."
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- pair verdicts
def verdict_matrix(pairwise: pd.DataFrame, outcome: str, strategies: Sequence[str],
                   labels: Mapping[str, str], design: str = "explore") -> str:  # fmt: skip
    """Strategies x strategies: `>`/`<` distinguishable (row better / worse), `=`
    indistinguishable, `~<input>` depends on that input."""
    rows = pairwise[(pairwise["design"] == design) & (pairwise["outcome"] == outcome)]
    cell: dict[tuple[str, str], str] = {}
    for r in rows.itertuples(index=False):
        a, b = r.strategy_a, r.strategy_b
        if r.verdict == "distinguishable":
            cell[a, b], cell[b, a] = (">", "<") if r.better == a else ("<", ">")
        elif r.verdict == "indistinguishable":
            cell[a, b] = cell[b, a] = "="
        else:
            cell[a, b] = cell[b, a] = f"~{labels.get(r.decider, r.decider)}"
    lines = [
        "| | " + " | ".join(str(k + 1) for k in range(len(strategies))) + " |",
        "|---|" + "---|" * len(strategies),
    ]
    for k, a in enumerate(strategies):
        cells = " | ".join(cell.get((a, b), "") for b in strategies)
        lines.append(f"| {k + 1} `{a}` | {cells} |")
    return "\n".join(lines)


def pairwise_section(
    pairwise: pd.DataFrame, headline: Sequence[Outcome], strategies: Sequence[str],
    labels: Mapping[str, str], meta: Mapping[str, Any],
) -> str:  # fmt: skip
    """Counts of verdicts, the matrix per headline outcome, the deciding inputs."""
    d = meta["decision"]
    rows = pairwise[pairwise["design"] == "explore"]
    text = [
        f"Over the worlds of the explore design (budget varying), for every pair: "
        f"distinguishable when one is better (95% interval of the paired difference over "
        f"seeds above 0) in at least {pct(d['verdict_share'])} of worlds, indistinguishable "
        f"when the interval excludes 0 in fewer than {pct(d['min_separated'])}, else it "
        "depends on the input whose one split best predicts the sign (row `>` column: the row "
        "is better; `=`: indistinguishable; `~x`: depends on `x`; columns numbered as the "
        "rows; a matrix whose every pair has one verdict is left out). All verdicts, also at "
        "fixed budgets and under the mandate: `pairwise.csv`.\n"
    ]
    for o in headline:
        part = rows[rows["outcome"] == o.name]
        counts = part["verdict"].value_counts()
        deciders = part.loc[part["verdict"] == "depends", "decider"].value_counts()
        top = ", ".join(f"`{labels.get(k, k)}` ({v})" for k, v in deciders.head(4).items() if k)
        text.append(
            f"**{_what(o)}**: {counts.get('distinguishable', 0)} pairs distinguishable, "
            f"{counts.get('indistinguishable', 0)} indistinguishable, "
            f"{counts.get('depends', 0)} depend on an input"
            + (f" (most often: {top})" if top else "")
            + ".\n\n"
            + (
                verdict_matrix(part, o.name, strategies, labels) + "\n"
                if part["verdict"].nunique() > 1 or part["decider"].nunique() > 1
                else ""
            )
        )
    return "\n".join(text)


def choices_sentence(pairwise: pd.DataFrame, o: Outcome, pick: str,
                     space: AnalysisSpace, labels: Mapping[str, str]) -> str:  # fmt: skip
    """Whether the verdicts of ``pick`` on ``o`` in the world Japan faced (explore and effort
    designs) depend on a strategy design choice (an input ``strategy.<option>``)."""
    choices = [d.name for d in space.space.free if d.name.startswith(STRATEGY_PREFIX)]
    if not choices:
        return "No strategy design choice varies in this analysis."
    rows = pairwise[
        pairwise["design"].isin(["explore", "effort"]) & (pairwise["outcome"] == o.name)
    ]
    mine = rows[(rows["strategy_a"] == pick) | (rows["strategy_b"] == pick)]
    hit = mine[mine["decider"].isin(choices)]
    names = ", ".join(f"`{labels.get(c, c)}`" for c in choices)
    if hit.empty:
        return (
            f"The design choices varied as inputs ({names}) decide none of `{pick}`'s "
            f"{len(mine)} pair verdicts on {_what(o)} (explore and effort designs): the "
            "recommendation survives them."
        )
    pairs = "; ".join(
        f"against `{r.strategy_b if r.strategy_a == pick else r.strategy_a}` "
        + ("with the budget varying" if np.isnan(r.budget) else f"at {r.budget:.2f} a week")
        + f", `{labels.get(r.decider, r.decider)}` {r.decider_rule} decides it"
        for r in hit.itertuples(index=False)
    )
    return (
        f"`{pick}`'s verdicts on {_what(o)} depend on a strategy design choice in "
        f"{len(hit)} of {len(mine)} pairs ({pairs}): there the verdict rests on that choice."
    )


# --------------------------------------------------------------------------- regimes
def coverage_statement(
    case: CaseResult, n_worlds: int, space: AnalysisSpace, labels: Mapping[str, str]
) -> str:
    """Where a pooled case happens (its PRIM box), or "none found in N worlds over these
    ranges" with the ranges."""
    p = case.prim
    label = case.label[0].upper() + case.label[1:]
    if p.n_cases == 0:
        ranges = "; ".join(
            f"`{labels.get(d.name, d.name)}` "
            + (
                "{" + ", ".join(str(v).lower() for v in d.values) + "}"
                if d.kind == "categorical"
                else f"{d.lo:g}-{d.hi:g}"
            )  # fmt: skip
            for d in space.space.free
            if d.name != "accepted_set"
        )
        fixed = ", ".join(f"`{k}` = {str(v).lower()}" for k, v in space.space.fixed.items())
        sets = f"; the {len(space.sets)} accepted calibration sets" if space.sets else ""
        return (
            f"{label}: none found in {n_worlds} worlds ({p.n_points} world-strategy pairs) "
            f"over these ranges: {ranges}{sets}" + (f"; held: {fixed}" if fixed else "") + "."
        )
    where = (
        f"PRIM's box: {box_words(p, labels)} (coverage {pct(p.coverage)}, density {pct(p.density)})"
        if informative(p)
        else "PRIM finds no box that restricts an input "
        f"({p.reason or 'no significant restriction'})"
    )
    return (
        f"{label}: {p.n_cases} of {p.n_points} world-strategy pairs "
        f"({pct(p.n_cases / p.n_points)}) in {n_worlds} worlds; {where}."
    )
