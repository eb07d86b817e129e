"""Sections of the validation report on what the model can do, computed from simulations:
each mechanism's contribution, the reach of outreach, the UN-mandate counterfactual across
the compliance parameter, and the distribution of outcomes over the plausible space.

Every sentence these functions write is computed from the numbers they report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import qmc

from experiments.calibration.facts import ASEAN_2022
from experiments.calibration.identification import Identification
from sim.config import SimulationConfig
from sim.engine import run_ensemble, simulate
from sim.rng import replicate_seeds

MECHANISMS: dict[str, tuple[str, ...]] = {
    "1 exposure costs": ("exposure_trade", "exposure_arms", "exposure_energy", "exposure_party"),
    "2 coalition returns": ("coalition_return", "coalition_regional_weight", "bandwagon_weight"),
    "3 thresholds": ("threshold_mean", "threshold_spread"),
    "4 peer influence": ("peer_weight",),
    "5 outreach (issue linkage)": ("outreach_weight",),
    "6 credibility": ("credibility_g7", "credibility_institution"),
    "6 UN-legalism barrier": ("legalism_barrier",),
    "7 backsliding": ("backslide_hazard",),
    "8 sanctions busting": ("busting_rent",),
    "8 secondary sanctions": ("secondary_weight",),
    "9 hedging": ("hedge_weight",),
    "10 ASEAN consensus": ("asean_weight",),
    "10 reactance": ("reactance_weight",),
    "11 Russia": ("russia_counter",),
    "11 China": ("china_pull",),
    "11 US/EU": ("west_weight",),
    "12 public opinion": ("public_weight",),
    "12 small-state norm": ("norm_strength",),
}
"""Each mechanism and the parameters that switch it off when set to 0 (inertia toward the
declared stance, the frame every other force pulls against, cannot be switched off)."""

SHOWN_ZERO = 0.005
"""Below this largest contribution (rungs) a mechanism's row shows 0.00 for every member."""

REACH_BUDGETS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
REACH_WEEKS = 8


def _members(config: SimulationConfig) -> list[int]:
    return [config.countries.index(c) for c in ASEAN_2022]


def mechanism_table(config: SimulationConfig, seeds: np.ndarray) -> pd.DataFrame:
    """Each mechanism's contribution to each member's mean stance over the horizon (rungs):
    the full model minus the model with the mechanism switched off, on common seeds. In
    ``attrs``: per mechanism, the share of runs in which some member's final level differs
    with it off and the change of the mean number of members naming Russia at the end;
    and the full model's share of member-weeks at 'principle' or above and, outside
    Singapore, at 'condemn' or above (where backsliding and the sanction edge act)."""
    cols = _members(config)
    lad = config.ladder.spec()
    full = simulate(config, seeds)
    base = full.stance[:, 1:, cols].mean(axis=(0, 1))
    level = full.level[:, 1:, cols]
    not_sg = [k for k, c in enumerate(ASEAN_2022) if c != "SG"]
    cut = lad.sanction_level - 1
    end = full.level[:, -1, cols]
    rows, differs, named = {}, {}, {}
    for name, switches in MECHANISMS.items():
        off = replace(config.params, **dict.fromkeys(switches, 0.0))
        traj = simulate(replace(config, params=off), seeds)
        rows[name] = base - traj.stance[:, 1:, cols].mean(axis=(0, 1))
        end_off = traj.level[:, -1, cols]
        differs[name] = float((end != end_off).any(axis=1).mean())
        named[name] = float((end >= cut).sum(1).mean() - (end_off >= cut).sum(1).mean())
    table = pd.DataFrame(rows, index=list(ASEAN_2022)).T
    p = config.params
    tolerance = p.reactance_tolerance * (
        0.5 + config.countries.attributes(None)["democracy"][0, cols]
    )
    # an upper bound of the visible pressure: all of the week's outreach, at its visibility
    seen = full.outreach[:, 1:, cols] * (1.0 + p.japan_visibility_gain * full.pressure[:, 1:, None])
    gap = np.maximum(lad.sanction_level - full.stance[:, 1:, cols], 0.0) / lad.sanction_level
    weight = p.reactance_weight * np.maximum(seen - tolerance, 0.0) * gap
    table.attrs = {
        "differs": differs,
        "named": named,
        "at_principle": float((level >= lad.principle_level).mean()),
        "near_sanction": float((level[:, :, not_sg] >= cut).mean()),
        "slip": config.params.backslide_hazard * config.params.backslide_drop,
        "tolerance": tolerance,
        "max_outreach": float(full.outreach[:, 1:, cols].max()),
        "above_tolerance": float((seen > tolerance).mean()),
        "reactance_weight": float(weight.max()),
        "outreach_weight": p.outreach_weight,
    }
    return table


