"""The decision Japan faced: pair verdicts (planted cases and aliases), Japan's effort read
off the calendar, the effort and mandate designs, strategy design choices as inputs, and the
regimes' coverage statement."""

from __future__ import annotations

import datetime as dt
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from hydra import compose, initialize_config_dir

from experiments.analysis import tables
from experiments.analysis.cases import CaseResult
from experiments.analysis.command import SEARCH_PATH, run_analysis
from experiments.analysis.design import Dimension, UncertaintySpace
from experiments.analysis.discovery import discover
from experiments.analysis.effort import budget_bands
from experiments.analysis.pairwise import pairwise_table
from experiments.analysis.report_decision import choice_split, coverage_statement
from experiments.analysis.robustness import Outcome
from experiments.analysis.runner import make_designs
from experiments.analysis.settings import settings
from experiments.analysis.space import AnalysisSpace
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CONF_DIR
from experiments.workflow.schema import DesignsConf

HIGHER = Outcome("o", "higher", None, "members", "")


def compose_analyse(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("analyse", overrides=[*overrides, SEARCH_PATH])


def _toy_runs(n_points: int = 300, n_seeds: int = 12, seed: int = 1):
    """``planted`` beats ``alias_1`` by 2 where ``x`` > 0.6 and loses by 0.5 elsewhere;
    ``alias_1`` and ``alias_2`` are the same strategy; ``better`` beats ``none`` by 1."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(size=n_points), rng.uniform(size=n_points)
    kind = rng.choice(["u", "v"], size=n_points)
    rows = []
    for p in range(n_points):
        for r in range(n_seeds):
            base = rng.normal()
            planted = base + 1 + (2.0 if x[p] > 0.6 else -0.5) + rng.normal(0, 0.1)
            for s, v in (("none", base - 1), ("alias_1", base + 1), ("alias_2", base + 1),
                         ("planted", planted)):  # fmt: skip
                rows.append((p, s, r, v))
    runs = pd.DataFrame(rows, columns=["point", "strategy", "seed", "o"])
    return runs, pd.DataFrame({"x": x, "y": y, "kind": kind})


def _verdict(table: pd.DataFrame, a: str, b: str) -> pd.Series:
    return table[(table["strategy_a"] == a) & (table["strategy_b"] == b)].iloc[0]


def test_planted_dominance_when_an_input_is_high_depends_on_that_input() -> None:
    runs, inputs = _toy_runs()
    table = pairwise_table(runs, inputs, ["none", "alias_1", "alias_2", "planted"], [HIGHER])
    r = _verdict(table, "alias_1", "planted")
    assert r["verdict"] == "depends" and r["decider"] == "x"
    cut = float(r["decider_rule"].removeprefix(">= "))
    assert 0.55 < cut < 0.65  # the planted threshold 0.6, between two sampled x
    assert r["share_b_better_in"] == 1.0 and r["share_a_better_out"] == 1.0
    assert r["share_a_better_in"] == 0.0 and r["decider_score"] == pytest.approx(1.0)
    assert r["share_b_better"] == pytest.approx((inputs["x"] > 0.6).mean())


def test_two_aliases_are_indistinguishable_and_a_sure_gain_distinguishable() -> None:
    runs, inputs = _toy_runs(n_points=50)
    table = pairwise_table(runs, inputs, ["none", "alias_1", "alias_2", "planted"], [HIGHER])
    alias = _verdict(table, "alias_1", "alias_2")
    assert alias["verdict"] == "indistinguishable" and alias["mean_difference"] == 0
    assert alias["share_a_better"] == alias["share_b_better"] == 0
    sure = _verdict(table, "none", "alias_1")
    assert sure["verdict"] == "distinguishable" and sure["better"] == "alias_1"
    assert sure["share_b_better"] == 1.0 and sure["mean_difference"] == pytest.approx(-2.0)
    lower = pairwise_table(runs, inputs, ["none", "alias_1"], [Outcome("o", "lower", None, "", "")])
    assert lower.iloc[0]["better"] == "none"  # lower is better: the sign flips


@pytest.fixture(scope="module")
def aliases(tmp_path_factory) -> Path:
    """A small analysis in which `receptive_first` with k equal to the member count is an
    alias of `uniform` (both spend evenly on every member still to persuade)."""
    out = tmp_path_factory.mktemp("aliases")
    cfg = compose_analyse(
        "uncertainty=as_in_2022", "n_seeds=3", "calendar.n_steps=12",
        "strategies=[none,uniform,receptive_first]",
        "+strategy_options.receptive_first={k: 10}",
        "designs.explore=16", "designs.effort=4", "designs.mandate=0",
        "designs.morris_trajectories=0", "designs.sobol_n=0", "discovery.cases={}",
        "decision.headline=[final_condemn_or_higher,final_sanctioning]",
    )  # fmt: skip
    run_analysis(cfg, out)
    return out


@pytest.mark.slow  # a real analysis, end to end
def test_aliases_of_one_strategy_are_indistinguishable_in_a_real_analysis(aliases) -> None:
    runs = pq.read_table(aliases / tables.RUNS).to_pandas()
    wide = runs.pivot_table(index=["design", "point", "seed"], columns="strategy",
                            values="final_condemn_or_higher", observed=True)  # fmt: skip
    assert (wide["uniform"] == wide["receptive_first"]).all()
    assert (wide["uniform"] != wide["none"]).any()  # outreach does something here
    table = pd.read_csv(aliases / tables.PAIRWISE, keep_default_na=False, na_values=[""])
    assert list(table.columns) == list(tables.SCHEMAS[tables.PAIRWISE])
    pair = table[(table["strategy_a"] == "uniform") & (table["strategy_b"] == "receptive_first")]
    assert set(pair["verdict"]) == {"indistinguishable"}
    assert set(pair["design"]) == {"explore", "effort"} and len(pair) == 2 * 3  # 2 effort budgets
    effort = pd.read_csv(aliases / tables.EFFORT)
    assert list(effort.columns) == list(tables.SCHEMAS[tables.EFFORT])
    report = (aliases / "analysis.md").read_text()
    assert "## Which pairs of strategies differ" in report and "## Effort and cost" in report


def test_historical_effort_is_read_off_the_calendar(project_root: Path) -> None:
    raw = yaml.safe_load((project_root / "conf" / "calendar" / "default.yaml").read_text())
    s = settings(compose_analyse("designs.morris_trajectories=0", "designs.sobol_n=0"))
    start = dt.date.fromisoformat(raw["start"])
    weeks = {e["date"]: (dt.date.fromisoformat(e["date"]) - start).days // 7 for e in raw["events"]}
    visits = [e for e in raw["events"]
              if e["kind"] == "japan_visit" and weeks[e["date"]] < raw["n_steps"]]  # fmt: skip
    replay = yaml.safe_load((project_root / "conf" / "strategy" / "historical.yaml").read_text())
    background = replay["strategy_options"]["historical"]["background_g7"]
    expected = sum(e.get("amount", 1.0) for e in visits) / raw["n_steps"] + background
    assert s.effort.per_week == pytest.approx(expected) and s.effort.n_dated == len(visits)
    short = settings(compose_analyse("calendar.n_steps=6", "designs.morris_trajectories=0",
                                     "designs.sobol_n=0"))  # fmt: skip
    assert short.effort.n_dated < len(visits)  # only the visits inside the horizon count
    budgets = sorted(s.designs["effort"].values["budget"].unique())
    assert budgets == pytest.approx([expected, 4 * expected])


def test_effort_and_mandate_designs() -> None:
    space = UncertaintySpace(
        (Dimension.log_scale("budget", 0.25, 16), Dimension.real("x", 0, 1),
         Dimension.categorical("institution", ["none", "unsc"])),
        {"institution": "none"},
    )  # fmt: skip
    designs = make_designs(space, DesignsConf(explore=10, effort=5, mandate=3,
                           morris_trajectories=0, sobol_n=0), 7, [0.8, 3.2], "unsc")  # fmt: skip
    effort, mandate = designs["effort"].values, designs["mandate"].values
    assert list(effort["budget"]) == [0.8] * 5 + [3.2] * 5
    assert list(effort["x"][:5]) == list(effort["x"][5:])  # the same worlds at each budget
    assert set(mandate["institution"]) == {"unsc"} and len(mandate) == 3
    assert set(designs["explore"].values["institution"]) == {"none"}
    assert list(designs) == ["explore", "effort", "mandate"]


def test_log_dimension_gives_each_doubling_equal_weight() -> None:
    d = Dimension.log_scale("budget", 0.25, 16)
    assert list(d.from_unit(np.array([0.0, 0.5, 1.0]))) == pytest.approx([0.25, 2.0, 16.0])
    assert budget_bands(0.25, 16) == [(0.25, 0.5), (0.5, 1), (1, 2), (2, 4), (4, 8), (8, 16)]
    with pytest.raises(ValueError, match="lo > 0"):
        Dimension.log_scale("budget", 0.0, 16)


def test_design_choices_apply_to_every_strategy_with_the_option() -> None:
    s = settings(compose_analyse("designs.morris_trajectories=0", "designs.sobol_n=0"))
    row = s.designs["explore"].values.iloc[0].to_dict()
    row.update({"strategy.k": 2, "strategy.instrument": "aid"})
    configs = dict(s.configs.at(row))
    assert configs["receptive_first"].strategy_options.k == 2
    assert configs["hub_first"].strategy_options.k == 2
    assert configs["uniform"].strategy_options.instrument == "aid"
    assert not hasattr(configs["adaptive"].strategy_options, "k")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("decision.headline=[nonesuch]", "decision.headline"),
        ("decision.mandate=nato", "decision.mandate"),
        ("decision.effort_multiples=[0]", "decision.effort_multiples"),
        ("+uncertainty.levers.strategy.kk={kind:integer,lo:1,hi:2}", "strategy.kk"),
        ("uncertainty.levers.strategy.k.lo=0", "uncertainty.levers.strategy.k"),
    ],
)
def test_bad_decision_input_names_the_key(override: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        settings(compose_analyse(override))
    assert key in str(exc.value)


def test_regime_without_a_case_says_none_found_with_n_and_ranges() -> None:
    dims = (Dimension.real("model.x", 0, 2), Dimension.log_scale("budget", 0.25, 16))
    space = AnalysisSpace(UncertaintySpace(dims, {"institution": "none"}), (), (), (), {})
    inputs = pd.DataFrame({"model.x": np.linspace(0, 2, 40), "budget": np.linspace(1, 8, 40)})
    prim = discover(inputs, np.zeros(40, bool))
    case = CaseResult("cascade", "three or more members at `sanction`", "all", "r", prim)
    text = coverage_statement(case, 20, space, {"model.x": "x"})
    assert text.startswith("Three or more members at `sanction`: none found in 20 worlds")
    assert "(40 world-strategy pairs)" in text and "`x` 0-2" in text and "`budget` 0.25-16" in text
    assert "held: `institution` = none" in text


def _planted_effort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Worlds at budgets 0.3 and 3.0 (explore) and 1.0 (effort): `more` adds one member
    at budgets above 1 and nothing below, spending 10 budget units per run."""
    rows, scen = [], []
    for design, budgets in (("explore", [0.3] * 4 + [3.0] * 4), ("effort", [1.0, 1.0])):
        for p, budget in enumerate(budgets):
            scen.append((design, p, budget))
            for seed in range(3):
                base = 4 + (p % 2)
                gain = 1 if budget > 1 else 0
                rows.append((design, p, "none", seed, base, 0.0))
                rows.append((design, p, "more", seed, base + gain, 10.0))
    runs = pd.DataFrame(rows, columns=["design", "point", "strategy", "seed", "o", "budget_spent"])
    return runs, pd.DataFrame(scen, columns=["design", "point", "budget"])


def test_effort_table_gain_per_100_units_and_the_cheapest_band() -> None:
    from experiments.analysis.effort import cheapest, effort_table

    runs, scen = _planted_effort()
    target = Outcome("o", "higher", 5.5, "members", "")
    table = effort_table(runs, scen, ["none", "more"], [target], "none", [(0.25, 1), (1, 4)])
    more = table[table["strategy"] == "more"].set_index(["design", "budget_low"])
    assert more.loc[("explore", 0.25), "gain"] == 0 and more.loc[("explore", 1), "gain"] == 1
    assert more.loc[("explore", 1), "gain_per_100"] == pytest.approx(10.0)  # 1 per 10 units
    assert more.loc[("explore", 1), "share_better"] == 1.0
    assert more.loc[("explore", 1), "share_meeting"] == 0.5  # base 4 or 5, +1: half reach 5.5
    assert more.loc[("effort", 1.0), "n_worlds"] == 2 and more.loc[("effort", 1.0), "gain"] == 0
    pick, ref = cheapest(table, target, "none", 0.5)
    assert (pick.strategy, pick.budget_low, ref) == ("more", 1, 0.0)
    assert cheapest(table, target, "none", 0.75) is None  # no band reaches 75% of worlds


@pytest.mark.slow  # the same real analysis
def test_the_opening_answer_is_computed_from_the_tables(aliases) -> None:
    report = (aliases / "analysis.md").read_text()
    opening = report.split("\n\n")[2]
    effort = pd.read_csv(aliases / tables.EFFORT)
    rows = effort[(effort["design"] == "effort") & (effort["outcome"] == "final_condemn_or_higher")]
    low = rows[rows["budget_low"] == rows["budget_low"].min()]
    best = low[low["strategy"] != "none"].sort_values("mean", ascending=False).iloc[0]
    assert opening.startswith("**What Japan could have done** for members at condemn or higher")
    assert f"({best.budget_low:.2f} budget units a week), `{best.strategy}`: " in opening
    assert f"{best.gain:+.2f} members against `none`" in opening
    assert "What would change the answer:" in opening


def _planted_choice(flip: bool) -> pd.DataFrame:
    """Effort-design rows at budgets 1 and 4: `a` beats `b` under `not_at_ask`; under
    `not_heading` `b` beats `a` when ``flip``, else `a` still wins."""
    rows = []
    for budget, rule, point in product([1.0, 4.0], ["not_at_ask", "not_heading"], range(5)):
        a, b = (1.0, 3.0) if flip and rule == "not_heading" else (3.0, 2.0)
        for strategy, value in (("none", 0.0), ("a", a + point), ("b", b + point)):
            rows.append({"design": "effort", "budget": budget, "eligibility": rule,
                         "strategy": strategy, "o": value})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_eligibility_rule_is_named_when_it_decides_the_pick() -> None:
    flipped = choice_split(_planted_choice(True), HIGHER, "none", [1.0, 4.0], "eligibility")
    assert flipped.startswith(" The eligibility rule (`eligibility`, a strategy design choice)")
    assert "under `not_at_ask` `a` (+5.00 members)" in flipped
    assert "under `not_heading` `b` (+5.00 members)" in flipped
    kept = choice_split(_planted_choice(False), HIGHER, "none", [1.0, 4.0], "eligibility")
    assert kept.startswith(" The recommendation survives the eligibility rule")
    assert kept.count("`a` is best under both") == 2
    one_rule = _planted_choice(False).query("eligibility == 'not_at_ask'")
    assert choice_split(one_rule, HIGHER, "none", [1.0], "eligibility") == ""
