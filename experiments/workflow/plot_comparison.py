"""The strategy comparison figure (``strategy_comparison``): each outcome per strategy and
its paired difference from `none` on the same seeds, headline outcomes first (members
naming Russia, the material track, leakage, spending), then the outcome bought per 100
budget units, members at 'sanction' last. Drawn from a few columns of ``summary.parquet``;
bands as in :mod:`experiments.workflow.figdata`."""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.workflow import figdata, plot_notes
from experiments.workflow.figdata import Group
from experiments.workflow.plot_style import (
    BASELINE,
    BUDGET_UNIT,
    band_handles,
    shown_groups,
    strategies_of,
    strategy_colors,
)
from experiments.workflow.record import NamingRecord

COMPARISON_MEASURES = (
    ("ever_naming_russia", "members naming Russia in their own statements at any step\n"
     "(the observable the 2022 record checks)", "count", 0.5),
    ("final_condemn_or_higher", "members at 'condemn' or higher at the end\n(latent stance)",
     "count", 0.5),
    ("final_distancing_or_more",
     "members at 'distancing' or beyond at the end\n(material track: arms deals, banks, shippers)",
     "count", 0.5),
    ("mean_leakage", "mean leakage over the horizon (Russian trade through non-adopters)\n"
     "(model quantity, not checked against a record)",
     "USD bn/yr", 1.0),
    ("budget_spent", "budget spent over the horizon\n(budget units)", "budget units", 10.0),
    ("final_sanctioning", "members at 'sanction' at the end", "count", 0.5),
    ("any_adoption", "share of runs with at least one adoption", "share", 0.05),
    ("weeks_to_first_adoption", "weeks to the first adoption (runs with one)", "weeks", 2.0),
)  # fmt: skip
"""(column, title, unit, smallest difference that matters), in the order drawn: what
strategies move first, members at 'sanction' after the outcomes bought per 100 units. The
last sets the grey zone and the least half-width of the difference panels, so noise never
looks like a gap. A column missing from the summary (an older run) is left out."""
PER_100 = (
    ("final_condemn_or_higher", 1.0, "members at 'condemn' or higher gained over 'none'"),
    ("final_distancing_or_more", 1.0, "members distancing or beyond gained over 'none'"),
    ("mean_leakage", -1.0, "leakage cut below 'none', USD bn/yr"),
)
"""The outcome bought per 100 budget units (comparison.csv ``*_per_100``): (column, sign of
a gain, what is gained); one row of panels after the budget, when the run holds `none`."""
PER_100_SLOT = "per_100"
REPLAY = "historical"


def _values(df: pd.DataFrame, measure: str) -> pd.Series:
    if measure == "any_adoption":
        return df["weeks_to_first_adoption"].notna().astype(float)
    return df[measure].astype(float)


def _bounds(unit: str, n_countries: int, n_steps: int) -> tuple[float, float]:
    return {"count": (0.0, float(n_countries)), "share": (0.0, 1.0), "weeks": (0.0, n_steps)}.get(
        unit, (0.0, np.inf)
    )


def _interval(
    ax: Axes, stats: dict[str, float], y: float, color: Any, marker: str, hollow: bool = False
) -> None:
    if np.isnan(stats["mean"]):
        return
    ax.plot([stats["lo"], stats["hi"]], [y, y], color=color, lw=3.2, alpha=0.45)
    face = "white" if hollow else color
    ax.plot([stats["mean"]], [y], marker, color=color, mfc=face, ms=6 if hollow else 5)


def _predictive(ax: Axes, stats: dict[str, float], y: float, color: Any) -> None:
    if not np.isnan(stats["mean"]):
        ax.plot([stats["p_lo"], stats["p_hi"]], [y, y], ":", color=color, lw=1.1)


def _measures(summary: pd.DataFrame) -> list[tuple[str, str, str, float]]:
    """The measures of :data:`COMPARISON_MEASURES` the summary holds."""
    have = set(summary.columns) | {"any_adoption"}
    return [m for m in COMPARISON_MEASURES if m[0] in have]


