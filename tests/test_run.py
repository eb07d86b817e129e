"""End-to-end runs on tiny ensembles: tables match their schema, figures, multirun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments.workflow import outputs, plot
from experiments.workflow.ledger import file_sha256, read_events
from experiments.workflow.manifest import MANIFEST
from experiments.workflow.paths import CONF_DIR, ROOT
from experiments.workflow.run import run_experiment
from experiments.workflow.scenario import load_scenario_file
from sim import SUMMARY_COLUMNS, replicate_seeds

SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")  # as conftest.SMALL
PRESETS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
KEYS = ("strategy", "point", "seed")


def _arrow_type(field) -> str:  # noqa: ANN001
    t = str(field.type)
    if t.startswith("dictionary<values=string"):
        return "dictionary<string>"
    return {"float": "float32", "double": "float64", "list<element: int64>": "list<int64>"}.get(
        t, t
    )


def check_schema(path: Path, name: str, swept: tuple[str, ...] = ()) -> pd.DataFrame:
    """The file's columns are exactly the documented ones, in order, with their types."""
    schema = pq.read_schema(path)
    documented = [c for c in outputs.SCHEMAS[name] if c != "<swept parameter>"]
    expected = [*KEYS[:2], *swept, *documented[2:]]
    assert schema.names == expected
    for col, (kind, _doc) in outputs.SCHEMAS[name].items():
        if col != "<swept parameter>":
            assert _arrow_type(schema.field(col)) == kind, (name, col)
    return pd.read_parquet(path)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[Path, dict]:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[*SMALL, "strategies=[none,uniform,adaptive]", "+sweep.budget=[1,4]"],
        )
    out = tmp_path_factory.mktemp("run")
    manifest = run_experiment(cfg, out, ["+sweep.budget=[1,4]"])
    return out, manifest


def test_tables_match_documented_schema(tiny_run) -> None:
    out, manifest = tiny_run
    traj = check_schema(out / outputs.TRAJECTORIES, outputs.TRAJECTORIES, ("budget",))
    steps = check_schema(out / outputs.STEPS, outputs.STEPS, ("budget",))
    summary = check_schema(out / outputs.SUMMARY, outputs.SUMMARY, ("budget",))
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    n_str, n_pts, n_seeds, n_steps, n_c = 3, 2, 3, 7, 10
    assert len(summary) == n_str * n_pts * n_seeds
    assert len(steps) == n_str * n_pts * n_seeds * n_steps
    assert len(traj) == n_str * n_pts * n_seeds * n_steps * n_c
    assert set(traj["country"].astype(str)) == set(load_scenario_file()["simulated"])
    assert traj["date"].min() == pd.Timestamp("2022-02-24").date()
    assert (
        traj["level_name"].astype(str)
        == np.array(["oppose", "neutral", "principle", "condemn", "sanction"])[traj["level"]]
    ).all()
    assert sorted(summary["budget"].unique()) == [1.0, 4.0]
    assert not list(out.glob("*.tmp"))
    curves = check_schema(out / outputs.CURVES, outputs.CURVES, ("budget",))
    derived = {name: len(pd.read_csv(out / name)) for name in ("countries.csv", "comparison.csv")}
    assert manifest["files"] == {
        outputs.SUMMARY: len(summary),
        outputs.STEPS: len(steps),
        outputs.TRAJECTORIES: len(traj),
        outputs.CURVES: len(curves),
        **derived,
    }
    for name, digest in manifest["sha256"].items():
        assert digest == file_sha256(out / name)


def test_common_random_numbers_and_manifest(tiny_run) -> None:
    out, _ = tiny_run
    summary = pd.read_parquet(out / outputs.SUMMARY)
    expected = replicate_seeds(20220224, 3).tolist()
    for _, group in summary.groupby(["strategy", "point"], observed=True):
        assert group["seed"].tolist() == expected
    manifest = json.loads((out / MANIFEST).read_text())
    for key in ("config", "root_seed", "seeds", "git", "packages", "timings_s", "engine"):
        assert key in manifest
    assert manifest["seeds"] == expected and manifest["root_seed"] == 20220224
    assert manifest["strategies"] == ["none", "uniform", "adaptive"]
    assert {"commit", "dirty"} <= set(manifest["git"])
    assert manifest["points"] == [{"point": 0, "budget": 1}, {"point": 1, "budget": 4}]


def test_summary_agrees_with_steps(tiny_run) -> None:
    out, _ = tiny_run
    steps = pd.read_parquet(out / outputs.STEPS)
    summary = pd.read_parquet(out / outputs.SUMMARY)
    last = steps[steps["step"] == steps["step"].max()]
    merged = summary.merge(last, on=["strategy", "point", "seed"])
    assert (merged["final_sanctioning"] == merged["n_sanctioning"]).all()
    assert (merged["final_condemn_or_higher"] == merged["n_condemn_or_higher"]).all()
    spent = steps.groupby(["strategy", "point", "seed"], observed=True)["spent"].sum()
    np.testing.assert_allclose(
        summary.set_index(["strategy", "point", "seed"])["budget_spent"],
        spent.loc[summary.set_index(["strategy", "point", "seed"]).index],
    )


