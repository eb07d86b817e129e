"""Sealed vote forecasts: frozen, refused when edited, scored against a user's votes file.

Every votes file here is made up for the test (synthetic), never a real UN vote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.facts import ASEAN_2022
from experiments.calibration.votebaselines import scores
from experiments.calibration.votenestedreport import load_bound
from experiments.calibration.votes import main
from experiments.calibration.votesealed import FORECAST_FILE, freeze, load_sealed
from sim.votes import VOTES

ROOT = Path(__file__).resolve().parents[1]


def _table(seed: int = 0) -> pd.DataFrame:
    """Made-up model probabilities for the ten members."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(3), size=len(ASEAN_2022))
    return pd.DataFrame(
        {"country": list(ASEAN_2022), "p_yes": p[:, 0], "p_abstain": p[:, 1], "p_no": p[:, 2]}
    )


def _synthetic_votes(path: Path) -> np.ndarray:
    """A made-up votes file (alternating yes/abstain/no; not any real vote)."""
    codes = ["Y", "A", "N"]
    votes = [codes[i % 3] for i in range(len(ASEAN_2022))]
    pd.DataFrame({"country": list(ASEAN_2022), "vote": votes}).to_csv(path, index=False)
    return np.array([i % 3 for i in range(len(ASEAN_2022))])


def test_a_forecast_edited_after_freezing_is_refused(tmp_path: Path, capsys) -> None:
    path = freeze(_table(), "2023-01-15", "principle", {"n_seeds": 4}, tmp_path)
    assert path.name == FORECAST_FILE
    votes = tmp_path / "synthetic_votes.csv"
    _synthetic_votes(votes)
    sealed = json.loads(path.read_text())
    sealed["forecast"]["model"]["probabilities"]["SG"]["yes"] = 0.999  # one probability
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(sealed))
    with pytest.raises(SystemExit) as exc:
        main(["score", f"forecast={edited}", f"votes={votes}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "edited after freezing" in err
    main(["score", f"forecast={path}", f"votes={votes}"])  # the untouched file is scored
    assert "model" in capsys.readouterr().out


def test_score_reports_the_model_and_every_baseline_on_a_synthetic_vote(tmp_path: Path) -> None:
    table = _table(1)
    path = freeze(table, "2023-01-15", "punitive", {"n_seeds": 4}, tmp_path)
    votes = tmp_path / "synthetic_votes.csv"
    actual = _synthetic_votes(votes)
    out = subprocess.run(
        [sys.executable, "-m", "experiments.votes", "score", f"forecast={path}", f"votes={votes}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    forecast = load_sealed(path)
    assert set(forecast["baselines"]) == {
        "uniform",
        "majority",
        "persistence",
        "repeat_last_smoothed",
    }
    expected = scores(table[["p_yes", "p_abstain", "p_no"]].to_numpy(), actual)
    model_line = next(line for line in lines if line.startswith("model "))
    assert f"{expected['log_loss']:.3f}" in model_line
    assert f"{expected['brier']:.3f}" in model_line
    uniform_line = next(line for line in lines if line.startswith("uniform"))
    assert f"{np.log(3):.3f}" in uniform_line  # 1/3 on every vote: log 3 nats
    # persistence for a punitive text: one step below each member's ES-11/2 vote
    persistence = forecast["baselines"]["persistence"]["probabilities"]
    assert max(persistence["BN"], key=persistence["BN"].get) == "abstain"  # BN: yes on ES-11/2
    assert max(persistence["VN"], key=persistence["VN"].get) == "no"  # VN: abstain on ES-11/2


def test_score_rejects_a_votes_file_missing_a_member(tmp_path: Path, capsys) -> None:
    path = freeze(_table(), "2023-01-15", "principle", {}, tmp_path)
    votes = tmp_path / "short.csv"
    pd.DataFrame({"country": ["SG"], "vote": ["Y"]}).to_csv(votes, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["score", f"forecast={path}", f"votes={votes}"])
    assert exc.value.code == 2
    assert "missing members" in capsys.readouterr().err


@pytest.mark.slow  # a whole forecast through the command line
def test_votes_cli_writes_a_sealed_forecast(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.votes",
            "date=2022-09-01",
            "kind=punitive",
            "features.names_russia=false",
            "features.reparations=true",
            "n_seeds=2",
            "propagate_uncertainty=false",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    forecast = load_sealed(tmp_path / FORECAST_FILE)
    table = pd.read_csv(tmp_path / "votes.csv")
    got = [forecast["model"]["probabilities"][c]["yes"] for c in table["country"]]
    assert np.allclose(got, table["p_yes"], atol=1e-4)
    bound = load_bound(ROOT / "data" / "calibration")
    assert forecast["model"]["confidence_bound"] == bound
    cells = forecast["model"]["probabilities"].values()
    assert max(p for cell in cells for p in cell.values()) <= bound + 1e-12
    assert forecast["resolution"] == {
        "date": "2022-09-01",
        "kind": "punitive",
        "features": {
            "territorial_integrity": 0,
            "names_russia": 0,
            "human_rights": 1,
            "suspension_from_body": 1,
            "reparations": 1,
            "peace_terms": 0,
        },
    }
    assert forecast["data_sha256"]["data/asean_2022.yaml"]
    assert forecast["votes"] == list(VOTES)
