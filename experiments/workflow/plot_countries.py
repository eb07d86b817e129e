"""The per-country outcome figure (``country_outcomes``): who moves under which strategy.

A grid of countries x strategies for the first group of points (accepted sets pooled):
each cell gives the share of runs in which the country ends at 'condemn' or higher
(names Russia or sanctions), coloured by its difference from `none` on the same seeds
(percentage points). Drawn from the per-country counts of ``curves.parquet`` at the last
step, the numbers of ``countries.csv``. Members whose every prior of the scenario (an
attribute given with a range) is an unverified prior (``C: U``) are marked so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.workflow import figdata
from experiments.workflow.countries import countries_table

BASELINE = "none"
UNVERIFIED = "(priors unverified)"
"""Row-label suffix of a member whose every prior is ``C: U``."""
MOVED = 0.05
"""Smallest difference from `none` (share of runs) a cell's text calls a move."""


def unverified_members(scenario: Mapping[str, Any]) -> list[str]:
    """Members of a scenario mapping whose every attribute given with a range (a prior of
    the plausible space) is marked ``C: U`` (unverified prior)."""
    out = []
    for code, attrs in (scenario.get("countries") or {}).items():
        priors = [a for a in attrs.values() if isinstance(a, Mapping) and "range" in a]
        if priors and all(a.get("C") == "U" for a in priors):
            out.append(str(code))
    return out


def pooled_shares(curves: pd.DataFrame) -> tuple[pd.DataFrame, figdata.Group]:
    """Share of runs ending at 'condemn' or higher, country x strategy, for the first
    group of points (its sets pooled, weighted by runs)."""
    group = figdata.groups(curves)[0]
    table = countries_table(figdata.select(curves, group))
    table = table.assign(
        upper=table["share_condemn"] + table["share_sanction"],
        runs=table["n"],
    )
    table["weighted"] = table["upper"] * table["runs"]
    pooled = table.groupby(["country", "strategy"], sort=False)[["weighted", "runs"]].sum()
    share = (pooled["weighted"] / pooled["runs"]).unstack("strategy")
    names = dict(zip(table["country"], table["country_name"], strict=False))
    share.index = [f"{names[c]} ({c})" for c in share.index]
    return share, group


def country_outcomes(curves: pd.DataFrame, unverified: Collection[str] = ()) -> Figure:
    """Heat map of who ends at 'condemn' or higher, per country and strategy (see module);
    the rows of the members in ``unverified`` say their priors are unverified."""
    share, group = pooled_shares(curves)
    share.index = [
        f"{label} {UNVERIFIED}" if label.split("(")[-1].rstrip(")") in unverified else label
        for label in share.index
    ]
    strategies = list(share.columns)
    base = share[BASELINE] if BASELINE in share.columns else None
    diff = share.sub(base, axis=0) if base is not None else share * 0.0
    fig = Figure(
        figsize=(1.0 * len(strategies) + 3.5, 0.45 * len(share) + 2.6), layout="constrained"
    )
    ax = fig.subplots()
    limit = max(0.1, float(np.nanmax(np.abs(diff.to_numpy()))))
    image = ax.imshow(diff.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            moved = abs(diff.iat[i, j]) >= MOVED
            ax.text(
                j, i, f"{share.iat[i, j]:.0%}", ha="center", va="center", fontsize=8,
                fontweight="bold" if moved else "normal",
                color="white" if abs(diff.iat[i, j]) > 0.6 * limit else "black",
            )  # fmt: skip
    ax.set_xticks(range(len(strategies)), strategies, rotation=40, ha="right", fontsize=9)
    ax.set_yticks(range(len(share)), list(share.index), fontsize=9)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("difference from 'none' (share of runs, same seeds)", fontsize=9)
    n = figdata.seeds_per_point(curves)
    over = f"{group.sets} accepted sets x {n} seeds" if group.sets > 1 else f"{n} seeds"
    where = "" if group.label == "default" else f", {group.label}"
    fig.suptitle(
        "Who moves under which strategy: share of runs in which each member ends at "
        f"'condemn' or higher\n(names Russia or sanctions; {over}{where}); colour: "
        f"difference from 'none', bold where it is {100 * MOVED:.0f} percentage points or more"
        + (
            f"\n{UNVERIFIED}: every attribute the scenario gives the member as a prior (with "
            "a range) is marked C: U, unverified"
            if any(UNVERIFIED in label for label in share.index)
            else ""
        ),
        fontsize=11,
    )
    return fig
