"""The numbers behind the run figures: groups of points, pooled means and their two bands.

A *group* is what one row (or one marker) of a figure shows: a multirun job and the swept
values of a point, except ``accepted_set``, over which a group pools: the sets are draws
from the plausible parameter space, not settings a reader chooses. Two bands per line:

- Monte Carlo error: the 95% confidence interval of the mean from the seed standard error
  within each set (more seeds shrink it);
- with several accepted sets in a group, the *parameter spread*: the 5% and 95% quantiles
  over sets of the per-set means (what the 2022 record cannot pin down; more seeds do not
  shrink it); with country priors drawn per run (``sample_priors``) and one set, the
  *predictive* band: the central 90% of individual runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.workflow import outputs
from experiments.workflow.manifest import MANIFEST

Z95 = 1.959964
PREDICTIVE = (0.05, 0.95)
SETS = "accepted_set"
KEYS = ("job", "point")
_KNOWN = (
    set(outputs.SCHEMAS[outputs.STEPS])
    | set(outputs.SCHEMAS[outputs.SUMMARY])
    | set(outputs.SCHEMAS[outputs.TRAJECTORIES])
    | set(outputs.SCHEMAS[outputs.CURVES])
    | set(outputs.COMBINED_COLUMNS)
)


def swept_columns(df: pd.DataFrame) -> list[str]:
    """The swept-parameter columns of a results table."""
    return [c for c in df.columns if c not in _KNOWN]


def _fmt(column: str, value: Any) -> str:
    return f"{column}={value:g}" if isinstance(value, float) else f"{column}={value}"


@dataclass(frozen=True)
class Group:
    """Rows of a table that one line of a figure pools."""

    key: tuple[Any, ...]
    label: str
    members: list[tuple[Any, ...]]  # (job, point) pairs pooled
    sets: int  # accepted sets pooled (0: no accepted-set sweep)
    priors: bool  # country priors drawn per run


def groups(df: pd.DataFrame, priors: dict[Any, bool] | None = None) -> list[Group]:
    """The groups of ``df`` (columns ``point``, optionally ``job``, ``overrides`` and swept
    parameters), in order of first appearance. ``priors``: job -> sample_priors."""
    df = df if "job" in df.columns else df.assign(job=-1)
    swept = swept_columns(df)
    shown = [c for c in swept if c != SETS]
    cols = ["job", "point", *swept, *(["overrides"] if "overrides" in df.columns else [])]
    points = df[cols].drop_duplicates(["job", "point"]).sort_values(["job", "point"])
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for values in points.to_dict("records"):  # not itertuples: it renames dotted columns
        key = (values["job"], *(values[c] for c in shown))
        entry = out.setdefault(key, {"members": [], "sets": 0, "values": values})
        entry["members"].append((values["job"], values["point"]))
        entry["sets"] += int(SETS in swept)
    tokens = [str(e["values"].get("overrides") or "").split() for e in out.values()]
    common = set.intersection(*map(set, tokens)) if tokens else set()
    result = []
    for key, entry in out.items():
        values = entry["values"]
        varying = [t for t in str(values.get("overrides") or "").split() if t not in common]
        parts = [" ".join(varying)] if varying else []
        parts += [_fmt(c, values[c]) for c in shown]
        prior = bool((priors or {}).get(values["job"], False))
        if "sample_priors" in shown:
            prior = bool(values["sample_priors"])
        result.append(
            Group(key, ", ".join(parts) or "default", entry["members"], entry["sets"], prior)
        )
    return result


def predictive(group: Group) -> str | None:
    """The legend label of the dotted band (None: the run does not sample the plausible
    space): the parameter spread over accepted sets, else the predictive band of runs."""
    if group.sets > 1:
        priors = ", country priors drawn per run" if group.priors else ""
        return (
            f"parameter spread: 5-95% over {group.sets} accepted sets of the per-set means{priors}"
        )
    if group.priors:
        return "90% of runs across country priors drawn per run (predictive)"
    return None


def select(df: pd.DataFrame, group: Group) -> pd.DataFrame:
    """Rows of ``df`` in ``group``."""
    jobs = df["job"] if "job" in df.columns else pd.Series(-1, index=df.index)
    wanted = pd.MultiIndex.from_tuples(group.members)
    return df[pd.MultiIndex.from_arrays([jobs, df["point"]]).isin(wanted)]


def quantile_from_counts(counts: np.ndarray, q: float) -> float:
    """The ``q`` quantile of runs given how many sit at each value 0, 1, 2, ..."""
    cdf = np.cumsum(counts) / max(counts.sum(), 1)
    return float(np.searchsorted(cdf, q - 1e-12))


def pooled_curve(
    curves: pd.DataFrame, bounds: tuple[float, float], spread: bool = False
) -> pd.DataFrame:
    """Per date: pooled mean, its 95% CI (clipped to ``bounds``) and the dotted band, from
    the rows of one strategy, one measure (and country) over a group's points: with
    ``spread``, the 5-95% quantiles of the points' (sets') means, else the predictive band
    of runs (integer measures; the mean for float measures)."""
    dates = curves["date"].to_numpy()
    order = np.argsort(dates, kind="stable")  # by date, rows in table order within a date
    dates = dates[order]
    columns = {c: curves[c].to_numpy()[order] for c in ("n", "mean", "std", "counts")}
    bounds_at = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1], True])
    rows = []
    for start, stop in zip(bounds_at[:-1], bounds_at[1:], strict=True):
        n, mean, std, counts = (columns[c][start:stop] for c in ("n", "mean", "std", "counts"))
        total = n.sum()
        m = float((n * mean).sum() / total)
        se = float(np.sqrt(((n / total) ** 2 * std**2 / np.maximum(n, 1)).sum()))
        if spread and len(mean) > 1:
            p_lo, p_hi = (float(q) for q in np.quantile(mean, PREDICTIVE))
        elif pd.notna(counts).all():
            pooled = np.sum(np.stack([np.asarray(c) for c in counts]), axis=0)
            p_lo = quantile_from_counts(pooled, PREDICTIVE[0])
            p_hi = quantile_from_counts(pooled, PREDICTIVE[1])
        else:
            p_lo = p_hi = m
        rows.append(
            {
                "date": pd.Timestamp(dates[start]),
                "mean": m,
                "lo": max(bounds[0], m - Z95 * se),
                "hi": min(bounds[1], m + Z95 * se),
                "p_lo": p_lo,
                "p_hi": p_hi,
            }
        )
    return pd.DataFrame(rows)


def mean_ci(
    values: np.ndarray, bounds: tuple[float, float], sets: np.ndarray | None = None
) -> dict[str, float]:
    """Mean, 95% CI clipped to ``bounds`` and the central 90% of ``values`` (NaN skipped).
    With ``sets`` (each value's accepted set, several of them), the CI comes from the seed
    standard error within sets and the band is the 5-95% spread of the per-set means."""
    keep = ~np.isnan(values)
    values = values[keep]
    if len(values) == 0:
        return {"mean": np.nan, "lo": np.nan, "hi": np.nan, "p_lo": np.nan, "p_hi": np.nan}
    if sets is not None and len(np.unique(np.asarray(sets)[keep])) > 1:
        by_set = pd.Series(values).groupby(np.asarray(sets)[keep]).agg(["count", "mean", "var"])
        n = by_set["count"].to_numpy(float)
        w = n / n.sum()
        m = float((w * by_set["mean"]).sum())
        se = float(np.sqrt((w**2 * by_set["var"].fillna(0.0) / n).sum()))
        p_lo, p_hi = np.quantile(by_set["mean"], PREDICTIVE)
        return {
            "mean": m,
            "lo": max(bounds[0], m - Z95 * se),
            "hi": min(bounds[1], m + Z95 * se),
            "p_lo": float(p_lo),
            "p_hi": float(p_hi),
            "n": len(values),
        }
    m = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    p_lo, p_hi = np.quantile(values, PREDICTIVE)
    return {
        "mean": m,
        "lo": max(bounds[0], m - half),
        "hi": min(bounds[1], m + half),
        "p_lo": float(p_lo),
        "p_hi": float(p_hi),
        "n": len(values),
    }


def priors_by_job(directory: Path) -> dict[Any, bool]:
    """``sample_priors`` of the run (job -1) or of each job of a multirun root."""
    out: dict[Any, bool] = {}
    multirun = directory / "multirun.json"
    runs: Sequence[tuple[Any, Path]] = [(-1, directory)]
    if multirun.exists():
        runs = [(j["job"], Path(j["dir"])) for j in json.loads(multirun.read_text())["jobs"]]
    for job, folder in runs:
        try:
            config = json.loads((folder / MANIFEST).read_text())["config"]
            out[job] = bool(config.get("sample_priors", False))
        except (OSError, KeyError, TypeError, ValueError):
            out[job] = False
    return out


FORMATS = ("png", "svg")
"""File formats of the run figures (config ``plot_formats``)."""


def run_formats(directory: Path) -> list[str]:
    """The ``plot_formats`` the run in ``directory`` (or a job of a multirun root) was
    started with, from its manifest; png if none says."""
    folders = [Path(directory)]
    multirun = Path(directory) / "multirun.json"
    try:
        if multirun.exists():
            folders += [Path(j["dir"]) for j in json.loads(multirun.read_text())["jobs"]]
    except (OSError, KeyError, TypeError, ValueError):
        pass
    for folder in folders:
        try:
            config = json.loads((folder / MANIFEST).read_text())["config"]
            return [str(f) for f in config["plot_formats"]]
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return ["png"]


def seeds_per_point(df: pd.DataFrame) -> int:
    """Seeds behind each point (the largest count, in a curves or summary table)."""
    if "n" in df.columns:
        return int(df["n"].max())
    keys = [k for k in ("job", "strategy", "point") if k in df.columns]
    return int(df.groupby(keys, observed=True)["seed"].nunique().max())