def test_figures_have_one_line_per_strategy(tiny_run) -> None:
    out, _ = tiny_run
    curves = pd.read_parquet(out / outputs.CURVES)
    fig = plot.adoption_curves(curves)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4  # 2 points x (sanction, condemn-or-higher)
    for ax in axes:
        labels = [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert labels == ["none", "uniform", "adaptive"]
        assert ax.get_title() and ax.get_ylim() == (-0.1, 10.1)  # the whole scale: 0-10
    assert "budget=1" in axes[0].get_title() and "budget=4" in axes[2].get_title()
    fig = plot.country_levels(curves)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert axes[7].get_title() == "Singapore (SG)"  # named panels
    assert all(len(ax.get_lines()) == 3 for ax in axes)
    fig = plot.strategy_comparison(pd.read_parquet(out / outputs.SUMMARY))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "budget=1" in legend and not any("any_adoption" in t for t in legend)


@pytest.mark.slow
def test_plot_entry_point_redraws_from_tables(tiny_run) -> None:
    out, _ = tiny_run
    for name in plot.FIGURES:
        for ext in ("png", "svg"):
            (out / f"{name}.{ext}").unlink(missing_ok=True)
    plot.main([str(out)])  # the run's plot_formats: png by default
    assert all((out / f"{name}.png").stat().st_size > 1000 for name in plot.FIGURES)
    assert not list(out.glob("*.svg"))
    plot.main([str(out), "--format", "svg"])  # another format on request, drawn once
    for name in plot.FIGURES:
        assert (out / f"{name}.svg").stat().st_size > 1000


def test_mesa_engine_gives_the_same_tables(compose_cfg, tmp_path: Path) -> None:
    tables = {}
    for engine in ("compiled", "mesa"):
        cfg = compose_cfg(
            *SMALL, "n_seeds=2", "strategy=adaptive", f"engine={engine}", "keep_trajectories=false"
        )
        run_experiment(cfg, tmp_path / engine)
        tables[engine] = pd.read_parquet(tmp_path / engine / outputs.SUMMARY)
        assert not (tmp_path / engine / outputs.TRAJECTORIES).exists()
    pd.testing.assert_frame_equal(tables["compiled"], tables["mesa"])


def test_failed_run_leaves_nothing_that_looks_complete(
    compose_cfg, tmp_path: Path, monkeypatch
) -> None:
    calls = []

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    real = outputs.steps_table
    monkeypatch.setattr(outputs, "steps_table", failing)
    with pytest.raises(RuntimeError):
        run_experiment(compose_cfg(*SMALL, "strategies=[none,uniform]"), tmp_path)
    # no table, no figure, no manifest, no temporary file: only the ledger and its parts
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".lock", ".parts", "ledger.jsonl"], left
    failed = [e for e in read_events(tmp_path) if e["event"] == "failed"]
    assert len(failed) == 1 and "RuntimeError: disk full" in failed[0]["error"]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.slow
def test_multirun_is_combined_at_the_sweep_root(tmp_path: Path, run_cli) -> None:
    sweep = tmp_path / "sweep"
    proc = run_cli(
        ["-m", "budget=1,2", "strategies=[uniform,none]", *SMALL, f"hydra.sweep.dir={sweep}"]
    )
    assert proc.returncode == 0, proc.stderr
    combined = pd.read_parquet(sweep / outputs.SUMMARY)
    assert sorted(combined["job"].unique()) == [0, 1]
    assert list(combined.columns[:2]) == ["job", "overrides"]
    for job in range(2):
        per_job = pd.read_parquet(sweep / str(job) / outputs.SUMMARY)
        rows = combined[combined["job"] == job]
        assert len(rows) == len(per_job) == 2 * 3  # strategies x seeds
        assert rows["seed"].tolist() == per_job["seed"].tolist()
        ov = rows["overrides"].astype(str).iloc[0]
        manifest = json.loads((sweep / str(job) / MANIFEST).read_text())
        assert ov == " ".join(manifest["overrides"])
        assert f"budget={manifest['config']['budget']:g}" in ov
    steps = pd.read_parquet(sweep / outputs.STEPS)
    assert len(steps) == 2 * 2 * 3 * 7
    assert (sweep / outputs.TRAJECTORIES).exists()


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_runs_end_to_end(compose_cfg, preset: str, tmp_path: Path) -> None:
    cfg = compose_cfg(f"experiment={preset}", "n_seeds=2", "calendar.n_steps=4", "plots=true")
    manifest = run_experiment(cfg, tmp_path)
    assert manifest["experiment"] == preset
    for name in (*outputs.TABLES, MANIFEST, *(f"{f}.png" for f in plot.FIGURES)):
        assert (tmp_path / name).exists(), name
    summary = pd.read_parquet(tmp_path / outputs.SUMMARY)
    assert set(summary["strategy"].astype(str)) == set(manifest["strategies"])


