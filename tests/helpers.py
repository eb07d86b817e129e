"""Shared test values: the scenario tables and the calibrated model parameters."""

from __future__ import annotations

from experiments.scenario import default_table
from sim.params import ModelParams

ASEAN = default_table()
ASEAN_TL = default_table(include_timor_leste=True)


def default_params() -> ModelParams:
    """The calibrated model parameters (the project's store of calibrated values)."""
    return ModelParams()
