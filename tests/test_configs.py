"""Every config and preset composes and converts; the conf files follow the code."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, is_dataclass, replace

import numpy as np
import pytest
import yaml
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from experiments.workflow.convert import sweep_points, to_simulation_configs
from experiments.workflow.generate import render_strategy
from experiments.workflow.paths import CONF_DIR, ROOT
from experiments.workflow.schema import PRIMARY_SCHEMAS, Institution
from sim import INSTITUTIONS, STRATEGIES, ModelParams, replicate_seeds, simulate
from sim.strategies import STRATEGY_OPTIONS

PRESETS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
REQUIRED_PRESETS = {
    "strategy_comparison",
    "budget_sweep",
    "un_mandate",
    "with_timor_leste",
    "no_outreach",
}


def test_required_presets_exist() -> None:
    assert REQUIRED_PRESETS <= set(PRESETS)


FAST_PRESETS = ("strategy_comparison", "budget_sweep")  # all of them: slow


@pytest.mark.parametrize(
    "preset",
    [pytest.param(p, marks=() if p in FAST_PRESETS else pytest.mark.slow) for p in PRESETS],
)
def test_every_preset_composes_and_converts(compose_cfg, default_cfg, preset: str) -> None:
    cfg = default_cfg if preset == "strategy_comparison" else compose_cfg(f"experiment={preset}")
    assert cfg.experiment == preset
    points = to_simulation_configs(cfg)
    assert points, preset
    for p in points:
        assert p.config.strategy in STRATEGIES
        assert type(p.config.params) is ModelParams  # plain values, no DictConfig


@pytest.fixture(scope="module")
def default_cfg():
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config")


def test_main_job_is_every_strategy(default_cfg) -> None:
    points = to_simulation_configs(default_cfg)
    assert [p.strategy for p in points if p.point == 0] == list(STRATEGIES)
    assert len(points) == len(STRATEGIES) * len({p.point for p in points})


def test_main_job_runs_at_japans_2022_effort_over_accepted_sets(default_cfg, compose_cfg) -> None:
    """The default budget is the calendar's dated effort rounded to 0.1 unit a week, and
    the main job pools evenly spaced accepted calibration sets (first and last included);
    a sweep's grid is left as given."""
    from experiments.workflow.store import load_accepted_sets

    points = to_simulation_configs(default_cfg)
    effort = points[0].config.calendar.dated_effort()
    assert 0 < effort < 1  # a few dated visits a year, not several a week
    assert default_cfg.budget == round(effort, 1)
    assert all(p.config.budget == default_cfg.budget for p in points)
    chosen = sorted({p.params["accepted_set"] for p in points})
    n_sets = len(load_accepted_sets())
    assert len(chosen) == min(default_cfg.accepted_sets, n_sets) > 1
    assert chosen[0] == 0 and chosen[-1] == n_sets - 1
    gaps = np.diff(chosen)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced
    single = to_simulation_configs(compose_cfg("accepted_sets=0"))
    assert {p.point for p in single} == {0} and "accepted_set" not in single[0].params
    swept = to_simulation_configs(compose_cfg("strategy=none", "+sweep.budget=[1,2]"))
    assert [p.params for p in swept] == [{"budget": 1}, {"budget": 2}]


REQUIRED_OVERRIDES = {"votes": ["date=2022-03-24", "kind=principle"]}


@pytest.mark.parametrize("name", sorted(PRIMARY_SCHEMAS))
def test_every_primary_config_composes_against_its_schema(name: str) -> None:
    from hydra import compose, initialize_config_dir

    required = REQUIRED_OVERRIDES.get(name, [])
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(name, overrides=required)
        assert isinstance(OmegaConf.to_object(cfg), PRIMARY_SCHEMAS[name])
        with pytest.raises(ConfigCompositionException, match="no_such_key"):
            compose(name, overrides=[*required, "no_such_key=1"])  # typed: unknown key


