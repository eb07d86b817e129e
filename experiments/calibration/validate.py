"""Validation report: the calibrated configuration of 2022 against the patterns and baselines.

``python -m experiments.validate [n_seeds=..] [seed=..]`` simulates the ``historical``
strategy and the ``none`` strategy (null model, same seeds), with the store's model
parameters and vote rule, scores every pattern of :mod:`experiments.calibration.patterns`
with a bootstrap 90% interval, compares the predicted votes on ES-11/1, ES-11/2 and
ES-11/3 with the actual votes and with the baseline "each state repeats its last vote of
the same kind", and writes ``docs/validation.md`` with figures
``docs/figures/validation_*.png``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import hydra
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from experiments.calibration.facts import (  # noqa: E402
    MEETING_WINDOW,
    PARTNERS,
    historical_config,
    meetings,
    predicted_votes,
    repeat_last_vote,
    resolutions,
)
from experiments.calibration.patterns import PatternResult, score, vote_fit  # noqa: E402
from experiments.calibration.votereport import vote_section  # noqa: E402
from experiments.calibration.votestep import load_record  # noqa: E402
from experiments.workflow import atomic, cli, errors, store  # noqa: E402
from experiments.workflow.errors import ConfigError  # noqa: E402
from experiments.workflow.paths import CALIBRATION_DIR, CONF_DIR, resolve  # noqa: E402
from experiments.workflow.scenario import ASEAN_2022  # noqa: E402
from experiments.workflow.schema import ValidateConf  # noqa: E402
from sim.config import SimulationConfig  # noqa: E402
from sim.engine import simulate  # noqa: E402
from sim.ladder import LEVEL_NAMES  # noqa: E402
from sim.results import Trajectories  # noqa: E402
from sim.rng import replicate_seeds  # noqa: E402
from sim.votes import VOTE_RULE_DOC, VOTES, VoteRule, modal_vote, vote_shares  # noqa: E402

log = logging.getLogger(__name__)


def vote_table(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> pd.DataFrame:
    """Per resolution and member: probabilities, modal vote, actual vote, baseline."""
    rows = []
    history = resolutions()
    cols = [config.countries.index(c) for c in ASEAN_2022]
    for res in history:
        shares = vote_shares(predicted_votes(traj, config, res, rule)[:, cols])
        modal = modal_vote(shares)
        earlier = any(r.date < res.date for r in history)  # else no vote to repeat
        base = repeat_last_vote(res, history) if earlier else dict.fromkeys(res.votes, "—")
        for k, code in enumerate(ASEAN_2022):
            rows.append(
                {
                    "resolution": res.name,
                    "kind": res.kind,
                    "country": code,
                    "p_yes": shares[k, 0],
                    "p_abstain": shares[k, 1],
                    "p_no": shares[k, 2],
                    "modal": modal[k],
                    "actual": res.votes[code],
                    "baseline_repeat": base[code],
                }
            )
    return pd.DataFrame(rows)


def figure_votes(votes: pd.DataFrame) -> Figure:
    """Stacked vote probabilities per member and resolution, actual votes marked."""
    names = list(dict.fromkeys(votes["resolution"]))
    fig = Figure(figsize=(12, 3.6))
    axes = fig.subplots(1, len(names), sharey=True)
    colours = {"yes": "#2b8cbe", "abstain": "#bdbdbd", "no": "#de2d26"}
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        sub = votes[votes["resolution"] == name]
        x = np.arange(len(sub))
        bottom = np.zeros(len(sub))
        for v in VOTES:
            ax.bar(x, sub[f"p_{v}"], bottom=bottom, color=colours[v], label=v)
            bottom = bottom + sub[f"p_{v}"].to_numpy()
        for i, actual in enumerate(sub["actual"]):
            ax.text(
                i,
                1.03,
                actual[0].upper(),
                ha="center",
                fontsize=9,
                fontweight="bold",
                color=colours[actual],
            )
        ax.set_xticks(x, sub["country"], fontsize=8)
        ax.set_title(f"{name} ({sub['kind'].iloc[0]})", fontsize=10, pad=14)
        ax.set_ylim(0, 1.12)
    np.atleast_1d(axes)[0].set_ylabel("predicted probability")
    np.atleast_1d(axes)[-1].legend(loc="lower right", fontsize=7)
    fig.suptitle("Predicted votes (bars) and actual votes (letters above)", fontsize=10)
    fig.tight_layout()
    return fig


def figure_stances(traj: Trajectories, config: SimulationConfig) -> Figure:
    """Mean stance per member with a 90% band, rung boundaries, meetings and votes."""
    fig = Figure(figsize=(11, 5))
    ax = fig.subplots()
    dates = [config.calendar.date(t) for t in range(traj.stance.shape[1])]
    cmap = matplotlib.colormaps["tab10"]
    for k, code in enumerate(ASEAN_2022):
        j = config.countries.index(code)
        s = traj.stance[:, :, j]
        lo, hi = np.quantile(s, [0.05, 0.95], axis=0)
        ax.plot(dates, s.mean(axis=0), color=cmap(k), label=code, lw=1.5)
        ax.fill_between(dates, lo, hi, color=cmap(k), alpha=0.08)
    for lev in range(1, len(LEVEL_NAMES)):
        ax.axhline(lev, color="grey", lw=0.5, ls=":")
        ax.text(dates[-1], lev + 0.05, LEVEL_NAMES[lev], fontsize=7, ha="right", color="grey")
    for code, d in meetings().items():
        ax.axvline(d, color="k", lw=0.4, ls="--")
        ax.text(d, 0.05, code, fontsize=7, rotation=90)
    for res in resolutions():
        ax.axvline(res.date, color="#2b8cbe", lw=0.6)
        ax.text(res.date, 4.75, res.name, fontsize=7, rotation=90, color="#2b8cbe")
    ax.set_ylabel("stance (rungs)")
    ax.set_ylim(0, 5)
    ax.legend(ncol=5, fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    ax.set_title("Simulated stance, historical strategy (mean and 90% band of runs)")
    fig.tight_layout()
    return fig


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def pattern_rows(results: Sequence[PatternResult], null: Sequence[PatternResult]) -> str:
    lines = [
        "| pattern | observed | tolerance | simulated (historical) [90% interval] | "
        "pass | null model (`none`) | null passes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r, n in zip(results, null, strict=True):
        lines.append(
            f"| **{r.name}**: {r.description} | {r.observed} | {r.tolerance} | "
            f"{_fmt(r.simulated)} [{_fmt(r.low)}, {_fmt(r.high)}] | "
            f"{'PASS' if r.passed else '**FAIL**'} | {_fmt(n.simulated)} | "
            f"{'pass' if n.passed else 'fail'} |"
        )
    return "\n".join(lines)


def vote_rows(votes: pd.DataFrame, null_votes: pd.DataFrame) -> str:
    lines = [
        "| resolution | country | p_yes | p_abstain | p_no | predicted (modal) | actual | "
        "repeat-last baseline | null model modal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (_, r), (_, n) in zip(votes.iterrows(), null_votes.iterrows(), strict=True):
        mark = "" if r["modal"] == r["actual"] else " ✗"
        lines.append(
            f"| {r['resolution']} | {r['country']} | {r['p_yes']:.2f} | "
            f"{r['p_abstain']:.2f} | {r['p_no']:.2f} | {r['modal']}{mark} | "
            f"{r['actual']} | {r['baseline_repeat']} | {n['modal']} |"
        )
    return "\n".join(lines)


def accuracy(votes: pd.DataFrame, column: str) -> dict[str, int]:
    return {
        name: int((g[column] == g["actual"]).sum())
        for name, g in votes.groupby("resolution", sort=False)
    }


def calibration_text() -> str:
    """A paragraph on the calibration behind the defaults (``data/calibration``)."""
    import json

    path = CALIBRATION_DIR / "calibration.json"
    if not path.exists():
        return "No calibration found in `data/calibration/`."
    c = json.loads(path.read_text())
    if "generations" not in c:
        return "Calibration summary in `data/calibration/` is from an older method; rerun it."
    s = c["settings"]
    gens = c["generations"]
    hm = gens[0]
    smc = "; ".join(
        f"{g['generation']}: epsilon {g['epsilon']:.2f}, {g['n_within_epsilon']} "
        f"of {g['n_points']} within"
        for g in gens[1:]
    )
    fin = c["final"]
    why = (c.get("installed") or {}).get("why", "nothing installed")
    return (
        "**Calibration** (`python -m experiments.calibrate`, `data/calibration/`, "
        f"runtime {c['elapsed_s']:.0f} s). Method: {c['method']}. "
        f"{len(c['parameters'])} model parameters searched within their documented ranges. "
        f"History matching wave 1: {hm['n_points']} points x {hm['n_seeds']} seeds "
        f"(Latin hypercube + the start point, the defaults before this calibration, "
        f"distance {hm['default_distance']:.2f}), "
        f"{hm['n_nroy']} not ruled out at I <= {s['hm_cutoff']:g}"
        f"{' (refocused on the least implausible)' if hm['refocused'] else ''}. "
        f"ABC-SMC, population {s['population']}, {s['smc_seeds']} seeds per proposal, "
        f"generations {smc}. Final acceptance: {fin['n_accepted']} of "
        f"{fin['n_candidates']} fully passing points pass every pattern again on "
        f"{fin['n_seeds']} fresh seeds and form the accepted set.\n\n"
        f"Why this method: {c.get('why_this_method', 'see calibration.json')}.\n\n"
        f"**Vote rule**: {c['vote_rule']}.\n\n"
        f"**Installed defaults**: {why}."
    )


def parameter_uncertainty(
    config: SimulationConfig,
    rule: VoteRule,
    seeds: np.ndarray,
    max_sets: int = 60,
) -> pd.DataFrame:
    """Every pattern scored for each accepted parameter set of the calibration (model
    parameters and vote rule of the set, common seeds): one row per set and pattern.
    Empty if there is no accepted set."""
    try:
        sets = store.load_accepted_sets()
    except ConfigError:
        return pd.DataFrame(columns=["set", "pattern", "value", "passed"])
    chosen = np.unique(np.linspace(0, len(sets) - 1, min(max_sets, len(sets))).astype(int))
    rows = []
    for k in chosen.tolist():
        params, rule = store.split_point(sets[k], config.params, rule)
        cfg = replace(config, params=params)
        for r in score(simulate(cfg, seeds), cfg, rule):
            rows.append({"set": k, "pattern": r.name, "value": r.simulated, "passed": r.passed})
    return pd.DataFrame(rows)


def uncertainty_rows(spread: pd.DataFrame, results: Sequence[PatternResult]) -> str:
    lines = [
        "| pattern | installed point | accepted sets: median [5%, 95%] | sets passing |",
        "|---|---|---|---|",
    ]
    for r in results:
        sub = spread[spread["pattern"] == r.name]
        lo, med, hi = (float(q) for q in np.quantile(sub["value"], [0.05, 0.5, 0.95]))
        lines.append(
            f"| {r.name} | {_fmt(r.simulated)} | {_fmt(med)} [{_fmt(lo)}, {_fmt(hi)}] "
            f"| {int(sub['passed'].sum())}/{len(sub)} |"
        )
    return "\n".join(lines)


def build_report(
    n_seeds: int = 500,
    seed: int = 20220224,
    n_boot: int = 200,
    config: SimulationConfig | None = None,
    rule: VoteRule | None = None,
    set_seeds: int = 50,
    max_sets: int = 60,
) -> tuple[str, dict[str, Figure], dict[str, object]]:
    """The Markdown report, its figures, and a summary of the numbers."""
    config = config or historical_config()
    rule = rule or store.load_vote_rule()
    seeds = replicate_seeds(seed, n_seeds)
    traj = simulate(config, seeds)
    null_cfg = config.with_strategy("none")
    null_traj = simulate(null_cfg, seeds)
    results = score(traj, config, rule, n_boot=n_boot, seed=seed)
    null_results = score(null_traj, null_cfg, rule)
    votes = vote_table(traj, config, rule)
    null_votes = vote_table(null_traj, null_cfg, rule)
    acc_model = accuracy(votes, "modal")
    acc_null = accuracy(null_votes, "modal")
    acc_repeat = accuracy(votes, "baseline_repeat")
    fit_model = vote_fit(traj, config, rule)
    failed = [r.name for r in results if not r.passed]
    spread = parameter_uncertainty(config, rule, replicate_seeds(seed + 1, set_seeds), max_sets)
    if len(spread):
        n_sets = spread["set"].nunique()
        uncertainty = (
            f"Each of {n_sets} accepted parameter sets of the calibration "
            f"(`data/calibration/accepted.parquet`, evenly spaced over the accepted sets), "
            f"with its own model parameters and vote rule, is simulated on {set_seeds} common "
            "seeds (independent of the calibration's seeds) and scored on every pattern. The "
            "spread shows what parameter uncertainty does to each pattern metric.\n\n"
            + uncertainty_rows(spread, results)
        )
    else:
        uncertainty = "No accepted parameter set found (run `python -m experiments.calibrate`)."
    figures = {
        "validation_votes.png": figure_votes(votes),
        "validation_stances.png": figure_stances(traj, config),
    }
    votes_md = vote_section(load_record(CALIBRATION_DIR), votes)
    text = f"""# Validation against 2022

