"""Figures drawn from the saved tables of a run (never from live simulation objects).

    python -m experiments.plot DIR     # redraw DIR's figures from its Parquet tables

Each plot function takes a DataFrame and returns a matplotlib ``Figure`` (object-oriented
API, Agg backend); :func:`draw_all` saves every figure as PNG and SVG.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.workflow import atomic, errors, outputs  # noqa: E402
from sim.ladder import LEVEL_NAMES  # noqa: E402

log = logging.getLogger(__name__)

Z95 = 1.959964
MAX_POINT_ROWS = 6
FIGURES = ("adoption_curves", "country_levels", "strategy_comparison")
BASELINE = "none"


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


def _point_labels(df: pd.DataFrame) -> dict[int, str]:
    """``point -> 'budget=2, model.peer_weight=0.5'`` from the swept-parameter columns."""
    known = (
        set(outputs.SCHEMAS[outputs.STEPS])
        | set(outputs.SCHEMAS[outputs.SUMMARY])
        | set(outputs.SCHEMAS[outputs.TRAJECTORIES])
        | set(outputs.COMBINED_COLUMNS)
    )
    swept = [c for c in df.columns if c not in known]
    labels = {}
    for point, rows in df.groupby("point", sort=True):
        first = rows.iloc[0]
        labels[int(point)] = (
            ", ".join(
                f"{c}={first[c]:g}" if isinstance(first[c], float) else f"{c}={first[c]}"
                for c in swept
            )
            or "default"
        )
    return labels


def _mean_ci(values: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
    stats = values.agg(["mean", "std", "count"])
    half = Z95 * stats["std"].fillna(0.0) / np.sqrt(stats["count"].clip(lower=1))
    return pd.DataFrame(
        {
            "mean": stats["mean"],
            "lo": stats["mean"] - half,
            "hi": stats["mean"] + half,
            "n": stats["count"],
        }
    )


def _date_axis(ax: Axes, months: int = 2) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=months))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.grid(True, alpha=0.3)


def adoption_curves(steps: pd.DataFrame) -> Figure:
    """Mean number of members at 'sanction' and at 'condemn'-or-higher over time.

    One line per strategy with a 95% confidence band of the mean across seeds; one row
    of panels per parameter point (at most ``MAX_POINT_ROWS``).
    """
    strategies = _strategies(steps)
    colors = strategy_colors(strategies)
    labels = _point_labels(steps)
    points = sorted(labels)[:MAX_POINT_ROWS]
    n_seeds = steps.groupby(["strategy", "point"], observed=True)["seed"].nunique().max()
    fig = Figure(figsize=(12, 3.6 * len(points) + 1.0), layout="constrained")
    axes = fig.subplots(len(points), 2, squeeze=False, sharex=True)
    measures = (
        ("n_sanctioning", "members at 'sanction'"),
        ("n_condemn_or_higher", "members at 'condemn' or higher"),
    )
    for row, point in enumerate(points):
        part = steps[steps["point"] == point]
        for col, (measure, what) in enumerate(measures):
            ax = axes[row, col]
            for strategy in strategies:
                s = part[part["strategy"] == strategy]
                if s.empty:
                    continue
                ci = _mean_ci(s.groupby("date")[measure])
                dates = pd.to_datetime(ci.index)
                style = "--" if strategy == BASELINE else "-"
                ax.plot(dates, ci["mean"], style, color=colors[strategy], lw=1.8, label=strategy)
                ax.fill_between(dates, ci["lo"], ci["hi"], color=colors[strategy], alpha=0.15, lw=0)
            title = f"Mean number of {what}"
            if len(labels) > 1:
                title += f"\n({labels[point]})"
            ax.set_title(title, fontsize=11)
            ax.set_ylabel("ASEAN member states (count)")
            ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
            _date_axis(ax)
        axes[row, 0].set_xlabel("date (weekly steps from 2022-02-24)")
        axes[row, 1].set_xlabel("date (weekly steps from 2022-02-24)")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right upper", title="Japan's strategy", fontsize=9)
    fig.suptitle(
        f"Adoption curves: mean over {n_seeds} seeds, shaded 95% CI of the mean", fontsize=13
    )
    return fig


def country_levels(trajectories: pd.DataFrame, point: int | None = None) -> Figure:
    """Each country's mean rung over time, one panel per country, one line per strategy."""
    labels = _point_labels(trajectories)
    point = min(labels) if point is None else point
    df = trajectories[trajectories["point"] == point]
    strategies = _strategies(df)
    colors = strategy_colors(strategies)
    countries = list(dict.fromkeys(df["country"].astype(str)))
    n_cols = 4 if len(countries) > 6 else min(len(countries), 3)
    n_rows = -(-len(countries) // n_cols)
    means = df.groupby(["strategy", "country", "date"], observed=True)["level"].mean()
    means = means.unstack("date")
    dates = pd.to_datetime(means.columns)
    fig = Figure(figsize=(3.6 * n_cols + 2.2, 2.8 * n_rows + 0.8), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
    for k, code in enumerate(countries):
        ax = axes[k // n_cols, k % n_cols]
        for strategy in strategies:
            style = "--" if strategy == BASELINE else "-"
            ax.plot(
                dates,
                means.loc[(strategy, code)].to_numpy(),
                style,
                color=colors[strategy],
                lw=1.4,
                label=strategy,
            )
        ax.set_title(code, fontsize=11, fontweight="bold")
        ax.set_yticks(range(len(LEVEL_NAMES)), LEVEL_NAMES, fontsize=8)
        ax.set_ylim(-0.2, len(LEVEL_NAMES) - 0.8)
        _date_axis(ax, months=3)
    for k in range(len(countries), n_rows * n_cols):
        axes[k // n_cols, k % n_cols].set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("mean rung")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right upper", title="Japan's strategy", fontsize=9)
    title = "Mean response level per country over time (0 oppose ... 4 sanction)"
    if len(labels) > 1:
        title += f" at point {point} ({labels[point]})"
    fig.suptitle(title, fontsize=13)
    return fig


COMPARISON_MEASURES = (
    ("final_sanctioning", "members at 'sanction' at the end (count)"),
    ("final_condemn_or_higher", "members at 'condemn' or higher at the end (count)"),
    ("any_adoption", "share of runs with >= 1 adoption"),
    ("weeks_to_first_adoption", "weeks to first adoption (runs with one)"),
    ("mean_leakage", "mean leakage (USD bn/yr)"),
    ("budget_spent", "budget spent (budget units)"),
)


def strategy_comparison(summary: pd.DataFrame) -> Figure:
    """Outcome measures per strategy: mean and 95% CI across seeds, one marker per point."""
    df = summary.assign(any_adoption=summary["weeks_to_first_adoption"].notna().astype(float))
    strategies = _strategies(df)
    colors = strategy_colors(strategies)
    labels = _point_labels(df)
    points = sorted(labels)
    markers = "os^Dv<>p*h"
    fig = Figure(figsize=(15, 2.0 + 0.32 * len(strategies) * 2), layout="constrained")
    axes = fig.subplots(2, 3, squeeze=False, sharey=True).ravel()
    y = np.arange(len(strategies))
    offsets = (np.arange(len(points)) - (len(points) - 1) / 2) * (0.7 / max(len(points), 1))
    for ax, (measure, what) in zip(axes, COMPARISON_MEASURES, strict=True):
        for j, point in enumerate(points):
            part = df[df["point"] == point]
            ci = _mean_ci(part.groupby("strategy", observed=True)[measure])
            for i, strategy in enumerate(strategies):
                if strategy not in ci.index or np.isnan(ci.loc[strategy, "mean"]):
                    continue
                m, lo, hi = ci.loc[strategy, ["mean", "lo", "hi"]]
                bars = ax.errorbar(
                    m,
                    y[i] + offsets[j],
                    xerr=[[m - lo], [hi - m]],
                    fmt=markers[j % len(markers)],
                    color=colors[strategy],
                    capsize=3,
                    ms=5,
                    label=labels[point] if i == 0 else None,
                )
                bars.lines[0].set_gid(strategy)  # the marker line, one per strategy and point
        ax.set_title(what, fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        if measure in ("final_sanctioning", "final_condemn_or_higher", "any_adoption"):
            ax.set_xlim(-0.05, max(1.05, ax.get_xlim()[1]))
        if df[measure].isna().all():
            ax.text(
                0.5,
                0.5,
                "no adoption in any run",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="0.4",
            )
        ax.set_yticks(y, strategies)
    axes[0].invert_yaxis()  # shared y: first strategy on top
    if len(points) > 1:
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            names,
            loc="outside lower center",
            ncols=min(len(points), 4),
            title="parameter point (markers)",
            fontsize=9,
        )
    n_seeds = df.groupby(["strategy", "point"], observed=True)["seed"].nunique().max()
    fig.suptitle(f"Outcomes by strategy: mean and 95% CI over {n_seeds} seeds", fontsize=13)
    return fig


def save(fig: Figure, directory: Path, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` (temporary name, then rename)."""
    out = []
    for ext in ("png", "svg"):
        final = directory / f"{name}.{ext}"
        atomic.atomic_write(final, lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=120))
        out.append(final)
    return out


def _read(path: Path, columns: list[str] | None = None, **kw: object) -> pd.DataFrame:
    return pq.read_table(path, columns=columns, **kw).to_pandas()


def draw_all(directory: Path) -> list[Path]:
    """Draw every figure of a run (or a combined multirun) from its saved tables."""
    directory = Path(directory)
    for name in (outputs.STEPS, outputs.SUMMARY):
        if not (directory / name).exists():
            raise errors.ConfigError(
                "plot", f"{directory / name} not found (is {directory} a run folder?)"
            )
    steps = _read(directory / outputs.STEPS)
    out = save(adoption_curves(steps), directory, "adoption_curves")
    summary = _read(directory / outputs.SUMMARY)
    out += save(strategy_comparison(summary), directory, "strategy_comparison")
    traj_path = directory / outputs.TRAJECTORIES
    if traj_path.exists():
        first_point = int(steps["point"].min())
        traj = _read(
            traj_path,
            ["strategy", "point", "date", "country", "level"],
            filters=[("point", "=", first_point)],
        )
        out += save(country_levels(traj), directory, "country_levels")
    else:
        log.info("no %s (keep_trajectories=false): country_levels not drawn", traj_path.name)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="a run folder holding the Parquet tables")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    with errors.reporting():
        for path in draw_all(args.directory):
            log.info("wrote %s", path)
