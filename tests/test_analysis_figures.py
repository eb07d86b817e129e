"""Figures: built without pyplot, labelled, and drawing the numbers they are given."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from experiments.analysis import figures
from experiments.analysis.discovery import discover
from experiments.analysis.robustness import Outcome, regret_summary

OUTCOMES = [
    Outcome("n_sanctioning", "higher", target=2, unit="members", label="Members sanctioning"),
    Outcome("leakage", "lower", unit="USD bn/yr"),
]


@pytest.fixture
def points() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = [
        (p, s, rng.uniform(0, 3) + lift, rng.uniform(5, 12) - lift)
        for p in range(30)
        for s, lift in (("none", 0.0), ("visits", 0.5), ("aid", 1.0))
    ]
    return pd.DataFrame(rows, columns=["point", "strategy", "n_sanctioning", "leakage"])


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "library figures must not live in pyplot's state"


@pytest.mark.parametrize("kind", ["box", "violin"])
def test_outcome_distributions(points: pd.DataFrame, kind: str, tmp_path: Path) -> None:
    fig = figures.outcome_distributions(points, OUTCOMES, kind=kind)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    left, right = fig.axes
    assert left.get_ylabel() == "Members sanctioning (members)"
    assert right.get_ylabel() == "leakage (USD bn/yr)"
    assert [t.get_text() for t in left.get_xticklabels()] == ["none", "visits", "aid"]
    assert "target >= 2" in left.get_title() and "lower is better" in right.get_title()
    assert "30 plausible worlds" in fig.get_suptitle()
    assert left.get_legend() is None
    fig.savefig(tmp_path / "distributions.png")
    assert (tmp_path / "distributions.png").stat().st_size > 0


def test_regret_chart_draws_mean_regret(points: pd.DataFrame) -> None:
    regret = regret_summary(points, OUTCOMES)
    fig = figures.regret_chart(regret, OUTCOMES)
    ax = fig.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    expected = regret[regret["outcome"] == "n_sanctioning"]["mean_regret"].tolist()
    assert widths == pytest.approx(expected)
    assert ax.get_xlabel() == "regret (members)"


def test_morris_and_sobol_charts() -> None:
    morris = pd.DataFrame(
        {
            "dimension": ["budget", "peer_weight", "reactance"],
            "mu": [2.0, -1.0, 0.1],
            "mu_star": [2.0, 1.0, 0.1],
            "mu_star_conf": [0.2, 0.1, 0.05],
            "sigma": [0.5, 0.8, 0.0],
            "rank": [1, 2, 3],
        }
    )
    fig = figures.morris_chart(morris, OUTCOMES[0], labels={"budget": "Outreach budget"})
    bars = fig.axes[0]
    assert [t.get_text() for t in bars.get_yticklabels()] == [
        "Outreach budget",
        "peer_weight",
        "reactance",
    ]
    assert [p.get_width() for p in bars.patches] == pytest.approx([2.0, 1.0, 0.1])
    assert "(members)" in bars.get_xlabel()

    indices = pd.DataFrame(
        {
            "dimension": ["a", "b"],
            "S1": [0.1, 0.6],
            "S1_conf": [0.05, 0.05],
            "ST": [0.3, 0.65],
            "ST_conf": [0.05, 0.05],
        }
    )
    fig = figures.sobol_chart(indices, OUTCOMES[1])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]  # sorted by ST
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx([0.1, 0.3, 0.6, 0.65])
    assert "sum of S1 = 0.70" in ax.get_title()


def test_prim_figures_with_and_without_box() -> None:
    rng = np.random.default_rng(2)
    inputs = pd.DataFrame(rng.uniform(size=(600, 3)), columns=["a", "b", "c"])
    cases = (inputs["a"] < 0.3).to_numpy()
    result = discover(inputs, cases, min_density=0.95)
    fig = figures.prim_tradeoff(result)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("coverage") and ax.get_ylabel().startswith("density")
    fig = figures.prim_limits(result)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a"]
    assert f"coverage {result.coverage:.2f}" in ax.get_title()

    none = discover(inputs, np.zeros(600, dtype=bool))
    for draw in (figures.prim_tradeoff, figures.prim_limits):
        texts = [t.get_text() for t in draw(none).axes[0].texts]
        assert any("no case of interest" in t for t in texts)
