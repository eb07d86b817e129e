"""ASEAN outreach simulator: Japan's diplomacy for sanctions on Russia (model package).

Pure model code: plain values and dataclasses in, arrays out. No Hydra, files or plots.
"""

from sim.numerics import configure_jit_cache

configure_jit_cache()  # before any compiled function is defined

from sim.config import (  # noqa: E402
    DEFAULT_INSTRUMENTS,
    EFFORT,
    INSTITUTIONS,
    Calendar,
    Event,
    Instrument,
    SimulationConfig,
)
from sim.countries import ATTRIBUTES, CountryProfile, CountryTable  # noqa: E402
from sim.engine import run_ensemble, simulate  # noqa: E402
from sim.ladder import LEVEL_NAMES, Ladder  # noqa: E402
from sim.params import ModelParams  # noqa: E402
from sim.results import SUMMARY_COLUMNS, Trajectories, summarise  # noqa: E402
from sim.rng import replicate_seeds  # noqa: E402
from sim.strategies import STRATEGIES, Observation, register  # noqa: E402

__all__ = [
    "ATTRIBUTES",
    "CountryProfile",
    "CountryTable",
    "run_ensemble",
    "simulate",
    "LEVEL_NAMES",
    "Ladder",
    "DEFAULT_INSTRUMENTS",
    "EFFORT",
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
