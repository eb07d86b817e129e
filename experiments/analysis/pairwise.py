"""A verdict for every pair of strategies on an outcome, over a set of worlds.

In each world (design point) the paired difference ``a - b`` (same seeds, so the pair differs
only by the strategy) has a mean over seeds and a 95% interval (normal approximation). The
world *separates* the pair when the interval excludes zero. Over the worlds:

- ``distinguishable``: one strategy is better, interval excluding zero, in at least
  ``share`` of the worlds (default 95%);
- ``indistinguishable``: the interval excludes zero in fewer than ``min_separated`` of them;
- ``depends``: in between; the input that decides the sign is the one whose best single
  split (a decision stump) removes most of the Gini impurity of the world's sign (a better,
  neither, b better): feature scoring on the sign of the paired difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from experiments.analysis.robustness import Outcome

Z95 = 1.959963984540054
VERDICTS = ("distinguishable", "indistinguishable", "depends")


@dataclass(frozen=True)
class Split:
    """The best single split of the sign on one input."""

    input: str
    rule: str  # e.g. ">= 3.2" or "in {aid, visit}"
    score: float  # share of the sign's Gini impurity removed by the split
    inside: np.ndarray  # worlds where the rule holds


def _gini(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=-1, keepdims=True)
    p = np.divide(counts, total, out=np.zeros_like(counts, dtype=float), where=total > 0)
    return 1.0 - (p**2).sum(axis=-1)


@dataclass(frozen=True)
class _Input:
    """One input prepared for splitting: a numeric one sorted once (its row in the
    :class:`Prepared` stacks, sorted values), a categorical one as codes of its values
    (as strings, in sorted order)."""

    name: str
    x: np.ndarray
    row: int = -1
    xs: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: pd.Index | None = None


@dataclass(frozen=True)
class Prepared:
    """The inputs of :func:`best_split`, prepared once for many signs on the same worlds:
    the numeric ones' sort orders and where a cut may fall stacked (inputs x worlds)."""

    columns: list[_Input]
    orders: np.ndarray
    valid: np.ndarray


def prepare_inputs(inputs: pd.DataFrame) -> Prepared:
    """:class:`Prepared` of the worlds' inputs (one row per world)."""
    columns, orders, valid = [], [], []
    for name in inputs.columns:
        x = inputs[name].to_numpy()
        if x.dtype.kind in "biuf":
            order = np.argsort(x, kind="stable")
            xs = x[order].astype(float)
            columns.append(_Input(name, x, row=len(orders), xs=xs))
            orders.append(order)
            valid.append(xs[:-1] < xs[1:])
        else:
            values = pd.Series(x).astype(str)
            labels, codes = np.unique(values.to_numpy(), return_inverse=True)  # groupby's order
            index = pd.Index(labels.tolist(), dtype=object)
            columns.append(_Input(name, x, codes=codes, labels=index))
    n = len(inputs)
    return Prepared(
        columns,
        np.array(orders, dtype=np.intp).reshape(len(orders), n),
        np.array(valid, dtype=bool).reshape(len(valid), max(n - 1, 0)),
    )


def best_split(inputs: pd.DataFrame | Prepared, sign: np.ndarray) -> Split | None:
    """The input (and split) that best separates ``sign`` (-1, 0, +1 per world), or None when
    the sign is constant. ``inputs``: a frame, or :func:`prepare_inputs` of it."""
    onehot = np.stack([sign == v for v in (-1, 0, 1)], axis=1).astype(float)
    total = onehot.sum(axis=0)
    base = _gini(total)
    if base <= 0:
        return None
    prepared = prepare_inputs(inputs) if isinstance(inputs, pd.DataFrame) else inputs
    n = len(sign)
    k = np.arange(1, n)
    # every numeric input at once: the impurity of each cut (inputs x cuts)
    left = np.cumsum(onehot[prepared.orders], axis=1)[:, :-1]
    impurities = (k * _gini(left) + (n - k) * _gini(total - left)) / n
    impurities = np.where(prepared.valid, impurities, np.inf)
    cuts = np.argmin(impurities, axis=1) if impurities.shape[1] else None  # no cut: skipped
    best: Split | None = None
    for column in prepared.columns:
        name, x = column.name, column.x
        if column.codes is None:
            if not prepared.valid[column.row].any():
                continue
            j = int(cuts[column.row])
            cut = (column.xs[j] + column.xs[j + 1]) / 2
            score = 1 - impurities[column.row, j] / base
            rule, inside = f">= {cut:.3g}", x >= cut
        else:
            labels = column.labels
            if len(labels) < 2:
                continue
            sums = np.zeros((len(labels), 3))
            np.add.at(sums, column.codes, onehot)  # counts: exact in any order
            counts = pd.DataFrame(sums, index=labels)
            sizes = counts.sum(axis=1).to_numpy()
            impurity = float((sizes * _gini(counts.to_numpy())).sum() / n)
            score = 1 - impurity / base
            better = counts[2] / sizes - counts[0] / sizes  # a's net share by value
            chosen = sorted(better[better > better.median()].index) or [better.idxmax()]
            rule = f"in {{{', '.join(chosen)}}}"
            inside = np.isin(column.codes, labels.get_indexer(chosen))
        if best is None or score > best.score + 1e-12:
            best = Split(name, rule, float(score), np.asarray(inside, bool))
    return best


