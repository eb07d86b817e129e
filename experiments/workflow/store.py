"""Calibrated values: the accepted parameter sets of the calibration.

:func:`load_accepted_sets` reads ``data/calibration/accepted.parquet``; :func:`split_point`
applies one set to a model and a vote rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path

from experiments.workflow import paths
from experiments.workflow.errors import ConfigError, sim_errors
from sim import ModelParams
from sim.votes import VoteRule


def load_accepted_sets(folder: Path | None = None) -> list[dict[str, float]]:
    """The calibration's accepted parameter sets as override dicts (``model.x`` and
    ``votes.x`` keys), in the row order of ``accepted.parquet``.

    Turn one into ``(ModelParams, VoteRule)`` with :func:`split_point`; to propagate
    parameter uncertainty, cycle over the list with common seeds across the sets.
    """
    import pyarrow.parquet as pq  # imported lazily: only sweeps over accepted sets need it

    path = Path(folder or paths.CALIBRATION_DIR) / "accepted.parquet"
    if not path.exists():
        raise ConfigError("calibration", f"{path} not found; run python -m experiments.calibrate")
    table = pq.read_table(path)
    keys = [c for c in table.column_names if c.startswith(("model.", "votes."))]
    return [{k: float(row[k]) for k in keys} for row in table.select(keys).to_pylist()]


def split_point(
    point: Mapping[str, float], params: ModelParams, rule: VoteRule
) -> tuple[ModelParams, VoteRule]:
    """``params`` and ``rule`` with the values of a point (keys ``model.x`` / ``votes.x``)
    replaced. The no cuts are kept at or below the yes cuts (a sampler may draw them
    independently)."""
    model = {k[6:]: float(v) for k, v in point.items() if k.startswith("model.")}
    votes = {k[6:]: float(v) for k, v in point.items() if k.startswith("votes.")}
    merged = {**{f.name: getattr(rule, f.name) for f in fields(VoteRule)}, **votes}
    merged["principle_no"] = min(merged["principle_no"], merged["principle_yes"])
    merged["punitive_no"] = min(merged["punitive_no"], merged["punitive_yes"])
    with sim_errors():
        return replace(params, **model), VoteRule(**merged)
