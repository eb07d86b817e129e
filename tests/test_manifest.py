"""What a manifest records: the scenario file used, accepted sets and their values, the
packages imported; ``experiments.votes`` writes one too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.workflow.ledger import file_sha256
from experiments.workflow.manifest import MANIFEST
from experiments.workflow.paths import CALIBRATION_DIR, CONF_DIR
from experiments.workflow.run import run_experiment
from experiments.workflow.store import load_accepted_sets

SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")  # as conftest.SMALL


def test_manifest_records_scenario_file_accepted_sets_and_packages(compose_cfg, tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text((CONF_DIR / "scenario" / "asean_2022.yaml").read_text())
    cfg = compose_cfg(
        *SMALL, "strategy=none", f"scenario_file={scenario}", "+sweep.accepted_set=[0,5]"
    )
    manifest = run_experiment(cfg, tmp_path / "run")
    assert manifest["scenario"] == {
        "source": "scenario_file",
        "path": str(scenario),
        "sha256": file_sha256(scenario),
    }
    accepted = CALIBRATION_DIR / "accepted.parquet"
    assert manifest["accepted_sets"]["sha256"] == file_sha256(accepted)
    sets = load_accepted_sets()
    for point in manifest["points"]:
        chosen = sets[point["accepted_set"]]
        for key, value in chosen.items():
            if key.startswith("model."):
                assert point["model"][key.removeprefix("model.")] == value
    for name in ("scipy", "networkx", "PyYAML", "numba", "llvmlite", "numpy", "pyarrow"):
        assert manifest["packages"][name] != "not installed", name
    assert json.loads((tmp_path / "run" / MANIFEST).read_text())["ledger_key"]


@pytest.mark.slow
def test_votes_writes_a_manifest(tmp_path: Path) -> None:
    from experiments.votes import main

    main(["date=2022-09-01", "kind=principle", "n_seeds=6", f"hydra.run.dir={tmp_path}"])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["app"] == "votes" and manifest["config"]["date"] == "2022-09-01"
    assert manifest["files"]["votes.csv"] == file_sha256(tmp_path / "votes.csv")
    assert manifest["inputs"]["accepted.parquet"]["sha256"]
    assert {"git", "packages", "python", "timings_s"} <= set(manifest)