def _per_100(s: pd.DataFrame, base: pd.DataFrame, column: str, sign: float, sets: Any) -> dict:
    """The gain over ``none`` (paired on seeds) per 100 budget units spent: pooled mean gain
    over pooled spending, as comparison.csv; the 95% CI of the gain scaled by the same
    spending; with several sets, the 5-95% spread over sets of the per-set ratios."""
    spent = float(s["budget_spent"].mean())
    if not spent > 0:
        return {"mean": np.nan, "lo": np.nan, "hi": np.nan, "p_lo": np.nan, "p_hi": np.nan}
    gain = sign * (s[column].astype(float) - base[column].astype(float))
    stats = figdata.mean_ci(gain.to_numpy(), (-np.inf, np.inf), sets)
    out = {k: 100 * stats[k] / spent for k in ("mean", "lo", "hi")}
    if sets is not None:
        point = gain.index.get_level_values("point")
        by_set = gain.groupby(point).mean() / s["budget_spent"].groupby(point).mean()
        out["p_lo"], out["p_hi"] = (100 * float(q) for q in np.quantile(by_set, figdata.PREDICTIVE))
    else:
        out["p_lo"] = out["p_hi"] = np.nan
    return out


def _measure_stats(
    summary: pd.DataFrame, shown: list[Group], strategies: list[str], bounds: Any
) -> dict[str, list[dict[str, Any]]]:
    """Per measure: the statistics of each (group, strategy) and of its paired difference
    from ``none`` (``diff``: None without a baseline); per ``per_100:<column>``: the gain
    bought per 100 budget units (strategies that spend, beside ``none``)."""
    keys = [k for k in ("job", "point", "seed") if k in summary.columns]
    measures = _measures(summary)
    out: dict[str, list[dict[str, Any]]] = {m[0]: [] for m in measures}
    out |= {f"{PER_100_SLOT}:{c}": [] for c, _s, _t in PER_100 if c in summary.columns}
    for g, group in enumerate(shown):
        part = figdata.select(summary, group)
        base = part[part["strategy"] == BASELINE].set_index(keys)
        for i, strategy in enumerate(strategies):
            s = part[part["strategy"] == strategy].set_index(keys)
            if s.empty:
                continue
            sets = s.index.get_level_values("point").to_numpy() if group.sets > 1 else None
            paired = strategy != BASELINE and not base.empty
            for measure, _title, unit, _meaningful in measures:
                stats = figdata.mean_ci(_values(s, measure).to_numpy(), bounds(unit), sets)
                diff = None
                if paired:
                    values = (_values(s, measure) - _values(base, measure)).to_numpy()
                    diff = figdata.mean_ci(values, (-np.inf, np.inf), sets)
                out[measure].append({"g": g, "i": i, "stats": stats, "diff": diff})
            for column, sign, _what in PER_100:
                if paired and f"{PER_100_SLOT}:{column}" in out:
                    stats = _per_100(s, base, column, sign, sets)
                    entry = {"g": g, "i": i, "stats": stats, "diff": None}
                    out[f"{PER_100_SLOT}:{column}"].append(entry)
    return out


def _same_for_all(entries: list[dict[str, Any]]) -> bool:
    """Whether every strategy has the same mean (within each group) and no spread."""
    by_group: dict[int, set[float]] = {}
    for e in entries:
        st = e["stats"]
        if not np.isnan(st["mean"]) and st["lo"] != st["hi"]:
            return False
        by_group.setdefault(e["g"], set()).add(round(float(st["mean"]), 9))
    return all(len(v) == 1 for v in by_group.values())


def _value_text(entries: list[dict[str, Any]]) -> str:
    values = sorted({round(float(e["stats"]["mean"]), 3) for e in entries})
    shown = [("never" if np.isnan(v) else f"{v:g}") for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown)} depending on the point"


