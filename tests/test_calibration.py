"""Calibration: the facts and patterns of 2022, the vote fit, and a tiny search."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from experiments.calibration.facts import (
    historical_calendar,
    historical_config,
    repeat_last_vote,
    resolutions,
)
from experiments.calibration.patterns import score
from experiments.calibration.results import installed_values, write_results
from experiments.calibration.search import SearchSettings, calibrate
from experiments.calibration.space import VOTE_PARAMS, parameter_space
from experiments.calibration.votefit import fit_vote_rule
from experiments.workflow import store
from experiments.workflow.paths import CALIBRATION_DIR
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
    table, summary = calibrate(SearchSettings(**TINY))
    assert set(table["wave"]) <= {1, 2, 3, 4} and {1, 2, 3} <= set(table["wave"])
    assert {"history_matching", "abc_smc"} <= set(table["stage"])
    # accepted sets are real: every pattern passed, and only final re-simulations count
    assert (table.loc[table["accepted"], "all_passed"] == 1).all()
    assert not table.loc[table["stage"] != "final", "accepted"].any()
    assert summary["n_accepted"] == int(table["accepted"].sum())
    assert summary["final"]["n_candidates"] == int((table["stage"] == "final").sum())
    write_results(table, summary, tmp_path)
    sets = store.load_accepted_sets(tmp_path)
    assert len(sets) == summary["n_accepted"]
    dims = {d.key: (d.low, d.high) for d in parameter_space(vote_params=())}
    votes = {d.key: (d.low, d.high) for d in parameter_space((), VOTE_PARAMS)}
    evaluated = pd.read_parquet(tmp_path / "evaluated.parquet")
    for _, row in evaluated.iterrows():  # the prior: every point within the ranges
        assert all(dims[k][0] <= row[k] <= dims[k][1] for k in dims)
        assert all(votes[k][0] <= row[k] <= votes[k][1] for k in votes)  # fitted cuts too
        params, rule = store.split_point(
            {k: row[k] for k in (*dims, *votes)}, store.load_model_params(), store.load_vote_rule()
        )
        assert isinstance(params, ModelParams) and isinstance(rule, VoteRule)
    saved = json.loads((tmp_path / "calibration.json").read_text())
    assert saved["n_accepted"] == len(sets) and set(saved["parameters"]) == set(dims)
    assert "model.mandate_compliance" not in saved["parameters"]
    if summary["installed"]:  # the chosen point is a row of accepted.parquet
        chosen = sets[summary["installed"]["accepted_set"]]
        assert chosen == summary["installed"]["point"]
    assert not (tmp_path / "installed.json").exists()  # written by the install step only
    again, _ = calibrate(SearchSettings(**TINY))
    assert np.allclose(again["distance"], table["distance"])  # seeded: reproducible


def test_fitted_vote_rule_reproduces_the_calibration_votes_it_can() -> None:
    config = historical_config()
    traj = simulate(config, replicate_seeds(11, 16))
    installed = store.load_vote_rule()
    fitted = fit_vote_rule(traj, config, installed)
    installed_hits = {r.name: r.simulated for r in score(traj, config, installed)}
    fitted_hits = {r.name: r.simulated for r in score(traj, config, fitted)}
    for res in resolutions():  # the fit never does worse than the installed rule on ES-11/1-3
        assert fitted_hits[f"votes_{res.name}"] >= installed_hits[f"votes_{res.name}"]
    assert fitted.noise == installed.noise


def test_mandate_compliance_cannot_be_calibrated() -> None:
    with pytest.raises(ValueError, match="mandate_compliance"):
        parameter_space(("mandate_compliance",))


def test_accepted_sets_pass_every_pattern() -> None:
    accepted = pd.read_parquet(CALIBRATION_DIR / "accepted.parquet")
    summary = json.loads((CALIBRATION_DIR / "calibration.json").read_text())
    assert len(accepted) == summary["n_accepted"]
    assert (accepted["stage"] == "final").all()
    assert (accepted["all_passed"] == 1).all()
    assert (accepted[[c for c in accepted.columns if c.startswith("pass.")]] == 1).all().all()


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.py"))
    }


@pytest.mark.slow
def test_calibrate_install_writes_the_yaml_store_only(tmp_path: Path, project_root: Path) -> None:
    """The entry point on a tiny budget, in a copy of the project, with install=true."""
    copy = tmp_path / "project"
    shutil.copytree(
        project_root,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "outputs", "multirun", "__pycache__", "*_cache", "*.egg-info"
        ),
    )
    model_file, vote_file = copy / "conf/model/default.yaml", copy / "conf/vote_rule/default.yaml"
    off_grid = {"principle_yes": 2.123, "principle_no": 0.123, "punitive_yes": 3.123}
    store.write_store(store.VOTE_RULE, off_grid, vote_file)  # the fit must replace these
    model_before = store.read_store(store.MODEL, model_file)
    vote_before = store.read_store(store.VOTE_RULE, vote_file)
    digests = _digests(copy)
    original = {p: p.read_text() for p in (store.MODEL.path, store.VOTE_RULE.path)}
    searched = yaml.safe_load((copy / "conf/calibrate.yaml").read_text())["model_params"]
    start = ",".join(f"{k}:{model_before[k]!r}" for k in searched)  # a passing point
    settings = [f"{k}={v}" for k, v in TINY.items()]
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.calibrate", *settings, f"start={{{start}}}"]
        + ["install=true", "sample_priors=false", "votes.seeds=16", "votes.set_seeds=4"]
        + [f"hydra.run.dir={run}"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert _digests(copy) == digests  # no Python file was edited
    summary = json.loads((copy / "data/calibration/calibration.json").read_text())
    values = installed_values(summary)
    assert set(values["model"]) == set(searched)  # the searched parameters (conf)
    model_after = store.read_store(store.MODEL, model_file)
    assert model_after == {**model_before, **values["model"]}  # unsearched values kept
    vote_after = store.read_store(store.VOTE_RULE, vote_file)
    assert vote_after == {**vote_before, **values["votes"]}
    record = json.loads((copy / "data/calibration/votes_loo.json").read_text())
    assert vote_after["noise"] == record["noise"] in record["noise_grid"]  # chosen by LOO
    assert values["votes"] == {k: float(f"{v:.4g}") for k, v in record["rule"].items()}
    assert all(vote_after[k] != v for k, v in off_grid.items())  # fitted cut points installed
    for chosen, path in ((store.MODEL, model_file), (store.VOTE_RULE, vote_file)):
        assert path.read_text() == store.render_store(chosen, store.read_store(chosen, path))
    provenance = json.loads((copy / "data/calibration/installed.json").read_text())
    assert provenance["calibration_run"] == str(run.resolve())  # outside the copy
    assert provenance["stores"] == ["conf/model/default.yaml", "conf/vote_rule/default.yaml"]
    assert provenance["vote_rule"]["record"] == "data/calibration/votes_loo.json"
    rows = pq.read_table(copy / provenance["accepted_file"]).to_pylist()
    row = rows[provenance["accepted_set"]]
    assert {k: row[k] for k in summary["installed"]["point"]} == summary["installed"]["point"]
    assert (run / "calibration.json").exists() and not (run / "installed.json").exists()
    assert (run / "votes_loo.json").exists()
    assert {p: p.read_text() for p in original} == original  # this project's store untouched
