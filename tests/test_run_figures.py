"""The run figures as a reader needs them: accepted sets pooled with their parameter spread,
nothing left out silently, whole-scale axes, intervals within bounds, one line per job of
a multirun."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.workflow import figdata, outputs, plot
from experiments.workflow.run import run_experiment

SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")  # as conftest.SMALL


@pytest.fixture(scope="module")
def sets_run(tmp_path_factory) -> Path:
    from hydra import compose, initialize_config_dir

    from experiments.workflow.paths import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                *SMALL,
                "strategies=[none,uniform]",
                "+sweep.accepted_set=[0,7,14,21,28,35,42,49,56,63]",
            ],
        )
    out = tmp_path_factory.mktemp("sets")
    run_experiment(cfg, out)
    return out


def test_accepted_sets_are_pooled_with_their_parameter_spread(sets_run) -> None:
    curves = pd.read_parquet(sets_run / outputs.CURVES)
    fig = plot.adoption_curves(curves)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2  # one group: the 10 sets pooled, none left out
    assert "10 accepted sets x 3 seeds" in fig.get_suptitle()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("parameter spread" in t and "10 accepted sets" in t for t in legend)
    assert any("Monte Carlo" in t for t in legend)
    rows = curves[(curves["strategy"] == "uniform") & (curves["measure"] == "leakage")]
    band = figdata.pooled_curve(rows, (0.0, np.inf), spread=True)
    last = rows[rows["step"] == rows["step"].max()]
    expected = np.quantile(last["mean"], figdata.PREDICTIVE)  # over the sets' means
    assert (band["p_lo"].iloc[-1], band["p_hi"].iloc[-1]) == pytest.approx(tuple(expected))
    summary = pd.read_parquet(sets_run / outputs.SUMMARY)
    fig = plot.strategy_comparison(summary)
    assert "10 accepted sets x 3 seeds" in fig.get_suptitle()
    assert "budget unit" in fig.get_suptitle()


def _made_up_summary(spent: dict[str, float]) -> pd.DataFrame:
    rows = []
    for k, strategy in enumerate(("none", "uniform", "adaptive")):
        for seed in range(6):
            rows.append(
                {
                    "strategy": strategy, "point": 0, "seed": seed,
                    "final_sanctioning": 1 + seed % 2,
                    "final_condemn_or_higher": 1 + k + seed % 2,
                    "ever_naming_russia": 2 + k + seed % 2,
                    "final_distancing_or_more": 2 + k * (seed % 3),
                    "weeks_to_first_adoption": 0.0,
                    "mean_leakage": 20.0 - k - 0.1 * seed,
                    "budget_spent": spent.get(strategy, 0.0),
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_comparison_leads_with_what_strategies_move_and_shows_gains_per_100_units() -> None:
    """Headline panels first (members naming Russia in their own statements, the latent
    stance, the material track, leakage, spending),
    then the gains over `none` per 100 budget units as comparison.csv computes them,
    members at 'sanction' last; the title says whether the strategies that spend spent the
    same."""
    summary = _made_up_summary({"uniform": 16.0, "adaptive": 16.1})
    fig = plot.strategy_comparison(summary)
    titles = [t for t in _comparison_titles(fig) if not t.startswith("difference")]
    assert "naming Russia in their own statements" in titles[0]
    assert "'condemn' or higher at the end" in titles[1] and "distancing" in titles[2]
    assert "leakage" in titles[3] and "not checked against a record" in titles[3]
    assert "budget spent" in titles[4]
    assert all("per 100 budget units, at this spend" in t for t in titles[5:8])
    assert "'sanction'" in titles[8] and len(titles) == 9
    means = summary.groupby("strategy").mean(numeric_only=True)
    for word, measure, sign in (
        ("'condemn' or higher gained", "final_condemn_or_higher", 1.0),
        ("distancing or beyond gained", "final_distancing_or_more", 1.0),
        ("leakage cut", "mean_leakage", -1.0),
    ):
        panel = next(ax for ax in fig.axes if ax.get_visible() and word in ax.get_title())
        drawn = [ln.get_xdata()[0] for ln in panel.lines if ln.get_marker() not in ("None", "")]
        expected = [
            sign * 100 * (means.loc[s, measure] - means.loc["none", measure])
            / means.loc[s, "budget_spent"]
            for s in ("uniform", "adaptive")
        ]  # fmt: skip
        assert drawn == pytest.approx(expected), word
    assert "16.0-16.1 budget units: equal effort" in fig.get_suptitle()
    fig = plot.strategy_comparison(_made_up_summary({"uniform": 16.0, "adaptive": 30.0}))
    assert "from 16.0 to 30.0 budget units: unequal effort" in fig.get_suptitle()


def test_more_groups_than_rows_are_announced(sets_run) -> None:
    curves = pd.read_parquet(sets_run / outputs.CURVES).rename(columns={"accepted_set": "budget"})
    fig = plot.adoption_curves(curves)
    assert f"first {plot.MAX_ROWS} of 10 points" in fig.get_suptitle()


def test_intervals_stay_within_the_scale_of_a_count() -> None:
    rare = np.r_[np.zeros(199), 1.0]
    stats = figdata.mean_ci(rare, (0.0, 10.0))
    assert stats["lo"] == 0.0 and stats["hi"] > stats["mean"] > 0
    curve = pd.DataFrame(
        {
            "date": [pd.Timestamp("2022-02-24").date()] * 2,
            "n": [100, 100],
            "mean": [0.01, 0.0],
            "std": [0.1, 0.0],
            "counts": [[99, 1, 0], [100, 0, 0]],
        }
    )
    pooled = figdata.pooled_curve(curve, (0.0, 10.0))
    assert pooled["lo"].iloc[0] == 0.0 and pooled["mean"].iloc[0] == pytest.approx(0.005)
    assert (pooled["p_lo"].iloc[0], pooled["p_hi"].iloc[0]) == (0.0, 0.0)


@pytest.mark.slow
def test_multirun_root_draws_one_line_per_job(tmp_path, run_cli) -> None:
    sweep = tmp_path / "sweep"
    args = ["-m", "budget=1,8", *SMALL, "strategies=[none,uniform]", "plots=true"]
    proc = run_cli([*args, f"hydra.sweep.dir={sweep}"])
    assert proc.returncode == 0, proc.stderr
    assert (sweep / "adoption_curves.png").exists()  # drawn at the root after combining
    curves = pd.read_parquet(sweep / outputs.CURVES)
    fig = plot.adoption_curves(curves)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert len(titles) == 4 and "budget=1" in titles[0] and "budget=8" in titles[2]
    assert "3 seeds per line" in fig.get_suptitle()


@pytest.mark.slow  # a grid of runs with every figure
def test_model_parameter_grid_draws_its_figures(tmp_path, compose_cfg) -> None:
    """A ``model.<field>`` sweep (dotted column names) publishes figures and its manifest."""
    cfg = compose_cfg(
        "n_seeds=2",
        "calendar.n_steps=4",
        "plots=true",
        "strategies=[none,uniform]",
        "+sweep.budget=[1,2]",
        "+sweep.model.peer_weight=[0.5,2.0]",
    )
    record = run_experiment(cfg, tmp_path)
    assert (tmp_path / outputs.MANIFEST).exists()
    assert "adoption_curves.png" in record["figures"]
    curves = pd.read_parquet(tmp_path / outputs.CURVES)
    labels = [g.label for g in figdata.groups(curves)]
    assert labels == [
        f"budget={b:g}, model.peer_weight={w:g}" for b in (1.0, 2.0) for w in (0.5, 2.0)
    ]
    (tmp_path / "adoption_curves.png").unlink()
    plot.main([str(tmp_path)])  # python -m experiments.plot DIR redraws them
    assert (tmp_path / "adoption_curves.png").stat().st_size > 1000


def _comparison_titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_visible()]


def test_comparison_without_none_says_so_instead_of_empty_panels(compose_cfg, tmp_path) -> None:
    cfg = compose_cfg(*SMALL, "strategies=[uniform,adaptive]", "+sweep.budget=[1,4]")
    run_experiment(cfg, tmp_path)
    fig = plot.strategy_comparison(pd.read_parquet(tmp_path / outputs.SUMMARY))
    assert not any("difference from" in t for t in _comparison_titles(fig))
    assert "no 'none' in this run" in fig.get_suptitle()
    for ax in fig.axes:  # every panel drawn has data
        assert ax.lines or not ax.get_visible(), ax.get_title()


def test_measures_equal_for_every_strategy_are_one_line_not_panels() -> None:
    rows = []
    for strategy, final in (("none", 1), ("uniform", 3), ("adaptive", 4)):
        for seed in range(4):
            rows.append(
                {
                    "strategy": strategy,
                    "point": 0,
                    "seed": seed,
                    "final_sanctioning": final + seed % 2,
                    "final_condemn_or_higher": final + 2,
                    "weeks_to_first_adoption": 0.0,  # the same in every run
                    "mean_leakage": 20.0 - final,
                    "budget_spent": 50.0 * (strategy != "none"),
                }
            )
    fig = plot.strategy_comparison(pd.DataFrame(rows))
    titles = _comparison_titles(fig)
    assert not any("adoption" in t for t in titles)  # share and weeks: same for all
    assert any("'sanction' at the end" in t for t in titles)
    title = fig.get_suptitle()
    assert "same for every strategy" in title and "weeks to the first adoption" in title


def test_legend_lists_every_strategy_of_a_multirun() -> None:
    base = pd.DataFrame(
        {
            "date": [pd.Timestamp("2022-02-24").date()] * 2,
            "step": [0, 0],
            "n": [3, 3],
            "mean": [1.0, 2.0],
            "std": [0.0, 0.0],
            "counts": [[0, 3, 0], [0, 0, 3]],
            "country": [None, None],
            "country_name": [None, None],
        }
    )
    curves = pd.concat(
        [
            base.assign(measure=m, job=j, point=0, strategy=s, overrides=f"strategy={s}")
            for j, s in enumerate(("uniform", "adaptive"))
            for m in ("n_sanctioning", "n_condemn_or_higher")
        ]
    )
    fig = plot.adoption_curves(curves)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "uniform" in legend and "adaptive" in legend
    summary = pd.DataFrame(
        [
            {"job": j, "overrides": f"strategy={s}", "strategy": s, "point": 0, "seed": seed,
             "final_sanctioning": j + seed % 2, "final_condemn_or_higher": 2 + j,
             "weeks_to_first_adoption": float(seed), "mean_leakage": 20.0 + j,
             "budget_spent": 10.0 * j}
            for j, s in enumerate(("none", "adaptive"))
            for seed in range(4)
        ]
    )  # fmt: skip
    fig = plot.strategy_comparison(summary)  # one strategy per job: nothing to pair
    assert not any("difference from" in t for t in _comparison_titles(fig))
    assert "no 'none' with another strategy in one job" in fig.get_suptitle()


def test_country_outcomes_show_who_moves_from_the_countries_table(sets_run) -> None:
    """Each cell is the share of runs ending at 'condemn' or higher, the sets pooled by
    runs, as countries.csv gives it; the colour is its difference from `none`."""
    from experiments.workflow import plot_countries

    curves = pd.read_parquet(sets_run / outputs.CURVES)
    share, group = plot_countries.pooled_shares(curves)
    assert group.sets == 10 and list(share.columns) == ["none", "uniform"]
    table = pd.read_csv(sets_run / "countries.csv")
    table["upper"] = (table["share_condemn"] + table["share_sanction"]) * table["n"]
    pooled = table.groupby(["country", "strategy"])[["upper", "n"]].sum()
    expected = (pooled["upper"] / pooled["n"]).unstack("strategy")
    for label, row in share.iterrows():
        code = label.split("(")[-1].rstrip(")")
        assert row.to_dict() == pytest.approx(expected.loc[code, row.index].to_dict())
    fig = plot_countries.country_outcomes(curves)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == share.size and "difference from 'none'" in fig.axes[1].get_ylabel()


def _made_up_table(settled: dict[str, bool], best: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": list(settled),
            "sets": 4,
            "settled": list(settled.values()),
            "condemn_change_last_8w": [0.0, 0.55, 0.02],
            "leakage_effect_change_last_8w": [0.0, 0.0, 0.3],
            "share_sets_best": [best[s] for s in settled],
        }
    )


def test_unsettled_strategies_are_hollow_and_named_with_the_best_across_sets() -> None:
    """Strategies not settled at the horizon (comparison.csv) get hollow markers and a
    title line with their change; the title names the strategies best in most sets."""
    summary = _made_up_summary({"uniform": 16.0, "adaptive": 16.0})
    table = _made_up_table(
        {"none": True, "uniform": False, "adaptive": False},
        {"none": 0.0, "uniform": 0.25, "adaptive": 0.75},
    )
    fig = plot.strategy_comparison(summary, table=table)
    title = " ".join(fig.get_suptitle().split())  # as read, whatever the line breaks
    assert "not settled at the horizon" in title and "uniform +0.55" in title
    assert "adaptive (leakage effect +0.30 USD bn/yr)" in title and "53-week cut" in title
    assert "accepted sets (4 sets; ties split): adaptive 75%, uniform 25%" in title
    panel = next(ax for ax in fig.axes if ax.get_visible())
    faces = [ln.get_markerfacecolor() for ln in panel.lines if ln.get_marker() == "o"]
    assert faces.count("white") == 2 and len(faces) == 3  # none settled: filled
    settled = _made_up_table({s: True for s in ("none", "uniform", "adaptive")}, {
        "none": 0.0, "uniform": 0.5, "adaptive": 0.5})  # fmt: skip
    title = " ".join(plot.strategy_comparison(summary, table=settled).get_suptitle().split())
    assert "not settled" not in title and "uniform 50%" in title


def test_the_record_is_drawn_on_the_historical_row_of_the_headline_panel() -> None:
    """The 2022 record (own statements naming Russia) is a star on the `historical` row,
    its 'unclear' members a range, named in the legend."""
    import datetime as dt

    from experiments.workflow.record import NamingRecord

    summary = _made_up_summary({"uniform": 16.0, "historical": 16.0})
    summary["strategy"] = summary["strategy"].replace({"adaptive": "historical"})
    record = NamingRecord(("KH", "SG"), ("PH",), dt.date(2022, 2, 24), dt.date(2023, 3, 2))
    fig = plot.strategy_comparison(summary, record=record)
    panel = next(ax for ax in fig.axes if ax.get_visible())
    star = [ln for ln in panel.lines if ln.get_marker() == "*"]
    assert len(star) == 1 and star[0].get_xdata()[0] == 2
    assert star[0].get_ydata()[0] == pytest.approx(2 - 0.3)  # historical: third row
    spans = [list(ln.get_xdata()) for ln in panel.lines if ln.get_marker() == "|"]
    assert spans == [[2, 3]]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("record 2022-02-24..2023-03-02: 2 (up to 3)" in x and "KH, SG" in x and
               "unclear: PH" in x for x in labels)  # fmt: skip


def test_sanction_panel_says_when_no_strategy_leaves_the_grey_zone() -> None:
    summary = _made_up_summary({"uniform": 16.0, "adaptive": 16.0})
    titles = _comparison_titles(plot.strategy_comparison(summary))
    assert any("no strategy moves members at sanction beyond the grey zone" in t for t in titles)
    summary.loc[summary["strategy"] == "adaptive", "final_sanctioning"] += 3
    titles = _comparison_titles(plot.strategy_comparison(summary))
    assert not any("beyond the grey zone" in t for t in titles)


def test_members_with_only_unverified_priors_are_marked_in_country_outcomes(sets_run) -> None:
    """A member whose every prior (an attribute with a range) is C: U gets a row suffix,
    read from the scenario mapping; one verified or derived prior removes it."""
    import copy

    from experiments.workflow import plot_countries
    from experiments.workflow.scenario import load_scenario_file

    scenario = load_scenario_file()
    marked = plot_countries.unverified_members(scenario)
    for code in marked:
        priors = [a for a in scenario["countries"][code].values() if isinstance(a, dict)]
        assert all(a["C"] == "U" for a in priors if "range" in a)
    changed = copy.deepcopy(scenario)
    code = next(iter(changed["countries"]))
    for attr in changed["countries"][code].values():
        if isinstance(attr, dict) and "range" in attr:
            attr["C"] = "U"
    assert code in plot_countries.unverified_members(changed)
    next(a for a in changed["countries"][code].values() if isinstance(a, dict) and "range" in a)[
        "C"
    ] = "D"
    assert code not in plot_countries.unverified_members(changed)
    curves = pd.read_parquet(sets_run / outputs.CURVES)
    first = str(curves.loc[curves["measure"] == "level", "country"].iloc[0])
    fig = plot_countries.country_outcomes(curves, [first])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [x for x in labels if plot_countries.UNVERIFIED in x] == [
        x for x in labels if f"({first})" in x
    ]
    assert "C: U" in fig.get_suptitle()
