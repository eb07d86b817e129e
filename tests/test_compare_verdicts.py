"""The Compare view's pair verdicts and parameter bands agree with the report's: the same
function (``pairwise_table``) with the analysis config's rules, on the same runs as
``python -m experiments.run`` of the view's command, and bands equal to its
``comparison.csv``."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from experiments.analysis.pairwise import pairwise_table
from experiments.analysis.settings import settings as analysis_settings
from experiments.dashboard.ensemble import run_view
from experiments.dashboard.settings import MAX_SEEDS, default_settings
from experiments.dashboard.verdict_panel import verdict_view
from experiments.dashboard.verdicts import bands_html, rules, verdict_text, verdicts, verdicts_html
from experiments.dashboard.views import compare_view
from experiments.workflow import outputs
from experiments.workflow.comparison import COMPARISON
from experiments.workflow.paths import CONF_DIR
from experiments.workflow.run import run_experiment
from experiments.workflow.store import load_accepted_sets

STRATEGIES = ("none", "uniform", "hub_first", "adaptive")


def view_settings(**changes: object):  # noqa: ANN201
    """A small fixed view: four strategies, six accepted sets x 16 seeds, budget 1.2."""
    base = replace(
        default_settings(), strategies=STRATEGIES, n_seeds=16, accepted_sets=6, budget=1.2
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m experiments.run`` with the view's copy-as-command overrides."""
    out = tmp_path_factory.mktemp("direct")
    overrides = shlex.split(view_settings().command())[3:]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose("config", overrides=[*overrides, "plots=false"])
    run_experiment(cfg, out)
    return out


def report_inputs(summary: pd.DataFrame) -> pd.DataFrame:
    """The worlds' inputs as the report scores them: each point's accepted-set values."""
    sets = load_accepted_sets()
    points = summary.drop_duplicates("point").sort_values("point")
    frame = pd.DataFrame(
        [
            {k: v for k, v in sets[int(i)].items() if k.startswith("model.")}
            for i in points["accepted_set"]
        ]
    )
    return frame.loc[:, frame.nunique() > 1]


def test_the_rules_are_the_analysis_config_s() -> None:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose("analyse")
    s = analysis_settings(cfg)
    r = rules()
    assert r.headline == s.headline and len(r.headline) >= 2
    assert (r.share, r.min_separated) == (s.c.decision.verdict_share, s.c.decision.min_separated)


def test_the_view_s_verdicts_are_the_report_function_s_on_the_same_runs(direct: Path) -> None:
    s = view_settings()
    tables = run_view(s)
    saved = pd.read_parquet(direct / outputs.SUMMARY)
    saved = saved.assign(strategy=saved["strategy"].astype(str))
    key = ["strategy", "point", "seed"]
    pd.testing.assert_frame_equal(  # the same runs: 6 sets x 16 seeds per strategy
        saved.sort_values(key).reset_index(drop=True),
        tables.summary.sort_values(key).reset_index(drop=True),
    )
    assert saved["accepted_set"].nunique() == 6 and saved["seed"].nunique() == 16
    v = verdicts(tables.summary, tables.strategies, s.budget)
    r = rules()
    expected = pairwise_table(
        saved, report_inputs(saved), list(STRATEGIES), r.headline, r.share, r.min_separated
    )
    got = v.pairs.drop(columns=["design", "budget"])[list(expected.columns)]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    assert (v.pairs["design"] == "dashboard").all() and (v.pairs["budget"] == 1.2).all()
    assert len(v.pairs) == len(r.headline) * 6  # every pair of the four, every outcome
    assert v.pairs["verdict"].nunique() >= 2, v.pairs["verdict"].value_counts()
    # the page shows each row of the table: every strategy against `none`
    page = verdicts_html(v, "none")
    for row in expected[expected["strategy_a"] == "none"].itertuples():
        assert f"<tr><th>{row.strategy_b}</th>" in page
        decider = str(row.decider).removeprefix("model.") if isinstance(row.decider, str) else ""
        shown = {
            "distinguishable": f"{row.better} better",
            "indistinguishable": "indistinguishable",
            "depends": f"depends on {decider}" if decider else "depends",
        }[row.verdict]
        assert shown in page


def test_the_bands_are_comparison_csv_s(direct: Path) -> None:
    s = view_settings()
    v = verdicts(run_view(s).summary, STRATEGIES, s.budget)
    table = pd.read_csv(direct / COMPARISON).set_index("strategy")
    bands = v.bands.set_index(["strategy", "outcome"])
    common = [o.name for o in rules().headline if f"{o.name}_p05" in table.columns]
    assert common, "no headline outcome in comparison.csv"
    for strategy in STRATEGIES:
        for name in common:
            got = bands.loc[(strategy, name), ["mean", "mc_se", "p05", "p95"]].to_numpy(float)
            want = table.loc[strategy, [name, f"{name}_mc_se", f"{name}_p05", f"{name}_p95"]]
            assert np.allclose(got, want.to_numpy(float), rtol=1e-5), (strategy, name)
    assert (bands["sets"] == 6).all() and (bands["seeds"] == 16).all()
    assert (bands["p95"] >= bands["p05"]).all() and (bands["mc_se"] > 0).any()
    page = bands_html(v)
    assert "mean ± Monte Carlo error" in page and "parameter band: 5-95% over sets" in page


def test_a_changed_parameter_runs_the_calibrated_point_as_one_world() -> None:
    s = view_settings(n_seeds=8).with_param("peer_weight", 1.5)
    assert "accepted_sets=0" in s.overrides() and "model.peer_weight=1.5" in s.overrides()
    v = verdict_view(s, compare_view(s))
    assert not isinstance(v, str)
    assert v.n_sets == 1 and v.bands["p05"].isna().all()
    assert set(v.pairs["n_worlds"]) == {1}
    assert "- (one set)" in bands_html(v)


def test_the_dashboard_caps_sets_times_seeds() -> None:
    view = compare_view(view_settings(n_seeds=MAX_SEEDS // 6 + 1))
    assert view.error is not None
    assert view.error.startswith("accepted_sets: the dashboard runs at most"), view.error


def test_a_pair_is_read_from_the_side_of_the_strategy_against_the_reference() -> None:
    row = pd.Series(
        {"strategy_a": "none", "strategy_b": "uniform", "verdict": "depends",
         "share_a_better": 0.1, "share_b_better": 0.6, "mean_difference": -1.5, "better": "",
         "decider": "model.peer_weight", "decider_rule": ">= 0.5",
         "share_a_better_in": 0.0, "share_b_better_in": 0.9,
         "share_a_better_out": 0.3, "share_b_better_out": 0.2}
    )  # fmt: skip
    assert verdict_text(row, "uniform", "none") == (
        "depends on peer_weight",
        "uniform better in 60%, none in 10% of sets; uniform better in 90% of sets with "
        "peer_weight >= 0.5, in 20% of the others",
    )
    won = row.copy()
    won[["verdict", "better", "share_b_better"]] = ["distinguishable", "uniform", 0.97]
    assert verdict_text(won, "uniform", "none") == (
        "uniform better",
        "uniform better in 97%, none in 10% of sets; mean difference +1.50",
    )
    assert verdict_text(won, "none", "uniform")[1].endswith("mean difference -1.50")
