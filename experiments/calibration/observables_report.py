"""Report sections on the observables of issue 19: the material track at the end of the
horizon, and peer spillover to a member Japan does not visit.

Every sentence these functions write is computed from the numbers they report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from experiments.calibration.facts import ASEAN_2022
from experiments.calibration.identification import Identification
from sim.config import Calendar, Event, SimulationConfig
from sim.engine import simulate
from sim.material import MATERIAL_STEPS
from sim.results import Trajectories


def material_markdown(traj: Trajectories, null: Trajectories, config: SimulationConfig) -> str:
    """Per member, the share of runs at each step of the material track at the last step,
    strategy `historical` against `none` (same seeds)."""
    cols = [config.countries.index(c) for c in ASEAN_2022]
    lines = [
        "| member | " + " | ".join(MATERIAL_STEPS) + " | `none`: distancing or beyond |",
        "|---" * (len(MATERIAL_STEPS) + 2) + "|",
    ]
    moved = []
    for code, j in zip(ASEAN_2022, cols, strict=True):
        end = traj.material[:, -1, j]
        shares = [float((end == k).mean()) for k in range(len(MATERIAL_STEPS))]
        hist = float((end >= 2).mean())
        base = float((null.material[:, -1, j] >= 2).mean())
        if abs(hist - base) >= 0.05:
            moved.append(f"{code} ({base:.2f} -> {hist:.2f})")
        cells = " | ".join(f"{s:.2f}" for s in shares)
        lines.append(f"| {code} | {cells} | {base:.2f} |")
    lines.append(
        "\nJapan's 2022 outreach changes the share of runs at `distancing` or beyond by 0.05 "
        "or more for: " + (", ".join(moved) if moved else "no member") + "."
    )
    return "\n".join(lines) + "\n"


def weekly_visits(config: SimulationConfig, target: str, budget: float) -> SimulationConfig:
    """Strategy `historical` replaying one leaders' visit of ``budget`` units to ``target``
    every week, and no other outreach."""
    start, n = config.calendar.start, config.calendar.n_steps
    events = tuple(
        Event(start + dt.timedelta(days=7 * t), "japan_visit", target, "visit", budget)
        for t in range(n)
    )
    cal = Calendar(start=start, n_steps=n, events=events)
    return replace(config.with_strategy("historical"), calendar=cal)


def spillover_table(
    config: SimulationConfig,
    seeds: np.ndarray,
    target: str,
    budget: float,
    point: dict[str, float],
) -> pd.DataFrame:
    """Per member: the lift of its mean stance over the year when Japan visits only
    ``target`` every week (against the same calendar without visits, common seeds), at
    ``point`` and at ``point`` with peers switched off, and the share of runs whose level
    at the end differs."""
    silent = replace(
        config.with_strategy("historical"),
        calendar=Calendar(config.calendar.start, config.calendar.n_steps),
    )
    visited = weekly_visits(config, target, budget)
    cols = [config.countries.index(c) for c in ASEAN_2022]
    rows = {}
    for label, params in (
        ("with peers", replace(config.params, **point)),
        ("peers off", replace(config.params, **{**point, "peer_weight": 0.0})),
    ):
        a = simulate(replace(visited, params=params), seeds)
        b = simulate(replace(silent, params=params), seeds)
        rows[f"lift {label}"] = (a.stance[:, 1:, cols] - b.stance[:, 1:, cols]).mean(axis=(0, 1))
        rows[f"level differs {label}"] = (a.level[:, -1, cols] != b.level[:, -1, cols]).mean(0)
    return pd.DataFrame(rows, index=list(ASEAN_2022))


def spillover_markdown(table: pd.DataFrame, target: str, budget: float, where: str) -> str:
    lines = [
        "| member | mean stance lift (rungs) | runs with another final level | same, peers off |",
        "|---|---|---|---|",
    ]
    for code, r in table.iterrows():
        lines.append(
            f"| {code}{' (visited)' if code == target else ''} | {r['lift with peers']:+.3f} | "
            f"{r['level differs with peers']:.2f} | {r['level differs peers off']:.2f} |"
        )
    others = table.drop(index=target)
    best = others["lift with peers"].abs().idxmax()
    off = float(others["lift peers off"].abs().max())
    lines.append(
        f"\nWith weekly visits to {target} only ({budget:g} budget units a week, strategy "
        f"`historical` on a calendar of those visits alone, {where}), the largest effect on a "
        f"member Japan does not visit is on {best}: {others.loc[best, 'lift with peers']:+.3f} "
        f"rungs of mean stance, and {others.loc[best, 'level differs with peers']:.2f} of runs "
        f"end at another level. With peer influence off the largest such effect is {off:.3f} "
        "rungs"
        + (
            ": the spillover runs through peers."
            if off < 0.0005
            else ": part of the spillover runs through other channels than peers."
        )
    )
    return "\n".join(lines) + "\n"


SPREAD_LIFT = 0.1
"""Mean stance lift (rungs) of an unvisited member that counts as a spread effect."""
SPREAD_SHARE = 0.05
"""Share of an unvisited member's runs ending at another level that counts as a spread."""


