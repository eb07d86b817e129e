"""`python -m experiments.analyse` on a tiny config: every output follows its documented
schema, common seeds, determinism, the run ledger (a failed chunk, the rerun that finishes
it, a folder of another analysis), the dry run, and bad input."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hydra import compose, initialize_config_dir

from experiments.analysis import runner, tables
from experiments.analysis.command import MANIFEST, REPORT, SEARCH_PATH, main, run_analysis
from experiments.analysis.settings import settings
from experiments.workflow.errors import ConfigError
from experiments.workflow.ledger import LEDGER, Chunk, Ledger, content_key, read_events
from experiments.workflow.paths import CONF_DIR
from sim import replicate_seeds

STRATEGIES = ("none", "uniform", "adaptive")
TINY = (
    "n_seeds=3",
    "calendar.n_steps=8",
    f"strategies=[{','.join(STRATEGIES)}]",
    "designs.explore=24",
    "designs.effort=3",
    "designs.mandate=4",
    "designs.morris_trajectories=2",
    "designs.sobol_n=2",
    "chunk_points=16",
    "sensitivity.n_boot=20",
)
"""A few seconds: 179 points x 3 strategies x 3 seeds over 8 weeks."""
D = 15  # accepted_set, 8 deep, budget, eligibility, 4 design choices (optional_countries held)
N_POINTS = 24 + 3 * 2 + 4 + 2 * (D + 1) + 2 * (D + 2)


def compose_analyse(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("analyse", overrides=[*TINY, *overrides, SEARCH_PATH])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("analysis") / "run"
    return out, run_analysis(compose_analyse(), out, list(TINY))


@pytest.fixture(scope="module")
def tiny_again(tmp_path_factory) -> Path:
    """The same analysis on one worker instead of two, in another folder."""
    out = tmp_path_factory.mktemp("again") / "run"
    run_analysis(compose_analyse("workers=1"), out)
    return out


def _arrow_type(field) -> str:  # noqa: ANN001
    t = str(field.type)
    if t.startswith("dictionary<values=string"):
        return "dictionary<string>"
    return {"double": "float64", "bool": "bool"}.get(t, t)


@pytest.mark.slow
def test_runs_and_scenarios_follow_their_schemas(tiny) -> None:
    out, manifest = tiny
    runs = pq.read_schema(out / tables.RUNS)
    assert runs.names == list(tables.SCHEMAS[tables.RUNS])
    for name, (kind, _doc) in tables.SCHEMAS[tables.RUNS].items():
        assert _arrow_type(runs.field(name)) == kind, name
    scen = pq.read_schema(out / tables.SCENARIOS)
    dims = [d["name"] for d in manifest["uncertainty"]["dimensions"]]
    from_set = [f"model.{n}" for n in manifest["uncertainty"]["from_accepted_set"]]
    outcomes = list(manifest["config"]["outcomes"])
    expected = ["design", "point", "strategy", *dims, *from_set, "n_seeds"]
    for name in outcomes:
        expected += [name, f"{name}_low", f"{name}_high"]
    expected += ["weeks_to_kth_adoption_reached"]
    assert scen.names == expected
    documented = tables.SCHEMAS[tables.SCENARIOS]
    for name in ("design", "point", "strategy", "n_seeds"):
        assert _arrow_type(scen.field(name)) == documented[name][0], name
    for name in [*from_set, *outcomes]:
        assert _arrow_type(scen.field(name)) == "float64", name
    frame = pd.read_parquet(out / tables.SCENARIOS)
    assert len(frame) == N_POINTS * len(STRATEGIES) and (frame["n_seeds"] == 3).all()
    for name in outcomes:  # the interval holds the mean
        assert (frame[f"{name}_low"] <= frame[name] + 1e-12).all()
        assert (frame[name] <= frame[f"{name}_high"] + 1e-12).all()
    assert frame["final_sanctioning_low"].min() >= 0  # never below 0 for a count
    assert manifest["files"][tables.RUNS] == N_POINTS * len(STRATEGIES) * 3


@pytest.mark.slow
def test_csv_and_json_outputs_follow_their_schemas(tiny) -> None:
    out, manifest = tiny
    rob = pd.read_csv(out / tables.ROBUSTNESS)
    assert list(rob.columns) == list(tables.SCHEMAS[tables.ROBUSTNESS])
    assert len(rob) == 2 * len(STRATEGIES) * len(manifest["config"]["outcomes"])
    assert set(rob["design"]) == {"explore", "mandate"}
    assert rob.loc[rob["strategy"] == "none", "p_better"].isna().all()
    assert rob["p_better"].dropna().between(0, 1).all() and (rob["mean_regret"] >= 0).all()
    sens = pd.read_csv(out / tables.SENSITIVITY, keep_default_na=False, na_values=[""])
    assert list(sens.columns) == list(tables.SCHEMAS[tables.SENSITIVITY])
    assert set(sens["method"]) == {"morris", "sobol"}
    assert set(sens["versus"].dropna()) == {"none"}  # paired differences against none
    assert sens.loc[sens["method"] == "sobol", "mu_star"].isna().all()
    assert sens.loc[sens["method"] == "morris", "ST"].isna().all()
    discovery = json.loads((out / tables.DISCOVERY).read_text())
    cases = {(c["case"], c["strategy"]) for c in discovery["cases"]}
    assert cases == {
        ("naming_cascade", "all"), ("distancing_cascade", "all"),
        *(("beats_reference", s) for s in STRATEGIES[1:]),
    }  # fmt: skip
    for case in discovery["cases"]:
        assert {"rule", "n_points", "n_cases", "found", "coverage", "density", "mass", "limits",
                "trajectory", "restricted"} <= set(case)  # fmt: skip
        assert len(case["limits"]) >= D - 1


@pytest.mark.slow
def test_manifest_report_and_figures(tiny) -> None:
    out, manifest = tiny
    assert json.loads((out / MANIFEST).read_text())["n_runs"] == manifest["n_runs"]
    assert manifest["n_points"] == N_POINTS and manifest["n_seeds"] == 3
    assert manifest["seeds"] == replicate_seeds(20220224, 3).tolist()
    assert manifest["designs"]["sobol"]["rows"] == 2 * (D + 2)
    for key in ("git", "packages", "timings_s", "config", "accepted_sets_file", "uncertainty"):
        assert key in manifest
    assert "SALib" in manifest["packages"] and "ema-workbench" in manifest["packages"]
    report = (out / REPORT).read_text()
    for image in re.findall(r"\]\((figures/[^)]+)\)", report):
        assert (out / image).exists(), image
    assert {f"figures/{f}" for f in manifest["figures"]} == set(
        re.findall(r"\]\((figures/[^)]+)\)", report)
    )
    assert "## Which strategy is robust" in report and "## Where each strategy fails" in report
    assert not list(out.glob("*.tmp")) and not (out / ".parts").exists()


@pytest.mark.slow
def test_every_strategy_runs_on_the_same_seeds(tiny) -> None:
    out, _ = tiny
    runs = pd.read_parquet(out / tables.RUNS)
    seeds = replicate_seeds(20220224, 3).tolist()
    for _, group in runs.groupby(["design", "point", "strategy"], observed=True):
        assert group["seed"].tolist() == seeds


@pytest.mark.slow
def test_same_seed_same_tables_whatever_the_workers(tiny, tiny_again) -> None:
    out, _ = tiny
    for name in (tables.RUNS, tables.SCENARIOS):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name), pd.read_parquet(tiny_again / name)
        )
    for name in (tables.ROBUSTNESS, tables.SENSITIVITY, tables.DISCOVERY):
        assert (out / name).read_text() == (tiny_again / name).read_text(), name


@pytest.mark.slow
def test_another_seed_gives_other_tables(tiny, tmp_path: Path) -> None:
    out, _ = tiny
    other = tmp_path / "other"
    run_analysis(compose_analyse("seed=7", "designs.morris_trajectories=0", "designs.sobol_n=0"),
                 other)  # fmt: skip
    a = pd.read_parquet(out / tables.SCENARIOS)
    b = pd.read_parquet(other / tables.SCENARIOS)
    explore = [t.loc[t["design"] == "explore", "budget"] for t in (a, b)]
    assert not np.allclose(*explore)


@pytest.fixture
def job_logging() -> Iterator[None]:
    """Hydra's job logging (set up by ``main`` in this process) undone after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers, root.level = handlers, level


