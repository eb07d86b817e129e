"""Computed notes and marks of the strategy comparison figure: the 2022 record on the
headline panel, strategies not settled at the horizon, who is best across accepted sets,
and whether any strategy moves members at 'sanction' beyond the grey zone."""

from __future__ import annotations

from typing import Any

import matplotlib.lines
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from experiments.workflow.comparison import HEADLINE, SETTLE_WEEKS, SETTLED
from experiments.workflow.record import NamingRecord

__all__ = ["HEADLINE", "best_note", "draw_record", "grey_zone_note", "unsettled"]

RECORD_STYLE = {"marker": "*", "color": "black", "ms": 12, "ls": "none", "zorder": 5}


def draw_record(ax: Axes, record: NamingRecord, y: float) -> Any:
    """The record's count as a black star on row ``y`` (its 'unclear' members as a black
    range above it); returns the legend handle."""
    at = y - 0.3
    if record.high > record.low:
        ax.plot([record.low, record.high], [at, at], color="black", lw=1.2, marker="|", ms=8)
    ax.plot([record.low], [at], **RECORD_STYLE)
    return matplotlib.lines.Line2D([], [], label=record.label(), **RECORD_STYLE)


def hollow_handle() -> Any:
    """Legend entry of the hollow markers."""
    return matplotlib.lines.Line2D(
        [], [], marker="o", color="0.3", mfc="white", ls="none",
        label=f"hollow: not settled (still moving over the last {SETTLE_WEEKS} weeks)",
    )  # fmt: skip


def unsettled(table: pd.DataFrame | None) -> list[str]:
    """Strategies with a row of ``table`` (comparison.csv) not settled at the horizon."""
    if table is None or "settled" not in table.columns:
        return []
    settled = table["settled"].astype(str).str.lower().isin(("true", "1", "1.0"))
    return list(dict.fromkeys(table.loc[~settled, "strategy"].astype(str)))


def unsettled_note(table: pd.DataFrame | None, n_steps: int) -> str:
    """The title line naming the strategies not settled at the horizon, with the change of
    their members at 'condemn' or higher over the last weeks ('' if all settled)."""
    names = unsettled(table)
    if not names or table is None:
        return ""
    by = table.groupby("strategy", sort=False)
    condemn = by["condemn_change_last_8w"].mean()
    leakage = by["leakage_effect_change_last_8w"].mean()
    shown = ", ".join(
        f"{s} {condemn[s]:+.2f}"
        if abs(condemn[s]) > SETTLED["n_condemn_or_higher"]
        else f"{s} (leakage effect {leakage[s]:+.2f} USD bn/yr)"
        for s in names
    )
    return (
        f"not settled at the horizon (change over the last {SETTLE_WEEKS} weeks of members at "
        f"'condemn' or higher): {shown}; the order may depend on the {n_steps}-week cut"
    )


def best_note(table: pd.DataFrame | None, top: int = 3) -> str:
    """The title line naming the strategies best in the largest shares of accepted sets
    (mean over the table's groups of points); '' without the column or with one set."""
    if table is None or "share_sets_best" not in table.columns or table["sets"].max() < 2:
        return ""
    share = (
        table.groupby("strategy", sort=False)["share_sets_best"]
        .mean()
        .sort_values(ascending=False, kind="stable")
    )
    shown = [f"{s} {v:.0%}" for s, v in share.head(top).items() if v > 0]
    return (
        f"best (most members naming Russia) in share of accepted sets "
        f"({int(table['sets'].max())} sets; ties split): " + ", ".join(shown)
    )


def grey_zone_note(entries: list[dict[str, Any]], meaningful: float) -> str:
    """A title note when every strategy's difference from `none` (95% CI) lies inside
    the grey zone (within ``meaningful``); '' otherwise or without differences."""
    diffs = [e["diff"] for e in entries if e["diff"] is not None]
    if not diffs or any(np.isnan(d["mean"]) for d in diffs):
        return ""
    if all(-meaningful <= d["lo"] and d["hi"] <= meaningful for d in diffs):
        return "\nno strategy moves members at sanction beyond the grey zone at this effort"
    return ""