def spillover_points(
    rows: list[Identification], base: dict[str, float]
) -> list[tuple[str, dict[str, float]]]:
    """Named points of peer influence, strongest within what is plausible and within what is
    documented: ``base`` (the configured point's other values) with `peer_weight` at the 95th
    percentile of the accepted sets, then at the top of its documented range; each with
    `peer_reinforcement` at the bottom of its range (the least reinforcement needed for the
    full pull; not identified, so its whole range is plausible)."""
    by = {r.name: r for r in rows}
    w, k = by["peer_weight"], by["peer_reinforcement"]
    pw95 = w.high if w.deep else w.q95
    return [
        (
            f"`peer_weight` at the 95th percentile of the accepted sets ({pw95:.3g}), "
            f"`peer_reinforcement` at the bottom of its range ({k.low:g})",
            {**base, "peer_weight": pw95, "peer_reinforcement": k.low},
        ),
        (
            f"`peer_weight` at the top of its documented range ({w.high:g}, outside the "
            f"accepted sets' interval [{w.q05:.3g}, {w.q95:.3g}]), `peer_reinforcement` "
            f"{k.low:g}",
            {**base, "peer_weight": w.high, "peer_reinforcement": k.low},
        ),
    ]


def spillover_range_markdown(
    tables: list[tuple[str, pd.DataFrame]], target: str, others: dict[str, float]
) -> str:
    """Per named point: the most affected member Japan does not visit (by mean stance lift)
    and the member with the largest share of runs ending at another level, with peers off
    as the control."""
    kept = ", ".join(f"`{k}` = {v:g}" for k, v in others.items()) or "the installed values"
    lines = [
        "| point | most lifted unvisited member | lift (rungs), peers on / off | most "
        "changed final level | share of runs at another level, peers on / off |",
        "|---|---|---|---|---|",
    ]
    tops = []
    for k, (label, t) in enumerate(tables):
        o = t.drop(index=target)
        a = str(o["lift with peers"].abs().idxmax())
        b = str(o["level differs with peers"].idxmax())
        lines.append(
            f"| {k + 1}: {label} | {a} | {o.loc[a, 'lift with peers']:+.3f} / "
            f"{o.loc[a, 'lift peers off']:+.3f} | {b} | "
            f"{o.loc[b, 'level differs with peers']:.3f} / "
            f"{o.loc[b, 'level differs peers off']:.3f} |"
        )
        lift, share = o["lift with peers"].abs().max(), o["level differs with peers"].max()
        tops.append((float(lift), float(share)))
    moved = [lift > SPREAD_LIFT or share > SPREAD_SHARE for lift, share in tops]
    verdict = (
        "peer influence spreads an effect to a member Japan does not visit within the "
        "plausible range (the first point)"
        if moved[0]
        else "peer influence spreads an effect to a member Japan does not visit only at the "
        "top of the documented range, outside the accepted sets"
        if moved[-1]
        else "even at the top of the documented range peer influence moves no member Japan "
        "does not visit"
    )
    lines.append(
        f"\nThe same weekly visits to {target} only ({kept} kept), with peer influence off as "
        f"the control. Largest effect on a member Japan does not visit: "
        + "; ".join(
            f"{lift:.3f} rungs of mean stance and {share:.3f} of runs at another level at point "
            f"{k + 1}"
            for k, (lift, share) in enumerate(tops)
        )
        + f". Counting an effect of more than {SPREAD_LIFT:g} rungs or more than "
        f"{SPREAD_SHARE:.0%} of runs as a spread, {verdict}."
    )
    return "\n".join(lines) + "\n"
