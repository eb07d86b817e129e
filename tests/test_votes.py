"""Vote rule (sim.votes) and the votes CLI (experiments.votes)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.votenestedreport import load_bound
from experiments.workflow.paths import ROOT
from sim.votes import VOTES, VoteRule, modal_vote, vote_probabilities, vote_shares

STANCES = np.linspace(0.0, 4.99, 200)
RULE = VoteRule(
    principle_yes=1.9,
    principle_no=0.1,
    punitive_yes=1.45,
    punitive_no=1.45,
    legalism_shift=6.0,
    noise=0.1,
)
"""A hand-made rule for the mechanism tests (every field given: no dataclass default)."""


@pytest.mark.parametrize("kind", ["principle", "punitive"])
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_probabilities_sum_to_one_and_are_monotone_in_stance(kind: str, noise: float) -> None:
    rule = replace(RULE, noise=noise)
    p = vote_probabilities(
        STANCES[None, :], kind, np.full((1, 200), 0.4), np.full((1, 200), np.nan), rule
    )[0]
    assert np.allclose(p.sum(axis=-1), 1.0)
    assert (p >= 0).all()
    assert (np.diff(p[:, 0]) >= -1e-12).all()  # yes never falls as stance rises
    assert (np.diff(p[:, 2]) <= 1e-12).all()  # no never rises
    assert p[0, 2] > 0.5 and p[-1, 0] > 0.5 or kind == "punitive"


def test_deterministic_rule_uses_cut_points() -> None:
    rule = replace(RULE, principle_yes=1.5, principle_no=0.5, noise=0.0)
    p = vote_probabilities(
        np.array([[0.2, 1.0, 2.0]]), "principle", np.zeros((1, 3)), np.full((1, 3), np.nan), rule
    )
    assert modal_vote(p[0]) == ["no", "abstain", "yes"]


def test_un_legalism_lowers_yes_on_punitive_votes_only() -> None:
    rule = replace(RULE, noise=0.0)
    stance = np.full((1, 2), 3.0)
    legalism = np.array([[0.0, 1.0]])
    seat = np.full((1, 2), np.nan)
    pun = vote_probabilities(stance, "punitive", legalism, seat, rule)[0]
    pri = vote_probabilities(stance, "principle", legalism, seat, rule)[0]
    assert pun[0, 0] == 1.0 and pun[1, 1] == 1.0  # the legalist abstains, does not vote no
    assert (pri[:, 0] == 1.0).all()


def test_myanmar_votes_with_its_un_seat_not_the_junta() -> None:
    stance = np.array([[0.2, 0.2]])  # both governments near 'oppose'
    seat = np.array([[3.5, np.nan]])  # the first has a UN seat stance (Myanmar 2022)
    rule = replace(RULE, principle_yes=1.5, principle_no=0.5, noise=0.0)
    p = vote_probabilities(stance, "principle", np.zeros((1, 2)), seat, rule)
    assert modal_vote(vote_shares(p)) == ["yes", "no"]


def test_bad_rule_is_rejected_with_the_key() -> None:
    with pytest.raises(ValueError, match="votes.noise"):
        replace(RULE, noise=-1.0)
    with pytest.raises(ValueError, match="votes.principle_no"):
        replace(RULE, principle_yes=1.0, principle_no=1.4)
    with pytest.raises(ValueError, match="kind"):
        RULE.cuts("sanction", np.zeros(2))


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.votes", *args, f"hydra.run.dir={tmp_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_votes_cli_writes_one_row_per_member(tmp_path: Path) -> None:
    out = _run_cli(tmp_path, "date=2022-03-24", "kind=principle", "n_seeds=4")
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(tmp_path / "votes.csv")
    assert list(table.columns) == ["country", "p_yes", "p_abstain", "p_no"]
    assert sorted(table["country"]) == sorted(
        ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"]
    )
    assert np.allclose(table[[f"p_{v}" for v in VOTES]].sum(axis=1), 1.0, atol=1e-3)


@pytest.mark.slow
def test_votes_cli_extends_the_horizon_beyond_the_calendar(tmp_path: Path) -> None:
    out = _run_cli(tmp_path, "date=2023-06-01", "kind=punitive", "n_seeds=2")
    assert out.returncode == 0, out.stderr
    assert len(pd.read_csv(tmp_path / "votes.csv")) == 10


@pytest.mark.parametrize(
    "date",
    [pytest.param(d, marks=pytest.mark.slow) for d in ("2022-02-01", "2022-13-40")] + ["soon"],
)  # a process each; in-process date checks: tests/test_bad_input.py ENTRY_CASES
def test_votes_cli_rejects_a_bad_date_in_one_line(tmp_path: Path, date: str) -> None:
    out = _run_cli(tmp_path, f"date={date}", "kind=principle", "n_seeds=2")
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "date" in lines[0]
    assert not (tmp_path / "votes.csv").exists()


@pytest.mark.slow  # a process; in process: tests/test_bad_input.py ENTRY_CASES (quick loop)
def test_votes_cli_rejects_an_unknown_kind(tmp_path: Path) -> None:
    out = _run_cli(tmp_path, "date=2022-03-24", "kind=sanction", "n_seeds=2")
    assert out.returncode == 2 and "kind" in out.stderr and "punitive" in out.stderr


def test_votes_rule_override_is_checked_by_sim(capsys, tmp_path: Path) -> None:
    from experiments.calibration.votes import main

    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["date=2022-03-24", "kind=principle", "rule.noise=5", f"hydra.run.dir={out}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: rule.noise: must be a number in [0.0, 1.0], got 5.0"]
    assert not out.exists()


def test_vote_dates_are_bounded_to_two_years_after_the_calendar_start() -> None:
    import datetime as dt

    from experiments.calibration.votes import latest_date, parse_date
    from experiments.workflow.errors import ConfigError

    start = dt.date(2022, 2, 24)
    assert parse_date("2024-02-24", start) == dt.date(2024, 2, 24)
    assert parse_date("2022-02-24", start) == start
    for late in ("2024-02-25", "2030-01-01"):
        with pytest.raises(ConfigError, match=r"^date: must be in \[2022-02-24, 2024-02-24\]"):
            parse_date(late, start)
    with pytest.raises(ConfigError, match=r"^date: must be in \[2022-02-24, 2024-02-24\]"):
        parse_date("2022-02-23", start)
    assert latest_date(dt.date(2024, 2, 29)) == dt.date(2026, 2, 28)


@pytest.mark.slow
def test_votes_cli_propagates_uncertainty_with_the_vote_record(tmp_path: Path) -> None:
    out = _run_cli(
        tmp_path, "date=2022-09-01", "kind=punitive", "n_seeds=12", "propagate_uncertainty=false"
    )
    assert out.returncode == 0, out.stderr
    point = pd.read_csv(tmp_path / "votes.csv")
    spread = tmp_path / "spread"
    out = _run_cli(
        spread, "date=2022-09-01", "kind=punitive", "n_seeds=12", "propagate_uncertainty=true"
    )
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(spread / "votes.csv")
    assert list(table["country"]) == list(point["country"])
    assert np.allclose(table[[f"p_{v}" for v in VOTES]].sum(axis=1), 1.0, atol=1e-3)
    assert not np.allclose(table["p_yes"], point["p_yes"])  # other sets, other cut points
    bound = load_bound(ROOT / "data" / "calibration")  # the shipped forecast: within it
    for t in (point, table):
        assert t[[f"p_{v}" for v in VOTES]].to_numpy().max() <= bound + 1e-4  # 4 decimals
