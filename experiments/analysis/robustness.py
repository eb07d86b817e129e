"""Robustness of strategies across the points of an uncertainty design.

Input is tidy: ``points`` has one row per design point x strategy, with columns ``point``,
``strategy`` and one column per outcome holding that point's mean over seeds (see
:func:`point_means`). Optionally ``per_seed`` has one row per point x strategy x seed, with
the same strategies run on the same seeds (common random numbers), so that comparisons can
be paired on seeds too.

A strategy's robustness is read, per outcome, as: its distribution across points, the
probability that it beats a reference strategy (by default ``none``, the null model) at the
same point, its regret against the best strategy at each point, and the share of points
where it meets a satisficing target (Lempert, Popper & Bankes 2003).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

log = logging.getLogger(__name__)

POINT, STRATEGY, SEED = "point", "strategy", "seed"
REFERENCE = "none"
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Outcome:
    """An outcome column and how to read it.

    Attributes:
        name: column name in the outcome tables.
        direction: ``higher`` if more is better (e.g. members sanctioning), ``lower`` if less
            is better (e.g. leakage).
        target: satisficing threshold: met when the value is >= target (``higher``) or
            <= target (``lower``); None for no target.
        unit: unit for labels (e.g. ``USD bn/yr``).
        label: readable name for figures (default: ``name``).
    """

    name: str
    direction: Direction
    target: float | None = None
    unit: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ValueError(
                f"outcome {self.name!r}: direction must be 'higher' or 'lower', "
                f"got {self.direction!r}"
            )

    @property
    def axis_label(self) -> str:
        """``label (unit)`` for an axis."""
        text = self.label or self.name
        return f"{text} ({self.unit})" if self.unit else text

    @property
    def sign(self) -> float:
        """+1 if higher is better, -1 if lower is better."""
        return 1.0 if self.direction == "higher" else -1.0


def outcomes_from_dict(spec: Mapping[str, Mapping[str, Any]]) -> list[Outcome]:
    """``{"leakage": {"direction": "lower", "target": 5.0, "unit": "USD bn/yr"}}`` -> Outcomes
    (keys: ``direction``, optional ``target``, ``unit``, ``label``)."""
    allowed = {"direction", "target", "unit", "label"}
    result = []
    for name, entry in spec.items():
        unknown = set(entry) - allowed
        if unknown or "direction" not in entry:
            raise ValueError(
                f"outcome {name!r}: needs 'direction'; allowed keys {sorted(allowed)}, "
                f"unknown {sorted(unknown)}"
            )
        target = entry.get("target")  # optional: None means no satisficing target
        result.append(
            Outcome(
                name,
                entry["direction"],
                None if target is None else float(target),
                str(entry.get("unit", "")),
                str(entry.get("label", "")),
            )
        )
    return result


# --------------------------------------------------------------------------- input checks


def strategy_order(table: pd.DataFrame) -> list[str]:
    """Strategies in categorical order if the column is categorical, else first appearance."""
    column = table[STRATEGY]
    seen = list(dict.fromkeys(column.astype(str)))
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [str(s) for s in column.cat.categories]
        return [s for s in order if s in seen]
    return seen


def _check_table(
    table: pd.DataFrame, outcomes: Sequence[Outcome], keys: Sequence[str], what: str
) -> pd.DataFrame:
    """Columns present, keys unique, every strategy at every key, no missing outcome."""
    names = [o.name for o in outcomes]
    missing = [c for c in [*keys, *names] if c not in table.columns]
    if missing:
        raise ValueError(f"{what} table lacks columns {missing}")
    if not outcomes:
        raise ValueError("no outcomes given")
    frame = table[[*keys, *names]].copy()
    frame[STRATEGY] = frame[STRATEGY].astype(str)
    duplicated = frame.duplicated(list(keys))
    if duplicated.any():
        raise ValueError(
            f"{what} table has {int(duplicated.sum())} repeated {tuple(keys)} rows, e.g. "
            f"{frame.loc[duplicated, list(keys)].iloc[0].tolist()}"
        )
    other_keys = [k for k in keys if k != STRATEGY]
    n_keys = len(frame.drop_duplicates(other_keys))
    counts = frame.groupby(STRATEGY).size()
    incomplete = counts[counts != n_keys]
    if len(incomplete):
        raise ValueError(
            f"{what} table is unbalanced: every strategy needs all {n_keys} "
            f"{'/'.join(other_keys)} rows; {incomplete.to_dict()}"
        )
    nan = frame[names].isna().any()
    if nan.any():
        raise ValueError(f"{what} table has missing values in {list(nan[nan].index)}")
    return frame


def _wide(frame: pd.DataFrame, name: str, keys: Sequence[str], order: Sequence[str]):
    """keys-without-strategy x strategy matrix of one outcome (rows sorted by key)."""
    other = [k for k in keys if k != STRATEGY]
    wide = frame.pivot(index=other, columns=STRATEGY, values=name).sort_index()
    return wide[list(order)]


# --------------------------------------------------------------------------- summaries


def point_means(
    per_seed: pd.DataFrame, outcomes: Sequence[Outcome], extra: Iterable[str] = ()
) -> pd.DataFrame:
    """Average replicates: one row per point x strategy.

    Returns:
        DataFrame with columns ``point``, ``strategy``, each ``extra`` column (constant
        within a point, e.g. the design values), ``n_seeds``, then one column per outcome
        (mean over seeds).
    """
    frame = _check_table(per_seed, outcomes, (POINT, STRATEGY, SEED), "per-seed")
    extra = list(extra)
    absent = [c for c in extra if c not in per_seed.columns]
    if absent:
        raise ValueError(f"per-seed table lacks columns {absent}")
    for column in extra:
        frame[column] = per_seed[column].to_numpy()
    names = [o.name for o in outcomes]
    grouped = frame.groupby([POINT, STRATEGY, *extra], sort=False)
    result = grouped[names].mean().reset_index()
    result.insert(2 + len(extra), "n_seeds", grouped.size().to_numpy())
    if len(result) != len(frame.drop_duplicates([POINT, STRATEGY])):
        raise ValueError(f"extra columns {extra} are not constant within each point")
    return result


def distribution_summary(points: pd.DataFrame, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Each strategy's outcome across points.

    Returns:
        DataFrame with columns ``strategy``, ``outcome``, ``n_points``, ``mean``, ``p05``,
        ``p50``, ``p95`` (percentiles of the per-point means, numpy's linear
        interpolation).
    """
    frame = _check_table(points, outcomes, (POINT, STRATEGY), "points")
    rows = []
    for outcome in outcomes:
        for strategy in strategy_order(points):
            values = frame.loc[frame[STRATEGY] == strategy, outcome.name].to_numpy(float)
            p05, p50, p95 = np.percentile(values, [5, 50, 95])
            rows.append(
                {
                    STRATEGY: strategy,
                    "outcome": outcome.name,
                    "n_points": len(values),
                    "mean": float(values.mean()),
                    "p05": float(p05),
                    "p50": float(p50),
                    "p95": float(p95),
                }
            )
    return pd.DataFrame(rows)


