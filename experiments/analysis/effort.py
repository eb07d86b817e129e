"""Effort and cost: Japan's 2022 effort read off the calendar, and what each strategy buys
per budget band and at fixed multiples of that effort.

:func:`historical_effort` sums the budget units of the calendar's dated ``japan_visit``
events inside the horizon, spread over its weeks, plus the steady background spending of
the strategy replaying them (``historical``'s ``background_g7``). :func:`effort_table`
summarises, per budget band of the explore design (doublings) and per budget of the
``effort`` design, each strategy's outcomes, its gain over the reference per 100 budget
units spent and the share of worlds where it meets each target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.pairwise import seed_cube, world_signs
from experiments.analysis.robustness import Outcome
from sim import SimulationConfig

SPENT = "budget_spent"


@dataclass(frozen=True)
class Effort:
    """Japan's 2022 outreach effort, budget units a week."""

    per_week: float
    dated_total: float  # budget units of the dated visits inside the horizon
    n_dated: int  # dated visits inside the horizon
    n_steps: int  # weeks of the horizon
    background: float  # steady spending a week besides the dated visits
    strategy: str  # the strategy replaying it

    def words(self) -> str:
        return (
            f"{self.per_week:.2f} budget units a week: {self.n_dated} dated visits worth "
            f"{self.dated_total:g} units over {self.n_steps} weeks "
            f"({self.dated_total / self.n_steps:.2f} a week), "
            + (
                f"plus {self.background:g} a week of G7 coordination"
                if self.background
                else "no steady G7 coordination spending"
            )
            + f" (`{self.strategy}`'s `background_g7`)"
        )


def historical_effort(
    config: SimulationConfig, strategy: str, options: Mapping[str, Any]
) -> Effort:
    """Japan's effort as the calendar records it (see the module docstring)."""
    cal = config.calendar
    dated = [
        e for e in cal.events if e.kind == "japan_visit" and 0 <= cal.step_of(e.date) < cal.n_steps
    ]
    total = float(sum(e.amount for e in dated))
    background = float(options.get("background_g7", 0.0))
    per_week = total / cal.n_steps + background
    return Effort(per_week, total, len(dated), cal.n_steps, background, strategy)


def budget_bands(lo: float, hi: float) -> list[tuple[float, float]]:
    """Doublings from ``lo`` up to ``hi`` (the last band ends at ``hi``)."""
    edges = [lo]
    while edges[-1] * 2 < hi * (1 - 1e-9):
        edges.append(edges[-1] * 2)
    edges.append(hi)
    return list(zip(edges[:-1], edges[1:], strict=True))


def _summary(
    runs: pd.DataFrame, strategies: Sequence[str], outcomes: Sequence[Outcome], reference: str
) -> list[dict[str, Any]]:
    """Per strategy and outcome over the worlds of ``runs``."""
    spent = seed_cube(runs, strategies, SPENT).mean(axis=2)
    ref = list(strategies).index(reference)
    rows = []
    for o in outcomes:
        cube = seed_cube(runs, strategies, o.name)
        means = cube.mean(axis=2)  # worlds x strategies
        best = means.max(axis=1) if o.direction == "higher" else means.min(axis=1)
        for j, strategy in enumerate(strategies):
            _, sign = world_signs((cube[:, j, :] - cube[:, ref, :]) * o.sign)
            gain = float((means[:, j] - means[:, ref]).mean())
            used = float(spent[:, j].mean())
            meets = (
                np.nan
                if o.target is None
                else float(((means[:, j] - o.target) * o.sign >= 0).mean())
            )
            rows.append({
                "strategy": strategy, "outcome": o.name, "n_worlds": len(means),
                "mean": float(means[:, j].mean()), "gain": gain, "spent": used,
                "gain_per_100": 100 * gain / used if used > 0 else np.nan,
                "share_better": float((sign > 0).mean()),
                "share_best": float(np.isclose(means[:, j], best).mean()),
                "target": np.nan if o.target is None else o.target,
                "share_meeting": meets,
            })  # fmt: skip
    return rows


def effort_table(
    runs: pd.DataFrame,
    scenarios: pd.DataFrame,
    strategies: Sequence[str],
    outcomes: Sequence[Outcome],
    reference: str,
    bands: Sequence[tuple[float, float]],
) -> pd.DataFrame:
    """Rows of ``effort.csv``: the explore design by budget band, the effort design by
    budget (``tables.SCHEMAS['effort.csv']``)."""
    parts = []
    for design in ("explore", "effort"):
        rows = runs[runs["design"] == design]
        if rows.empty:
            continue
        budget = (
            scenarios[scenarios["design"] == design]
            .drop_duplicates("point")
            .set_index("point")["budget"]
        )
        point_budget = budget.reindex(rows["point"]).to_numpy(float)
        groups = (
            [(lo, hi, (point_budget >= lo) & (point_budget <= hi)) for lo, hi in bands]
            if design == "explore"
            else [(b, b, point_budget == b) for b in sorted(budget.unique())]
        )
        for lo, hi, mask in groups:
            if not mask.any():
                continue
            for row in _summary(rows[mask], strategies, outcomes, reference):
                parts.append({"design": design, "budget_low": lo, "budget_high": hi, **row})
    return pd.DataFrame(parts)


def cheapest(effort: pd.DataFrame, outcome: Outcome, reference: str, reach: float):
    """The lowest explore band where some strategy meets ``outcome``'s target in at least
    ``reach`` of the worlds: ``(band row of the best such strategy, reference's share there)``,
    or None when no band reaches it."""
    rows = effort[(effort["design"] == "explore") & (effort["outcome"] == outcome.name)]
    for _band, band in rows.groupby(["budget_low", "budget_high"], sort=True):
        ok = band[band["share_meeting"] >= reach]
        if len(ok):
            pick = ok.sort_values(["share_meeting", "gain"], ascending=False, kind="stable").iloc[0]
            ref = band.loc[band["strategy"] == reference, "share_meeting"]
            return pick, float(ref.iloc[0]) if len(ref) else np.nan
    return None