def world_signs(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds of the per-seed differences (worlds x seeds) and the sign of the world
    (+1 / -1 when the 95% interval excludes zero, else 0)."""
    mean = diff.mean(axis=1)
    sd = diff.std(axis=1, ddof=1) if diff.shape[1] > 1 else np.zeros(len(diff))
    half = Z95 * sd / np.sqrt(diff.shape[1])
    sign = np.where(mean - half > 0, 1, np.where(mean + half < 0, -1, 0))
    return mean, sign


def pair_verdict(
    diff: np.ndarray,
    inputs: pd.DataFrame | Prepared,
    share: float = 0.95,
    min_separated: float = 0.1,
) -> dict[str, object]:
    """Verdict on one pair from its per-seed differences ``a - b`` (worlds x seeds, already
    signed so that positive means ``a`` is better) and the worlds' inputs (a frame, or
    :func:`prepare_inputs` of it)."""
    mean, sign = world_signs(diff)
    a_share, b_share = float((sign > 0).mean()), float((sign < 0).mean())
    row: dict[str, object] = {
        "n_worlds": len(sign),
        "mean_difference": float(mean.mean()),
        "share_a_better": a_share,
        "share_b_better": b_share,
        "better": "",
        "decider": "",
        "decider_rule": "",
        "decider_score": np.nan,
        "share_a_better_in": np.nan,
        "share_b_better_in": np.nan,
        "share_a_better_out": np.nan,
        "share_b_better_out": np.nan,
    }
    if a_share >= share or b_share >= share:
        row["verdict"] = "distinguishable"
        row["better"] = "a" if a_share >= share else "b"
    elif a_share + b_share < min_separated:
        row["verdict"] = "indistinguishable"
    else:
        row["verdict"] = "depends"
        split = best_split(inputs, sign)
        if split is not None:
            inside = split.inside
            row.update(
                decider=split.input,
                decider_rule=split.rule,
                decider_score=split.score,
                share_a_better_in=float((sign[inside] > 0).mean()) if inside.any() else np.nan,
                share_b_better_in=float((sign[inside] < 0).mean()) if inside.any() else np.nan,
                share_a_better_out=float((sign[~inside] > 0).mean()) if (~inside).any() else np.nan,
                share_b_better_out=float((sign[~inside] < 0).mean()) if (~inside).any() else np.nan,
            )
    return row


def seed_cube(runs: pd.DataFrame, strategies: Sequence[str], name: str) -> np.ndarray:
    """Per-seed values of ``name`` as an array points x strategies x seeds (points and seeds
    sorted)."""
    wide = runs.pivot_table(
        index=["point", "seed"], columns="strategy", values=name, observed=True, aggfunc="first"
    ).sort_index()
    n_points = wide.index.get_level_values("point").nunique()
    return (
        wide[list(strategies)]
        .to_numpy(float)
        .reshape(n_points, -1, len(strategies))
        .transpose(0, 2, 1)
    )


def pairwise_table(
    runs: pd.DataFrame,
    inputs: pd.DataFrame,
    strategies: Sequence[str],
    outcomes: Sequence[Outcome],
    share: float = 0.95,
    min_separated: float = 0.1,
) -> pd.DataFrame:
    """One row per outcome and pair ``(a, b)`` of ``strategies`` (a listed before b):
    verdict, shares of worlds where each is better, and the deciding input.

    ``runs``: per-seed rows (``point``, ``strategy``, ``seed``, outcomes) of one set of
    worlds; ``inputs``: one row per point (sorted by point), the inputs to score."""
    rows = []
    prepared = prepare_inputs(inputs)
    for outcome in outcomes:
        cube = seed_cube(runs, strategies, outcome.name)
        for i, j in combinations(range(len(strategies)), 2):
            diff = (cube[:, i, :] - cube[:, j, :]) * outcome.sign
            row = pair_verdict(diff, prepared, share, min_separated)
            row["mean_difference"] = float(row["mean_difference"]) * outcome.sign  # a - b
            better = {"a": strategies[i], "b": strategies[j], "": ""}[str(row["better"])]
            rows.append(
                {"outcome": outcome.name, "strategy_a": strategies[i],
                 "strategy_b": strategies[j], **row, "better": better}
            )  # fmt: skip
    return pd.DataFrame(rows)
