"""ASEAN outreach simulator: Japan's diplomacy for sanctions on Russia (model package).

Pure model code: plain values and dataclasses in, arrays out. No Hydra, files or plots.
"""

from sim.countries import ATTRIBUTES, CountryProfile, CountryTable
from sim.engine import run_ensemble, simulate
from sim.ladder import LEVEL_NAMES, Ladder
from sim.params import (
    DEFAULT_INSTRUMENTS,
    INSTITUTIONS,
    Calendar,
    Event,
    Instrument,
    ModelParams,
    SimulationConfig,
)
from sim.results import SUMMARY_COLUMNS, Trajectories, summarise
from sim.rng import replicate_seeds
from sim.strategies import STRATEGIES, Observation, register

__all__ = [
    "ATTRIBUTES",
    "CountryProfile",
    "CountryTable",
    "run_ensemble",
    "simulate",
    "LEVEL_NAMES",
    "Ladder",
    "DEFAULT_INSTRUMENTS",
    "INSTITUTIONS",
    "Calendar",
    "Event",
    "Instrument",
    "ModelParams",
    "SimulationConfig",
    "SUMMARY_COLUMNS",
    "Trajectories",
    "summarise",
    "replicate_seeds",
    "STRATEGIES",
    "Observation",
    "register",
]