@pytest.mark.slow
def test_multirun_with_joblib_launcher(tmp_path: Path, run_cli) -> None:
    sweep = tmp_path / "sweep"
    proc = run_cli(
        [
            "-m",
            "hydra/launcher=joblib_local",
            "budget=1,2",
            "strategy=uniform",
            *SMALL,
            f"hydra.sweep.dir={sweep}",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    combined = pd.read_parquet(sweep / outputs.SUMMARY)
    assert sorted(combined["job"].unique()) == [0, 1]
    assert set(combined["overrides"].astype(str).str.split().str[0]) == {"budget=1", "budget=2"}


@pytest.mark.slow
def test_main_job_from_the_command_line(tmp_path: Path, run_cli) -> None:
    proc = run_cli(["n_seeds=4", f"hydra.run.dir={tmp_path}"])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in plot.FIGURES:
        assert (tmp_path / f"{name}.png").exists()
    assert json.loads((tmp_path / MANIFEST).read_text())["n_seeds"] == 4


def test_readme_documents_every_output_column(project_root: Path) -> None:
    readme = (project_root / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("```", 2)[1]
    assert quickstart.strip().splitlines() == ["make run", "make test"]
    for name, columns in {**outputs.SCHEMAS, "combined": outputs.COMBINED_COLUMNS}.items():
        for column, (kind, _doc) in columns.items():
            assert f"| `{column}` | {kind} |" in readme, (name, column)


def test_curves_agree_with_the_per_seed_tables(tiny_run) -> None:
    out, _ = tiny_run
    steps = pd.read_parquet(out / outputs.STEPS)
    traj = pd.read_parquet(out / outputs.TRAJECTORIES)
    curves = pd.read_parquet(out / outputs.CURVES)
    keys = ["strategy", "point", "step"]
    for measure, table, extra in (
        ("n_sanctioning", steps, []),
        ("leakage", steps, []),
        ("level", traj.rename(columns={"level": "value"}), ["country"]),
    ):
        column = "value" if measure == "level" else measure
        expected = table.groupby([*keys, *extra], observed=True)[column].agg(["mean", "std"])
        got = curves[curves["measure"] == measure].set_index([*keys, *extra])
        got["country"] = got.index.get_level_values(-1) if extra else None
        np.testing.assert_allclose(got["mean"], expected.loc[got.index, "mean"], rtol=1e-12)
        np.testing.assert_allclose(got["std"], expected.loc[got.index, "std"], atol=1e-12)
    ints = curves[curves["measure"] == "n_sanctioning"]
    assert all(sum(c) == n for c, n in zip(ints["counts"], ints["n"], strict=True))


def test_curves_merged_over_chunks(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg(*SMALL, "n_seeds=7", "chunk_size=2", "strategies=[none,uniform]")
    run_experiment(cfg, tmp_path)
    steps = pd.read_parquet(tmp_path / outputs.STEPS)
    curves = pd.read_parquet(tmp_path / outputs.CURVES)
    for measure in ("n_condemn_or_higher", "spent"):
        expected = steps.groupby(["strategy", "point", "step"], observed=True)[measure]
        got = curves[curves["measure"] == measure].set_index(["strategy", "point", "step"])
        np.testing.assert_allclose(got["mean"], expected.mean().loc[got.index], rtol=1e-12)
        np.testing.assert_allclose(got["std"], expected.std().loc[got.index], atol=1e-9)
        assert (got["n"] == 7).all()


def test_curve_sums_by_counting_values_equal_the_binned_exact_sums() -> None:
    from experiments.workflow import curves as C

    rng = np.random.default_rng(7)
    few = rng.choice([0.0, -0.0, 0.3, 22.75, -1.5, 1e-3, 7e5], size=(500, 9))
    many = rng.normal(0, 30, (200, 6))  # every value distinct
    for x in (few, many, np.zeros((3, 2)), few[:1]):
        counted = C._value_sums(x)
        assert counted is not None
        assert counted == (C.exact_sums(x), C.exact_sums(C._square_terms(x)))
    assert C._value_sums(np.array([[1e-200, 1.0]])) is None  # outside [TINY, HUGE]: binned
    levels = rng.integers(0, 9, (50, 6, 4)).astype(np.int8)
    expected = np.stack([(levels == b).sum(axis=0) for b in range(9)], axis=-1)
    assert np.array_equal(C._value_counts(levels, 9), expected)
    assert np.array_equal(C._value_counts(levels, 5), expected[..., :5])  # out of bins: left out


@pytest.mark.slow  # a second process
def test_help_is_hydras_own_text_from_one_composition(run_cli) -> None:
    """``--help`` lists groups from one copy of the config repository: Hydra's text."""
    ours = run_cli(["--help", "budget=3"])
    hydra_own = "import sys; from experiments.workflow.run import _task; _task()"
    theirs = subprocess.run(
        [sys.executable, "-c", hydra_own, "--help", "budget=3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ours.returncode == 0 and theirs.returncode == 0, theirs.stderr[-2000:]
    assert "== Configuration groups ==" in ours.stdout and "budget: 3.0" in ours.stdout
    assert "strategy: adaptive, asean_multilateral" in ours.stdout
    assert ours.stdout == theirs.stdout
