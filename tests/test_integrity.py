"""Resume trusts content, not existence: a finished run's files and a stopped run's parts
are checked against the SHA-256 its ledger recorded; a damaged one is recomputed, or the
folder is refused in one line. Nothing complete-looking is built on a damaged file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.workflow import cli, folders, outputs
from experiments.workflow.errors import ConfigError
from experiments.workflow.ledger import PART_SUFFIX, PARTS, Ledger, file_sha256
from experiments.workflow.run import run_experiment

ARGS = (
    "n_seeds=4",
    "chunk_size=2",
    "calendar.n_steps=5",
    "strategies=[none,uniform]",
    "accepted_sets=0",
)
TABLES = (outputs.SUMMARY, outputs.CURVES, outputs.STEPS, outputs.TRAJECTORIES)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, dict]:
    from hydra import compose, initialize_config_dir

    from experiments.workflow.paths import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[*ARGS, "plots=true", "plot_formats=[png,svg]"])
    folder = tmp_path_factory.mktemp("finished") / "run"
    record = run_experiment(cfg, folder)
    tables = {name: pd.read_parquet(folder / name) for name in TABLES}
    return folder, {"cfg": cfg, "record": record, "tables": tables}


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns(folders.LOCK))
    return to


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _check_complete(folder: Path, tables: dict[str, pd.DataFrame], record: dict) -> None:
    for name, expected in tables.items():
        assert file_sha256(folder / name) == record["sha256"][name]
        pd.testing.assert_frame_equal(pd.read_parquet(folder / name), expected)
    for name in record["figures"]:
        assert file_sha256(folder / name) == record["figure_sha256"][name]
    assert cli.complete_manifest(folder) == json.loads(json.dumps(record, default=str))


SLOW = pytest.mark.slow  # each row reruns a whole run or analysis: a few kept in test-fast


@pytest.mark.parametrize(
    "name",
    [
        outputs.SUMMARY,
        *[pytest.param(t, marks=SLOW) for t in TABLES[1:]],
        pytest.param(outputs.MANIFEST, marks=SLOW),
        pytest.param("countries.csv", marks=SLOW),
        pytest.param("adoption_curves.png", marks=SLOW),
        pytest.param("strategy_comparison.svg", marks=SLOW),
        pytest.param("ledger.jsonl", marks=SLOW),
    ],  # fmt: skip
)
def test_a_truncated_file_of_a_finished_run_is_repaired_or_refused(
    finished, tmp_path, name
) -> None:
    source, run = finished
    folder = _copy(source, tmp_path / "run")
    _truncate(folder / name)
    assert cli.complete_manifest(folder) is None  # no longer passes as complete
    try:
        record = run_experiment(run["cfg"], folder)
    except ConfigError as exc:  # refused: one line naming the folder
        assert "\n" not in str(exc) and str(folder) in str(exc)
        assert name == "ledger.jsonl"
        return
    _check_complete(folder, run["tables"], record)
    if name in TABLES:  # recomputed: the same bytes as the first time
        assert record["sha256"] == run["record"]["sha256"]


def test_a_damaged_part_of_a_stopped_run_is_recomputed(finished, tmp_path, monkeypatch) -> None:
    _, run = finished
    folder = tmp_path / "run"

    def stop(self, *args, **kwargs):
        raise KeyboardInterrupt  # stopped after every chunk, before publishing

    monkeypatch.setattr(Ledger, "finalize", stop)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(run["cfg"], folder)
    monkeypatch.undo()
    parts = sorted((folder / PARTS / outputs.SUMMARY).glob(f"*{PART_SUFFIX}"))
    assert len(parts) == 4
    _truncate(parts[1])
    (folder / PARTS / outputs.STEPS / parts[2].name).unlink()
    record = run_experiment(run["cfg"], folder)
    events = [json.loads(line) for line in (folder / "ledger.jsonl").read_text().splitlines()]
    recomputed = [e["chunk"] for e in events if e.get("event") == "done"][4:]
    assert sorted(recomputed) == [parts[1].stem, parts[2].stem]  # only the damaged chunks
    assert record["sha256"] == run["record"]["sha256"]


def test_a_damaged_complete_run_is_resumed_not_reported_complete(finished, tmp_path) -> None:
    source, run = finished
    parent = tmp_path / "outputs"
    folder = _copy(source, parent / "2026-01-01_00-00-00")
    key = run["record"]["ledger_key"]
    assert cli.find_resumable(parent, key) == (None, folder)
    _truncate(folder / outputs.CURVES)
    assert cli.find_resumable(parent, key) == (folder, None)


@pytest.fixture(scope="module")
def analysis(tmp_path_factory) -> tuple[Path, dict]:
    from experiments.analysis.command import run_analysis
    from tests.test_analyse import compose_analyse

    out = tmp_path_factory.mktemp("analysis") / "run"
    return out, run_analysis(compose_analyse(), out)


@pytest.mark.slow  # an analysis rebuilt per row (about 7 s each)
@pytest.mark.parametrize(
    "name",
    [
        "runs.parquet", "scenarios.parquet", "robustness.csv", "discovery.json", "analysis.md",
        "manifest.json", "ledger.jsonl",
    ],
)  # fmt: skip
def test_a_truncated_file_of_an_analysis_is_rebuilt(analysis, tmp_path, name) -> None:
    from experiments.analysis.command import run_analysis
    from tests.test_analyse import compose_analyse

    source, record = analysis
    folder = _copy(source, tmp_path / "run")
    _truncate(folder / name)
    try:
        again = run_analysis(compose_analyse(), folder)
    except ConfigError as exc:  # refused in one line naming the folder
        assert name == "ledger.jsonl" and "\n" not in str(exc) and str(folder) in str(exc)
        return
    for table in ("runs.parquet", "scenarios.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / table), pd.read_parquet(source / table)
        )
    assert (folder / "robustness.csv").read_text() == (source / "robustness.csv").read_text()
    report = (folder / "analysis.md").read_text()  # whole again (its timings may differ)
    assert report[-300:] == (source / "analysis.md").read_text()[-300:]
    assert json.loads((folder / outputs.MANIFEST).read_text())["files"] == record["files"]
    if name == "runs.parquet":  # the damaged runs table is recomputed
        assert again["chunks"]["records"] == 2 * record["chunks"]["records"]


@pytest.mark.slow  # four runs, two of them with worker processes
def test_tables_are_byte_identical_across_chunk_sizes_and_workers(
    compose_cfg, tmp_path, monkeypatch
) -> None:
    """Curves are reduced from exact sums and counts, tables written in fixed row groups:
    the same bytes whatever the chunk size and the number of workers."""
    from experiments.workflow import ledger

    monkeypatch.setattr(ledger, "ROW_GROUP", 50)  # several row groups in this small run
    common = ("n_seeds=23", "calendar.n_steps=6", "strategies=[none,adaptive]", "plots=false",
              "accepted_sets=0")  # fmt: skip
    runs = {}
    for chunk, workers in ((1, 1), (5, 2), (23, 2), (7, 1)):
        folder = tmp_path / f"c{chunk}w{workers}"
        cfg = compose_cfg(*common, f"chunk_size={chunk}", f"workers={workers}")
        runs[chunk, workers] = run_experiment(cfg, folder)["sha256"]
    first = runs[1, 1]
    assert set(first) == {*TABLES, "countries.csv", "comparison.csv"}
    for key, sha in runs.items():
        assert sha == first, key
    curves = pd.read_parquet(tmp_path / "c1w1" / outputs.CURVES)
    steps = pd.read_parquet(tmp_path / "c1w1" / outputs.STEPS)
    for measure in ("leakage", "spent", "n_sanctioning"):
        mine = curves[(curves["measure"] == measure) & (curves["strategy"] == "adaptive")]
        direct = steps[steps["strategy"] == "adaptive"].groupby("step")[measure]
        assert np.allclose(mine["mean"], direct.mean(), rtol=1e-15, atol=0), measure
        assert np.allclose(mine["std"], direct.std(ddof=1), rtol=1e-12, atol=1e-15), measure
