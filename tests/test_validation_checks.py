"""Issue 19 checks of the validation report: parameters at an end of their range, peer
spillover at named points, co-movement against the record, mechanisms that show zero."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from experiments.calibration import comovement, edges
from experiments.calibration.facts import ASEAN_2022, historical_config
from experiments.calibration.identification import Identification, load_identification
from experiments.calibration.model_report import mechanism_markdown
from experiments.calibration.observables_report import (
    spillover_points,
    spillover_range_markdown,
)
from experiments.workflow.paths import ROOT


def _row(name: str, lo: float, hi: float, med: float, status: str = "identified"):
    return Identification(name, lo, hi, med, lo, hi, 0.1, status)


def test_every_parameter_at_an_edge_has_a_reason_or_is_probed() -> None:
    """The rule: no calibrated parameter at an end of its range without a recorded reason
    (structural) or, at an upper end, a computed probe past the bound."""
    found = edges.edges(load_identification())
    assert found, "the accepted sets press on some bound (docs/validation.md)"
    for e in found:
        assert e.reason is not None or e.end == "high", (e.row.name, e.end)
    text = edges.edge_text(found, {e.row.name: "probe" for e in found if not e.reason})
    assert "NO REASON RECORDED" not in text


def test_an_edge_with_neither_reason_nor_probe_is_named_as_a_defect() -> None:
    found = edges.edges([_row("made_up", 0.0, 1.0, 0.99), _row("inner", 0.0, 1.0, 0.5)])
    assert [(e.row.name, e.end) for e in found] == [("made_up", "high")]
    assert "`made_up` (median 0.99 of [0, 1], high end: NO REASON RECORDED" in edges.edge_text(
        found, {}
    )


def test_past_bound_sets_a_value_the_range_check_refuses() -> None:
    p = historical_config().params
    probe = edges.past_bound(p, exposure_energy=9.0)
    assert probe.exposure_energy == 9.0 and p.exposure_energy != 9.0
    assert probe.values().exposure_energy == 9.0  # what the compiled kernel reads
    with pytest.raises(ValueError, match="model.exposure_energy"):
        replace(p, exposure_energy=9.0)
    with pytest.raises(ValueError, match="model.nonesuch"):
        edges.past_bound(p, nonesuch=1.0)


def test_probe_sentence_is_computed_from_the_table() -> None:
    e = edges.Edge(_row("credibility_g7", 0.0, 2.0, 1.95), "high")
    rows = []
    for strategy, named in (("historical", (1.26, 1.26)), ("g7_coalition", (3.54, 4.23))):
        for outcome in edges.OUTCOMES:
            sets, probe = named if outcome == "final_condemn_or_higher" else (1.0, 1.0)
            rows.append({"strategy": strategy, "outcome": outcome, "sets": sets, "probe": probe})
    text = edges.probe_markdown(e, 3.0, pd.DataFrame(rows), "here")
    assert "(1.5 x its upper bound 2)" in text
    assert "change by +0.00 to +0.69" in text and "`g7_coalition`: 3.54 -> 4.23" in text
    assert "order of the strategies by members naming Russia is the same" in text
    assert "Unchanged (within 0.005 members) under `historical`, including" in text


def test_probe_past_the_bound_moves_the_outcome_of_a_strategy_that_reads_it() -> None:
    """credibility_g7 acts through the G7 coordination stock: `g7_coalition` builds it,
    `historical` does not."""
    from sim.rng import replicate_seeds

    cfg = replace(historical_config(), budget=0.3)
    table = edges.probe_table(
        cfg, [], ["historical", "g7_coalition"], replicate_seeds(3, 40), "credibility_g7", 3.0
    )
    named = table[table["outcome"] == "final_condemn_or_higher"].set_index("strategy")
    assert named.loc["historical", "probe"] == named.loc["historical", "sets"]
    assert named.loc["g7_coalition", "probe"] > named.loc["g7_coalition", "sets"]


def test_spillover_points_come_from_the_identification() -> None:
    rows = [
        Identification("peer_weight", 0.0, 8.0, 0.5, 0.09, 0.98, 0.11, "identified"),
        Identification("peer_reinforcement", 0.5, 3.0, 1.4, 0.64, 2.7, 0.83, "not identified"),
    ]
    (_, a), (_, b) = spillover_points(rows, {"outreach_weight": 15.5})
    assert a == {"outreach_weight": 15.5, "peer_weight": 0.98, "peer_reinforcement": 0.5}
    assert b["peer_weight"] == 8.0 and b["peer_reinforcement"] == 0.5


def _spill(lift: float, share: float) -> pd.DataFrame:
    t = pd.DataFrame(0.0, index=list(ASEAN_2022), columns=[
        "lift with peers", "level differs with peers", "lift peers off",
        "level differs peers off",
    ])  # fmt: skip
    t.loc["ID"] = [1.5, 1.0, 1.6, 1.0]
    t.loc["MY", ["lift with peers", "level differs with peers"]] = [lift, share]
    return t


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        ((0.03, 0.0), (0.02, 0.01), "even at the top of the documented range"),
        ((0.03, 0.05), (0.11, 0.13), "only at the top of the documented range"),
        ((0.2, 0.0), (0.3, 0.2), "within the plausible range"),
    ],
)
def test_spillover_verdict_follows_the_numbers(first, second, verdict) -> None:
    text = spillover_range_markdown(
        [("a", _spill(*first)), ("b", _spill(*second))], "ID", {"outreach_weight": 15.5}
    )
    assert verdict in text
    assert f"{first[0]:.3f} rungs of mean stance and {first[1]:.3f} of runs" in text
    assert "| 1: a | MY |" in text


def test_vote_similarity_uses_only_the_votes_up_to_2022_04_07() -> None:
    seen = comovement.observed_agreement()
    pairs = comovement._pairs()
    codes = list(ASEAN_2022)

    def pair(a: str, b: str) -> float:
        return float(seen[pairs.index(tuple(sorted((codes.index(a), codes.index(b)))))])

    assert pair("LA", "VN") == 1.0  # A, A, N both times
    assert pair("MM", "PH") == 1.0  # Y, Y, Y
    assert pair("BN", "MM") == pytest.approx(2 / 3)  # Y, Y, then A against Y
    assert all(r.date <= comovement.LAST_VOTE for r in comovement.resolutions())


def test_simulated_similarity_is_the_probability_of_voting_alike() -> None:
    """Per pair, the mean over runs and the three votes of sum_k p_i(k) p_j(k)."""
    from experiments.calibration.facts import predicted_votes
    from experiments.workflow.store import load_vote_rule

    cfg, rule = historical_config(), load_vote_rule()
    n = len(cfg.countries.codes)
    stance = np.random.default_rng(0).uniform(0.0, 4.0, (3, 60, n))
    traj = SimpleNamespace(stance=stance, seeds=np.array([1, 2, 3]))
    got = comovement.pair_agreement(traj, cfg, rule)
    i, j = cfg.countries.index("LA"), cfg.countries.index("VN")
    want = np.mean(
        [(predicted_votes(traj, cfg, r, rule)[:, [i, j]].prod(axis=1)).sum(-1).mean()
         for r in comovement.resolutions()]
    )  # fmt: skip
    codes = list(ASEAN_2022)
    k = comovement._pairs().index((codes.index("LA"), codes.index("VN")))
    assert got[k] == pytest.approx(want)
    assert ((got >= 0) & (got <= 1 + 1e-12)).all()


def test_co_timing_counts_a_never_naming_member_that_follows() -> None:
    cfg = historical_config()
    n = len(cfg.countries.codes)
    level = np.ones((2, 20, n), dtype=np.int64)
    kh, th = cfg.countries.index("KH"), cfg.countries.index("TH")
    level[:, 5:, kh] = 3  # KH names Russia from week 5 in both runs
    level[1, 9:, th] = 3  # TH follows four weeks later in run 1 only
    share, n_runs = comovement.followers(SimpleNamespace(level=level), cfg)
    assert (share, n_runs) == (0.5, 2)


def test_a_mechanism_showing_zero_gets_a_computed_reason() -> None:
    table = pd.DataFrame(
        {c: [0.5, 0.0, 0.001] for c in ASEAN_2022},
        index=["1 exposure costs", "10 reactance", "7 backsliding"],
    )
    table.attrs = {
        "differs": {"1 exposure costs": 0.9, "10 reactance": 0.0, "7 backsliding": 0.02},
        "named": {"1 exposure costs": 1.0, "10 reactance": 0.0, "7 backsliding": -0.01},
        "at_principle": 0.67,
        "near_sanction": 0.03,
        "slip": 0.01,
        "tolerance": np.array([2.0, 4.0]),
        "max_outreach": 1.5,
        "above_tolerance": 0.0,
        "reactance_weight": 0.0,
        "outreach_weight": 12.9,
    }
    text = mechanism_markdown(table)
    assert "exactly zero: 10 reactance" in text
    assert (
        "10 reactance: at most 0.0e+00 rungs; off, some member's final level differs in 0.0%"
        in text
    )
    assert "here 2.00 to 4.00 budget units a week" in text
    assert "one member in a week is 1.50 units" in text and "in 0.00% of member-weeks" in text
    assert "weight of at most 0.00 against up to 12.9" in text
    assert "7 backsliding: at most 1.0e-03 rungs" in text and "slip of 0.0067 rungs" in text
    assert "1 exposure costs:" not in text


def test_validation_config_names_the_edge_probe() -> None:
    import yaml

    conf = yaml.safe_load((ROOT / "conf" / "validate.yaml").read_text())
    probe = conf["edge_probe"]
    assert probe["factor"] > 1 and {"none", "historical"} <= set(probe["strategies"])
