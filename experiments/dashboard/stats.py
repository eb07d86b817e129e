"""Ensemble statistics of the views: mean curves with 95% bands, outcomes with 95% intervals,
and paired differences between strategies on the same seeds.

Intervals are the normal-approximation 95% confidence interval of a mean across seeds,
``mean +- 1.96 sd / sqrt(n)`` (the same as the figures of ``experiments.plot``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959964
BASELINE = "none"


@dataclass(frozen=True)
class Outcome:
    """An outcome measure of ``summary.parquet`` (or derived from it) and how to show it."""

    name: str
    label: str
    digits: int


OUTCOMES = (
    Outcome("final_sanctioning", "members at 'sanction' at the end (count)", 2),
    Outcome("final_condemn_or_higher", "members at 'condemn' or higher at the end (count)", 2),
    Outcome("any_adoption", "share of runs with at least one member at 'sanction'", 3),
    Outcome("weeks_to_first_adoption", "weeks to the first 'sanction' (runs with one)", 1),
    Outcome("final_asean_level", "ASEAN collective level at the end (rung)", 2),
    Outcome("mean_leakage", "mean leakage (USD bn/yr)", 2),
    Outcome("budget_spent", "total budget spent over the run (budget units)", 1),
)
OUTCOME_BY_NAME = {o.name: o for o in OUTCOMES}
DEFAULT_DIFFERENCE = "final_condemn_or_higher"
"""The outcome the paired-difference plot starts with (where strategies differ most)."""
CURVES = (
    ("n_sanctioning", "members at 'sanction'"),
    ("n_condemn_or_higher", "members at 'condemn' or higher"),
)


def mean_interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)`` of the finite values: 95% interval of the mean."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    half = Z95 * float(v.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return mean, mean - half, mean + half, n


def with_derived(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary table with ``any_adoption`` (1 if a member reached 'sanction', else 0)."""
    return summary.assign(any_adoption=summary["weeks_to_first_adoption"].notna().astype(float))


def adoption_bands(steps: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% band per strategy and week of every measure of :data:`CURVES`.

    Columns ``strategy, measure, step, date, mean, low, high``."""
    df = steps[steps["strategy"].isin(list(strategies))]
    measures = [m for m, _ in CURVES]
    stats = df.groupby(["strategy", "step"], sort=False)[measures].agg(["mean", "std", "count"])
    dates = df.drop_duplicates("step").set_index("step")["date"]
    rows = []
    for measure in measures:
        m = stats[measure]
        half = Z95 * m["std"].fillna(0.0) / np.sqrt(m["count"].clip(lower=1))
        part = pd.DataFrame(
            {"mean": m["mean"], "low": m["mean"] - half, "high": m["mean"] + half}
        ).reset_index()
        rows.append(part.assign(measure=measure))
    out = pd.concat(rows, ignore_index=True)
    out["date"] = pd.to_datetime(out["step"].map(dates))
    order = {s: i for i, s in enumerate(strategies)}
    out = out.sort_values(
        ["strategy", "measure", "step"], key=lambda c: c.map(order) if c.name == "strategy" else c
    )
    return out[["strategy", "measure", "step", "date", "mean", "low", "high"]].reset_index(
        drop=True
    )


def outcome_table(summary: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy and outcome: ``mean, low, high, n`` (long format, in strategy order)."""
    df = with_derived(summary)
    rows = []
    for strategy in strategies:
        part = df[df["strategy"] == strategy]
        for o in OUTCOMES:
            mean, lo, hi, n = mean_interval(part[o.name].to_numpy())
            rows.append((strategy, o.name, mean, lo, hi, n))
    return pd.DataFrame(rows, columns=["strategy", "outcome", "mean", "low", "high", "n"])


def paired_differences(
    summary: pd.DataFrame, strategies: Sequence[str], baseline: str = BASELINE
) -> pd.DataFrame:
    """Each strategy minus ``baseline`` on the same seeds: ``mean, low, high, n`` per
    strategy and outcome (pairs where both runs have a value; pooled points pair on
    point and seed)."""
    df = with_derived(summary)
    keys = [k for k in ("job", "design", "point", "seed") if k in df.columns]
    base = df[df["strategy"] == baseline].set_index(keys)
    rows = []
    for strategy in strategies:
        if strategy == baseline:
            continue
        part = df[df["strategy"] == strategy].set_index(keys)
        seeds = part.index.intersection(base.index)
        for o in OUTCOMES:
            diff = part.loc[seeds, o.name].to_numpy(float) - base.loc[seeds, o.name].to_numpy(float)
            mean, lo, hi, n = mean_interval(diff)
            rows.append((strategy, o.name, mean, lo, hi, n))
    return pd.DataFrame(rows, columns=["strategy", "outcome", "mean", "low", "high", "n"])


def interval_text(mean: float, low: float, high: float, digits: int, sign: bool = False) -> str:
    """``2.35 [2.10, 2.60]`` (``+`` signs when ``sign``); ``-`` when there is no value."""
    if not math.isfinite(mean):
        return "-"
    f = f"{{:{'+' if sign else ''}.{digits}f}}"
    return f"{f.format(mean)} [{f.format(low)}, {f.format(high)}]"


def wide_text(long: pd.DataFrame, sign: bool = False) -> pd.DataFrame:
    """A long table of :func:`outcome_table` or :func:`paired_differences` as text, one row
    per strategy and one column per outcome (``mean [low, high]``)."""
    cells = {
        (r.strategy, r.outcome): interval_text(
            r.mean, r.low, r.high, OUTCOME_BY_NAME[r.outcome].digits, sign
        )
        for r in long.itertuples()
    }
    strategies = list(dict.fromkeys(long["strategy"]))
    names = [o.name for o in OUTCOMES]
    return pd.DataFrame(
        [[cells.get((s, n), "-") for n in names] for s in strategies],
        index=pd.Index(strategies, name="strategy"),
        columns=names,
    )
