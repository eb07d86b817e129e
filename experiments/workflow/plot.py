"""Figures drawn from the saved tables of a run (never from live simulation objects).

    python -m experiments.plot DIR     # redraw DIR's figures (a run or a multirun root)

Curves come from ``curves.parquet`` (per-step statistics accumulated while the run
streamed), the strategy comparison from a few columns of ``summary.parquet``: a figure
never reads the per-step tables, so 20,000 seeds draw in seconds. Each plot function takes
a DataFrame and returns a matplotlib ``Figure`` (object-oriented API, Agg backend); bands
and groups are explained in :mod:`experiments.workflow.figdata`.
"""

from __future__ import annotations

import json
import logging
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from experiments.workflow import (  # noqa: E402
    atomic,
    comparison,
    errors,
    figdata,
    outputs,
    plot_countries,
)
from experiments.workflow.figdata import Group  # noqa: E402
from sim.ladder import LEVEL_NAMES  # noqa: E402

log = logging.getLogger(__name__)

MAX_ROWS = 8
FIGURES = ("adoption_curves", "country_levels", "strategy_comparison", "country_outcomes")
SETTLE_WEEKS = comparison.SETTLE_WEEKS
BASELINE = "none"
BUDGET_UNIT = "1 budget unit = the cost of one leaders' visit (conf/instruments)"
MC_BAND = "Monte Carlo error: 95% CI of the mean (1.96 seed standard errors)"


def strategy_colors(strategies: Sequence[str]) -> dict[str, tuple]:
    """A stable colour per strategy; the null model ``none`` in grey (drawn dashed)."""
    others = [s for s in strategies if s != BASELINE]
    cmap = matplotlib.colormaps["tab10" if len(others) <= 10 else "tab20"]
    colors = {s: cmap(i % cmap.N) for i, s in enumerate(others)}
    colors[BASELINE] = (0.35, 0.35, 0.35, 1.0)
    return colors


def _strategies(df: pd.DataFrame) -> list[str]:
    col = df["strategy"]
    order = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else []
    seen = list(dict.fromkeys(col.astype(str)))
    return [s for s in order if s in seen] + [s for s in seen if s not in order]


def _date_axis(ax: Axes, months: int = 2) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=months))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.grid(True, alpha=0.3)


def _shown(items: list[Group], what: str) -> tuple[list[Group], str]:
    """The first ``MAX_ROWS`` groups and a note when some are left out."""
    if len(items) <= MAX_ROWS:
        return items, ""
    log.warning("%s: %d of %d parameter groups drawn", what, MAX_ROWS, len(items))
    return items[:MAX_ROWS], f" (first {MAX_ROWS} of {len(items)} points; all in the tables)"


def _band_handles(any_predictive: str | None) -> list[Patch]:
    handles = [Patch(color="0.5", alpha=0.35, label=MC_BAND)]
    if any_predictive:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="0.3",
                ls=":",
                label=any_predictive,
            )
        )
    return handles


