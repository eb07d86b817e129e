"""The tables a view shows: an ensemble run in memory, or a saved run read lazily.

Both give a :class:`Tables`: the ``steps`` and ``summary`` tables exactly as
``python -m experiments.run`` writes them (built by the same functions of
``experiments.workflow.outputs``), and ``levels``, each member's mean rung per strategy
and week (from the per-country trajectories, which are not kept in memory).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from experiments.dashboard.settings import MAX_SEEDS, Settings, compose
from experiments.workflow import outputs
from experiments.workflow.convert import (
    ExperimentPoint,
    as_plain,
    check_seeds,
    replicate,
    to_simulation_configs,
)
from experiments.workflow.errors import ConfigError
from sim.engine import iter_chunks

log = logging.getLogger(__name__)

WORKERS = 2
"""Strategies simulated at once (threads: the compiled kernel releases the GIL)."""
CHUNK = 1000
"""Replicates per chunk: memory stays bounded whatever ``n_seeds`` is."""


@dataclass(frozen=True)
class Tables:
    """What the plots and tables of a view are drawn from.

    ``steps`` and ``summary`` have the columns of ``steps.parquet`` and ``summary.parquet``
    (a saved run gives no steps but ``bands``, from its curves, and only the summary's
    outcome columns; an analysis neither steps nor bands);
    ``levels`` has ``strategy, country, step, date, level`` (mean rung over the seeds), or
    is ``None`` when a saved run kept no trajectories. ``names`` maps country codes to
    names, in scenario order.
    """

    strategies: tuple[str, ...]
    steps: pd.DataFrame | None
    summary: pd.DataFrame
    levels: pd.DataFrame | None
    names: dict[str, str]
    n_seeds: int
    seconds: float = 0.0
    bands: pd.DataFrame | None = None  # adoption bands already computed (a saved run)


def _frame(parts: Sequence[pa.Table]) -> pd.DataFrame:
    df = pa.concat_tables(parts).to_pandas()
    return df.assign(strategy=df["strategy"].astype(str))


def _simulate_point(ep: ExperimentPoint, seeds: np.ndarray, k_adoptions: int) -> tuple:
    """One strategy's steps and summary tables and its members' summed levels."""
    steps, summaries = [], []
    level_sum = None
    for part, traj, summary in iter_chunks(
        ep.config, seeds, chunk_size=CHUNK, keep_trajectories=True, k_adoptions=k_adoptions
    ):
        assert traj is not None
        steps.append(outputs.steps_table(traj, ep.config, ep.strategy, ep.point, ep.params))
        summaries.append(outputs.summary_table(summary, part, ep.strategy, ep.point, ep.params))
        chunk_sum = traj.level.sum(axis=0, dtype=np.float64)  # (T + 1, N)
        level_sum = chunk_sum if level_sum is None else level_sum + chunk_sum
    return steps, summaries, level_sum


def _levels(points: list[ExperimentPoint], sums: list[np.ndarray], n: int) -> pd.DataFrame:
    """Each member's mean rung per strategy and week, over every point (accepted set) and
    seed of the strategy (``n`` runs per point)."""
    cal = points[0].config.calendar
    codes = points[0].config.countries.codes
    t = sums[0].shape[0]
    dates = pd.to_datetime([cal.date(k) for k in range(t)])
    pooled: dict[str, list[np.ndarray]] = {}
    for ep, level_sum in zip(points, sums, strict=True):
        pooled.setdefault(ep.strategy, []).append(level_sum)
    frames = [
        pd.DataFrame(
            {
                "strategy": strategy,
                "country": np.tile(codes, t),
                "step": np.repeat(np.arange(t), len(codes)),
                "date": np.repeat(dates, len(codes)),
                "level": (np.sum(parts, axis=0) / (n * len(parts))).ravel(),
            }
        )
        for strategy, parts in pooled.items()
    ]
    return pd.concat(frames, ignore_index=True)


SEED_KEYS = ("seed=", "n_seeds=")


@functools.lru_cache(maxsize=16)
def _points(overrides: tuple[str, ...]) -> list[ExperimentPoint]:
    """The points of ``overrides`` (without the seeds, which no point depends on): a new
    root seed or number of seeds reuses them (converting 25 accepted sets takes ~1 s)."""
    return to_simulation_configs(compose(overrides))


def run_view(settings: Settings, workers: int = WORKERS) -> Tables:
    """Run the ensemble of ``settings`` (every strategy on the same seeds, at each accepted
    set run), in memory.

    Raises ``ConfigError`` or OmegaConf's errors on bad input, with the messages of
    ``python -m experiments.run``.
    """
    t0 = time.perf_counter()
    c = as_plain(compose(settings.overrides()))
    if c.n_seeds > MAX_SEEDS:
        raise ConfigError(
            "n_seeds",
            f"the dashboard runs at most {MAX_SEEDS} replicates, got {c.n_seeds} "
            "(run larger ensembles with python -m experiments.run)",
        )
    if c.accepted_sets * c.n_seeds > MAX_SEEDS:
        raise ConfigError(
            "accepted_sets",
            f"the dashboard runs at most {MAX_SEEDS} runs per strategy (accepted_sets x "
            f"n_seeds), got {c.accepted_sets} x {c.n_seeds} (fewer sets or seeds, or "
            "python -m experiments.run)",
        )
    check_seeds(c)
    points = _points(tuple(o for o in settings.overrides() if not o.startswith(SEED_KEYS)))
    seeds = replicate(c)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda ep: _simulate_point(ep, seeds, c.k_adoptions), points))
    table = points[0].config.countries
    tables = Tables(
        strategies=tuple(dict.fromkeys(ep.strategy for ep in points)),
        steps=_frame([t for steps, _, _ in results for t in steps]),
        summary=_frame([t for _, summaries, _ in results for t in summaries]),
        levels=_levels(points, [s for _, _, s in results], len(seeds)),
        names=dict(zip(table.codes, table.names, strict=True)),
        n_seeds=len(seeds),
        seconds=time.perf_counter() - t0,
    )
    log.info("%d points x %d seeds in %.2f s", len(points), len(seeds), tables.seconds)
    return tables
