"""What a view is set to, written as the overrides of ``python -m experiments.run``.

A :class:`Settings` value is turned into Hydra override strings (:meth:`Settings.overrides`);
the view composes its config from exactly those strings (:func:`compose`), so the "copy
as command" line (:meth:`Settings.command`) reproduces what the view shows, and bad input
is reported by the same conversion (``experiments.workflow.convert``) as on the command
line. Model parameters start from the calibrated store; only changed ones are written.
"""

from __future__ import annotations

import copy
import functools
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from experiments.workflow.cli import HYDRA_LOCK
from experiments.workflow.paths import CONF_DIR, ROOT
from experiments.workflow.scenario import optional_countries, with_countries
from experiments.workflow.store import load_model_params
from sim import INSTITUTIONS, ModelParams
from sim.strategies import STRATEGIES

MAIN_PARAMS = (
    "outreach_weight",
    "outreach_saturation",
    "relationship_decay",
    "peer_weight",
    "bandwagon_weight",
    "asean_weight",
    "reactance_weight",
    "reactance_tolerance",
    "russia_counter",
    "china_pull",
    "west_weight",
    "norm_strength",
    "mandate_compliance",
    "shock_sd",
)
"""The model parameters the views show first (the rest are behind "more parameters")."""

MAX_SEEDS = 5000
"""The most replicates a view runs (larger ensembles: ``python -m experiments.run``)."""

INSTITUTION_HELP = {
    "none": "no backing from the start (UNGA backing arrives with ES-11/1 on 2022-03-02)",
    "g7": "G7 coordination from the start",
    "unga": "UN General Assembly backing from the start",
    "unsc": "a UN Security Council mandate all year (counterfactual)",
}


def python_path() -> str:
    """This interpreter, relative to the project root when inside it (``.venv/bin/python``):
    bare ``python`` would miss the project's packages outside the virtual environment."""
    exe = Path(sys.executable)
    try:
        return shlex.quote(str(exe.relative_to(ROOT)))
    except ValueError:
        return shlex.quote(str(exe))


@dataclass(frozen=True)
class ParamInfo:
    """A model parameter's metadata (``sim.params.ModelParams``) and its calibrated value."""

    name: str
    low: float
    high: float
    meaning: str
    source: str
    mechanism: str
    calibrated: float

    @property
    def step(self) -> float:
        """A slider step: a hundredth of the range."""
        return (self.high - self.low) / 100

    def help(self) -> str:
        """One line: meaning; range; source."""
        return f"{self.meaning}; range [{self.low:g}, {self.high:g}]; source: {self.source}"


@functools.cache
def param_info() -> dict[str, ParamInfo]:
    """Every model parameter's metadata, with its value in the calibrated store."""
    store = load_model_params()
    out = {}
    for f in fields(ModelParams):
        lo, hi = f.metadata["range"]
        out[f.name] = ParamInfo(
            f.name,
            float(lo),
            float(hi),
            f.metadata["doc"],
            f.metadata["source"],
            f.metadata["mechanism"],
            float(getattr(store, f.name)),
        )
    return out


def _number(value: float) -> str:
    """A float as Hydra reads it back exactly (shortest round-trip form)."""
    return repr(float(value))