def _legend_entries(axes: Sequence[Axes]) -> tuple[list[Any], list[str]]:
    """Every labelled line of ``axes``, once per label (a multirun's jobs may each hold
    other strategies: the first panel alone would not list them all)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return list(entries.values()), list(entries)


def _n_countries(curves: pd.DataFrame) -> int:
    return int(curves.loc[curves["measure"] == "level", "country"].nunique()) or 10


def adoption_curves(curves: pd.DataFrame, priors: dict[Any, bool] | None = None) -> Figure:
    """Mean number of members at 'sanction' and at 'condemn'-or-higher over time, one line
    per strategy, with the 95% CI of the mean and, where the run samples the plausible
    space, the parameter spread (or predictive band); one row per group of points
    (accepted sets pooled). With one group, the legend gives each strategy's change of
    members at 'condemn' or higher over the last 8 weeks (has it settled?)."""
    strategies = _strategies(curves)
    colors = strategy_colors(strategies)
    shown, note = _shown(figdata.groups(curves, priors), "adoption_curves")
    top = _n_countries(curves)
    fig = Figure(figsize=(12.5, 3.5 * len(shown) + 2.4), layout="constrained")
    axes = fig.subplots(len(shown), 2, squeeze=False, sharex=True, sharey=True)
    measures = (
        ("n_sanctioning", "members at 'sanction'"),
        ("n_condemn_or_higher", "members at 'condemn' or higher"),
    )
    spaces = set()
    for row, group in enumerate(shown):
        part = figdata.select(curves, group)
        space = figdata.predictive(group)
        spaces.add(space)
        for col, (measure, what) in enumerate(measures):
            ax = axes[row, col]
            rows = part[part["measure"] == measure]
            for strategy in strategies:
                s = rows[rows["strategy"] == strategy]
                if s.empty:
                    continue
                c = figdata.pooled_curve(s, (0.0, float(top)), spread=group.sets > 1)
                style = "--" if strategy == BASELINE else "-"
                color = colors[strategy]
                label = strategy
                if len(shown) == 1 and len(c) > SETTLE_WEEKS:
                    change = c["mean"].iloc[-1] - c["mean"].iloc[-1 - SETTLE_WEEKS]
                    label = f"_{strategy}" if col == 0 else f"{strategy} ({change:+.2f})"
                ax.plot(c["date"], c["mean"], style, color=color, lw=1.8, label=label)
                ax.fill_between(c["date"], c["lo"], c["hi"], color=color, alpha=0.35, lw=0)
                if space:
                    for edge in ("p_lo", "p_hi"):
                        ax.plot(c["date"], c[edge], ":", color=color, lw=0.9)
            title = f"Mean number of {what}"
            if len(shown) > 1 or group.label != "default":
                title += f"\n{group.label}"
            ax.set_title(title, fontsize=10)
            ax.set_ylim(-0.1, top + 0.1)
            ax.yaxis.set_major_locator(matplotlib.ticker.MultipleLocator(1))
            _date_axis(ax)
        axes[row, 0].set_ylabel("ASEAN member states (count)")
    for ax in axes[-1]:
        ax.set_xlabel("date (weekly steps from 2022-02-24)")
    handles, names = _legend_entries(axes.ravel())
    space = next((s for s in spaces if s), None)
    settle = (
        f" (change of members at 'condemn' or higher over the last {SETTLE_WEEKS} weeks)"
        if len(shown) == 1
        else ""
    )
    fig.legend(
        [*handles, *_band_handles(space)],
        [*names, *(h.get_label() for h in _band_handles(space))],
        loc="outside lower center",
        ncols=3,
        title=f"Japan's strategy{settle}",
        fontsize=9,
    )
    n = figdata.seeds_per_point(curves)
    sets = max(g.sets for g in shown)
    over = f"{sets} accepted sets x {n} seeds" if sets > 1 else f"{n} seeds"
    fig.suptitle(f"Adoption curves: mean over {over} per line{note}", fontsize=13)
    return fig


def country_levels(curves: pd.DataFrame, priors: dict[Any, bool] | None = None) -> Figure:
    """Each country's mean rung over time (first group), one panel per country (named),
    one line per strategy."""
    group = figdata.groups(curves, priors)[0]
    df = figdata.select(curves, group)
    df = df[df["measure"] == "level"]
    strategies = _strategies(df)
    colors = strategy_colors(strategies)
    countries = list(dict.fromkeys(df["country"].astype(str)))
    names = dict(zip(df["country"].astype(str), df["country_name"].astype(str), strict=True))
    n_cols = 4 if len(countries) > 6 else min(len(countries), 3)
    n_rows = -(-len(countries) // n_cols)
    fig = Figure(figsize=(3.6 * n_cols + 2.4, 2.8 * n_rows + 0.9), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
    top = float(len(LEVEL_NAMES) - 1)
    for k, code in enumerate(countries):
        ax = axes[k // n_cols, k % n_cols]
        part = df[df["country"].astype(str) == code]
        for strategy in strategies:
            s = part[part["strategy"] == strategy]
            c = figdata.pooled_curve(s, (0.0, top))
            style = "--" if strategy == BASELINE else "-"
            ax.plot(c["date"], c["mean"], style, color=colors[strategy], lw=1.4, label=strategy)
        ax.set_title(f"{names[code]} ({code})", fontsize=11, fontweight="bold")
        ax.set_yticks(range(len(LEVEL_NAMES)), LEVEL_NAMES, fontsize=8)
        ax.set_ylim(-0.2, top + 0.2)
        _date_axis(ax, months=3)
    for k in range(len(countries), n_rows * n_cols):
        axes[k // n_cols, k % n_cols].set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("mean rung")
    handles, labels = _legend_entries(axes.ravel())
    fig.legend(handles, labels, loc="outside right upper", title="Japan's strategy", fontsize=9)
    n = figdata.seeds_per_point(df)
    over = f"{group.sets} accepted sets x {n} seeds" if group.sets > 1 else f"{n} seeds"
    title = f"Mean response level per country over time, mean over {over}"
    if group.label != "default":
        title += f"\n{group.label}"
    fig.suptitle(title, fontsize=13)
    return fig


COMPARISON_MEASURES = (
    ("final_sanctioning", "members at 'sanction' at the end", "count", 0.5),
    ("final_condemn_or_higher", "members at 'condemn' or higher at the end", "count", 0.5),
    ("any_adoption", "share of runs with at least one adoption", "share", 0.05),
    ("weeks_to_first_adoption", "weeks to the first adoption (runs with one)", "weeks", 2.0),
    ("mean_leakage", "mean leakage (USD bn/yr)", "USD bn/yr", 1.0),
    ("budget_spent", "budget spent over the year (budget units)", "budget units", 10.0),
)
"""(column, title, unit, smallest difference that matters): the last sets the grey zone
and the least half-width of the difference panels, so noise never looks like a gap."""


def _values(df: pd.DataFrame, measure: str) -> pd.Series:
    if measure == "any_adoption":
        return df["weeks_to_first_adoption"].notna().astype(float)
    return df[measure].astype(float)


def _bounds(unit: str, n_countries: int, n_steps: int) -> tuple[float, float]:
    return {"count": (0.0, float(n_countries)), "share": (0.0, 1.0), "weeks": (0.0, n_steps)}.get(
        unit, (0.0, np.inf)
    )


def _interval(ax: Axes, stats: dict[str, float], y: float, color: Any, marker: str) -> None:
    if np.isnan(stats["mean"]):
        return
    ax.plot([stats["lo"], stats["hi"]], [y, y], color=color, lw=3.2, alpha=0.45)
    ax.plot([stats["mean"]], [y], marker, color=color, ms=5)


def _predictive(ax: Axes, stats: dict[str, float], y: float, color: Any) -> None:
    if not np.isnan(stats["mean"]):
        ax.plot([stats["p_lo"], stats["p_hi"]], [y, y], ":", color=color, lw=1.1)


def _measure_stats(
    summary: pd.DataFrame, shown: list[Group], strategies: list[str], bounds: Any
) -> dict[str, list[dict[str, Any]]]:
    """Per measure: the statistics of each (group, strategy) and of its paired difference
    from ``none`` (``diff``: None without a baseline)."""
    keys = [k for k in ("job", "point", "seed") if k in summary.columns]
    out: dict[str, list[dict[str, Any]]] = {m[0]: [] for m in COMPARISON_MEASURES}
    for g, group in enumerate(shown):
        part = figdata.select(summary, group)
        base = part[part["strategy"] == BASELINE].set_index(keys)
        for measure, _title, unit, _meaningful in COMPARISON_MEASURES:
            for i, strategy in enumerate(strategies):
                s = part[part["strategy"] == strategy].set_index(keys)
                if s.empty:
                    continue
                sets = s.index.get_level_values("point").to_numpy() if group.sets > 1 else None
                stats = figdata.mean_ci(_values(s, measure).to_numpy(), bounds(unit), sets)
                diff = None
                if strategy != BASELINE and not base.empty:
                    values = (_values(s, measure) - _values(base, measure)).to_numpy()
                    diff = figdata.mean_ci(values, (-np.inf, np.inf), sets)
                out[measure].append({"g": g, "i": i, "stats": stats, "diff": diff})
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


def strategy_comparison(
    summary: pd.DataFrame,
    priors: dict[Any, bool] | None = None,
    n_countries: int = 10,
    n_steps: int = 53,
) -> Figure:
    """Outcome measures per strategy and, when the run holds ``none``, their paired
    difference from it on the same seeds: mean, 95% CI of the mean, and the predictive
    band where the run samples the plausible space; one marker per group of points. A
    measure equal for every strategy gets a line of text instead of panels; without
    ``none`` the figure says why there are no difference panels."""
    strategies = _strategies(summary)
    colors = strategy_colors(strategies)
    shown, note = _shown(figdata.groups(summary, priors), "strategy_comparison")
    markers = "os^Dv<>p*h"
    spaces = {figdata.predictive(group) for group in shown}
    space = next((s for s in spaces if s), None)
    stats = _measure_stats(
        summary, shown, strategies, lambda unit: _bounds(unit, n_countries, n_steps)
    )
    titles = {m[0]: m[1] for m in COMPARISON_MEASURES}
    same = [m for m in stats if stats[m] and _same_for_all(stats[m])]
    kept = [m for m in COMPARISON_MEASURES if m[0] not in same] or list(COMPARISON_MEASURES[:1])
    paired = any(e["diff"] is not None for entries in stats.values() for e in entries)
    per_row = min(2 if paired or len(kept) == 4 else 3, len(kept))
    n_rows = -(-len(kept) // per_row)
    height = 0.3 * len(strategies) + 1.3
    fig = Figure(figsize=(20 if paired else 16, n_rows * height + 2.0), layout="constrained")
    axes = fig.subplots(n_rows, per_row * (2 if paired else 1), squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    y = np.arange(len(strategies))
    offsets = (np.arange(len(shown)) - (len(shown) - 1) / 2) * (0.6 / max(len(shown), 1))
    for k, (measure, title, unit, meaningful) in enumerate(kept):
        row, col = divmod(k, per_row)
        level_ax = axes[row, col * (2 if paired else 1)]
        diff_ax = axes[row, col * 2 + 1] if paired else None
        for e in stats[measure]:
            g, i = e["g"], e["i"]
            color, marker, at = colors[strategies[i]], markers[g % len(markers)], y[i] + offsets[g]
            _interval(level_ax, e["stats"], at, color, marker)
            if space and unit != "share":
                _predictive(level_ax, e["stats"], at, color)
            if diff_ax is not None and e["diff"] is not None:
                _interval(diff_ax, e["diff"], at, color, marker)
                if space:
                    _predictive(diff_ax, e["diff"], at, color)
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
        for ax in panels:
            ax.set_ylim(len(strategies) - 0.5, -0.5)
            ax.grid(True, axis="x", alpha=0.3)
        if measure.startswith("weeks") and summary["weeks_to_first_adoption"].isna().all():
            level_ax.text(
                0.5, 0.5, "no adoption in any run", transform=level_ax.transAxes,
                ha="center", va="center", color="0.4",
            )  # fmt: skip
    notes = []
    if same:
        notes.append(
            "same for every strategy, so not drawn: "
            + "; ".join(f"{titles[m]}: {_value_text(stats[m])}" for m in same)
        )
    if not paired:
        where = "with another strategy in one job" if BASELINE in strategies else "in this run"
        notes.append(
            f"no 'none' {where}: differences from doing nothing (paired on seeds) are not "
            "drawn (add none to the strategies of a job for them)"
        )
    handles = _band_handles(space)
    if len(shown) > 1:
        handles += [
            matplotlib.lines.Line2D(
                [], [], marker=markers[g % len(markers)], color="0.3", ls="none", label=group.label
            )
            for g, group in enumerate(shown)
        ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=9)
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


def save(fig: Figure, directory: Path, name: str, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Save ``fig`` once per format as ``name.<format>`` (temporary name, then rename)."""
    out = []
    for ext in dict.fromkeys(formats):
        final = directory / f"{name}.{ext}"
        atomic.atomic_write(final, lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=120))
        out.append(final)
    return out


