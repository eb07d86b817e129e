"""The pair verdicts' decision stump, prepared once per set of worlds, splits exactly as the
column-by-column stump it replaced (kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.pairwise import _gini, best_split, prepare_inputs


def _reference(inputs: pd.DataFrame, sign: np.ndarray):
    """The stump as first written: each input sorted and grouped afresh for every sign."""
    onehot = np.stack([sign == v for v in (-1, 0, 1)], axis=1).astype(float)
    total = onehot.sum(axis=0)
    base = _gini(total)
    if base <= 0:
        return None
    n, best = len(sign), None
    for name in inputs.columns:
        x = inputs[name].to_numpy()
        if x.dtype.kind in "biuf":
            order = np.argsort(x, kind="stable")
            xs = x[order].astype(float)
            left = np.cumsum(onehot[order], axis=0)[:-1]
            valid = xs[:-1] < xs[1:]
            if not valid.any():
                continue
            k = np.arange(1, n)
            impurity = (k * _gini(left) + (n - k) * _gini(total - left)) / n
            impurity = np.where(valid, impurity, np.inf)
            j = int(np.argmin(impurity))
            cut = (xs[j] + xs[j + 1]) / 2
            score, rule, inside = 1 - impurity[j] / base, f">= {cut:.3g}", x >= cut
        else:
            values = pd.Series(x).astype(str)
            counts = pd.DataFrame(onehot).groupby(values.to_numpy()).sum()
            if len(counts) < 2:
                continue
            sizes = counts.sum(axis=1).to_numpy()
            impurity = float((sizes * _gini(counts.to_numpy())).sum() / n)
            score = 1 - impurity / base
            better = counts[2] / sizes - counts[0] / sizes
            chosen = sorted(better[better > better.median()].index) or [better.idxmax()]
            rule, inside = f"in {{{', '.join(chosen)}}}", values.isin(chosen).to_numpy()
        if best is None or score > best[2] + 1e-12:
            best = (name, rule, float(score), np.asarray(inside, bool))
    return best


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("decider", ["x", "kind"])
def test_the_prepared_stump_splits_as_the_reference(seed: int, decider: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    x, y = rng.uniform(size=n), rng.integers(1, 6, size=n)
    inputs = pd.DataFrame({
        "x": x, "y": y.astype(float), "flat": np.ones(n), "tied": rng.integers(0, 2, n),
        "kind": rng.choice(["aid", "visit", "two_plus_two"], size=n),
        "member": rng.choice(["True", "False"], size=n), "one": ["a"] * n,
    })  # fmt: skip
    planted = np.where(x > 0.6, 1, np.where(y <= 2, -1, 0))  # x decides, y second
    if decider == "kind":
        kind = inputs["kind"].to_numpy()
        planted = np.where(kind == "aid", 1, np.where(kind == "visit", -1, 0))
    noise = rng.uniform(size=n) < [0.0, 0.2, 0.6][seed % 3]
    sign = np.where(noise, rng.integers(-1, 2, size=n), planted)
    prepared = prepare_inputs(inputs)
    expected = _reference(inputs, sign)
    for got in (best_split(prepared, sign), best_split(inputs, sign)):
        if expected is None:
            assert got is None
            continue
        assert (got.input, got.rule, got.score) == expected[:3]
        assert np.array_equal(got.inside, expected[3])
    if seed % 3 == 0:  # no noise: the planted input decides
        assert expected[0] == decider


def test_no_world_or_one_world_has_no_numeric_cut() -> None:
    inputs = pd.DataFrame({"x": [0.5], "kind": ["aid"]})
    assert best_split(inputs, np.array([1])) is None  # a constant sign: nothing to split
    assert best_split(inputs.iloc[:0], np.array([], dtype=int)) is None  # no world at all
    two = pd.DataFrame({"x": [0.5, 0.5], "kind": ["aid", "visit"]})
    split = best_split(two, np.array([1, -1]))  # tied x: only the categorical splits
    assert split is not None and split.input == "kind" and split.rule == "in {aid}"
