"""Bad input beyond the catalogues of tests/test_bad_input.py: malformed files, the
command line's traceback switch, output folders, the config generator and vote cuts."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from experiments import run
from experiments.workflow.paths import CONF_DIR
from tests.test_bad_input import SMALL, _check_rejected


def test_malformed_scenario_file(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("countries: {SG: [unclosed\n")
    _check_rejected(
        capsys, tmp_path / "out", ["scenario_file", "malformed YAML"], [f"scenario_file={bad}"]
    )


def test_malformed_data_file(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "facts.yaml"
    bad.write_text("unga: [\n")
    _check_rejected(
        capsys,
        tmp_path / "out",
        ["scenario.data_file", "malformed YAML"],
        [f"scenario.data_file={bad}"],
    )


def test_cli_reports_without_traceback_unless_asked(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli(["strategy=hub_frist", f"hydra.run.dir={out}"])
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "strategy: unknown option 'hub_frist'; allowed:" in proc.stderr
    assert proc.stdout == "" and not out.exists()


@pytest.mark.slow  # a second process (the first: the test above)
def test_cli_shows_the_traceback_when_asked(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    full = run_cli(["budget=-1", f"hydra.run.dir={out}"], env={"HYDRA_FULL_ERROR": "1"})
    assert full.returncode != 0 and "Traceback" in full.stderr
    assert not out.exists()


def test_plot_of_a_folder_without_tables(capsys, tmp_path: Path) -> None:
    from experiments.workflow import plot

    with pytest.raises(SystemExit) as exc:
        plot.main([str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found" in err[0]


def test_scenario_typo_in_a_top_level_key_is_rejected() -> None:
    from experiments.workflow.scenario import load_scenario_file, table_from_mapping

    data = load_scenario_file()
    data["include_timor_lest"] = True
    with pytest.raises(ValueError, match=r"^scenario\.include_timor_lest: unknown key; allowed: "):
        table_from_mapping(data)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["hydra.run.dir=/proc/x"], ["hydra.run.dir", "/proc/x", "cannot write"]),
        pytest.param(
            ["-m", "budget=1,2", "hydra.sweep.dir=/proc/x"],
            ["hydra.sweep.dir", "cannot write"],
            marks=pytest.mark.slow,  # a multirun: every job composed
        ),
    ],
    ids=["run dir", "sweep dir"],
)
def test_unwritable_output_folder(capsys, argv, words) -> None:
    with pytest.raises(SystemExit) as exc:
        run.main(["n_seeds=2", *argv])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_duplicate_country_in_a_scenario_file(capsys, tmp_path: Path) -> None:
    text = (CONF_DIR / "scenario" / "asean_2022.yaml").read_text()
    dup = tmp_path / "dup.yaml"
    dup.write_text(text.replace("countries:\n", "countries:\n  SG:\n    name: Again\n", 1))
    _check_rejected(
        capsys,
        tmp_path / "out",
        ["scenario_file", "duplicate key 'SG'", "once"],
        [f"scenario_file={dup}"],
    )


@pytest.mark.slow  # a whole run, then two refused
def test_a_folder_holding_another_run_is_refused(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run.main([*SMALL, "strategy=none", f"hydra.run.dir={out}"])
    before = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    for argv in ([f"hydra.run.dir={out}", "budget=2"], [f"resume={out}", "budget=2"]):
        with pytest.raises(SystemExit) as exc:
            run.main([*SMALL, "strategy=none", *argv])
        assert exc.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "another configuration" in lines[-1], lines
    assert sorted(p.name for p in out.iterdir()) == before  # nothing touched


def test_multirun_config_is_shown_per_job(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run.main(["-m", "budget=1,2", "n_seeds=3", "--cfg", "job"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.count("# job ") == 2 and "budget: 2.0" in out


def test_config_command_help_and_unknown_name(capsys) -> None:
    from experiments.workflow import generate

    generate.main(["--help"])
    assert "usage: python -m experiments.config" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        generate.main(["rocket"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "config: unknown name 'rocket'; allowed: model" in lines[0]


@pytest.mark.parametrize("entry", ["votes", "validate"])
def test_vote_cuts_out_of_order_with_the_statements_are_refused(
    capsys, monkeypatch, tmp_path: Path, entry: str
) -> None:
    """Issue 19: the vote command and the validation check the store's vote cuts against
    the statements' (sim.observe.check_cut_order) when they load them. Within the
    documented ranges the order always holds (tests/test_observables.py), so the check is
    shown by moving the 'condemn' rung down to 2: a yes cut of 2.0 then lies above the
    lowest stance at which a statement names Russia."""
    import sim.observe

    main = importlib.import_module(f"experiments.{entry}").main
    out = tmp_path / "out"
    if entry == "votes":  # the composed rule, with a yes cut of 2.0
        monkeypatch.setattr(sim.observe, "CONDEMN_LEVEL", 2)
        argv, words = ["date=2022-03-02", "kind=principle", "rule.principle_yes=2.0"], "2.0"
    else:  # the store's rule (principle_yes 1.588) against a 'condemn' rung at 1
        monkeypatch.setattr(sim.observe, "CONDEMN_LEVEL", 1)
        argv, words = [f"report={tmp_path / 'v.md'}"], "vote_rule.principle_yes"
    with pytest.raises(SystemExit) as exc:
        main([*argv, f"hydra.run.dir={out}"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert words in lines[0] and "names Russia" in lines[0], lines
    assert not (tmp_path / "v.md").exists() and not out.exists()
