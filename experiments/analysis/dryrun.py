"""``--dry-run``: the number of runs, a timed estimate and the disk footprint, before any
run. The simulation estimate comes from a short pilot on the plan's own points; the
analysis estimate from one timed Sobol'/Morris analysis and one timed PRIM box on
synthetic outcomes of the real sizes; the footprint from the pilot's compressed rows.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from experiments.analysis.runner import bytes_per_row, pilot
from experiments.analysis.settings import Settings, design_info
from experiments.analysis.tables import censor, scenarios_table
from experiments.workflow.schema import CaseConf

log = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def _sensitivity_seconds(s: Settings) -> tuple[float, int]:
    """Seconds for the Morris and Sobol' analyses: one of each timed x their count."""
    from experiments.analysis.sensitivity import morris_screening, sobol_indices

    c = s.c
    n_strategies = len(s.strategies)
    per_method = len(c.sensitivity.outcomes) * (
        n_strategies + (n_strategies - 1 if c.sensitivity.paired else 0)
    )
    rng = np.random.default_rng(0)
    total, count = 0.0, 0
    for name, design in s.designs.items():
        if name not in ("morris", "sobol"):
            continue
        values = rng.normal(size=design.n_rows)
        t0 = time.perf_counter()
        if name == "morris":
            morris_screening(design.unit, values, design.names, design.num_levels or 4,
                             num_resamples=c.sensitivity.n_boot)  # fmt: skip
        else:
            sobol_indices(values, design.names, bool(design.calc_second_order),
                          num_resamples=c.sensitivity.n_boot)  # fmt: skip
        total += (time.perf_counter() - t0) * per_method
        count += per_method
    return total, count


def _prim_seconds(s: Settings) -> tuple[float, int]:
    """Seconds for the PRIM boxes: one box timed on a planted case of the explore size,
    scaled by the rows of every box (a pooled case has a row per point and strategy)."""
    from experiments.analysis.discovery import discover, prune

    explore = s.designs.get("explore")
    if explore is None or not s.c.discovery.cases:
        return 0.0, 0
    rows, boxes = 0, 0
    for raw in s.c.discovery.cases.values():
        case = CaseConf(**raw)
        if case.strategy == "all":
            rows, boxes = rows + explore.n_rows * len(s.strategies), boxes + 1
        elif case.strategy == "each":
            n = len(s.strategies) - (case.versus is not None)
            rows, boxes = rows + explore.n_rows * n, boxes + n
        else:
            rows, boxes = rows + explore.n_rows, boxes + 1
    width = len(explore.names) + len(s.space.from_set)
    rng = np.random.default_rng(0)
    inputs = pd.DataFrame(rng.uniform(size=(explore.n_rows, width)))
    inputs.columns = [f"x{i}" for i in range(width)]
    flags = (inputs["x0"] > 0.7).to_numpy() & (rng.uniform(size=explore.n_rows) < 0.9)
    discover(inputs, flags)  # imports the workbench (seconds, once per process)
    t0 = time.perf_counter()
    prune(discover(inputs, flags), inputs, flags)
    per_row = (time.perf_counter() - t0) / explore.n_rows
    return per_row * rows, boxes


def dry_run_text(s: Settings) -> str:
    """What the analysis will run, how long it should take and what it will write."""
    c, plan = s.c, s.plan
    info = design_info(s)
    d = len(s.space.space.free)
    lines = [
        f"analysis {c.experiment!r}, uncertainty space {c.uncertainty.name!r}: {d} sampled "
        f"dimensions, {len(s.strategies)} strategies, {len(plan.seeds)} seeds per point",
    ]
    for name, item in info.items():
        lines.append(f"  {name:8s} {item['rows']:>7,} points  ({item['description']})")
    lines.append(
        f"  total    {plan.n_points:>7,} points x {len(s.strategies)} strategies x "
        f"{len(plan.seeds)} seeds = {plan.n_runs:,} runs"
    )
    p = pilot(plan, s.configs, c.pilot_points, c.k_adoptions, c.workers)
    simulate = plan.n_runs / p.runs_per_second
    lines.append(
        f"pilot: {p.n_runs:,} runs in {p.seconds:.2f} s = {p.runs_per_second:,.0f} runs/s "
        f"({c.workers} worker{'s' * (c.workers > 1)}; after an untimed warm-up point of "
        f"{p.warmup_seconds:.1f} s that loads or compiles the kernel)"
    )
    sens_s, n_sens = _sensitivity_seconds(s)
    prim_s, n_prim = _prim_seconds(s)
    lines.append(
        f"estimated time: {_duration(simulate + sens_s + prim_s)} = simulation "
        f"{_duration(simulate)} + sensitivity {_duration(sens_s)} ({n_sens} analyses) + "
        f"PRIM {_duration(prim_s)} ({n_prim} boxes); figures and tables add seconds"
    )
    runs_mb = plan.n_runs * p.bytes_per_run / 1e6
    sample = censor(p.table.to_pandas(), c.calendar.n_steps)
    table = pa.Table.from_pandas(scenarios_table(sample, s.designs, s.space, s.outcomes))
    scen_mb = plan.n_points * len(s.strategies) * bytes_per_row(table) / 1e6
    lines.append(
        f"disk: at most {runs_mb:.1f} MB for runs.parquet (and as much for its ledger's parts "
        f"while it runs) and {scen_mb:.1f} MB for scenarios.parquet, at the pilot's compressed "
        "bytes per row (a full table compresses better), plus a few MB of tables and figures"
    )
    return "\n".join(lines) + "\n"