Generated by `python -m experiments.validate` (n_seeds={n_seeds}, seed={seed}, bootstrap
{n_boot} resamples for the 90% intervals). Do not edit by hand.

The calibrated configuration (conf/scenario/asean_2022.yaml, the calibrated values of
conf/model/default.yaml and conf/vote_rule/default.yaml, the historical calendar of
conf/calendar/default.yaml, strategy `historical`) is compared with the patterns of 2022
listed in `data/asean_2022.yaml` (targets and scoring: `experiments/calibration/patterns.py`;
calibration: `experiments/calibration/search.py`, results in `data/calibration/`). The null
model runs the same seeds with no outreach (`none`).

**Result: {sum(r.passed for r in results)} of {len(results)} patterns pass.**
{"Failing: " + ", ".join(failed) + "." if failed else "No pattern fails."}

## Patterns

{pattern_rows(results, null_results)}

Notes. Myanmar: its government (junta) policy is the simulated stance; its UN votes use
the UN seat's own stance (`un_seat_stance` = 3.5, the ousted government's envoy), so the
junta may sit at `oppose` while the seat votes yes. Vietnam and Laos are compared with the
nine members other than Myanmar; Myanmar's junta is checked separately (its endorsement of
the invasion makes it at least as resistant). "Partners at principle" reads the highest
level a partner reaches in the {MEETING_WINDOW} weeks after its meeting with Japan (the joint
statement): `principle` is a pass, `condemn` or `sanction` (naming Russia, or sanctions) and
`neutral` or below are misses (data: japan_outreach, `named_russia: false`,
`sanctions_agreed: false`). Vietnam voted before its 2022-05-01 visit (abstain, abstain, no),
so a visit that lifts it to `principle` for a while is consistent with those votes.