SUMMARY_COLUMNS = [
    "strategy",
    "point",
    "seed",
    "final_sanctioning",
    "final_condemn_or_higher",
    "weeks_to_first_adoption",
    "mean_leakage",
    "budget_spent",
]


def _summary(path: Path, curves: pd.DataFrame) -> pd.DataFrame:
    schema = pq.read_schema(path)
    extra = [c for c in ("job", "overrides") if c in schema.names]
    swept = figdata.swept_columns(curves)
    return pq.read_table(path, columns=[*extra, *SUMMARY_COLUMNS, *swept]).to_pandas()


def draw_all(directory: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Draw every figure of a run (or a combined multirun) from its saved tables, once per
    format; a missing, truncated or incomplete table is a one-line ``ConfigError``."""
    directory = Path(directory)
    for name in (outputs.CURVES, outputs.SUMMARY):
        if not (directory / name).exists():
            raise errors.ConfigError(
                "plot", f"{directory / name} not found (is {directory} a run folder?)"
            )
    try:
        return _draw_all(directory, formats)
    except (KeyError, pa.ArrowException, json.JSONDecodeError) as exc:
        what = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        raise errors.ConfigError(
            "plot",
            f"{directory} holds damaged or incomplete tables ({what}); a crashed or "
            "interrupted run: run its command again to finish it",
        ) from None


def _draw_all(directory: Path, formats: Sequence[str]) -> list[Path]:
    t0 = time.perf_counter()
    priors = figdata.priors_by_job(directory)
    curves = pq.read_table(directory / outputs.CURVES).to_pandas()
    n_steps = int(curves["step"].max())
    summary = _summary(directory / outputs.SUMMARY, curves)  # every table read before drawing
    figures = (
        ("adoption_curves", lambda: adoption_curves(curves, priors)),
        ("country_levels", lambda: country_levels(curves, priors)),
        (
            "strategy_comparison",
            lambda: strategy_comparison(
                summary,
                priors,
                _n_countries(curves),
                n_steps,
            ),
        ),
        ("country_outcomes", lambda: plot_countries.country_outcomes(curves)),
    )
    out: list[Path] = []
    for k, (name, draw) in enumerate(figures, start=1):
        log.info("drawing %s (%d of %d)", name, k, len(figures))
        out += save(draw(), directory, name, formats)
    log.info("figures drawn in %.1f s: %s", time.perf_counter() - t0, directory)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = errors.OneLineParser(
        prog="python -m experiments.plot", description=__doc__.splitlines()[0]
    )
    parser.add_argument("directory", type=Path, help="a run folder holding the Parquet tables")
    parser.add_argument("--format", action="append", choices=figdata.FORMATS,
                        help="repeatable; default: the run's plot_formats")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    with errors.reporting():
        for path in draw_all(args.directory, args.format or figdata.run_formats(args.directory)):
            log.info("wrote %s", path)
