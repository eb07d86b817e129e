"""Figures of the Compare view and the results browser: functions of tables that return a
matplotlib ``Figure`` (object-oriented API, no pyplot state shared between sessions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from experiments.dashboard.stats import CURVES, OUTCOME_BY_NAME
from experiments.workflow.plot import BASELINE, strategy_colors
from sim.ladder import LEVEL_NAMES

RUNG_COLORS = ("#b2182b", "#bdbdbd", "#92c5de", "#4393c3", "#053061")
"""oppose (red), neutral (grey), principle .. sanction (light to dark blue)."""
DATE_AXIS = "date (weekly steps from 2022-02-24)"


def _date_axis(ax, months: int = 2) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=months))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.grid(True, alpha=0.3)


def adoption_figure(bands: pd.DataFrame, strategies: Sequence[str], n_seeds: int) -> Figure:
    """Mean members at 'sanction' and at 'condemn' or higher over time, 95% bands."""
    colors = strategy_colors(list(strategies))
    fig = Figure(figsize=(12, 4.2))  # fixed margins: constrained layout is slow
    axes = fig.subplots(
        1, 2, gridspec_kw={"left": 0.06, "right": 0.83, "bottom": 0.2, "top": 0.84, "wspace": 0.2}
    )
    for ax, (measure, what) in zip(axes, CURVES, strict=True):
        for strategy in strategies:
            b = bands[(bands["strategy"] == strategy) & (bands["measure"] == measure)]
            if b.empty:
                continue
            style = "--" if strategy == BASELINE else "-"
            ax.plot(b["date"], b["mean"], style, color=colors[strategy], lw=1.8, label=strategy)
            ax.fill_between(b["date"], b["low"], b["high"], color=colors[strategy], alpha=0.15)
        ax.set_title(f"Mean number of {what}", fontsize=11)
        ax.set_ylabel("ASEAN member states (count)")
        ax.set_xlabel(DATE_AXIS)
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
        _date_axis(ax)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, names, loc="upper left", bbox_to_anchor=(0.84, 0.9), title="Japan's strategy",
        fontsize=9,
    )  # fmt: skip
    fig.suptitle(f"Adoption: mean over {n_seeds} seeds, shaded 95% CI of the mean", fontsize=12)
    return fig


def _quarter_ticks(dates: pd.DatetimeIndex) -> tuple[list[int], list[str]]:
    """Week indices where February, May, August or November begin, and their labels."""
    ticks, labels = [], []
    for k, d in enumerate(dates):
        if d.month % 3 == 2 and (k == 0 or dates[k - 1].month != d.month):
            ticks.append(k)
            labels.append(d.strftime("%b\n%Y"))
    return ticks, labels


def levels_figure(
    levels: pd.DataFrame, names: Mapping[str, str], strategies: Sequence[str]
) -> Figure:
    """Each member's mean rung per week, one heatmap per strategy (rows: countries).

    The panels are drawn as one mosaic image on one axes, labelled with text: a grid of
    eleven axes costs most of a refresh in tick machinery."""
    strategies = [s for s in strategies if (levels["strategy"] == s).any()]
    n_cols = min(3, max(1, len(strategies)))
    n_rows = -(-len(strategies) // n_cols)
    codes = list(names)
    n, t = len(codes), int(levels["step"].max()) + 1
    gap_x, gap_y = max(2, t // 12), 3  # blank columns and rows (cells) between panels
    mosaic = np.full((n_rows * (n + gap_y) - gap_y, n_cols * (t + gap_x) - gap_x), np.nan)
    width, height = 4.4 * n_cols + 2.8, (0.24 * n + 0.75) * n_rows + 1.0
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((1.15 / width, 0.5 / height, 1 - 2.75 / width, 1 - 1.25 / height))
    dates = levels.drop_duplicates("step").set_index("step")["date"].sort_index()
    ticks, labels = _quarter_ticks(pd.to_datetime(dates.to_numpy()))
    for k, strategy in enumerate(strategies):
        row, col = divmod(k, n_cols)
        y0, x0 = row * (n + gap_y), col * (t + gap_x)
        grid = levels[levels["strategy"] == strategy].pivot(
            index="country", columns="step", values="level"
        )
        mosaic[y0 : y0 + n, x0 : x0 + t] = grid.reindex(index=codes, columns=range(t)).to_numpy()
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), t, n, fill=False, lw=0.8, clip_on=False))
        ax.text(x0 + t / 2, y0 - 0.9, strategy, ha="center", va="bottom", fontsize=10,
                fontweight="bold")  # fmt: skip
        if col == 0:
            for i, code in enumerate(codes):
                ax.text(x0 - 1.2, y0 + i, names[code], ha="right", va="center", fontsize=8)
        if k + n_cols >= len(strategies):  # the lowest panel of its column: dates below
            for tick, label in zip(ticks, labels, strict=True):
                ax.plot([x0 + tick] * 2, [y0 + n - 0.5, y0 + n - 0.1], color="black", lw=0.8)
                ax.text(x0 + tick, y0 + n + 0.1, label, ha="center", va="top", fontsize=8)
    cmap = ListedColormap(RUNG_COLORS).with_extremes(bad="white")
    norm = BoundaryNorm(np.arange(-0.5, len(LEVEL_NAMES)), cmap.N)
    image = ax.imshow(mosaic, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_axis_off()
    cax = fig.add_axes((1 - 1.3 / width, 0.2, 0.15 / width, 0.6))
    bar = fig.colorbar(image, cax=cax, ticks=range(len(LEVEL_NAMES)))
    bar.ax.set_yticklabels(LEVEL_NAMES)
    bar.set_label("mean rung over the seeds")
    fig.suptitle(
        "Each member's level over time: mean rung over the seeds, coloured by the nearest rung",
        y=1 - 0.2 / height,
    )
    return fig


def difference_figure(diffs: pd.DataFrame, outcome: str, baseline: str) -> Figure:
    """Forest plot: mean paired difference from ``baseline`` per strategy, 95% interval."""
    part = diffs[diffs["outcome"] == outcome]
    strategies = list(part["strategy"])
    colors = strategy_colors([*strategies, baseline])
    height = 0.32 * len(strategies) + 1.2
    fig = Figure(figsize=(8, height))  # fixed margins: constrained layout is slow
    ax = fig.subplots(
        gridspec_kw={"left": 0.2, "right": 0.97, "bottom": 0.6 / height, "top": 1 - 0.4 / height}
    )
    y = np.arange(len(strategies))
    for i, r in enumerate(part.itertuples()):
        if not np.isfinite(r.mean):
            ax.text(0, i, "  no pairs with a value", va="center", color="0.4", fontsize=8)
            continue
        err = [[r.mean - r.low], [r.high - r.mean]]
        ax.errorbar(r.mean, i, xerr=err, fmt="o", color=colors[r.strategy], capsize=3, ms=5)
    ax.axvline(0.0, color="0.3", lw=1, ls="--")
    ax.set_yticks(y, strategies)
    ax.set_ylim(len(strategies) - 0.4, -0.6)  # first strategy on top, markers off the edges
    ax.grid(True, axis="x", alpha=0.3)
    label = OUTCOME_BY_NAME[outcome].label
    ax.set_xlabel(f"difference in {label}")
    ax.set_title(
        f"Paired difference from '{baseline}' on the same seeds: mean and 95% CI", fontsize=11
    )
    return fig
