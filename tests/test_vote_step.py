"""The calibration's vote step: its record, its install, and the propagated forecast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from experiments.calibration.facts import historical_config
from experiments.calibration.results import install_vote_rule
from experiments.calibration.votes import propagated_sets
from experiments.calibration.votestep import (
    RECORD_FILE,
    VoteStepSettings,
    chosen_rows,
    load_record,
    set_rules,
    vote_step,
    write_record,
)
from experiments.workflow import store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CALIBRATION_DIR

TINY = VoteStepSettings(
    seeds=8, set_seeds=4, max_sets=3, sample_priors=True, noise_low=0.05, noise_high=0.5, n_noise=4
)


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calibration folder: the project's accepted sets and a tiny vote record."""
    folder = tmp_path_factory.mktemp("calibration")
    shutil.copy(CALIBRATION_DIR / "accepted.parquet", folder)
    sets = store.load_accepted_sets(folder)
    write_record(vote_step(historical_config(), sets, TINY, seed=5), folder)
    return folder


def test_the_record_holds_the_choice_the_scores_and_the_rules(record_dir: Path) -> None:
    record = load_record(record_dir)
    assert record is not None
    assert record["noise_grid"] == [0.05, 0.108, 0.232, 0.5]  # log-spaced, 3 digits
    assert record["noise"] in record["noise_grid"]
    best = min(float(c["log_loss"]) for c in record["curve"])
    assert float(record["scores"]["model_all"]["log_loss"]) == pytest.approx(best)
    assert record["rule"]["noise"] == record["noise"]
    n_sets = len(store.load_accepted_sets(record_dir))
    assert record["basis"]["set_rows"] == chosen_rows(n_sets, 3)
    assert [r["row"] for r in record["set_rules"]] == record["basis"]["set_rows"]
    assert {r["name"] for r in record["resolutions"]} == set(record["held_out"])
    for name, cells in record["in_sample"]["installed"]["probabilities"].items():
        probs = np.array(list(cells.values()))
        assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5), name
    counted = sum(
        max(p) > record["in_sample"]["threshold"]
        for cells in record["in_sample"]["installed"]["probabilities"].values()
        for p in cells.values()
    )
    assert counted == record["in_sample"]["installed"]["confident_cells"]
    assert record["scores"]["repeat_last"]["n_cells"] == record["scores"]["model"]["n_cells"] == 20


def test_chosen_rows_spread_evenly() -> None:
    assert chosen_rows(5, 10) == [0, 1, 2, 3, 4]
    assert chosen_rows(101, 3) == [0, 50, 100]
    assert chosen_rows(0, 3) == []


def test_propagated_forecast_uses_each_sets_refitted_cuts_and_the_rules_noise(
    record_dir: Path,
) -> None:
    record = load_record(record_dir)
    rule = store.load_vote_rule()
    sets, sample_priors = propagated_sets(record_dir, rule)
    assert sample_priors is True and len(sets) == len(record["set_rules"])
    for point, cuts in zip(sets, record["set_rules"], strict=True):
        assert point["votes.noise"] == rule.noise
        assert point["votes.punitive_yes"] == cuts["punitive_yes"]
        assert any(k.startswith("model.") for k in point)


def test_a_stale_record_is_refused(record_dir: Path) -> None:
    record = load_record(record_dir)
    sets = store.load_accepted_sets(record_dir)
    moved = [{**s, "model.peer_weight": s["model.peer_weight"] + 0.01} for s in sets]
    with pytest.raises(ConfigError, match="propagate_uncertainty: .*other accepted sets"):
        set_rules(record, moved)
    with pytest.raises(ConfigError, match="no accepted set"):
        set_rules({**record, "set_rules": []}, sets)
    with pytest.raises(ConfigError, match=RECORD_FILE):
        propagated_sets(record_dir / "missing", store.load_vote_rule())


def test_install_writes_only_the_vote_rule(record_dir: Path, tmp_path: Path) -> None:
    vote_file, provenance_file = tmp_path / "vote_rule.yaml", tmp_path / "installed.json"
    shutil.copy(store.VOTE_RULE.path, vote_file)
    provenance_file.write_text(json.dumps({"accepted_set": 3}))
    record = load_record(record_dir)
    install_vote_rule(
        record, record_dir, tmp_path, store_file=vote_file, provenance_file=provenance_file
    )
    installed = store.load_vote_rule(vote_file)
    assert installed.noise == record["noise"]
    assert installed.principle_yes == pytest.approx(record["rule"]["principle_yes"], abs=1e-3)
    provenance = json.loads(provenance_file.read_text())
    assert provenance["accepted_set"] == 3  # the model point's provenance kept
    assert provenance["vote_rule"]["record"].endswith(RECORD_FILE)


def test_bad_settings_name_their_key() -> None:
    from dataclasses import replace

    with pytest.raises(ConfigError, match=r"^votes\.set_seeds: must be an integer >= 1"):
        replace(TINY, set_seeds=0).check()
    with pytest.raises(ConfigError, match=r"^votes\.noise_low"):
        replace(TINY, noise_low=0.0).check()