def _why_shown_zero(name: str, row: pd.Series, attrs: dict) -> str:
    """Why a mechanism shows 0.00: its exact largest contribution, what switching it off
    changes in the levels, and where it acts, from the run's own numbers."""
    head = (
        f"{name}: at most {row.abs().max():.1e} rungs; off, some member's final level "
        f"differs in {attrs['differs'][name]:.1%} of runs and members naming Russia change "
        f"by {attrs['named'][name]:+.3f}"
    )
    if name in ("3 thresholds", "6 UN-legalism barrier"):
        return (
            head + f"; it moves only the edge of the `sanction` rung, and members other than "
            f"Singapore sit at `condemn` or above in {attrs['near_sanction']:.1%} of "
            "member-weeks, the rung just below that edge"
        )
    if name == "7 backsliding":
        return (
            head + f"; it acts at `principle` or above ({attrs['at_principle']:.1%} of "
            f"member-weeks), an expected slip of {attrs['slip'] * attrs['at_principle']:.4f} "
            "rungs a week that the pull back to the target recovers"
        )
    if name == "10 reactance":
        tol = attrs["tolerance"]
        return (
            head + "; it fires only in a week when the visible outreach to a member exceeds "
            f"its tolerance, here {tol.min():.2f} to {tol.max():.2f} budget units a week "
            "(reactance_tolerance x (0.5 + democracy)); the most Japan spends on one member in "
            f"a week is {attrs['max_outreach']:.2f} units, and all of a week's outreach at its "
            f"visibility exceeds the tolerance in {attrs['above_tolerance']:.2%} of "
            f"member-weeks, giving reactance a weight of at most "
            f"{attrs['reactance_weight']:.2f} against up to {attrs['outreach_weight']:.3g} for "
            "the outreach it reacts to"
        )
    return head


def mechanism_markdown(table: pd.DataFrame, threshold: float = 0.05) -> str:
    """The table, with a sentence naming the mechanisms below ``threshold`` rungs for every
    member (inert at these values), the largest contribution, and, for each mechanism that
    shows 0.00 for every member, why (computed from ``table.attrs``)."""
    lines = [
        "| mechanism | " + " | ".join(table.columns) + " | largest |",
        "|---" * (len(table.columns) + 2) + "|",
    ]
    for name, row in table.iterrows():
        cells = " | ".join(f"{v:+.2f}" for v in row)
        lines.append(f"| {name} | {cells} | {row.abs().max():.2f} |")
    inert = [n for n, r in table.iterrows() if r.abs().max() < threshold]
    big_name, big_row = max(table.iterrows(), key=lambda kv: kv[1].abs().max())
    big_code = big_row.abs().idxmax()
    sentence = (
        f"\nThe largest single contribution is {big_name} on {big_code} "
        f"({big_row[big_code]:+.2f} rungs). "
        + (
            f"Below {threshold:g} rungs for every member (inert at these values): "
            + ", ".join(inert)
            + "."
            if inert
            else f"Every mechanism moves at least one member by {threshold:g} rungs or more."
        )
    )
    shown = [(str(n), r) for n, r in table.iterrows() if r.abs().max() < SHOWN_ZERO]
    if shown:
        exact = [n for n, r in shown if (r == 0.0).all()]
        sentence += (
            " Showing 0.00 for every member"
            + (f" (exactly zero: {', '.join(exact)})" if exact else " (none exactly zero)")
            + ": "
            + "; ".join(_why_shown_zero(n, r, table.attrs) for n, r in shown)
            + "."
        )
    return "\n".join(lines) + "\n" + sentence + "\n"


