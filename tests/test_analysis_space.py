"""The uncertainty space of the analysis and the simulation config of each point."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from experiments.analysis.command import SEARCH_PATH
from experiments.analysis.report import glossary
from experiments.analysis.space import ACCEPTED_SET, OPTIONAL, PointConfigs, build_space
from experiments.calibration.identification import load_identification
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CONF_DIR
from experiments.workflow.scenario import optional_countries
from experiments.workflow.store import load_accepted_sets, load_model_params


def _conf(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("analyse", overrides=["strategies=[none,uniform]", *overrides, SEARCH_PATH])
    return OmegaConf.to_object(cfg)


@pytest.fixture(scope="module")
def default():
    c = _conf()
    space = build_space(c.uncertainty, c.scenario)
    return c, space, PointConfigs(c, space)


@pytest.fixture(scope="module")
def varied():
    """The default space with the optional countries varied (a what-if)."""
    c = _conf("~uncertainty.fixed.optional_countries")
    space = build_space(c.uncertainty, c.scenario)
    return c, space, PointConfigs(c, space)


CHOICES = ["strategy.k", "strategy.instrument", "strategy.dialogue_share",
           "strategy.coordination_share"]  # fmt: skip
"""Strategy design choices of conf/uncertainty/default.yaml."""
LEVERS = ["budget", "institution", "optional_countries", "eligibility"]
"""Scenario levers and the shared eligibility rule of conf/uncertainty/default.yaml."""


def test_default_space_follows_the_identification(default) -> None:
    _, space, _ = default
    rows = load_identification()
    deep = [f"model.{r.name}" for r in rows if r.deep]
    assert space.names == [ACCEPTED_SET, *deep, *LEVERS, *CHOICES]
    assert space.space.fixed == {"institution": "none", "optional_countries": False}  # 2022
    identified = [r.name for r in rows if r.status in ("identified", "weakly identified")]
    assert list(space.from_set) == identified
    assert len(space.sets) == len(load_accepted_sets())
    assert not {f"model.{n}" for n in space.from_set} & set(space.names)


def test_a_point_config_takes_the_set_then_the_sampled_values(varied) -> None:
    c, space, configs = varied
    row = {ACCEPTED_SET: 5, "budget": 9.5, "institution": "unsc", "optional_countries": True}
    row.update({n: (space.space.dimensions[i].lo) for i, n in enumerate(space.names) if
                n.startswith("model.")})  # fmt: skip
    pairs = configs.at(row)
    assert [s for s, _ in pairs] == ["none", "uniform"]
    chosen = load_accepted_sets()[5]
    for strategy, config in pairs:
        assert config.strategy == strategy
        assert config.budget == 9.5 and config.institution == "unsc"
        assert list(config.countries.codes) == list(c.scenario.countries)  # every country
        assert config.calendar.n_steps == c.calendar.n_steps
        for name in space.from_set:
            assert getattr(config.params, name) == chosen[f"model.{name}"], name
        for d in space.space.dimensions:
            if d.name.startswith("model."):
                assert getattr(config.params, d.name[6:]) == d.lo, d.name
        store = load_model_params()
        assert config.params.coalition_base == store.coalition_base  # sourced: kept
    ten = configs.at({**row, "optional_countries": False})[0][1]
    assert list(ten.countries.codes) == c.scenario.simulated
    assert replace(ten, countries=pairs[0][1].countries) == pairs[0][1]


def test_fixed_dimensions_and_explicit_ranges() -> None:
    c = _conf(
        "uncertainty=as_in_2022",
        "+uncertainty.model.peer_weight={kind: real, lo: 0.5, hi: 4.0}",
        "+uncertainty.model.outreach_weight={kind: real, lo: 1.0, hi: 2.0}",
    )
    space = build_space(c.uncertainty)
    free = [d.name for d in space.space.free]
    assert "institution" not in free and "optional_countries" not in free
    assert "peer_weight" not in space.from_set  # an explicit range replaces the set's value
    dims = {d.name: d for d in space.space.dimensions}
    assert (dims["model.peer_weight"].lo, dims["model.peer_weight"].hi) == (0.5, 4.0)
    assert (dims["model.outreach_weight"].lo, dims["model.outreach_weight"].hi) == (1.0, 2.0)
    assert list(PointConfigs(c, space).bases) == [False]  # ten members only


def test_without_accepted_sets_the_store_supplies_the_identified_values() -> None:
    c = _conf("uncertainty.accepted_sets=false", "uncertainty.deep=false")
    space = build_space(c.uncertainty)
    assert space.names == [*LEVERS, *CHOICES]
    assert not space.sets and not space.from_set
    config = PointConfigs(c, space).at(
        {"budget": 2.0, "institution": "none", "optional_countries": False}
    )
    assert config[0][1].params == load_model_params()


def test_a_missing_calibration_is_a_one_line_error(tmp_path) -> None:
    c = _conf(f"uncertainty.calibration_dir={tmp_path}")
    with pytest.raises(ConfigError, match=r"^uncertainty\.accepted_sets: .*accepted\.parquet"):
        build_space(c.uncertainty)


def test_the_eligibility_rule_is_an_input_and_feasibility_a_switch(default) -> None:
    c, space, configs = default
    dims = {d.name: d for d in space.space.dimensions}
    assert dims["eligibility"].values == ("not_at_ask", "not_heading")
    assert space.origin["eligibility"] == "strategy design choice"
    row = {ACCEPTED_SET: 0, "budget": 1.0, "optional_countries": False}
    for rule in ("not_at_ask", "not_heading"):
        assert {cfg.eligibility for _, cfg in configs.at({**row, "eligibility": rule})} == {rule}
    assert c.feasibility  # on by default: no outreach to Myanmar's junta
    on = configs.at(row)[0][1].restrictions
    assert on and all(code == "MM" for code, _ in on)
    off = _conf("feasibility=false", "eligibility=not_heading")
    bases = PointConfigs(off, build_space(off.uncertainty)).at(row)
    assert all(cfg.restrictions == () for _, cfg in bases)
    assert {cfg.eligibility for _, cfg in bases} == {"not_heading"}


def test_a_bad_eligibility_lever_is_a_one_line_error() -> None:
    c = _conf("uncertainty.levers.eligibility.values=[not_at_ask,nearest]")
    with pytest.raises(ConfigError, match=r"^uncertainty\.levers\.eligibility: .*nearest.*"):
        build_space(c.uncertainty)


def test_a_country_added_by_data_only_is_an_optional_country_of_the_analysis(varied) -> None:
    """A country in the scenario file outside ``simulated`` joins the runs where the lever
    ``optional_countries`` is true, and the report names it; no code names a country."""
    c, _, _ = varied
    data = dict(c.scenario.countries)
    scenario = replace(c.scenario, countries={**data, "XX": {**data["SG"], "name": "Newland"}})
    c = replace(c, scenario=scenario)
    extra = optional_countries({"countries": scenario.countries, "simulated": scenario.simulated})
    assert extra[-1] == "XX" and len(extra) == len(data) - len(scenario.simulated) + 1
    space = build_space(c.uncertainty, c.scenario)
    assert "Newland (observer)" in space.meaning[OPTIONAL]  # not in `members`
    assert "Newland (observer)" in glossary(space, f"`{OPTIONAL}`")
    configs = PointConfigs(c, space)
    row = {ACCEPTED_SET: 0, "budget": 1.0, "eligibility": "not_at_ask"}
    with_extra = configs.at({**row, OPTIONAL: True})[0][1].countries
    assert list(with_extra.codes) == [*scenario.simulated, *extra]
    assert not with_extra.member[-1]
    default_set = configs.at({**row, OPTIONAL: False})[0][1].countries
    assert list(default_set.codes) == scenario.simulated