{calibration_text()}

## Parameter uncertainty (accepted sets)

{uncertainty}

Not calibrated: `mandate_compliance` (pull to `sanction` of UN-legalist states under a
binding UN Security Council mandate) keeps its default {config.params.mandate_compliance:g}.
No UNSC mandate existed in 2022 (Russia's veto), so the 2022 data cannot identify it; it
acts only in counterfactual runs with institution `unsc`, whose results therefore rest on
this assumed value rather than on the calibration.

## Votes on the calibration resolutions

{votes_md}

In-sample probabilities (this report's runs, the store's vote rule) against the actual votes
and the null model:

![votes](figures/validation_votes.png)

{vote_rows(votes, null_votes)}

## Simulated stances

![stances](figures/validation_stances.png)

## The vote rule

{VOTE_RULE_DOC}
Installed values: {", ".join(f"`{k}` = {v:.3g}" for k, v in vars(rule).items())}.
"""
    summary = {
        "n_passed": sum(r.passed for r in results),
        "n_patterns": len(results),
        "failed": failed,
        "accuracy_model": acc_model,
        "accuracy_null": acc_null,
        "accuracy_repeat": acc_repeat,
        "vote_fit": fit_model,
        "partners": list(PARTNERS),
    }
    return text, figures, summary


def write_report(text: str, figures: dict[str, Figure], report: Path, figures_dir: Path) -> None:
    """Write the figures and then the report, each atomically."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    report.parent.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        atomic.atomic_write(
            figures_dir / name, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=110)
        )
    atomic.write_text(report, text)


def settings(cfg: DictConfig) -> ValidateConf:
    """The composed settings as a plain ``ValidateConf``, checked."""
    c: ValidateConf = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    if c.n_seeds < 10:
        raise ConfigError("n_seeds", f"must be an integer >= 10, got {c.n_seeds}")
    return c


@hydra.main(config_path=str(CONF_DIR), config_name="validate", version_base="1.3")
def _task(cfg: DictConfig) -> None:
    with errors.reporting(ValidateConf):
        c = settings(cfg)
        text, figures, summary = build_report(c.n_seeds, c.seed, c.n_boot)
        out = Path(HydraConfig.get().runtime.output_dir)
        write_report(text, figures, resolve(c.report), resolve(c.figures_dir))
        write_report(text, figures, out / "validation.md", out / "figures")
        log.info(
            "%d/%d patterns pass; failing: %s",
            summary["n_passed"],
            summary["n_patterns"],
            summary["failed"] or "none",
        )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.validate``: regenerate the report and its figures."""
    cli.run_cli("validate", settings, _task, ValidateConf, argv)
