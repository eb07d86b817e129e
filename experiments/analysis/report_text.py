"""Sentences and small tables of the analysis report, each computed from a table.

Helpers of :mod:`experiments.analysis.report`: the conclusion, the institution split, the
sensitivity and scenario-discovery sections and PRIM boxes in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.analysis import figures
from experiments.analysis.cases import CaseResult
from experiments.analysis.discovery import PrimResult
from experiments.analysis.robustness import Outcome

NOISE_WARNING = 0.2
"""Seed noise above this share of the variance of the point means is flagged."""
TOP_INPUTS = 12
"""Inputs drawn in the sensitivity figures (the most influential first)."""
NEGLIGIBLE = 0.05
"""A total Sobol' index whose interval stays below this counts as negligible."""
ALT = {"sobol": "Sobol' indices", "morris": "Morris screening"}


def pct(x: float) -> str:
    """A share in percent; "<1%" / ">99%" rather than a rounded 0% / 100% that is not."""
    if x is None or np.isnan(x):
        return "-"
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{100 * x:.0f}%"


def _name(dimension: str, labels: Mapping[str, str]) -> str:
    return f"`{labels.get(dimension, dimension)}`"


# --------------------------------------------------------------------------- PRIM boxes
def informative(prim: PrimResult) -> bool:
    """A box that restricts at least one input (pruning may lift every restriction)."""
    return prim.found and bool(prim.restricted)


def box_words(prim: PrimResult, labels: Mapping[str, str]) -> str:
    """The restrictions of a box in words, e.g. "`institution` in {unsc} and
    `outreach_weight` >= 11.1 (range 0.11-20)"."""
    parts = []
    for r in prim.limits[prim.limits["restricted"]].itertuples(index=False):
        name = _name(r.dimension, labels)
        if r.kind != "numeric":
            parts.append(f"{name} in {{{', '.join(str(v).lower() for v in r.values)}}}")
        elif r.lower <= r.minimum:
            parts.append(f"{name} <= {r.upper:.3g} (range {r.minimum:.3g}-{r.maximum:.3g})")
        elif r.upper >= r.maximum:
            parts.append(f"{name} >= {r.lower:.3g} (range {r.minimum:.3g}-{r.maximum:.3g})")
        else:
            parts.append(
                f"{name} from {r.lower:.3g} to {r.upper:.3g} "
                f"(range {r.minimum:.3g}-{r.maximum:.3g})"
            )
    return " and ".join(parts) if parts else "the whole space"


def _box_sentence(prim: PrimResult, labels: Mapping[str, str], unit: str) -> str:
    if not prim.found:
        return f"PRIM finds no box ({prim.reason})."
    if not prim.restricted:
        return "PRIM finds no restriction that passes the quasi-p-value test: no box."
    return (
        f"PRIM's box: {box_words(prim, labels)}. It holds {pct(prim.coverage)} of these "
        f"{unit} (coverage) and {pct(prim.density)} of the {unit} inside it are cases "
        f"(density); it spans {pct(prim.mass)} of all {unit}."
    )


def case_section(
    cases: Sequence[CaseResult], main: str, labels: Mapping[str, str], prefix: str
) -> tuple[str, dict[str, Figure]]:
    """Per case: how often it holds, where (PRIM), and per strategy for ``each`` cases."""
    figs: dict[str, Figure] = {}
    blocks = []
    for case in dict.fromkeys(c.case for c in cases):
        results = [c for c in cases if c.case == case]
        first = results[0]
        pooled = first.strategy == "all"
        shown = first if pooled else next((c for c in results if c.strategy == main), first)
        name = f"{prefix}prim_{case}" + ("" if pooled else f"_{shown.strategy}")
        figs[f"{name}_tradeoff.png"] = figures.prim_tradeoff(
            shown.prim, f"{case} ({shown.strategy}): PRIM trade-off"
        )
        figs[f"{name}_box.png"] = figures.prim_limits(shown.prim, labels=labels)
        head = f"### {case}: {first.label}\n\nCase: `{first.rule}` (point means over seeds).\n\n"
        if pooled:
            p = first.prim
            strategy = (
                "The box does not restrict the strategy."
                if "strategy" not in p.restricted
                else "The box keeps only some strategies (see the limits)."
            )
            body = (
                f"It holds at {p.n_cases} of {p.n_points} (world, strategy) pairs "
                f"({pct(p.n_cases / p.n_points)}). "
                f"{_box_sentence(p, labels, '(world, strategy) pairs')} {strategy}"
            )
        else:
            body = _per_strategy(results, main, labels)
        blocks.append(
            head
            + body
            + f"\n\n![{case} trade-off](figures/{name}_tradeoff.png)\n"
            + f"![{case} box](figures/{name}_box.png)\n"
        )
    return "\n".join(blocks), figs


