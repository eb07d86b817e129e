"""Calibration targets (experiments.patterns) and a tiny calibration run."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.calibrate import (
    MODEL_CONF_FILE,
    PARAMS_FILE,
    VOTE_PARAMS,
    VOTES_FILE,
    calibrate,
    fit_vote_rule,
    install,
    installed_values,
    parameter_space,
    write_results,
)
from experiments.calibration.patterns import (
    historical_calendar,
    historical_config,
    repeat_last_vote,
    resolutions,
    score,
)
from experiments.workflow.generate import render_model_defaults
from experiments.workflow.paths import CALIBRATION_DIR
from experiments.workflow.store import load_accepted_sets, split_point
from sim.engine import simulate
from sim.params import ModelParams
from sim.rng import replicate_seeds
from sim.votes import VoteRule


def test_only_the_three_calibration_votes_are_encoded() -> None:
    res = resolutions()
    assert [r.name for r in res] == ["ES-11/1", "ES-11/2", "ES-11/3"]
    assert max(r.date for r in res) <= dt.date(2022, 4, 7)
    assert [r.kind for r in res] == ["principle", "principle", "punitive"]
    assert res[2].votes["VN"] == "no" and res[2].votes["MM"] == "yes"
    assert sum(v == "yes" for v in res[0].votes.values()) == 8


def test_historical_calendar_has_japans_meetings() -> None:
    cal = historical_calendar()
    visits = {(e.country, e.date) for e in cal.events if e.kind == "japan_visit"}
    assert ("KH", dt.date(2022, 3, 20)) in visits and ("SG", dt.date(2022, 5, 26)) in visits
    assert any(e.kind == "institution" and e.name == "unga" for e in cal.events)


def test_repeat_last_vote_baseline() -> None:
    first, second, third = resolutions()
    assert set(repeat_last_vote(first, resolutions()).values()) == {"abstain"}
    assert repeat_last_vote(second, resolutions()) == dict(first.votes)
    assert repeat_last_vote(third, resolutions()) == dict(second.votes)  # first punitive


TINY = dict(
    n_samples=8,
    n_seeds=3,
    seed=7,
    population=4,
    generations=2,
    proposals=5,
    smc_seeds=3,
    final_max=3,
    final_seeds=3,
    check_seeds=3,
)


def test_tiny_calibration_writes_a_well_formed_accepted_set(tmp_path: Path) -> None:
    table, summary = calibrate(**TINY)
    assert set(table["wave"]) <= {1, 2, 3, 4} and {1, 2, 3} <= set(table["wave"])
    assert {"history_matching", "abc_smc"} <= set(table["stage"])
    # accepted sets are real: every pattern passed, and only final re-simulations count
    assert (table.loc[table["accepted"], "all_passed"] == 1).all()
    assert not table.loc[table["stage"] != "final", "accepted"].any()
    assert summary["n_accepted"] == int(table["accepted"].sum())
    assert summary["final"]["n_candidates"] == int((table["stage"] == "final").sum())
    write_results(table, summary, tmp_path)
    sets = load_accepted_sets(tmp_path)
    assert len(sets) == summary["n_accepted"]
    dims = {d.key: (d.low, d.high) for d in parameter_space(vote_params=())}
    votes = {d.key: (d.low, d.high) for d in parameter_space((), VOTE_PARAMS)}
    evaluated = pd.read_parquet(tmp_path / "evaluated.parquet")
    for _, row in evaluated.iterrows():  # the prior: every point within the ranges
        assert all(dims[k][0] <= row[k] <= dims[k][1] for k in dims)
        assert all(votes[k][0] <= row[k] <= votes[k][1] for k in votes)  # fitted cuts too
        params, rule = split_point({k: row[k] for k in (*dims, *votes)}, ModelParams(), VoteRule())
        assert isinstance(params, ModelParams) and isinstance(rule, VoteRule)
    saved = json.loads((tmp_path / "calibration.json").read_text())
    assert saved["n_accepted"] == len(sets) and set(saved["parameters"]) == set(dims)
    assert "model.mandate_compliance" not in saved["parameters"]
    assert (tmp_path / "installed.json").exists() == bool(summary["installed"])
    again, _ = calibrate(**TINY)
    assert np.allclose(again["distance"], table["distance"])  # seeded: reproducible


def test_fitted_vote_rule_reproduces_the_calibration_votes_it_can() -> None:
    config = historical_config()
    traj = simulate(config, replicate_seeds(11, 16))
    fitted = fit_vote_rule(traj, config)
    default_hits = {r.name: r.simulated for r in score(traj, config, VoteRule())}
    fitted_hits = {r.name: r.simulated for r in score(traj, config, fitted)}
    for res in resolutions():  # the fit never does worse than the defaults on ES-11/1-3
        assert fitted_hits[f"votes_{res.name}"] >= default_hits[f"votes_{res.name}"]
    assert fitted.noise == VoteRule().noise


def test_mandate_compliance_cannot_be_calibrated() -> None:
    with pytest.raises(ValueError, match="mandate_compliance"):
        parameter_space(("mandate_compliance",))


def test_installed_defaults_equal_the_calibration() -> None:
    """sim/params.py and sim/votes.py defaults are the installed calibrated point."""
    installed = json.loads((CALIBRATION_DIR / "installed.json").read_text())
    params, rule = ModelParams(), VoteRule()
    for name, value in installed["model"].items():
        assert getattr(params, name) == pytest.approx(value, rel=1e-12), name
    for name, value in installed["votes"].items():
        assert getattr(rule, name) == pytest.approx(value, rel=1e-12), name
    assert ModelParams().mandate_compliance == 8.0  # not calibrated (no UNSC mandate in 2022)
    summary = json.loads((CALIBRATION_DIR / "calibration.json").read_text())
    assert installed_values(summary) == {k: installed[k] for k in ("model", "votes")}


def test_accepted_sets_pass_every_pattern() -> None:
    accepted = pd.read_parquet(CALIBRATION_DIR / "accepted.parquet")
    summary = json.loads((CALIBRATION_DIR / "calibration.json").read_text())
    assert len(accepted) == summary["n_accepted"]
    assert (accepted["stage"] == "final").all()
    assert (accepted["all_passed"] == 1).all()
    assert (accepted[[c for c in accepted.columns if c.startswith("pass.")]] == 1).all().all()


def test_model_defaults_config_is_rendered_from_the_code() -> None:
    assert MODEL_CONF_FILE.read_text() == render_model_defaults()


def test_install_rewrites_defaults_files(tmp_path: Path) -> None:
    params_file, votes_file = tmp_path / "params.py", tmp_path / "votes.py"
    params_file.write_text(PARAMS_FILE.read_text())
    votes_file.write_text(VOTES_FILE.read_text())
    install(
        {"model": {"shock_sd": 0.123}, "votes": {"noise": 0.456}},
        params_file=params_file,
        votes_file=votes_file,
        model_conf=None,
    )
    assert re.search(r"\n    shock_sd: float = param\(\s*0\.123,", params_file.read_text())
    assert re.search(r"\n    noise: float = _param\(\s*0\.456,", votes_file.read_text())
    with pytest.raises(ValueError, match="nonexistent"):
        install(
            {"model": {"nonexistent": 1.0}},
            params_file=params_file,
            votes_file=votes_file,
            model_conf=None,
        )
