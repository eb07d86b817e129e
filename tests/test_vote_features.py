"""Resolution features of the vote rule: presets match the data, cuts move as documented."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.calibration.facts import load_facts
from experiments.calibration.votefeatures import confidence_section, miss_section, mixture_choice
from experiments.calibration.votes import main
from experiments.workflow import store
from sim.votes import FEATURES, KIND_FEATURES, VoteRule, resolution_features, vote_probabilities


def test_each_encoded_resolution_is_its_kinds_preset() -> None:
    """The data file's `asks` of ES-11/1-3 are exactly the features of their kind."""
    unga = load_facts()["unga"]
    assert len(unga) == 3
    for name, spec in unga.items():
        assert set(spec["asks"]) == set(FEATURES), name
        assert resolution_features(spec["asks"]) == resolution_features(spec["kind"]), name


def test_the_texts_read_for_each_encoded_asks_are_recorded() -> None:
    """Each `asks` of ES-11/1-3 names the texts read and marks the reading (V or U)."""
    for name, spec in load_facts()["unga"].items():
        read = spec["asks_read"]
        assert read["sources"] and all(u.startswith("https://") for u in read["sources"]), name
        assert read["C"].startswith("V"), name


def test_earlier_votes_use_the_same_feature_names() -> None:
    for name, spec in load_facts()["unga_earlier"].items():
        assert set(spec["asks"]) == set(FEATURES), name


def test_presets_reproduce_the_principle_and_punitive_cuts() -> None:
    rule = store.load_vote_rule()
    legalism = np.array([0.0, 0.15, 0.85])
    no, yes = rule.cuts("principle", legalism)
    assert np.allclose(no, rule.principle_no) and np.allclose(yes, rule.principle_yes)
    no, yes = rule.cuts("punitive", legalism)
    assert np.allclose(no, rule.punitive_no)
    assert np.allclose(yes, rule.punitive_yes + rule.legalism_shift * legalism)
    # a mapping with the preset's features gives the same cuts as the kind
    same = rule.cuts(dict(KIND_FEATURES["punitive"]), legalism)
    assert np.allclose(same[1], yes)


def test_reparations_coercion_lies_between_principle_and_punitive() -> None:
    rule = VoteRule(
        principle_yes=1.6,
        principle_no=0.6,
        punitive_yes=2.0,
        punitive_no=1.6,
        legalism_shift=4.0,
        reparations_weight=0.25,
        noise=0.1,
    )
    legalism = np.array([0.5])
    no, yes = rule.cuts({"names_russia": 1, "reparations": 1}, legalism)
    assert np.allclose(no, 0.6 + 0.25 * 1.0)
    assert np.allclose(yes, 1.6 + 0.25 * 0.4 + 0.25 * 4.0 * 0.5)
    # a suspension is full coercion whatever the reparations weight
    no, yes = rule.cuts({"suspension_from_body": 1, "reparations": 1}, legalism)
    assert np.allclose(no, 1.6) and np.allclose(yes, 2.0 + 4.0 * 0.5)


def test_unnamed_and_peace_shifts_move_both_cuts() -> None:
    rule = VoteRule(unnamed_shift=-0.3, peace_terms_shift=0.2)
    base = rule.cuts({"names_russia": 1}, np.zeros(2))
    unnamed = rule.cuts({}, np.zeros(2))
    peace = rule.cuts({"names_russia": 1, "peace_terms": 1}, np.zeros(2))
    for k in range(2):
        assert np.allclose(unnamed[k] - base[k], -0.3)
        assert np.allclose(peace[k] - base[k], 0.2)


