"""The dashboard without a browser: settings and the command that reproduces them, the
ensemble and its statistics, bad input, saved runs, and the Mesa run of the Single run
view."""

from __future__ import annotations

import copy
import io
import math
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import OmegaConf

from experiments.dashboard import stats
from experiments.dashboard.ensemble import run_view
from experiments.dashboard.saved import SavedRun, find_runs
from experiments.dashboard.settings import (
    MAX_SEEDS,
    Settings,
    compose,
    default_settings,
    optional,
    param_info,
)
from experiments.dashboard.single import run_spec
from experiments.dashboard.views import compare_view, saved_view
from experiments.dashboard.week import ladder_figure, network_figure, snapshot, spending_figure
from experiments.workflow import outputs
from experiments.workflow.cli import precheck
from experiments.workflow.convert import to_simulation_configs
from experiments.workflow.errors import BAD_INPUT, ConfigError, one_line
from experiments.workflow.paths import CONF_DIR, ROOT
from experiments.workflow.run import run_experiment
from experiments.workflow.schema import ExperimentConf
from experiments.workflow.store import load_model_params
from sim import STRATEGIES, replicate_seeds, simulate
from sim.model import OutreachModel


def small(**changes: object) -> Settings:
    """A quick view: three strategies, a few seeds, the calibrated point."""
    base = replace(
        default_settings(), strategies=("none", "uniform", "adaptive"), n_seeds=12,
        accepted_sets=0,
    )  # fmt: skip
    return replace(base, **changes)


def cli_message(overrides: list[str]) -> str:
    """The one line ``python -m experiments.run <overrides>`` prints (without ``error:``)."""
    with pytest.raises(BAD_INPUT) as info:
        precheck("config", to_simulation_configs, overrides)
    return one_line(info.value, ExperimentConf)


# --------------------------------------------------------------------------- settings
def test_defaults_come_from_the_main_config_and_the_calibrated_store() -> None:
    s = default_settings()
    assert s.strategies == tuple(STRATEGIES)
    assert (s.budget, s.institution, s.n_seeds, s.seed) == (0.3, "none", 40, 20220224)
    assert s.accepted_sets == 25 and "accepted_sets=25" in s.overrides()
    assert s.model == ()
    store = load_model_params()
    for name, info in param_info().items():
        assert info.calibrated == getattr(store, name)
        assert info.low <= info.calibrated <= info.high
        assert info.meaning and info.source and info.mechanism


def test_a_parameter_back_at_its_calibrated_value_leaves_the_command() -> None:
    s = small().with_param("peer_weight", 1.5).with_param("outreach_weight", 3.0)
    assert s.model == (("outreach_weight", 3.0), ("peer_weight", 1.5))
    assert s.param("peer_weight") == 1.5
    back = s.with_param("peer_weight", param_info()["peer_weight"].calibrated)
    assert back.model == (("outreach_weight", 3.0),)
    assert "model.peer_weight" not in back.command()


def test_the_view_composes_its_overrides_as_hydra_does() -> None:
    s = small(budget=2.5, institution="unsc", extra_countries=tuple(optional())).with_param(
        "peer_weight", 1.5
    )
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        expected = hydra_compose("config", overrides=s.overrides())
    assert OmegaConf.to_container(compose(s.overrides())) == OmegaConf.to_container(expected)
    assert shlex.split(s.command())[3:] == s.overrides()


def test_the_yaml_preset_composes_to_the_same_config(tmp_path: Path) -> None:
    s = small(extra_countries=tuple(optional())).with_param("peer_weight", 1.5)
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "dashboard_view.yaml").write_text(s.yaml())
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        preset = hydra_compose(
            "config",
            overrides=[f"hydra.searchpath=[file://{tmp_path}]", "experiment=dashboard_view"],
        )
    got = OmegaConf.to_container(preset)
    want = OmegaConf.to_container(compose(s.overrides()))
    assert got.pop("experiment") == "dashboard_view"
    want.pop("experiment")
    assert got == want


# --------------------------------------------------------------------------- bad input
FAST_BAD = ("negative budget", "no strategy", "nan parameter")
"""Rows in the quick loop (each composes the config with Hydra for the command line's
message); all of them: slow."""


BAD_VIEWS = {
    "negative budget": {"budget": -1.0},
    "infinite budget": {"budget": math.inf},
    "no seeds": {"n_seeds": 0},
    "no strategy": {"strategies": ()},
    "parameter range": {"model": (("peer_weight", 99.0),)},
    "huge budget": {"budget": 1e308},
    "nan budget": {"budget": math.nan},
    "nan parameter": {"model": (("peer_weight", math.nan),)},
    "negative seed": {"seed": -1},
}


