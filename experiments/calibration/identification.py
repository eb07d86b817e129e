"""What the 2022 record identifies: posterior spread of each parameter against its prior,
and how often each pattern passes at random points of the prior.

A parameter whose accepted sets still cover most of its documented range is not pinned
down by 2022: it is a deep uncertainty, to be kept in play over its whole range by
sweeps and by the analysis (``experiments.analysis``), not read as a calibrated value. A
pattern that passes at almost every random point of the prior tells nothing about the
parameters (MODEL_NOTES, "When the record cannot decide").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.workflow.paths import CALIBRATION_DIR
from sim.params import ModelParams

IDENTIFIED_BELOW = 0.5
"""A 90% interval of the accepted sets narrower than this share of the prior range:
identified by the 2022 record."""
NOT_IDENTIFIED_FROM = 0.8
"""From this share on the record does not identify the parameter (deep uncertainty);
between the two, weakly identified."""
NEVER_CALIBRATED: tuple[str, ...] = ("mandate_compliance",)
"""Counterfactual parameters no 2022 pattern can inform (no UNSC mandate existed)."""
SOURCED: tuple[str, ...] = ("coalition_base",)
"""Parameters set from a source rather than calibrated (kept at their stored value)."""


@dataclass(frozen=True)
class Identification:
    """One model parameter: its prior range and what the accepted sets say of it."""

    name: str
    low: float
    high: float
    median: float
    q05: float
    q95: float
    share: float  # width of the 90% interval of the accepted sets / prior width
    status: str  # identified | weakly identified | not identified | not calibrated | sourced

    @property
    def deep(self) -> bool:
        """True where the whole documented range stays in play (a deep uncertainty)."""
        return self.status in ("not identified", "not calibrated")


def status_of(share: float) -> str:
    if share < IDENTIFIED_BELOW:
        return "identified"
    if share < NOT_IDENTIFIED_FROM:
        return "weakly identified"
    return "not identified"


def identification(accepted: pd.DataFrame) -> list[Identification]:
    """Every model parameter, from the accepted sets' ``model.<name>`` columns (those not
    searched are 'not calibrated' and keep their whole range)."""
    out = []
    for f in fields(ModelParams):
        lo, hi = (float(x) for x in f.metadata["range"])
        col = f"model.{f.name}"
        if f.name in SOURCED:
            value = float(f.default)
            out.append(Identification(f.name, lo, hi, value, value, value, 0.0, "sourced"))
            continue
        if col not in accepted or not len(accepted) or f.name in NEVER_CALIBRATED:
            out.append(Identification(f.name, lo, hi, np.nan, lo, hi, 1.0, "not calibrated"))
            continue
        q05, q50, q95 = (float(q) for q in np.quantile(accepted[col], [0.05, 0.5, 0.95]))
        share = (q95 - q05) / (hi - lo) if hi > lo else 0.0
        out.append(Identification(f.name, lo, hi, q50, q05, q95, share, status_of(share)))
    return out


def load_identification(folder: Path = CALIBRATION_DIR) -> list[Identification]:
    """:func:`identification` of the published calibration (``accepted.parquet``)."""
    path = Path(folder) / "accepted.parquet"
    table = pd.read_parquet(path) if path.exists() else pd.DataFrame()
    return identification(table)


def prior_pass_rates(evaluated: pd.DataFrame) -> pd.Series:
    """Share of the history-matching wave (a Latin hypercube over the prior ranges, before
    any search) passing each pattern, indexed by pattern name."""
    wave = evaluated[evaluated["stage"] == "history_matching"]
    cols = [c for c in wave.columns if c.startswith("pass.")]
    rates = wave[cols].mean()
    rates.index = [c.removeprefix("pass.") for c in cols]
    rates.attrs["n_points"] = len(wave)
    return rates


def load_prior_pass_rates(folder: Path = CALIBRATION_DIR) -> pd.Series:
    """:func:`prior_pass_rates` of the published calibration (empty without one)."""
    path = Path(folder) / "evaluated.parquet"
    if not path.exists():
        return pd.Series(dtype=float)
    return prior_pass_rates(pd.read_parquet(path))


def identification_markdown(rows: list[Identification]) -> str:
    """The identification table, parameters ordered from best to least identified."""
    order = {
        "sourced": 0,
        "identified": 1,
        "weakly identified": 2,
        "not identified": 3,
        "not calibrated": 4,
    }
    lines = [
        "| parameter | prior range | accepted sets: median [5%, 95%] | share of range | status |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (order[r.status], r.share, r.name)):
        spread = "-" if np.isnan(r.median) else f"{r.median:.3g} [{r.q05:.3g}, {r.q95:.3g}]"
        lines.append(
            f"| `{r.name}` | [{r.low:g}, {r.high:g}] | {spread} | {r.share:.2f} | {r.status} |"
        )
    return "\n".join(lines) + "\n"