def _layout(kept: list[str], paired: bool) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Where each slot goes: (row, first column); the per-100 slot takes a row of its own.
    Returns the places, the rows and the columns of the grid."""
    per_row = 2 if paired else min(3, max(len(kept), 1))
    width = 2 if paired else 1
    places: dict[str, tuple[int, int]] = {}
    row, col = 0, 0
    for slot in kept:
        if slot == PER_100_SLOT:
            row, col = (row + 1, 0) if col else (row, 0)
            places[slot] = (row, 0)
            row += 1
            continue
        places[slot] = (row, col * width)
        col += 1
        if col == per_row:
            row, col = row + 1, 0
    return places, row + (1 if col else 0), per_row * width


def _per_100_panels(axes: Any, row: int, stats: dict, strategies: list[str], draw: Any) -> None:
    """The row of outcome-per-100-units panels, one per outcome of :data:`PER_100`."""
    columns = [c for c, _s, _t in PER_100 if f"{PER_100_SLOT}:{c}" in stats]
    whats = {c: what for c, _s, what in PER_100}
    for k, column in enumerate(columns[: axes.shape[1]]):
        ax = axes[row, k]
        ax.set_visible(True)
        for e in stats[f"{PER_100_SLOT}:{column}"]:
            draw(ax, e, predictive=True)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_title(
            f"{whats[column]}\nper 100 budget units, at this spend (outreach saturates:\n"
            "not a rate for other budgets)",
            fontsize=10,
        )
        ax.set_yticks(range(len(strategies)), strategies if k == 0 else [], fontsize=9)
        ax.set_ylim(len(strategies) - 0.5, -0.5)
        ax.grid(True, axis="x", alpha=0.3)


def _effort_note(stats: dict) -> str:
    """A line stating whether the strategies that spend spent the same (within 1%)."""
    spent = [e["stats"]["mean"] for e in stats.get("budget_spent", []) if e["stats"]["mean"] > 0]
    if len(spent) < 2:
        return ""
    lo, hi = min(spent), max(spent)
    if hi <= 1.01 * lo:
        return f"every strategy that spends spends {lo:.1f}-{hi:.1f} budget units: equal effort"
    return (
        f"strategies spend from {lo:.1f} to {hi:.1f} budget units: unequal effort, "
        "compare the outcome per 100 units"
    )


def strategy_comparison(
    summary: pd.DataFrame,
    priors: dict[Any, bool] | None = None,
    n_countries: int = 10,
    n_steps: int = 53,
    table: pd.DataFrame | None = None,
    record: NamingRecord | None = None,
) -> Figure:
    """Outcome measures per strategy and, when the run holds ``none``, their paired
    difference from it on the same seeds and the gain per 100 budget units: mean, 95% CI of
    the mean, and the parameter spread (or predictive band) where the run samples the
    plausible space; one marker per group of points. A measure equal for every strategy
    gets a line of text instead of panels; without ``none`` the figure says why there are
    no difference panels. ``table`` (comparison.csv) marks the strategies not settled at
    the horizon (hollow markers) and who is best across sets; ``record`` draws the 2022
    record on the `historical` row of the headline panel."""
    strategies = strategies_of(summary)
    unsettled = plot_notes.unsettled(table)
    colors = strategy_colors(strategies)
    shown, note = shown_groups(figdata.groups(summary, priors), "strategy_comparison")
    markers = "os^Dv<>p*h"
    spaces = {figdata.predictive(group) for group in shown}
    space = next((s for s in spaces if s), None)
    stats = _measure_stats(
        summary, shown, strategies, lambda unit: _bounds(unit, n_countries, n_steps)
    )
    measures = _measures(summary)
    titles = {m[0]: m[1] for m in measures}
    same = [m for m in titles if stats[m] and _same_for_all(stats[m])]
    kept_measures = [m for m in measures if m[0] not in same] or measures[:1]
    paired = any(e["diff"] is not None for entries in stats.values() for e in entries)
    per_100 = paired and any(k.startswith(PER_100_SLOT) and v for k, v in stats.items())
    kept = [m[0] for m in kept_measures]
    if per_100:
        at = kept.index("budget_spent") + 1 if "budget_spent" in kept else len(kept)
        kept.insert(at, PER_100_SLOT)
    places, n_rows, n_cols = _layout(kept, paired)
    height = 0.3 * len(strategies) + 1.3
    fig = Figure(figsize=(20 if paired else 16, n_rows * height + 2.2), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    y = np.arange(len(strategies))
    offsets = (np.arange(len(shown)) - (len(shown) - 1) / 2) * (0.6 / max(len(shown), 1))

    def draw(ax: Axes, e: dict[str, Any], predictive: bool, key: str = "stats") -> None:
        g, i = e["g"], e["i"]
        color, marker, at = colors[strategies[i]], markers[g % len(markers)], y[i] + offsets[g]
        _interval(ax, e[key], at, color, marker, strategies[i] in unsettled)
        if space and predictive:
            _predictive(ax, e[key], at, color)

    handles_extra: list[Any] = []
    for measure, title, unit, meaningful in kept_measures:
        row, col = places[measure]
        level_ax = axes[row, col]
        diff_ax = axes[row, col + 1] if paired else None
        for e in stats[measure]:
            draw(level_ax, e, unit != "share")
            if diff_ax is not None and e["diff"] is not None:
                draw(diff_ax, e, True, "diff")
        lo, hi = _bounds(unit, n_countries, n_steps)
        level_ax.set_visible(True)
        level_ax.set_xlim(lo, hi if np.isfinite(hi) else max(1.0, level_ax.get_xlim()[1] * 1.05))
        level_ax.set_title(title, fontsize=10)
        level_ax.set_yticks(y, strategies, fontsize=9)
        panels = [level_ax]
        if diff_ax is not None:
            diff_ax.set_visible(True)
            half = max(
                2 * meaningful, max(abs(v) for v in diff_ax.get_xlim()) if diff_ax.lines else 0
            )
            diff_ax.set_xlim(-half, half)
            diff_ax.axvspan(-meaningful, meaningful, color="0.88", zorder=0)
            diff_ax.axvline(0, color="0.3", lw=0.8)
            diff_ax.set_title(f"difference from 'none' (same seeds), {unit}", fontsize=10)
            diff_ax.set_yticks(y, [])
            panels.append(diff_ax)
        if measure == plot_notes.HEADLINE and record is not None and REPLAY in strategies:
            handles_extra.append(plot_notes.draw_record(level_ax, record, strategies.index(REPLAY)))
        if diff_ax is not None and measure == "final_sanctioning":
            level_ax.set_title(
                title + plot_notes.grey_zone_note(stats[measure], meaningful), fontsize=10
            )
        for ax in panels:
            ax.set_ylim(len(strategies) - 0.5, -0.5)
            ax.grid(True, axis="x", alpha=0.3)
        if measure.startswith("weeks") and summary["weeks_to_first_adoption"].isna().all():
            level_ax.text(
                0.5, 0.5, "no adoption in any run", transform=level_ax.transAxes,
                ha="center", va="center", color="0.4",
            )  # fmt: skip
    if per_100:
        _per_100_panels(axes, places[PER_100_SLOT][0], stats, strategies, draw)
    notes = [
        n
        for n in (
            _effort_note(stats),
            plot_notes.unsettled_note(table, n_steps),
            plot_notes.best_note(table),
        )
        if n
    ]
    if same:
        notes.append(
            "same for every strategy, so not drawn: "
            + "; ".join(f"{' '.join(titles[m].split())}: {_value_text(stats[m])}" for m in same)
        )
    if not paired:
        where = "with another strategy in one job" if BASELINE in strategies else "in this run"
        notes.append(
            f"no 'none' {where}: differences from doing nothing (paired on seeds) are not "
            "drawn (add none to the strategies of a job for them)"
        )
    handles = band_handles(space) + handles_extra
    if unsettled:
        handles.append(plot_notes.hollow_handle())
    if len(shown) > 1:
        handles += [
            matplotlib.lines.Line2D(
                [], [], marker=markers[g % len(markers)], color="0.3", ls="none", label=group.label
            )
            for g, group in enumerate(shown)
        ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2), fontsize=9)
    n = figdata.seeds_per_point(summary)
    sets = max(g.sets for g in shown)
    over = f"{sets} accepted sets x {n} seeds" if sets > 1 else f"{n} seeds"
    grey = "grey zone: differences too small to matter (plot.COMPARISON_MEASURES); "
    fig.suptitle(
        f"Outcomes by strategy: mean over {over} per marker{note}\n"
        f"{grey if paired else ''}{BUDGET_UNIT}"
        + "".join(f"\n{textwrap.fill(line, 140 if paired else 110)}" for line in notes),
        fontsize=12,
    )
    return fig