@dataclass(frozen=True)
class Reach:
    """For one member: the strategy and budget lifting its mean level most durably above
    the `none` run (common seeds), the longest run of weeks at +1 rung or more, the peak."""

    country: str
    strategy: str
    budget: float
    weeks: int
    peak: float


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of consecutive True values (weeks held)."""
    best = run = 0
    for hit in mask:
        run = run + 1 if hit else 0
        best = max(best, run)
    return best


def reach_table(
    config: SimulationConfig, seeds: np.ndarray, strategies: Sequence[str]
) -> list[Reach]:
    """Per member, the best (strategy, budget <= 32) by weeks at least one rung above the
    `none` run's mean level, then by the peak lift."""
    cols = _members(config)
    null = simulate(config.with_strategy("none"), seeds).level[:, :, cols].mean(axis=0)
    best: dict[str, Reach] = {}
    for strategy in strategies:
        if strategy == "none":
            continue
        for budget in REACH_BUDGETS:
            cfg = replace(config.with_strategy(strategy), budget=budget)
            lift = simulate(cfg, seeds).level[:, :, cols].mean(axis=0) - null
            for k, code in enumerate(ASEAN_2022):
                r = Reach(
                    code, strategy, budget, longest_run(lift[:, k] >= 1.0), float(lift[:, k].max())
                )
                old = best.get(code)
                if old is None or (r.weeks, r.peak) > (old.weeks, old.peak):
                    best[code] = r
    return [best[c] for c in ASEAN_2022]


def reach_markdown(rows: list[Reach], where: str = "at the installed values") -> str:
    lines = [
        "| member | strategy | budget | weeks >= +1 rung | peak lift (rungs) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.country} | `{r.strategy}` | {r.budget:g} | {r.weeks} | {r.peak:+.2f} |" for r in rows
    ]
    moved = [r.country for r in rows if r.weeks >= REACH_WEEKS]
    lines.append(
        f"\n{len(moved)} of {len(rows)} members can be held at least one rung above their "
        f"`none` level for {REACH_WEEKS} or more consecutive weeks by some strategy at a budget "
        f"of at most 32 {where}" + (f": {', '.join(moved)}." if moved else ".")
    )
    return "\n".join(lines) + "\n"


def mandate_table(
    config: SimulationConfig, seeds: np.ndarray, values: Sequence[float]
) -> pd.DataFrame:
    """Under a binding UNSC mandate from the start (institution `unsc`): each member's
    share of runs at `sanction` at the end, and the mean number of members there, per
    value of ``mandate_compliance``."""
    cols = _members(config)
    lad = config.ladder
    rows = []
    for value in values:
        cfg = replace(
            config, institution="unsc", params=replace(config.params, mandate_compliance=value)
        )
        final = simulate(cfg, seeds).level[:, -1, cols] >= lad.sanction_level
        rows.append(
            {
                "mandate_compliance": value,
                **dict(zip(ASEAN_2022, final.mean(axis=0), strict=True)),
                "members": final.sum(axis=1).mean(),
            }
        )
    return pd.DataFrame(rows)


def mandate_markdown(table: pd.DataFrame, default: float) -> str:
    lines = ["| mandate_compliance | " + " | ".join(ASEAN_2022) + " | members at sanction |"]
    lines.append("|---" * (len(ASEAN_2022) + 2) + "|")
    for _, r in table.iterrows():
        mark = " (installed)" if abs(r["mandate_compliance"] - default) < 1e-12 else ""
        cells = " | ".join(f"{r[c]:.2f}" for c in ASEAN_2022)
        lines.append(f"| {r['mandate_compliance']:g}{mark} | {cells} | {r['members']:.2f} |")
    both = table[(table["MY"] >= 0.8) & (table["ID"] >= 0.8)]
    if len(both):
        sentence = (
            f"Malaysia and Indonesia reach `sanction` in at least 80% of runs from "
            f"mandate_compliance = {both['mandate_compliance'].min():g}; below that, the mandate "
            "does not move them to sanctions."
        )
    else:
        sentence = (
            "Malaysia and Indonesia do not both reach `sanction` in 80% of runs at any value."
        )
    return "\n".join(lines) + "\n\n" + sentence + "\n"