@pytest.mark.parametrize(
    "changes",
    [pytest.param(c, id=k, marks=() if k in FAST_BAD else pytest.mark.slow)
     for k, c in BAD_VIEWS.items()],
)  # fmt: skip
def test_bad_input_is_reported_in_the_cli_s_one_line(changes: dict) -> None:
    s = small(**changes)
    view = compare_view(s)
    assert view.tables is None
    assert view.error == cli_message(s.overrides())
    assert "\n" not in view.error and "Traceback" not in view.error


@pytest.mark.slow  # a second process
def test_the_cli_prints_the_same_line(run_cli) -> None:
    s = small(budget=-1.0)
    result = run_cli(s.overrides())
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {compare_view(s).error}"


def test_the_dashboard_caps_the_number_of_seeds() -> None:
    view = compare_view(small(n_seeds=MAX_SEEDS + 1))
    assert view.error is not None and view.error.startswith("n_seeds: the dashboard runs at most")


# --------------------------------------------------------------------------- statistics
def test_intervals_and_paired_differences_on_a_hand_made_table() -> None:
    summary = pd.DataFrame(
        {
            "strategy": ["none"] * 3 + ["a"] * 3,
            "seed": [1, 2, 3, 1, 2, 3],
            "final_sanctioning": [1.0, 1.0, 2.0, 2.0, 3.0, 5.0],
            "weeks_to_first_adoption": [np.nan, 4.0, 6.0, 3.0, np.nan, 2.0],
        }
    )
    for o in stats.OUTCOMES:
        if o.name not in summary:
            summary[o.name] = 0.0
    table = stats.outcome_table(summary, ["none", "a"]).set_index(["strategy", "outcome"])
    mean, lo, hi, n = table.loc[("a", "final_sanctioning"), ["mean", "low", "high", "n"]]
    half = stats.Z95 * np.std([2.0, 3.0, 5.0], ddof=1) / math.sqrt(3)
    assert (mean, n) == (10 / 3, 3) and lo == pytest.approx(mean - half) and hi == mean + half
    assert table.loc[("none", "any_adoption"), "mean"] == pytest.approx(2 / 3)
    diffs = stats.paired_differences(summary, ["none", "a"]).set_index("outcome")
    assert diffs.loc["final_sanctioning", "mean"] == pytest.approx(2.0)  # (1 + 2 + 3) / 3
    assert diffs.loc["weeks_to_first_adoption", ["mean", "n"]].tolist() == [-4.0, 1]  # seed 3
    assert stats.interval_text(2.0, 1.5, 2.5, 2, sign=True) == "+2.00 [+1.50, +2.50]"


def test_the_view_equals_a_direct_engine_run_on_the_same_seeds() -> None:
    s = small(budget=2.0)
    tables = run_view(s)
    points = to_simulation_configs(compose(s.overrides()))
    seeds = replicate_seeds(s.seed, s.n_seeds)
    for ep in points:
        traj = simulate(ep.config, seeds)
        level = traj.level.mean(axis=0)
        got = tables.levels[tables.levels["strategy"] == ep.strategy]
        assert np.allclose(got.pivot(index="step", columns="country", values="level")
                           [list(ep.config.countries.codes)].to_numpy(), level)  # fmt: skip
        sanctioning = (traj.level >= 4).sum(axis=2)
        steps = tables.steps[tables.steps["strategy"] == ep.strategy]
        grid = steps.pivot(index="seed", columns="step", values="n_sanctioning")
        assert np.array_equal(grid.loc[seeds].to_numpy(), sanctioning)


