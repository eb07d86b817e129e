"""One week of one Mesa run: a snapshot of the agents' state and its figures (the network
of ties coloured by level, Japan's spending per member, the ladder per member)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.dashboard.figures import RUNG_COLORS
from experiments.dashboard.settings import map_positions
from sim.ladder import LEVEL_NAMES
from sim.model import OutreachModel


@dataclass(frozen=True)
class WeekState:
    """What the Mesa model holds after ``week`` steps, as plain arrays in scenario order."""

    week: int
    date: dt.date
    n_steps: int
    codes: tuple[str, ...]
    names: tuple[str, ...]
    level: np.ndarray
    stance: np.ndarray
    outreach: np.ndarray  # budget units Japan spent on each country this week
    ties: np.ndarray
    spent: float
    available: float
    n_sanctioning: int


def snapshot(model: OutreachModel) -> WeekState:
    """The model's current week, read from its agents."""
    agents = sorted(model.countries, key=lambda a: a.index)
    table = model.config.countries
    week = model.steps
    return WeekState(
        week=week,
        date=model.config.calendar.date(week),
        n_steps=model.config.calendar.n_steps,
        codes=table.codes,
        names=table.names,
        level=np.array([a.level for a in agents]),
        stance=np.array([a.stance for a in agents]),
        outreach=np.array([a.received for a in agents]),
        ties=table.network,
        spent=float(model.japan.spent),
        available=float(model.japan.available),
        n_sanctioning=int(model.adopters),
    )


def _positions(codes: tuple[str, ...], where: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Map positions of ``codes`` (a country without one on a circle around the region)."""
    angle = np.linspace(0, 2 * np.pi, len(codes), endpoint=False)
    fallback = np.column_stack([110 + 12 * np.cos(angle), 7 + 12 * np.sin(angle)])
    return np.array([tuple(where.get(c, fallback[i])) for i, c in enumerate(codes)])


def network_figure(w: WeekState, where: Mapping[str, Sequence[float]] | None = None) -> Figure:
    """Ties between members (width: tie weight), members coloured by level, sized by
    Japan's outreach this week; ``where``: map positions by code (default: the scenario's
    ``map`` entries)."""
    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = fig.subplots()
    xy = _positions(w.codes, map_positions() if where is None else where)
    n = len(w.codes)
    for i in range(n):
        for j in range(i + 1, n):
            weight = max(w.ties[i, j], w.ties[j, i])
            if weight > 0:
                ax.plot(*xy[[i, j]].T, color="0.55", lw=0.4 + 3 * weight, alpha=0.25 + 0.5 * weight)
    colors = [RUNG_COLORS[min(int(lv), len(RUNG_COLORS) - 1)] for lv in w.level]
    sizes = 260 + 260 * np.sqrt(w.outreach)
    ax.scatter(*xy.T, s=sizes, c=colors, edgecolors="black", linewidths=0.8, zorder=3)
    for k in range(n):
        text = w.names[k] + (f"\n{w.outreach[k]:.2f} units" if w.outreach[k] > 0 else "")
        ax.annotate(text, xy[k], xytext=(0, -17), textcoords="offset points", ha="center",
                    va="top", fontsize=8)  # fmt: skip
    handles = [
        Line2D([], [], marker="o", ls="", color=c, markeredgecolor="black", label=name, ms=8)
        for c, name in zip(RUNG_COLORS, LEVEL_NAMES, strict=False)
    ]
    ax.legend(handles=handles, title="level", loc="lower left", fontsize=8)
    ax.set_xlim(xy[:, 0].min() - 6, xy[:, 0].max() + 6)
    ax.set_ylim(xy[:, 1].min() - 6, xy[:, 1].max() + 4)
    ax.set_axis_off()
    ax.set_title(
        f"Ties between members (line width: tie weight); node size: Japan's outreach in week "
        f"{w.week}",
        fontsize=9,
    )
    return fig


def spending_figure(w: WeekState) -> Figure:
    """Japan's outreach per member this week (budget units)."""
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.subplots()
    order = np.arange(len(w.codes))
    ax.barh(order, w.outreach, color="#e08214")
    ax.set_yticks(order, w.names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("budget units this week (1 unit = one leaders' visit)")
    ax.set_xlim(0, max(1.0, float(w.outreach.max()) * 1.15))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(
        f"Japan's spending in week {w.week}: {w.spent:.2f} of {w.available:.2f} budget units",
        fontsize=10,
    )
    return fig


def ladder_figure(w: WeekState) -> Figure:
    """Each member's stance on the response ladder, marked with its current rung."""
    fig = Figure(figsize=(6.4, 0.32 * len(w.codes) + 1.2), layout="constrained")
    ax = fig.subplots()
    for k in range(len(LEVEL_NAMES)):
        ax.axvspan(k, k + 1, color=RUNG_COLORS[min(k, len(RUNG_COLORS) - 1)], alpha=0.18, lw=0)
    top = ax.secondary_xaxis("top")
    top.set_xticks([k + 0.5 for k in range(len(LEVEL_NAMES))], LEVEL_NAMES, fontsize=8)
    top.tick_params(length=0)
    rows = np.arange(len(w.codes))
    colors = [RUNG_COLORS[min(int(lv), len(RUNG_COLORS) - 1)] for lv in w.level]
    ax.scatter(w.stance, rows, c=colors, s=60, edgecolors="black", zorder=3)
    for k in rows:
        ax.text(len(LEVEL_NAMES) + 0.05, k, LEVEL_NAMES[int(w.level[k])], va="center", fontsize=8)
    ax.set_yticks(rows, w.names, fontsize=8)
    ax.set_ylim(len(w.codes) - 0.5, -0.5)
    ax.set_xlim(0, len(LEVEL_NAMES) + 0.8)
    ax.set_xlabel("stance (rungs: 0 oppose ... 4 sanction); label: current level")
    ax.set_title(f"The ladder per member, week {w.week} ({w.date:%d %b %Y})", fontsize=10)
    return fig
