"""Calibrated parameters at an end of their documented range (validation report, "What the
2022 record identifies"): each gets a recorded reason why the range is right there, or, where
none is recorded, a computed probe of what the main outcomes depend on the bound.

The probe runs the main job's outcomes (members naming Russia, members at `sanction`, leakage,
per strategy) over accepted sets with the parameter past its bound (a factor of the bound):
it measures how conditional the answer is on the range. Every sentence is computed from the
numbers it reports.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from experiments.calibration.identification import Identification
from experiments.workflow import store
from sim.config import SimulationConfig
from sim.engine import run_ensemble
from sim.params import ModelParams

EDGE_SHARE = 0.05
"""A median within this share of the range from one of its ends is 'at an end'."""

EDGE_REASONS: dict[tuple[str, str], str] = {
    ("coalition_return", "high"): "a share: the threshold cannot fall by more than the whole "
    "coalition",
    ("hedge_point", "high"): "a hedger's anchor stays below 'condemn' (3) by definition: "
    "naming Russia is taking a side",
    ("joint_drafting", "high"): "at most 0.5 so that a joint text naming Russia implies a yes "
    "vote on a resolution of principle (sim.observe, the ordering of the cuts)",
    ("initial_spread", "high"): "a reading of a statement onto the ladder is off by less than "
    "a third of a rung",
    ("status_quo_weight", "low"): "the lower bound keeps inertia a force (weights are relative)",
    ("relationship_decay", "low"): "a rate of decay cannot be negative: below 0 the "
    "relationship stock would grow every week without any outreach; the fit says the stock "
    "of 2022 barely decayed within the year",
    ("legalism_barrier", "low"): "a barrier cannot be negative: below 0 UN legalism would "
    "lower a state's sanction threshold, against the recorded positions (MY, ID 'UN-only', SG "
    "'normally acts only on UNSC authority'); the fit says the barrier adds little beyond "
    "them",
}
"""Why a documented range is right at the end (``low``/``high``) the accepted sets press on.
An end with no reason here gets a computed probe past its bound in the report instead."""


@dataclass(frozen=True)
class Edge:
    """A calibrated parameter whose accepted sets' median lies at an end of its range."""

    row: Identification
    end: str  # "low" | "high"

    @property
    def bound(self) -> float:
        return self.row.low if self.end == "low" else self.row.high

    @property
    def reason(self) -> str | None:
        return EDGE_REASONS.get((self.row.name, self.end))


def edges(rows: Sequence[Identification]) -> list[Edge]:
    """The calibrated parameters whose median lies within ``EDGE_SHARE`` of an end."""
    out = []
    for r in rows:
        width = r.high - r.low
        if r.deep or r.status == "sourced" or width <= 0:
            continue
        if r.high - r.median <= EDGE_SHARE * width:
            out.append(Edge(r, "high"))
        elif r.median - r.low <= EDGE_SHARE * width:
            out.append(Edge(r, "low"))
    return out


def past_bound(params: ModelParams, **values: float) -> ModelParams:
    """``params`` with ``values`` set although outside their documented ranges: a probe of
    what the answer depends on a bound, never a configuration a user can run."""
    probe = copy.copy(params)
    for name, value in values.items():
        if not hasattr(params, name):
            raise ValueError(f"model.{name}: unknown model parameter")
        object.__setattr__(probe, name, float(value))
    return probe


OUTCOMES: dict[str, str] = {
    "final_condemn_or_higher": "members naming Russia",
    "final_sanctioning": "members at `sanction`",
    "final_leakage": "leakage (USD bn/yr)",
}
"""The main job's outcomes the probe reports (``sim.results`` summary columns)."""


