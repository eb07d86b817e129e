"""The nested comparison's report (computed verdicts) and the earlier-votes record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from experiments.calibration.votebaselines import BASELINES, scores
from experiments.calibration.votenestedreport import nested_section, verdict

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = ("AA", "BB")
VOTES = ("yes", "abstain", "no")


def _record(model_hit: float) -> dict:
    """A made-up nested record: the model puts ``model_hit`` on every actual vote."""
    actual = np.array([[0, 1], [1, 2]])
    folds = []
    preds_all: dict[str, list] = {k: [] for k in ("model", *BASELINES)}
    for v, name in enumerate(("R1", "R2")):
        fold = {
            "name": name,
            "kind": "principle",
            "left_out_patterns": [f"votes_{name}"],
            "n_accepted": 5,
            "sets_used": 5,
            "noise": 0.1,
            "noise_at_grid_edge": False,
            "inner_curve": [{"noise": 0.1, "log_loss": 0.3}, {"noise": 1.0, "log_loss": 0.6}],
            "actual": {m: VOTES[actual[v, i]] for i, m in enumerate(MEMBERS)},
            "predictors": {},
        }
        for key in ("model", *BASELINES):
            hit = {"model": model_hit, "uniform": 1 / 3}.get(key, 0.5)
            probs = np.full((2, 3), (1 - hit) / 2)
            probs[np.arange(2), actual[v]] = hit
            preds_all[key].append(probs)
            fold["predictors"][key] = {
                "q": 0.5,
                "scores": scores(probs, actual[v]),
                "probabilities": {m: list(probs[i]) for i, m in enumerate(MEMBERS)},
            }
        folds.append(fold)
    pooled = {k: scores(np.array(p), actual) for k, p in preds_all.items()}
    return {
        "votes": list(VOTES),
        "folds": folds,
        "pooled": pooled,
        "provenance": {
            "created": "2026-01-01T00:00:00+00:00",
            "code": {"commit": "0" * 40, "dirty": False},
            "data": {"sha256": "f" * 64},
        },
    }


def test_the_verdict_follows_the_numbers() -> None:
    good, bad = verdict(_record(0.9)), verdict(_record(0.4))
    assert "**beats**" in good and "**does not beat**" not in good
    assert "**does not beat**" in bad
    assert "0.105" in good  # -log 0.9, the model's pooled log-loss
    text = nested_section(_record(0.995))
    assert "4 of 4 held-out member-votes get more than 0.99" in text
    assert "every one of them was right" in text
    assert "R1 (principle)" in text
    assert "27 member-votes before the confidence bound: 23 more than held out" in nested_section(
        _record(0.995), 27
    )
    assert "no more than held out" in nested_section(_record(0.995), 3)


def test_earlier_votes_are_before_the_last_encoded_vote_and_sourced() -> None:
    facts = yaml.safe_load((ROOT / "data/asean_2022.yaml").read_text())
    earlier = facts["unga_earlier"]
    assert "A/RES/68/262" in earlier
    for name, spec in earlier.items():
        assert spec["date"] < dt.date(2022, 2, 24), name  # all before the invasion
        assert spec["sources"], name
        assert set(spec["votes"]) == set(facts["meta"]["asean_2022_members"]), name
        assert set(spec["votes"].values()) <= {"Y", "A", "N", "absent", "notN", "U"}, name
        listed = spec.get("no_votes")
        if listed is None:  # no list of no votes read: no member's vote may be claimed
            assert set(spec["votes"].values()) == {"U"}, name
        else:
            tally = spec["tally"]
            assert len(listed) == tally.get("no", tally.get(False)), name  # YAML 1.1: no = False


def test_a_held_out_resolution_is_out_of_the_cut_points_and_the_patterns(monkeypatch) -> None:
    from dataclasses import replace as dc_replace

    from experiments.calibration import votefit
    from experiments.calibration.facts import historical_config, resolutions
    from experiments.calibration.search import evaluate
    from experiments.workflow import store
    from sim.engine import simulate
    from sim.rng import replicate_seeds

    config, seeds, rule = historical_config(), replicate_seeds(7, 4), store.load_vote_rule()
    row = evaluate(config, {}, seeds, rule, held_out="ES-11/3")
    assert "pass.votes_ES-11/3" not in row and "pass.vn_la_most_resistant" not in row
    assert "pass.votes_ES-11/1" in row and "pass.votes_ES-11/2" in row
    traj = simulate(config, seeds)
    before = votefit.fit_vote_rule(traj, config, rule, held_out="ES-11/3")
    flipped = tuple(
        dc_replace(r, votes={c: "yes" for c in r.votes}) if r.name == "ES-11/3" else r
        for r in resolutions()
    )
    monkeypatch.setattr(votefit, "resolutions", lambda: flipped)
    assert votefit.fit_vote_rule(traj, config, rule, held_out="ES-11/3") == before
    assert votefit.fit_vote_rule(traj, config, rule) != before  # in the full fit it counts


def test_the_earlier_votes_section_follows_the_data() -> None:
    from experiments.calibration.votenestedreport import earlier_section

    rights = {"human_rights": 1}
    facts = {
        "meta": {"asean_2022_members": ["AA", "BB", "CC"]},
        "unga_earlier": {
            "old": {
                "date": "2017-12-19",
                "asks": rights,
                "no_votes": ["AA"],
                "votes": {"AA": "N", "BB": "notN", "CC": "U"},
            }
        },
        "unga": {
            "new": {
                "date": "2022-04-07",
                "kind": "punitive",
                "votes": {"AA": "Y", "BB": "N", "CC": "A"},
            }
        },
    }
    text = earlier_section(facts)
    assert "| AA | N | Y |" in text and "| CC | U | A |" in text
    assert "1 of the 3 earlier member-votes could not be read" in text
    assert "on new they voted AA Y" in text and "1 of whom voted yes on new" in text
    assert "BB voted no on new but were not among the no votes" in text
    assert "Of the 1 members with a vote read on old, 0 cast the same vote on new" in text
    assert "changed: AA N to Y." in text
    facts["unga"]["new"]["votes"]["AA"] = "A"
    assert "0 of whom voted yes on new" in earlier_section(facts)
    assert earlier_section({"meta": {}, "unga": {}}) == ""


def test_the_nested_command_rejects_bad_settings_in_one_line(capsys) -> None:
    import pytest

    from experiments.calibration.votenested import main

    for argv, words in (
        (["n_sample=5"], ["n_sample", "unknown key", "n_samples"]),
        (["generations=0"], ["generations", ">= 1"]),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and all(w in lines[0] for w in words), lines


def test_the_digest_of_the_encoded_votes_ignores_other_sections() -> None:
    from experiments.calibration.facts import load_facts
    from experiments.calibration.votenestedreport import unga_digest

    facts = load_facts()
    digest = unga_digest(facts)
    assert unga_digest({**facts, "unga_earlier": {}}) == digest
    changed = yaml.safe_load(yaml.safe_dump(facts["unga"]))
    changed["ES-11/3"]["votes"]["SG"] = "Y"
    assert unga_digest({**facts, "unga": changed}) != digest


TINY = [
    "n_samples=20",
    "n_seeds=4",
    "generations=1",
    "proposals=20",
    "smc_seeds=4",
    "final_max=5",
    "final_seeds=8",
    "check_seeds=8",
    "votes.set_seeds=4",
    "votes.max_sets=2",
    "votes.n_noise=3",
]
"""Settings of a tiny nested run (minutes become seconds; the numbers mean nothing)."""


def test_a_tiny_nested_run_writes_every_fold_with_its_provenance(tmp_path: Path) -> None:
    import json

    from experiments.calibration.votenested import main

    main([*TINY, f"publish_dir={tmp_path}"])
    record = json.loads((tmp_path / "votes_nested.json").read_text())
    assert [f["name"] for f in record["folds"]] == ["ES-11/1", "ES-11/2", "ES-11/3"]
    for fold in record["folds"]:
        assert f"votes_{fold['name']}" in fold["left_out_patterns"]
        assert set(fold["predictors"]) == {"model", *BASELINES}
        assert 0.0 <= fold["noise"] <= 1.0
    assert record["pooled"]["model"]["n_cells"] == 30
    assert record["confidence_bound"]["n_held_out"] == 30
    assert record["confidence_bound"]["bound"] == 31 / 32  # (n + 1) / (n + 2)
    assert record["pooled"]["repeat_last_smoothed"] is None  # nothing before ES-11/1
    assert len(record["provenance"]["unga_sha256"]) == 64
    loss = record["pooled"]["model"]["log_loss"]
    shown = "inf" if loss == "inf" else f"{loss:.3f}"
    assert f"the model ({shown} nats per vote)" in nested_section(record)
