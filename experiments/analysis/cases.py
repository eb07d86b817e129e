"""Scenario discovery on the explore design: PRIM boxes for the configured cases.

A case (``discovery.cases`` in ``conf/analyse.yaml``) flags points where an outcome, or its
difference against another strategy at the same point (common seeds), is at least or at
most a threshold. ``strategy: all`` pools every strategy (the strategy is then an input the
box may restrict), ``each`` finds one box per strategy, a name one box for it. The inputs
are the sampled dimensions, with ``accepted_set`` replaced by the parameter values of the
set (an index has no order PRIM could use).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.discovery import PrimResult, discover, prune
from experiments.analysis.space import ACCEPTED_SET, AnalysisSpace, entry_as
from experiments.workflow.errors import ConfigError
from experiments.workflow.schema import CaseConf, DiscoveryConf

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseResult:
    """One PRIM box: the case, for which strategy, and what PRIM found."""

    case: str
    label: str
    strategy: str  # a strategy name, or "all"
    rule: str  # e.g. "final_sanctioning - none >= 1"
    prim: PrimResult

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (NaN as null)."""
        p = self.prim
        limits = p.limits.assign(
            values=[None if v is None else [_plain(x) for x in v] for v in p.limits["values"]]
        )
        return _clean(
            {
                "case": self.case,
                "label": self.label,
                "strategy": self.strategy,
                "rule": self.rule,
                "n_points": p.n_points,
                "n_cases": p.n_cases,
                "share_cases": p.n_cases / p.n_points if p.n_points else None,
                "found": p.found,
                "reason": p.reason,
                "coverage": p.coverage,
                "density": p.density,
                "mass": p.mass,
                "box_index": p.box_index,
                "restricted": list(p.restricted),
                "limits": limits.to_dict(orient="records"),
                "trajectory": p.trajectory.to_dict(orient="records"),
            }
        )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _clean(value: Any) -> Any:
    """Plain Python values for JSON: NaN -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    value = _plain(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def check_cases(d: DiscoveryConf, strategies: Sequence[str], outcomes: Sequence[str]) -> None:
    """One-line error on a case naming an unknown strategy or outcome, or no threshold."""
    for name, raw in d.cases.items():
        key = f"discovery.cases.{name}"
        case = entry_as(CaseConf, key, raw)
        if case.outcome not in outcomes:
            raise ConfigError(f"{key}.outcome", f"unknown {case.outcome!r}", outcomes)
        allowed = ["all", "each", *strategies]
        if case.strategy not in allowed:
            raise ConfigError(f"{key}.strategy", f"unknown {case.strategy!r}", allowed)
        if case.versus is not None and case.versus not in strategies:
            raise ConfigError(f"{key}.versus", f"unknown {case.versus!r}", strategies)
        if (case.at_least is None) == (case.at_most is None):
            raise ConfigError(key, "give exactly one of at_least and at_most")
        bound = case.at_least if case.at_least is not None else case.at_most
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise ConfigError(key, f"the threshold must be a number, got {bound!r}")
    if not 0 < d.threshold <= 1:
        raise ConfigError("discovery.threshold", f"must be in (0, 1], got {d.threshold}")
    if d.prune_alpha is not None and not 0 < d.prune_alpha < 1:
        raise ConfigError(
            "discovery.prune_alpha", f"must be in (0, 1) or null, got {d.prune_alpha}"
        )


def prim_inputs(points: pd.DataFrame, space: AnalysisSpace) -> pd.DataFrame:
    """The inputs PRIM searches over: sampled dimensions (``accepted_set`` replaced by the
    set's parameter values), categorical ones as strings, integer ones as floats."""
    names = [d.name for d in space.space.free if d.name != ACCEPTED_SET]
    if any(d.name == ACCEPTED_SET for d in space.space.free):
        names += [f"model.{n}" for n in space.from_set if f"model.{n}" not in names]
    frame = points[names].reset_index(drop=True).copy()
    for column in frame.columns:
        if frame[column].dtype == bool or frame[column].dtype == object:
            frame[column] = frame[column].astype(str)
        elif frame[column].dtype.kind in "iu":  # PRIM peels integers to fractional limits
            frame[column] = frame[column].astype(float)
    return frame


def _flags(values: np.ndarray, case: CaseConf) -> np.ndarray:
    if case.at_least is not None:
        return values >= case.at_least
    return values <= case.at_most


def _rule(case: CaseConf) -> str:
    left = case.outcome if case.versus is None else f"{case.outcome} - {case.versus}"
    op, value = (">=", case.at_least) if case.at_least is not None else ("<=", case.at_most)
    return f"{left} {op} {value:g}"


def discover_cases(
    scenarios: pd.DataFrame, space: AnalysisSpace, d: DiscoveryConf, strategies: Sequence[str]
) -> list[CaseResult]:
    """A PRIM box per configured case (and per strategy for ``each``) on the explore design."""
    explore = scenarios[scenarios["design"] == "explore"].copy()
    explore["strategy"] = explore["strategy"].astype(str)
    results = []
    for name, raw in d.cases.items():
        case = entry_as(CaseConf, f"discovery.cases.{name}", raw)
        label = case.label or name
        if case.strategy == "all":
            rows = explore.sort_values(["point", "strategy"], kind="stable")
            values = rows[case.outcome].to_numpy(float)
            if case.versus is not None:
                ref = explore[explore["strategy"] == case.versus].set_index("point")
                values = values - ref[case.outcome].reindex(rows["point"]).to_numpy(float)
            inputs = prim_inputs(rows, space)
            inputs.insert(0, "strategy", rows["strategy"].to_numpy())
            targets = [("all", inputs, values)]
        else:
            chosen = [s for s in strategies if s != case.versus]
            chosen = chosen if case.strategy == "each" else [case.strategy]
            wide = explore.pivot(index="point", columns="strategy", values=case.outcome)
            base = explore[explore["strategy"] == strategies[0]].sort_values("point")
            inputs = prim_inputs(base, space)
            targets = []
            for strategy in chosen:
                values = wide[strategy].to_numpy(float)
                if case.versus is not None:
                    values = values - wide[case.versus].to_numpy(float)
                targets.append((strategy, inputs, values))
        for strategy, inputs, values in targets:
            flags = _flags(values, case)
            prim = discover(
                inputs, flags, threshold=d.threshold, peel_alpha=d.peel_alpha, mass_min=d.mass_min
            )
            if d.prune_alpha is not None:
                prim = prune(prim, inputs, flags, d.prune_alpha)
            results.append(CaseResult(name, label, strategy, _rule(case), prim))
            log.info(
                "case %s (%s): %d of %d points; box %s",
                name,
                strategy,
                prim.n_cases,
                prim.n_points,
                f"coverage {prim.coverage:.2f}, density {prim.density:.2f}"
                if prim.found
                else prim.reason,
            )
    return results