def plausible_space(
    config: SimulationConfig,
    accepted: list[dict[str, float]],
    rows: list[Identification],
    strategies: Sequence[str],
    n_points: int,
    n_seeds: int,
    seed: int,
) -> pd.DataFrame:
    """Final numbers of members at `sanction` over the plausible space: accepted
    calibration sets x the whole range of every parameter the record does not identify x
    strategies x budgets 1-32 x institution (none, UNSC mandate), sampled by a Latin
    hypercube; one row per point with its mean and the share of runs with >= 3."""
    deep = [r for r in rows if r.deep]
    dims = 3 + len(deep)
    unit = qmc.LatinHypercube(d=dims, seed=seed).random(n_points)
    seeds = replicate_seeds(seed, n_seeds)
    out = []
    for i, u in enumerate(unit):
        point = accepted[min(int(u[0] * len(accepted)), len(accepted) - 1)] if accepted else {}
        model = {k.removeprefix("model."): v for k, v in point.items() if k.startswith("model.")}
        for r, x in zip(deep, u[3:], strict=True):
            model[r.name] = r.low + x * (r.high - r.low)
        strategy = strategies[min(int(u[1] * len(strategies)), len(strategies) - 1)]
        budget = float(2.0 ** np.floor(u[2] * 6))  # 1, 2, 4, 8, 16, 32
        institution = "unsc" if (i % 2) else "none"
        params = replace(config.params, **model)
        cfg = replace(
            config.with_strategy(strategy), params=params, budget=budget, institution=institution
        )
        _, summary = run_ensemble(cfg, seeds, keep_trajectories=False)
        n = summary["final_sanctioning"]
        out.append({"point": i, "strategy": strategy, "budget": budget, "institution": institution,
                    "mean_sanctioning": float(n.mean()), "share_3_plus": float((n >= 3).mean()),
                    **{f"model.{k}": v for k, v in model.items()}})  # fmt: skip
    return pd.DataFrame(out)


def plausible_markdown(table: pd.DataFrame, default_mean: float) -> str:
    """Distribution of outcomes over the plausible space and which levers lead to >= 3."""
    counts = np.histogram(table["mean_sanctioning"], bins=[0, 1.5, 2.5, 3.5, 5.5, 11])[0]
    labels = ["about 1 (Singapore)", "about 2", "about 3", "4-5", "6 or more"]
    lines = ["| mean members at sanction | points |", "|---|---|"]
    lines += [f"| {lab} | {c} |" for lab, c in zip(labels, counts, strict=True)]
    cascade = table["mean_sanctioning"] >= 3
    by = {
        "institution": table.groupby("institution")["mean_sanctioning"].apply(
            lambda s: (s >= 3).mean()
        ),
        "budget": table.groupby("budget")["mean_sanctioning"].apply(lambda s: (s >= 3).mean()),
    }
    lever_lines = []
    for name, shares in by.items():
        parts = ", ".join(f"{k}: {v:.0%}" for k, v in shares.items())
        lever_lines.append(
            f"- share of points with 3 or more members at `sanction`, by {name}: {parts}"
        )
    inst = by["institution"]
    lever = (
        "a UN Security Council mandate"
        if inst.get("unsc", 0.0) > 2 * inst.get("none", 0.0)
        else "no single lever"
    )
    text = (
        f"Of {len(table)} points, {int(cascade.sum())} ({cascade.mean():.0%}) reach 3 or more "
        f"members at `sanction` on average; the installed configuration of 2022 averages "
        f"{default_mean:.2f}. Without a mandate {inst.get('none', 0.0):.0%} of points do, "
        f"with one {inst.get('unsc', 0.0):.0%}: the lever that leads there is {lever}."
    )
    return "\n".join(lines) + "\n\n" + "\n".join(lever_lines) + "\n\n" + text + "\n"