def _per_strategy(results: Sequence[CaseResult], main: str, labels: Mapping[str, str]) -> str:
    lines = [
        "| strategy | worlds where it holds | where it fails | PRIM box where it holds | "
        "coverage | density |",
        "|---|---|---|---|---|---|",
    ]
    for c in sorted(results, key=lambda c: -c.prim.n_cases):
        p = c.prim
        if informative(p):
            box = box_words(p, labels)
        else:
            box = f"none ({p.reason or 'no significant restriction'})"
        lines.append(
            f"| `{c.strategy}` | {p.n_cases} of {p.n_points} ({pct(p.n_cases / p.n_points)}) | "
            f"{pct(1 - p.n_cases / p.n_points)} | {box} | "
            f"{pct(p.coverage) if informative(p) else '-'} | "
            f"{pct(p.density) if informative(p) else '-'} |"
        )
    best = max(results, key=lambda c: c.prim.n_cases)
    text = "\n".join(lines) + "\n\n"
    text += (
        f"The case holds most often for `{best.strategy}`: in "
        f"{pct(best.prim.n_cases / best.prim.n_points)} of worlds; every strategy fails it in "
        f"at least {pct(1 - best.prim.n_cases / best.prim.n_points)} of worlds."
    )
    found = [c for c in results if informative(c.prim)]
    common = set.intersection(*(set(c.prim.restricted) for c in found)) if found else set()
    if found and common:
        text += (
            f" All {len(found)} boxes restrict "
            + ", ".join(_name(n, labels) for n in sorted(common))
            + ": where a strategy succeeds is set by these inputs."
        )
    shown = next((c for c in results if c.strategy == main), None)
    if shown is not None:
        text += f"\n\nFor `{main}`: {_box_sentence(shown.prim, labels, 'worlds')}"
        outside = round((1 - shown.prim.coverage) * shown.prim.n_cases)
        if informative(shown.prim):
            text += (
                " It never holds outside the box."
                if outside == 0
                else f" Outside the box it holds in {outside} world{'s' * (outside > 1)}."
            )
    return text


# --------------------------------------------------------------------------- robustness
def institution_split(explore: pd.DataFrame, headline: Outcome, reference: str) -> str:
    """Mean headline per strategy with and without each institution value, as a sentence."""
    if "institution" not in explore.columns or explore["institution"].nunique() < 2:
        return ""
    table = explore.assign(strategy=explore["strategy"].astype(str)).pivot_table(
        index="strategy", columns="institution", values=headline.name, aggfunc="mean"
    )
    parts = []
    for value in table.columns:
        column = table[value]
        best = column.idxmax() if headline.direction == "higher" else column.idxmin()
        parts.append(
            f"with `institution = {value}` the best mean is `{best}`'s {column[best]:.2f} "
            f"(`{reference}`: {column[reference]:.2f})"
        )
    return f"By institution ({headline.label or headline.name}): " + "; ".join(parts) + "."


def _gain_by_institution(
    explore: pd.DataFrame, headline: Outcome, strategy: str, reference: str
) -> str:
    """ " Its mean gain is +x with `institution = a`, +y with `b`." (empty if not varied)."""
    if "institution" not in explore.columns or explore["institution"].nunique() < 2:
        return ""
    means = explore.assign(strategy=explore["strategy"].astype(str)).pivot_table(
        index="institution", columns="strategy", values=headline.name, aggfunc="mean"
    )
    gains = means[strategy] - means[reference]
    return (
        " Its mean gain is "
        + ", ".join(f"{g:+.2f} with `institution = {value}`" for value, g in gains.items())
        + "."
    )