def regret_table(points: pd.DataFrame, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Regret of every strategy at every point: its shortfall from the best strategy there.

    Returns:
        DataFrame with columns ``point``, ``strategy``, ``outcome``, ``value``, ``best``
        (best value among strategies at that point), ``regret`` (``best - value`` if higher
        is better, ``value - best`` if lower is better; always >= 0).
    """
    frame = _check_table(points, outcomes, (POINT, STRATEGY), "points")
    order = strategy_order(points)
    parts = []
    for outcome in outcomes:
        wide = _wide(frame, outcome.name, (POINT, STRATEGY), order)
        best = wide.max(axis=1) if outcome.direction == "higher" else wide.min(axis=1)
        regret = (
            wide.rsub(best, axis=0) if outcome.direction == "higher" else wide.sub(best, axis=0)
        )
        long = wide.stack().rename("value").reset_index()
        long["outcome"] = outcome.name
        long["best"] = best.reindex(long[POINT]).to_numpy()
        long["regret"] = regret.stack().to_numpy()
        parts.append(long[[POINT, STRATEGY, "outcome", "value", "best", "regret"]])
    return pd.concat(parts, ignore_index=True)


def regret_summary(points: pd.DataFrame, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Mean and maximum regret across points.

    Returns:
        DataFrame with columns ``strategy``, ``outcome``, ``mean_regret``, ``max_regret``,
        ``share_best`` (share of points where the strategy is best or tied best).
    """
    table = regret_table(points, outcomes)
    grouped = table.groupby(["outcome", STRATEGY], sort=False)["regret"]
    result = pd.DataFrame(
        {
            "mean_regret": grouped.mean(),
            "max_regret": grouped.max(),
            "share_best": grouped.apply(lambda r: float((r == 0).mean())),
        }
    ).reset_index()
    return result[[STRATEGY, "outcome", "mean_regret", "max_regret", "share_best"]]


def satisficing(points: pd.DataFrame, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Share of points where each strategy meets the outcome's target (outcomes without a
    target are left out).

    Returns:
        DataFrame with columns ``strategy``, ``outcome``, ``target``, ``direction``,
        ``n_points``, ``n_meeting``, ``share_meeting``.
    """
    with_target = [o for o in outcomes if o.target is not None]
    columns = [STRATEGY, "outcome", "target", "direction", "n_points", "n_meeting"]
    if not with_target:
        return pd.DataFrame(columns=[*columns, "share_meeting"])
    frame = _check_table(points, with_target, (POINT, STRATEGY), "points")
    rows = []
    for outcome in with_target:
        for strategy in strategy_order(points):
            values = frame.loc[frame[STRATEGY] == strategy, outcome.name].to_numpy(float)
            meets = (
                values >= outcome.target
                if outcome.direction == "higher"
                else values <= outcome.target
            )
            rows.append(
                {
                    STRATEGY: strategy,
                    "outcome": outcome.name,
                    "target": outcome.target,
                    "direction": outcome.direction,
                    "n_points": len(values),
                    "n_meeting": int(meets.sum()),
                }
            )
    result = pd.DataFrame(rows)
    result["share_meeting"] = result["n_meeting"] / result["n_points"]
    return result


# --------------------------------------------------------------------------- beating a reference


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n``."""
    if n <= 0:
        return (float("nan"), float("nan"))
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def cluster_bootstrap_interval(
    wins: np.ndarray,
    pairs: np.ndarray,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval for ``sum(wins) / sum(pairs)`` resampling points (clusters) with
    replacement, so that seeds of one point are not counted as independent evidence."""
    wins, pairs = np.asarray(wins, float), np.asarray(pairs, float)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(wins), size=(n_boot, len(wins)))
    share = wins[index].sum(axis=1) / pairs[index].sum(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(share, [alpha, 1 - alpha])
    return (float(low), float(high))


def beat_probability(
    points: pd.DataFrame,
    outcomes: Sequence[Outcome],
    reference: str = REFERENCE,
    per_seed: pd.DataFrame | None = None,
    interval: Literal["auto", "wilson", "bootstrap"] = "auto",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Probability that each strategy strictly beats ``reference`` at the same point.

    Pairs are (point) from ``points``, or (point, seed) from ``per_seed`` when it is given
    (common random numbers make those pairs differ only by the strategy). Ties are not wins
    and are counted apart. ``interval='auto'`` uses Wilson's interval for point pairs and a
    bootstrap over points for seed pairs (seeds of one point are not independent).

    Returns:
        DataFrame with columns ``strategy``, ``outcome``, ``reference``, ``pairing``
        (``point`` or ``point x seed``), ``n_pairs``, ``n_better``, ``n_tied``, ``p_better``
        (``n_better / n_pairs``), ``ci_low``, ``ci_high``, ``interval`` (``wilson`` or
        ``bootstrap``); one row per strategy other than the reference and outcome.
    """
    if interval not in ("auto", "wilson", "bootstrap"):
        raise ValueError(f"interval must be 'auto', 'wilson' or 'bootstrap', got {interval!r}")
    if per_seed is None:
        keys, table, pairing = (POINT, STRATEGY), points, "point"
    else:
        keys, table, pairing = (POINT, STRATEGY, SEED), per_seed, "point x seed"
    frame = _check_table(table, outcomes, keys, "per-seed" if per_seed is not None else "points")
    order = strategy_order(table)
    if reference not in order:
        raise ValueError(f"reference strategy {reference!r} not among {order}")
    method = interval if interval != "auto" else ("wilson" if per_seed is None else "bootstrap")
    rows = []
    for outcome in outcomes:
        wide = _wide(frame, outcome.name, keys, order)
        gain = wide.sub(wide[reference], axis=0) * outcome.sign
        for strategy in order:
            if strategy == reference:
                continue
            better, tied = gain[strategy] > 0, gain[strategy] == 0
            n_pairs, n_better = len(gain), int(better.sum())
            if method == "wilson":
                low, high = wilson_interval(n_better, n_pairs, confidence)
            else:
                by_point = better.groupby(level=POINT)
                low, high = cluster_bootstrap_interval(
                    by_point.sum().to_numpy(), by_point.size().to_numpy(), confidence, n_boot, seed
                )
            rows.append(
                {
                    STRATEGY: strategy,
                    "outcome": outcome.name,
                    "reference": reference,
                    "pairing": pairing,
                    "n_pairs": n_pairs,
                    "n_better": n_better,
                    "n_tied": int(tied.sum()),
                    "p_better": n_better / n_pairs,
                    "ci_low": low,
                    "ci_high": high,
                    "interval": method,
                }
            )
    return pd.DataFrame(rows)


def robustness_summary(
    points: pd.DataFrame,
    outcomes: Sequence[Outcome],
    reference: str = REFERENCE,
    per_seed: pd.DataFrame | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per strategy x outcome joining every robustness measure.

    Returns:
        DataFrame with columns ``strategy``, ``outcome``, ``n_points``, ``mean``, ``p05``,
        ``p50``, ``p95`` (:func:`distribution_summary`); ``p_better``, ``ci_low``,
        ``ci_high``, ``p_tied`` (share of pairs tied), ``pairing`` (:func:`beat_probability`;
        NaN for the reference itself);
        ``mean_regret``, ``max_regret``, ``share_best`` (:func:`regret_summary`);
        ``target``, ``share_meeting`` (:func:`satisficing`; NaN without a target).
    """
    keys = [STRATEGY, "outcome"]
    summary = distribution_summary(points, outcomes)
    beat = beat_probability(
        points, outcomes, reference, per_seed, confidence=confidence, n_boot=n_boot, seed=seed
    )
    beat["p_tied"] = beat["n_tied"] / beat["n_pairs"]
    beat = beat[[*keys, "p_better", "ci_low", "ci_high", "p_tied", "pairing"]]
    regret = regret_summary(points, outcomes)
    meeting = satisficing(points, outcomes)[[*keys, "target", "share_meeting"]]
    result = summary.merge(beat, on=keys, how="left")
    result = result.merge(regret, on=keys, how="left").merge(meeting, on=keys, how="left")
    return result
