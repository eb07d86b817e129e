"""Per-step statistics over seeds, accumulated while a run streams (``curves.parquet``).

Each chunk of seeds yields a small partial table (:func:`partial`): for every step and
measure, the number of runs and, exactly, what the statistics need: for integer measures
how many runs sit at each value, for float measures (leakage, spent) the exact sums of the
values and of their squares (integers in units of ``2**-SCALE``, written as hexadecimal
text). :func:`reduce` adds the partials of a (strategy, point) and only then divides, so
the published means and standard deviations are the same bytes whatever the chunk size,
the number of workers or the order in which chunks finished. The figures are drawn from
it: no figure reads the per-seed tables' steps.
"""

from __future__ import annotations

import math
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


OFFSET = 1100
"""Added to a float's binary exponent (``np.frexp``: -1073 .. 1024) to index its bin."""
BINS = 2200
SCALE = OFFSET + 53
"""Exact sums are integers in units of ``2**-SCALE``."""


FEW_VALUES = 4096
"""Distinct values up to which :func:`_value_sums` sums exactly by counting them."""
TINY, HUGE = 2.0**-400, 2.0**400
"""Magnitudes between which a square is exact in units of ``2**-SCALE`` (and Dekker's
split of :func:`_square_terms` is exact too)."""


def _value_sums(x: np.ndarray) -> tuple[list[int], list[int]] | None:
    """The exact sums of ``x`` (R, C) and of its squares per column, as :func:`exact_sums`
    gives them, by counting how many rows of a column hold each distinct value (one
    integer per distinct value); None when ``x`` holds too many distinct values or a
    magnitude outside [TINY, HUGE] (then :func:`exact_sums` is used)."""
    values, inverse = np.unique(x, return_inverse=True)
    size = np.abs(values)
    if len(values) > FEW_VALUES or ((size != 0) & ((size < TINY) | (size > HUGE))).any():
        return None
    cols = x.shape[1]
    at = inverse.reshape(x.shape) + (np.arange(cols) * len(values))[None, :]
    counts = np.bincount(at.ravel(), minlength=cols * len(values)).reshape(cols, len(values))
    ratios = [float(v).as_integer_ratio() for v in values]
    units = [n << (SCALE - d.bit_length() + 1) for n, d in ratios]
    squares = [(n * n) << (SCALE - 2 * (d.bit_length() - 1)) for n, d in ratios]
    sums, sq = [], []
    for row in counts:
        used = np.flatnonzero(row)
        sums.append(sum(int(row[j]) * units[j] for j in used))
        sq.append(sum(int(row[j]) * squares[j] for j in used))
    return sums, sq


