"""Per-step statistics over seeds, accumulated while a run streams (``curves.parquet``).

Each chunk of seeds yields a small partial table (:func:`partial`): for every step and
measure, the number of runs, their mean, the sum of squared deviations (``m2``) and, for
integer measures, how many runs sit at each value. :func:`reduce` folds the partials of a
(strategy, point) in plan order (Chan et al.'s pairwise update, so the result does not
depend on how the run was interrupted or where chunks ran) into the published table. The
figures are drawn from it: no figure reads the per-seed tables' steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from sim import SimulationConfig, Trajectories
from sim.results import COUNTRY_MEASURES, STEP_MEASURES, member_counts

CURVES = "curves.parquet"
RUN_MEASURES = ("n_sanctioning", "n_condemn_or_higher", "asean_level", "leakage", "spent")
"""Run-level series (``country`` is null); the per-country series is ``level``."""
INTEGER = tuple(
    name
    for name, m in {**STEP_MEASURES, **COUNTRY_MEASURES}.items()
    if np.dtype(m.dtype).kind in "iu"
)
"""Measures with whole values (their counts are kept), from the declared types."""

COLUMNS: dict[str, tuple[str, str]] = {
    "step": ("int16", "week since 2022-02-24 (0 = the invasion)"),
    "date": ("date32[day]", "calendar date of the step (start + 7 x step days)"),
    "measure": (
        "dictionary<string>",
        "n_sanctioning, n_condemn_or_higher, asean_level, leakage, spent (as in steps.parquet), "
        "or level (a country's rung)",
    ),
    "country": ("dictionary<string>", "country code for `level`, null for run-level measures"),
    "country_name": ("dictionary<string>", "country name for `level`, null otherwise"),
    "n": ("int64", "runs (seeds) behind the statistics"),
    "mean": ("float64", "mean over runs"),
    "std": ("float64", "standard deviation over runs (ddof 1; 0 for one run)"),
    "counts": (
        "list<int64>",
        "runs at each value 0, 1, 2, ... (integer measures; null for leakage and spent)",
    ),
}


def _bins(config: SimulationConfig, measure: str) -> int | None:
    """Values an integer measure takes (0 .. bins - 1); None for float measures."""
    if measure not in INTEGER:
        return None
    if measure in ("level", "asean_level"):
        return config.ladder.n_levels
    return int(config.countries.member.sum()) + 1


def _stats(values: np.ndarray, bins: int | None) -> tuple[np.ndarray, ...]:
    """n, mean, m2 and counts over axis 0 of ``values`` (R, ...). Integer measures go
    through their counts (exact sums, no float copy of the chunk)."""
    n = values.shape[0]
    if bins is None:
        x = values.astype(np.float64, copy=False)
        mean = x.mean(axis=0)
        m2 = ((x - mean) ** 2).sum(axis=0)
        return np.full(mean.shape, n, np.int64), mean, m2, None
    counts = np.stack([(values == b).sum(axis=0) for b in range(bins)], axis=-1).astype(np.int64)
    b = np.arange(bins, dtype=np.int64)
    total, squares = counts @ b, counts @ (b * b)
    mean = total / n
    m2 = (squares - total * mean).astype(np.float64)
    return np.full(mean.shape, n, np.int64), mean, np.maximum(m2, 0.0), counts


def _dict(index: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    """Dictionary column from label indices (-1: null)."""
    mask = index < 0
    indices = pa.array(np.where(mask, 0, index).astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels, pa.string()))


def _counts(blocks: list[np.ndarray | None], t: int) -> pa.Array:
    """A list<int64> column: each block's (t, bins) counts, or t nulls."""
    lengths = np.concatenate([np.full(t, 0 if c is None else c.shape[1]) for c in blocks])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = np.concatenate([c.reshape(-1) for c in blocks if c is not None] or [np.zeros(0)])
    mask = pa.array(np.concatenate([np.full(t, c is None) for c in blocks]))
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.astype(np.int64)), mask=mask)