def probe_table(
    config: SimulationConfig,
    sets: Sequence[Mapping[str, float]],
    strategies: Sequence[str],
    seeds: np.ndarray,
    name: str,
    value: float,
) -> pd.DataFrame:
    """Per strategy and outcome: the mean over ``sets`` x ``seeds`` at each set's own values
    and with ``name`` = ``value`` (past its bound), on common seeds."""
    rows = []
    for strategy in strategies:
        cfg = config.with_strategy(strategy)
        means: dict[str, list[np.ndarray]] = {"installed": [], "probe": []}
        for point in sets or [{}]:
            params, _ = store.split_point(point, cfg.params, store.load_vote_rule())
            for label, p in (("installed", params), ("probe", past_bound(params, **{name: value}))):
                _, summary = run_ensemble(replace(cfg, params=p), seeds, keep_trajectories=False)
                means[label].append(np.array([summary[k].mean() for k in OUTCOMES]))
        base, probe = (np.mean(means[k], axis=0) for k in ("installed", "probe"))
        for k, (b, q) in enumerate(zip(base, probe, strict=True)):
            rows.append({"strategy": strategy, "outcome": list(OUTCOMES)[k], "sets": b, "probe": q})
    return pd.DataFrame(rows)


def probe_markdown(edge: Edge, value: float, table: pd.DataFrame, where: str) -> str:
    """The probe's table and a sentence on how much the answer changes."""
    name = edge.row.name
    lines = [
        f"\n`{name}` = {value:g} ({value / edge.bound:g} x its upper bound {edge.bound:g}), "
        f"{where}:\n",
        "| strategy | " + " | ".join(f"{v}: sets / probe" for v in OUTCOMES.values()) + " |",
        "|---" * (len(OUTCOMES) + 1) + "|",
    ]
    for strategy, sub in table.groupby("strategy", sort=False):
        cells = " | ".join(
            f"{r.sets:.2f} / {r.probe:.2f}" for r in sub.itertuples() if r.outcome in OUTCOMES
        )
        lines.append(f"| `{strategy}` | {cells} |")
    named = table[table["outcome"] == "final_condemn_or_higher"]
    diff = (named["probe"] - named["sets"]).to_numpy()
    k = int(np.abs(diff).argmax())
    order_sets = list(named.sort_values("sets", ascending=False)["strategy"])
    order_probe = list(named.sort_values("probe", ascending=False)["strategy"])
    ranking = (
        "the order of the strategies by members naming Russia is the same"
        if order_sets == order_probe
        else f"the order of the strategies by members naming Russia changes "
        f"({', '.join(order_sets)} -> {', '.join(order_probe)})"
    )
    still = [s for s, d in zip(named["strategy"], diff, strict=True) if abs(d) < 0.005]
    unchanged = (
        f" Unchanged (within 0.005 members) under {', '.join(f'`{s}`' for s in still)}"
        + (
            ", including `historical`, the strategy the 2022 patterns are scored on: these "
            "outcomes of the 2022 run do not explain why the fit presses on the bound."
            if "historical" in still
            else "."
        )
        if still
        else ""
    )
    lines.append(
        f"\nPast its bound, members naming Russia change by {diff.min():+.2f} to "
        f"{diff.max():+.2f} across these strategies (largest for `{named.iloc[k]['strategy']}`: "
        f"{named.iloc[k]['sets']:.2f} -> {named.iloc[k]['probe']:.2f}), and {ranking}: the "
        f"results are conditional on the bound {edge.bound:g} by about that much." + unchanged
    )
    return "\n".join(lines) + "\n"


def edge_text(found: Sequence[Edge], probes: Mapping[str, str]) -> str:
    """Every parameter at an end, with its recorded reason or its computed probe; a parameter
    with neither is named as such (a defect of the data, not hidden)."""
    if not found:
        return "\nNo calibrated parameter's median lies within 5% of an end of its range.\n"
    parts = []
    for e in found:
        r = e.row
        head = f"`{r.name}` (median {r.median:.3g} of [{r.low:g}, {r.high:g}], {e.end} end"
        if e.reason:
            parts.append(f"{head}: {e.reason})")
        elif r.name in probes:
            parts.append(f"{head}: no structural reason; what the answer depends on it is "
                         "measured below)")  # fmt: skip
        else:
            parts.append(f"{head}: NO REASON RECORDED and no probe run)")
    text = "\nAt an end of the range (median within 5% of it): " + "; ".join(parts) + ".\n"
    probed = [probes[e.row.name] for e in found if not e.reason and e.row.name in probes]
    return text + "".join(probed)