def _chunk_ids() -> list[str]:
    return [chunk_id for chunk_id, _, _ in settings(compose_analyse()).plan.chunks()]


@pytest.mark.slow
def test_a_failed_chunk_is_in_the_ledger_and_the_rerun_finishes_it(
    tiny, tmp_path, monkeypatch, capsys, job_logging
) -> None:
    out, _ = tiny
    folder = tmp_path / "failed"
    real = runner.run_points
    computed: list[tuple[str, int]] = []

    def simulate(configs, design, points, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if (design.method, points.start) == ("morris", 16):  # chunk morris-00001
            raise RuntimeError("simulated failure")
        computed.append((design.method, points.start))
        return real(configs, design, points, *args, **kwargs)

    monkeypatch.setattr(runner, "run_points", simulate)
    with pytest.raises(SystemExit) as exc:  # Hydra's report of an error: traceback, status 1
        main([*TINY, f"hydra.run.dir={folder}"])
    assert exc.value.code == 1 and "simulated failure" in capsys.readouterr().err
    events = read_events(folder)
    failed = [e for e in events if e["event"] == "failed"]
    assert [(e["chunk"], e["error"]) for e in failed] == [
        ("morris-00001", "RuntimeError: simulated failure")
    ]
    ids = _chunk_ids()
    before = ids.index("morris-00001")  # chunks finished before the failure
    assert [e["chunk"] for e in events if e["event"] == "done"] == ids[:before]
    assert not any(e["event"] == "finalized" for e in events)
    for name in (tables.RUNS, tables.SCENARIOS, tables.ROBUSTNESS, REPORT, MANIFEST):
        assert not (folder / name).exists(), name

    computed.clear()
    monkeypatch.setattr(
        runner, "run_points", lambda *a, **k: computed.append(a[2]) or real(*a, **k)
    )
    main([*TINY, f"hydra.run.dir={folder}"])  # the same command, the same folder
    assert len(computed) == len(ids) - before  # the finished chunks were not recomputed
    events = read_events(folder)
    assert Counter(e["chunk"] for e in events if e["event"] == "done") == dict.fromkeys(ids, 1)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["chunks_resumed"] == before
    assert manifest["chunks"] == {"planned": len(ids), "records": len(ids)}
    for name in (tables.RUNS, tables.SCENARIOS):
        a, b = pd.read_parquet(out / name), pd.read_parquet(folder / name)
        assert a.equals(b), name
    for name in (tables.ROBUSTNESS, tables.SENSITIVITY, tables.DISCOVERY):
        assert (out / name).read_text() == (folder / name).read_text(), name

    computed.clear()  # a finished folder: the published runs are reused, nothing rerun
    assert run_analysis(compose_analyse(), folder)["chunks_resumed"] == len(ids)
    assert computed == [] and not (folder / ".parts").exists()


def test_a_folder_of_another_analysis_is_refused(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "other"
    with Ledger.open(folder, content_key("another analysis"), [Chunk("x")]):
        pass
    before = (folder / LEDGER).read_bytes()
    with pytest.raises(SystemExit) as exc:
        main([*TINY, f"hydra.run.dir={folder}"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: hydra.run.dir: ") and "another configuration" in lines[0]
    assert content_key("another analysis")[:12] in lines[0]
    assert (folder / LEDGER).read_bytes() == before and not (folder / ".hydra").exists()
    with pytest.raises(ConfigError, match=r"^hydra\.run\.dir: .* another configuration"):
        run_analysis(compose_analyse(), folder)
    assert (folder / LEDGER).read_bytes() == before


@pytest.mark.slow  # a timed pilot of the analysis (and the workbench imported)
def test_dry_run_prints_runs_time_and_disk(capsys, tmp_path: Path) -> None:
    out = tmp_path / "never"
    main(["--dry-run", *TINY, "pilot_points=2", f"hydra.run.dir={out}"])
    text = capsys.readouterr().out
    runs = N_POINTS * len(STRATEGIES) * 3
    assert f"{N_POINTS:,} points x {len(STRATEGIES)} strategies x 3 seeds = {runs:,} runs" in text
    assert re.search(r"pilot: [\d,]+ runs in [\d.]+ s = [\d,]+ runs/s", text)
    assert re.search(r"estimated time: [\d.]+ (s|min) = simulation", text)
    assert re.search(r"disk: at most [\d.]+ MB for runs\.parquet .* MB for scenarios", text)
    assert not out.exists()


BAD = [
    (["+uncertainty.model.peer_wieght={kind:real,lo:0,hi:1}"],
     ["uncertainty.model.peer_wieght", "not a model parameter", "allowed:", "peer_weight"]),
    (["+uncertainty.model.peer_weight={kind:real,lo:0,hi:99}"],
     ["uncertainty.model.peer_weight", "documented [0.0, 8.0]"]),
    (["+uncertainty.levers.budget.low=1"],
     ["uncertainty.levers.budget.low", "unknown key", "allowed:", "kind, lo, hi, values"]),
    (["+uncertainty.levers.members={kind:categorical,values:[a]}"],
     ["uncertainty.levers.members", "unknown lever", "optional_countries"]),
    (["uncertainty.levers.institution.values=[none,nato]"],
     ["uncertainty.levers.institution", "unsc"]),
    (["+uncertainty.fixed.peer_weight=1"],
     ["uncertainty.fixed.peer_weight", "not a dimension", "eligibility"]),
    (["+uncertainty.fixed.budget=99"], ["uncertainty.fixed.budget", "outside its range"]),
    (["uncertainty.deeep=false"], ["uncertainty.deeep", "unknown key", "allowed:", "deep"]),
    (["uncertainty=nonesuch"], ["uncertainty", "allowed:", "as_in_2022", "default"]),
    (["experiment=nonesuch"], ["experiment", "allowed:", "robustness"]),
    (["designs.sobol_n=100"], ["designs.sobol_n", "power of two"]),
    (["reference=nonesuch"], ["reference", "allowed:", "none"]),
    (["+outcomes.final_sanctoning={direction:higher}"],
     ["outcomes.final_sanctoning", "not an outcome", "final_sanctioning"]),
    (["sensitivity.outcomes=[budget_spnt]"], ["sensitivity.outcomes", "budget_spnt"]),
    (["discovery.cases.naming_cascade.strategy=nonesuch"],
     ["discovery.cases.naming_cascade.strategy", "allowed:", "each"]),
    (["n_seeds=0"], ["n_seeds", ">= 1"]),
    (["model.peer_weight=99"], ["model.peer_weight", "[0.0, 8.0]"]),
    (["decision.headline=[final_sanctoning]"],
     ["decision.headline", "not an outcome", "final_sanctioning"]),
    (["+uncertainty.levers.strategy.kk={kind:integer,lo:1,hi:2}"],
     ["uncertainty.levers.strategy.kk", "not an option of any strategy", "k"]),
    (["uncertainty.levers.strategy.k.lo=0"], ["uncertainty.levers.strategy.k", "k"]),
    (["uncertainty.levers.budget.lo=0"], ["uncertainty.levers.budget", "lo > 0"]),
]  # fmt: skip


FAST_BAD = {
    "uncertainty.deeep=false",
    "+uncertainty.levers.members={kind:categorical,values:[a]}",
    "reference=nonesuch",
    "model.peer_weight=99",
    "designs.sobol_n=100",
}
"""Rows of ``BAD`` in the quick loop (each composes the analysis config); all: slow."""


@pytest.mark.parametrize(
    ("argv", "words"),
    [b if " ".join(b[0]) in FAST_BAD else pytest.param(*b, marks=pytest.mark.slow) for b in BAD],
    ids=[" ".join(b[0]) for b in BAD],
)
@pytest.mark.parametrize("dry", [False, True], ids=["run", "dry-run"])
def test_bad_input_is_one_line_naming_the_key(capsys, tmp_path: Path, argv, words, dry) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main([*TINY, *argv, *(["--dry-run"] if dry else []), f"hydra.run.dir={out}"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()  # no folder: no output that looks complete


def test_readme_documents_every_analysis_column(project_root: Path) -> None:
    readme = (project_root / "README.md").read_text()
    assert "## Which strategy is robust?" in readme
    for name, columns in tables.SCHEMAS.items():
        assert f"#### `{name}`" in readme, name
        for column, (kind, _doc) in columns.items():
            assert f"| `{column}` | {kind} |" in readme, (name, column)


PRESET_SIZES = {
    "robustness": ("designs.explore=24", "designs.effort=3", "designs.mandate=4"),
    "sensitivity": ("designs.morris_trajectories=2", "designs.sobol_n=2"),
    "discovery": ("designs.explore=24",),
}
PRESET_FILES = {
    "robustness": {tables.ROBUSTNESS, tables.DISCOVERY},
    "sensitivity": {tables.SENSITIVITY},
    "discovery": {tables.ROBUSTNESS, tables.DISCOVERY},
}


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESET_SIZES))
def test_every_preset_runs_end_to_end(preset: str, tmp_path: Path) -> None:
    overrides = [o for o in TINY if not o.startswith("designs.")]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "analyse",
            overrides=[f"experiment={preset}", *overrides, *PRESET_SIZES[preset], SEARCH_PATH],
        )
    manifest = run_analysis(cfg, tmp_path / preset)
    assert manifest["experiment"] == preset
    optional = {tables.ROBUSTNESS, tables.SENSITIVITY, tables.DISCOVERY}
    assert set(manifest["files"]) & optional == PRESET_FILES[preset]
    assert (tmp_path / preset / REPORT).exists() and (tmp_path / preset / MANIFEST).exists()


def test_docs_analysis_is_generated_with_its_figures(project_root: Path) -> None:
    """docs/analysis.md comes from the default analysis and shows only existing figures."""
    report = (project_root / "docs" / "analysis.md").read_text()
    assert report.startswith("# What could Japan have done?")
    assert "Generated by `python -m experiments.analyse" in report
    images = re.findall(r"\]\((figures/[^)]+)\)", report)
    assert images and all((project_root / "docs" / i).exists() for i in images)