FAST_STRATEGIES = ("hub_first", "none")  # with and without options; all of them: slow


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=() if n in FAST_STRATEGIES else pytest.mark.slow)
        for n in sorted(STRATEGIES)
    ],
)
def test_every_strategy_file_composes(compose_cfg, name: str) -> None:
    cfg = compose_cfg(f"strategy={name}")
    assert list(cfg.strategies) == [name]
    assert OmegaConf.to_object(cfg).strategy_options[name] == STRATEGY_OPTIONS[name]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=() if n in FAST_STRATEGIES else pytest.mark.slow)
        for n in sorted(STRATEGIES)
    ],
)
def test_strategy_selection_narrows_the_run(compose_cfg, name: str) -> None:
    points = to_simulation_configs(
        compose_cfg(f"strategy={name}", "experiment=budget_sweep", "model.peer_weight=2.5")
    )
    assert {p.strategy for p in points} == {name}
    assert len(points) == 5  # the preset's budget sweep is kept
    assert asdict(points[0].config.strategy_options) == STRATEGY_OPTIONS[name]
    assert points[0].config.params.peer_weight == 2.5  # a model override reaches sim


def test_strategy_files_match_registry() -> None:
    files = {p.stem for p in (CONF_DIR / "strategy").glob("*.yaml")}
    assert files == set(STRATEGIES)
    for name in STRATEGIES:
        data = yaml.safe_load((CONF_DIR / "strategy" / f"{name}.yaml").read_text())
        assert data["strategies"] == [name]
        assert data["strategy_options"][name] == STRATEGY_OPTIONS[name]
        assert set(yaml.safe_load(render_strategy(name))["strategy_options"][name]) == set(
            STRATEGY_OPTIONS[name]
        )
        assert f"# Strategy '{name}': {STRATEGIES[name].doc}" in render_strategy(name)


def test_strategy_options_override(compose_cfg) -> None:
    one = to_simulation_configs(compose_cfg("strategy=hub_first", "strategy_options.hub_first.k=5"))
    assert one[0].config.strategy_options.k == 5
    many = to_simulation_configs(compose_cfg("+strategy_options.hub_first.k=2"))
    by_name = {p.strategy: asdict(p.config.strategy_options) for p in many}
    assert by_name["hub_first"]["k"] == 2 and by_name["receptive_first"]["k"] == 3


def test_calendar_events_follow_the_data_file(default_cfg) -> None:
    cfg = default_cfg
    data = yaml.safe_load((ROOT / "data" / "asean_2022.yaml").read_text())
    cal = to_simulation_configs(cfg)[0].config.calendar
    assert cal.start == dt.date(2022, 2, 24)
    assert cal.date(cal.n_steps) >= dt.date(2023, 3, 1)
    votes = {e.name: e.date for e in cal.events if e.kind == "un_vote"}
    for name, vote in data["unga"].items():
        assert votes[name] == vote["date"]
        assert cfg.calendar.un_votes[name] == vote["kind"]
    visits = {(e.country, e.date) for e in cal.events if e.kind == "japan_visit"}
    assert {(m["with"], m["date"]) for m in data["japan_outreach"]} == visits
    meetings = {e.date for e in cal.events if e.kind == "asean_meeting"}
    assert meetings == {s["date"] for s in data["asean_statements"]}
    assert [e.name for e in cal.events if e.kind == "institution"] == ["unga"]


def test_un_mandate_keeps_security_council_backing(compose_cfg) -> None:
    points = to_simulation_configs(compose_cfg("experiment=un_mandate", "strategy=historical"))
    assert {p.config.institution for p in points} == {"unsc"}
    # The dated UNGA event stays in the calendar but never lowers the mandate's backing:
    # without the event the runs are identical; without the mandate the event matters.
    mandate = points[0].config
    events = tuple(e for e in mandate.calendar.events if e.kind != "institution")
    assert len(events) == len(mandate.calendar.events) - 1
    no_event = replace(mandate, calendar=replace(mandate.calendar, events=events))
    seeds = replicate_seeds(1, 4)
    assert simulate(mandate, seeds).equals(simulate(no_event, seeds))
    unga, none = replace(mandate, institution="none"), replace(no_event, institution="none")
    assert not simulate(unga, seeds).equals(simulate(none, seeds))


def test_timor_leste_and_country_selection(compose_cfg) -> None:
    tl = to_simulation_configs(compose_cfg("experiment=with_timor_leste"))[0].config
    assert tl.countries.codes[-1] == "TL" and tl.countries.member.all()
    sub = to_simulation_configs(
        compose_cfg("countries=[SG,MY]", "k_adoptions=2", "strategy=historical")
    )[0]
    assert sub.config.countries.codes == ("SG", "MY")
    assert {e.country for e in sub.config.calendar.events if e.country} == {"SG"}


