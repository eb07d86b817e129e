"""Bad input, continued (issue 17): scenario files as data, damaged result folders, the
command-line options of the other entry points, and the estimate logged before long work.
Each case: one line naming the key (and the file), exit status 2, nothing written."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from experiments import run
from experiments.workflow.scenario import load_scenario_file
from tests.test_bad_input import SMALL, _check_rejected, _checks_message


def _set(code: str, attr: str, value: Any) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        entry = data["countries"][code][attr]
        entry["value"] = value
        entry.pop("range", None)

    return change


def _many(n: int) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        sg = data["countries"]["SG"]
        for i in range(n - len(data["countries"])):
            data["countries"][f"Z{i:03d}"] = copy.deepcopy(sg)
            data["simulated"].append(f"Z{i:03d}")  # the file says which countries run

    return change


SCENARIO_CASES = [
    # (id, change to the default scenario, text the one-line message must contain)
    (
        "trade shares above 1",
        _set("SG", "china_trade_share", 0.9),
        ["scenario.countries.SG.japan_trade_share", "china_trade_share", "at most 1"],
    ),
    ("share of 500%", _set("SG", "russia_trade_pct", 500), ["SG.russia_trade_pct", "[0, 100]"]),
    ("stance 99", _set("SG", "initial_stance", 99), ["SG.initial_stance", "ladder", "[0, 5)"]),
    ("string value", _set("SG", "democracy", "high"), ["SG.democracy.value", "'high'"]),
    (
        "string in a range",
        lambda d: d["countries"]["MY"]["democracy"].update(range=["low", 1]),
        ["MY.democracy.range", "number", "'low'"],
    ),
    ("string tie", lambda d: d.update(default_tie="x"), ["scenario.default_tie", "'x'"]),
    (
        "scalar country entry",
        lambda d: d["countries"].update(SG=5),
        ["scenario.countries.SG", "expected a mapping"],
    ),
    ("no countries", lambda d: d.update(countries={}), ["scenario.countries", "empty"]),
]


END_TO_END = ("stance 99", "scalar country entry")
"""Rows run through ``python -m experiments.run`` in the quick loop (all: slow)."""


def _bad_file(tmp_path: Path, change: Callable[[dict], None]) -> Path:
    data = load_scenario_file()
    change(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [pytest.param(*c[1:], id=c[0], marks=() if c[0] in END_TO_END else pytest.mark.slow)
     for c in SCENARIO_CASES],
)  # fmt: skip
def test_a_bad_scenario_file_is_refused_naming_file_and_key(
    capsys, tmp_path: Path, change, words
) -> None:
    path = _bad_file(tmp_path, change)
    argv = [*SMALL, "strategy=none", f"scenario_file={path}"]
    _check_rejected(capsys, tmp_path / "out", [*words, f"scenario_file {path}"], argv)


@pytest.mark.slow  # a 300-country scenario composed end to end
def test_too_many_countries_are_refused(capsys, tmp_path: Path, monkeypatch) -> None:
    """Above the country limit (lowered here: the real one is 65,536) the file is refused."""
    from experiments.workflow import scenario

    monkeypatch.setattr(scenario, "MAX_COUNTRIES", 256)
    data = load_scenario_file()
    _many(300)(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    argv = [*SMALL, "strategy=none", f"scenario_file={path}"]
    words = ["scenario.countries", "299 countries", "at most 256", "countries=["]  # TL not included
    _check_rejected(capsys, tmp_path / "out", [*words, f"scenario_file {path}"], argv)


@pytest.mark.parametrize(
    ("change", "words"),
    [pytest.param(*c[1:], id=c[0], marks=pytest.mark.slow if c[0] == "300 countries" else ())
     for c in SCENARIO_CASES],
)  # fmt: skip
def test_a_bad_scenario_file_is_caught_by_the_checks(
    composed, tmp_path: Path, change, words
) -> None:
    """Every row, by the checks after composition (the command line: the test above)."""
    path = _bad_file(tmp_path, change)
    line = _checks_message(composed, [*SMALL, f"scenario_file={path}"], tmp_path / "out")
    for word in [*words, f"scenario_file {path}"]:
        assert word in line, (word, line)


def test_a_non_utf8_scenario_file(capsys, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Asie du Sud-Est \u00e9t\u00e9\ncountries: {}\n".encode("latin-1"))
    words = ["scenario_file", str(path), "not UTF-8"]
    _check_rejected(capsys, tmp_path / "out", words, [*SMALL, f"scenario_file={path}"])


def test_a_scenario_file_of_other_countries_runs_them(tmp_path: Path) -> None:
    """Without ``countries=``, the countries the file simulates run (not silently the ten)."""
    from experiments.workflow.convert import to_simulation_configs
    from experiments.workflow.schema import ExperimentConf  # noqa: F401  (registers)
    from tests.conftest import CONF_DIR

    data = load_scenario_file()
    _many(15)(data)
    path = tmp_path / "fifteen.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"scenario_file={path}", "strategy=none"])
    codes = to_simulation_configs(cfg)[0].config.countries.codes
    assert len(codes) == 14 and "TL" not in codes and codes[-1] == "Z003"  # TL not included


# --------------------------------------------------------------------------- result folders
def _one_line(capsys, exc: pytest.ExceptionInfo, words: list[str]) -> None:
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    run.main([*SMALL, "strategy=none", "keep_trajectories=false", f"hydra.run.dir={out}"])
    return out


@pytest.mark.parametrize("table", ["summary.parquet", "curves.parquet"])
def test_plot_of_a_truncated_table(capsys, tmp_path: Path, small_run: Path, table: str) -> None:
    from experiments.workflow import plot

    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("summary.parquet", "curves.parquet", "manifest.json"):
        (folder / name).write_bytes((small_run / name).read_bytes())
    data = (folder / table).read_bytes()
    (folder / table).write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        plot.main([str(folder)])
    _one_line(capsys, exc, ["plot", str(folder), "damaged or incomplete", "run its command again"])
    assert not list(folder.glob("*.svg")) and not list(folder.glob("*.png"))  # no figure


def test_plot_of_a_crashed_sweep(capsys, tmp_path: Path, small_run: Path) -> None:
    """A sweep folder whose summary lost its columns (a job crashed while combining)."""
    from experiments.workflow import plot

    (tmp_path / "curves.parquet").write_bytes((small_run / "curves.parquet").read_bytes())
    pq.write_table(pa.table({"job": [0]}), tmp_path / "summary.parquet")
    (tmp_path / "multirun.json").write_text('{"jobs": [{"job": 0}]}')
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        plot.main([str(tmp_path)])
    _one_line(capsys, exc, ["plot", "damaged or incomplete"])
    assert not list(tmp_path.glob("*.svg"))


@pytest.mark.parametrize("path", ["/etc", "/etc/passwd", "/nonexistent/outputs"])
def test_clean_refuses_what_is_not_a_results_folder(capsys, path: str) -> None:
    from experiments.workflow.folders import clean_main

    with pytest.raises(SystemExit) as exc:
        clean_main([path])
    _one_line(capsys, exc, ["dirs", path, "not a results folder", "allowed:", "outputs"])


def test_clean_accepts_a_run_folder(capsys, small_run: Path) -> None:
    from experiments.workflow.folders import clean_main

    clean_main([str(small_run)])  # no error: a run folder is a results folder


# --------------------------------------------------------------------------- entry options
OPTION_CASES = [
    ("experiments.app", ["--port", "99999"], ["--port", "[1, 65535]", "99999"]),
    ("experiments.app", ["--port", "http"], ["--port", "'http'"]),
    ("experiments.bench", ["--million", "-5"], ["--million", ">= 1", "-5"]),
    ("experiments.bench", ["--workers", "0"], ["--workers", ">= 1"]),
    ("experiments.bench", ["--mesa-runs", "5"], ["--mesa-runs", ">= 200"]),
    ("experiments.tools.bench_workflow", ["--replicates", "-1"], ["--replicates", ">= 1"]),
    ("experiments.plot", [], ["directory", "required"]),
    ("experiments.clean", ["--bogus"], ["unrecognized arguments: --bogus"]),
    ("experiments.odd", ["--bogus"], ["unrecognized arguments: --bogus"]),
]


@pytest.mark.parametrize(
    ("module", "argv", "words"), OPTION_CASES, ids=[" ".join([c[0], *c[1]]) for c in OPTION_CASES]
)
def test_entry_point_options_are_checked_in_one_line(capsys, module: str, argv, words) -> None:
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as exc:
        main(argv)
    _one_line(capsys, exc, [*words, "--help"])


# --------------------------------------------------------------------------- long work
@pytest.mark.slow  # a whole run of a sweep grid (about 2 s of CPU)
def test_a_sweep_grid_logs_its_runs_and_time_before_starting(capsys, tmp_path: Path) -> None:
    grid = ["+sweep.budget=[0,1]", "+sweep.institution=[none,g7,unga,unsc]"]
    tables = ["keep_trajectories=false", "keep_steps=false"]
    run.main([*SMALL, "strategy=none", *grid, *tables, f"hydra.run.dir={tmp_path / 'out'}"])
    lines = capsys.readouterr().err.splitlines()
    first = next(k for k, m in enumerate(lines) if "to simulate: " in m)
    assert "24 runs (8 strategies and points x 3 seeds, 6 weeks), about" in lines[first]
    assert not any("chunks done" in m for m in lines[:first])  # said before simulating