def conclusion(
    explore: pd.DataFrame,
    rob: pd.DataFrame | None,
    sens: pd.DataFrame | None,
    cases: Sequence[CaseResult],
    headline: Outcome,
    reference: str,
    robust: Mapping[str, str | None],
    labels: Mapping[str, str],
) -> str:
    """The opening paragraph: which strategy is robust by which measure, how much it
    changes, what drives the outcome, where the cascade happens."""
    what = headline.label or headline.name
    parts = []
    if rob is not None and len(rob):
        rows = rob[rob["outcome"] == headline.name].set_index("strategy")
        a, b, c = robust["regret"], robust["beat"], robust["meeting"]
        ra, rb = rows.loc[a], rows.loc[b]
        regret = f"lowest mean regret ({ra.mean_regret:.2f}; at worst {ra.max_regret:.2f})"
        beat = (
            f"most often better than `{reference}` ({pct(rb.p_better)} of paired runs, "
            f"[{pct(rb.p_better_low)}, {pct(rb.p_better_high)}])"
        )
        if a == b and (c is None or c == a):
            meet = f" and most often meets the target ({pct(ra.share_meeting)})" if c else ""
            parts.append(
                f"**`{a}` is the most robust strategy** for {what}: {regret}, {beat}{meet}."
            )
        else:
            meet = f"; most often meeting the target: `{c}`" if c else ""
            parts.append(
                f"**No strategy is most robust by every measure** for {what}: {regret}: `{a}`; "
                f"{beat}: `{b}`{meet}."
            )
        if a != reference:
            gain = ra["mean"] - rows.loc[reference, "mean"]
            parts.append(
                f"Averaged over worlds, `{a}` ends with {gain:+.2f} {headline.unit or 'units'} "
                f"against `{reference}`; in {pct(ra.p_tied)} of paired runs the two end equal."
                + _gain_by_institution(explore, headline, a, reference)
            )
        else:
            parts.append(f"No strategy has a lower mean regret than doing nothing (`{reference}`).")
    if sens is not None and len(sens) and robust.get("regret"):
        top = _top(sens, robust["regret"], headline.name, "")
        if top is not None:
            parts.append(
                f"The inputs that move {what} under `{robust['regret']}` most across worlds are "
                + ", ".join(_name(r.dimension, labels) for r in top.head(3).itertuples())
                + f" ({top.attrs['label']})."
            )
    pooled = [c for c in cases if c.strategy == "all" and informative(c.prim)]
    for c in pooled:
        p = c.prim
        parts.append(
            f"{c.label[0].upper() + c.label[1:]}: {pct(p.n_cases / p.n_points)} of (world, "
            f"strategy) pairs, {pct(p.coverage)} of them where {box_words(p, labels)}."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------- sensitivity
def _top(sens: pd.DataFrame, strategy: str, outcome: str, versus: str) -> pd.DataFrame | None:
    """The indices of one outcome, Sobol' if present (by ST), else Morris (by mu*)."""
    rows = sens[
        (sens["strategy"] == strategy) & (sens["outcome"] == outcome) & (sens["versus"] == versus)
    ]
    for method, key in (("sobol", "ST"), ("morris", "mu_star")):
        chosen = rows[rows["method"] == method].sort_values(key, ascending=False, kind="stable")
        if len(chosen):
            chosen.attrs["label"] = (
                "by total Sobol' index" if method == "sobol" else "by Morris mu*"
            )
            chosen.attrs["method"] = method
            return chosen
    return None


def _ranked(top: pd.DataFrame, labels: Mapping[str, str], n: int = 3) -> str:
    key = "ST" if top.attrs["method"] == "sobol" else "mu_star"
    return ", ".join(
        f"{_name(r['dimension'], labels)} ({r[key]:.2f} [{r[key + '_low']:.2f}, "
        f"{r[key + '_high']:.2f}])"
        for _, r in top.head(n).iterrows()
    )


def _about(top: pd.DataFrame, what: str, labels: Mapping[str, str]) -> str:
    first = top.iloc[0]
    text = (
        f"The inputs that move {what} most across worlds are {_ranked(top, labels)} "
        f"({top.attrs['label']}, 95% intervals)."
    )
    key = "ST" if top.attrs["method"] == "sobol" else "mu_star"
    if (top.head(3)[f"{key}_low"] <= 0).any():
        size = "designs.sobol_n" if key == "ST" else "designs.morris_trajectories"
        text += (
            f" The interval of at least one of them reaches 0: the ranking is not settled at "
            f"this design size (increase `{size}`)."
        )
    if top.attrs["method"] == "sobol":
        s1 = top["S1"].sum()
        text += f" The first-order indices sum to {s1:.2f}: " + (
            "the inputs act mostly alone." if s1 >= 0.7 else "interactions carry much of it."
        )
        negligible = int((top["ST_high"] < NEGLIGIBLE).sum())
        text += (
            f" {negligible} of {len(top)} inputs have a total index whose interval stays "
            f"below {NEGLIGIBLE:g}."
        )
    noise = first["seed_noise_share"]
    seeds = int(first["n_seeds"])
    text += f" Seed noise is {pct(noise)} of the variance of the point means ({seeds} seeds)"
    text += (
        f"; above {pct(NOISE_WARNING)}: add seeds before relying on these indices."
        if noise > NOISE_WARNING
        else "."
    )
    return text


def _with_half_widths(rows: pd.DataFrame) -> pd.DataFrame:
    """``<index>_conf`` half-widths (what the library's charts draw) from low/high."""
    out = rows.copy()
    for key in ("S1", "ST", "mu_star"):
        out[f"{key}_conf"] = (out[f"{key}_high"] - out[f"{key}_low"]) / 2
    return out


def _levers(top: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """Where the calibrated parameters (jointly) and the levers rank for the gain."""
    ranked = top.reset_index(drop=True)
    parts = []
    for name, words in (
        ("accepted_set", "the parameters the 2022 record identifies (`accepted_set`, jointly)"),
        ("budget", "Japan's budget"),
        ("optional_countries", "the optional countries (`optional_countries`)"),
    ):
        hit = ranked.index[ranked["dimension"] == name]
        if len(hit):
            r = ranked.loc[hit[0]]
            parts.append(
                f"{words} no. {hit[0] + 1} of {len(ranked)} (ST {r['ST']:.2f} "
                f"[{r['ST_low']:.2f}, {r['ST_high']:.2f}])"
            )
    return (
        ("Ranked by the total index of the same gain: " + "; ".join(parts) + ".") if parts else ""
    )


def _select(sens: pd.DataFrame, method: str, outcome: str, versus: str) -> pd.DataFrame:
    chosen = (sens["method"] == method) & (sens["outcome"] == outcome) & (sens["versus"] == versus)
    return sens[chosen]


def sensitivity_words(
    sens: pd.DataFrame,
    headline: Outcome,
    main: str,
    reference: str,
    labels: Mapping[str, str],
    prefix: str,
) -> tuple[str, dict[str, Figure]]:
    """Which inputs drive the headline under ``main`` and its gain over the reference."""
    figs: dict[str, Figure] = {}
    what = headline.label or headline.name
    paras, images = [], []
    level = _top(sens, main, headline.name, "")
    if level is not None:
        paras.append(_about(level, f"{what} under `{main}`", labels))
        if level.attrs["method"] == "sobol":
            figs[f"{prefix}sobol_{main}.png"] = figures.sobol_chart(
                _with_half_widths(level), headline, labels, top=TOP_INPUTS
            )
            images.append(f"{prefix}sobol_{main}.png")
    diff = _top(sens, main, headline.name, reference) if main != reference else None
    if diff is not None:
        paras.append(_about(diff, f"the gain of `{main}` over `{reference}`", labels))
        morris = _select(sens, "morris", headline.name, reference)
        morris = morris[morris["strategy"] == main]
        if diff.attrs["method"] == "sobol" and len(morris):
            top_m = morris.sort_values("mu_star", ascending=False).head(3)["dimension"]
            shared = len(set(top_m) & set(diff.head(3)["dimension"]))
            paras.append(
                "Morris screening ranks "
                + ", ".join(_name(d, labels) for d in top_m)
                + f" first for the same gain: {shared} of the Sobol' top three."
            )
        if len(morris):
            gain = Outcome(
                headline.name, headline.direction, None, headline.unit,
                f"the gain of {main} over {reference}",
            )  # fmt: skip
            figs[f"{prefix}morris_{main}_vs_{reference}.png"] = figures.morris_chart(
                _with_half_widths(morris), gain, labels, top=TOP_INPUTS
            )
            images.append(f"{prefix}morris_{main}_vs_{reference}.png")
    if diff is not None and diff.attrs["method"] == "sobol":
        paras.append(_levers(diff, labels))
    gains = _select(sens, "sobol", headline.name, reference)
    if len(gains):
        firsts = gains[gains["rank"] == 1]["dimension"].value_counts()
        paras.append(
            f"Across the {gains['strategy'].nunique()} strategies compared with `{reference}`, "
            "the input with the largest total index of the gain is "
            f"{_name(firsts.index[0], labels)} for {firsts.iloc[0]} of them."
        )
        figs[f"{prefix}sobol_gains.png"] = figures.index_heatmap(
            gains, "ST", f"Total Sobol' index of each strategy's gain over {reference} ({what})",
            labels,
        )  # fmt: skip
        images.append(f"{prefix}sobol_gains.png")
    text = "\n\n".join(p for p in paras if p) + "\n\n"
    text += "\n".join(f"![{ALT.get(i.split('_')[1], i)}](figures/{i})" for i in images) + "\n"
    return text, figs