@dataclass(frozen=True)
class Settings:
    """A view's settings: strategies compared, scenario, changed model parameters, seeds.
    ``extra_countries``: optional countries of the scenario (:func:`optional`) simulated
    besides its default set."""

    strategies: tuple[str, ...]
    budget: float
    institution: str
    extra_countries: tuple[str, ...]
    n_seeds: int
    seed: int
    model: tuple[tuple[str, float], ...] = field(default=())  # changed parameters only
    accepted_sets: int = 0  # accepted calibration sets run (0: the calibrated point)

    def sets_run(self) -> int:
        """Accepted sets the view runs: none once a model parameter is changed (a set
        supplies every parameter it holds, which would overwrite the change); the changed
        values then apply to the calibrated point."""
        return 0 if self.model else int(self.accepted_sets)

    def param(self, name: str) -> float:
        """The value of model parameter ``name`` in this view (the store's unless changed)."""
        return dict(self.model).get(name, param_info()[name].calibrated)

    def with_param(self, name: str, value: float) -> Settings:
        """These settings with parameter ``name`` at ``value`` (dropped when calibrated)."""
        changed = {k: v for k, v in self.model if k != name}
        if float(value) != param_info()[name].calibrated:
            changed[name] = float(value)
        return replace(self, model=tuple(sorted(changed.items())))

    def overrides(self) -> list[str]:
        """The command-line overrides of ``python -m experiments.run`` for these settings."""
        out = [
            f"strategies=[{','.join(self.strategies)}]",
            f"budget={_number(self.budget)}",
            f"institution={self.institution}",
            f"scenario.simulated=[{','.join(simulated(self.extra_countries))}]",
            f"n_seeds={int(self.n_seeds)}",
            f"seed={int(self.seed)}",
            f"accepted_sets={self.sets_run()}",
        ]
        return out + [f"model.{name}={_number(value)}" for name, value in self.model]

    def command(self) -> str:
        """The shell command that runs these settings (and writes tables and figures), from
        the project root, with the Python that serves the dashboard (its virtual env)."""
        return " ".join(
            [python_path(), "-m", "experiments.run", *(shlex.quote(o) for o in self.overrides())]
        )

    def yaml(self, name: str = "dashboard_view") -> str:
        """The settings as an experiment preset (``conf/experiment/<name>.yaml``)."""
        preset: dict[str, Any] = {
            "experiment": name,
            "strategies": list(self.strategies),
            "budget": float(self.budget),
            "institution": self.institution,
            "n_seeds": int(self.n_seeds),
            "seed": int(self.seed),
            "accepted_sets": self.sets_run(),
            "scenario": {"simulated": simulated(self.extra_countries)},
        }
        if self.model:
            preset["model"] = dict(self.model)
        header = (
            "# @package _global_\n"
            f"# save as conf/experiment/{name}.yaml, then run:\n"
            f"#   python -m experiments.run experiment={name}\n"
        )
        return header + OmegaConf.to_yaml(OmegaConf.create(preset), sort_keys=False)


_LOCK = HYDRA_LOCK  # Hydra's global state is not thread-safe: one lock with precheck


@functools.cache
def _compose_base() -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose("config")


def _base_config() -> DictConfig:
    """The main config as composed without overrides (composed once per process)."""
    with _LOCK:
        return _compose_base()


def compose(overrides: Sequence[str]) -> DictConfig:
    """The main config with ``overrides`` applied as Hydra applies plain value overrides
    (read-only: the last configs composed are cached and shared).

    Raises OmegaConf's errors for unknown keys and wrong types (report them with
    ``experiments.workflow.errors.one_line``)."""
    return _composed(tuple(overrides))


@functools.lru_cache(maxsize=32)
def _composed(overrides: tuple[str, ...]) -> DictConfig:
    cfg = copy.deepcopy(_base_config())
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        OmegaConf.update(cfg, override.key_or_group, override.value(), merge=True)
    OmegaConf.set_readonly(cfg, True)  # shared by the sessions that compose it
    return cfg


def default_settings() -> Settings:
    """Every strategy, with the main config's budget, institution and seeds."""
    base = _base_config()
    return Settings(
        strategies=tuple(STRATEGIES),
        budget=float(base.budget),
        institution=base.institution.name,  # an Institution enum member
        extra_countries=(),
        n_seeds=int(base.n_seeds),
        seed=int(base.seed),
        accepted_sets=int(base.accepted_sets),
    )


def scenario_data() -> dict[str, Any]:
    """The main config's scenario as plain data (countries, ``simulated``, ``members``)."""
    return OmegaConf.to_container(_base_config().scenario)  # type: ignore[return-value]


def optional() -> list[str]:
    """The scenario's optional countries: in its file, outside its default set."""
    return optional_countries(scenario_data())


def simulated(extra: Sequence[str]) -> list[str]:
    """The countries simulated: the scenario's default set and the optional ``extra``."""
    return with_countries(scenario_data(), extra)


def map_positions() -> dict[str, tuple[float, float]]:
    """Where the network figure draws each country of the scenario (its ``map`` entry:
    longitude, latitude); a country without one is left out."""
    countries = scenario_data()["countries"]
    return {c: (float(e["map"][0]), float(e["map"][1]))
            for c, e in countries.items() if e.get("map")}  # fmt: skip


INSTITUTION_NAMES = tuple(INSTITUTIONS)
"""Backing from the start, in the order the select lists them."""
