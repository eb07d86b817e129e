"""The strategy comparison table of the main job (``comparison.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.workflow import comparison, outputs
from experiments.workflow.run import run_experiment


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):  # noqa: ANN201
    from hydra import compose, initialize_config_dir

    from experiments.workflow.paths import CONF_DIR

    folder = tmp_path_factory.mktemp("comparison")
    overrides = ["n_seeds=6", "calendar.n_steps=12", "strategies=[none,uniform,historical]",
                 "accepted_sets=3", "plots=false", "budget=2"]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    record = run_experiment(cfg, folder)
    return folder, record


def test_comparison_keeps_parameter_spread_apart_from_monte_carlo_error(small_run) -> None:
    folder, record = small_run
    table = pd.read_csv(folder / comparison.COMPARISON).set_index("strategy")
    assert record["files"][comparison.COMPARISON] == len(table) == 3
    summary = pd.read_parquet(folder / outputs.SUMMARY)
    m = "final_condemn_or_higher"
    for strategy, row in table.iterrows():
        runs = summary[summary["strategy"] == strategy]
        per_set = runs.groupby("point")[m]
        assert row["sets"] == 3 and row["seeds"] == 6
        assert row[m] == pytest.approx(runs[m].mean(), rel=1e-5)
        se = np.sqrt((per_set.var().fillna(0) / per_set.count()).sum() / 9)
        assert row[f"{m}_mc_se"] == pytest.approx(se, rel=1e-5, abs=1e-9)
        lo, hi = np.quantile(per_set.mean(), [0.05, 0.95])
        assert (row[f"{m}_p05"], row[f"{m}_p95"]) == pytest.approx((lo, hi), rel=1e-5, abs=1e-9)
    none, uniform = table.loc["none"], table.loc["uniform"]
    gain = 100 * (uniform[m] - none[m]) / uniform["budget_spent"]
    assert uniform["condemn_gain_per_100"] == pytest.approx(gain, rel=1e-4)  # 6 digits
    means = summary.groupby("strategy", observed=True).mean(numeric_only=True)
    spent = means.loc["uniform", "budget_spent"]
    for column, measure, sign in (
        ("distancing_gain_per_100", "final_distancing_or_more", 1.0),
        ("leakage_cut_per_100", "mean_leakage", -1.0),
    ):
        gain = sign * 100 * (means.loc["uniform", measure] - means.loc["none", measure]) / spent
        assert uniform[column] == pytest.approx(gain, rel=1e-5, abs=1e-9), column
    assert np.isnan(none["condemn_gain_per_100"])  # spends nothing
    ratio = uniform["budget_spent"] / table.loc["historical", "budget_spent"]
    assert uniform["spend_vs_historical"] == pytest.approx(ratio, abs=1e-5)


def test_comparison_says_whether_outcomes_settled(small_run) -> None:
    folder, _ = small_run
    table = pd.read_csv(folder / comparison.COMPARISON)
    curves = pd.read_parquet(folder / outputs.CURVES)
    base = next(r for r in table.itertuples(index=False) if r.strategy == "none")
    for row in table.itertuples(index=False):
        c = curves[(curves["strategy"] == row.strategy)
                   & (curves["measure"] == "n_condemn_or_higher")]  # fmt: skip
        pooled = c.groupby("step").apply(lambda d: (d["n"] * d["mean"]).sum() / d["n"].sum())
        change = pooled.iloc[-1] - pooled.iloc[-1 - comparison.SETTLE_WEEKS]
        assert row.condemn_change_last_8w == pytest.approx(change, rel=1e-5, abs=1e-9)
        # leakage is judged on the strategy's effect: its change less none's (same seeds)
        effect = row.leakage_change_last_8w - base.leakage_change_last_8w
        assert row.leakage_effect_change_last_8w == pytest.approx(effect, rel=1e-4, abs=1e-6)
        settled = (
            abs(change) <= comparison.SETTLED["n_condemn_or_higher"]
            and abs(effect) <= comparison.SETTLED["leakage"]
        )
        assert bool(row.settled) == settled
    assert base.leakage_effect_change_last_8w == 0.0  # none has no effect on itself


@pytest.mark.slow  # the whole main job (25 sets)
def test_main_job_compares_every_strategy_at_historical_effort(tmp_path) -> None:
    """The default main job (its budget, effort, accepted sets and horizon; fewer seeds):
    every strategy that spends spends what the `historical` replay does, within 1%, in
    every accepted set (matched effort holds whatever a set's japan_budget_gain)."""
    from hydra import compose, initialize_config_dir

    from experiments.workflow.paths import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["n_seeds=2", "plots=false", "keep_trajectories=false"])
    assert cfg.effort.value == "matched" and cfg.accepted_sets > 1
    run_experiment(cfg, tmp_path)
    table = pd.read_csv(tmp_path / comparison.COMPARISON).set_index("strategy")
    spenders = table.drop(index="none")
    assert len(spenders) == 10 and (spenders["sets"] == cfg.accepted_sets).all()
    assert spenders["spend_vs_historical"].between(0.99, 1.01).all(), spenders["budget_spent"]
    summary = pd.read_parquet(tmp_path / outputs.SUMMARY, columns=["strategy", "budget_spent"])
    by_run = summary[summary["strategy"] != "none"]["budget_spent"]
    replay = table.loc["historical", "budget_spent"]
    assert by_run.between(0.99 * replay, 1.01 * replay).all()  # every set, every seed


def test_readme_documents_the_comparison_columns(project_root) -> None:
    readme = (project_root / "README.md").read_text()
    assert f"#### `{comparison.COMPARISON}`" in readme
    for column, (kind, _doc) in comparison.COLUMNS.items():
        assert f"| `{column}` | {kind} |" in readme, column


def test_share_sets_best_splits_ties_and_sums_to_one(small_run) -> None:
    """Per set, the strategy with the most members naming Russia wins it (ties split)."""
    folder, _ = small_run
    table = pd.read_csv(folder / comparison.COMPARISON).set_index("strategy")
    assert table.columns[list(table.columns).index("seeds") + 1] == comparison.HEADLINE
    assert table["share_sets_best"].sum() == pytest.approx(1.0)
    summary = pd.DataFrame(
        {
            "strategy": ["none", "uniform", "adaptive"] * 2,
            "point": [0, 0, 0, 1, 1, 1],
            comparison.HEADLINE: [1, 3, 3, 1, 2, 4],
        }
    )
    best = comparison.share_sets_best(summary, ["strategy"])
    assert best == {("none",): 0.0, ("uniform",): 0.25, ("adaptive",): 0.75}