@pytest.mark.slow
def test_the_copy_as_command_line_reproduces_the_numbers(tmp_path: Path) -> None:
    s = small(budget=2.0, extra_countries=tuple(optional())).with_param("peer_weight", 1.5)
    view = compare_view(s)
    args = shlex.split(s.command())
    assert args[1:3] == ["-m", "experiments.run"]
    assert (ROOT / args[0]).resolve() == Path(sys.executable).resolve()  # not a bare python
    result = subprocess.run(
        [*args, f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = pd.read_parquet(tmp_path / outputs.SUMMARY)
    saved = saved.assign(strategy=saved["strategy"].astype(str))
    shown = view.tables.summary
    key = ["strategy", "seed"]
    pd.testing.assert_frame_equal(
        saved.sort_values(key).reset_index(drop=True), shown.sort_values(key).reset_index(drop=True)
    )
    run = SavedRun(tmp_path)
    again = saved_view(run, run.slices()[0], list(s.strategies))
    assert again.outcomes_html == view.outcomes_html


# --------------------------------------------------------------------------- saved runs
@pytest.fixture(scope="module")
def swept_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose(
            "config",
            overrides=["strategies=[none,uniform]", "n_seeds=6", "calendar.n_steps=8",
                       "plots=false", "+sweep.budget=[1,3]"],
        )  # fmt: skip
    run_experiment(cfg, out)
    return out


def test_a_saved_sweep_point_is_read_alone(swept_run: Path) -> None:
    run = SavedRun(swept_run)
    slices = run.slices()
    assert [s.label for s in slices] == ["point 0 (budget=1)", "point 1 (budget=3)"]
    assert run.strategies() == ["none", "uniform"]
    tables = run.tables(slices[1], ["uniform"])
    summary = pd.read_parquet(swept_run / outputs.SUMMARY)
    expected = summary[(summary["point"] == 1) & (summary["strategy"] == "uniform")]
    assert tables.summary["budget_spent"].tolist() == expected["budget_spent"].tolist()
    assert set(tables.bands["strategy"]) == {"uniform"} and tables.n_seeds == 6
    steps = pd.read_parquet(swept_run / outputs.STEPS)
    steps = steps[(steps["point"] == 1) & (steps["strategy"] == "uniform")]
    bands = tables.bands[tables.bands["measure"] == "n_sanctioning"].set_index("step")
    want = steps.groupby("step")["n_sanctioning"].mean()
    assert np.allclose(bands.loc[want.index, "mean"], want)  # curves agree with the steps
    traj = pd.read_parquet(swept_run / outputs.TRAJECTORIES)
    traj = traj[(traj["point"] == 1) & (traj["strategy"] == "uniform")]
    want = traj.groupby(["country", "step"], observed=True)["level"].mean()
    got = tables.levels.set_index(["country", "step"])["level"]
    assert np.allclose(got.loc[want.index].to_numpy(), want.to_numpy())
    assert tables.names["SG"] == "Singapore"


def test_the_view_exports_its_figure_and_tables(swept_run: Path) -> None:
    run = SavedRun(swept_run)
    view = saved_view(run, run.slices()[0], ["none", "uniform"])
    assert view.adoption_png.startswith(b"\x89PNG") and b"<svg" in view.adoption_svg()
    outcomes = pd.read_csv(io.StringIO(view.outcomes_csv))
    assert list(outcomes.columns) == ["strategy", "outcome", "mean", "low", "high", "n"]
    assert len(outcomes) == 2 * len(stats.OUTCOMES) and (outcomes["n"] <= 6).all()
    diffs = pd.read_csv(io.StringIO(view.differences_csv("none")))
    assert set(diffs["strategy"]) == {"uniform"} and set(diffs["baseline"]) == {"none"}


def test_summaries_only_runs_and_model_grids_open(tmp_path: Path) -> None:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose(
            "config",
            overrides=["strategies=[none,uniform]", "n_seeds=4", "calendar.n_steps=5",
                       "plots=false", "keep_steps=false", "keep_trajectories=false",
                       "+sweep.model.peer_weight=[0.5,2.0]"],
        )  # fmt: skip
    run_experiment(cfg, tmp_path)
    run = SavedRun(tmp_path)
    labels = [s.label for s in run.slices()]
    assert labels == ["point 0 (model.peer_weight=0.5)", "point 1 (model.peer_weight=2)"]
    view = saved_view(run, run.slices()[1], ["none", "uniform"])
    assert view.error is None and view.adoption_png and view.levels_png


def test_an_analysis_folder_opens_one_design_at_a_time(swept_run: Path, tmp_path: Path) -> None:
    summary = pd.read_parquet(swept_run / outputs.SUMMARY)
    runs = summary.drop(columns=["budget"]).assign(design="explore")
    runs.to_parquet(tmp_path / "runs.parquet")
    run = SavedRun(tmp_path)
    assert [s.label for s in run.slices()] == ["design explore: 2 points pooled"]
    view = saved_view(run, run.slices()[0], ["none", "uniform"])
    assert view.error is None and not view.adoption_png and "<td>" in view.outcomes_html
    outcomes = pd.read_csv(io.StringIO(view.outcomes_csv))
    assert outcomes["n"].max() == 12  # 2 points x 6 seeds pooled


def test_a_damaged_table_is_one_line_in_the_browser(swept_run: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(swept_run, folder)
    data = (folder / outputs.CURVES).read_bytes()
    (folder / outputs.CURVES).write_bytes(data[: len(data) // 2])
    run = SavedRun(folder)
    view = saved_view(run, run.slices()[0], ["none", "uniform"])
    assert view.error is not None and "\n" not in view.error
    assert view.error.startswith(f"folder: {folder / outputs.CURVES} cannot be read")
    (folder / outputs.SUMMARY).write_bytes(b"PAR1 not really")
    with pytest.raises(ConfigError, match="summary.parquet cannot be read"):
        SavedRun(folder)


def test_a_combined_multirun_lists_its_jobs(swept_run: Path, tmp_path: Path) -> None:
    outputs.combine_tables([(0, "budget=1", swept_run), (1, "budget=3", swept_run)], tmp_path)
    run = SavedRun(tmp_path)
    labels = [s.label for s in run.slices()]
    assert len(labels) == 4 and labels[0].startswith("job 0 [budget=1], point 0")
    view = saved_view(run, run.slices()[3], ["none", "uniform"])
    assert view.error is None and "<td>" in view.outcomes_html


def test_a_folder_without_tables_is_reported_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^folder: .* holds no summary.parquet"):
        SavedRun(tmp_path)
    assert tmp_path not in find_runs(tmp_path)


# --------------------------------------------------------------------------- single run
def test_the_single_run_is_replicate_k_of_the_compare_view() -> None:
    s = small(budget=2.0)
    spec = run_spec(s, "adaptive", 3)
    assert spec.error is None and spec.seed == replicate_seeds(s.seed, 4)[3]
    model = OutreachModel(spec.config, spec.seed)
    for _ in range(5):
        model.step()
    week = snapshot(model)
    traj = simulate(spec.config, np.array([spec.seed]))
    assert week.week == 5 and np.array_equal(week.level, traj.level[0, 5])
    assert np.allclose(week.outreach, traj.outreach[0, 5]) and week.spent == traj.spent[0, 5]
    labels = [t.get_text() for t in ladder_figure(week).axes[0].get_yticklabels()]
    assert labels[:3] == ["Brunei", "Cambodia", "Indonesia"]
    assert spending_figure(week).axes[0].get_xlabel().startswith("budget units")
    assert "Singapore" in [t.get_text().split("\n")[0] for t in network_figure(week).axes[0].texts]
    model.release()


def test_a_bad_single_run_setting_is_one_line() -> None:
    spec = run_spec(small(budget=-2.0), "adaptive", 0)
    assert spec.config is None and spec.error == cli_message(small(budget=-2.0).overrides())


def test_the_browser_opens_a_damaged_folder_as_one_line(swept_run: Path, tmp_path: Path) -> None:
    import shutil

    from experiments.dashboard.browser import _open

    folder = tmp_path / "run"
    shutil.copytree(swept_run, folder)
    assert _open(str(folder))[1:] == (None, run_slices(folder), ["none", "uniform"])
    data = (folder / outputs.SUMMARY).read_bytes()
    (folder / outputs.SUMMARY).write_bytes(data[:-100])  # footer cut: schema unreadable
    run, error, slices, strategies = _open(str(folder))
    assert run is None and slices == [] and error.startswith("folder: ") and "\n" not in error


def run_slices(folder: Path) -> list:
    return SavedRun(folder).slices()


def test_a_country_added_by_data_only_is_a_switch_and_a_place_on_the_map(monkeypatch) -> None:
    """A country in the scenario file outside ``simulated``, with its ``map`` entry, gets a
    switch, enters the command and the title, and is drawn where its data say: no code
    names a country."""
    import ipyvuetify
    import solara
    from omegaconf import open_dict

    from experiments.dashboard import settings as dash
    from experiments.dashboard.controls import ScenarioControls
    from experiments.dashboard.views import describe
    from experiments.dashboard.week import WeekState

    cfg = copy.deepcopy(dash._base_config())
    with open_dict(cfg):
        entry = {**OmegaConf.to_container(cfg.scenario.countries.SG), "name": "Newland"}
        cfg.scenario.countries["XX"] = {**entry, "map": [131.5, 2.5]}
    monkeypatch.setattr(dash, "_base_config", lambda: cfg)
    assert optional()[-1] == "XX"
    s = small(extra_countries=("XX",))
    default = list(cfg.scenario.simulated)
    assert f"scenario.simulated=[{','.join([*default, 'XX'])}]" in s.overrides()
    assert "Newland (observer)" in describe(s)  # not in `members`
    config = to_simulation_configs(compose(s.overrides()))[0].config
    assert config.countries.codes == (*default, "XX") and not config.countries.member[-1]
    _, rc = solara.render(ScenarioControls(solara.Reactive(s)), handle_error=False)
    switch = rc.find(ipyvuetify.Checkbox, label="Newland (observer) simulated too")
    switch.assert_single()
    assert switch.widget.v_model is True
    codes = ("SG", "XX")
    zero = np.zeros(2)
    names = ("Singapore", "Newland")
    date = config.calendar.date(0)
    week = WeekState(0, date, 4, codes, names, zero, zero, zero, np.eye(2)[::-1], 0.0, 0.0, 0)
    xy = network_figure(week).axes[0].collections[0].get_offsets()
    assert np.allclose(xy, [cfg.scenario.countries.SG.map, [131.5, 2.5]])