def exact_sums(x: np.ndarray) -> list[int]:
    """The exact sum over axis 0 of each column of float64 ``x`` (R, C), as integers in
    units of ``2**-SCALE``: each value is split into its 53-bit integer mantissa (two
    26-bit halves) and exponent; halves are summed per exponent (exact in float64 below
    2**53, i.e. up to 2**26 rows), then shifted and added as Python integers."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if not np.isfinite(x).all():
        raise ValueError("curves: a float measure is not finite")
    rows, cols = x.shape
    if rows >= 1 << 26:
        raise ValueError("curves: at most 2**26 runs per chunk")
    mantissa, exponent = np.frexp(x)
    m = (mantissa * 2.0**53).astype(np.int64)  # exact: |m| < 2**53
    hi = m >> 26
    lo = m - (hi << 26)  # 0 <= lo < 2**26
    index = (np.arange(cols)[None, :] * BINS + exponent + OFFSET).ravel()
    size = cols * BINS
    s_hi = np.bincount(index, weights=hi.ravel().astype(np.float64), minlength=size)
    s_lo = np.bincount(index, weights=lo.ravel().astype(np.float64), minlength=size)
    out = [0] * cols
    for flat in np.flatnonzero((s_hi != 0) | (s_lo != 0)):
        col, b = divmod(int(flat), BINS)
        out[col] += ((int(s_hi[flat]) << 26) + int(s_lo[flat])) << b
    return out


def _square_terms(x: np.ndarray) -> np.ndarray:
    """Rows whose column sums are exactly the sums of squares of ``x``: Dekker's split
    ``x = hi + lo`` (26 bits each) makes ``hi*hi``, ``2*hi*lo`` and ``lo*lo`` exact."""
    c = 134217729.0 * x  # 2**27 + 1
    hi = c - (c - x)
    lo = x - hi
    return np.concatenate([hi * hi, 2.0 * hi * lo, lo * lo], axis=0)


def _stats(values: np.ndarray, bins: int | None) -> tuple[Any, ...]:
    """n, exact sums (float measures: of values and squares, as hexadecimal text) and
    counts (integer measures: runs at each value) over axis 0 of ``values`` (R, T[, C])."""
    n = values.shape[0]
    shape = values.shape[1:]
    if bins is None:
        flat = values.reshape(n, -1).astype(np.float64, copy=False)
        if not np.isfinite(flat).all():
            raise ValueError("curves: a float measure is not finite")
        if n >= 1 << 26:
            raise ValueError("curves: at most 2**26 runs per chunk")
        both = _value_sums(flat) or (exact_sums(flat), exact_sums(_square_terms(flat)))
        sums = np.array([hex(v) for v in both[0]], dtype=object).reshape(shape)
        squares = np.array([hex(v) for v in both[1]], dtype=object)
        return np.full(shape, n, np.int64), sums, squares.reshape(shape), None
    return np.full(shape, n, np.int64), None, None, _value_counts(values, bins)


def _value_counts(values: np.ndarray, bins: int) -> np.ndarray:
    """Runs at each value ``0 .. bins - 1`` over axis 0 of integer ``values`` (R, ...):
    one ``bincount`` (values outside the bins are not counted)."""
    n, shape = values.shape[0], values.shape[1:]
    cells = int(np.prod(shape))
    flat = values.reshape(n, cells)
    if n == 0 or cells == 0:
        return np.zeros((*shape, bins), np.int64)
    if flat.min() < 0 or flat.max() >= bins:
        counts = np.stack([(values == b).sum(axis=0) for b in range(bins)], axis=-1)
        return counts.astype(np.int64)
    at = flat.astype(np.int64) * cells + np.arange(cells)[None, :]
    counts = np.bincount(at.ravel(), minlength=bins * cells).reshape(bins, cells)
    return np.ascontiguousarray(counts.T).reshape(*shape, bins).astype(np.int64)


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
    for k, name in ((1, "sum"), (2, "sumsq")):
        text = [np.full(t, None, object) if s[k] is None else s[k] for s in stats]
        cols[name] = pa.array(np.concatenate(text), pa.string())
    cols["counts"] = _counts([s[3] for s in stats], t)
    return pa.table(cols)


def _arrays(table: pa.Table) -> dict[str, Any]:
    """n, exact sums (Python integers; None for integer measures) and the counts as a
    (rows, bins) matrix (zeros where null)."""
    counts = table["counts"].combine_chunks()
    valid = counts.is_valid().to_numpy(zero_copy_only=False)
    lengths = counts.value_lengths().fill_null(0).to_numpy()
    matrix = np.zeros((len(lengths), int(lengths.max(initial=0))), np.int64)
    row = np.repeat(np.arange(len(lengths)), lengths)
    col = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    matrix[row, col] = counts.flatten().to_numpy()
    sums = [[None if v is None else int(v, 16) for v in table[c].to_pylist()] for c in SUMS]
    return {
        "table": table,
        "n": table["n"].to_numpy(),
        "sums": sums,
        "counts": matrix,
        "valid": valid,
    }


SUMS = ("sum", "sumsq")


def _merge(acc: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Add a part's runs, exact sums and counts, row by row (integers: exact)."""
    sums = [
        [None if a is None else a + b for a, b in zip(x, y, strict=True)]
        for x, y in zip(acc["sums"], part["sums"], strict=True)
    ]
    return {
        **acc,
        "n": acc["n"] + part["n"],
        "sums": sums,
        "counts": acc["counts"] + part["counts"],
    }


def _moments(n: int, total: int, squares: int, scale: int) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1; 0 for one run) of ``n`` runs from the exact
    sum of values and of squares, both integers in units of ``2**-scale``; each is one
    correctly rounded division of integers."""
    mean = total / (n << scale)
    if n < 2:
        return mean, 0.0
    spread = (n * squares << scale) - total * total
    return mean, math.sqrt(max(spread, 0) / ((n * (n - 1)) << (2 * scale)))


def _publish(acc: dict[str, Any]) -> pa.Table:
    table: pa.Table = acc["table"]
    n = acc["n"]
    values = np.arange(acc["counts"].shape[1], dtype=np.int64)
    totals, squares = acc["counts"] @ values, acc["counts"] @ (values * values)
    mean, std = np.zeros(len(n)), np.zeros(len(n))
    for i, (total, square) in enumerate(zip(*acc["sums"], strict=True)):
        if total is None:  # an integer measure: moments from the counts
            mean[i], std[i] = _moments(int(n[i]), int(totals[i]), int(squares[i]), 0)
        else:
            mean[i], std[i] = _moments(int(n[i]), total, square, SCALE)
    keep = [c for c in table.column_names if c not in ("n", *SUMS, "counts")]
    counts = [
        list(row) if ok else None for row, ok in zip(acc["counts"], acc["valid"], strict=True)
    ]
    out = table.select(keep)
    out = out.append_column("n", pa.array(n))
    out = out.append_column("mean", pa.array(mean))
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