def test_countries_and_membership_are_data(caplog: pytest.LogCaptureFixture) -> None:
    """The scenario file says which countries are simulated by default and which are
    members; a country of the file left out is reported (log line and manifest list)."""
    from experiments.workflow.scenario import load_scenario_file, not_simulated, table_from_mapping

    data = load_scenario_file()
    default = table_from_mapping(data)
    assert list(default.codes) == data["simulated"]
    assert default.member.tolist() == [c in data["members"] for c in default.codes]
    with caplog.at_level(logging.INFO, logger="experiments.workflow.scenario"):
        left = not_simulated(data, default)
    assert left == [c for c in data["countries"] if c not in data["simulated"]]
    assert all(c in caplog.text for c in left)
    new = {**data["countries"], "XX": {**data["countries"]["SG"], "name": "Newland"}}
    more = {**data, "countries": new, "simulated": [*data["simulated"], "XX"]}
    table = table_from_mapping(more)
    assert table.codes[-1] == "XX" and not table.member[-1]  # not in `members`: an observer


def test_sweep_grid_is_cartesian(compose_cfg) -> None:
    cfg = compose_cfg(
        "strategy=uniform",
        "+sweep.budget=[1,2]",
        "+sweep.model.peer_weight=[0.5,1.0,2.0]",
        "+sweep.institution=[none,unsc]",
    )
    points = to_simulation_configs(cfg)
    assert len(points) == 12
    assert points[-1].params == {"budget": 2, "model.peer_weight": 2.0, "institution": "unsc"}
    assert points[-1].config.params.peer_weight == 2.0 and points[-1].config.budget == 2.0
    nested = sweep_points({"model": {"peer_weight": [1.0]}})
    assert sweep_points({"model.peer_weight": [1.0]}) == nested


@pytest.mark.parametrize("launcher", ["joblib_local", "slurm"])
def test_launcher_configs_compose(compose_cfg, launcher: str) -> None:
    cfg = compose_cfg(f"hydra/launcher={launcher}", hydra=True)
    assert "_target_" in cfg.hydra.launcher
    assert (
        cfg.hydra.callbacks.combine_sweep._target_ == "experiments.workflow.multirun.CombineSweep"
    )
    assert cfg.hydra.job_logging.loggers.MESA.level == "WARNING"


def test_institutions_in_schema_match_sim(compose_cfg) -> None:
    names = ",".join(INSTITUTIONS)
    points = to_simulation_configs(compose_cfg("strategy=none", f"+sweep.institution=[{names}]"))
    assert [p.config.institution for p in points] == list(INSTITUTIONS)
    assert {m.value for m in Institution} == set(INSTITUTIONS)


def test_converted_config_is_plain(default_cfg) -> None:
    for point in to_simulation_configs(default_cfg):
        assert not OmegaConf.is_config(point.config.strategy_options)
        assert is_dataclass(point.config.strategy_options)


def test_accepted_set_sweep_uses_the_calibrated_parameter_sets(compose_cfg) -> None:
    """Each `accepted_set` point runs with that accepted set's model parameters; explicit
    model sweeps still win; a bad index is a one-line error naming the key."""
    from experiments.workflow.store import load_accepted_sets

    sets = load_accepted_sets()
    points = to_simulation_configs(
        compose_cfg("strategy=none", "+sweep.accepted_set=[0,5]", "+sweep.model.peer_weight=[1.25]")
    )
    assert [p.params["accepted_set"] for p in points] == [0, 5]
    for p in points:
        chosen = sets[p.params["accepted_set"]]
        for key, value in chosen.items():
            if key.startswith("model.") and key != "model.peer_weight":
                assert getattr(p.config.params, key.removeprefix("model.")) == value, key
        assert p.config.params.peer_weight == 1.25
    with pytest.raises(ValueError, match=r"^sweep\.accepted_set: must be an integer in \[0, "):
        to_simulation_configs(compose_cfg("strategy=none", f"+sweep.accepted_set=[{len(sets)}]"))