def partial(
    traj: Trajectories,
    config: SimulationConfig,
    keys: dict[str, pa.Array],
    dates: np.ndarray,
) -> pa.Table:
    """The partial statistics of one chunk; ``keys`` columns (strategy, point, swept
    parameters) are given for one row and repeated."""
    series = member_counts(traj.level, config.countries.member, config.ladder)
    for name in RUN_MEASURES:
        if name not in series:
            series[name] = getattr(traj, name)
    t, n_countries = traj.level.shape[1], traj.level.shape[2]
    stats = [_stats(series[name], _bins(config, name)) for name in RUN_MEASURES]
    level = _stats(traj.level, _bins(config, "level"))
    stats += [tuple(None if a is None else a[:, i] for a in level) for i in range(n_countries)]
    rows = len(stats) * t
    measure = np.repeat(
        np.r_[np.arange(len(RUN_MEASURES)), np.full(n_countries, len(RUN_MEASURES))], t
    )
    country = np.repeat(np.r_[np.full(len(RUN_MEASURES), -1), np.arange(n_countries)], t)
    step = np.tile(np.arange(t, dtype=np.int16), len(stats))
    cols: dict[str, pa.Array] = {
        k: v.take(pa.array(np.zeros(rows, np.int64))) for k, v in keys.items()
    }
    cols["step"] = pa.array(step)
    cols["date"] = pa.array(dates[step])
    cols["measure"] = _dict(measure, [*RUN_MEASURES, "level"])
    cols["country"] = _dict(country, list(config.countries.codes))
    cols["country_name"] = _dict(country, list(config.countries.names))
    cols["n"] = pa.array(np.concatenate([s[0] for s in stats]))
    cols["mean"] = pa.array(np.concatenate([s[1] for s in stats]))
    cols["m2"] = pa.array(np.concatenate([s[2] for s in stats]))
    cols["counts"] = _counts([s[3] for s in stats], t)
    return pa.table(cols)


def _arrays(table: pa.Table) -> dict[str, Any]:
    """(n, mean, m2) columns and the counts as a (rows, bins) matrix (zeros where null)."""
    counts = table["counts"].combine_chunks()
    valid = counts.is_valid().to_numpy(zero_copy_only=False)
    lengths = counts.value_lengths().fill_null(0).to_numpy()
    matrix = np.zeros((len(lengths), int(lengths.max(initial=0))), np.int64)
    row = np.repeat(np.arange(len(lengths)), lengths)
    col = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    matrix[row, col] = counts.flatten().to_numpy()
    return {
        "table": table,
        "n": table["n"].to_numpy(),
        "mean": table["mean"].to_numpy(),
        "m2": table["m2"].to_numpy(),
        "counts": matrix,
        "valid": valid,
        "lengths": lengths,
    }


def _merge(acc: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Chan et al.'s update of (n, mean, m2) and summed counts, row by row."""
    n_a, n_b = acc["n"], part["n"]
    n = n_a + n_b
    delta = part["mean"] - acc["mean"]
    mean = acc["mean"] + delta * (n_b / n)
    m2 = acc["m2"] + part["m2"] + delta**2 * (n_a * n_b / n)
    return {**acc, "n": n, "mean": mean, "m2": m2, "counts": acc["counts"] + part["counts"]}


def _publish(acc: dict[str, Any]) -> pa.Table:
    table: pa.Table = acc["table"]
    n = acc["n"]
    std = np.sqrt(np.where(n > 1, acc["m2"] / np.maximum(n - 1, 1), 0.0))
    keep = [c for c in table.column_names if c not in ("n", "mean", "m2", "counts")]
    counts = [
        list(row) if ok else None for row, ok in zip(acc["counts"], acc["valid"], strict=True)
    ]
    out = table.select(keep)
    out = out.append_column("n", pa.array(n))
    out = out.append_column("mean", pa.array(acc["mean"]))
    out = out.append_column("std", pa.array(std))
    return out.append_column("counts", pa.array(counts, pa.list_(pa.int64())))


def reduce(parts: Iterator[pa.Table]) -> pa.Table:
    """Fold partial tables (plan order; consecutive parts of one strategy and point share
    their row layout) into the published ``curves.parquet``."""
    done: list[pa.Table] = []
    acc: dict[str, Any] | None = None
    key: tuple[Any, ...] | None = None
    for part in parts:
        part_key = (part["strategy"][0].as_py(), part["point"][0].as_py())
        if acc is not None and part_key == key:
            acc = _merge(acc, _arrays(part))
            continue
        if acc is not None:
            done.append(_publish(acc))
        acc, key = _arrays(part), part_key
    if acc is not None:
        done.append(_publish(acc))
    return pa.concat_tables(done, promote_options="permissive")
