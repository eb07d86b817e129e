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
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.workflow import (  # noqa: E402
    atomic,
    comparison,
    errors,
    figdata,
    outputs,
    plot_countries,
    record,
)
from experiments.workflow.plot_comparison import (  # noqa: E402, F401 (re-exported)
    COMPARISON_MEASURES,
    PER_100,
    strategy_comparison,
)
from experiments.workflow.plot_style import (  # noqa: E402, F401 (re-exported)
    BASELINE,
    BUDGET_UNIT,
    MAX_ROWS,
    MC_BAND,
    band_handles,
    shown_groups,
    strategies_of,
    strategy_colors,
)
from sim.ladder import LEVEL_NAMES  # noqa: E402

log = logging.getLogger(__name__)

FIGURES = ("adoption_curves", "country_levels", "strategy_comparison", "country_outcomes")
SETTLE_WEEKS = comparison.SETTLE_WEEKS


def _date_axis(ax: Axes, months: int = 2) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=months))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.grid(True, alpha=0.3)


def _legend_entries(axes: Sequence[Axes]) -> tuple[list[Any], list[str]]:
    """Every labelled line of ``axes``, once per label (a multirun's jobs may each hold
    other strategies: the first panel alone would not list them all)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return list(entries.values()), list(entries)


def _horizon(curves: pd.DataFrame) -> tuple[list[str], Any, Any]:
    """The simulated members and the first and last dates of a run's curves."""
    members = curves.loc[curves["measure"] == "level", "country"].astype(str).unique()
    dates = pd.to_datetime(curves["date"])
    return list(members), dates.min().date(), dates.max().date()


def _unverified(directory: Path) -> list[str]:
    """Members whose priors are all unverified, in the scenario the run (or its first job)
    was started with; none if its manifest cannot be read."""
    from experiments.workflow.manifest import MANIFEST
    from experiments.workflow.scenario import load_scenario_file

    folder = directory
    if (directory / "multirun.json").exists():
        folder = Path(json.loads((directory / "multirun.json").read_text())["jobs"][0]["dir"])
    try:
        config = json.loads((folder / MANIFEST).read_text())["config"]
        path = config.get("scenario_file")
        scenario = load_scenario_file(Path(path)) if path else config["scenario"]
    except (OSError, KeyError, TypeError, ValueError, errors.ConfigError):
        return []
    return plot_countries.unverified_members(scenario)


def _n_countries(curves: pd.DataFrame) -> int:
    return int(curves.loc[curves["measure"] == "level", "country"].nunique()) or 10


def adoption_curves(curves: pd.DataFrame, priors: dict[Any, bool] | None = None) -> Figure:
    """Mean number of members at 'condemn'-or-higher and at 'sanction' over time, one line
    per strategy, with the 95% CI of the mean and, where the run samples the plausible
    space, the parameter spread (or predictive band); one row per group of points
    (accepted sets pooled). With one group, the legend gives each strategy's change of
    members at 'condemn' or higher over the last 8 weeks (has it settled?)."""
    strategies = strategies_of(curves)
    colors = strategy_colors(strategies)
    shown, note = shown_groups(figdata.groups(curves, priors), "adoption_curves")
    top = _n_countries(curves)
    fig = Figure(figsize=(12.5, 3.5 * len(shown) + 2.4), layout="constrained")
    axes = fig.subplots(len(shown), 2, squeeze=False, sharex=True, sharey=True)
    measures = (  # what strategies move first
        ("n_condemn_or_higher", "members at 'condemn' or higher (naming Russia)"),
        ("n_sanctioning", "members at 'sanction'"),
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
                    label = f"_{strategy}" if col == 1 else f"{strategy} ({change:+.2f})"
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
        [*handles, *band_handles(space)],
        [*names, *(h.get_label() for h in band_handles(space))],
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
    strategies = strategies_of(df)
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
    "ever_naming_russia",
    "final_condemn_or_higher",
    "final_distancing_or_more",
    "weeks_to_first_adoption",
    "mean_leakage",
    "budget_spent",
]


def _summary(path: Path, curves: pd.DataFrame) -> pd.DataFrame:
    schema = pq.read_schema(path)
    extra = [c for c in ("job", "overrides") if c in schema.names]
    swept = figdata.swept_columns(curves)
    optional = ("final_distancing_or_more", "ever_naming_russia")  # older runs lack them
    wanted = [c for c in SUMMARY_COLUMNS if c in schema.names or c not in optional]
    return pq.read_table(path, columns=[*extra, *wanted, *swept]).to_pandas()


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
    table_path = directory / comparison.COMPARISON
    table = pd.read_csv(table_path) if table_path.exists() else None
    naming = record.run_record(*_horizon(curves))
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
                table,
                naming,
            ),
        ),
        (
            "country_outcomes",
            lambda: plot_countries.country_outcomes(curves, _unverified(directory)),
        ),
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