def test_probabilities_accept_features_and_stay_monotone_in_coercion() -> None:
    rule = store.load_vote_rule()
    stance = np.linspace(0.0, 4.0, 41)
    legalism, seat = np.full(41, 0.5), np.full(41, np.nan)
    mild = vote_probabilities(stance, {"names_russia": 1}, legalism, seat, rule)
    harsh = vote_probabilities(stance, {"names_russia": 1, "reparations": 1}, legalism, seat, rule)
    assert np.allclose(mild.sum(axis=-1), 1.0) and np.allclose(harsh.sum(axis=-1), 1.0)
    assert np.all(harsh[:, 0] <= mild[:, 0] + 1e-12)  # more coercion never more yes
    assert np.all(np.diff(harsh[:, 0]) >= -1e-12)  # higher stance never less yes


@pytest.mark.parametrize(
    "bad, key",
    [({"nams_russia": 1}, "features.nams_russia"), ({"reparations": 2}, "features.reparations")],
)
def test_bad_features_are_named(bad: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        resolution_features(bad)
    with pytest.raises(ValueError, match="kind: unknown"):
        resolution_features("sanction")


def test_votes_cli_rejects_an_unknown_feature_in_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["date=2022-09-01", "kind=punitive", "features.nams_russia=true", "n_seeds=2"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "features.nams_russia" in err and "names_russia" in err


def _nested(probs: dict[str, list[float]], actual: dict[str, str]) -> dict:
    """A made-up one-fold nested record (not any real vote)."""
    return {
        "folds": [
            {
                "name": "R1",
                "noise": 0.01,
                "inner_curve": [
                    {"noise": 0.01, "log_loss": 0.2},
                    {"noise": 0.02, "log_loss": 0.25},
                ],
                "actual": actual,
                "predictors": {
                    "model": {"probabilities": probs},
                    "uniform": {"probabilities": {m: [1 / 3] * 3 for m in probs}},
                },
            }
        ]
    }


def test_confidence_section_counts_cells_confident_in_sample_only() -> None:
    probs = {"AA": [0.995, 0.005, 0.0], "BB": [0.2, 0.7, 0.1], "CC": [0.0, 0.001, 0.999]}
    actual = {"AA": "yes", "BB": "abstain", "CC": "yes"}
    nested = _nested(probs, actual)
    loo = {
        "noise": 0.02,
        "in_sample": {
            "sets": {"probabilities": {"R1": {"AA": [1.0, 0, 0], "BB": [0.0, 1.0, 0.0]}}},
            "installed": {"probabilities": {"R1": {m: [1.0, 0, 0] for m in probs}}},
        },
    }
    text = confidence_section(nested, loo)
    assert "2 of 3 member-votes get more than 0.99 on one vote and 1 of them" in text
    assert "gives more than 0.99 to 2 member-votes, 1 of which" in text
    assert "BB on R1 (held out 0.70 on its vote)" in text
    assert "gives 3, 1 of them not above" in text
    assert "gaining at most 0.0500 nats" in text and "That gain is material" in text
    # the miss on CC makes a mixture with the uniform vote worth a positive weight
    w, best, alone = mixture_choice(
        np.array(list(probs.values())), np.full((3, 3), 1 / 3), np.array([0, 1, 0])
    )
    assert w > 0 and best < alone


def test_miss_section_names_the_miss_with_its_probability_and_cut() -> None:
    facts = {
        "unga": {
            "R1": {
                "kind": "punitive",
                "asks": dict(KIND_FEATURES["punitive"]),
                "votes": {"AA": "Y", "BB": "A"},
            }
        },
        "unga_earlier": {
            "E1": {"asks": {"human_rights": 1}, "votes": {"AA": "N", "BB": "notN"}},
        },
    }
    loo = {
        "in_sample": {"sets": {"probabilities": {"R1": {"AA": [0.3, 0.7, 0.0], "BB": [0, 1, 0]}}}}
    }
    rule = VoteRule(punitive_yes=2.0, legalism_shift=4.0)
    text = miss_section(facts, loo, None, rule, {"AA": (0.25, 0.0, 0.5)})
    assert text.count("Known miss") == 1 and "AA on R1" in text
    assert "gives yes 0.30 in sample" in text
    assert "= 3.00 at un_legalism 0.25 (2.00-4.00" in text
    assert "voted no on 1 of the 1 earlier human-rights texts" in text
