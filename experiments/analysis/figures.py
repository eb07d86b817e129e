"""Figures for analysts, drawn from the tables of :mod:`robustness`, :mod:`sensitivity` and
:mod:`discovery`.

Each function takes data and returns a matplotlib ``Figure`` built with the object-oriented
API (``matplotlib.figure.Figure``, no pyplot state, nothing shown): save it with
``fig.savefig(path)``. Axes carry units, titles say what is shown, and colour codes
strategies the same way in every figure (the reference ``none`` in grey).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.analysis.discovery import PrimResult
from experiments.analysis.robustness import REFERENCE, STRATEGY, Outcome, strategy_order

log = logging.getLogger(__name__)

GREY = (0.45, 0.45, 0.45, 1.0)


def strategy_colours(strategies: Sequence[str], reference: str = REFERENCE) -> dict[str, tuple]:
    """A stable colour per strategy, the reference strategy in grey."""
    others = [s for s in strategies if s != reference]
    cmap = matplotlib.colormaps["tab10" if len(others) <= 9 else "tab20"]
    greys = {7} if cmap.N == 10 else {14, 15}  # kept for the reference
    palette = [cmap(i) for i in range(cmap.N) if i not in greys]
    colours = {s: palette[i % len(palette)] for i, s in enumerate(others)}
    colours[reference] = GREY
    return colours


def _panels(
    n: int, width: float = 5.0, height: float = 3.6, columns: int | None = None
) -> tuple[Figure, list[Axes]]:
    """``n`` panels of ``width`` x ``height`` inches, ``columns`` to a row (default: all)."""
    columns = min(n, columns or n)
    rows = -(-n // columns)
    fig = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = list(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


def _label(name: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(name, name)


def outcome_distributions(
    points: pd.DataFrame,
    outcomes: Sequence[Outcome],
    kind: str = "box",
    reference: str = REFERENCE,
) -> Figure:
    """One panel per outcome: the distribution of each strategy's per-point mean across the
    design's points (box: median, quartiles, 5-95% whiskers; or violin). A dashed line marks
    the satisficing target where there is one."""
    if kind not in ("box", "violin"):
        raise ValueError(f"kind must be 'box' or 'violin', got {kind!r}")
    order = strategy_order(points)
    colours = strategy_colours(order, reference)
    fig, axes = _panels(len(outcomes), width=max(4.0, 0.55 * len(order) + 1.5), columns=2)
    n_points = points["point"].nunique()
    for ax, outcome in zip(axes, outcomes, strict=True):
        data = [
            points.loc[points[STRATEGY].astype(str) == s, outcome.name].to_numpy(float)
            for s in order
        ]
        positions = np.arange(len(order))
        if kind == "box":
            parts = ax.boxplot(
                data,
                positions=positions,
                whis=(5, 95),
                widths=0.6,
                patch_artist=True,
                showfliers=False,
            )
            for patch, strategy in zip(parts["boxes"], order, strict=True):
                patch.set_facecolor(colours[strategy])
                patch.set_alpha(0.6)
            for median in parts["medians"]:
                median.set_color("black")
        else:
            parts = ax.violinplot(data, positions=positions, showmedians=True)
            for body, strategy in zip(parts["bodies"], order, strict=True):
                body.set_facecolor(colours[strategy])
                body.set_alpha(0.6)
        better = f"{outcome.direction} is better"
        if outcome.target is not None:
            ax.axhline(outcome.target, color="black", linestyle="--", linewidth=1)
            sign = ">=" if outcome.direction == "higher" else "<="
            better += f"; dashed: target {sign} {outcome.target:g}"
        ax.set_xticks(positions, order, rotation=30, ha="right")
        ax.set_xlabel("strategy")
        ax.set_ylabel(outcome.axis_label)
        ax.set_title(f"{outcome.label or outcome.name}\n({better})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    spread = "box: quartiles, whiskers: 5-95%" if kind == "box" else "violin: density, bar: median"
    fig.suptitle(f"Outcome per strategy across {n_points} plausible worlds ({spread})")
    return fig


def regret_chart(
    regret: pd.DataFrame, outcomes: Sequence[Outcome], reference: str = REFERENCE
) -> Figure:
    """One panel per outcome: bars of mean regret per strategy, a black diamond at the
    maximum. Input: :func:`~experiments.analysis.robustness.regret_summary`."""
    order = strategy_order(regret)
    colours = strategy_colours(order, reference)
    fig, axes = _panels(len(outcomes), width=4.5, height=0.3 * len(order) + 1.6, columns=3)
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = regret[regret["outcome"] == outcome.name].set_index(STRATEGY).reindex(order)
        positions = np.arange(len(order))
        ax.barh(
            positions,
            rows["mean_regret"],
            color=[colours[s] for s in order],
            alpha=0.8,
            height=0.6,
        )
        ax.scatter(rows["max_regret"], positions, marker="D", color="black", s=18, zorder=3)
        ax.set_yticks(positions, order)
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        unit = f" ({outcome.unit})" if outcome.unit else ""
        ax.set_xlabel(f"regret{unit}")
        ax.set_title(f"{outcome.label or outcome.name}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        "Regret: shortfall from the best strategy in the same world\n"
        "bars = mean over worlds, diamond = worst world"
    )
    return fig


def morris_chart(
    morris: pd.DataFrame,
    outcome: Outcome,
    labels: Mapping[str, str] | None = None,
    top: int | None = None,
) -> Figure:
    """Left: mu* per input with its bootstrap interval, most influential on top. Right: mu*
    against sigma (high sigma: non-linear or interacting). With ``top``, only the first
    ``top`` inputs are drawn (the title says so). Input:
    :func:`~experiments.analysis.sensitivity.morris_screening`."""
    table = morris.sort_values("mu_star", ascending=False)
    shown = f" (top {top} of {len(table)} inputs)" if top and top < len(table) else ""
    table = table.head(top) if top else table
    names = [_label(d, labels) for d in table["dimension"]]
    fig, (bars, scatter) = _panels(2, width=4.8, height=0.35 * len(table) + 2.0)
    positions = np.arange(len(table))
    bars.barh(
        positions,
        table["mu_star"],
        xerr=table["mu_star_conf"],
        color="tab:blue",
        alpha=0.8,
        height=0.6,
        capsize=3,
    )
    bars.set_yticks(positions, names)
    bars.invert_yaxis()
    bars.set_xlim(left=0)
    unit = f" ({outcome.unit})" if outcome.unit else ""
    bars.set_xlabel(f"mu*: mean |effect| of a full-range change{unit}")
    bars.set_title("Overall influence (95% interval)", fontsize=10)
    bars.grid(axis="x", alpha=0.3)
    scatter.scatter(table["mu_star"], table["sigma"], color="tab:blue")
    for name, x, y in zip(names, table["mu_star"], table["sigma"], strict=True):
        scatter.annotate(name, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=8)
    scatter.set_xlabel(f"mu*{unit}")
    scatter.set_ylabel(f"sigma: spread of effects{unit}")
    scatter.set_title("Non-linearity and interactions", fontsize=10)
    scatter.grid(alpha=0.3)
    fig.suptitle(f"Morris screening of {outcome.label or outcome.name}{shown}")
    return fig


def sobol_chart(
    indices: pd.DataFrame,
    outcome: Outcome,
    labels: Mapping[str, str] | None = None,
    top: int | None = None,
) -> Figure:
    """First-order (S1) and total (ST) Sobol' indices per input with their intervals, sorted
    by ST; with ``top``, only the first ``top`` inputs are drawn (the sum of S1 in the
    title is over all of them). Input: ``SobolIndices.indices``."""
    table = indices.sort_values("ST", ascending=False)
    total_s1, n_inputs = table["S1"].sum(), len(table)
    table = table.head(top) if top else table
    names = [_label(d, labels) for d in table["dimension"]]
    fig, (ax,) = _panels(1, width=6.0, height=0.45 * len(table) + 1.8)
    positions = np.arange(len(table))
    height = 0.38
    for offset, key, colour, text in (
        (-height / 2, "S1", "tab:blue", "S1: alone"),
        (height / 2, "ST", "tab:orange", "ST: with interactions"),
    ):
        ax.barh(
            positions + offset,
            table[key],
            xerr=table[f"{key}_conf"],
            height=height,
            color=colour,
            alpha=0.85,
            capsize=3,
            label=text,
        )
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("share of the outcome's variance (95% interval)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"Sobol' indices of {outcome.label or outcome.name} (sum of S1 = {total_s1:.2f})"
        + (f"\ntop {len(table)} of {n_inputs} inputs by ST" if len(table) < n_inputs else ""),
        fontsize=10,
    )
    return fig


def _no_box(ax: Axes, result: PrimResult) -> None:
    ax.text(0.5, 0.5, f"No box: {result.reason}", ha="center", va="center", wrap=True)
    ax.set_title("PRIM scenario discovery")
    ax.set_axis_off()


def prim_tradeoff(result: PrimResult, title: str = "") -> Figure:
    """PRIM's peeling trajectory: density against coverage, coloured by the number of
    restricted inputs; PRIM's chosen step is circled, and a pruned box (see
    :func:`~experiments.analysis.discovery.prune`) that differs from it is starred."""
    fig, (ax,) = _panels(1, width=5.5, height=4.2)
    if not result.found:
        _no_box(ax, result)
        return fig
    trajectory = result.trajectory
    most = int(trajectory["res_dim"].max())
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap=matplotlib.colormaps["viridis"].resampled(most + 1),
        vmin=-0.5,
        vmax=most + 0.5,
    )
    fig.colorbar(points, ax=ax, label="restricted inputs", ticks=range(most + 1))
    step = trajectory.iloc[result.box_index]
    chosen = (float(step["coverage"]), float(step["density"]))
    ax.scatter(*chosen, s=160, facecolors="none", edgecolors="red", lw=1.5)
    ax.annotate(
        f"PRIM's box: coverage {chosen[0]:.2f}, density {chosen[1]:.2f}",
        chosen, xytext=(-10, -18), textcoords="offset points", ha="right", fontsize=8,
        color="red",
    )  # fmt: skip
    pruned = (result.coverage, result.density)
    if not np.allclose(pruned, chosen):
        ax.scatter(*pruned, s=120, marker="*", color="black", zorder=3)
        ax.annotate(
            f"pruned to {len(result.restricted)} inputs: coverage {pruned[0]:.2f}, "
            f"density {pruned[1]:.2f}",
            pruned, xytext=(-10, -30), textcoords="offset points", ha="right", fontsize=8,
        )  # fmt: skip
    ax.set_xlabel("coverage: share of all cases inside the box")
    ax.set_ylabel("density: share of the box that are cases")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title or "PRIM trade-off: each point is a box on the peeling trajectory")
    return fig


def prim_limits(
    result: PrimResult, title: str = "", labels: Mapping[str, str] | None = None
) -> Figure:
    """The chosen box: for each restricted input, its kept range as a bar over the input's
    full range (scaled to 0-1, limits written in the input's units); a categorical input
    lists the values kept."""
    rows = result.limits[result.limits["restricted"]] if result.found else result.limits[:0]
    fig, (ax,) = _panels(1, width=6.0, height=0.7 * max(len(rows), 1) + 1.4)
    if not result.found or rows.empty:
        if result.found:
            ax.text(0.5, 0.5, "The chosen box restricts no input", ha="center", va="center")
            ax.set_axis_off()
        else:
            _no_box(ax, result)
        return fig
    positions = np.arange(len(rows))
    for y, row in zip(positions, rows.itertuples(index=False), strict=True):
        ax.barh(y, 1.0, left=0.0, height=0.5, color="0.9")
        if row.kind == "numeric":
            span = row.maximum - row.minimum
            lo = (row.lower - row.minimum) / span
            hi = (row.upper - row.minimum) / span
            text = (
                f"{row.lower:.3g} to {row.upper:.3g}  (range {row.minimum:.3g}-{row.maximum:.3g})"
            )
        else:
            lo, hi = 0.0, 1.0
            text = "{" + ", ".join(str(v) for v in row.values) + "}"
        ax.barh(y, hi - lo, left=lo, height=0.5, color="tab:red", alpha=0.7)
        ax.text(0.5, y - 0.3, text, ha="center", va="bottom", fontsize=8)
    ax.set_yticks(positions, [_label(d, labels) for d in rows["dimension"]])
    ax.set_xlim(0, 1)
    ax.set_ylim(len(rows) - 0.6, -0.9)
    ax.set_xlabel("position within the input's range (0 = minimum, 1 = maximum)")
    ax.set_title(
        title
        or (
            f"PRIM box: coverage {result.coverage:.2f}, density {result.density:.2f}, "
            f"mass {result.mass:.2f}"
        ),
        fontsize=10,
    )
    return fig


def index_heatmap(
    indices: pd.DataFrame,
    value: str = "ST",
    title: str = "",
    labels: Mapping[str, str] | None = None,
    top: int = 12,
) -> Figure:
    """Input x strategy heat map of one sensitivity index (e.g. Sobol' ST of each
    strategy's outcome), the ``top`` inputs with the largest value in any strategy first.
    Input: tidy rows with columns ``strategy``, ``dimension`` and ``value``."""
    wide = indices.pivot_table(index="dimension", columns=STRATEGY, values=value, aggfunc="first")
    order = [s for s in dict.fromkeys(indices[STRATEGY].astype(str)) if s in wide.columns]
    wide = wide[order]
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False, kind="stable").index[:top]]
    fig = Figure(figsize=(0.75 * len(order) + 3.5, 0.4 * len(wide) + 2.0), layout="constrained")
    ax = fig.subplots()
    shown = wide.to_numpy(float)
    image = ax.imshow(np.clip(shown, 0, 1), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), number in np.ndenumerate(shown):
        ax.text(j, i, f"{number:.2f}", ha="center", va="center", fontsize=7,
                color="white" if number > 0.6 else "black")  # fmt: skip
    ax.set_xticks(np.arange(len(order)), order, rotation=35, ha="right")
    ax.set_yticks(np.arange(len(wide)), [_label(d, labels) for d in wide.index])
    fig.colorbar(image, ax=ax, label=value)
    ax.set_title(title or f"{value} per input and strategy", fontsize=10)
    return fig


def effort_chart(
    effort: pd.DataFrame, outcome: Outcome, reference: str, marks: Sequence[float] = ()
) -> Figure:
    """Left: each strategy's mean gain over ``reference`` per budget band of the explore
    design (log budget axis); right: the same gain per 100 budget units spent. Dashed
    lines: ``marks`` (Japan's 2022 effort and its multiples). Input: ``effort.csv`` rows."""
    rows = effort[(effort["design"] == "explore") & (effort["outcome"] == outcome.name)]
    order = [s for s in dict.fromkeys(rows["strategy"]) if s != reference]
    colours = strategy_colours([reference, *order], reference)
    fig, axes = _panels(2, width=5.5, height=4.2, columns=2)
    for ax, key, title in (
        (axes[0], "gain", f"gain over `{reference}` ({outcome.unit or 'units'})"),
        (axes[1], "gain_per_100", "gain per 100 budget units spent"),
    ):
        for strategy in order:
            part = rows[rows["strategy"] == strategy]
            centre = np.sqrt(part["budget_low"] * part["budget_high"])
            ax.plot(centre, part[key], marker="o", ms=3, color=colours[strategy], label=strategy)
        for k, x in enumerate(marks):
            ax.axvline(x, color="black", ls="--", lw=0.8)
            ax.annotate(
                "2022 effort" if k == 0 else f"x{x / marks[0]:g}", (x, 1), xycoords=("data",
                "axes fraction"), xytext=(3, -10), textcoords="offset points", fontsize=8,
            )  # fmt: skip
        ax.set_xscale("log", base=2)
        ticks = sorted({*rows["budget_low"], *rows["budget_high"]})
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xlabel("budget, units a week (band centre, log scale)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(
        f"{outcome.label or outcome.name}: what each strategy adds over `{reference}`, by "
        "budget band\n(mean over the explore design's worlds in each doubling of the budget)"
    )
    return fig
