"""The per-country outcome table of the main job (``countries.csv``)."""

from __future__ import annotations

import pandas as pd

from experiments.workflow import countries, outputs
from experiments.workflow.run import run_experiment
from sim.ladder import LEVEL_NAMES

SHARES = [f"share_{name}" for name in LEVEL_NAMES]


def test_countries_table_counts_final_rungs(compose_cfg, tmp_path) -> None:
    cfg = compose_cfg("n_seeds=5", "calendar.n_steps=6", "strategies=[none,adaptive]",
                      "+sweep.budget=[1,4]", "plots=false")  # fmt: skip
    record = run_experiment(cfg, tmp_path)
    table = pd.read_csv(tmp_path / countries.COUNTRIES)
    assert record["files"][countries.COUNTRIES] == len(table) == 2 * 2 * 10
    traj = pd.read_parquet(tmp_path / outputs.TRAJECTORIES)
    final = traj[traj["step"] == traj["step"].max()]
    for row in table.itertuples(index=False):
        runs = final[(final["strategy"] == row.strategy) & (final["point"] == row.point)
                     & (final["country"] == row.country)]  # fmt: skip
        assert row.n == len(runs) == 5
        assert row.mean_final_level == runs["level"].mean()
        shares = [(runs["level"] == k).mean() for k in range(len(LEVEL_NAMES))]
        assert [getattr(row, s) for s in SHARES] == shares
    assert set(table.columns) == {
        c for c in countries.COLUMNS if c not in ("job", "overrides", "<swept parameter>")
    } | {"budget"}


def test_summaries_only_runs_have_the_countries_table(compose_cfg, tmp_path) -> None:
    cfg = compose_cfg("n_seeds=3", "calendar.n_steps=4", "strategy=uniform", "plots=false",
                      "keep_steps=false", "keep_trajectories=false", "accepted_sets=0")  # fmt: skip
    run_experiment(cfg, tmp_path)
    table = pd.read_csv(tmp_path / countries.COUNTRIES)
    assert len(table) == 10 and (table[SHARES].sum(axis=1).round(12) == 1).all()


def test_readme_documents_the_countries_columns(project_root) -> None:
    readme = (project_root / "README.md").read_text()
    assert f"#### `{countries.COUNTRIES}`" in readme
    for column, (kind, _doc) in countries.COLUMNS.items():
        assert f"| `{column}` | {kind} |" in readme, column
