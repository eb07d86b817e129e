"""Robustness measures on a hand-made outcome table, every expected number written by hand.

Four points, three strategies. ``adopters`` (members sanctioning, higher is better, target
>= 2) and ``leakage`` (USD bn/yr, lower is better, target <= 9):

    point  strategy  adopters  leakage
    0      none      1         10
    0      visits    2          8
    0      aid       1         12
    1      none      1         10
    1      visits    1          9
    1      aid       3          7
    2      none      2          6
    2      visits    2          6
    2      aid       1          5
    3      none      0         11
    3      visits    1         10
    3      aid       2         11.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.robustness import (
    Outcome,
    beat_probability,
    cluster_bootstrap_interval,
    distribution_summary,
    outcomes_from_dict,
    point_means,
    regret_summary,
    regret_table,
    robustness_summary,
    satisficing,
    wilson_interval,
)

OUTCOMES = [
    Outcome("adopters", "higher", target=2),
    Outcome("leakage", "lower", target=9, unit="USD bn/yr"),
]


@pytest.fixture
def points() -> pd.DataFrame:
    rows = [
        (0, "none", 1, 10.0),
        (0, "visits", 2, 8.0),
        (0, "aid", 1, 12.0),
        (1, "none", 1, 10.0),
        (1, "visits", 1, 9.0),
        (1, "aid", 3, 7.0),
        (2, "none", 2, 6.0),
        (2, "visits", 2, 6.0),
        (2, "aid", 1, 5.0),
        (3, "none", 0, 11.0),
        (3, "visits", 1, 10.0),
        (3, "aid", 2, 11.5),
    ]
    return pd.DataFrame(rows, columns=["point", "strategy", "adopters", "leakage"])


def _row(table: pd.DataFrame, strategy: str, outcome: str) -> pd.Series:
    match = table[(table["strategy"] == strategy) & (table["outcome"] == outcome)]
    assert len(match) == 1
    return match.iloc[0]


def test_regret_by_hand(points: pd.DataFrame) -> None:
    table = regret_table(points, OUTCOMES)
    adopters = table[table["outcome"] == "adopters"]
    # best adopters per point: 2, 3, 2, 2
    assert adopters.groupby("point")["best"].first().tolist() == [2, 3, 2, 2]
    none = adopters[adopters["strategy"] == "none"].sort_values("point")
    assert none["regret"].tolist() == [1, 2, 0, 2]
    leakage = table[(table["outcome"] == "leakage") & (table["strategy"] == "aid")]
    # best leakage per point: 8, 7, 5, 10 -> aid's regret 12-8, 0, 0, 11.5-10
    assert leakage.sort_values("point")["regret"].tolist() == [4.0, 0.0, 0.0, 1.5]

    summary = regret_summary(points, OUTCOMES)
    expected = {
        ("none", "adopters"): (1.25, 2, 0.25),
        ("visits", "adopters"): (0.75, 2, 0.50),
        ("aid", "adopters"): (0.50, 1, 0.50),
        ("none", "leakage"): (1.75, 3, 0.0),
        ("visits", "leakage"): (0.75, 2, 0.50),
        ("aid", "leakage"): (1.375, 4, 0.50),
    }
    for (strategy, outcome), (mean, worst, best_share) in expected.items():
        row = _row(summary, strategy, outcome)
        assert row["mean_regret"] == pytest.approx(mean)
        assert row["max_regret"] == pytest.approx(worst)
        assert row["share_best"] == pytest.approx(best_share)


def test_beat_none_on_points_by_hand(points: pd.DataFrame) -> None:
    table = beat_probability(points, OUTCOMES)
    assert set(table["strategy"]) == {"visits", "aid"}
    # adopters, visits vs none: 2>1, 1=1, 2=2, 1>0 -> 2 better, 2 tied of 4
    row = _row(table, "visits", "adopters")
    assert (row["n_pairs"], row["n_better"], row["n_tied"]) == (4, 2, 2)
    assert row["p_better"] == 0.5
    assert row["interval"] == "wilson" and row["pairing"] == "point"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.15004, 0.84996), abs=1e-4)
    # adopters, aid: 1=1, 3>1, 1<2, 2>0 -> 2 better, 1 tied
    row = _row(table, "aid", "adopters")
    assert (row["n_better"], row["n_tied"], row["p_better"]) == (2, 1, 0.5)
    # leakage (lower is better), visits: 8<10, 9<10, 6=6, 10<11 -> 3 better, 1 tied
    row = _row(table, "visits", "leakage")
    assert (row["n_better"], row["n_tied"], row["p_better"]) == (3, 1, 0.75)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.30064, 0.95441), abs=1e-4)
    # leakage, aid: 12>10, 7<10, 5<6, 11.5>11 -> 2 better, no tie
    row = _row(table, "aid", "leakage")
    assert (row["n_better"], row["n_tied"], row["p_better"]) == (2, 0, 0.5)


def test_beat_reference_other_than_none(points: pd.DataFrame) -> None:
    table = beat_probability(points, OUTCOMES[:1], reference="visits")
    # adopters, aid vs visits: 1<2, 3>1, 1<2, 2>1 -> 2 of 4; none vs visits: never better
    assert _row(table, "aid", "adopters")["p_better"] == 0.5
    assert _row(table, "none", "adopters")["p_better"] == 0.0


def test_beat_none_paired_on_seeds_by_hand() -> None:
    # point 0: none seeds (1, 3), visits (2, 2): seed pairs better, worse; means tie (2 = 2)
    # point 1: none (0, 0), visits (1, 1): both seeds better; means 1 > 0
    per_seed = pd.DataFrame(
        {
            "point": [0, 0, 0, 0, 1, 1, 1, 1],
            "seed": [7, 8, 7, 8, 7, 8, 7, 8],
            "strategy": ["none", "none", "visits", "visits"] * 2,
            "adopters": [1, 3, 2, 2, 0, 0, 1, 1],
        }
    )
    outcomes = [Outcome("adopters", "higher")]
    points = point_means(per_seed, outcomes)
    assert points["adopters"].tolist() == [2.0, 2.0, 0.0, 1.0]
    assert points["n_seeds"].tolist() == [2, 2, 2, 2]
    on_points = _row(beat_probability(points, outcomes), "visits", "adopters")
    assert (on_points["n_pairs"], on_points["n_better"], on_points["n_tied"]) == (2, 1, 1)
    on_seeds = _row(beat_probability(points, outcomes, per_seed=per_seed), "visits", "adopters")
    assert on_seeds["pairing"] == "point x seed" and on_seeds["interval"] == "bootstrap"
    assert (on_seeds["n_pairs"], on_seeds["n_better"], on_seeds["n_tied"]) == (4, 3, 0)
    assert on_seeds["p_better"] == 0.75
    # resampling points: shares 1/2 (point 0 twice), 3/4, 1 (point 1 twice)
    assert 0.5 <= on_seeds["ci_low"] <= 0.75 <= on_seeds["ci_high"] <= 1.0


def test_cluster_bootstrap_does_not_count_seeds_as_independent() -> None:
    # every point has exactly 1 of 2 seed pairs better: resampling points cannot move 0.5
    low, high = cluster_bootstrap_interval(np.ones(10), np.full(10, 2), n_boot=500, seed=1)
    assert (low, high) == (0.5, 0.5)
    a = cluster_bootstrap_interval(np.array([0, 1, 2, 2]), np.full(4, 2), seed=3)
    assert a == cluster_bootstrap_interval(np.array([0, 1, 2, 2]), np.full(4, 2), seed=3)


def test_wilson_edges() -> None:
    assert wilson_interval(0, 4) == pytest.approx((0.0, 0.48989), abs=1e-4)
    assert wilson_interval(4, 4) == pytest.approx((0.51011, 1.0), abs=1e-4)


def test_distribution_and_satisficing_by_hand(points: pd.DataFrame) -> None:
    dist = distribution_summary(points, OUTCOMES)
    row = _row(dist, "aid", "leakage")  # values 12, 7, 5, 11.5
    assert row["mean"] == pytest.approx(8.875)
    assert row["p50"] == pytest.approx(9.25)
    # numpy linear interpolation: 5th percentile at rank 0.15 -> 5 + 0.15 * (7 - 5)
    assert row["p05"] == pytest.approx(5.3)
    assert row["p95"] == pytest.approx(11.5 + 0.85 * 0.5)

    meet = satisficing(points, OUTCOMES)
    expected = {
        ("none", "adopters"): 0.25,
        ("visits", "adopters"): 0.5,
        ("aid", "adopters"): 0.5,
        ("none", "leakage"): 0.25,
        ("visits", "leakage"): 0.75,
        ("aid", "leakage"): 0.5,
    }
    for (strategy, outcome), share in expected.items():
        assert _row(meet, strategy, outcome)["share_meeting"] == share


def test_summary_joins_every_measure(points: pd.DataFrame) -> None:
    summary = robustness_summary(points, OUTCOMES)
    assert len(summary) == 6
    assert {"p05", "p_better", "ci_low", "mean_regret", "share_meeting"} <= set(summary.columns)
    assert np.isnan(_row(summary, "none", "adopters")["p_better"])
    assert _row(summary, "visits", "leakage")["mean_regret"] == pytest.approx(0.75)


def test_satisficing_without_targets_is_empty(points: pd.DataFrame) -> None:
    assert satisficing(points, [Outcome("adopters", "higher")]).empty


def test_bad_tables_are_refused(points: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unbalanced"):
        regret_table(points.iloc[:-1], OUTCOMES)
    with pytest.raises(ValueError, match="repeated"):
        regret_table(pd.concat([points, points.iloc[:1]]), OUTCOMES)
    with pytest.raises(ValueError, match="lacks columns"):
        regret_table(points, [Outcome("welfare", "higher")])
    with pytest.raises(ValueError, match="reference strategy"):
        beat_probability(points, OUTCOMES, reference="sanctions")
    with pytest.raises(ValueError, match="direction"):
        outcomes_from_dict({"leakage": {"direction": "down"}})
    with pytest.raises(ValueError, match="unknown"):
        outcomes_from_dict({"leakage": {"direction": "lower", "threshold": 3}})


def test_categorical_strategy_column_keeps_its_order(points: pd.DataFrame) -> None:
    points = points.assign(
        strategy=pd.Categorical(points["strategy"], categories=["aid", "none", "visits"])
    )
    assert distribution_summary(points, OUTCOMES)["strategy"].tolist()[:3] == [
        "aid",
        "none",
        "visits",
    ]
