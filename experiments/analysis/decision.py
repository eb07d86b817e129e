"""The tables of the decision Japan faced: pair verdicts, effort and cost, the mandate what-if.

:func:`decision_tables` reads the per-seed runs of the Latin hypercube designs: the pair
verdicts (:mod:`experiments.analysis.pairwise`) over the explore design (the world Japan
faced, budget varying), over the effort design at each multiple of Japan's 2022 effort and
over the mandate design; the effort table (:mod:`experiments.analysis.effort`); and the
robustness table of the mandate design.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.cases import prim_inputs
from experiments.analysis.effort import budget_bands, effort_table
from experiments.analysis.pairwise import pairwise_table
from experiments.analysis.settings import Settings
from experiments.analysis.tables import EFFORT, PAIRWISE, SCHEMAS

log = logging.getLogger(__name__)


def world_sets(s: Settings, scenarios: pd.DataFrame) -> list[tuple[str, float, pd.Series]]:
    """``(design, budget, points)`` of each set of worlds a verdict is given on (budget NaN
    where it varies)."""
    out = []
    for design in ("explore", "effort", "mandate"):
        if design not in s.designs:
            continue
        rows = scenarios[scenarios["design"] == design].drop_duplicates("point")
        if design == "effort":
            for budget, part in rows.groupby("budget", sort=True):
                out.append((design, float(budget), part["point"]))
        else:
            out.append((design, np.nan, rows["point"]))
    return out


def pairwise_all(s: Settings, runs: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    """Pair verdicts on the headline outcomes over every set of worlds (``pairwise.csv``)."""
    d = s.c.decision
    parts = []
    for design, budget, points in world_sets(s, scenarios):
        rows = runs[(runs["design"] == design) & runs["point"].isin(points)]
        base = scenarios[(scenarios["design"] == design) & scenarios["point"].isin(points)]
        base = base.drop_duplicates("point").sort_values("point")
        table = pairwise_table(
            rows, prim_inputs(base, s.space), s.strategies, s.headline,
            d.verdict_share, d.min_separated,
        )  # fmt: skip
        table.insert(0, "budget", budget)
        table.insert(0, "design", design)
        parts.append(table)
        log.info("pair verdicts on %s (budget %s): %d rows", design, budget, len(table))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[])
    return table.reindex(columns=list(SCHEMAS[PAIRWISE]))


def decision_tables(s: Settings, runs: pd.DataFrame, scenarios: pd.DataFrame) -> dict[str, Any]:
    """``pairwise`` and ``effort`` tables (None when no Latin hypercube design ran)."""
    out: dict[str, Any] = {"pairwise": None, "effort": None}
    if not {"explore", "effort", "mandate"} & set(s.designs):
        return out
    out["pairwise"] = pairwise_all(s, runs, scenarios)
    budget = next((d for d in s.space.space.free if d.name == "budget"), None)
    bands = budget_bands(budget.lo, budget.hi) if budget is not None and budget.lo else []
    table = effort_table(runs, scenarios, s.strategies, s.outcomes, s.c.reference, bands)
    out["effort"] = table.reindex(columns=list(SCHEMAS[EFFORT]))
    return out
